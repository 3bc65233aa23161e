/* tests/fuzz/fuzz-records.c - records on stdin (record_read, lib/json) */
#include <stdio.h>
#include <stdlib.h>

#include "fuzz.h"
#include "json.h"

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
		json_decref(rec);
	}
	if (r == -1 && rec)
		abort();
	fclose(f);
	return 0;
}
