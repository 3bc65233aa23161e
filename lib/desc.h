/* lib/desc.h - OCI descriptors (image-spec descriptor.md)
 *
 * mediaType, digest and size are checked; every other member (platform,
 * annotations, urls, artifactType) is kept as given.
 */
#ifndef DESC_H
#define DESC_H

#include <stdint.h>
#include <jansson.h>

/* 0 if d has a string mediaType, a valid digest and a size >= 0 */
int	 desc_check(const json_t *d, const char *what);
const char *desc_media_type(const json_t *d);
const char *desc_digest(const json_t *d);
int64_t	 desc_size(const json_t *d);
json_t	*desc_new(const char *media_type, const char *digest, int64_t size);
/* annotations[key], or NULL */
const char *desc_annotation(const json_t *d, const char *key);
/* set annotations[key] = value, creating the object */
void	 desc_annotate(json_t *d, const char *key, const char *value);

#endif
