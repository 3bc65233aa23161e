/* lib/pull.h - make references present in the cache, from registries
 *
 * linuxkit-compat.md §9.4 and D1: cache first (no request at all when the
 * name and everything the wanted platforms need are present); otherwise
 * the root, the wanted platforms' manifests, configs and layers, and every
 * index entry without a real platform, fetched in parallel and verified,
 * then NAME (and NAME-<arch> for a tag) recorded. Also the two questions
 * that need only the registry: resolve (HEAD first) and the manifest bytes.
 */
#ifndef PULL_H
#define PULL_H

#include <jansson.h>

#include "http.h"
#include "platform.h"
#include "xalloc.h"

#define PULL_MAX_PLATFORMS	32

/* PULL_CACHED: the cache alone answers (§9.5), never the network */
enum pull_mode { PULL_FETCH, PULL_RESOLVE, PULL_MANIFEST, PULL_CACHED };

struct pull_opts {
	const char	*tool;		/* for the User-Agent */
	const char	*cache;		/* NULL: layout_default_path() */
	struct platform	 plats[PULL_MAX_PLATFORMS];
	size_t		 nplat;		/* 0: the host's, and a mismatch only warns */
	int		 all;		/* --all-platforms */
	int		 pull;		/* ask the registry even when cached */
	int		 jobs;		/* parallel blobs per host; 0: 4 */
	int		 debug;		/* log headers (redacted) */
	const char *const *insecure;	/* NULL-terminated */
	http_log_fn	*log;		/* warnings (0), notes (1), debug (2) */
	void		*log_arg;
};

struct pull_result {
	json_t		*root;		/* the root descriptor */
	json_t		*records;	/* the chosen platform manifests */
	struct buf	 manifest;	/* PULL_MANIFEST: the exact bytes */
	int		 warm;		/* served from the cache alone */
};
#define PULL_RESULT_INIT { NULL, NULL, BUF_INIT, 0 }

struct puller;

struct puller	*puller_new(const struct pull_opts *o);
/*
 * name is canonical with a tag or digest. 0 with res filled, or -1 with a
 * message; ENOENT when the name, tag or platform does not exist.
 */
int	puller_run(struct puller *pl, enum pull_mode mode, const char *name,
	    struct pull_result *res);
void	pull_result_release(struct pull_result *res);
void	puller_free(struct puller *pl);

#endif
