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
#include <openssl/evp.h>

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
};

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

int
gittree_find(struct gitcache *c, const char *path, struct gittree **g,
    char **rel)
{
	git_buf b = { NULL, 0, 0 };
	struct gittree *t = NULL;
	size_t n;
	const char *r;
	int rc;

	/* like git, stop below $GIT_CEILING_DIRECTORIES */
	if ((rc = git_repository_discover(&b, path, 0,
	    getenv("GIT_CEILING_DIRECTORIES"))) < 0) {
		git_error_clear();
		return err_set(ENOENT, "%s is not in a git repository", path);
	}
	rc = open_repo(c, b.ptr, &t);
	git_buf_dispose(&b);
	if (rc == -1)
		return -1;
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
hash_file(EVP_MD_CTX *md, const char *path)
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
		EVP_DigestUpdate(md, tmp, r);
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
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen;
	EVP_MD_CTX *ctx = NULL;
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

	if (!(ctx = EVP_MD_CTX_new()) ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		err_set(ENOMEM, "cannot initialise sha256");
		goto out;
	}
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
		r = hash_file(ctx, path);
		free(path);
		if (r == -1)
			goto out;
	}
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	for (i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

int
gittree_head(struct gittree *g, char out[GITTREE_HEXLEN + 1])
{
	git_oid id;
	int rc;

	if ((rc = git_reference_name_to_id(&id, g->repo, "HEAD")) < 0)
		return git_fail(rc, "cannot resolve HEAD");
	git_oid_tostr(out, GITTREE_HEXLEN + 1, &id);
	return 0;
}

int
gittree_gopkgversion(struct gittree *g, char **out)
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
