/* lib/buildctx.h - the build-context tar stream (linuxkit-compat.md §7)
 *
 * Sources are walked depth-first in byte order, root included. Headers come
 * from lstat: type, permission bits, size, mtime, numeric owner. Symbolic
 * links are stored as links and never followed, hard links as separate
 * files; nothing outside the named sources is opened. With clamping, mtimes
 * later than the epoch become the epoch and owners become 0:0, so one tree
 * always gives the same bytes.
 */
#ifndef BUILDCTX_H
#define BUILDCTX_H

#include <stdint.h>

#include "tarx.h"

struct buildctx {
	void		*a;		/* struct archive, private */
	int		 clamp;		/* reproducible: clamp mtime, owner 0:0 */
	int64_t		 epoch;		/* the clamp */
	struct tarx_sink out;		/* the stream's fd and its first error */
};
#define BUILDCTX_INIT { NULL, 0, 0, TARX_SINK_INIT }

/* start a tar stream (pax, restricted to what ustar cannot say) on fd */
int	buildctx_open(struct buildctx *c, int fd, int clamp, int64_t epoch);
/*
 * Add the tree at src (absolute) under the archive name dst ("." for the
 * root; relative and clean, never starting with ".."). Paths under src
 * equal to or below an entry of skip (relative to src, clean,
 * NULL-terminated; may be NULL) are left out.
 */
int	buildctx_add_tree(struct buildctx *c, const char *src, const char *dst,
	    const char *const *skip);
/* a generated directory: 0755, 0:0, dated at the epoch (1970) */
int	buildctx_add_dir(struct buildctx *c, const char *name);
/* a generated file of size bytes read from fd: 0644, 0:0, 1970 */
int	buildctx_add_fd(struct buildctx *c, const char *name, int fd,
	    int64_t size);
/* finish the stream (end blocks); the context is released either way */
int	buildctx_close(struct buildctx *c);
void	buildctx_abort(struct buildctx *c);

#endif
