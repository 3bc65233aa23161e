/* tests/fuzz/fuzz-auth-token.c - token service replies (lib/auth) */
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *tok;
	int64_t life;

	if (auth_token_parse((const char *)data, size, &tok, &life) == 0) {
		if (!tok || !*tok || life < 60 || life > AUTH_TOKEN_MAX_LIFE)
			abort();
		free(tok);
	} else if (tok) {
		abort();
	}
	return 0;
}
