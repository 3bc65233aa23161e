/* lib/gittree.c - tree hashes, dirtiness and content hashes with libgit2 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>

#include "digest.h"
#include "err.h"
#include "gittree.h"
#include "strv.h"
#include "xalloc.h"

struct gittree {
	git_repository	*repo;
	char		*gitdir;	/* as git_repository_discover gives it */
	char		*workdir;	/* no trailing slash */
	char		*rev;		/* the revision tree was read from */
	git_tree	*tree;
	git_index	*index;
	int		 quote_path;	/* core.quotePath */
	char		 head[GITTREE_HEXLEN + 1];	/* "" until resolved */
	char		*gopkgversion;			/* NULL until computed */
	unsigned	 dirty_asks;	/* gittree_is_dirty() calls so far */
	struct strv	 dirty;		/* with dirty_known: changed paths, sorted */
	int		 dirty_known;
	struct strv	 plain;		/* find_open(): directories known plain */
};

/*
 * Debian builds libgit2 with mbedTLS, and git_libgit2_init() then parses
 * every system CA certificate (about 3 ms, the largest part of a pkg-tag
 * run) for TLS that gittree never uses: it reads local repositories only.
 * No option or environment variable stops that load, which happens inside
 * the init, before any option can be set. An executable's own definition
 * of a symbol comes before a shared library's, so this one takes the
 * place of mbedTLS's for libgit2: nothing is read, no CA is trusted, and
 * a TLS connection libgit2 might ever make would fail closed. Only libgit2
 * calls it; libcurl in the other tools uses OpenSSL.
 */
struct mbedtls_x509_crt;
int	mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain,
	    const char *path);

int
mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

static int
git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();

	return err_set(code == GIT_ENOTFOUND ? ENOENT : EIO, "%s: %s", what,
	    e && e->message ? e->message : "libgit2 error");
}

void
gitcache_init(struct gitcache *c)
{
	c->v = NULL;
	c->n = 0;
	git_libgit2_init();
}

void
gitcache_release(struct gitcache *c)
{
	size_t i;
	struct gittree *g;

	for (i = 0; i < c->n; i++) {
		g = c->v[i];
		git_tree_free(g->tree);
		git_index_free(g->index);
		git_repository_free(g->repo);
		free(g->gopkgversion);
		strv_clear(&g->dirty);
		strv_clear(&g->plain);
		free(g->gitdir);
		free(g->workdir);
		free(g->rev);
		free(g);
	}
	free(c->v);
	c->v = NULL;
	c->n = 0;
	git_libgit2_shutdown();
}

const char *
gittree_workdir(const struct gittree *g)
{
	return g->workdir;
}

static int
open_repo(struct gitcache *c, const char *gitdir, struct gittree **out)
{
	struct gittree *g;
	git_config *cfg = NULL;
	const char *wd;
	size_t i, n;
	int v, rc;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i]->gitdir, gitdir)) {
			*out = c->v[i];
			return 0;
		}
	g = xcalloc(1, sizeof(*g));
	if ((rc = git_repository_open_ext(&g->repo, gitdir,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL)) < 0) {
		free(g);
		return git_fail(rc, "cannot open repository");
	}
	g->gitdir = xstrdup(gitdir);
	wd = git_repository_workdir(g->repo);
	if (wd) {
		n = strlen(wd);
		while (n > 1 && wd[n - 1] == '/')
			n--;
		g->workdir = xstrndup(wd, n);
	}
	g->quote_path = 1;
	if (git_repository_config_snapshot(&cfg, g->repo) == 0) {
		if (git_config_get_bool(&v, cfg, "core.quotePath") == 0)
			g->quote_path = v;
		git_config_free(cfg);
	}
	git_error_clear();
	c->v = xrealloc(c->v, (c->n + 1) * sizeof(*c->v));
	c->v[c->n++] = g;
	*out = g;
	return 0;
}

