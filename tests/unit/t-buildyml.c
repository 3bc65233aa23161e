/* tests/unit/t-buildyml.c - strict build.yml decoding, path cleaning */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buildyml.h"
#include "err.h"
#include "path.h"
#include "tap.h"
#include "xalloc.h"

static void
clean(const char *in, const char *want)
{
	char *got = path_clean(in);

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

/* seconds of CPU a parse of text takes; its result in *rc */
static double
timed(const char *text, int *rc)
{
	struct buildyml b;
	clock_t t0 = clock();

	*rc = parse(&b, text);
	if (*rc == 0)
		buildyml_release(&b);
	return (double)(clock() - t0) / CLOCKS_PER_SEC;
}

/* merge keys listing one anchor ten times per level, `levels` deep */
static char *
laughs(int levels)
{
	struct buf t = BUF_INIT;
	int i, k;

	buf_adds(&t, "<<: [");
	for (i = levels; i > 0; i--)
		buf_addf(&t, "&l%d {<<: [", i);
	buf_adds(&t, "&l0 {image: p}");
	for (i = 1; i <= levels; i++) {
		for (k = 0; k < 9; k++)
			buf_addf(&t, ", *l%d", i - 1);
		buf_adds(&t, "]}");
	}
	buf_adds(&t, "]\n");
	return buf_detach(&t, NULL);
}

/* aliases that recurse or expand: bounded, linear, refused with a line */
static void
hostile(void)
{
	struct buf t = BUF_INIT;
	char *s;
	double secs;
	int rc, i;

	alarm(60);	/* a regression hangs or recurses: fail, do not wait */
	bad("<<: &a {image: p, <<: *a}\n", "recursive alias");
	bad("image: p\nconfig: &c\n  <<: [*c]\n", "recursive alias");
	bad("image: p\nconfig:\n  mounts: &m\n  - <<: *m\n", "b.yml:3: recursive alias");
	s = laughs(10);
	ok(strlen(s) < 600, "ten levels of ten merges: %zu bytes", strlen(s));
	secs = timed(s, &rc);
	ok(rc == -1 && strstr(err_msg(), "too large once aliases are expanded"),
	    "merge bomb refused: %s", err_msg());
	ok(secs < 2, "merge bomb refused in %.3f s", secs);
	free(s);
	s = laughs(3);
	ok(timed(s, &rc) < 2 && rc == 0, "three levels (1000 merges) are fine");
	free(s);
	/* a list of 1000 mounts, each with the same list of 1000 options */
	buf_adds(&t, "image: p\nconfig:\n  mounts:\n  - &m {destination: /x, "
	    "options: [");
	for (i = 0; i < 1000; i++)
		buf_addf(&t, "%so%d", i ? ", " : "", i);
	buf_adds(&t, "]}\n");
	for (i = 1; i < 1000; i++)
		buf_adds(&t, "  - *m\n");
	secs = timed(t.data, &rc);
	ok(rc == -1 && strstr(err_msg(), "too large"), "a sequence bomb is "
	    "refused: %s", err_msg());
	ok(secs < 2, "in %.3f s", secs);
	/* nesting: every mapping counts, not only merge lists */
	buf_reset(&t);
	buf_adds(&t, "image: p\n");
	for (i = 0; i < 40; i++)
		buf_adds(&t, "<<: {");
	buf_adds(&t, "org: o");
	for (i = 0; i < 40; i++)
		buf_adds(&t, "}");
	buf_adds(&t, "\n");
	bad(t.data, "nested more than");
	/* a mapping of many keys: duplicates found in n log n */
	buf_reset(&t);
	buf_adds(&t, "image: p\nconfig:\n  sysctl:\n");
	for (i = 0; i < 60000; i++)
		buf_addf(&t, "    k%d: v\n", i);
	secs = timed(t.data, &rc);
	ok(rc == 0 && secs < 3, "60000 keys parse in %.3f s", secs);
	buf_adds(&t, "    k59998: again\n");
	bad(t.data, "mapping key \"k59998\" already defined at line 60002");
	alarm(0);
	buf_release(&t);
}

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

/* what buildyml_load() reads: only regular files inside the package */
static void
files(void)
{
	char dir[] = "/tmp/t-buildyml.XXXXXX", pkg[64], f[128], out[128];
	struct buildyml b;
	int rc;

	if (!mkdtemp(dir))
		return;
	alarm(30);
	snprintf(pkg, sizeof(pkg), "%s/pkg", dir);
	snprintf(out, sizeof(out), "%s/secret.yml", dir);
	mkdir(pkg, 0755);
	write_file(out, "image: p\nnot-a-field: SECRET-VALUE\n");
	snprintf(f, sizeof(f), "%s/build.yml", pkg);
	if (symlink(out, f) == -1)
		diag("symlink: %s", strerror(errno));
	rc = buildyml_load(&b, pkg, NULL);
	ok(rc == -1 && strstr(err_msg(), "outside the package") &&
	    !strstr(err_msg(), "SECRET"), "a build.yml linking out of the "
	    "package is not read: %s", err_msg());
	unlink(f);
	if (symlink("../secret.yml", f) == -1)
		diag("symlink: %s", strerror(errno));
	rc = buildyml_load(&b, pkg, NULL);
	ok(rc == -1 && !strstr(err_msg(), "SECRET"),
	    "nor through a relative link: %s", err_msg());
	unlink(f);
	snprintf(out, sizeof(out), "%s/real.yml", pkg);
	write_file(out, "image: p\n");
	if (symlink("real.yml", f) == -1)
		diag("symlink: %s", strerror(errno));
	rc = buildyml_load(&b, pkg, NULL);
	ok(rc == 0, "a link inside the package is followed: %s",
	    rc ? err_msg() : "");
	if (rc == 0)
		buildyml_release(&b);
	unlink(f);
	mkfifo(f, 0644);
	ok(buildyml_load(&b, pkg, NULL) == -1 && strstr(err_msg(),
	    "not a regular file"), "a FIFO build.yml fails at once: %s",
	    err_msg());
	unlink(f);
	mkdir(f, 0755);
	ok(buildyml_load(&b, pkg, NULL) == -1 && strstr(err_msg(),
	    "build.yml"), "a directory build.yml fails naming it: %s",
	    err_msg());
	rmdir(f);
	ok(buildyml_load(&b, pkg, NULL) == -1 && errno == ENOENT,
	    "a missing build.yml is ENOENT");

	/* depends from-file: not YAML, so its lines are never echoed */
	write_file(f, "image: p\ndepends:\n  docker-images:\n    from-file: "
	    "images.lst\n");
	snprintf(out, sizeof(out), "%s/images.lst", pkg);
	write_file(out, "# comment\nroot:$6$SECRET-HASH:19000:0:99999:7:::\n");
	ok(buildyml_load(&b, pkg, NULL) == -1 && strstr(err_msg(),
	    "images.lst:2") && !strstr(err_msg(), "SECRET"),
	    "a bad from-file line is named by its line, not echoed: %s",
	    err_msg());
	unlink(out);
	snprintf(f, sizeof(f), "%s/shadow", dir);
	write_file(f, "root:$6$SECRET-HASH:19000:0:99999:7:::\n");
	if (symlink(f, out) == -1)
		diag("symlink: %s", strerror(errno));
	ok(buildyml_load(&b, pkg, NULL) == -1 && strstr(err_msg(),
	    "outside the package") && !strstr(err_msg(), "SECRET"),
	    "a from-file linking out of the package is not read: %s",
	    err_msg());
	unlink(out);
	write_file(out, "# pinned\nexample.org/a/b@sha256:"
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n");
	rc = buildyml_load(&b, pkg, NULL);
	ok(rc == 0 && b.dep_images.n == 1, "a good from-file is read");
	if (rc == 0)
		buildyml_release(&b);
	alarm(0);
	snprintf(f, sizeof(f), "rm -rf %s", dir);
	if (system(f) != 0)
		diag("cannot remove %s", dir);
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
		char *j = path_join("/p", "/abs/alt.yml");

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
	hostile();
	files();
	return tap_done();
}
