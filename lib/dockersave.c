/* lib/dockersave.c - write `docker save` tarballs from the cache (libarchive) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "blobread.h"
#include "desc.h"
#include "dockersave.h"
#include "tarx.h"
#include "err.h"
#include "jsonio.h"
#include "manifest.h"
#include "ref.h"
#include "xalloc.h"

#define MAX_DEPTH	4	/* nested indexes */

void
dockersave_image_release(struct dockersave_image *img)
{
	free(img->ref);
	free(img->repo_tag);
	json_decref(img->manifest);
	memset(img, 0, sizeof(*img));
}

/* a root entry whose digest is the one ref is pinned to */
static json_t *
by_digest(struct layout *l, const char *digest)
{
	json_t *index, *m, *e, *found = NULL;
	size_t i;

	if (!digest || layout_index_load(l, &index) == -1)
		return NULL;
	m = jsonio_arr(index, "manifests");
	json_array_foreach(m, i, e)
		if (desc_digest(e) && !strcmp(desc_digest(e), digest)) {
			found = json_incref(e);
			break;
		}
	json_decref(index);
	return found;
}

static int
narrow(struct layout *l, const char *ref, const struct platform *plat,
    json_t **desc)
{
	struct manifest m = MANIFEST_INIT;
	struct buf b = BUF_INIT;
	struct platform p;
	json_t *kids, *e, *best;
	const char *mt;
	char want[128];
	size_t i;
	int depth, score, top, rc = -1;

	for (depth = 0; depth < MAX_DEPTH; depth++) {
		mt = desc_media_type(*desc);
		buf_reset(&b);
		if (layout_blob_read(l, desc_digest(*desc), JSONIO_MAX_DOC,
		    &b) == -1)
			goto out;
		manifest_release(&m);
		if (manifest_parse(&m, b.data, b.len, NULL, mt, ref) == -1)
			goto out;
		if (m.kind == MT_KIND_MANIFEST) {
			kids = manifest_children(&m);
			json_array_foreach(kids, i, e)
				if (!layout_blob_has(l, desc_digest(e),
				    desc_size(e))) {
					json_decref(kids);
					err_notfound("blob '%s' is not in the "
					    "cache", desc_digest(e));
					goto out;
				}
			json_decref(kids);
			rc = 0;
			goto out;
		}
		kids = manifest_children(&m);
		best = NULL;
		top = 0;
		json_array_foreach(kids, i, e) {
			json_t *pj = json_object_get(e, "platform");

			if (!platform_is_real(pj) ||
			    platform_from_json(&p, pj) == -1)
				continue;
			if ((score = platform_match(plat, &p)) > top) {
				top = score;
				best = e;
			}
		}
		if (!best) {
			json_decref(kids);
			platform_format(plat, want, sizeof(want));
			err_notfound("no %s manifest", want);
			goto out;
		}
		json_incref(best);
		json_decref(kids);
		json_decref(*desc);
		*desc = best;
	}
	err_set(EINVAL, "indexes nested more than %d deep", MAX_DEPTH);
out:
	manifest_release(&m);
	buf_release(&b);
	return rc;
}

int
dockersave_resolve(struct layout *l, const char *ref,
    const struct platform *plat, struct dockersave_image *img)
{
	struct ref r = REF_INIT;
	json_t *desc = NULL;
	char *canon = NULL;
	int rc = -1;

	memset(img, 0, sizeof(*img));
	if (ref_parse(&r, ref) == -1 || !(canon = ref_canonical(ref, 0)))
		goto out;
	if (layout_resolve(l, canon, &desc) == -1) {
		if (err_kind() != ERR_NOTFOUND)
			goto out;
		if (!(desc = by_digest(l, r.digest))) {
			err_notfound("not in the cache");
			goto out;
		}
	}
	if (narrow(l, ref, plat, &desc) == -1)
		goto out;
	img->ref = xstrdup(ref);
	if (r.tag)
		img->repo_tag = xasprintf("%s/%s:%s", r.domain, r.path, r.tag);
	img->manifest = desc;
	desc = NULL;
	rc = 0;
out:
	json_decref(desc);
	free(canon);
	ref_release(&r);
	return rc;
}

static const char *
hex_of(const char *digest)
{
	const char *c = strchr(digest, ':');

	return c ? c + 1 : digest;
}

static int
ar_fail(struct archive *a, const char *what)
{
	return err_set(EIO, "cannot write %s: %s", what,
	    archive_error_string(a) ? archive_error_string(a) : "error");
}


