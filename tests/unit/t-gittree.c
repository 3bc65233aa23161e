/* tests/unit/t-gittree.c - tree hash, dirtiness, content hash, templates
 *
 * Builds the dummy repository of doc/linuxkit-compat.md §14.1 with libgit2
 * in a temporary directory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>

#include "err.h"
#include "gittree.h"
#include "pkg.h"
#include "tap.h"
#include "xalloc.h"

static const char dockerfile[] =
    "FROM linuxkit/alpine:7f3944798557de5518a56e3437d7ed982701f224 AS build\n"
    "RUN apk add --no-cache --initdb make\n"
    "\n"
    "FROM scratch\n"
    "ENTRYPOINT []\n"
    "CMD []\n"
    "WORKDIR /\n"
    "COPY --from=build /usr/bin/make /usr/bin/\n"
    "COPY infile infile\n";

static char top[64];

static void
put(const char *rel, const char *text, int append)
{
	char *p = xasprintf("%s/%s", top, rel);
	FILE *f = fopen(p, append ? "a" : "w");

	if (!f || fputs(text, f) == EOF || fclose(f) != 0)
		diag("cannot write %s", p);
	free(p);
}

static int
make_repo(void)
{
	git_repository *repo = NULL;
	git_index *idx = NULL;
	git_signature *sig = NULL;
	git_oid tree_id, commit_id;
	git_tree *tree = NULL;
	char *p;
	int rc = -1;

	snprintf(top, sizeof(top), "/tmp/t-gittree.XXXXXX");
	if (!mkdtemp(top))
		return -1;
	p = xasprintf("%s/pkg", top);
	mkdir(p, 0755);
	free(p);
	p = xasprintf("%s/pkg/dummy", top);
	mkdir(p, 0755);
	free(p);
	put("pkg/dummy/build.yml", "image: dummy\n", 0);
	put("pkg/dummy/Dockerfile", dockerfile, 0);
	put("pkg/dummy/infile", "This is a silly input file for testing.", 0);
	if (git_repository_init(&repo, top, 0) < 0 ||
	    git_repository_index(&idx, repo) < 0 ||
	    git_index_add_bypath(idx, "pkg/dummy/build.yml") < 0 ||
	    git_index_add_bypath(idx, "pkg/dummy/Dockerfile") < 0 ||
	    git_index_add_bypath(idx, "pkg/dummy/infile") < 0 ||
	    git_index_write(idx) < 0 ||
	    git_index_write_tree(&tree_id, idx) < 0 ||
	    git_tree_lookup(&tree, repo, &tree_id) < 0 ||
	    git_signature_new(&sig, "t", "t@example.com", 1774614365, 0) < 0 ||
	    git_commit_create_v(&commit_id, repo, "HEAD", sig, sig, NULL, "c",
	    tree, 0) < 0)
		goto out;
	rc = 0;
out:
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(repo);
	return rc;
}

static void
expect_hash(struct gitcache *gc, const char *want, const char *what)
{
	struct pkg_opts o = PKG_OPTS_INIT;
	struct pkg p;
	char *dir = xasprintf("%s/pkg/dummy", top);

	if (pkg_load(&p, gc, dir, &o) == -1) {
		ok(0, "%s", what);
		diag("%s", err_msg());
	} else {
		is(p.hash, want, "%s", what);
		pkg_release(&p);
	}
	free(dir);
}

/* gittree_find() of top/rel with a cache that has seen other lookups */
static int
find(struct gitcache *gc, const char *rel, const char **workdir)
{
	struct gittree *g;
	char *path = xasprintf("%s/%s", top, rel), *r = NULL;
	int rc = gittree_find(gc, path, &g, &r);

	*workdir = rc == 0 ? gittree_workdir(g) : NULL;
	free(path);
	free(r);
	return rc == 0 ? 0 : -errno;
}

