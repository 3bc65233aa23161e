/* lib/import.c - stage a tar's blobs, check what its index reaches, publish */
#define _GNU_SOURCE		/* O_TMPFILE */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "desc.h"
#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "gzip.h"
#include "import.h"
#include "jsonio.h"
#include "manifest.h"
#include "progress.h"
#include "ref.h"
#include "tarx.h"

#define MAX_DEPTH	8	/* index -> index -> ... -> manifest */
#define MAX_LINKS	16	/* symlink hops inside the archive */
/*
 * All the JSON one import may parse: index.json, manifest.json, and every
 * manifest and config, however often they are named. Each document is
 * capped at JSONIO_MAX_DOC; this caps what a tar naming one 8 MiB document
 * a million times could make us parse.
 */
#define MAX_META	(64u << 20)
#define MAX_THREADS	4	/* layers gzipped at once, at most */

/*
 * One content of the tar, or of the cache, held once whatever number of
 * entries carry it: published at most once, under its digest. Entries
 * with the same bytes share it (a docker save may hold a layer twice).
 */
struct blob {
	char			 digest[DIGEST_MAX];
	int64_t			 size;
	int			 in_cache;	/* nothing staged: the cache has it */
	int			 gzip;		/* starts with gzip's magic (docker save) */
	int			 reached;	/* named by the index: publish it */
	char			*walked_mt;	/* its children were checked, as this type */
	struct blob_writer	 w;
	int			 spool;		/* or its bytes here, unsynced (-1) */
	/* docker save layers (see gzip.h) */
	int			 queued;	/* a job gzips or checks it */
	struct blob		*gz;		/* plain layer: its gzipped form */
	char			 plain[DIGEST_MAX]; /* gzipped layer: what it holds */
};

/* one layer to gzip (b plain), or one gzipped layer to check (b->gzip) */
struct job {
	struct blob		*b;
	int			 fd;		/* b's bytes, staged or cached */
	int			 own_fd;	/* fd was opened for the job */
	struct blob_writer	 w;		/* gzip: the compressed blob */
	char			 plain[DIGEST_MAX]; /* check: what b holds */
};

/* a docker save image between the two passes over manifest.json */
struct dimage {
	json_t		*cfg;		/* its config, parsed */
	json_t		*diffs;		/* rootfs.diff_ids, inside cfg */
	struct blob	*cb;		/* its config blob */
};

/* a regular file of the tar: its name and the content it holds */
struct file {
	char		*path;
	struct blob	*blob;
};

struct alias {
	char	*path, *target;
};

struct import {
	struct layout	*l;
	const char	*what;
	struct blob	**blobs;
	size_t		 nblobs, capblobs;
	struct file	*files;
	size_t		 nfiles, capfiles;
	struct alias	*aliases;
	size_t		 naliases, capaliases;
	struct buf	 index, manifest, scratch;
	int		 has_index, has_manifest;
	size_t		 meta;		/* bytes of JSON read, up to MAX_META */
	struct job	*jobs;
	size_t		 njobs, capjobs;
	struct import_result *res;
};

static struct file *
find_path(struct import *im, const char *path)
{
	size_t i, hops;

	for (hops = 0; hops <= MAX_LINKS; hops++) {
		for (i = im->nfiles; i-- > 0; )
			if (strcmp(im->files[i].path, path) == 0)
				return &im->files[i];
		for (i = im->naliases; i-- > 0; )
			if (strcmp(im->aliases[i].path, path) == 0)
				break;
		if (i == (size_t)-1)
			return NULL;
		path = im->aliases[i].target;
	}
	return NULL;
}

static struct blob *
find_blob(struct import *im, const char *digest)
{
	size_t i;

	for (i = 0; i < im->nblobs; i++)
		if (strcmp(im->blobs[i]->digest, digest) == 0)
			return im->blobs[i];
	return NULL;
}

static struct blob *
add_blob(struct import *im, const char *digest, int64_t size)
{
	struct blob *b = xcalloc(1, sizeof(*b));

	if (im->nblobs == im->capblobs) {
		im->capblobs = im->capblobs ? im->capblobs * 2 : 16;
		im->blobs = xrealloc(im->blobs, im->capblobs * sizeof(*im->blobs));
	}
	b->w = (struct blob_writer)BLOB_WRITER_INIT;
	b->spool = -1;
	snprintf(b->digest, sizeof(b->digest), "%s", digest);
	b->size = size;
	im->blobs[im->nblobs++] = b;
	return b;
}

