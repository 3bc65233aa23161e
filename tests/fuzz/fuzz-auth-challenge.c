/* tests/fuzz/fuzz-auth-challenge.c - WWW-Authenticate values (lib/auth) */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct auth_challenge *cs = NULL;
	const struct auth_challenge *c;
	size_t n = 0, i, k;

	/* a server sends several header lines: split the input at newlines */
	for (char *line = s, *nl; line; line = nl) {
		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		auth_parse_challenges(line, &cs, &n);
	}
	for (i = 0; i < n; i++) {
		if (!cs[i].scheme)
			abort();
		for (k = 0; k < cs[i].n_params; k++)
			if (!cs[i].params[k].name || !cs[i].params[k].value ||
			    auth_param(&cs[i], cs[i].params[k].name) == NULL)
				abort();
	}
	if ((c = auth_pick(cs, n)))
		(void)auth_param(c, "realm");
	auth_challenges_free(cs, n);
	free(s);
	return 0;
}
