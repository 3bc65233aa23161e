/* lib/export.c - one image of the cache as a tar, in three formats */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "blobread.h"
#include "desc.h"
#include "dockersave.h"
#include "err.h"
#include "export.h"
#include "flatten.h"
#include "jsonio.h"
#include "manifest.h"
#include "progress.h"
#include "ref.h"
#include "tarx.h"
#include "xalloc.h"

#define COPY_BLOCK	(256 * 1024)

int
export_parse_format(const char *s, enum export_format *f)
{
	if (strcmp(s, "docker") == 0)
		*f = EXPORT_DOCKER;
	else if (strcmp(s, "oci") == 0)
		*f = EXPORT_OCI;
	else if (strcmp(s, "filesystem") == 0)
		*f = EXPORT_FILESYSTEM;
	else
		return err_usage("unknown format '%s': docker, oci or "
		    "filesystem", s);
	return 0;
}

static int
ar_fail(struct archive *a, const char *name)
{
	return err_set(EIO, "cannot write '%s': %s", name,
	    archive_error_string(a) ? archive_error_string(a) : "error");
}

/* blobs/sha256/<hex> in the layout tar, its bytes verified on the way */
static int
add_blob(struct archive *a, struct layout *l, const json_t *d, char *buf)
{
	struct blob_reader r;
	char *name;
	ssize_t n;
	int rc = -1;

	name = xasprintf("blobs/%.*s/%s",
	    (int)strcspn(desc_digest(d), ":"), desc_digest(d),
	    strchr(desc_digest(d), ':') + 1);
	if (blob_reader_open(&r, l, desc_digest(d), desc_size(d)) == -1)
		goto out;
	if (tarx_write_entry(a, name, 0, desc_size(d)) == -1)
		goto out;
	while ((n = blob_reader_read(&r, buf, COPY_BLOCK)) > 0)
		if (archive_write_data(a, buf, (size_t)n) != n) {
			ar_fail(a, name);
			goto out;
		}
	rc = n == 0 ? 0 : -1;
out:
	blob_reader_close(&r);
	free(name);
	return rc;
}

static int
add_mem(struct archive *a, const char *name, const struct buf *b)
{
	if (tarx_write_entry(a, name, 0, (int64_t)b->len) == -1)
		return -1;
	if (b->len && archive_write_data(a, b->data, b->len) !=
	    (la_ssize_t)b->len)
		return ar_fail(a, name);
	return 0;
}

/* index.json of the exported layout: the one manifest, named twice */
static void
layout_index(const json_t *mdesc, const char *name, struct buf *out)
{
	json_t *idx = json_object(), *d = desc_new(desc_media_type(mdesc),
	    desc_digest(mdesc), desc_size(mdesc));
	json_t *plat = json_object_get(mdesc, "platform");

	desc_annotate(d, "io.containerd.image.name", name);
	desc_annotate(d, ANNOT_REF_NAME, name);
	if (plat)
		json_object_set(d, "platform", plat);
	json_object_set_new(idx, "schemaVersion", json_integer(2));
	json_object_set_new(idx, "mediaType", json_string(MT_OCI_INDEX));
	json_object_set_new(idx, "manifests", json_pack("[o]", d));
	jsonio_dump(idx, out);
	json_decref(idx);
}

static int
write_oci(struct layout *l, const json_t *mdesc, const char *name, int fd)
{
	struct archive *a = archive_write_new();
	struct tarx_sink sink = TARX_SINK_INIT;
	struct manifest m = MANIFEST_INIT;
	struct buf b = BUF_INIT, layout_file = BUF_INIT;
	json_t *kids = NULL, *e;
	char *buf = xmalloc(COPY_BLOCK);
	size_t i;
	int rc = -1;

	if (layout_blob_read(l, desc_digest(mdesc), JSONIO_MAX_DOC, &b) == -1 ||
	    manifest_parse(&m, b.data, b.len, NULL, desc_media_type(mdesc),
	    name) == -1)
		goto out;
	kids = manifest_children(&m);
	buf_adds(&layout_file, "{\"imageLayoutVersion\":\"1.0.0\"}");
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    tarx_write_open_fd(a, &sink, fd) == -1) {
		ar_fail(a, "(output)");
		goto out;
	}
	if (add_mem(a, "oci-layout", &layout_file) == -1 ||
	    tarx_write_entry(a, "blobs", 1, 0) == -1 ||
	    tarx_write_entry(a, "blobs/sha256", 1, 0) == -1 ||
	    add_blob(a, l, mdesc, buf) == -1)
		goto out;
	json_array_foreach(kids, i, e)
		if (add_blob(a, l, e, buf) == -1)
			goto out;
	buf_reset(&b);
	layout_index(mdesc, name, &b);
	if (add_mem(a, "index.json", &b) == -1)
		goto out;
	if (tarx_write_finish(a, &sink, "the output") == 0)
		rc = 0;
	a = NULL;	/* freed either way */
out:
	/* tarx_sink: a failed write leaks nothing, writes no end blocks */
	tarx_write_abort(a, &sink);
	json_decref(kids);
	manifest_release(&m);
	buf_release(&b);
	buf_release(&layout_file);
	free(buf);
	return rc;
}

/* the bytes an export of the image manifest desc copies, for the progress line */
static int64_t
bytes_of(struct layout *l, const json_t *desc)
{
	struct manifest m = MANIFEST_INIT;
	struct buf b = BUF_INIT;
	json_t *kids, *e;
	int64_t sum = desc_size(desc);
	size_t i;

	if (layout_blob_read(l, desc_digest(desc), JSONIO_MAX_DOC, &b) == 0 &&
	    manifest_parse(&m, b.data, b.len, NULL, desc_media_type(desc),
	    "manifest") == 0) {
		kids = manifest_children(&m);
		json_array_foreach(kids, i, e)
			sum += desc_size(e);
		json_decref(kids);
	}
	manifest_release(&m);
	buf_release(&b);
	return sum;
}

int
export_image(struct layout *l, const char *ref, const struct export_opts *o,
    int fd)
{
	struct dockersave_image img;
	char *name = NULL;
	int rc = -1;

	if (dockersave_resolve(l, ref, &o->plat, &img) == -1)
		return -1;
	if (!(name = ref_canonical(o->name ? o->name : ref, 1))) {
		err_usage("'%s' is not a valid image reference",
		    o->name ? o->name : ref);
		goto out;
	}
	progress_begin(name, bytes_of(l, img.manifest));
	switch (o->format) {
	case EXPORT_DOCKER:
		free(img.repo_tag);
		img.repo_tag = xstrdup(name);
		rc = dockersave_write(l, &img, 1, fd);
		break;
	case EXPORT_OCI:
		rc = write_oci(l, img.manifest, name, fd);
		break;
	case EXPORT_FILESYSTEM:
		rc = flatten_write(l, img.manifest, name, fd);
		break;
	}
	progress_end();
out:
	free(name);
	dockersave_image_release(&img);
	return rc;
}
