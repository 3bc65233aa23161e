/* lib/export.h - one image of the cache as a tar, in three formats
 *
 * doc/linuxkit-compat.md §11: `docker` is what `docker load` reads (the
 * writer of lib/dockersave), `oci` a one-image OCI layout that oci-import
 * and `linuxkit cache import` read back under the same name, and
 * `filesystem` the image's root filesystem (lib/flatten). An index is
 * narrowed to the image for the requested platform. Every blob is
 * verified as it is copied; memory does not grow with the image's size.
 */
#ifndef EXPORT_H
#define EXPORT_H

#include "layout.h"
#include "platform.h"

enum export_format { EXPORT_DOCKER, EXPORT_OCI, EXPORT_FILESYSTEM };

struct export_opts {
	enum export_format	 format;
	struct platform		 plat;	/* which image of an index */
	const char		*name;	/* the name written; NULL: the ref's */
};

/* "docker", "oci" or "filesystem"; -1 (usage) for anything else */
int	export_parse_format(const char *s, enum export_format *f);
/* write the image ref names in l to fd; "not found" when it is absent */
int	export_image(struct layout *l, const char *ref,
	    const struct export_opts *o, int fd);

#endif
