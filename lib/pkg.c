/* lib/pkg.c - package tags and build inputs
 * (doc/linuxkit-compat.md §4, §6) */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "path.h"
#include "pkg.h"
#include "ref.h"
#include "strv.h"
#include "xalloc.h"

/* a build-arg file is a short list of lines */
#define ARG_FILE_MAX	(1024 * 1024)

static char *
abs_clean(const char *p)
{
	char cwd[PATH_MAX], *r;

	if (*p == '/')
		return path_clean(p);
	if (!getcwd(cwd, sizeof(cwd)))
		return NULL;
	r = path_join(cwd, p);
	return r;
}

static void
sha1_hex(const char *s, char out[GITTREE_HEXLEN + 1])
{
	char d[DIGEST_MAX];

	digest_buf(DIGEST_SHA1, s, strlen(s), d);
	memcpy(out, d + 5, GITTREE_HEXLEN + 1);	/* after "sha1:" */
}

int
pkg_render_tag(const char *tmpl, const char *hash, char **out)
{
	struct buf b = BUF_INIT;
	const char *p = tmpl, *open, *close, *s, *e;

	while ((open = strstr(p, "{{"))) {
		buf_add(&b, p, open - p);
		if (!(close = strstr(open + 2, "}}"))) {
			buf_release(&b);
			return err_set(EINVAL, "invalid tag template '%s': "
			    "unclosed action", tmpl);
		}
		for (s = open + 2; s < close && isspace((unsigned char)*s); s++)
			;
		for (e = close; e > s && isspace((unsigned char)e[-1]); e--)
			;
		if (e - s != 5 || strncmp(s, ".Hash", 5) != 0) {
			buf_release(&b);
			return err_set(EINVAL, "invalid tag template '%s': "
			    "action '%.*s' is not supported, only {{.Hash}} is",
			    tmpl, (int)(close + 2 - open), open);
		}
		buf_adds(&b, hash);
		p = close + 2;
	}
	buf_adds(&b, p);
	*out = buf_detach(&b, NULL);
	return 0;
}

int
pkg_parse_source(const char *pkgdir, const char *entry, char **src,
    char **dst)
{
	const char *colon = strchr(entry, ':');
	char *s;

	if (!colon || strchr(colon + 1, ':'))
		return err_set(EINVAL, "bad source format in %s", entry);
	s = xstrndup(entry, colon - entry);
	*src = *s == '/' ? path_clean(s) :
	    path_join(pkgdir, s);
	*dst = path_clean(colon + 1);
	free(s);
	return 0;
}

int
pkg_source_check(struct gitcache *gc, const char *pkgdir, const char *entry,
    const char *rev, struct pkg_source *s)
{
	struct gittree *g;
	char *rel = NULL, *name;

	memset(s, 0, sizeof(*s));
	if (pkg_parse_source(pkgdir, entry, &s->src, &s->dst) == -1)
		return -1;
	name = s->dst + (*s->dst == '/');
	if (!strcmp(name, "..") || !strncmp(name, "../", 3)) {
		err_set(EINVAL, "extra source %s escapes the context", entry);
		goto bad;
	}
	/* inside a work tree, not reached through a link, not in .git */
	if (gittree_find(gc, s->src, &g, &rel) == -1) {
		if (errno == ENOENT)
			err_set(EINVAL, "source %s not in a git repository",
			    s->src);
		goto bad;
	}
	if (gittree_tree_hash(g, rel, rev, s->hash) == -1) {
		err_as(ERR_FAILURE);
		goto bad;
	}
	free(rel);
	return 0;
bad:
	free(rel);
	free(s->src);
	free(s->dst);
	memset(s, 0, sizeof(*s));
	return -1;
}

/* an extra source "src:dst" (§4.4) and its tree hash at C */
static int
extra_source(struct pkg *p, struct gitcache *gc, const char *entry)
{
	struct pkg_source s;

	if (pkg_source_check(gc, p->path, entry, p->commit, &s) == -1)
		return -1;
	p->src = xrealloc(p->src, (p->nsrc + 1) * sizeof(*p->src));
	p->src[p->nsrc++] = s;
	return 0;
}

/*
 * The package's reference names images, files and make variables
 * (mk/pkg.mk): "org/image:tag" must be a reference, the image a
 * repository path alone; an empty org (--org '') leaves image:tag.
 * org_given: the org came from an option, not from build.yml.
 */