static int
add_mem(struct archive *a, const char *name, const void *p, size_t n)
{
	if (tarx_write_entry(a, name, 0, n) == -1)
		return -1;
	if (n && archive_write_data(a, p, n) != (la_ssize_t)n)
		return ar_fail(a, name);
	return 0;
}

/* a blob as a tar entry, verified as it is copied (lib/blobread.h) */
static int
add_blob(struct archive *a, struct layout *l, const char *name,
    const json_t *desc)
{
	struct blob_reader r;
	char tmp[65536];
	ssize_t n;
	int rc = -1;

	if (blob_reader_open(&r, l, desc_digest(desc), desc_size(desc)) == -1)
		return -1;
	if (tarx_write_entry(a, name, 0, desc_size(desc)) == -1)
		goto out;
	while ((n = blob_reader_read(&r, tmp, sizeof(tmp))) > 0)
		if (archive_write_data(a, tmp, (size_t)n) != n) {
			ar_fail(a, name);
			goto out;
		}
	rc = n == 0 ? 0 : -1;
out:
	blob_reader_close(&r);
	return rc;
}

static int
seen(json_t *set, const char *name)
{
	if (json_object_get(set, name))
		return 1;
	json_object_set_new(set, name, json_true());
	return 0;
}

/* the layers of one image, each blob written once per tarball */
static int
add_layers(struct archive *a, struct layout *l, const char *ref,
    const json_t *layers, json_t *names, json_t *lay)
{
	json_t *e;
	char *name;
	size_t j;
	int rc = 0;

	json_array_foreach(layers, j, e) {
		if (desc_check(e, ref) == -1)
			return -1;
		name = xasprintf("%s/layer.tar", hex_of(desc_digest(e)));
		json_array_append_new(lay, json_string(name));
		if (!seen(names, name) &&
		    (tarx_write_entry(a, hex_of(desc_digest(e)), 1, 0) == -1 ||
		    add_blob(a, l, name, e) == -1))
			rc = -1;
		free(name);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* one image: its layers and config into the tarball, its record into top */
static int
add_image(struct archive *a, struct layout *l,
    const struct dockersave_image *img, json_t *names, json_t *top)
{
	struct buf b = BUF_INIT;
	json_t *m = NULL, *cfg, *rec, *lay = json_array();
	char *name = NULL;
	int rc = -1;

	if (layout_blob_read(l, desc_digest(img->manifest), JSONIO_MAX_DOC,
	    &b) == -1 || !(m = jsonio_parse(b.data, b.len, img->ref)))
		goto out;
	cfg = json_object_get(m, "config");
	if (desc_check(cfg, img->ref) == -1 || add_layers(a, l, img->ref,
	    json_object_get(m, "layers"), names, lay) == -1)
		goto out;
	name = xasprintf("%s.json", hex_of(desc_digest(cfg)));
	rec = json_object();
	json_object_set_new(rec, "Config", json_string(name));
	json_object_set_new(rec, "RepoTags", img->repo_tag ?
	    json_pack("[s]", img->repo_tag) : json_null());
	json_object_set(rec, "Layers", lay);
	json_array_append_new(top, rec);
	if (!seen(names, name) && add_blob(a, l, name, cfg) == -1)
		goto out;
	rc = 0;
out:
	free(name);
	json_decref(lay);
	json_decref(m);
	buf_release(&b);
	return rc;
}

int
dockersave_write(struct layout *l, const struct dockersave_image *imgs,
    size_t n, int fd)
{
	struct archive *a = archive_write_new();
	struct tarx_sink sink = TARX_SINK_INIT;
	struct buf out = BUF_INIT;
	json_t *top = json_array(), *names = json_object();
	size_t i;
	int rc = -1;

	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
	    tarx_write_open_fd(a, &sink, fd) == -1) {
		ar_fail(a, "docker save tarball");
		goto out;
	}
	for (i = 0; i < n; i++)
		if (add_image(a, l, &imgs[i], names, top) == -1)
			goto out;
	jsonio_dump(top, &out);
	if (add_mem(a, "manifest.json", out.data, out.len) == -1)
		goto out;
	if (tarx_write_finish(a, &sink, "the docker save tarball") == 0)
		rc = 0;
	a = NULL;	/* freed either way */
out:
	/* tarx_sink: a failed write leaks nothing, writes no end blocks */
	tarx_write_abort(a, &sink);
	json_decref(top);
	json_decref(names);
	buf_release(&out);
	return rc;
}
