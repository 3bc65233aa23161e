/* lib/buildctx.c - write the build context as a tar stream (libarchive) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buildctx.h"
#include "buildyml.h"
#include "dockersave.h"
#include "err.h"
#include "gittree.h"
#include "layout.h"
#include "pkg.h"
#include "pull.h"
#include "ref.h"
#include "strv.h"
#include "tarx.h"
#include "xalloc.h"

static int
ar_fail(struct buildctx *c, const char *what)
{
	const char *m = archive_error_string(c->a);

	if (c->out.err)
		return err_sys(c->out.err, "cannot write '%s' to the context",
		    what);
	return err_set(EIO, "cannot write '%s' to the context: %s", what,
	    m ? m : "error");
}

/* the output failed under libarchive's feet (see tarx_sink) */
static int
out_failed(struct buildctx *c, const char *what)
{
	return c->out.err ? ar_fail(c, what) : 0;
}

int
buildctx_open(struct buildctx *c, int fd, int clamp, int64_t epoch)
{
	struct archive *a = archive_write_new();

	c->a = a;
	c->clamp = clamp;
	c->epoch = epoch;
	/*
	 * Names are stored as the bytes they are on disk, whatever the
	 * locale: "café.txt" or a name that is not UTF-8 at all.
	 */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "hdrcharset=BINARY") != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK) {
		ar_fail(c, "stream");
		archive_write_free(a);
		c->a = NULL;
		return -1;
	}
	if (tarx_write_open_fd(a, &c->out, fd) == -1) {
		archive_write_free(a);
		c->a = NULL;
		return -1;
	}
	return 0;
}

static int
copy_fd(struct buildctx *c, const char *name, int fd, int64_t size)
{
	char tmp[65536];
	ssize_t r;

	while (size > 0) {
		r = read(fd, tmp, (size_t)size < sizeof(tmp) ? (size_t)size :
		    sizeof(tmp));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return err_sys(errno, "cannot read '%s'", name);
		if (r == 0)
			return err_set(EIO, "'%s' shrank while it was read",
			    name);
		if (archive_write_data(c->a, tmp, r) != r || c->out.err)
			return ar_fail(c, name);
		size -= r;
	}
	return 0;
}


int
buildctx_add_dir(struct buildctx *c, const char *name)
{
	if (tarx_write_entry(c->a, name, 1, 0) == -1)
		return -1;
	return out_failed(c, name);
}

int
buildctx_add_fd(struct buildctx *c, const char *name, int fd, int64_t size)
{
	if (tarx_write_entry(c->a, name, 0, size) == -1 ||
	    out_failed(c, name) == -1)
		return -1;
	return copy_fd(c, name, fd, size);
}

static int
skipped(const char *rel, const char *const *skip)
{
	size_t n;

	for (; skip && *skip; skip++) {
		n = strlen(*skip);
		if (!strncmp(rel, *skip, n) && (rel[n] == '\0' || rel[n] == '/'))
			return 1;
	}
	return 0;
}

static int
add_one(struct buildctx *c, const char *path, const char *name,
    const struct stat *st)
{
	struct archive_entry *e = archive_entry_new();
	char target[PATH_MAX + 1];
	ssize_t n;
	int fd = -1, rc = -1;
	int64_t mtime = st->st_mtime;

	archive_entry_set_pathname(e, name);
	archive_entry_set_mode(e, st->st_mode);
	if (c->clamp) {
		if (mtime > c->epoch)
			mtime = c->epoch;
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
	} else {
		archive_entry_set_uid(e, st->st_uid);
		archive_entry_set_gid(e, st->st_gid);
	}
	archive_entry_set_mtime(e, mtime, 0);
	if (S_ISREG(st->st_mode)) {
		/* open first: a file that vanished or changed type is an error */
		if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
			err_sys(errno, "cannot open '%s'", path);
			goto out;
		}
		archive_entry_set_size(e, st->st_size);
	} else if (S_ISLNK(st->st_mode)) {
		if ((n = readlink(path, target, sizeof(target) - 1)) == -1) {
			err_sys(errno, "cannot read link '%s'", path);
			goto out;
		}
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
		archive_entry_set_size(e, 0);
	} else if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode)) {
		archive_entry_set_rdev(e, st->st_rdev);
		archive_entry_set_size(e, 0);
	} else if (S_ISDIR(st->st_mode) || S_ISFIFO(st->st_mode)) {
		archive_entry_set_size(e, 0);
	} else {
		rc = 0;		/* sockets cannot be stored */
		goto out;
	}
	if (archive_write_header(c->a, e) != ARCHIVE_OK || c->out.err) {
		ar_fail(c, name);
		goto out;
	}
	if (fd != -1 && copy_fd(c, path, fd, st->st_size) == -1)
		goto out;
	rc = 0;
