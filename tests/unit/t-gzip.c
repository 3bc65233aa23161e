/* tests/unit/t-gzip.c - layers gzipped for the cache, and gzip data hashed */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "err.h"
#include "gzip.h"
#include "layout.h"
#include "tap.h"

#define N	(3u << 20)

static int
file_of(const void *p, size_t n)
{
	FILE *f = tmpfile();
	int fd;

	fwrite(p, 1, n, f);
	fflush(f);
	fd = dup(fileno(f));
	fclose(f);
	return fd;
}

/* gzip p into a finished writer of cache l; its digest into out */
static int
gz(struct layout *l, const unsigned char *p, size_t n, const char *plain,
    char out[DIGEST_MAX], int *gzfd)
{
	struct blob_writer w;
	int fd = file_of(p, n), rc;

	if (blob_writer_open(l, &w, NULL, -1) == -1)
		return -1;
	rc = gzip_blob(fd, plain, 1, &w);
	close(fd);
	if (rc == 0) {
		memcpy(out, w.digest, DIGEST_MAX);
		if (gzfd)
			*gzfd = dup(w.fd);
	}
	blob_writer_abort(&w);
	return rc;
}

int
main(void)
{
	static const unsigned char member[] = {	/* gzip -n of "abc" */
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
		0x4b, 0x4c, 0x4a, 0x06, 0x00, 0xc2, 0x41, 0x24, 0x35, 0x03,
		0x00, 0x00, 0x00 };
	unsigned char *p = malloc(N), two[2 * sizeof(member) + 1];
	char dir[] = "/tmp/t-gzip.XXXXXX", cmd[64], plain[DIGEST_MAX];
	char d1[DIGEST_MAX], d2[DIGEST_MAX], got[DIGEST_MAX], abc[DIGEST_MAX];
	struct layout l;
	size_t i;
	int fd = -1, rc;

	if (!p || !mkdtemp(dir) || layout_open(&l, dir, LAYOUT_CREATE) == -1)
		return 1;
	/* a third random (stored), two thirds text (deflated) */
	srand(7);
	for (i = 0; i < N / 3; i++)
		p[i] = (unsigned char)(rand() >> 7);
	for (; i < N; i++)
		p[i] = "the quick brown fox jumps over the lazy dog\n"[i % 44];
	digest_buf(DIGEST_SHA256, p, N, plain);

	rc = gz(&l, p, N, plain, d1, &fd);
	ok(rc == 0, "a layer is gzipped (%s)", rc ? err_msg() : "");
	ok(gunzip_digest(fd, got) == 0 && strcmp(got, plain) == 0,
	    "and gunzips to its bytes");
	ok(lseek(fd, 0, SEEK_END) < (off_t)N, "smaller than it was");
	close(fd);
	ok(gz(&l, p, N, plain, d2, NULL) == 0 && strcmp(d1, d2) == 0,
	    "the same bytes give the same blob");
	p[N - 1] ^= 1;
	rc = gz(&l, p, N, plain, d2, NULL);
	ok(rc == -1 && strstr(err_msg(), "does not match its digest"),
	    "bytes that are not the layer's are refused: %s", err_msg());
	{
		/* without check, the caller's own file is not hashed again */
		struct blob_writer w;
		int in = file_of(p, N);

		ok(blob_writer_open(&l, &w, NULL, -1) == 0 &&
		    gzip_blob(in, plain, 0, &w) == 0,
		    "unchecked, the bytes are taken as the caller says");
		ok(gunzip_digest(w.fd, got) == 0 && strcmp(got, plain) != 0,
		    "and gzipped as they are");
		blob_writer_abort(&w);
		close(in);
	}
	ok(gz(&l, p, 0, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	    "934ca495991b7852b855", d2, &fd) == 0 && gunzip_digest(fd, got) == 0 &&
	    !strcmp(got, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b"
	    "934ca495991b7852b855"), "an empty layer");
	close(fd);

	digest_buf(DIGEST_SHA256, "abcabc", 6, abc);
	memcpy(two, member, sizeof(member));
	memcpy(two + sizeof(member), member, sizeof(member));
	fd = file_of(two, 2 * sizeof(member));
	ok(gunzip_digest(fd, got) == 0 && !strcmp(got, abc),
	    "two members read as one stream, as gzip -d does");
	close(fd);
	fd = file_of(member, sizeof(member) - 3);
	ok(gunzip_digest(fd, got) == -1, "truncated: %s", err_msg());
	close(fd);
	two[sizeof(member)] = 'x';
	fd = file_of(two, sizeof(member) + 1);
	ok(gunzip_digest(fd, got) == -1, "trailing garbage: %s", err_msg());
	close(fd);
	fd = file_of("plain text, no gzip", 19);
	ok(gunzip_digest(fd, got) == -1, "not gzip: %s", err_msg());
	close(fd);
	fd = file_of("", 0);
	ok(gunzip_digest(fd, got) == -1, "empty is not gzip");
	close(fd);

	layout_close(&l);
	free(p);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