/* does a ceiling directory lie at or below top and strictly above path? */
static int
ceiling_between(const char *top, const char *path)
{
	const char *ceil = getenv("GIT_CEILING_DIRECTORIES"), *e;
	size_t n, tn = strlen(top);

	for (; ceil && *ceil; ceil = *e ? e + 1 : e) {
		e = ceil + strcspn(ceil, ":");
		n = e - ceil;
		while (n > 1 && ceil[n - 1] == '/')
			n--;
		if (n >= tn && !strncmp(ceil, top, tn) &&
		    !strncmp(path, ceil, n) && path[n] == '/')
			return 1;
	}
	return 0;
}

/*
 * The repository already open whose work tree holds path, when discovery
 * would find that one again: every directory from path up to the top is
 * a real directory (no link) without a .git of its own, and no ceiling
 * directory stops the search on the way. NULL when not sure: the caller
 * discovers as usual. This saves discovery's walk, its realpath and its
 * reads of HEAD and config for every package of one repository. The
 * directories of a walk that ended well are remembered, with the
 * repository, for the rest of the run: a package's directory is asked
 * for twice, and a shared extra source once for every package, and each
 * walk stops at the first directory already known plain.
 */
static int
known_plain(const struct gittree *t, const char *dir)
{
	size_t i;

	for (i = 0; i < t->plain.n; i++)
		if (!strcmp(t->plain.v[i], dir))
			return 1;
	return 0;
}

static struct gittree *
find_open(struct gitcache *c, const char *path)
{
	struct gittree *t;
	struct strv walked = STRV_INIT;
	struct stat st;
	char *dir, *slash, *dotgit;
	size_t i, n;
	int same = 1;

	for (i = 0; i < c->n; i++) {
		t = c->v[i];
		if (!t->workdir || !strcmp(t->workdir, "/"))
			continue;
		n = strlen(t->workdir);
		if (!strncmp(path, t->workdir, n) && (path[n] == '/' ||
		    path[n] == '\0'))
			break;
	}
	if (i == c->n || ceiling_between(t->workdir, path))
		return NULL;
	dir = xstrdup(path);
	while (same && strlen(dir) > n && !known_plain(t, dir)) {
		if (lstat(dir, &st) == -1 || S_ISLNK(st.st_mode))
			same = 0;
		else if (S_ISDIR(st.st_mode)) {
			dotgit = xasprintf("%s/.git", dir);
			same = lstat(dotgit, &st) == -1 && errno == ENOENT;
			free(dotgit);
			if (same)
				strv_push(&walked, dir);
		}
		if ((slash = strrchr(dir, '/')))
			*slash = '\0';
	}
	free(dir);
	/* everything above a plain directory was plain when it was found */
	for (i = 0; same && i < walked.n; i++)
		strv_push(&t->plain, walked.v[i]);
	strv_clear(&walked);
	return same ? t : NULL;
}

int
gittree_find(struct gitcache *c, const char *path, struct gittree **g,
    char **rel)
{
	git_buf b = { NULL, 0, 0 };
	struct gittree *t = NULL;
	size_t n;
	const char *r;
	int rc;

	if (!(t = find_open(c, path))) {
		/* like git, stop below $GIT_CEILING_DIRECTORIES */
		if ((rc = git_repository_discover(&b, path, 0,
		    getenv("GIT_CEILING_DIRECTORIES"))) < 0) {
			git_error_clear();
			return err_set(ENOENT, "%s is not in a git repository",
			    path);
		}
		rc = open_repo(c, b.ptr, &t);
		git_buf_dispose(&b);
		if (rc == -1)
			return -1;
	}
	if (!t->workdir)
		return err_set(ENOENT, "%s is in a bare repository", path);
	n = strlen(t->workdir);
	if (!strcmp(t->workdir, "/"))
		r = path + 1;
	else if (strncmp(path, t->workdir, n) == 0 &&
	    (path[n] == '/' || path[n] == '\0'))
		r = path[n] ? path + n + 1 : path + n;
	else
		return err_set(EINVAL, "%s is outside repository %s (reached "
		    "through a symbolic link?)", path, t->workdir);
	if (!strcmp(r, ".git") || !strncmp(r, ".git/", 5))
		return err_set(EINVAL, "%s is inside the .git directory",
		    path);
	*g = t;
	*rel = xstrdup(r);
	return 0;
}

