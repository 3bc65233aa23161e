/* tests/unit/t-registry.c - API hosts and the status-to-error mapping */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "registry.h"
#include "tap.h"

static int
status(long st, const char *body)
{
	static const long ok[] = { 200, 0 };
	struct http_req q = HTTP_REQ_INIT;
	int rc;

	q.status = st;
	if (body != NULL)
		buf_adds(&q.body, body);
	errno = 0;
	rc = registry_status(&q, ok, "manifest 'x'");
	buf_release(&q.body);
	return rc == 0 ? 0 : errno;
}

int
main(void)
{
	is(registry_api_host("docker.io"), "registry-1.docker.io",
	    "docker.io is served by registry-1.docker.io");
	is(registry_api_host("index.docker.io"), "registry-1.docker.io",
	    "so is index.docker.io");
	is(registry_api_host("ghcr.io"), "ghcr.io", "other hosts as written");
	is(registry_api_host("localhost:5000"), "localhost:5000", "with ports");

	is_int(status(200, NULL), 0, "200 is success");
	is_int(status(404, "{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\","
	    "\"message\":\"manifest unknown\"}]}"), ENOENT,
	    "404 MANIFEST_UNKNOWN is not found");
	is_int(status(404, "{\"errors\":[{\"code\":\"NAME_UNKNOWN\"}]}"),
	    ENOENT, "404 NAME_UNKNOWN is not found");
	is_int(status(404, NULL), ENOENT, "404 without a body is not found");
	is_int(status(404, "<html>nginx</html>"), EIO,
	    "404 with another body is a failure");
	is_int(status(401, "{\"errors\":[{\"code\":\"UNAUTHORIZED\","
	    "\"message\":\"authentication required\"}]}"), EACCES,
	    "401 is an access error");
	ok(strstr(err_msg(), "UNAUTHORIZED: authentication required") != NULL,
	    "the registry's code and message are shown");
	is_int(status(403, NULL), EACCES, "403 is an access error");
	is_int(status(500, "oops\x01"), EIO, "500 is a failure");
	ok(strstr(err_msg(), "status 500: oops\\x01") != NULL,
	    "other bodies: status and an escaped excerpt");
	return tap_done();
}
