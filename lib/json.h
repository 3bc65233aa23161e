/* lib/json.h - strict JSON in, deterministic JSON out, descriptors, records
 *
 * Fetched or imported bytes are kept as they are and hashed as they are;
 * jansson's tree is only for reading them. Documents the tools create are
 * dumped once with json_dump_buf() and hashed from exactly those bytes.
 */
#ifndef JSON_H
#define JSON_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "xalloc.h"

/* The 8 MiB cap on manifests, indexes and other metadata read in memory. */
#define JSON_MAX_DOC	(8u << 20)

/*
 * Parse len bytes strictly: duplicate keys, NUL bytes, trailing data and
 * invalid UTF-8 are errors. `what` names the input in the message, which
 * reads "what:LINE:COL: text". NULL with errno EINVAL on failure.
 */
json_t	*json_parse(const void *buf, size_t len, const char *what);
/* read a whole file (at most JSON_MAX_DOC bytes) and parse it */
json_t	*json_load_path(const char *path);
/* compact, keys in insertion order; appends to out */
void	 json_dump_buf(const json_t *j, struct buf *out);

/* object members of one type, or NULL / -1 when absent or of another type */
const char *json_str(const json_t *obj, const char *key);
json_t	*json_obj(const json_t *obj, const char *key);
json_t	*json_arr(const json_t *obj, const char *key);
int64_t	 json_int(const json_t *obj, const char *key);

/*
 * Descriptors (OCI image-spec): mediaType, digest, size, and any other
 * member (platform, annotations, urls, artifactType) kept as given.
 */
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

/*
 * Records (ARCHITECTURE.md §3): one descriptor per line on stdout with
 * "ref" added first. Each is written with one call and flushed when the
 * stream is not a regular file, so a pipe sees records as they happen.
 * ref may be NULL (an unnamed image).
 */
int	 record_write(FILE *f, const char *ref, const json_t *desc);
/*
 * Read the next record from f: 1 and *rec (caller decrefs), 0 at end of
 * input, -1 on a malformed line (message names the line number).
 */
int	 record_read(FILE *f, json_t **rec, unsigned *lineno);

#endif