static int
tree_at(struct gittree *g, const char *rev, git_tree **tree)
{
	git_object *o = NULL, *t = NULL;
	int rc;

	if (g->rev && !strcmp(g->rev, rev)) {
		*tree = g->tree;
		return 0;
	}
	if ((rc = git_revparse_single(&o, g->repo, rev)) < 0 ||
	    (rc = git_object_peel(&t, o, GIT_OBJECT_TREE)) < 0) {
		git_object_free(o);
		git_error_clear();
		return err_set(EINVAL, "unknown revision '%s' in %s", rev,
		    g->workdir);
	}
	git_object_free(o);
	git_tree_free(g->tree);
	free(g->rev);
	g->tree = (git_tree *)t;
	g->rev = xstrdup(rev);
	*tree = g->tree;
	return 0;
}

int
gittree_tree_hash(struct gittree *g, const char *rel, const char *rev,
    char out[GITTREE_HEXLEN + 1])
{
	git_tree *tree;
	git_tree_entry *e = NULL;
	int rc;

	if (tree_at(g, rev, &tree) == -1)
		return -1;
	if (!*rel) {
		git_oid_tostr(out, GITTREE_HEXLEN + 1, git_tree_id(tree));
		return 0;
	}
	if ((rc = git_tree_entry_bypath(&e, tree, rel)) < 0) {
		if (rc == GIT_ENOTFOUND) {
			git_error_clear();
			return err_set(ENOENT, "%s/%s is not in git at %s",
			    g->workdir, rel, rev);
		}
		return git_fail(rc, rel);
	}
	git_oid_tostr(out, GITTREE_HEXLEN + 1, git_tree_entry_id(e));
	git_tree_entry_free(e);
	return 0;
}

static int
stop_at_first(const git_diff *diff, const git_diff_delta *d,
    const char *spec, void *payload)
{
	*(int *)payload = 1;
	return -1;	/* one delta is enough: abort the diff */
}

/* untracked files included, rel (when not the top) as a literal path */
static void
diff_options(git_diff_options *o, char *spec[1], const char *rel)
{
	git_diff_options_init(o, GIT_DIFF_OPTIONS_VERSION);
	o->flags = GIT_DIFF_INCLUDE_UNTRACKED | GIT_DIFF_RECURSE_UNTRACKED_DIRS |
	    GIT_DIFF_DISABLE_PATHSPEC_MATCH | GIT_DIFF_SKIP_BINARY_CHECK;
	if (*rel) {
		spec[0] = (char *)rel;
		o->pathspec.strings = spec;
		o->pathspec.count = 1;
	}
}

/* every path that differs from HEAD (index, work tree, untracked) */
static int
collect_dirty(struct gittree *g, git_tree *tree)
{
	git_diff_options o;
	git_diff *diff = NULL;
	const git_diff_delta *d;
	char *spec[1];
	size_t i, cnt;
	int rc;

	diff_options(&o, spec, "");
	if ((rc = git_diff_tree_to_workdir_with_index(&diff, g->repo, tree,
	    &o)) < 0)
		return git_fail(rc, "cannot compare with HEAD");
	cnt = git_diff_num_deltas(diff);
	for (i = 0; i < cnt; i++) {
		d = git_diff_get_delta(diff, i);
		strv_push(&g->dirty, d->new_file.path);
		if (strcmp(d->old_file.path, d->new_file.path))
			strv_push(&g->dirty, d->old_file.path);
	}
	git_diff_free(diff);
	strv_sort(g->dirty.v, g->dirty.n);
	g->dirty_known = 1;
	return 0;
}

/* is rel, or anything under it, among the sorted changed paths? */
static int
dirty_under(const struct gittree *g, const char *rel)
{
	char *const *v = g->dirty.v;
	size_t lo = 0, hi = g->dirty.n, mid, n = strlen(rel);

	if (!n)
		return g->dirty.n > 0;
	/* the first path not below rel in byte order */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strncmp(v[mid], rel, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < g->dirty.n && !strncmp(v[lo], rel, n); lo++)
		if (v[lo][n] == '\0' || v[lo][n] == '/')
			return 1;
	return 0;
}