static int
check_ref(struct pkg *p, int org_given)
{
	struct ref r = REF_INIT;
	const char *of = org_given ? "org" : "build.yml org";

	if (!ref_repo_valid(p->y.image))
		return err_set(EINVAL, "%s: image: '%.80s' is not a valid "
		    "repository name", p->y.file, p->y.image);
	if (!*p->org)
		return 0;
	if (ref_parse(&r, p->ref) == -1 || r.digest != NULL) {
		ref_release(&r);
		if (org_given)
			return err_set(EINVAL, "%s '%.80s': '%.80s' is not a "
			    "valid reference", of, p->org, p->ref);
		return err_set(EINVAL, "%s: org: '%.80s' is not a valid "
		    "registry or namespace", p->y.file, p->org);
	}
	ref_release(&r);
	return 0;
}

/* P, C and H of doc/linuxkit-compat.md §4.1: the package directory first */
static int
load_paths(struct pkg *p, const char *dir, const struct pkg_opts *o)
{
	struct stat st;

	if (!(p->path = abs_clean(dir)))
		return err_sys(errno, "cannot find the current directory");
	if (stat(p->path, &st) == -1) {
		err_sys(errno, "cannot open package directory %s", p->path);
		/* the one "not found" of a package (pkg.h) */
		return errno == ENOENT ? err_as(ERR_NOTFOUND) : -1;
	}
	if (!S_ISDIR(st.st_mode))
		return err_set(EINVAL, "%s is not a directory", p->path);
	p->commit = xstrdup(o->hash_commit && *o->hash_commit ?
	    o->hash_commit : "HEAD");
	if (!o->hash_path) {
		p->hash_path = xstrdup(p->path);
		return 0;
	}
	if (!(p->hash_path = abs_clean(o->hash_path)))
		return err_sys(errno, "cannot find the current directory");
	if (strncmp(p->path, p->hash_path, strlen(p->hash_path)) != 0)
		return err_set(EINVAL, "hash path is not a prefix of the "
		    "package path");
	return 0;
}

/* org and hash overrides (doc/linuxkit-compat.md §4.9) */
static void
load_overrides(struct pkg *p, const struct pkg_opts *o)
{
	/* org: --org, then LINUXKIT_PKG_ORG, then --dev, then build.yml */
	if (o->org)
		p->org = xstrdup(o->org);
	else if (o->env_org && *o->env_org)
		p->org = xstrdup(o->env_org);
	else if (o->dev)
		p->org = xstrdup(o->user ? o->user : "");
	else
		p->org = xstrdup(p->y.org);
	if (o->hash && *o->hash)
		p->hash = xstrdup(o->hash);
	else
		p->hash = xstrdup(o->dev ? "dev" : "");
}

/*
 * The hash from git (§4.3-§4.6): H's tree at C, with the extra sources'
 * trees folded in, and the dirty suffix of P's content.
 */
static int
git_hash(struct pkg *p, struct gittree *g, const char *rel,
    struct gittree *hg, const char *hrel)
{
	struct buf s = BUF_INIT;
	char tree[GITTREE_HEXLEN + 1], content[65];
	size_t i;

	if (gittree_tree_hash(hg, hrel, p->commit, tree) == -1) {
		if (errno == ENOENT)
			err_set(EINVAL, "package %s is not in git",
			    p->hash_path);
		return -1;
	}
	if (p->nsrc) {
		buf_adds(&s, tree);
		for (i = 0; i < p->nsrc; i++)
			buf_adds(&s, p->src[i].hash);
		sha1_hex(s.data, tree);
		buf_release(&s);
	}
	free(p->hash);
	p->hash = NULL;
	if (p->dirty) {
		if (gittree_content_hash(g, rel, content) == -1)
			return -1;
		p->hash = xasprintf("%s-dirty-%.7s", tree, content);
	} else
		p->hash = xstrdup(tree);
	return 0;
}

