/* lib/dockersave.h - `docker save` tarballs of images held in the cache
 *
 * The format `docker image save` writes and `docker image load` reads:
 * manifest.json ([{Config, RepoTags, Layers}]), the config blob as
 * <hex>.json and each layer blob, as stored, as <hex>/layer.tar (docker
 * load undoes gzip and zstd itself). Entries are owned by 0:0, mode 0644
 * (directories 0755), dated at the Unix epoch, so the same images always
 * give the same bytes.
 */
#ifndef DOCKERSAVE_H
#define DOCKERSAVE_H

#include <jansson.h>

#include "layout.h"
#include "platform.h"

struct dockersave_image {
	char	*ref;		/* the reference as listed */
	char	*repo_tag;	/* "repo:tag" for RepoTags, or NULL */
	json_t	*manifest;	/* descriptor of the image manifest in the cache */
};

/*
 * Find ref in the cache: by its canonical name, else by a root entry with
 * the digest ref is pinned to. An index is narrowed to the image manifest
 * for plat. -1 with a message (which leaves naming ref to the caller),
 * kind "not found" when the image, the platform or one of its blobs is
 * not in the cache.
 */
int	dockersave_resolve(struct layout *l, const char *ref,
	    const struct platform *plat, struct dockersave_image *img);
void	dockersave_image_release(struct dockersave_image *img);

/* Write one tarball holding the n images to fd. */
int	dockersave_write(struct layout *l, const struct dockersave_image *imgs,
	    size_t n, int fd);

#endif