out:
	if (fd != -1)
		close(fd);
	archive_entry_free(e);
	return rc;
}

static int
walk(struct buildctx *c, const char *path, const char *name, const char *rel,
    const char *const *skip)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	char **kids = NULL, *p, *nm, *r;
	size_t n = 0, i;
	int rc = -1;

	if (*rel && skipped(rel, skip))
		return 0;
	if (lstat(path, &st) == -1)
		return err_sys(errno, "cannot read '%s'", path);
	if (add_one(c, path, name, &st) == -1)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (!(dir = opendir(path)))
		return err_sys(errno, "cannot read directory '%s'", path);
	while ((errno = 0, d = readdir(dir))) {
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		kids = xrealloc(kids, (n + 1) * sizeof(*kids));
		kids[n++] = xstrdup(d->d_name);
	}
	if (errno) {
		err_sys(errno, "cannot read directory '%s'", path);
		closedir(dir);
		goto out;
	}
	closedir(dir);
	if (n)
		qsort(kids, n, sizeof(*kids), strv_cmp);
	for (i = 0; i < n; i++) {
		p = xasprintf("%s/%s", path, kids[i]);
		nm = strcmp(name, ".") ? xasprintf("%s/%s", name, kids[i]) :
		    xstrdup(kids[i]);
		r = *rel ? xasprintf("%s/%s", rel, kids[i]) : xstrdup(kids[i]);
		rc = walk(c, p, nm, r, skip);
		free(p);
		free(nm);
		free(r);
		if (rc == -1)
			goto out;
	}
	rc = 0;
out:
	for (i = 0; i < n; i++)
		free(kids[i]);
	free(kids);
	return rc;
}

int
buildctx_add_tree(struct buildctx *c, const char *src, const char *dst,
    const char *const *skip)
{
	if (!strcmp(dst, "..") || !strncmp(dst, "../", 3) || *dst == '/')
		return err_set(EINVAL, "destination '%s' escapes the context",
		    dst);
	return walk(c, src, dst, "", skip);
}

int
buildctx_close(struct buildctx *c)
{
	int rc = 0;

	if (archive_write_close(c->a) != ARCHIVE_OK || c->out.err)
		rc = ar_fail(c, "end of stream");
	archive_write_free(c->a);
	c->a = NULL;
	return rc;
}

void
buildctx_abort(struct buildctx *c)
{
	/* no end blocks after a half entry, and nothing leaked */
	tarx_write_abort(c->a, &c->out);
	c->a = NULL;
}

/* ---- the plan (pkg-buildctx(1)) ---- */

static int
plan_dir(struct buildctx_plan *p, const char *dir)
{
	struct stat st;
	char cwd[PATH_MAX];

	if (*dir == '/')
		p->pkgdir = buildyml_clean_path(dir);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		p->pkgdir = buildyml_join_path(cwd, dir);
	else
		return err_sys(errno, "cannot find the current directory");
	if (stat(p->pkgdir, &st) == -1)
		return errno == ENOENT ? err_notfound("no such directory") :
		    err_sys(errno, "cannot read '%s'", p->pkgdir);
	if (!S_ISDIR(st.st_mode))
		return err_set(EINVAL, "not a directory");
	return 0;
}

/* the Dockerfile lives in the package (linuxkit-compat: §7.4 of doc/) */
static int
plan_dockerfile(struct buildctx_plan *p)
{
	struct stat st;
	char *df;
	int rc = 0;

	if (strstr(p->y.dockerfile, "..") != NULL)
		return err_set(EINVAL, "dockerfile '%s': cannot expand beyond "
		    "root of context", p->y.dockerfile);
	df = buildyml_join_path(p->pkgdir, p->y.dockerfile);
	if (lstat(df, &st) == -1)
		rc = err_set(EINVAL, "dockerfile '%s' does not exist or "
		    "cannot be read", p->y.dockerfile);
	free(df);
	return rc;
}

/*
 * One extra source "src:dst": pkg_source_check() decides its validity, the
 * check pkg-tag(1) makes, so the context never holds a source the
 * package's tag would refuse (outside git, through a link, uncommitted).
 * What only a context needs is checked here: a file must have a name.
 */
