/* tests/fuzz/fuzz-auth-token.c - token service replies (lib/auth) */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"
#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok;
	int64_t life;

	if (auth_token_parse((const char *)data, size, &tok, &life) == 0) {
		/* a token that can go into a header, for a bounded time */
		if (!tok || !*tok || !http_header_value_ok(tok) || life < 60 ||
		    life > 86400)
			abort();
		free(tok);
	} else if (tok) {
		abort();
	}
	return 0;
}
