/* lib/gzip.c - gzip layers for the cache, and hash what gzip data holds */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "err.h"
#include "gzip.h"
#include "xalloc.h"

#define IN_CHUNK	(256 * 1024)	/* read, hashed and judged at once */
#define OUT_CHUNK	(32 * 1024)	/* written to the blob at once */
#define SAMPLE		(16 * 1024)	/* deflated to judge a chunk */

struct gz {
	z_stream	 z, sample;
	unsigned char	*in, *out, *scratch;
	struct digest	 d;
	int		 level;
};

/*
 * Does the chunk compress? Deflate its first SAMPLE bytes alone: what
 * saves less than 1/32 there (random bytes, bytes compressed already) is
 * stored, because deflating it costs twenty times a copy for nothing. The
 * decision depends on the bytes only, so the blob stays deterministic.
 */
static int
compressible(struct gz *g, const unsigned char *p, size_t n)
{
	size_t m = n < SAMPLE ? n : SAMPLE;

	if (m < 512)
		return 1;
	deflateReset(&g->sample);
	g->sample.next_in = (unsigned char *)p;
	g->sample.avail_in = m;
	g->sample.next_out = g->scratch;
	g->sample.avail_out = SAMPLE + SAMPLE / 8 + 64;
	if (deflate(&g->sample, Z_FINISH) != Z_STREAM_END)
		return 1;
	return g->sample.total_out < m - m / 32;
}

/* run deflate with flush until it needs input (or ends), writing to w */
static int
pump(struct gz *g, int flush, struct blob_writer *w)
{
	size_t have;
	int r;

	do {
		g->z.next_out = g->out;
		g->z.avail_out = OUT_CHUNK;
		r = deflate(&g->z, flush);
		if (r == Z_STREAM_ERROR)
			return err_set(EIO, "gzip: %s", g->z.msg ? g->z.msg :
			    "stream error");
		have = OUT_CHUNK - g->z.avail_out;
		if (have && blob_writer_write(w, g->out, have) == -1)
			return -1;
	} while (g->z.avail_out == 0 || (flush == Z_FINISH && r != Z_STREAM_END));
	return 0;
}

/* switch between deflating (1) and storing (0); zlib ends the block first */
static int
set_level(struct gz *g, int level, struct blob_writer *w)
{
	size_t have;
	int r;

	for (;;) {
		g->z.next_out = g->out;
		g->z.avail_out = OUT_CHUNK;
		r = deflateParams(&g->z, level, Z_DEFAULT_STRATEGY);
		have = OUT_CHUNK - g->z.avail_out;
		if (have && blob_writer_write(w, g->out, have) == -1)
			return -1;
		if (r == Z_OK)
			break;
		if (r != Z_BUF_ERROR)
			return err_set(EIO, "gzip: cannot change the level");
	}
	g->level = level;
	return 0;
}

static int
gz_init(struct gz *g)
{
	memset(g, 0, sizeof(*g));
	/* 31: a gzip header, zlib's, with no name and mtime 0 */
	if (deflateInit2(&g->z, 1, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return err_set(ENOMEM, "gzip: cannot start deflating");
	/* a rough judge needs no big window: less memory per thread */
	if (deflateInit2(&g->sample, 1, Z_DEFLATED, -12, 5,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		deflateEnd(&g->z);
		return err_set(ENOMEM, "gzip: cannot start deflating");
	}
	g->level = 1;
	g->in = xmalloc(IN_CHUNK);
	g->out = xmalloc(OUT_CHUNK);
	g->scratch = xmalloc(SAMPLE + SAMPLE / 8 + 64);
	return digest_init(&g->d, DIGEST_SHA256);
}

static void
gz_release(struct gz *g)
{
	deflateEnd(&g->z);
	deflateEnd(&g->sample);
	if (g->d.ctx)
		digest_release(&g->d);
	free(g->in);
	free(g->out);
	free(g->scratch);
}

static int
gzip_all(struct gz *g, int fd, const char *plain_digest, int check,
    struct blob_writer *w)
{
	char got[DIGEST_MAX];
	off_t off = 0;
	ssize_t n;

	for (;;) {
		if ((n = pread(fd, g->in, IN_CHUNK, off)) == -1) {
			if (errno == EINTR)
				continue;
			return err_sys(errno, "cannot read layer '%s'",
			    plain_digest);
		}
		if (n == 0)
			break;
		off += n;
		if (check)
			digest_update(&g->d, g->in, n);
		if (compressible(g, g->in, n) != g->level &&
		    set_level(g, !g->level, w) == -1)
			return -1;
		g->z.next_in = g->in;
		g->z.avail_in = n;
		if (pump(g, Z_NO_FLUSH, w) == -1)
			return -1;
	}
	if (pump(g, Z_FINISH, w) == -1)
		return -1;
	digest_final(&g->d, got);
	if (check && strcmp(got, plain_digest) != 0)
		return err_set(EIO, "layer '%s' does not match its digest "
		    "(content is '%s')", plain_digest, got);
	return blob_writer_finish(w);
}

int
gzip_blob(int fd, const char *plain_digest, int check, struct blob_writer *w)
{
	struct gz g;
	int rc;

	if (gz_init(&g) == -1) {
		gz_release(&g);
		return -1;
	}
	rc = gzip_all(&g, fd, plain_digest, check, w);
	gz_release(&g);
	return rc;
}

/* inflate what is in z->next_in, hashing the output; *end: a member ended */
static int
inflate_some(z_stream *z, unsigned char *out, struct digest *d, int *end)
{
	int r;

	while (z->avail_in > 0) {
		z->next_out = out;
		z->avail_out = OUT_CHUNK;
		r = inflate(z, Z_NO_FLUSH);
		digest_update(d, out, OUT_CHUNK - z->avail_out);
		*end = r == Z_STREAM_END;
		if (r == Z_STREAM_END)
			inflateReset(z);	/* another member may follow */
		else if (r != Z_OK)
			return err_set(EINVAL, "not valid gzip data: %s",
			    z->msg ? z->msg : "error");
	}
	return 0;
}

int
gunzip_digest(int fd, char out[DIGEST_MAX])
{
	unsigned char *in = xmalloc(IN_CHUNK), *buf = xmalloc(OUT_CHUNK);
	struct digest d = DIGEST_INIT;
	z_stream z;
	off_t off = 0;
	ssize_t n;
	int end = 0, rc = -1;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 15 + 16) != Z_OK) {
		free(in);
		free(buf);
		return err_set(ENOMEM, "gzip: cannot start inflating");
	}
	if (digest_init(&d, DIGEST_SHA256) == -1)
		goto out;
	for (;;) {
		if ((n = pread(fd, in, IN_CHUNK, off)) == -1) {
			if (errno == EINTR)
				continue;
			err_sys(errno, "cannot read gzip data");
			goto out;
		}
		if (n == 0)
			break;
		off += n;
		z.next_in = in;
		z.avail_in = n;
		if (inflate_some(&z, buf, &d, &end) == -1)
			goto out;
	}
	if (!end) {
		err_set(EINVAL, "gzip data is truncated");
		goto out;
	}
	digest_final(&d, out);
	rc = 0;
out:
	if (rc == -1 && d.ctx)
		digest_release(&d);
	inflateEnd(&z);
	free(in);
	free(buf);
	return rc;
}
