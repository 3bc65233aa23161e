/* lib/blobread.c - a cached blob, verified as it is read */
#include <sys/stat.h>

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "blobread.h"
#include "err.h"
#include "progress.h"

int
blob_reader_open(struct blob_reader *r, struct layout *l, const char *digest,
    int64_t size)
{
	enum digest_algo algo;
	struct stat st;

	*r = (struct blob_reader)BLOB_READER_INIT;
	if (digest_parse(digest, &algo, NULL) == -1)
		return -1;
	if ((r->fd = layout_blob_open(l, digest)) == -1)
		return -1;
	if (fstat(r->fd, &st) == -1 || !S_ISREG(st.st_mode) ||
	    st.st_size != size) {
		blob_reader_close(r);
		return err_set(EIO, "blob '%s' in the cache '%s' is damaged: "
		    "%lld bytes, not %lld", digest, l->path,
		    (long long)st.st_size, (long long)size);
	}
	if (digest_init(&r->d, algo) == -1) {
		blob_reader_close(r);
		return -1;
	}
	r->l = l;
	snprintf(r->digest, sizeof(r->digest), "%s", digest);
	r->size = size;
	return 0;
}

static int
verdict(struct blob_reader *r)
{
	char got[DIGEST_MAX];
	char extra;

	/* a blob that grew since it was opened is as wrong as a short one */
	if (read(r->fd, &extra, 1) != 0)
		return err_set(EIO, "blob '%s' in the cache '%s' is longer "
		    "than %lld bytes", r->digest, r->l->path,
		    (long long)r->size);
	digest_final(&r->d, got);
	if (strcmp(got, r->digest) != 0)
		return err_set(EIO, "blob '%s' in the cache '%s' is corrupt "
		    "(its content is '%s'); oci-fsck --repair sets it aside",
		    r->digest, r->l->path, got);
	return 0;
}

ssize_t
blob_reader_read(struct blob_reader *r, void *p, size_t n)
{
	ssize_t got;

	if (r->done == r->size) {
		/* the verdict once; the end stays the end after it */
		if (!r->checked && verdict(r) == -1)
			return -1;
		r->checked = 1;
		return 0;
	}
	if ((int64_t)n > r->size - r->done)
		n = (size_t)(r->size - r->done);
	do
		got = read(r->fd, p, n);
	while (got == -1 && errno == EINTR);
	if (got == -1)
		return err_sys(errno, "cannot read blob '%s' in the cache '%s'",
		    r->digest, r->l->path);
	if (got == 0)
		return err_set(EIO, "blob '%s' in the cache '%s' is shorter "
		    "than %lld bytes", r->digest, r->l->path,
		    (long long)r->size);
	digest_update(&r->d, p, (size_t)got);
	r->done += got;
	progress_done(got);
	return got;
}

void
blob_reader_close(struct blob_reader *r)
{
	if (r->fd != -1)
		close(r->fd);
	digest_release(&r->d);
	r->fd = -1;
}
