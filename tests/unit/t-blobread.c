/* tests/unit/t-blobread.c - a cached blob, verified as it is read */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blobread.h"
#include "err.h"
#include "layout.h"
#include "tap.h"

#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

/* read all of digest through a blob_reader, n bytes at a time */
static int
read_all(struct layout *l, const char *digest, int64_t size, size_t n,
    char *out, size_t cap)
{
	struct blob_reader r;
	size_t got = 0;
	ssize_t k;

	if (blob_reader_open(&r, l, digest, size) == -1)
		return -1;
	while ((k = blob_reader_read(&r, out + got, n < cap - got ? n :
	    cap - got)) > 0)
		got += (size_t)k;
	/* the end stays the end, and the verdict is given once */
	if (k == 0 && blob_reader_read(&r, out, 1) != 0)
		k = -2;
	blob_reader_close(&r);
	return k == 0 ? (int)got : -1;
}

/* overwrite the blob file behind digest with p */
static void
damage(const char *cache, const char *digest, const char *p)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", cache, digest + 7);
	chmod(path, 0644);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd == -1 || write(fd, p, strlen(p)) != (ssize_t)strlen(p))
		exit(1);
	close(fd);
}

int
main(void)
{
	struct layout l = LAYOUT_INIT;
	char dir[] = "/tmp/t-blobread.XXXXXX", cache[64], out[16];

	if (!mkdtemp(dir))
		return 1;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	ok(layout_open(&l, cache, LAYOUT_CREATE) == 0, "a cache");
	ok(layout_blob_put(&l, "abc", 3, ABC, NULL) == 0, "a blob in it");
	ok(read_all(&l, ABC, 3, 1, out, sizeof(out)) == 3 &&
	    memcmp(out, "abc", 3) == 0, "read a byte at a time, verified");
	ok(read_all(&l, ABC, 3, 64, out, sizeof(out)) == 3,
	    "read in one go, verified");
	ok(read_all(&l, ABC, 4, 64, out, sizeof(out)) == -1 &&
	    strstr(err_msg(), "damaged"), "a size the blob does not have");
	ok(read_all(&l, "sha256:0123", 3, 64, out, sizeof(out)) == -1,
	    "a malformed digest");
	ok(read_all(&l, "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
	    1, 64, out, sizeof(out)) == -1 && err_kind() == ERR_NOTFOUND,
	    "an absent blob is not found");
	damage(cache, ABC, "abd");
	ok(read_all(&l, ABC, 3, 64, out, sizeof(out)) == -1 &&
	    strstr(err_msg(), "corrupt") && strstr(err_msg(), cache),
	    "a flipped byte is caught at the end, naming the cache: %s",
	    err_msg());
	damage(cache, ABC, "ab");
	ok(read_all(&l, ABC, 3, 64, out, sizeof(out)) == -1,
	    "a truncated blob is refused");
	layout_close(&l);
	return tap_done();
}
