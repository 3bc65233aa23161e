/* lib/import.h - an OCI layout tar or a docker save tarball into the cache
 *
 * All or nothing: every blob is staged (unnamed, see layout.h) and checked
 * against its name; index.json or manifest.json is applied only after the
 * whole stream was read and every blob it reaches is present and verified.
 * Only then do blobs appear in blobs/ and names in index.json. A failure
 * leaves the cache as it was; a killed import leaves no partial blob.
 */
#ifndef IMPORT_H
#define IMPORT_H

#include <stdint.h>
#include <jansson.h>

#include "layout.h"

struct import_root {
	json_t	*desc;	/* the root descriptor as stored (name annotation included) */
	char	*name;	/* canonical name, or NULL for an unnamed image */
};

struct import_result {
	struct import_root	*roots;
	size_t			 nroots;
	unsigned		 stored;	/* blobs written to the cache */
	unsigned		 present;	/* blobs the cache already had */
	int64_t			 bytes;		/* bytes written to the cache */
};
#define IMPORT_RESULT_INIT { NULL, 0, 0, 0, 0 }

/*
 * Import the tar read from fd (plain or compressed); what names it in
 * messages. ref, when not NULL, is the canonical name for the one image
 * the tar must hold. On success res lists one root per (image, name), in
 * the tar's order; unnamed images appear once with name NULL.
 */
int	import_tar(struct layout *l, int fd, const char *what, const char *ref,
	    struct import_result *res);
void	import_result_release(struct import_result *res);

#endif