/* the blob of digest, from this tar or else from the cache; NULL if neither */
static struct blob *
reach_blob(struct import *im, const char *digest, int64_t size)
{
	struct blob *b = find_blob(im, digest);

	if (!b && layout_blob_has(im->l, digest, size)) {
		b = add_blob(im, digest, size);
		b->in_cache = 1;
	}
	return b;
}

/* the entry path now holds b; a later entry of a name replaces it, as in tar */
static void
set_file(struct import *im, const char *path, struct blob *b)
{
	struct file *f;
	size_t i;

	for (i = 0; i < im->nfiles; i++)
		if (strcmp(im->files[i].path, path) == 0) {
			im->files[i].blob = b;
			return;
		}
	if (im->nfiles == im->capfiles) {
		im->capfiles = im->capfiles ? im->capfiles * 2 : 16;
		im->files = xrealloc(im->files, im->capfiles * sizeof(*f));
	}
	f = &im->files[im->nfiles++];
	f->path = xstrdup(path);
	f->blob = b;
}

/* count n more bytes of JSON against MAX_META */
static int
meta_budget(struct import *im, size_t n)
{
	if (n > MAX_META - im->meta)
		return err_set(EFBIG, "'%s': its manifests and configs add up to "
		    "more than %u MiB", im->what, MAX_META >> 20);
	im->meta += n;
	return 0;
}

static void
add_alias(struct import *im, const char *path, const char *target)
{
	if (im->naliases == im->capaliases) {
		im->capaliases = im->capaliases ? im->capaliases * 2 : 8;
		im->aliases = xrealloc(im->aliases,
		    im->capaliases * sizeof(*im->aliases));
	}
	im->aliases[im->naliases].path = xstrdup(path);
	im->aliases[im->naliases].target = xstrdup(target);
	im->naliases++;
}

/* "blobs/<alg>/<hex>" gives its digest in out; 0 if the name is not a blob's */
static int
blob_name(const char *path, char out[DIGEST_MAX])
{
	const char *alg, *slash;

	if (strncmp(path, "blobs/", 6) != 0)
		return 0;
	alg = path + 6;
	if (!(slash = strchr(alg, '/')) || strchr(slash + 1, '/'))
		return -1;
	if (slash - alg > 16 || strlen(slash + 1) > 128)
		return -1;
	snprintf(out, DIGEST_MAX, "%.*s:%s", (int)(slash - alg), alg, slash + 1);
	return digest_parse(out, NULL, NULL) == 0 ? 1 : -1;
}

/* does a cached blob start with gzip's magic? */
static int
cached_gzip(struct layout *l, const char *digest)
{
	unsigned char head[2] = { 0, 0 };
	int fd = layout_blob_open(l, digest), gz;

	if (fd == -1)
		return 0;
	gz = pread(fd, head, 2, 0) == 2 && head[0] == 0x1f && head[1] == 0x8b;
	close(fd);
	return gz;
}

/*
 * A finished writer's blob, as a tar entry's would be: content met before
 * is dropped for the copy already held, content the cache has is not
 * stored twice. Takes w over.
 */
static struct blob *
adopt(struct import *im, struct blob_writer *w)
{
	struct blob *b;

	if ((b = find_blob(im, w->digest))) {
		blob_writer_abort(w);
		return b;
	}
	b = add_blob(im, w->digest, w->size);
	if (layout_blob_has(im->l, b->digest, b->size)) {
		blob_writer_abort(w);
		b->in_cache = 1;
	} else {
		b->w = *w;
		*w = (struct blob_writer)BLOB_WRITER_INIT;
	}
	return b;
}

/*
 * Copy the entry's data into a new staged blob, checking what is known,
 * and make path name it. Content met before (a second copy of a layer, a
 * blob entry repeated) is verified like any other, then dropped: the
 * first copy stands for both.
 */