/*
 * The first question in a repository walks only rel, stopping at the
 * first change. From the second on (pkg-tag of many packages), the whole
 * work tree is compared with HEAD once and every later answer comes from
 * that list: each directory is listed once for all packages.
 */
int
gittree_is_dirty(struct gittree *g, const char *rel)
{
	git_diff_options o;
	git_diff *diff = NULL;
	git_tree *tree;
	char *spec[1];
	int found = 0, rc;

	if (tree_at(g, "HEAD", &tree) == -1)
		return -1;
	if (g->dirty_known)
		return dirty_under(g, rel);
	if (g->dirty_asks++ > 0) {
		if (collect_dirty(g, tree) == -1)
			return -1;
		return dirty_under(g, rel);
	}
	diff_options(&o, spec, rel);
	o.notify_cb = stop_at_first;
	o.payload = &found;
	rc = git_diff_tree_to_workdir_with_index(&diff, g->repo, tree,
	    &o);
	git_diff_free(diff);
	if (found) {
		git_error_clear();
		return 1;
	}
	if (rc < 0)
		return git_fail(rc, "cannot compare with HEAD");
	return 0;
}

/* would git quote this name in ls-files output? */
static int
quoted(const char *p, int quote_path)
{
	const unsigned char *s;

	for (s = (const unsigned char *)p; *s; s++)
		if (*s < 0x20 || *s == 0x7f || *s == '"' || *s == '\\' ||
		    (*s >= 0x80 && quote_path))
			return 1;
	return 0;
}

static int
hash_file(struct digest *md, const char *path)
{
	char tmp[65536];
	struct stat st;
	ssize_t r;
	int fd;

	if (lstat(path, &st) == -1 || !S_ISREG(st.st_mode))
		return 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return 0;
	while ((r = read(fd, tmp, sizeof(tmp))) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return err_sys(errno, "cannot read '%s'", path);
		}
		digest_update(md, tmp, r);
	}
	close(fd);
	return 0;
}

static int
collect_untracked(struct gittree *g, const char *rel, char ***out, size_t *n)
{
	git_diff_options o;
	git_diff *diff = NULL;
	const git_diff_delta *d;
	char *spec[1];
	size_t i, cnt;
	int rc;

	diff_options(&o, spec, rel);
	if ((rc = git_diff_index_to_workdir(&diff, g->repo, NULL, &o)) < 0)
		return git_fail(rc, "cannot list untracked files");
	cnt = git_diff_num_deltas(diff);
	for (i = 0; i < cnt; i++) {
		d = git_diff_get_delta(diff, i);
		if (d->status != GIT_DELTA_UNTRACKED)
			continue;
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[(*n)++] = xstrdup(d->new_file.path);
	}
	git_diff_free(diff);
	return 0;
}