/* the answers of a shared cache equal those of a fresh one per question */
static void
shared_cache(void)
{
	static const char *const dirs[] = { "pkg/dummy", "pkg/a", "pkg/a1",
	    "pkg/a-x", "pkg/b", "pkg/a/sub", "pkg/n", "pkg/n/x", "pkg/link",
	    "pkg/link/f", "pkg", NULL };
	struct gitcache shared, fresh;
	struct gittree *g;
	const char *w1, *w2;
	char *cmd, *path, *rel;
	int i, d1, d2, r1, r2, pass = 1;

	cmd = xasprintf("cd '%s' && mkdir -p pkg/a/sub pkg/a1 pkg/a-x pkg/b "
	    "pkg/n/x && echo a >pkg/a/sub/f && echo a1 >pkg/a1/f && "
	    "echo b >pkg/b/f && echo x >pkg/a-x/f && echo '*.o' >.gitignore && "
	    "git add -A && git -c user.name=t -c user.email=t@e commit -qm m && "
	    "echo changed >>pkg/a1/f && echo new >pkg/a-x/new && "
	    "echo o >pkg/a/sub/x.o && ln -s b pkg/link && "
	    "git -C pkg/n init -q && echo n >pkg/n/x/f", top);
	if (system(cmd) != 0)
		diag("cannot build the second state: %s", cmd);
	free(cmd);
	gitcache_init(&shared);
	for (i = 0; dirs[i]; i++) {
		gitcache_init(&fresh);
		r1 = find(&fresh, dirs[i], &w1);
		r2 = find(&shared, dirs[i], &w2);
		d1 = d2 = -2;
		if (r1 == 0 && r2 == 0) {
			path = xasprintf("%s/%s", top, dirs[i]);
			if (gittree_find(&fresh, path, &g, &rel) == 0) {
				d1 = gittree_is_dirty(g, rel);
				free(rel);
			}
			if (gittree_find(&shared, path, &g, &rel) == 0) {
				d2 = gittree_is_dirty(g, rel);
				free(rel);
			}
			free(path);
		}
		if (r1 != r2 || d1 != d2 || (w1 && strcmp(w1, w2))) {
			pass = 0;
			diag("%s: fresh %d/%d/%s, shared %d/%d/%s", dirs[i],
			    r1, d1, w1 ? w1 : "-", r2, d2, w2 ? w2 : "-");
		}
		gitcache_release(&fresh);
	}
	ok(pass, "a shared cache answers every lookup as a fresh one");
	r1 = find(&shared, "pkg/a1", &w1);
	path = xasprintf("%s/pkg/a1", top);
	ok(r1 == 0 && gittree_find(&shared, path, &g, &rel) == 0 &&
	    gittree_is_dirty(g, "pkg/a1") == 1 && gittree_is_dirty(g,
	    "pkg/a") == 0 && gittree_is_dirty(g, "pkg/a-x") == 1 &&
	    gittree_is_dirty(g, "pkg/b") == 0 && gittree_is_dirty(g, "") == 1,
	    "changed, untracked and ignored files, and prefix siblings");
	free(rel);
	free(path);
	r1 = find(&shared, "pkg/n/x", &w1);
	r2 = find(&shared, "pkg/link/f", &w2);
	ok(r1 == 0 && strstr(w1, "/pkg/n") && r2 == 0 && !strcmp(w2, top),
	    "a nested repository is its own; a link within one is followed");
	/* ceilings: the shared cache must stop where discovery stops */
	pass = 1;
	for (i = 0; i < 4; i++) {
		static const char *const sub[] = { "", "/pkg", "/pkg/b",
		    "/pkg/a" };
		static const char *const at[] = { "pkg/b", "pkg", "pkg/a/sub",
		    "pkg/b/f" };
		int k;

		cmd = xasprintf("/nowhere:%s%s", top, sub[i]);
		setenv("GIT_CEILING_DIRECTORIES", cmd, 1);
		free(cmd);
		for (k = 0; k < 4; k++) {
			gitcache_init(&fresh);
			r1 = find(&fresh, at[k], &w1);
			r2 = find(&shared, at[k], &w2);
			if (r1 != r2) {
				pass = 0;
				diag("ceiling %s%s, %s: fresh %d, shared %d",
				    top, sub[i], at[k], r1, r2);
			}
			gitcache_release(&fresh);
		}
	}
	ok(pass, "a ceiling stops the shared cache where it stops discovery");
	unsetenv("GIT_CEILING_DIRECTORIES");
	gitcache_release(&shared);
}

