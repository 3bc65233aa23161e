/* lib/gzip.h - gzip layers as docker push does, and check gzipped ones (zlib)
 *
 * A docker save tarball holds its layers uncompressed, and LinuxKit cannot
 * read uncompressed layers from its cache (doc/linuxkit-compat.md D12), so an
 * import stores them gzipped; the config's diff_ids name the uncompressed
 * bytes, which these functions hash as they pass. Safe to call from
 * several threads at once, each with its own fds and writer (messages go
 * through lib/err.c, which has one buffer: let one thread report).
 */
#ifndef GZIP_H
#define GZIP_H

#include "digest.h"
#include "layout.h"

/*
 * Compress all of fd (read with pread from offset 0) into the open writer
 * w as one gzip member, then finish w (w->digest is the compressed blob's).
 * With check, the bytes read must hash to plain_digest; without, fd is
 * the caller's own unnamed file, hashed to plain_digest as it was written,
 * which nobody else can open, and is not hashed again. Deterministic: the
 * same bytes give the same blob (no name, mtime 0). Blocks that do not
 * compress are stored rather than deflated, which costs a copy instead of
 * a deflate.
 */
int	gzip_blob(int fd, const char *plain_digest, int check,
	    struct blob_writer *w);

/*
 * The sha256 digest of the bytes the gzip data of fd decompresses to (one
 * or more members, as gzip(1) writes and reads them); -1 when it is not
 * gzip data, is truncated or is followed by anything else.
 */
int	gunzip_digest(int fd, char out[DIGEST_MAX]);

#endif
