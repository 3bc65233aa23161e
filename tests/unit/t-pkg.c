/* tests/unit/t-pkg.c - lib/pkg: sources, tags, org, build args, labels
 *
 * Packages are made in a temporary directory, outside git (the search
 * stops there) and inside a repository made with the git command.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "err.h"
#include "gittree.h"
#include "pkg.h"
#include "tap.h"
#include "xalloc.h"

static char top[64];

static void
put(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", top, rel);
	FILE *f = fopen(p, "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0)
		diag("cannot write %s", p);
	free(p);
}

static void
mk(const char *rel)
{
	char *p = xasprintf("%s/%s", top, rel);

	mkdir(p, 0755);
	free(p);
}

/* pkg_load of top/rel; 0 or -1, *p loaded on 0 */
static int
load(struct gitcache *gc, const char *rel, const struct pkg_opts *o,
    struct pkg *p)
{
	char *dir = xasprintf("%s/%s", top, rel);
	int rc = pkg_load(p, gc, dir, o);

	free(dir);
	return rc;
}

static void
sources(void)
{
	char *src = NULL, *dst = NULL;

	ok(pkg_parse_source("/p/k", "../common:/common", &src, &dst) == 0 &&
	    !strcmp(src, "/p/common") && !strcmp(dst, "/common"),
	    "relative source joined to the package, dst cleaned");
	free(src);
	free(dst);
	ok(pkg_parse_source("/p/k", "/abs//x/../y:a/./b/", &src, &dst) == 0 &&
	    !strcmp(src, "/abs/y") && !strcmp(dst, "a/b"),
	    "absolute source and dst are cleaned");
	free(src);
	free(dst);
	ok(pkg_parse_source("/p/k", "nocolon", &src, &dst) == -1 &&
	    strstr(err_msg(), "nocolon"), "no ':' refused");
	ok(pkg_parse_source("/p/k", "a:b:c", &src, &dst) == -1,
	    "two ':' refused");
}

static void
templates(void)
{
	char *t = NULL;

	ok(pkg_render_tag("{{.Hash}}", "abc", &t) == 0 && !strcmp(t, "abc"),
	    "{{.Hash}} alone");
	free(t);
	ok(pkg_render_tag("x-{{.Hash}}-{{ .Hash }}", "h", &t) == 0 &&
	    !strcmp(t, "x-h-h"), "twice, with spaces");
	free(t);
	ok(pkg_render_tag("plain", "h", &t) == 0 && !strcmp(t, "plain"),
	    "no action");
	free(t);
	ok(pkg_render_tag("{{.Hash}}{{", "h", &t) == -1, "unclosed refused");
}

/* outside git: org precedence, hash, tag template, the tag's grammar */
static void
outside_git(struct gitcache *gc)
{
	struct pkg_opts o = PKG_OPTS_INIT;
	struct pkg p;

	mk("plain");
	put("plain/build.yml", "image: img\norg: yml\n");
	ok(load(gc, "plain", &o, &p) == 0 && !strcmp(p.ref, "yml/img:latest") &&
	    !p.in_git && !*p.hash, "outside git: org of build.yml, tag latest");
	if (p.path)
		pkg_release(&p);
	o.dev = 1;
	o.user = "me";
	ok(load(gc, "plain", &o, &p) == 0 && !strcmp(p.ref, "me/img:dev"),
	    "--dev: $USER as org, dev as hash");
	pkg_release(&p);
	o.env_org = "env";
	ok(load(gc, "plain", &o, &p) == 0 && !strcmp(p.org, "env"),
	    "LINUXKIT_PKG_ORG before --dev");
	pkg_release(&p);
	o.org = "";
	ok(load(gc, "plain", &o, &p) == 0 && !strcmp(p.org, ""),
	    "--org, even empty, before everything");
	pkg_release(&p);
	o = (struct pkg_opts)PKG_OPTS_INIT;
	o.hash = "h123";
	o.tag = "v-{{.Hash}}";
	ok(load(gc, "plain", &o, &p) == 0 && !strcmp(p.tag, "v-h123") &&
	    !strcmp(p.ref, "yml/img:v-h123"), "--hash and --tag");
	pkg_release(&p);
	o.tag = "../../prod/manifests/{{.Hash}}";
	ok(load(gc, "plain", &o, &p) == -1 && strstr(err_msg(),
	    "not a valid tag") && strstr(err_msg(), "plain"),
	    "a tag that is no tag is refused: %s", err_msg());
	o = (struct pkg_opts)PKG_OPTS_INIT;
	put("plain/build.yml", "image: img\ntag: \"a b\"\n");
	ok(load(gc, "plain", &o, &p) == -1 && strstr(err_msg(), "a b"),
	    "so is one from build.yml");
	put("plain/build.yml", "image: img\narches: [amd64, ../x]\n");
	ok(load(gc, "plain", &o, &p) == -1 && strstr(err_msg(), "arches"),
	    "an architecture that is no platform field is refused: %s",
	    err_msg());
	put("plain/build.yml", "image: img\n");
	o.hash_path = "/elsewhere";
	ok(load(gc, "plain", &o, &p) == -1 && strstr(err_msg(), "prefix"),
	    "--hash-path must be a prefix of the package");
	o = (struct pkg_opts)PKG_OPTS_INIT;
	ok(load(gc, "missing", &o, &p) == -1 && err_kind() == ERR_NOTFOUND,
	    "a missing package directory is not found");
	ok(load(gc, "plain/build.yml", &o, &p) == -1 &&
	    err_kind() == ERR_FAILURE, "a file is a failure, not not-found");
	mk("nobuild");
	ok(load(gc, "nobuild", &o, &p) == -1 && err_kind() == ERR_FAILURE,
	    "no build.yml is a failure, not not-found");
	mk("src");
	put("src/f", "x\n");
	put("plain/build.yml", "image: img\nextra-sources:\n  - ../src:/s\n");
	ok(load(gc, "plain", &o, &p) == -1 && strstr(err_msg(),
	    "not in a git repository"), "extra source outside git refused");
	put("plain/build.yml", "image: img\n");
}

