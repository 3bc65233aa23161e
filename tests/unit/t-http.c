/* tests/unit/t-http.c - origins, target checks, retry arithmetic */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "tap.h"

static void
origin(const char *url, const char *want)
{
	char out[256];

	if (http_origin(url, out, sizeof(out)) == -1)
		strcpy(out, "(error)");
	is(out, want, "origin of %s", url);
}

static void
target(struct http *h, const char *reg, const char *t, int want)
{
	ok((http_target_ok(h, reg, t) == 0) == want, "%s %s for %s",
	    want ? "allows" : "refuses", t, reg);
}

int
main(void)
{
	static const char *insecure[] = { "registry.test:5000", "other.test",
	    NULL };
	struct http_opts o = { .tool = "t-http", .insecure = insecure };
	struct http *h = http_new(&o);
	char *s;
	long ms;
	int k, inrange;

	origin("https://Reg.Example.COM:443/v2/", "https://reg.example.com");
	origin("http://reg:80/x", "http://reg");
	origin("https://reg:5000/v2/x?y", "https://reg:5000");
	origin("http://[::1]:5000/v2/", "http://[::1]:5000");
	origin("not a url", "(error)");

	s = http_resolve_url("http://127.0.0.1:5000/v2/a/blobs/x",
	    "/v2/a/blobs/uploads/123?_state=z");
	is(s, "http://127.0.0.1:5000/v2/a/blobs/uploads/123?_state=z",
	    "relative location resolved against the request");
	free(s);
	s = http_resolve_url("http://a/v2/x", "https://cdn.example/b?sig=1");
	is(s, "https://cdn.example/b?sig=1", "absolute location kept");
	free(s);

	ok(http_plain_allowed(h, "127.0.0.1:5000"), "127.0.0.1 may use http");
	ok(http_plain_allowed(h, "127.3.4.5"), "127/8 may use http");
	ok(http_plain_allowed(h, "localhost:5000"), "localhost may use http");
	ok(http_plain_allowed(h, "[::1]:5000"), "::1 may use http");
	ok(!http_plain_allowed(h, "10.0.0.1:5000"), "RFC 1918 may not");
	ok(!http_plain_allowed(h, "reg.local"), ".local may not");
	ok(http_plain_allowed(h, "registry.test:5000"), "--insecure host:port");
	ok(!http_plain_allowed(h, "registry.test:5001"), "other port refused");
	ok(http_plain_allowed(h, "other.test:1234"), "--insecure host, any port");
	ok(http_is_insecure(h, "other.test"), "insecure without port");

	target(h, "https://reg.example/v2/", "https://auth.example/token", 1);
	target(h, "https://reg.example/v2/", "http://auth.example/token", 0);
	target(h, "https://reg.example/v2/", "http://169.254.169.254/", 0);
	target(h, "https://reg.example/v2/", "https://127.0.0.1/token", 0);
	target(h, "https://reg.example/v2/", "https://10.1.2.3/token", 0);
	target(h, "https://reg.example/v2/", "ftp://reg.example/x", 0);
	target(h, "http://127.0.0.1:5000/v2/", "http://127.0.0.2:6000/cdn", 1);
	target(h, "http://127.0.0.1:5000/v2/", "http://localhost:6000/t", 1);
	target(h, "http://127.0.0.1:5000/v2/", "http://10.0.0.1/t", 0);
	target(h, "http://10.0.0.1:5000/v2/", "http://10.0.0.2/t", 1);
	target(h, "http://127.0.0.1:5000/v2/", "http://0.0.0.0:5000/t", 0);
	target(h, "https://[::1]:5000/v2/", "https://[fe80::1]/t", 0);

	ok(http_status_retried(429) && http_status_retried(503) &&
	    http_status_retried(408) && http_status_retried(522),
	    "408, 429, 503 and 522 are retried");
	ok(!http_status_retried(404) && !http_status_retried(401) &&
	    !http_status_retried(403) && !http_status_retried(501),
	    "404, 401, 403 and 501 are not");

	inrange = 1;
	for (k = 1; k <= 4; k++) {
		long d = 500L << (k - 1);
		int i;

		for (i = 0; i < 50; i++) {
			ms = http_backoff_ms(k);
			if (ms < d / 2 || ms > d)
				inrange = 0;
		}
	}
	ok(inrange, "backoff k is in [d/2, d], d = 0.5 s * 2^(k-1)");
	ok(http_backoff_ms(12) <= 30000, "backoff capped at 30 s");

	is_int(http_retry_after("7", NULL, 0), 7, "Retry-After seconds");
	is_int(http_retry_after("Wed, 21 Oct 2015 07:28:30 GMT",
	    "Wed, 21 Oct 2015 07:28:00 GMT", 0), 30,
	    "Retry-After date against the response Date");
	is_int(http_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", NULL,
	    (time_t)1445412500), 10, "Retry-After date against now");
	is_int(http_retry_after("soon", NULL, 0), -1, "bad Retry-After");

	s = http_escape("repository:a/b:pull,push");
	is(s, "repository%3Aa%2Fb%3Apull%2Cpush", "query escaping");
	free(s);

	http_free(h);
	return tap_done();
}
