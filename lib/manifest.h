/* lib/manifest.h - media types, manifest checks, and the blobs they name */
#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <jansson.h>

#define MT_OCI_INDEX		"application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST		"application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG		"application/vnd.oci.image.config.v1+json"
#define MT_OCI_LAYER		"application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP	"application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD	"application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_DOCKER_LIST		"application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG	"application/vnd.docker.container.image.v1+json"
#define MT_DOCKER_LAYER		"application/vnd.docker.image.rootfs.diff.tar"
#define MT_DOCKER_LAYER_GZIP	"application/vnd.docker.image.rootfs.diff.tar.gzip"
#define MT_SCHEMA1		"application/vnd.docker.distribution.manifest.v1+json"
#define MT_SCHEMA1_SIGNED	"application/vnd.docker.distribution.manifest.v1+prettyjws"

/* The Accept list for every manifest request (doc/registry-client.md §3.3). */
#define MANIFEST_ACCEPT \
	MT_OCI_INDEX ", " MT_OCI_MANIFEST ", " MT_DOCKER_LIST ", " \
	MT_DOCKER_MANIFEST ", " MT_SCHEMA1_SIGNED ", " MT_SCHEMA1

enum mt_kind {
	MT_KIND_OTHER,		/* config, layer, artifact: an ordinary blob */
	MT_KIND_INDEX,		/* OCI index or Docker manifest list */
	MT_KIND_MANIFEST,	/* OCI or Docker v2 schema2 image manifest */
	MT_KIND_SCHEMA1		/* refused */
};

/* the kind of a media type; parameters (";charset=...") are ignored */
enum mt_kind	manifest_kind(const char *media_type);

struct manifest {
	json_t		*json;		/* the parsed document (owned) */
	enum mt_kind	 kind;		/* MT_KIND_INDEX or MT_KIND_MANIFEST */
	const char	*media_type;	/* effective type, points into json or static */
};
#define MANIFEST_INIT { NULL, MT_KIND_OTHER, NULL }

/*
 * Parse and check a manifest or index (doc/registry-client.md §6.2): strict
 * JSON of at most JSONIO_MAX_DOC bytes, schemaVersion 2, one shape only,
 * valid child descriptors, schema1 refused. header_type (Content-Type) and
 * desc_type (the parent descriptor's mediaType) may be NULL; when given
 * they must agree with the body. `what` names the document in messages.
 */
int	manifest_parse(struct manifest *m, const void *buf, size_t len,
	    const char *header_type, const char *desc_type, const char *what);
void	manifest_release(struct manifest *m);

/*
 * The descriptors a document names: an index's manifests, or a manifest's
 * config then layers. A borrowed array of the child descriptors that is
 * valid while m is; the caller json_decref()s it.
 */
json_t	*manifest_children(const struct manifest *m);

#endif
