/* lib/flatten.h - an image's root filesystem as one tar, from its layers
 *
 * The layers of an image manifest in the cache are applied in order, as
 * a container runtime would, and the result is written as a tar stream:
 * a path from an upper layer hides the same path below it, a whiteout
 * (.wh.NAME) deletes NAME from the layers below, an opaque marker
 * (.wh..wh..opq) empties its directory of everything below. Symlinks and
 * hard links are kept as links. No entry name escapes the root: names
 * are cleaned, and one that climbs out with ".." fails the export.
 *
 * Layers are read top first, each twice (once to find the last copy of
 * each path, once to write), so memory grows with the number of paths and
 * the bytes of their names, never with the data; every layer is verified
 * against its digest as it streams (lib/blobread.h). Names are bytes. A
 * path under a lower layer's symlink is refused, not resolved
 * (man/oci-export.1).
 */
#ifndef FLATTEN_H
#define FLATTEN_H

#include <jansson.h>

#include "layout.h"

/* the most paths an image may hold; a bound on the memory of one export */
#define FLATTEN_MAX_PATHS	(4u << 20)
/* the most layers an image may have */
#define FLATTEN_MAX_LAYERS	1024

/*
 * Write the root filesystem of the image manifest desc (a descriptor in
 * the cache) to fd; what names the image in messages.
 */
int	flatten_write(struct layout *l, const json_t *desc, const char *what,
	    int fd);

#endif
