/* lib/import.c - stage a tar's blobs, check what its index reaches, publish */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "desc.h"
#include "digest.h"
#include "err.h"
#include "import.h"
#include "jsonio.h"
#include "manifest.h"
#include "ref.h"
#include "tarx.h"

#define MAX_DEPTH	8	/* index -> index -> ... -> manifest */
#define MAX_LINKS	16	/* symlink hops inside the archive */

/* one regular file of the tar, staged or already in the cache */
struct staged {
	char			*path;
	char			 digest[DIGEST_MAX];
	int64_t			 size;
	int			 in_cache;	/* nothing staged: the cache has it */
	int			 gzip;		/* starts with gzip's magic (docker save) */
	int			 reached;	/* named by the index: publish it */
	struct blob_writer	 w;
};

struct alias {
	char	*path, *target;
};

struct import {
	struct layout	*l;
	const char	*what;
	struct staged	*files;
	size_t		 nfiles, capfiles;
	struct alias	*aliases;
	size_t		 naliases, capaliases;
	struct buf	 index, manifest, scratch;
	int		 has_index, has_manifest;
	struct import_result *res;
};

static struct staged *
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

static struct staged *
find_digest(struct import *im, const char *digest)
{
	size_t i;

	for (i = 0; i < im->nfiles; i++)
		if (strcmp(im->files[i].digest, digest) == 0)
			return &im->files[i];
	return NULL;
}

