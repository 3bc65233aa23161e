/* tests/unit/t-buildyml.c - strict build.yml decoding, path cleaning */
#include <stdlib.h>
#include <string.h>

#include "buildyml.h"
#include "err.h"
#include "tap.h"

static void
clean(const char *in, const char *want)
{
	char *got = buildyml_clean_path(in);

	is(got, want, "clean '%s'", in);
	free(got);
}

static int
parse(struct buildyml *b, const char *text)
{
	return buildyml_parse(b, "b.yml", text, strlen(text));
}

/* the text must fail with a message containing want */
static void
bad(const char *text, const char *want)
{
	struct buildyml b;
	int rc = parse(&b, text);

	ok(rc == -1 && strstr(err_msg(), want) != NULL, "rejected: %s",
	    want);
	if (rc == -1 && !strstr(err_msg(), want))
		diag("message: %s", err_msg());
	if (rc == 0)
		buildyml_release(&b);
}

static void
config(const char *text, const char *want)
{
	struct buildyml b;

	if (parse(&b, text) == -1) {
		ok(0, "config %s", want);
		diag("%s", err_msg());
		return;
	}
	is(b.config, want, "config label");
	buildyml_release(&b);
}

int
main(void)
{
	struct buildyml b;

	clean("", ".");
	clean("/", "/");
	clean("a//b/./c/", "a/b/c");
	clean("/a/../..", "/");
	clean("../a/../../b", "../../b");
	clean("a/..", ".");
	clean("/foo/", "/foo");
	{
		char *j = buildyml_join_path("/p", "/abs/alt.yml");

		is(j, "/p/abs/alt.yml", "join keeps an absolute second part");
		free(j);
	}

	ok(parse(&b, "image: p\n") == 0, "minimal file");
	is(b.org, "linuxkit", "default org");
	is(b.dockerfile, "Dockerfile", "default dockerfile");
	is(b.gitrepo, "https://github.com/linuxkit/linuxkit", "default gitrepo");
	is_int(b.arches.n, 3, "three default arches");
	is(b.arches.v[2], "riscv64", "riscv64 is a default arch");
	ok(b.config == NULL, "no config label");
	buildyml_release(&b);

	ok(parse(&b, "image: p\narches: [arm64]\nnetwork: ON\n"
	    "disable-cache: n\norg: ~\nbuildArgs: [A=1]\n") == 0, "values");
	is_int(b.arches.n, 1, "a list replaces the default");
	is_int(b.network, 1, "ON is true");
	is_int(b.disable_cache, 0, "n is false");
	is(b.org, "linuxkit", "null keeps the default");
	is(b.build_args.v[0], "A=1", "build args");
	buildyml_release(&b);

	bad("image: p\nunknownField: abc\n", "b.yml:2: field unknownField");
	bad("image: p\nimage: q\n", "already defined at line 1");
	bad("", "no YAML document");
	bad("- image: p\n", "must be a mapping");
	bad("image: p\narches: amd64\n", "arches");
	bad("image: p\nnetwork: \"true\"\n", "network");
	bad("org: x\n", "image field is required");
	bad("image: p\nconfig: {bogus: 1}\n", "bogus");
	bad("image: p\nconfig: {resources: {memory: {limit: x}}}\n", "limit");
	bad("image: p\nconfig: {mounts: [{destination: /a, nope: 1}]}\n",
	    "nope");
	bad("image: [a]\n", "image");

	config("image: p\nconfig:\n  pid: host\n  binds: [/var/log:/var/log]\n"
	    "  capabilities: [CAP_SYS_NICE]\n",
	    "{\"capabilities\":[\"CAP_SYS_NICE\"],\"binds\":[\"/var/log:/var/log\"],"
	    "\"pid\":\"host\"}");
	config("image: p\nconfig:\n  readonly: false\n  cwd: \"\"\n",
	    "{\"readonly\":false}");
	config("image: p\nconfig:\n  env: [\"A=<&>\"]\n",
	    "{\"env\":[\"A=\\u003c\\u0026\\u003e\"]}");
	config("image: p\nconfig:\n  env: [\"a\\eb\\tc\\\\u\"]\n",
	    "{\"env\":[\"a\\u001bb\\tc\\\\u\"]}");
	config("image: p\nconfig:\n  uid: 1\n  gid: \"2\"\n"
	    "  additionalGids: [3, x]\n",
	    "{\"uid\":1,\"gid\":\"2\",\"additionalGids\":[3,\"x\"]}");
	config("image: p\nconfig:\n  sysctl: {b: \"1\", a: \"2\"}\n",
	    "{\"sysctl\":{\"a\":\"2\",\"b\":\"1\"}}");
	config("image: p\nconfig:\n  runtime: {}\n",
	    "{\"runtime\":{\"bindNS\":{}}}");
	config("image: p\nconfig:\n  capabilities: null\n", "{}");
	config("image: p\nconfig:\n  mounts:\n"
	    "    - &m {destination: /a, type: bind}\n"
	    "    - <<: *m\n      destination: /b\n",
	    "{\"mounts\":[{\"destination\":\"/a\",\"type\":\"bind\"},"
	    "{\"destination\":\"/b\",\"type\":\"bind\"}]}");
	bad("image: p\nconfig:\n  mounts:\n    - &m {destination: /a}\n"
	    "    - <<: *m\n      bogus: 1\n", "bogus");
	bad("image: p\nconfig:\n  sysctl:\n    <<: {a: b}\n", "merge keys");
	return tap_done();
}
