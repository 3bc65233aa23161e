/* lib/push.h - push names of the cache to registries (oci-put(1),
 * doc/linuxkit-compat.md §10.2 to §10.4)
 *
 * pusher_load() picks the image or index a cache name points at;
 * pusher_run() makes one destination tag hold it: blobs first (lib/upload,
 * mounted from another repository of the registry when one is known),
 * then child manifests, then the root under the tag, then with arch tags
 * TAG-ARCH for each platform image of an index. The registry is asked
 * first, so what it already has is not sent again.
 *
 * The plan and the arch-tag choice read only the cache and are public
 * for the unit tests.
 */
#ifndef PUSH_H
#define PUSH_H

#include <jansson.h>

#include "http.h"
#include "layout.h"
#include "manifest.h"
#include "regpool.h"

#define PUSH_MAX_DEPTH	8	/* indexes within indexes */

struct push_opts {
	struct layout	*cache;		/* open */
	struct regpool	*pool;
	/*
	 * --mount-from: a repository of each destination's registry, or a
	 * full reference "host[:port]/repo" (used for destinations on that
	 * host; for others a warning says why nothing is mounted)
	 */
	const char	*mount_from;
	int		 arch_tags;	/* also push TAG-ARCH per platform */
	int		 no_override;	/* leave an existing tag alone */
	/* every tag the registry now holds, with its descriptor; -1 stops */
	int		(*record)(void *arg, const char *ref, const json_t *desc);
	http_log_fn	*log;		/* 0 warnings, 1 notes */
	void		*arg;		/* for record and log */
};

struct pusher;

struct pusher	*pusher_new(const struct push_opts *o);
/* the name to push (canonical); -1 "not found" when the cache lacks it */
int	pusher_load(struct pusher *p, const char *name);
/*
 * Push the loaded name to dest (canonical, with a tag; NULL: the name
 * itself). -1 with a message that does not repeat dest; "not found" when
 * a manifest is neither in the cache nor in the registry.
 */
int	pusher_run(struct pusher *p, const char *dest);
void	pusher_free(struct pusher *p);

/* What a push sends, from the cache alone. */
struct push_plan {
	json_t	*blobs;		/* descriptors of configs and layers, unique */
	json_t	*manifests;	/* child manifests to PUT, children first */
	json_t	*partial;	/* child image manifests whose blobs are not
				   all in the cache: the registry must have
				   them, or they go up like the others */
	json_t	*absent;	/* child manifests not in the cache at all:
				   the registry must have them */
};
#define PUSH_PLAN_INIT { NULL, NULL, NULL, NULL }

/* plan what root (an image or an index, parsed) needs sent */
int	push_plan(struct layout *l, const struct manifest *root,
	    struct push_plan *pl);
void	push_plan_release(struct push_plan *pl);

/*
 * The arch tags of an index (oci-put(1) --arch-tags): for each image
 * manifest entry with a real platform whose blobs are all in the cache,
 * {"tag": "TAG-ARCH", "desc": entry} appended to out. An architecture or
 * a resulting tag outside its grammar refuses the whole list (-1).
 */
int	push_arch_tags(struct layout *l, const json_t *index, const char *tag,
	    json_t *out);

/*
 * The push-time merge of a local index with the one the registry holds
 * (oci-put(1)): 1 when every local entry is already listed remotely (the
 * registry's index stands), else 0 with the merged index's bytes in out.
 */
int	push_merge_remote(const json_t *local, const json_t *remote,
	    struct buf *out);

#endif
