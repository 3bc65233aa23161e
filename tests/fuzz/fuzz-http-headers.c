/* tests/fuzz/fuzz-http-headers.c - header values a registry sends (lib/http)
 *
 * Retry-After (with a Date), and Location or Link targets resolved against
 * the request's URL, then reduced to an origin and a host:port as the
 * checks of where a token or a redirect may go do. The input is split at
 * newlines: the value, the Date, the base URL.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "http.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *f[3] = { NULL, NULL, NULL };
	char out[512], *u, *e, *p = s;
	int i;

	for (i = 0; i < 3 && p; i++) {
		f[i] = p;
		if ((p = strchr(p, '\n')))
			*p++ = '\0';
	}
	(void)http_retry_after(f[0], f[1], 1700000000);
	if ((u = http_resolve_url(f[2] ? f[2] :
	    "https://registry.example:5000/v2/a/b/tags/list?n=10", f[0]))) {
		(void)http_origin(u, out, sizeof(out));
		(void)http_hostport(u, out, sizeof(out));
		free(u);
	}
	(void)http_origin(f[0], out, sizeof(out));
	(void)http_hostport(f[0], out, sizeof(out));
	e = http_escape(f[0]);
	free(e);
	free(s);
	return 0;
}
