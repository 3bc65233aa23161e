/* tests/unit/t-platform.c - parse, normalise, match, JSON */
#include <stdlib.h>
#include <string.h>

#include <errno.h>

#include "err.h"
#include "jsonio.h"
#include "platform.h"
#include "tap.h"

static void
norm(const char *in, const char *want)
{
	struct platform p;
	char s[128] = "";

	if (platform_parse(&p, in) == 0)
		platform_format(&p, s, sizeof(s));
	is(s, want, "normalise '%s'", in);
}

static int
match(const char *want, const char *have)
{
	struct platform w, h;

	platform_parse(&w, want);
	platform_parse(&h, have);
	return platform_match(&w, &h);
}

static int
from(const char *json)
{
	struct platform p;
	json_t *j = json_loads(json, 0, NULL);
	int rc;

	rc = j ? platform_from_json(&p, j) : -2;
	json_decref(j);
	return rc;
}

/* the field grammar and where it is applied */
static void
grammar(void)
{
	static const char *good[] = { "linux", "amd64", "v7", "x86_64",
	    "riscv64", "unknown", "ppc64le", "mips64.le", "a-b",
	    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abc" };
	static const char *bad[] = { "", "/../../../prod/manifests/pwned",
	    "..", ".", "-x", "_x", ".x", "a/b", "AMD64", "amd 64", "amd64\n",
	    "caf\xc3\xa9", "a:b", "a@b",
	    "abcdefghij0123456789abcdefghij0123456789abcdefghij0123456789abcd" };
	struct platform p;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(*good); i++)
		ok(platform_field_valid(good[i]), "field '%s' valid", good[i]);
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ok(!platform_field_valid(bad[i]) && errno == EINVAL,
		    "field '%.20s' refused", bad[i]);
	ok(!platform_field_valid(NULL), "NULL field refused");
	ok(platform_parse(&p, "linux/../../x") == -1, "'..' as arch refused");
	ok(platform_parse(&p, "linux/amd64/.") == -1, "'.' as variant refused");
	ok(platform_parse(&p, "linux/abcdefghij0123456789abcdefghij0123456789"
	    "abcdefghij0123456789abc") == 0 && strlen(p.arch) == 63,
	    "a 63-byte arch is kept whole, not cut");
	ok(from("{\"os\":\"linux\",\"architecture\":"
	    "\"/../../../prod/manifests/pwned\"}") == -1 &&
	    strstr(err_msg(), "architecture"), "path in architecture refused");
	ok(from("{\"os\":\"linux\",\"architecture\":\"amd64\","
	    "\"variant\":\"../x\"}") == -1, "path in variant refused");
	ok(from("{\"os\":\"../linux\",\"architecture\":\"amd64\"}") == -1,
	    "path in os refused");
	ok(from("{\"os\":\"linux\",\"architecture\":\"amd64\","
	    "\"variant\":7}") == -1, "variant of another type refused");
	ok(from("{\"os\":\"linux\",\"architecture\":\"amd64\","
	    "\"os.version\":\"1\\u001b[2J\"}") == -1,
	    "control character in os.version refused");
	ok(from("{\"os\":\"linux\",\"architecture\":\"amd64\","
	    "\"variant\":\"\"}") == 0, "empty variant is none");
	ok(from("{\"os\":\"linux\",\"architecture\":\"abcdefghij0123456789"
	    "abcdefghij0123456789abcdefghij0123456789\"}") == 0,
	    "40-byte arch accepted");
	ok(from("[]") == -1, "platform that is not an object refused");
}

int
main(void)
{
	struct platform p, host;
	json_t *j;
	char *s;

	norm("linux/amd64", "linux/amd64");
	norm("linux/x86_64", "linux/amd64");
	norm("linux/aarch64", "linux/arm64");
	norm("linux/arm64/v8", "linux/arm64");
	norm("linux/arm", "linux/arm/v7");
	norm("linux/armhf", "linux/arm/v7");
	norm("linux/armel", "linux/arm/v6");
	norm("linux/arm/v6", "linux/arm/v6");
	norm("linux/riscv64", "linux/riscv64");
	ok(platform_parse(&p, "linux") == -1, "os alone refused");
	ok(platform_parse(&p, "linux/") == -1, "empty arch refused");
	ok(platform_parse(&p, "/amd64") == -1, "empty os refused");
	ok(platform_parse(&p, "linux/amd64/v1/x") == -1, "four parts refused");
	ok(platform_parse(&p, "Linux/AMD64") == -1, "upper case refused");

	ok(match("linux/amd64", "linux/amd64") == 100, "exact match");
	ok(match("linux/amd64", "linux/arm64") == 0, "other arch");
	ok(match("linux/arm64", "linux/arm64/v8") == 100, "arm64 = arm64/v8");
	ok(match("linux/arm/v7", "linux/arm/v6") > 0, "v7 runs v6");
	ok(match("linux/arm/v6", "linux/arm/v7") == 0, "v6 does not run v7");
	ok(match("linux/arm/v7", "linux/arm/v7") > match("linux/arm/v7",
	    "linux/arm/v6"), "exact variant wins");
	ok(match("windows/amd64", "linux/amd64") == 0, "other os");

	platform_host(&host);
	ok(strcmp(host.os, "linux") == 0 && host.arch[0], "host platform %s/%s",
	    host.os, host.arch);

	j = json_pack("{s:s, s:s, s:s}", "os", "linux", "architecture", "arm64",
	    "variant", "v8");
	ok(platform_from_json(&p, j) == 0 && !strcmp(p.arch, "arm64") &&
	    !p.variant[0], "from JSON, normalised");
	json_decref(j);
	platform_parse(&p, "linux/arm/v6");
	j = platform_to_json(&p);
	s = json_dumps(j, JSON_COMPACT);
	is(s, "{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v6\"}",
	    "to JSON in LinuxKit's key order");
	free(s);
	ok(platform_is_real(j), "linux/arm is real");
	json_decref(j);
	j = json_pack("{s:s, s:s}", "os", "unknown", "architecture", "unknown");
	ok(!platform_is_real(j), "unknown/unknown is not real");
	json_decref(j);
	ok(!platform_is_real(NULL), "no platform is not real");
	grammar();
	return tap_done();
}