/* what git says of P: in git, dirty, the hash, HEAD and GOPKGVERSION */
static int
load_git(struct pkg *p, struct gitcache *gc, const struct pkg_opts *o)
{
	struct gittree *g, *hg;
	char *rel = NULL, *hrel = NULL;
	int rc = -1, d;

	if (gittree_find(gc, p->path, &g, &rel) == -1)
		return errno == ENOENT ? 0 : -1;
	p->in_git = 1;
	if (gittree_find(gc, p->hash_path, &hg, &hrel) == -1) {
		err_as(ERR_FAILURE);
		goto out;
	}
	d = 0;
	if (o->force_dirty)
		d = 1;
	else if (!strcmp(p->commit, "HEAD") &&
	    (d = gittree_is_dirty(hg, hrel)) == -1)
		d = 1;	/* an error while comparing counts as dirty */
	p->dirty = d;
	if ((!*p->hash && git_hash(p, g, rel, hg, hrel) == -1) ||
	    gittree_head(g, p->revision) == -1 ||
	    gittree_gopkgversion(g, &p->gopkgversion) == -1)
		goto out;
	rc = 0;
out:
	free(rel);
	free(hrel);
	return rc;
}

/* the tag from its template, checked, and the reference (§4.10) */
static int
load_tag(struct pkg *p, const struct pkg_opts *o)
{
	const char *tmpl;

	tmpl = o->tag && *o->tag ? o->tag : *p->y.tag ? p->y.tag : "{{.Hash}}";
	if (pkg_render_tag(tmpl, p->hash, &p->tag) == -1)
		return -1;
	if (!*p->tag) {
		free(p->tag);
		p->tag = xstrdup("latest");
	}
	/* the tag names images, files and URLs: its grammar, nothing else */
	if (!ref_tag_valid(p->tag))
		return err_wrap("package %s", p->path);
	p->ref = xasprintf("%s/%s:%s", p->org, p->y.image, p->tag);
	return check_ref(p, o->org || (o->env_org && *o->env_org) || o->dev);
}

static int
load(struct pkg *p, struct gitcache *gc, const char *dir,
    const struct pkg_opts *o)
{
	size_t i;
	int rc = -1;

	if (load_paths(p, dir, o) == -1)
		return -1;
	if (buildyml_load(&p->y, p->path, o->build_yml) == -1)
		return err_as(ERR_FAILURE);
	load_overrides(p, o);
	for (i = 0; i < p->y.extra_sources.n; i++)
		if (extra_source(p, gc, p->y.extra_sources.v[i]) == -1)
			goto out;
	if (load_git(p, gc, o) == -1 || load_tag(p, o) == -1)
		goto out;
	rc = 0;
out:
	/* only a missing package directory is "not found" (pkg.h) */
	if (rc == -1 && err_kind() == ERR_NOTFOUND)
		err_as(ERR_FAILURE);
	return rc;
}

int
pkg_load(struct pkg *p, struct gitcache *gc, const char *dir,
    const struct pkg_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->arg_files = o->arg_files;
	if (load(p, gc, dir, o) == -1) {
		pkg_release(p);
		return -1;
	}
	return 0;
}

void
pkg_release(struct pkg *p)
{
	size_t i;

	free(p->path);
	free(p->hash_path);
	free(p->commit);
	if (p->y.file)
		buildyml_release(&p->y);
	free(p->org);
	free(p->hash);
	free(p->tag);
	free(p->ref);
	free(p->gopkgversion);
	for (i = 0; i < p->nsrc; i++) {
		free(p->src[i].src);
		free(p->src[i].dst);
	}
	free(p->src);
	memset(p, 0, sizeof(*p));
}

/* ---- build args (§6) ---------------------------------------------- */

static void
set_absent(json_t *args, const char *k, const char *v)
{
	if (!json_object_get(args, k))
		json_object_set_new(args, k, json_string(v));
}

/* the Tag() of a package resolved with defaults only (§6.4) */
static int
nested_tag(struct gitcache *gc, const char *dir, char **tag)
{
	struct pkg_opts o = PKG_OPTS_INIT;
	struct pkg n;

	if (pkg_load(&n, gc, dir, &o) == -1)
		return -1;
	*tag = n.ref;
	n.ref = NULL;
	pkg_release(&n);
	return 0;
}