static json_t *
args_of(struct gitcache *gc, const char *rel, char *const *env)
{
	struct pkg_opts o = PKG_OPTS_INIT;
	struct pkg p;
	json_t *a = NULL;

	if (load(gc, rel, &o, &p) == -1)
		return NULL;
	if (pkg_build_args(&p, gc, env, &a, NULL) == -1)
		a = NULL;
	pkg_release(&p);
	return a;
}

/* the order and the sources of build args (doc/linuxkit-compat.md §6) */
static void
build_args(struct gitcache *gc)
{
	char *env[] = { "https_proxy=http://p:3128", "no_proxy=", "X=1", NULL };
	json_t *a;
	const char *k, *want[] = { "B", "A", "https_proxy", "SOURCE",
	    "PKG_IMAGE", NULL };
	size_t i = 0;
	void *it;
	int order = 1;

	put("plain/build.yml", "image: img\norg: o\nbuildArgs:\n  - B=2\n"
	    "  - A=1=x\n  - https_proxy=mine\n");
	a = args_of(gc, "plain", env);
	for (it = a ? json_object_iter(a) : NULL; it;
	    it = json_object_iter_next(a, it), i++) {
		k = json_object_iter_key(it);
		if (!want[i] || strcmp(k, want[i]))
			order = 0;
	}
	ok(a && order && !want[i], "build.yml args first, in their order, "
	    "then SOURCE and PKG_IMAGE");
	ok(a && !strcmp(json_string_value(json_object_get(a, "A")), "1=x"),
	    "a value keeps its '='");
	ok(a && !strcmp(json_string_value(json_object_get(a,
	    "https_proxy")), "mine"), "build.yml wins over the environment");
	ok(a && !json_object_get(a, "no_proxy") && !json_object_get(a,
	    "X") && !json_object_get(a, "REVISION") && !json_object_get(a,
	    "PKG_HASH"), "empty proxies, other variables, REVISION and "
	    "PKG_HASH outside git are left out");
	ok(a && !strcmp(json_string_value(json_object_get(a, "PKG_IMAGE")),
	    "o/img"), "PKG_IMAGE is org/image");
	json_decref(a);
	put("plain/build.yml", "image: img\nbuildArgs:\n  - B=2\n");
	a = args_of(gc, "plain", env);
	it = a ? json_object_iter_at(a, "https_proxy") : NULL;
	ok(it && !json_object_iter_next(a, it) && !strcmp(json_string_value(
	    json_object_iter_value(it)), "http://p:3128"),
	    "a proxy of the environment comes last");
	json_decref(a);
	put("plain/build.yml", "image: img\nbuildArgs:\n  - NOEQUALS\n");
	ok(!args_of(gc, "plain", NULL) && strstr(err_msg(), "NOEQUALS"),
	    "an arg without '=' is refused");
	put("plain/build.yml", "image: img\nbuildArgs:\n  - K=@lkt:nope\n");
	ok(!args_of(gc, "plain", NULL) && strstr(err_msg(), "@lkt:nope"),
	    "an unknown @lkt: value is refused");
	mk("dep");
	put("dep/build.yml", "image: depimg\norg: d\n");
	put("plain/build.yml", "image: img\nbuildArgs:\n  - D=@lkt:pkg:../dep\n"
	    "  - P_%=@lkt:pkgs:../de*\n");
	a = args_of(gc, "plain", NULL);
	ok(a && !strcmp(json_string_value(json_object_get(a, "D")),
	    "d/depimg:latest") && !strcmp(json_string_value(
	    json_object_get(a, "P_D_DEPIMG")), "d/depimg:latest"),
	    "@lkt:pkg and @lkt:pkgs give the tags of other packages");
	json_decref(a);
	put("plain/build.yml", "image: img\nbuildArgs:\n  - P=@lkt:pkgs:../de*\n");
	ok(!args_of(gc, "plain", NULL) && strstr(err_msg(), "%"),
	    "@lkt:pkgs needs a '%%' in its key");
	put("plain/build.yml", "image: img\nbuildArgs:\n  - D=@lkt:pkg:../none\n");
	ok(!args_of(gc, "plain", NULL) && err_kind() == ERR_FAILURE,
	    "a missing nested package is a failure, not not-found");
	put("plain/build.yml", "image: img\n");
}

