/* tests/unit/t-http.c - origins, targets, retries, hostile values */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"

/* nothing listens on port 1: a request that gets that far fails to connect */
#define DEAD_URL	"http://127.0.0.1:1/v2/"

/* a value with a control character never reaches the wire */
static void
refused_header(struct http *h, const char *field)
{
	struct http_req r = HTTP_REQ_INIT;

	r.method = "GET";
	http_req_set_url(&r, DEAD_URL);
	r.no_retry = 1;
	r.max_body = 1024;
	if (strcmp(field, "auth") == 0) {
		r.auth = "Bearer t\r\nX-Injected: yes";
		r.auth_origin = strdup("http://127.0.0.1:1");
	} else {
		r.accept = "application/json\nX-Injected: yes";
	}
	ok(http_do(h, &r) == -1 && strstr(r.errmsg, "control character"),
	    "a %s value with CR LF is refused before any request (%s)", field,
	    r.errmsg);
	r.auth = NULL;
	http_req_release(&r);
}

/*
 * certs.d adds a CA for a host: the base bundle is read into the same
 * blob, and a bundle that cannot be read fails the request instead of
 * silently dropping the system's CAs.
 */
static void
unreadable_bundle(void)
{
	char dir[] = "/tmp/t-http.XXXXXX", path[512], cmd[600];
	struct http_opts o = { .tool = "t-http" };
	struct http_req r = HTTP_REQ_INIT;
	struct http *h;
	FILE *f;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/containers/certs.d/127.0.0.1:1", dir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", path);
	if (system(cmd) != 0)
		diag("cannot make %s", path);
	strncat(path, "/ca.crt", sizeof(path) - strlen(path) - 1);
	if ((f = fopen(path, "w")) != NULL) {
		fputs("-----BEGIN CERTIFICATE-----\n", f);
		fclose(f);
	}
	setenv("XDG_CONFIG_HOME", dir, 1);
	setenv("CURL_CA_BUNDLE", "/nonexistent/ca-bundle.crt", 1);
	h = http_new(&o);
	r.method = "GET";
	http_req_set_url(&r, "https://127.0.0.1:1/v2/");
	r.no_retry = 1;
	r.max_body = 1024;
	ok(http_do(h, &r) == -1 &&
	    strstr(r.errmsg, "cannot read the CA bundle") != NULL,
	    "an unreadable CA bundle fails the request (%s)", r.errmsg);
	http_req_release(&r);
	http_free(h);
	unsetenv("CURL_CA_BUNDLE");
	unsetenv("XDG_CONFIG_HOME");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
}

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
	is_int(http_retry_after("92233720368547758", NULL, 0),
	    HTTP_RETRY_AFTER_MAX_S, "Retry-After that overflows ms: clamped");
	is_int(http_retry_after("99999999999999999999999999", NULL, 0),
	    HTTP_RETRY_AFTER_MAX_S, "Retry-After past a long: clamped");
	is_int(http_retry_after("Fri, 31 Dec 9999 23:59:59 GMT", NULL, 0),
	    HTTP_RETRY_AFTER_MAX_S, "Retry-After date in year 9999: clamped");
	is_int(http_retry_after("-5", NULL, 0), -1, "negative Retry-After");

	ok(http_header_value_ok("Bearer abc.def-_~+/=") &&
	    http_header_value_ok("a\tb"), "header values: printable and HTAB");
	ok(!http_header_value_ok("a\rb") && !http_header_value_ok("a\nb") &&
	    !http_header_value_ok("a\x01") && !http_header_value_ok("a\x7f"),
	    "header values: CR, LF, other controls and DEL refused");
	s = http_resolve_url("http://a/v2/x", "/v2/y\r\nX-Injected: yes");
	ok(s == NULL, "a Location with CR LF does not resolve");
	free(s);
	s = http_resolve_url("http://a/v2/x", "/v2/y\x01z");
	ok(s == NULL, "a Location with a control character does not resolve");
	free(s);
	refused_header(h, "auth");
	refused_header(h, "accept");
	unreadable_bundle();

	s = http_escape("repository:a/b:pull,push");
	is(s, "repository%3Aa%2Fb%3Apull%2Cpush", "query escaping");
	free(s);

	http_free(h);
	return tap_done();
}
