/* lib/tarx.h - reading untrusted tar streams safely (libarchive)
 *
 * Any compression libarchive knows (gzip, zstd, xz, bzip2) is undone on the
 * fly; only tar formats are accepted. Nothing is ever extracted to disk by
 * name: callers get normalised names and the bytes, and decide. Names that
 * are absolute or climb out with "..", devices, FIFOs and sparse files are
 * errors; links are reported with their target resolved inside the archive.
 */
#ifndef TARX_H
#define TARX_H

#include <stdint.h>
#include <sys/types.h>

#include "xalloc.h"

enum tarx_type { TARX_FILE, TARX_LINK };

struct tarx_entry {
	const char	*path;	/* normalised: no "./", no "//", no "..", relative */
	enum tarx_type	 type;
	const char	*link;	/* TARX_LINK: the target, normalised, archive-relative */
	int64_t		 size;	/* TARX_FILE: bytes of data */
};

struct tarx {
	void		*a;		/* struct archive, private */
	const char	*what;		/* the input's name in messages */
	struct buf	 path, link;	/* storage behind the current entry */
	int64_t		 offset;	/* data read of the current entry */
	int		 fd;		/* read from */
	struct digest_ring *ring;	/* the buffers read into (digest.h) */
};
#define TARX_INIT { NULL, NULL, BUF_INIT, BUF_INIT, 0, -1, NULL }

/* read a tar from fd; what names it in messages ("-" is stdin) */
int	tarx_open_fd(struct tarx *t, int fd, const char *what);
/* 1 and *e for the next file or link (directories are skipped), 0 at end */
int	tarx_next(struct tarx *t, struct tarx_entry *e);
/*
 * The next block of the current entry's data: its length and *p, 0 at the
 * end of the entry, -1 on error (a truncated archive among others). *p
 * stays valid until the next call; digest_update_async() of it hashes it
 * in place when it lies in the read ring (an uncompressed tar).
 */
ssize_t	tarx_read(struct tarx *t, const void **p);
/* all of the current entry's data, when it is at most max bytes */
int	tarx_read_all(struct tarx *t, size_t max, struct buf *out);
void	tarx_close(struct tarx *t);

/*
 * Writing. A generated entry (a file or directory the tools make up, not
 * one copied from disk): owner 0:0, mode 0644 or 0755, mtime 0, so the
 * same content gives the same bytes. -1 with a message naming it.
 */
struct archive;
int	tarx_write_entry(struct archive *a, const char *name, int dir,
	    int64_t size);

/*
 * Where a tar writer's blocks go. libarchive, once a write of its own
 * fails, enters a fatal state in which archive_write_free() leaks its
 * block buffer; so the sink never reports a failure to libarchive: it
 * keeps the first error in err, discards every later block, and the
 * caller checks err after each call. tarx_write_abort() discards the rest
 * (no end blocks after a half entry) and frees everything.
 */
struct tarx_sink {
	int	fd;
	int	err;		/* errno of the first failed write, or 0 */
	int	discard;	/* write nothing more */
};
#define TARX_SINK_INIT { -1, 0, 0 }

/* open a (format already set) writing to fd through s */
int	tarx_write_open_fd(struct archive *a, struct tarx_sink *s, int fd);
/* discard what is left, close and free a; a may be NULL */
void	tarx_write_abort(struct archive *a, struct tarx_sink *s);
/*
 * End the stream: its end blocks written and a freed, 0; or -1 with a
 * message naming what (a failed write, or libarchive's error), a freed
 * all the same.
 */
int	tarx_write_finish(struct archive *a, struct tarx_sink *s,
	    const char *what);

/*
 * Normalise an archive-relative name into out: "./a//b/." becomes "a/b".
 * -1 when it is empty, absolute or climbs out with "..".
 */
int	tarx_clean_path(const char *name, struct buf *out);

#endif