/* in git: the source check that pkg-tag and pkg-buildctx share */
static void
in_git(struct gitcache *gc)
{
	struct pkg_opts o = PKG_OPTS_INIT;
	struct pkg_source s;
	struct pkg p;
	json_t *l;
	char *cmd, *pkgdir;

	mk("r");
	mk("r/p");
	mk("r/common");
	put("r/p/build.yml", "image: p\nconfig:\n  binds: [/a:/a]\n"
	    "extra-sources:\n  - ../common:/common\n");
	put("r/common/f", "c\n");
	cmd = xasprintf("cd '%s/r' && git init -q && git add -A && "
	    "git -c user.name=t -c user.email=t@e commit -qm c && "
	    "echo u >untracked", top);
	if (system(cmd) != 0)
		diag("cannot make the repository");
	free(cmd);
	pkgdir = xasprintf("%s/r/p", top);
	ok(pkg_source_check(gc, pkgdir, "../common:/c", "HEAD", &s) == 0 &&
	    strlen(s.hash) == 40 && !strcmp(s.dst, "/c"),
	    "a committed source: its tree hash");
	free(s.src);
	free(s.dst);
	ok(pkg_source_check(gc, pkgdir, "../common:../x", "HEAD", &s) == -1 &&
	    strstr(err_msg(), "escapes"), "a dst out of the context refused");
	ok(pkg_source_check(gc, pkgdir, "/etc:etc", "HEAD", &s) == -1 &&
	    strstr(err_msg(), "not in a git repository"), "/etc refused");
	ok(pkg_source_check(gc, pkgdir, "../untracked:u", "HEAD", &s) == -1,
	    "an untracked source refused");
	ok(pkg_source_check(gc, pkgdir, "../.git:g", "HEAD", &s) == -1 &&
	    strstr(err_msg(), ".git"), "the .git directory refused");
	free(pkgdir);
	ok(load(gc, "r/p", &o, &p) == 0 && p.in_git && !p.dirty &&
	    strlen(p.hash) == 40 && p.nsrc == 1, "a clean package in git");
	l = p.path ? pkg_labels(&p) : NULL;
	ok(l && json_object_get(l, "org.opencontainers.image.revision") &&
	    json_object_get(l, "org.opencontainers.image.source") &&
	    !strcmp(json_string_value(json_object_get(l,
	    "org.mobyproject.config")), p.y.config),
	    "labels: source, revision and config");
	json_decref(l);
	if (p.path)
		pkg_release(&p);
	put("r/p/new", "n\n");
	o.force_dirty = 0;
	ok(load(gc, "r/p", &o, &p) == 0 && p.dirty &&
	    strstr(p.hash, "-dirty-"), "an untracked file makes it dirty");
	l = p.path ? pkg_labels(&p) : NULL;
	ok(l && !json_object_get(l, "org.opencontainers.image.revision"),
	    "no revision label when dirty");
	json_decref(l);
	if (p.path)
		pkg_release(&p);
}

int
main(void)
{
	struct gitcache gc;
	char *cmd;

	snprintf(top, sizeof(top), "/tmp/t-pkg.XXXXXX");
	if (!mkdtemp(top))
		return 1;
	setenv("GIT_CEILING_DIRECTORIES", top, 1);
	sources();
	templates();
	gitcache_init(&gc);
	outside_git(&gc);
	build_args(&gc);
	gitcache_release(&gc);
	/* a fresh cache: the repository is made after the lookups above */
	gitcache_init(&gc);
	in_git(&gc);
	gitcache_release(&gc);
	cmd = xasprintf("rm -rf '%s'", top);
	if (system(cmd) != 0)
		diag("cannot remove %s", top);
	free(cmd);
	return tap_done();
}