static int
plan_source(struct buildctx_plan *p, struct gitcache *gc, const char *entry,
    struct buildctx_source *s)
{
	struct pkg_source ps;
	struct stat st;
	const char *name;

	if (pkg_source_check(gc, p->pkgdir, entry, "HEAD", &ps) == -1)
		return err_as(ERR_FAILURE);
	s->src = ps.src;
	name = ps.dst + (*ps.dst == '/');
	s->name = xstrdup(*name ? name : ".");
	free(ps.dst);
	if (lstat(s->src, &st) == -1)
		return err_sys(errno, "cannot read extra source '%s'", s->src);
	if (!S_ISDIR(st.st_mode) && strcmp(s->name, ".") == 0)
		return err_set(EINVAL, "extra source '%s' is a file and needs a "
		    "file name as destination", entry);
	return 0;
}

static int
plan_sources(struct buildctx_plan *p)
{
	struct gitcache gc;
	size_t i, n = p->y.extra_sources.n;
	int rc = 0;

	p->src = xcalloc(n ? n : 1, sizeof(*p->src));
	gitcache_init(&gc);
	for (i = 0; i < n && rc == 0; i++) {
		p->nsrc++;
		rc = plan_source(p, &gc, p->y.extra_sources.v[i], &p->src[i]);
	}
	gitcache_release(&gc);
	return rc;
}

/* the last path component of a reference's repository: no tag, no digest */
static char *
ref_basename(const char *ref)
{
	const char *slash, *end, *colon;

	end = strchr(ref, '@');
	end = end ? end : ref + strlen(ref);
	for (slash = end; slash > ref && slash[-1] != '/'; slash--)
		;
	colon = memchr(slash, ':', (size_t)(end - slash));
	return xstrndup(slash, (size_t)((colon ? colon : end) - slash));
}

/* the depends target, relative to P; refused when it climbs out */
static int
plan_target(struct buildctx_plan *p)
{
	const char *t = *p->y.dep_target ? p->y.dep_target :
	    p->y.dep_target_dir;
	size_t n = strlen(p->pkgdir);
	char *j;

	if (*t == '\0')
		return err_set(EINVAL, "depends.docker-images without target "
		    "or target-dir");
	j = buildyml_join_path(p->pkgdir, t);
	if (strncmp(j, p->pkgdir, n) != 0 || j[n] != '/') {
		free(j);
		return err_set(EINVAL, "depends target '%s' escapes the "
		    "package", t);
	}
	p->deps = xstrdup(j + n + 1);
	p->deps_dir = *p->y.dep_target == '\0';
	free(j);
	return 0;
}

/*
 * Fetch ref into the cache for the platform, in process. The puller
 * opens the cache itself; no lock of ours is held meanwhile, so its
 * closing the lock file drops nothing of ours.
 */
static int
fetch_dep(const char *cachedir, const struct buildctx_opts *o, const char *ref)
{
	struct pull_opts po = { .pool = o->pool, .cache = cachedir,
	    .nplat = 1, .log = o->log, .log_arg = o->log_arg };
	struct pull_result res = PULL_RESULT_INIT;
	struct puller *pl;
	char *name;
	int rc;

	if ((name = ref_canonical(ref, 1)) == NULL)
		return err_set(EINVAL, "image '%s' is not a valid reference",
		    ref);
	po.plats[0] = o->plat;
	pl = puller_new(&po);
	rc = puller_run(pl, PULL_FETCH, name, &res);
	pull_result_release(&res);
	puller_free(pl);
	free(name);
	return rc;
}

/* one depends image from the cache, fetched first when it is absent */
static int
resolve_dep(struct layout *l, int *opened, const char *cachedir,
    const struct buildctx_opts *o, const char *ref,
    struct dockersave_image *img)
{
	int tries;

	for (tries = 0;; tries++) {
		if (!*opened && layout_open(l, cachedir, 0) == 0)
			*opened = 1;
		if (*opened && dockersave_resolve(l, ref, &o->plat, img) == 0)
			return 0;
		if (err_kind() != ERR_NOTFOUND || tries > 0 || o->pool == NULL)
			break;
		if (fetch_dep(cachedir, o, ref) == -1)
			return err_wrap("image '%s' is not in the cache '%s' "
			    "and cannot be fetched", ref, cachedir);
	}
	return err_wrap("image '%s'", ref);
}

/* n images as one docker save tarball in an unlinked temporary file */
static int
save_dep(struct layout *l, const struct dockersave_image *imgs, size_t n,
    struct buildctx_dep *d)
{
	struct stat st;

