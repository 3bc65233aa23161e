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
#include <stdio.h>

#include "buildyml.h"
#include "http.h"
#include "platform.h"
#include "regpool.h"

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

/*
 * The plan of a package's context, made and checked before a byte is
 * written (pkg-buildctx(1)): the package directory P, its Dockerfile
 * inside P, the extra sources parsed once and checked as pkg-tag checks
 * them (pkg_source_check()), and the depends images saved
 * from the cache (fetched first when absent) as `docker save` tarballs in
 * unlinked temporary files. The stream is then P (less the depends
 * target), the depends, the extra sources.
 */
struct buildctx_opts {
	const char	*cache;		/* NULL: layout_default_path() */
	const char	*build_yml;	/* NULL: build.yml */
	struct platform	 plat;		/* of the depends images */
	struct regpool	*pool;		/* fetches absent depends images */
	http_log_fn	*log;		/* the fetch's warnings and notes */
	void		*log_arg;
};

struct buildctx_source {
	char	*src;		/* absolute, clean */
	char	*name;		/* in the context: relative, clean, "." is the root */
};

struct buildctx_dep {
	char	*name;		/* the tarball's name in the context */
	char	*shown;		/* "image@digest", one per image (target-dir) */
	FILE	*f;		/* the tarball, unlinked */
	int64_t	 size;
};

struct buildctx_plan {
	char			*pkgdir;	/* P: absolute, clean */
	struct buildyml		 y;
	struct buildctx_source	*src;
	size_t			 nsrc;
	char			*deps;		/* depends target in P; NULL: none */
	int			 deps_dir;	/* deps is made as a directory */
	struct buildctx_dep	*dep;
	size_t			 ndep;
};
#define BUILDCTX_PLAN_INIT { NULL, BUILDYML_INIT, NULL, 0, NULL, 0, NULL, 0 }

/*
 * Plan the context of the package in dir. -1 with a message; kind "not
 * found" when dir does not exist or a depends image is neither in the
 * cache nor in its registry.
 */
int	buildctx_plan(struct buildctx_plan *p, const char *dir,
	    const struct buildctx_opts *o);
/* write the planned context to fd as one tar stream */
int	buildctx_write(const struct buildctx_plan *p, int fd, int clamp,
	    int64_t epoch);
void	buildctx_plan_release(struct buildctx_plan *p);

#endif
