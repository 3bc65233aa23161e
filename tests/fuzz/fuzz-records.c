/* tests/fuzz/fuzz-records.c - records on stdin (record_read, lib/json) */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "record.h"
#include "desc.h"

/* what record_write() writes, record_read() reads back the same */
static void
roundtrip(const json_t *rec)
{
	char *p = NULL;
	size_t n = 0;
	unsigned line = 0;
	json_t *again = NULL;
	FILE *f;

	/* a "ref" that is not a string is not one record_write() writes */
	if (json_object_get(rec, "ref") && !json_is_string(json_object_get(rec,
	    "ref")))
		return;
	if (!(f = open_memstream(&p, &n)) || record_write(f, json_string_value(json_object_get(rec,
	    "ref")), rec) == -1 || fclose(f) == EOF)
		abort();
	if (!(f = fmemopen(p, n, "r")) ||
	    record_read(f, &again, &line) != 1 || line != 1 ||
	    !json_equal((json_t *)rec, again))
		abort();
	fclose(f);
	json_decref(again);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f;
	json_t *rec;
	unsigned line = 0;
	int r, n;

	if (size == 0 || !(f = fmemopen((void *)data, size, "r")))
		return 0;
	/* the tools stop at the first bad record: so does this */
	for (n = 0; (r = record_read(f, &rec, &line)) == 1; n++) {
		if (!json_is_object(rec) || n > (int)size)
			abort();
		(void)desc_check(rec, "record");
		roundtrip(rec);
		json_decref(rec);
	}
	if (r == -1 && rec)
		abort();
	fclose(f);
	return 0;
}
