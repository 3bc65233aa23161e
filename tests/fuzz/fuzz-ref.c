/* tests/fuzz/fuzz-ref.c - image references (lib/ref) */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "ref.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *c, *again, *str;
	struct ref r;

	if (ref_parse(&r, s) == 0) {
		str = ref_string(&r);
		/* a parsed reference prints as one that parses to itself */
		if (!(again = ref_canonical(str, 0)) || strcmp(again, str) != 0)
			abort();
		free(again);
		free(str);
		ref_release(&r);
	}
	if ((c = ref_canonical(s, 1))) {
		/* canonical names are fixed points */
		if (!(again = ref_canonical(c, 1)) || strcmp(again, c) != 0)
			abort();
		free(again);
		free(c);
	}
	free(s);
	return 0;
}
