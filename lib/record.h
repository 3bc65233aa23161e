/* lib/record.h - the records tools exchange on pipes
 *
 * One descriptor per line with "ref" added first (ocikit(7), RECORDS).
 */
#ifndef RECORD_H
#define RECORD_H

#include <stdio.h>
#include <jansson.h>

/* the longest record line read; a descriptor is a few hundred bytes */
#define RECORD_MAX	(1u << 20)

/*
 * Records (doc/architecture.md §3): one descriptor per line on stdout with
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