int
gittree_content_hash(struct gittree *g, const char *rel, char out[65])
{
	char **names = NULL, *path, *name;
	size_t n = 0, i, pos, plen = strlen(rel), na, len;
	const git_index_entry *e;
	struct digest ctx = DIGEST_INIT;
	char d[DIGEST_MAX];
	int rc = -1, r;

	if (!g->index && (r = git_repository_index(&g->index, g->repo)) < 0)
		return git_fail(r, "cannot read the index");
	/* list A: index entries under rel, index order, one per path */
	pos = 0;
	if (plen) {
		path = xasprintf("%s/", rel);
		if (git_index_find_prefix(&pos, g->index, path) < 0)
			pos = git_index_entrycount(g->index);
		free(path);
	}
	for (; pos < git_index_entrycount(g->index); pos++) {
		e = git_index_get_byindex(g->index, pos);
		if (plen && (strncmp(e->path, rel, plen) != 0 ||
		    e->path[plen] != '/'))
			break;
		if (n && !strcmp(names[n - 1], e->path))
			continue;	/* conflict stages */
		names = xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = xstrdup(e->path);
	}
	git_error_clear();
	/* list B: untracked files that are not ignored, sorted */
	na = n;
	if (collect_untracked(g, rel, &names, &n) == -1)
		goto out;
	if (n > na)
		qsort(names + na, n - na, sizeof(*names), strv_cmp);

	if (digest_init(&ctx, DIGEST_SHA256) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		name = names[i];
		if (quoted(name, g->quote_path))
			continue;
		/* LinuxKit trims the whole listing: first and last names */
		if (i == 0)
			while (*name == ' ')
				name++;
		if (i == n - 1) {
			len = strlen(name);
			while (len && name[len - 1] == ' ')
				name[--len] = '\0';
		}
		path = xasprintf("%s/%s", g->workdir, name);
		r = hash_file(&ctx, path);
		free(path);
		if (r == -1)
			goto out;
	}
	digest_final(&ctx, d);
	memcpy(out, d + 7, 65);	/* after "sha256:" */
	rc = 0;
out:
	if (ctx.ctx)
		digest_release(&ctx);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* HEAD is resolved once per repository and run */
int
gittree_head(struct gittree *g, char out[GITTREE_HEXLEN + 1])
{
	git_oid id;
	int rc;

	if (!g->head[0]) {
		if ((rc = git_reference_name_to_id(&id, g->repo, "HEAD")) < 0)
			return git_fail(rc, "cannot resolve HEAD");
		git_oid_tostr(g->head, sizeof(g->head), &id);
	}
	memcpy(out, g->head, sizeof(g->head));
	return 0;
}

static int gopkgversion(struct gittree *, char **);

/* it depends on HEAD alone: computed once per repository and run */
int
gittree_gopkgversion(struct gittree *g, char **out)
{
	if (!g->gopkgversion && gopkgversion(g, &g->gopkgversion) == -1)
		return -1;
	*out = xstrdup(g->gopkgversion);
	return 0;
}

static int
gopkgversion(struct gittree *g, char **out)
{
	git_describe_options o;
	git_describe_format_options fo;
	git_describe_result *res = NULL;
	git_object *head = NULL, *tagged = NULL;
	git_buf b = { NULL, 0, 0 };
	const git_signature *sig;
	char id[GITTREE_HEXLEN + 1], date[32], *tag = NULL;
	struct tm tm;
	time_t t;
	int rc;

	if ((rc = git_revparse_single(&head, g->repo, "HEAD^{commit}")) < 0)
		return git_fail(rc, "cannot resolve HEAD");
	git_describe_options_init(&o, GIT_DESCRIBE_OPTIONS_VERSION);
	git_describe_format_options_init(&fo,
	    GIT_DESCRIBE_FORMAT_OPTIONS_VERSION);
	o.describe_strategy = GIT_DESCRIBE_TAGS;
	o.pattern = "v[0-9].[0-9].[0-9]*";
	fo.abbreviated_size = 0;
	if (git_describe_commit(&res, head, &o) == 0 &&
	    git_describe_format(&b, res, &fo) == 0)
		tag = xstrdup(b.ptr);
	git_error_clear();
	git_describe_result_free(res);
	git_buf_dispose(&b);
	if (tag && git_revparse_single(&tagged, g->repo, tag) == 0) {
		git_object *c = NULL;

		if (git_object_peel(&c, tagged, GIT_OBJECT_COMMIT) == 0 &&
		    git_oid_equal(git_object_id(c), git_object_id(head))) {
			git_object_free(c);
			git_object_free(tagged);
			git_object_free(head);
			*out = tag;
			return 0;
		}
		git_object_free(c);
	}
	git_object_free(tagged);
	git_error_clear();
	sig = git_commit_committer((git_commit *)head);
	t = (time_t)sig->when.time;
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%Y%m%d%H%M%S", &tm);
	git_oid_tostr(id, sizeof(id), git_object_id(head));
	id[12] = '\0';
	*out = xasprintf("%s-%s-%s", tag ? tag : "v0.0.0", date, id);
	free(tag);
	git_object_free(head);
	return 0;
}
