/* lib/jsonio.h - strict JSON in, deterministic JSON out, typed getters
 *
 * Fetched or imported bytes are kept as they are and hashed as they are;
 * jansson's tree is only for reading them. Documents the tools create are
 * dumped once with jsonio_dump() and hashed from exactly those bytes.
 */
#ifndef JSONIO_H
#define JSONIO_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "xalloc.h"

/* The 8 MiB cap on manifests, indexes and other metadata read in memory. */
#define JSONIO_MAX_DOC	(8u << 20)

/*
 * Parse len bytes strictly: duplicate keys, NUL bytes, trailing data and
 * invalid UTF-8 are errors. `what` names the input in the message, which
 * reads "what:LINE:COL: text". NULL with errno EINVAL on failure.
 */
json_t	*jsonio_parse(const void *buf, size_t len, const char *what);
/* read a whole file (at most JSONIO_MAX_DOC bytes) and parse it */
json_t	*jsonio_load_path(const char *path);
/* compact, keys in insertion order; appends to out */
void	 jsonio_dump(const json_t *j, struct buf *out);

/* object members of one type, or NULL / -1 when absent or of another type */
const char *jsonio_str(const json_t *obj, const char *key);
json_t	*jsonio_obj(const json_t *obj, const char *key);
json_t	*jsonio_arr(const json_t *obj, const char *key);
int64_t	 jsonio_int(const json_t *obj, const char *key);

#endif