static int
lkt_pkgs(struct gitcache *gc, json_t *args, const char *key,
    const char *anchor, const char *pattern)
{
	glob_t gl;
	struct stat st;
	struct pkg_opts o = PKG_OPTS_INIT;
	struct pkg n;
	struct buf k = BUF_INIT;
	char *pat, *up, *c, **v;
	const char *base, *q;
	size_t i, found = 0;
	int r, rc = -1;

	if (!strchr(key, '%'))
		return err_set(EINVAL, "invalid build arg key \"%s\", must "
		    "contain a '%%'", key);
	pat = *pattern == '/' ? path_clean(pattern) :
	    path_join(anchor, pattern);
	memset(&gl, 0, sizeof(gl));
	r = glob(pat, GLOB_NOSORT, NULL, &gl);
	if (r != 0 && r != GLOB_NOMATCH) {
		err_set(EIO, "cannot expand \"%s\"", pat);
		goto out;
	}
	v = gl.gl_pathv;
	if (gl.gl_pathc)
		qsort(v, gl.gl_pathc, sizeof(*v), strv_cmp);
	for (i = 0; i < gl.gl_pathc; i++) {
		base = strrchr(v[i], '/');
		base = base ? base + 1 : v[i];
		if (*base == '.' || stat(v[i], &st) == -1 ||
		    !S_ISDIR(st.st_mode))
			continue;
		if (pkg_load(&n, gc, v[i], &o) == -1)
			goto out;
		up = xasprintf("%s/%s", n.org, n.y.image);
		for (c = up; *c; c++)
			*c = *c == '/' || *c == '-' ? '_' :
			    toupper((unsigned char)*c);
		buf_reset(&k);
		for (q = key; *q; q++)
			if (*q == '%')
				buf_adds(&k, up);
			else
				buf_add(&k, q, 1);
		json_object_set_new(args, k.data, json_string(n.ref));
		free(up);
		pkg_release(&n);
		found++;
	}
	if (!found) {
		err_set(EINVAL, "no packages found matching path \"%s\"", pat);
		goto out;
	}
	rc = 0;
out:
	globfree(&gl);
	buf_release(&k);
	free(pat);
	return rc;
}