int
main(void)
{
	struct gitcache gc;
	struct gittree *g;
	char id[GITTREE_HEXLEN + 1], content[65], *rel = NULL, *v = NULL;
	char *dir, *t;
	const char *tree = "ceead45e5315b226edbe2922b0b49f669f6da976";

	git_libgit2_init();
	if (make_repo() == -1) {
		ok(0, "make the dummy repository");
		return tap_done();
	}
	/* a fresh cache per state: libgit2 caches the index it read */
	gitcache_init(&gc);
	dir = xasprintf("%s/pkg/dummy", top);
	ok(gittree_find(&gc, dir, &g, &rel) == 0, "package found in git");
	is(rel, "pkg/dummy", "relative path");
	ok(gittree_tree_hash(g, rel, "HEAD", id) == 0 && !strcmp(id, tree),
	    "tree hash of pkg/dummy");
	is_int(gittree_is_dirty(g, rel), 0, "clean");
	ok(gittree_content_hash(g, rel, content) == 0 &&
	    !strncmp(content, "3fc3290", 7), "content hash 3fc3290");
	ok(gittree_tree_hash(g, "pkg/none", "HEAD", id) == -1 &&
	    errno == ENOENT, "no entry: ENOENT");
	ok(gittree_tree_hash(g, rel, "nosuch", id) == -1 && errno == EINVAL,
	    "unknown revision: EINVAL");
	ok(gittree_gopkgversion(g, &v) == 0 &&
	    !strncmp(v, "v0.0.0-20260327122605-", 22), "GOPKGVERSION");
	free(v);
	free(rel);
	expect_hash(&gc, tree, "pkg_load: clean");
	gitcache_release(&gc);

	put("pkg/dummy/Dockerfile", "# modified\n", 1);
	gitcache_init(&gc);
	t = xasprintf("%s-dirty-418787e", tree);
	expect_hash(&gc, t, "modified");
	free(t);
	gitcache_release(&gc);

	put("pkg/dummy/newfile", "hello\n", 0);
	gitcache_init(&gc);
	t = xasprintf("%s-dirty-807c7c6", tree);
	expect_hash(&gc, t, "modified and untracked");
	free(t);
	gitcache_release(&gc);

	ok(pkg_render_tag("v1-{{ .Hash }}-x", "h", &t) == 0 &&
	    !strcmp(t, "v1-h-x"), "template with spaces");
	free(t);
	ok(pkg_render_tag("a}}b", "h", &t) == 0 && !strcmp(t, "a}}b"),
	    "}} in text is literal");
	free(t);
	ok(pkg_render_tag("{{.Foo}}", "h", &t) == -1 &&
	    strstr(err_msg(), "{{.Foo}}"), "other actions are refused");
	ok(pkg_render_tag("{{.Hash", "h", &t) == -1 &&
	    strstr(err_msg(), "unclosed action"), "unclosed action");

	shared_cache();
	gitcache_init(&gc);
	ok(gittree_find(&gc, "/", &g, &rel) == -1 && errno == ENOENT,
	    "/ is not in a work tree");
	gitcache_release(&gc);
	free(dir);
	t = xasprintf("rm -rf '%s'", top);
	ok(system(t) == 0, "clean up");
	free(t);
	git_libgit2_shutdown();
	return tap_done();
}