	if ((d->f = tmpfile()) == NULL)
		return err_sys(errno, "cannot create a temporary file");
	if (dockersave_write(l, imgs, n, fileno(d->f)) == -1)
		return err_wrap("cannot save '%s'", d->name);
	if (fstat(fileno(d->f), &st) == -1 ||
	    lseek(fileno(d->f), 0, SEEK_SET) == -1)
		return err_sys(errno, "cannot read back a temporary file");
	d->size = st.st_size;
	return 0;
}

static int
save_deps(struct buildctx_plan *p, struct layout *l,
    const struct dockersave_image *imgs, size_t n)
{
	struct buildctx_dep *d;
	const char *at;
	char *base;
	size_t i;

	p->dep = xcalloc(n, sizeof(*p->dep));
	if (!p->deps_dir) {
		d = &p->dep[p->ndep++];
		d->name = xstrdup(p->deps);
		return save_dep(l, imgs, n, d);
	}
	for (i = 0; i < n; i++) {
		at = strrchr(imgs[i].ref, '@');
		base = ref_basename(imgs[i].ref);
		d = &p->dep[p->ndep++];
		d->shown = xasprintf("%s%s", base, at ? at : "");
		d->name = xasprintf("%s/%s.tar", p->deps, d->shown);
		free(base);
		if (save_dep(l, &imgs[i], 1, d) == -1)
			return -1;
	}
	return 0;
}

static int
plan_deps(struct buildctx_plan *p, const struct buildctx_opts *o)
{
	struct layout l = LAYOUT_INIT;
	struct dockersave_image *imgs;
	size_t n = p->y.dep_images.n, i, got = 0;
	char *cachedir;
	int opened = 0, rc = -1;

	if (n == 0)
		return 0;
	if (plan_target(p) == -1)
		return -1;
	cachedir = layout_default_path(o->cache);
	imgs = xcalloc(n, sizeof(*imgs));
	for (got = 0; got < n; got++)
		if (resolve_dep(&l, &opened, cachedir, o, p->y.dep_images.v[got],
		    &imgs[got]) == -1)
			goto out;
	rc = save_deps(p, &l, imgs, n);
out:
	for (i = 0; i < got; i++)
		dockersave_image_release(&imgs[i]);
	free(imgs);
	if (opened)
		layout_close(&l);
	free(cachedir);
	return rc;
}

int
buildctx_plan(struct buildctx_plan *p, const char *dir,
    const struct buildctx_opts *o)
{
	*p = (struct buildctx_plan)BUILDCTX_PLAN_INIT;
	if (plan_dir(p, dir) == -1)
		return -1;
	if (buildyml_load(&p->y, p->pkgdir, o->build_yml) == -1)
		return err_as(ERR_FAILURE);
	if (plan_dockerfile(p) == -1 || plan_sources(p) == -1)
		return -1;
	return plan_deps(p, o);
}

int
buildctx_write(const struct buildctx_plan *p, int fd, int clamp, int64_t epoch)
{
	struct buildctx c = BUILDCTX_INIT;
	const char *skip[2] = { p->deps, NULL };
	size_t i;

	if (buildctx_open(&c, fd, clamp, epoch) == -1)
		return -1;
	if (buildctx_add_tree(&c, p->pkgdir, ".", skip) == -1)
		goto fail;
	if (p->deps_dir && buildctx_add_dir(&c, p->deps) == -1)
		goto fail;
	for (i = 0; i < p->ndep; i++)
		if (buildctx_add_fd(&c, p->dep[i].name, fileno(p->dep[i].f),
		    p->dep[i].size) == -1)
			goto fail;
	for (i = 0; i < p->nsrc; i++)
		if (buildctx_add_tree(&c, p->src[i].src, p->src[i].name,
		    NULL) == -1)
			goto fail;
	return buildctx_close(&c);
fail:
	buildctx_abort(&c);
	return -1;
}

void
buildctx_plan_release(struct buildctx_plan *p)
{
	size_t i;

	for (i = 0; i < p->nsrc; i++) {
		free(p->src[i].src);
		free(p->src[i].name);
	}
	free(p->src);
	for (i = 0; i < p->ndep; i++) {
		if (p->dep[i].f)
			fclose(p->dep[i].f);
		free(p->dep[i].name);
		free(p->dep[i].shown);
	}
	free(p->dep);
	if (p->y.file)
		buildyml_release(&p->y);
	free(p->deps);
	free(p->pkgdir);
	*p = (struct buildctx_plan)BUILDCTX_PLAN_INIT;
}