/* one value, with @lkt: expanded against anchor (§6.4), into args */
static int
expand_arg(struct gitcache *gc, json_t *args, const char *key, const char *v,
    const char *anchor)
{
	char *dir, *tag;
	int rc;

	if (strncmp(v, "@lkt:", 5) != 0) {
		json_object_set_new(args, key, json_string(v));
		return 0;
	}
	if (!strncmp(v, "@lkt:pkg:", 9)) {
		dir = v[9] == '/' ? path_clean(v + 9) :
		    path_join(anchor, v + 9);
		rc = nested_tag(gc, dir, &tag);
		free(dir);
		if (rc == -1)
			goto fail;
		json_object_set_new(args, key, json_string(tag));
		free(tag);
		return 0;
	}
	if (!strncmp(v, "@lkt:pkgs:", 10)) {
		if (lkt_pkgs(gc, args, key, anchor, v + 10) == -1)
			goto fail;
		return 0;
	}
	err_set(EINVAL, "unknown linuxkit build arg value \"%s\"", v);
fail:
	if (err_kind() == ERR_NOTFOUND)
		err_as(ERR_FAILURE);
	return -1;
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/*
 * A --build-arg-file (§6.1 step 2): every line trimmed, split at its
 * first '=', key and value trimmed, @lkt: anchored at the file's
 * directory. A blank line or one without '=' (a comment too) is an error.
 */
static int
arg_file(struct gitcache *gc, json_t *args, const char *file)
{
	struct buf b = BUF_INIT;
	char *anchor, *line, *next, *eq, *slash;
	size_t lineno = 0;
	int rc = -1;

	if (fs_read_path(file, ARG_FILE_MAX, &b) == -1) {
		err_as(ERR_FAILURE);
		return -1;
	}
	anchor = path_clean(file);
	if ((slash = strrchr(anchor, '/')))
		*(slash == anchor ? slash + 1 : slash) = '\0';
	else
		strcpy(anchor, ".");
	if (b.len > 0 && memchr(b.data, '\0', b.len)) {
		err_set(EINVAL, "build-arg file '%s' holds a NUL byte", file);
		goto out;
	}
	if (b.len > 0 && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	for (line = b.len > 0 ? b.data : NULL; line; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		line = trim(line);
		if (!(eq = strchr(line, '='))) {
			err_set(EINVAL, "%s:%zu: invalid build-arg, must be "
			    "in format 'arg=value'", file, lineno);
			goto out;
		}
		*eq = '\0';
		if (expand_arg(gc, args, trim(line), trim(eq + 1),
		    anchor) == -1) {
			err_wrap("%s:%zu", file, lineno);
			goto out;
		}
	}
	rc = 0;
out:
	free(anchor);
	buf_release(&b);
	return rc;
}

static const char *const proxies[] = {
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
	"ftp_proxy", "FTP_PROXY", "no_proxy", "NO_PROXY",
	"all_proxy", "ALL_PROXY", NULL
};

static const char *
env_get(char *const *env, const char *k)
{
	size_t n = strlen(k);

	for (; env && *env; env++)
		if (!strncmp(*env, k, n) && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

int
pkg_build_args(struct pkg *p, struct gitcache *gc, char *const *env,
    json_t **out, json_t **yml_args)
{
	json_t *args = json_object();
	char *anchor, *key = NULL, *tag, *slash;
	const char *a, *eq, *v;
	size_t i;

	if (yml_args)
		*yml_args = NULL;
	anchor = xstrdup(p->y.file);
	if ((slash = strrchr(anchor, '/')))
		*(slash == anchor ? slash + 1 : slash) = '\0';
	for (i = 0; i < p->y.build_args.n; i++) {
		a = p->y.build_args.v[i];
		if (!(eq = strchr(a, '='))) {
			err_set(EINVAL, "invalid build-arg, must be in format "
			    "'arg=value': %s", a);
			goto fail;
		}
		free(key);
		key = xstrndup(a, eq - a);
		if (expand_arg(gc, args, key, eq + 1, anchor) == -1) {
			err_wrap("build arg '%s'", a);
			goto fail;
		}
	}
	if (yml_args)
		*yml_args = json_deep_copy(args);
	for (i = 0; p->arg_files && p->arg_files[i]; i++)
		if (arg_file(gc, args, p->arg_files[i]) == -1)
			goto fail;
	if (*p->y.gitrepo)
		set_absent(args, "SOURCE", p->y.gitrepo);
	if (p->in_git && !p->dirty)
		set_absent(args, "REVISION", p->revision);
	if (p->in_git)
		set_absent(args, "GOPKGVERSION", p->gopkgversion);
	if (*p->hash)
		set_absent(args, "PKG_HASH", p->hash);
	tag = xasprintf("%s/%s", p->org, p->y.image);
	set_absent(args, "PKG_IMAGE", tag);
	free(tag);
	for (i = 0; proxies[i]; i++)
		if ((v = env_get(env, proxies[i])) && *v)
			set_absent(args, proxies[i], v);
	free(key);
	free(anchor);
	*out = args;
	return 0;
fail:
	if (yml_args) {
		json_decref(*yml_args);
		*yml_args = NULL;
	}
	free(key);
	free(anchor);
	json_decref(args);
	return -1;
}

json_t *
pkg_labels(const struct pkg *p)
{
	json_t *l = json_object();

	if (p->in_git && *p->y.gitrepo)
		json_object_set_new(l, "org.opencontainers.image.source",
		    json_string(p->y.gitrepo));
	if (p->in_git && !p->dirty)
		json_object_set_new(l, "org.opencontainers.image.revision",
		    json_string(p->revision));
	if (p->y.config)
		json_object_set_new(l, "org.mobyproject.config",
		    json_string(p->y.config));
	return l;
}

static json_t *
strv_json(const struct strv *s)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < s->n; i++)
		json_array_append_new(a, json_string(s->v[i]));
	return a;
}

static json_t *
str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

/*
 * The Dockerfile is read by the builder from the context, so it must be
 * a regular file in the package reached through directories alone: no
 * absolute path, no "..", no symbolic link at any component (a
 * committed link to /etc/shadow would otherwise be read and its lines
 * printed in the build log).
 */
int
pkg_dockerfile_check(const char *pkgdir, const char *dockerfile,
    int missing_ok)
{
	struct stat st;
	char *path, *c, *next;
	int rc = 0;

	for (c = (char *)dockerfile; *c; c++)	/* names a file in a script */
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			break;
	if (*dockerfile == '\0' || *dockerfile == '/' || *c != '\0')
		return err_set(EINVAL, "dockerfile '%.80s': not a path inside "
		    "the package", dockerfile);
	if (strstr(dockerfile, "..") != NULL)
		return err_set(EINVAL, "dockerfile '%.80s': cannot expand "
		    "beyond root of context", dockerfile);
	path = xasprintf("%s/%s", pkgdir, dockerfile);
	c = path + strlen(pkgdir) + 1;
	for (;;) {	/* bounded: one pass per '/' of dockerfile */
		if ((next = strchr(c, '/')) != NULL)
			*next = '\0';
		if (lstat(path, &st) == -1) {
			if (errno == ENOENT && missing_ok)
				break;
			rc = err_set(EINVAL, "dockerfile '%.80s' does not exist "
			    "or cannot be read", dockerfile);
			break;
		}
		if (next == NULL) {
			if (!S_ISREG(st.st_mode))
				rc = err_set(EINVAL, "dockerfile '%.80s': not a "
				    "regular file", dockerfile);
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			rc = err_set(EINVAL, "dockerfile '%.80s': '%.80s' is "
			    "not a directory", dockerfile, path);
			break;
		}
		*next = '/';
		c = next + 1;
	}
	free(path);
	return rc;
}

int
pkg_plan(struct pkg *p, struct gitcache *gc, char *const *env,
    const char *canonical, json_t **out)
{
	json_t *o, *args, *yml_args, *srcs, *dep, *s;
	size_t i;

	if (pkg_dockerfile_check(p->path, p->y.dockerfile, 1) == -1)
		return err_wrap("%s", p->y.file);
	if (pkg_build_args(p, gc, env, &args, &yml_args) == -1)
		return -1;
	o = json_object();
	json_object_set_new(o, "kind", json_string("package"));
	json_object_set_new(o, "ref", json_string(p->ref));
	json_object_set_new(o, "canonical", str_or_null(canonical));
	json_object_set_new(o, "org", json_string(p->org));
	json_object_set_new(o, "image", json_string(p->y.image));
	json_object_set_new(o, "tag", json_string(p->tag));
	json_object_set_new(o, "hash", json_string(p->hash));
	json_object_set_new(o, "dirty", json_boolean(p->dirty));
	json_object_set_new(o, "git", json_boolean(p->in_git));
	json_object_set_new(o, "path", json_string(p->path));
	json_object_set_new(o, "hashPath", json_string(p->hash_path));
	json_object_set_new(o, "hashCommit", json_string(p->commit));
	json_object_set_new(o, "buildYml", json_string(p->y.file));
	json_object_set_new(o, "arches", strv_json(&p->y.arches));
	json_object_set_new(o, "dockerfile", json_string(p->y.dockerfile));
	json_object_set_new(o, "network", json_boolean(p->y.network));
	json_object_set_new(o, "disableCache",
	    json_boolean(p->y.disable_cache));
	json_object_set_new(o, "gitrepo", json_string(p->y.gitrepo));
	srcs = json_array();
	for (i = 0; i < p->nsrc; i++) {
		s = json_object();
		json_object_set_new(s, "src", json_string(p->src[i].src));
		json_object_set_new(s, "dst", json_string(p->src[i].dst));
		json_object_set_new(s, "hash", json_string(p->src[i].hash));
		json_array_append_new(srcs, s);
	}
	json_object_set_new(o, "extraSources", srcs);
	dep = json_object();
	json_object_set_new(dep, "images", strv_json(&p->y.dep_images));
	json_object_set_new(dep, "target", str_or_null(p->y.dep_target));
	json_object_set_new(dep, "targetDir",
	    str_or_null(p->y.dep_target_dir));
	json_object_set_new(o, "depends", dep);
	json_object_set_new(o, "buildArgs", args);
	json_object_set_new(o, "buildYmlArgs", yml_args);
	json_object_set_new(o, "labels", pkg_labels(p));
	json_object_set_new(o, "config", str_or_null(p->y.config));
	json_object_set_new(o, "revision", str_or_null(p->in_git &&
	    !p->dirty ? p->revision : NULL));
	json_object_set_new(o, "head", str_or_null(p->in_git ?
	    p->revision : NULL));
	json_object_set_new(o, "gopkgversion", str_or_null(p->gopkgversion));
	*out = o;
	return 0;
}
