/* lib/upload.h - blob and manifest uploads (doc/registry-client.md §7)
 *
 * Blobs go up in parallel through the registry's curl multi handle, each
 * as a small state machine: HEAD (the registry has it: done), then POST
 * (a cross-repository mount when a source repository is known: done on
 * 201), then a monolithic PUT for small blobs, or one streaming PATCH and
 * a closing PUT for large ones. A failed upload starts a new session, a
 * few times. Manifests go up one by one, children before their index.
 */
#ifndef UPLOAD_H
#define UPLOAD_H

#include <stdint.h>

#include "layout.h"
#include "registry.h"

/* blobs larger than this are streamed with PATCH, then closed with PUT */
#define UPLOAD_MONOLITHIC_MAX	(8 << 20)

struct uploads;

struct upload_stats {
	unsigned	uploaded, mounted, present;
	int64_t		bytes;		/* uploaded */
};

struct uploads	*upload_new(struct registry *r, struct layout *l);
/*
 * Queue a blob of the cache for repo. mount_from, when not NULL, is a
 * repository of the same registry to mount it from first.
 */
int	upload_add(struct uploads *p, const char *repo,
	    const char *digest, int64_t size, const char *mount_from);
/* upload every queued blob; 0 when all are in the registry */
int	upload_run(struct uploads *p, struct upload_stats *st);
void	upload_free(struct uploads *p);

/*
 * PUT a manifest under ref (a tag or its digest) with its media type. A
 * well-formed Docker-Content-Digest in the answer must equal digest.
 */
int	upload_manifest(struct registry *r, const char *repo,
	    const char *ref, const char *media_type, const void *body,
	    size_t len, const char *digest);

#endif