static int
stage(struct import *im, struct tarx *t, const char *path, const char *expect,
    int64_t size)
{
	struct blob_writer w;
	struct blob *b;
	const void *p;
	ssize_t n;
	int gz;

	if (blob_writer_open(im->l, &w, expect, size) == -1)
		return -1;
	while ((n = tarx_read(t, &p)) > 0) {
		progress_done(n);
		if (blob_writer_write(&w, p, n) == -1)
			goto fail;
	}
	if (n < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	if (blob_writer_finish(&w) == -1)
		goto fail;
	gz = w.size >= 2 && w.head[0] == 0x1f && w.head[1] == 0x8b;
	b = adopt(im, &w);
	b->gzip = gz;
	set_file(im, path, b);
	return 0;
fail:
	blob_writer_abort(&w);
	return err_wrap("'%s': '%s'", im->what, path);
}

/*
 * An entry that is not named as a blob (docker save's "<id>/layer.tar",
 * "<hex>.json") goes to an unnamed temporary file that is neither synced
 * nor pushed to disk: most of its bytes are a layer that is stored only
 * gzipped, so syncing them would double the import's writes for nothing.
 * What is stored as it is (a config) is copied into a blob writer by
 * promote(), and synced there. 1 when done, 0 when the file system has no
 * O_TMPFILE (stage the entry as a blob instead), -1 on error.
 */
static int
spool(struct import *im, struct tarx *t, const char *path)
{
	struct digest d;
	char digest[DIGEST_MAX];
	unsigned char head[2] = { 0, 0 };
	struct blob *b;
	const void *p;
	int64_t size = 0;
	ssize_t n;
	int fd = -1;

#ifdef O_TMPFILE
	fd = openat(im->l->dirfd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
#endif
	if (fd == -1)
		return 0;
	if (digest_init(&d, DIGEST_SHA256) == -1) {
		close(fd);
		return -1;
	}
	while ((n = tarx_read(t, &p)) > 0) {
		if (size < 2)
			memcpy(head + size, p, n < 2 - size ? n : 2 - size);
		/* hashed on the other core, in place: see tarx.h */
		digest_update_async(&d, p, n);
		if (fs_write_all(fd, p, n) == -1) {
			err_sys(errno, "'%s': '%s': cannot write to the cache "
			    "'%s'", im->what, path, im->l->path);
			n = -1;
			break;
		}
		size += n;
	}
	if (n < 0) {
		digest_release(&d);
		close(fd);
		return -1;
	}
	digest_final(&d, digest);
	if (!(b = find_blob(im, digest))) {
		b = add_blob(im, digest, size);
		b->gzip = size >= 2 && head[0] == 0x1f && head[1] == 0x8b;
		if (layout_blob_has(im->l, b->digest, b->size))
			b->in_cache = 1;
		else
			b->spool = fd, fd = -1;
	}
	if (fd != -1)
		close(fd);
	set_file(im, path, b);
	return 1;
}

/* a spooled blob that is stored as it is: through a writer, verified, synced */
static int
promote(struct import *im, struct blob *b)
{
	struct blob_writer w;
	unsigned char *buf = xmalloc(1024 * 1024);
	int64_t off = 0;
	ssize_t n = 0;

	if (blob_writer_open(im->l, &w, b->digest, b->size) == -1) {
		free(buf);
		return -1;
	}
	while (off < b->size &&
	    (n = pread(b->spool, buf, 1024 * 1024, off)) > 0) {
		if (blob_writer_write(&w, buf, n) == -1)
			break;
		off += n;
	}
	free(buf);
	if (off != b->size || blob_writer_finish(&w) == -1) {
		if (n < 0)
			err_sys(errno, "cannot read back '%s'", b->digest);
		blob_writer_abort(&w);
		return err_wrap("'%s'", im->what);
	}
	close(b->spool);
	b->spool = -1;
	b->w = w;
	return 0;
}

static int
read_entry(struct import *im, struct tarx *t, const struct tarx_entry *e)
{
	char digest[DIGEST_MAX];
	struct blob *b;
	int kind, r;

	if (e->type == TARX_LINK) {
		if (blob_name(e->path, digest) != 0)
			return err_set(EINVAL, "'%s': blob '%s' is a link, not "
			    "a file", im->what, e->path);
		add_alias(im, e->path, e->link);
		return 0;
	}
	if (strcmp(e->path, "index.json") == 0) {
		im->has_index = 1;
		return tarx_read_all(t, JSONIO_MAX_DOC, &im->index);
	}
	if (strcmp(e->path, "manifest.json") == 0) {
		im->has_manifest = 1;
		return tarx_read_all(t, JSONIO_MAX_DOC, &im->manifest);
	}
	if (strcmp(e->path, "oci-layout") == 0 ||
	    strcmp(e->path, "repositories") == 0)
		return 0;
	if ((kind = blob_name(e->path, digest)) == -1)
		return err_set(EINVAL, "'%s': '%s' is not a valid blob name",
		    im->what, e->path);
	/* a blob the cache holds is not read again (unless this tar has it) */
	if (kind == 1 && !find_blob(im, digest) &&
	    layout_blob_has(im->l, digest, e->size)) {
		b = add_blob(im, digest, e->size);
		b->in_cache = 1;
		set_file(im, e->path, b);
		return 0;
	}
	if (kind == 0 && (r = spool(im, t, e->path)) != 0)
		return r == 1 ? 0 : -1;
	return stage(im, t, e->path, kind == 1 ? digest : NULL,
	    kind == 1 ? e->size : -1);
}

/* the bytes of a staged or cached blob of at most JSONIO_MAX_DOC */
static int
blob_bytes(struct import *im, struct blob *b, struct buf *out)
{
	ssize_t n;

	if (b->size > JSONIO_MAX_DOC)
		return err_set(EFBIG, "'%s': '%s' is larger than %u bytes",
		    im->what, b->digest, JSONIO_MAX_DOC);
	if (meta_budget(im, b->size) == -1)
		return -1;
	if (b->in_cache &&
	    layout_blob_read(im->l, b->digest, JSONIO_MAX_DOC, out) == -1) {
		/* the cache had it when the tar went by: removed meanwhile */
		err_wrap("'%s'", im->what);
		return err_as(ERR_FAILURE);
	}
	if (b->in_cache)
		return 0;
	buf_reset(out);
	buf_grow(out, b->size);
	n = pread(b->spool != -1 ? b->spool : b->w.fd, out->data, b->size, 0);
	if (n != b->size)
		return err_sys(n < 0 ? errno : EIO, "cannot read back '%s'",
		    b->digest);
	out->len = n;
	out->data[n] = '\0';
	return 0;
}

/*
 * Every blob desc reaches must be in the tar or the cache, with its size.
 * A manifest named many times is checked once: an index listing one child
 * K times, D levels deep, costs K * D, not K^D.
 */
static int
walk(struct import *im, const json_t *desc, int depth)
{
	const char *digest = desc_digest(desc), *mt = desc_media_type(desc);
	struct manifest m = MANIFEST_INIT;
	struct blob *b;
	char what[DIGEST_MAX + 64];
	json_t *kids, *kid;
	size_t i;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return err_set(EINVAL, "'%s': indexes nested too deep", im->what);
	if (!(b = reach_blob(im, digest, desc_size(desc))))
		return err_set(EINVAL, "'%s': blob '%s' (%s) is named but not "
		    "in the archive", im->what, digest, mt);
	if (b->size != desc_size(desc))
		return err_set(EINVAL, "'%s': blob '%s' has %lld bytes but its "
		    "descriptor says %lld", im->what, digest,
		    (long long)b->size, (long long)desc_size(desc));
	b->reached = 1;
	switch (manifest_kind(mt)) {
	case MT_KIND_OTHER:
		return 0;
	case MT_KIND_SCHEMA1:
		return err_set(EINVAL, "'%s': '%s': schema1 manifests are not "
		    "supported", im->what, digest);
	default:
		break;
	}
	if (b->walked_mt && strcmp(b->walked_mt, mt) == 0)
		return 0;
	if (blob_bytes(im, b, &im->scratch) == -1)
		return -1;
	snprintf(what, sizeof(what), "'%s': %s", im->what, digest);
	if (manifest_parse(&m, im->scratch.data, im->scratch.len, NULL, mt,
	    what) == -1)
		return -1;
	kids = manifest_children(&m);
	json_array_foreach(kids, i, kid)
		if ((rc = walk(im, kid, depth + 1)) == -1)
			break;
	json_decref(kids);
	manifest_release(&m);
	if (rc == 0 && !b->walked_mt)
		b->walked_mt = xstrdup(mt);
	return rc;
}

static void
add_root(struct import *im, const json_t *desc, const char *name)
{
	struct import_result *r = im->res;
	json_t *copy = json_deep_copy(desc);

	if (name)
		desc_annotate(copy, ANNOT_REF_NAME, name);
	r->roots = xrealloc(r->roots, (r->nroots + 1) * sizeof(*r->roots));
	r->roots[r->nroots].desc = copy;
	r->roots[r->nroots].name = name ? xstrdup(name) : NULL;
	r->nroots++;
}

/* a canonical name, or an error naming the archive */
static char *
canonical(struct import *im, const char *name)
{
	char *c = ref_canonical(name, 1);

	if (!c)
		err_wrap("'%s'", im->what);
	return c;
}

static int
apply_oci_index(struct import *im, const char *ref)
{
	json_t *index, *mans, *d;
	const char *n;
	char what[4096], *name;
	size_t i;
	int rc = -1;

	snprintf(what, sizeof(what), "'%s': index.json", im->what);
	if (meta_budget(im, im->index.len) == -1)
		return -1;
	if (!(index = jsonio_parse(im->index.data, im->index.len, what)))
		return -1;
	mans = json_object_get(index, "manifests");
	if (!json_is_object(index) || !json_is_array(mans)) {
		err_set(EINVAL, "%s is not an image index", what);
		goto out;
	}
	if (json_array_size(mans) == 0) {
		err_set(EINVAL, "%s lists no images", what);
		goto out;
	}
	if (ref && json_array_size(mans) != 1) {
		err_set(EINVAL, "'%s' holds %zu images; a name given with --ref "
		    "needs exactly one", im->what, json_array_size(mans));
		goto out;
	}
	json_array_foreach(mans, i, d) {
		snprintf(what, sizeof(what), "'%s': index.json manifests[%zu]",
		    im->what, i);
		if (desc_check(d, what) == -1 || walk(im, d, 0) == -1)
			goto out;
	}
	json_array_foreach(mans, i, d) {
		/* doc/linuxkit-compat.md §9.6: the first name found wins */
		name = NULL;
		if (ref)
			name = xstrdup(ref);
		else if ((n = desc_annotation(d, ANNOT_CONTAINERD_NAME)) ||
		    ((n = desc_annotation(d, ANNOT_REF_NAME)) &&
		    strpbrk(n, "/:"))) {
			if (!(name = canonical(im, n)))
				goto out;
		}
		add_root(im, d, name);
		free(name);
	}
	rc = 0;
out:
	json_decref(index);
	return rc;
}

/* a document made here (a converted manifest), staged like a tar entry */
static struct blob *
stage_bytes(struct import *im, const void *p, size_t n)
{
	struct blob_writer w;

	if (blob_writer_open(im->l, &w, NULL, -1) == -1)
		return NULL;
	if (blob_writer_write(&w, p, n) == -1 || blob_writer_finish(&w) == -1) {
		blob_writer_abort(&w);
		return NULL;
	}
	return adopt(im, &w);
}

/* the config of docker save's image idx, parsed, its blob and diff_ids */
static int
docker_config(struct import *im, const json_t *img, size_t idx,
    struct dimage *di)
{
	const char *cfgpath = jsonio_str(img, "Config");
	json_t *layers = jsonio_arr(img, "Layers");
	struct file *f;

	if (!cfgpath || !layers)
		return err_set(EINVAL, "'%s': manifest.json entry %zu has no "
		    "Config or Layers", im->what, idx);
	if (!(f = find_path(im, cfgpath)))
		return err_set(EINVAL, "'%s': config '%s' is not in the archive",
		    im->what, cfgpath);
	if (blob_bytes(im, f->blob, &im->scratch) == -1)
		return -1;
	if (!(di->cfg = jsonio_parse(im->scratch.data, im->scratch.len, cfgpath)))
		return err_wrap("'%s'", im->what);
	di->diffs = jsonio_arr(jsonio_obj(di->cfg, "rootfs"), "diff_ids");
	if (!di->diffs || json_array_size(di->diffs) != json_array_size(layers))
		return err_set(EINVAL, "'%s': config '%s' lists %zu diff_ids for "
		    "%zu layers", im->what, cfgpath, json_array_size(di->diffs),
		    json_array_size(layers));
	di->cb = f->blob;
	return 0;
}

/* the blob of layer l of a docker save image */
static struct blob *
docker_layer_blob(struct import *im, const json_t *l)
{
	const char *lp = json_string_value(l);
	struct file *f;

	if (!lp || !(f = find_path(im, lp)))
		return err_set(EINVAL, "'%s': layer '%s' is not in the archive",
		    im->what, lp ? lp : "?"), NULL;
	return f->blob;
}

/* queue b for the pool: gzip it, or (gzipped already) check what it holds */
static int
queue_job(struct import *im, struct blob *b)
{
	struct job *j;

	if (b->queued)
		return 0;
	if (im->njobs == im->capjobs) {
		im->capjobs = im->capjobs ? im->capjobs * 2 : 8;
		im->jobs = xrealloc(im->jobs, im->capjobs * sizeof(*im->jobs));
	}
	j = &im->jobs[im->njobs];
	memset(j, 0, sizeof(*j));
	j->b = b;
	j->w = (struct blob_writer)BLOB_WRITER_INIT;
	j->fd = b->in_cache ? layout_blob_open(im->l, b->digest) :
	    b->spool != -1 ? b->spool : b->w.fd;
	j->own_fd = b->in_cache;
	if (j->fd == -1)
		return err_wrap("'%s'", im->what);
	im->njobs++;
	b->queued = 1;
	if (!b->gzip && blob_writer_open(im->l, &j->w, NULL, -1) == -1)
		return err_wrap("'%s'", im->what);
	return 0;
}

/* pass one: check what can be checked now, queue the layers' work */
static int
docker_plan(struct import *im, const json_t *img, const struct dimage *di)
{
	json_t *l, *diff;
	struct blob *b;
	size_t i;

	json_array_foreach(jsonio_arr(img, "Layers"), i, l) {
		if (!(b = docker_layer_blob(im, l)))
			return -1;
		if (b->in_cache && !b->queued)
			b->gzip = cached_gzip(im->l, b->digest);
		diff = json_array_get(di->diffs, i);
		if (!b->gzip && (!json_is_string(diff) ||
		    strcmp(b->digest, json_string_value(diff)) != 0))
			return err_set(EINVAL, "'%s': layer '%s' does not match "
			    "diff_id %zu of its config", im->what,
			    json_string_value(l), i);
		if (queue_job(im, b) == -1)
			return -1;
	}
	return 0;
}

struct pool {
	pthread_mutex_t	 mu;
	struct import	*im;
	size_t		 next;
	int		 failed, err;
	char		 msg[1024];
};

static void *
worker(void *arg)
{
	struct pool *p = arg;
	struct job *j;
	int rc;

	for (;;) {
		pthread_mutex_lock(&p->mu);
		j = p->failed || p->next == p->im->njobs ? NULL :
		    &p->im->jobs[p->next++];
		pthread_mutex_unlock(&p->mu);
		if (!j)
			return NULL;
		/* a spooled layer was hashed as it was written (spool()) */
		rc = j->b->gzip ? gunzip_digest(j->fd, j->plain) :
		    gzip_blob(j->fd, j->b->digest, j->fd != j->b->spool,
		    &j->w);
		if (rc == -1) {
			/* the first failure is the one told */
			pthread_mutex_lock(&p->mu);
			if (!p->failed) {
				p->failed = 1;
				p->err = errno;
				snprintf(p->msg, sizeof(p->msg), "%s", err_msg());
			}
			pthread_mutex_unlock(&p->mu);
		}
	}
}

/*
 * Run the queued jobs on up to MAX_THREADS threads, one per core: gzip
 * costs far more than hashing, and layers are independent.
 */
static int
run_jobs(struct import *im)
{
	struct pool p = { .mu = PTHREAD_MUTEX_INITIALIZER, .im = im };
	pthread_t tid[MAX_THREADS];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t i, n, started = 0;

	n = im->njobs < MAX_THREADS ? im->njobs : MAX_THREADS;
	if (ncpu > 0 && (size_t)ncpu < n)
		n = ncpu;
	for (i = 1; i < n; i++)
		if (pthread_create(&tid[started], NULL, worker, &p) == 0)
			started++;
	worker(&p);	/* this thread works too */
	for (i = 0; i < started; i++)
		pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&p.mu);
	if (p.failed)
		return err_set(p.err, "'%s': %s", im->what, p.msg);
	for (i = 0; i < im->njobs; i++) {
		struct job *j = &im->jobs[i];

		if (j->b->gzip)
			memcpy(j->b->plain, j->plain, DIGEST_MAX);
		else
			j->b->gz = adopt(im, &j->w);
	}
	return 0;
}

/* pass two: layer i as its gzipped blob's descriptor, into ldescs */
static int
docker_layer(struct import *im, const json_t *l, size_t i, const json_t *diff,
    json_t *ldescs)
{
	struct blob *b = docker_layer_blob(im, l);

	if (!b)
		return -1;
	if (b->gzip && (!json_is_string(diff) ||
	    strcmp(b->plain, json_string_value(diff)) != 0))
		return err_set(EINVAL, "'%s': layer '%s' does not match diff_id "
		    "%zu of its config", im->what, json_string_value(l), i);
	if (!b->gzip)
		b = b->gz;	/* the plain bytes are not stored */
	b->reached = 1;
	json_array_append_new(ldescs, desc_new(MT_DOCKER_LAYER_GZIP, b->digest,
	    b->size));
	return 0;
}

/* one root per RepoTags entry (or per --ref, or one unnamed) */
static int
docker_roots(struct import *im, const json_t *img, const json_t *root,
    const char *ref)
{
	json_t *tags = jsonio_arr(img, "RepoTags"), *t;
	char *name;
	size_t i;

	if (ref) {
		add_root(im, root, ref);
		return 0;
	}
	if (json_array_size(tags) == 0) {
		add_root(im, root, NULL);
		return 0;
	}
	json_array_foreach(tags, i, t) {
		if (!json_is_string(t))
			return err_set(EINVAL, "'%s': RepoTags[%zu] is not a "
			    "string", im->what, i);
		if (!(name = canonical(im, json_string_value(t))))
			return -1;
		add_root(im, root, name);
		free(name);
	}
	return 0;
}

/*
 * docker save's manifest.json entry -> a docker v2 schema2 manifest, with
 * the layers gzipped as docker push would (doc/linuxkit-compat.md D12); the
 * config, and so the image id, is the tar's.
 */
static int
convert_docker_image(struct import *im, const json_t *img,
    const struct dimage *di, const char *ref)
{
	json_t *man, *ldescs, *l, *root;
	struct blob *mb;
	struct buf bytes = BUF_INIT;
	size_t i;
	int rc = -1;

	di->cb->reached = 1;
	man = json_object();
	json_object_set_new(man, "schemaVersion", json_integer(2));
	json_object_set_new(man, "mediaType", json_string(MT_DOCKER_MANIFEST));
	json_object_set_new(man, "config", desc_new(MT_DOCKER_CONFIG,
	    di->cb->digest, di->cb->size));
	ldescs = json_array();
	json_object_set_new(man, "layers", ldescs);
	json_array_foreach(jsonio_arr(img, "Layers"), i, l)
		if (docker_layer(im, l, i, json_array_get(di->diffs, i),
		    ldescs) == -1)
			goto out;
	jsonio_dump(man, &bytes);
	if (!(mb = stage_bytes(im, bytes.data, bytes.len)))
		goto out;
	mb->reached = 1;
	root = desc_new(MT_DOCKER_MANIFEST, mb->digest, mb->size);
	rc = docker_roots(im, img, root, ref);
	json_decref(root);
out:
	json_decref(man);
	buf_release(&bytes);
	return rc;
}

/* check every image and queue its layers' work, run it, then convert */
static int
docker_images(struct import *im, const json_t *m, const char *ref)
{
	struct dimage *di = xcalloc(json_array_size(m), sizeof(*di));
	json_t *img;
	size_t i;
	int rc = -1;

	json_array_foreach(m, i, img)
		if (docker_config(im, img, i, &di[i]) == -1 ||
		    docker_plan(im, img, &di[i]) == -1)
			goto out;
	if (run_jobs(im) == -1)
		goto out;
	json_array_foreach(m, i, img)
		if (convert_docker_image(im, img, &di[i], ref) == -1)
			goto out;
	rc = 0;
out:
	for (i = 0; i < json_array_size(m); i++)
		json_decref(di[i].cfg);
	free(di);
	return rc;
}

static int
apply_docker_manifest(struct import *im, const char *ref)
{
	json_t *m;
	char what[4096];
	int rc = 0;

	snprintf(what, sizeof(what), "'%s': manifest.json", im->what);
	if (meta_budget(im, im->manifest.len) == -1)
		return -1;
	if (!(m = jsonio_parse(im->manifest.data, im->manifest.len, what)))
		return -1;
	if (!json_is_array(m) || json_array_size(m) == 0)
		rc = err_set(EINVAL, "%s is not a list of images", what);
	else if (ref && json_array_size(m) != 1)
		rc = err_set(EINVAL, "'%s' holds %zu images; a name given with "
		    "--ref needs exactly one", im->what, json_array_size(m));
	else
		rc = docker_images(im, m, ref);
	json_decref(m);
	return rc;
}

static int
publish(struct import *im)
{
	struct import_result *r = im->res;
	const char **names;
	json_t **descs;
	size_t i, n = 0;
	int rc;

	for (i = 0; i < im->nblobs; i++)
		if (im->blobs[i]->reached && im->blobs[i]->spool != -1 &&
		    promote(im, im->blobs[i]) == -1)
			return -1;
	/* each content once, whatever number of entries held it */
	for (i = 0; i < im->nblobs; i++) {
		struct blob *b = im->blobs[i];

		if (!b->reached)
			continue;
		if (b->in_cache) {
			r->present++;
			continue;
		}
		if (blob_writer_publish(&b->w) == -1)
			return -1;
		r->stored++;
		r->bytes += b->size;
	}
	if (layout_sync_blobs(im->l) == -1)
		return -1;
	names = xcalloc(r->nroots, sizeof(*names));
	descs = xcalloc(r->nroots, sizeof(*descs));
	for (i = 0; i < r->nroots; i++) {
		if (!r->roots[i].name)
			continue;
		names[n] = r->roots[i].name;
		descs[n++] = r->roots[i].desc;
	}
	rc = n ? cache_set_refs(im->l, n, names, descs) : 0;
	free(names);
	free(descs);
	return rc;
}

int
import_tar(struct layout *l, int fd, const char *what, const char *ref,
    struct import_result *res)
{
	struct import im = { .l = l, .what = what, .res = res };
	struct tarx t;
	struct tarx_entry e;
	size_t i;
	int r, rc = -1;

	*res = (struct import_result)IMPORT_RESULT_INIT;
	if (tarx_open_fd(&t, fd, what) == -1)
		return -1;
	progress_begin(what, -1);
	while ((r = tarx_next(&t, &e)) == 1)
		if (read_entry(&im, &t, &e) == -1)
			goto out;
	if (r == -1)
		goto out;
	if (im.has_index)
		r = apply_oci_index(&im, ref);
	else if (im.has_manifest)
		r = apply_docker_manifest(&im, ref);
	else
		r = err_set(EINVAL, "'%s' is neither an OCI image layout nor a "
		    "docker save tarball (no index.json or manifest.json)", what);
	if (r == 0)
		rc = publish(&im);
out:
	progress_end();
	tarx_close(&t);
	for (i = 0; i < im.njobs; i++) {
		blob_writer_abort(&im.jobs[i].w);
		if (im.jobs[i].own_fd)
			close(im.jobs[i].fd);
	}
	free(im.jobs);
	for (i = 0; i < im.nblobs; i++) {
		blob_writer_abort(&im.blobs[i]->w);
		if (im.blobs[i]->spool != -1)
			close(im.blobs[i]->spool);
		free(im.blobs[i]->walked_mt);
		free(im.blobs[i]);
	}
	for (i = 0; i < im.nfiles; i++)
		free(im.files[i].path);
	for (i = 0; i < im.naliases; i++) {
		free(im.aliases[i].path);
		free(im.aliases[i].target);
	}
	free(im.blobs);
	free(im.files);
	free(im.aliases);
	buf_release(&im.index);
	buf_release(&im.manifest);
	buf_release(&im.scratch);
	if (rc == -1)
		import_result_release(res);
	return rc;
}

void
import_result_release(struct import_result *res)
{
	size_t i;

	for (i = 0; i < res->nroots; i++) {
		json_decref(res->roots[i].desc);
		free(res->roots[i].name);
	}
	free(res->roots);
	*res = (struct import_result)IMPORT_RESULT_INIT;
}
