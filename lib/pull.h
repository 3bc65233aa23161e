/* lib/pull.h - make references present in the cache, from registries
 *
 * Cache first (no request at all when the name and everything the wanted
 * platforms need are present, oci-fetch(1)); otherwise the root, the wanted
 * platforms' manifests, configs and layers, and every index entry without
 * a real platform, fetched in parallel and verified, then NAME (and
 * NAME-<arch> for a tag) recorded. Also the two questions that need only
 * the registry: resolve (HEAD first) and the manifest bytes.
 *
 * Hostile indexes are bounded: nesting deeper than PULL_MAX_DEPTH or an
 * index of more than PULL_MAX_ENTRIES entries is refused, and a manifest
 * is walked once per run however often indexes list it.
 */
#ifndef PULL_H
#define PULL_H

#include <jansson.h>

#include "platform.h"
#include "regpool.h"
#include "xalloc.h"

#define PULL_MAX_PLATFORMS	32
#define PULL_MAX_DEPTH		4	/* nested indexes below the root */
#define PULL_MAX_ENTRIES	1024	/* entries of one index */

/* PULL_CACHED: the cache alone, "not found" when it lacks anything */
enum pull_mode { PULL_FETCH, PULL_RESOLVE, PULL_MANIFEST, PULL_CACHED };

struct pull_opts {
	struct regpool	*pool;		/* the registries; the caller's */
	const char	*cache;		/* NULL: layout_default_path() */
	struct platform	 plats[PULL_MAX_PLATFORMS];
	size_t		 nplat;		/* 0: the host's, and a mismatch only warns */
	int		 all;		/* --all-platforms */
	int		 pull;		/* ask the registry even when cached */
	http_log_fn	*log;		/* warnings (0), notes (1) */
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
 * message whose kind is "not found" when the registry lacks the name, tag,
 * manifest or a wanted platform. PULL_RESOLVE and PULL_MANIFEST store
 * nothing and never create the cache.
 */
int	puller_run(struct puller *pl, enum pull_mode mode, const char *name,
	    struct pull_result *res);
/*
 * The presence check alone: 1 with res filled when name and everything
 * the wanted platforms need are in the cache (manifests and configs read
 * and verified, layers present with their size), 0 when not (a cache
 * that does not exist is not created), -1 when it cannot be opened.
 */
int	puller_cached(struct puller *pl, const char *name,
	    struct pull_result *res);
/*
 * The entries of an index to keep: the best match for each wanted
 * platform (appended to chosen), every entry without a real platform
 * (to extra). -1, kind "not found", naming the platforms it lacks.
 * what names the index in messages; NULL for the root, which the caller
 * names.
 */
int	puller_select(struct puller *pl, const json_t *index, const char *what,
	    json_t *chosen, json_t *extra);
void	pull_result_release(struct pull_result *res);
void	puller_free(struct puller *pl);

#endif
