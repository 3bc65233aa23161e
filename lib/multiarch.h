/* lib/multiarch.h - LinuxKit's multi-arch index rules (doc/linuxkit-compat.md)
 *
 * The merges run on arrays of descriptors (an index's "manifests") and
 * return new arrays; descriptors are copied whole, unknown fields
 * included. multiarch_dump() serialises an index the way LinuxKit does, so
 * the same descriptors give the same bytes, and the same digest, in both.
 */
#ifndef MULTIARCH_H
#define MULTIARCH_H

#include <stdio.h>
#include <jansson.h>

#include "http.h"
#include "layout.h"
#include "regpool.h"
#include "xalloc.h"

#define ANNOT_REF_DIGEST	"vnd.docker.reference.digest"
#define ANNOT_REF_TYPE		"vnd.docker.reference.type"

/*
 * "os/arch[/variant][@os.version]" of a descriptor with a real platform,
 * normalised, into out; 0 when it has none (attestations, no platform).
 */
int	multiarch_key(const json_t *desc, char *out, size_t n);

/*
 * The index write (doc/linuxkit-compat.md §9.7): existing entries stay
 * in place, an entry with the platform of a new descriptor is replaced by
 * it (the last new one of a platform wins), new platforms are appended in
 * input order, then new entries without a platform; duplicates by digest
 * and attestations of manifests no longer listed are dropped. existing
 * may be NULL. Linear in the number of entries.
 */
json_t	*multiarch_merge(const json_t *existing, const json_t *adds);

/*
 * The push-time merge with the registry's index (doc/linuxkit-compat.md
 * §10.2), local first. Returns NULL and sets *unchanged when every local entry is already in
 * the remote index: the remote index stands as it is.
 */
json_t	*multiarch_merge_remote(const json_t *local, const json_t *remote,
	    int *unchanged);

/* drop duplicates by digest (first kept) and dangling attestations */
void	multiarch_tidy(json_t *manifests);

/*
 * An OCI image index of these descriptors, compact, keys in LinuxKit's
 * order (descriptor: mediaType size digest urls annotations platform
 * artifactType; platform: architecture os os.version os.features variant
 * features), annotations sorted, empty optional members left out.
 */
void	multiarch_dump(const json_t *manifests, struct buf *out);

/*
 * Collecting and writing NAME's index in the cache (oci-index-merge(1)):
 * descriptors are added from cache names, records or NAME-ARCH tags, then
 * merged into the index NAME names (and, with remote, the one the
 * registry holds), stored and named.
 */
struct multiarch_opts {
	struct layout	*cache;		/* open, writable */
	struct regpool	*pool;		/* for remote */
	const char	*name;		/* canonical, with a tag */
	int		 remote;	/* ask NAME's registry */
	http_log_fn	*log;		/* 0 warnings (a skipped arch tag) */
	void		*log_arg;
};

struct multiarch;

/* NULL with a usage error when name is not a tag */
struct multiarch *multiarch_new(const struct multiarch_opts *o);
/* what a cache name brings; "not found" when the cache lacks it */
int	multiarch_add_ref(struct multiarch *m, const char *name);
/* what each record of f brings; the message names the line */
int	multiarch_add_records(struct multiarch *m, FILE *f);
/*
 * NAME-ARCH for each of the comma-separated arches, from the cache or
 * (remote) the registry; a missing one is skipped with a warning, none
 * found is "not found".
 */
int	multiarch_add_arch_tags(struct multiarch *m, const char *arches);
/*
 * Merge, store and name the index; *root is its descriptor, named.
 * "not found" when there is nothing to index.
 */
int	multiarch_write(struct multiarch *m, json_t **root);
void	multiarch_free(struct multiarch *m);

#endif