static struct staged *
add_file(struct import *im, const char *path)
{
	struct staged *s;

	if (im->nfiles == im->capfiles) {
		im->capfiles = im->capfiles ? im->capfiles * 2 : 16;
		im->files = xrealloc(im->files, im->capfiles * sizeof(*s));
	}
	s = &im->files[im->nfiles++];
	memset(s, 0, sizeof(*s));
	s->w = (struct blob_writer)BLOB_WRITER_INIT;
	s->path = xstrdup(path);
	return s;
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

/* copy the entry's data into a staged blob, checking what is known */
static int
stage(struct import *im, struct tarx *t, struct staged *s, const char *expect,
    int64_t size)
{
	const void *p;
	ssize_t n;

	if (blob_writer_open(im->l, &s->w, expect, size) == -1)
		return -1;
	while ((n = tarx_read(t, &p)) > 0)
		if (blob_writer_write(&s->w, p, n) == -1)
			return err_wrap("'%s': '%s'", im->what, s->path);
	if (n < 0)
		return -1;
	if (blob_writer_finish(&s->w) == -1)
		return err_wrap("'%s': '%s'", im->what, s->path);
	memcpy(s->digest, s->w.digest, DIGEST_MAX);
	s->size = s->w.size;
	s->gzip = s->size >= 2 && s->w.head[0] == 0x1f && s->w.head[1] == 0x8b;
	/* content the cache already holds needs no second copy */
	if (layout_blob_has(im->l, s->digest, s->size)) {
		blob_writer_abort(&s->w);
		s->in_cache = 1;
	}
	return 0;
}

static int
read_entry(struct import *im, struct tarx *t, const struct tarx_entry *e)
{
	char digest[DIGEST_MAX];
	struct staged *s;
	int kind;

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
	/* a later entry of the same name replaces an earlier one, as tar does */
	if ((s = find_path(im, e->path)) && strcmp(s->path, e->path) == 0)
		blob_writer_abort(&s->w);
	else
		s = add_file(im, e->path);
	s->in_cache = 0;
	if (kind == 1 && layout_blob_has(im->l, digest, e->size)) {
		memcpy(s->digest, digest, DIGEST_MAX);
		s->size = e->size;
		s->in_cache = 1;
		return 0;
	}
	return stage(im, t, s, kind == 1 ? digest : NULL, kind == 1 ? e->size : -1);
}

/* the bytes of a staged or cached blob of at most JSONIO_MAX_DOC */
static int
blob_bytes(struct import *im, struct staged *s, const char *digest,
    struct buf *out)
{
	ssize_t n;

	if (!s || s->in_cache)
		return layout_blob_read(im->l, digest, JSONIO_MAX_DOC, out);
	if (s->size > JSONIO_MAX_DOC)
		return err_set(EFBIG, "'%s': '%s' is larger than %u bytes",
		    im->what, digest, JSONIO_MAX_DOC);
	buf_reset(out);
	buf_grow(out, s->size);
	n = pread(s->w.fd, out->data, s->size, 0);
	if (n != s->size)
		return err_sys(n < 0 ? errno : EIO, "cannot read back '%s'",
		    digest);
	out->len = n;
	out->data[n] = '\0';
	return 0;
}

/* every blob desc reaches must be in the tar or the cache, with its size */
static int
walk(struct import *im, const json_t *desc, int depth)
{
	const char *digest = desc_digest(desc), *mt = desc_media_type(desc);
	struct manifest m = MANIFEST_INIT;
	struct staged *s;
	char what[DIGEST_MAX + 64];
	json_t *kids, *kid;
	size_t i;
	int rc = 0;

	if (depth > MAX_DEPTH)
		return err_set(EINVAL, "'%s': indexes nested too deep", im->what);
	if ((s = find_digest(im, digest))) {
		if (s->size != desc_size(desc))
			return err_set(EINVAL, "'%s': blob '%s' has %lld bytes "
			    "but its descriptor says %lld", im->what, digest,
			    (long long)s->size, (long long)desc_size(desc));
		s->reached = 1;
	} else if (!layout_blob_has(im->l, digest, desc_size(desc))) {
		return err_set(EINVAL, "'%s': blob '%s' (%s) is named but not "
		    "in the archive", im->what, digest, mt);
	}
	switch (manifest_kind(mt)) {
	case MT_KIND_OTHER:
		return 0;
	case MT_KIND_SCHEMA1:
		return err_set(EINVAL, "'%s': '%s': schema1 manifests are not "
		    "supported", im->what, digest);
	default:
		break;
	}
	if (blob_bytes(im, s, digest, &im->scratch) == -1)
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
		/* linuxkit-compat.md §9.6: the first name found wins */
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

/* docker save's manifest.json entry -> a docker v2 schema2 manifest */
static int
convert_docker_image(struct import *im, const json_t *img, size_t idx,
    const char *ref)
{
	const char *cfgpath = jsonio_str(img, "Config"), *lp, *mt;
	json_t *layers = jsonio_arr(img, "Layers"), *tags, *man, *ldescs, *cfg;
	json_t *diffs, *l, *t, *root;
	struct staged *s, *ms;
	struct buf bytes = BUF_INIT;
	char *name;
	size_t i;
	int rc = -1;

	if (!cfgpath || !layers)
		return err_set(EINVAL, "'%s': manifest.json entry %zu has no "
		    "Config or Layers", im->what, idx);
	if (!(s = find_path(im, cfgpath)))
		return err_set(EINVAL, "'%s': config '%s' is not in the archive",
		    im->what, cfgpath);
	if (blob_bytes(im, s, s->digest, &im->scratch) == -1)
		return -1;
	if (!(cfg = jsonio_parse(im->scratch.data, im->scratch.len, cfgpath)))
		return err_wrap("'%s'", im->what);
	diffs = jsonio_arr(jsonio_obj(cfg, "rootfs"), "diff_ids");
	if (!diffs || json_array_size(diffs) != json_array_size(layers)) {
		err_set(EINVAL, "'%s': config '%s' lists %zu diff_ids for %zu "
		    "layers", im->what, cfgpath, json_array_size(diffs),
		    json_array_size(layers));
		goto out;
	}
	s->reached = 1;
	man = json_object();
	json_object_set_new(man, "schemaVersion", json_integer(2));
	json_object_set_new(man, "mediaType", json_string(MT_DOCKER_MANIFEST));
	json_object_set_new(man, "config", desc_new(MT_DOCKER_CONFIG,
	    s->digest, s->size));
	ldescs = json_array();
	json_object_set_new(man, "layers", ldescs);
	json_array_foreach(layers, i, l) {
		if (!(lp = json_string_value(l)) || !(s = find_path(im, lp))) {
			err_set(EINVAL, "'%s': layer '%s' is not in the archive",
			    im->what, lp ? lp : "?");
			goto outman;
		}
		/* docker save writes layers as they were: often plain tar */
		if (s->in_cache)
			s->gzip = cached_gzip(im->l, s->digest);
		mt = s->gzip ? MT_DOCKER_LAYER_GZIP : MT_DOCKER_LAYER;
		t = json_array_get(diffs, i);
		if (!s->gzip && (!json_is_string(t) ||
		    strcmp(s->digest, json_string_value(t)) != 0)) {
			err_set(EINVAL, "'%s': layer '%s' does not match diff_id "
			    "%zu of its config", im->what, lp, i);
			goto outman;
		}
		s->reached = 1;
		json_array_append_new(ldescs, desc_new(mt, s->digest, s->size));
	}
	jsonio_dump(man, &bytes);
	ms = add_file(im, "(manifest)");
	if (blob_writer_open(im->l, &ms->w, NULL, -1) == -1 ||
	    blob_writer_write(&ms->w, bytes.data, bytes.len) == -1 ||
	    blob_writer_finish(&ms->w) == -1)
		goto outman;
	memcpy(ms->digest, ms->w.digest, DIGEST_MAX);
	ms->size = ms->w.size;
	ms->reached = 1;
	root = desc_new(MT_DOCKER_MANIFEST, ms->digest, ms->size);
	tags = jsonio_arr(img, "RepoTags");
	if (ref) {
		add_root(im, root, ref);
	} else if (json_array_size(tags) == 0) {
		add_root(im, root, NULL);
	} else {
		json_array_foreach(tags, i, t) {
			if (!json_is_string(t) ||
			    !(name = canonical(im, json_string_value(t)))) {
				if (!json_is_string(t))
					err_set(EINVAL, "'%s': RepoTags[%zu] is "
					    "not a string", im->what, i);
				json_decref(root);
				goto outman;
			}
			add_root(im, root, name);
			free(name);
		}
	}
	json_decref(root);
	rc = 0;
outman:
	json_decref(man);
out:
	json_decref(cfg);
	buf_release(&bytes);
	return rc;
}

static int
apply_docker_manifest(struct import *im, const char *ref)
{
	json_t *m, *img;
	char what[4096];
	size_t i;
	int rc = 0;

	snprintf(what, sizeof(what), "'%s': manifest.json", im->what);
	if (!(m = jsonio_parse(im->manifest.data, im->manifest.len, what)))
		return -1;
	if (!json_is_array(m) || json_array_size(m) == 0)
		rc = err_set(EINVAL, "%s is not a list of images", what);
	else if (ref && json_array_size(m) != 1)
		rc = err_set(EINVAL, "'%s' holds %zu images; a name given with "
		    "--ref needs exactly one", im->what, json_array_size(m));
	json_array_foreach(m, i, img)
		if (rc == 0)
			rc = convert_docker_image(im, img, i, ref);
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

	for (i = 0; i < im->nfiles; i++) {
		struct staged *s = &im->files[i];

		if (!s->reached)
			continue;
		if (s->in_cache) {
			r->present++;
			continue;
		}
		if (find_digest(im, s->digest) != s) {
			blob_writer_abort(&s->w);	/* a second copy */
			continue;
		}
		if (blob_writer_publish(&s->w) == -1)
			return -1;
		r->stored++;
		r->bytes += s->size;
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
	tarx_close(&t);
	for (i = 0; i < im.nfiles; i++) {
		blob_writer_abort(&im.files[i].w);
		free(im.files[i].path);
	}
	for (i = 0; i < im.naliases; i++) {
		free(im.aliases[i].path);
		free(im.aliases[i].target);
	}
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
