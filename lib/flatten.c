/* lib/flatten.c - an image's root filesystem as one tar (libarchive) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <archive_entry.h>

#include "blobread.h"
#include "desc.h"
#include "err.h"
#include "flatten.h"
#include "jsonio.h"
#include "manifest.h"
#include "progress.h"
#include "tarx.h"
#include "xalloc.h"

#define WH_PREFIX	".wh."
#define WH_OPAQUE	".wh..wh..opq"
#define READ_BLOCK	(256 * 1024)

enum { SEEN_FILE = 1, SEEN_DIR = 2 };

/*
 * What the layers above the current one decided. jansson's objects serve
 * as string sets: a hash table we do not write by hand.
 */
struct flat {
	struct layout	*l;
	const char	*what;
	struct archive	*out;
	json_t		*seen;		/* path -> SEEN_FILE or SEEN_DIR */
	json_t		*gone;		/* paths whited out above */
	json_t		*opaque;	/* directories made opaque above */
	json_t		*layer_gone, *layer_opaque;	/* the current layer's */
	json_t		*layer_shadowed;	/* its files hidden by upper layers */
	json_t		*layer_relink;	/* target -> [links] that need its bytes */
	struct archive_entry **links;	/* hard links waiting for their target */
	size_t		 nlinks;
	size_t		 npaths;
	char		*buf;
};

/* the layer being read, feeding libarchive through the verifying reader */
struct layer_src {
	struct blob_reader r;
	char		*buf;
	int		 failed;	/* our message is set: keep it */
};

static la_ssize_t
layer_read(struct archive *a, void *arg, const void **p)
{
	struct layer_src *s = arg;
	ssize_t n = blob_reader_read(&s->r, s->buf, READ_BLOCK);

	if (n == -1) {
		s->failed = 1;
		archive_set_error(a, EIO, "%s", err_msg());
		return -1;
	}
	*p = s->buf;
	return n;
}

static int
ar_fail(struct archive *a, const char *what, const char *name)
{
	return err_set(EIO, "%s: cannot copy '%s': %s", what, name,
	    archive_error_string(a) ? archive_error_string(a) : "error");
}

/* a name as stored in a layer, cleaned: "" for the root itself */
static int
clean_name(const char *name, struct buf *out)
{
	while (*name == '/')
		name++;
	if (*name == '\0' || strcmp(name, ".") == 0 ||
	    strcmp(name, "./") == 0) {
		buf_reset(out);
		return 0;
	}
	return tarx_clean_path(name, out);
}

static int
count_path(struct flat *f)
{
	if (++f->npaths > FLATTEN_MAX_PATHS)
		return err_set(E2BIG, "%s: more than %u paths", f->what,
		    FLATTEN_MAX_PATHS);
	return 0;
}

/* hidden by a whiteout, an opaque directory or a file above */
static int
hidden(struct flat *f, const char *path)
{
	char *p = xstrdup(path), *slash;
	json_t *v;
	int h = json_object_get(f->gone, p) != NULL;

	while (!h && (slash = strrchr(p, '/'))) {
		*slash = '\0';
		v = json_object_get(f->seen, p);
		h = json_object_get(f->gone, p) ||
		    json_object_get(f->opaque, p) ||
		    (v && json_integer_value(v) != SEEN_DIR);
	}
	free(p);
	return h;
}

/* a .wh. entry: remember what it removes from the layers below */
static int
whiteout(struct flat *f, const char *path, const char *base)
{
	size_t dirlen = (size_t)(base - path);
	char *target;

	if (count_path(f) == -1)
		return -1;
	if (strcmp(base, WH_OPAQUE) == 0) {
		target = xstrndup(path, dirlen ? dirlen - 1 : 0);
		json_object_set_new(f->layer_opaque, target, json_true());
	} else {
		target = xasprintf("%.*s%s", (int)dirlen, path,
		    base + strlen(WH_PREFIX));
		json_object_set_new(f->layer_gone, target, json_true());
	}
	free(target);
	return 0;
}

static int
copy_data(struct flat *f, struct archive *in, const char *path)
{
	la_ssize_t n;

	while ((n = archive_read_data(in, f->buf, READ_BLOCK)) > 0)
		if (archive_write_data(f->out, f->buf, (size_t)n) != n)
			return ar_fail(f->out, f->what, path);
	if (n < 0)
		return ar_fail(in, f->what, path);
	return 0;
}

static int
emit(struct flat *f, struct archive *in, struct archive_entry *e,
    const char *path)
{
	int dir = archive_entry_filetype(e) == AE_IFDIR;

	if (count_path(f) == -1)
		return -1;
	archive_entry_set_pathname_utf8(e, path);
	if (archive_write_header(f->out, e) != ARCHIVE_OK)
		return ar_fail(f->out, f->what, path);
	json_object_set_new(f->seen, path,
	    json_integer(dir ? SEEN_DIR : SEEN_FILE));
	if (!dir && archive_entry_size(e) > 0 && in)
		return copy_data(f, in, path);
	return 0;
}

/*
 * A hard link to a file of its own layer that an upper layer replaced:
 * the link keeps the old bytes (a runtime's copy-up breaks the link), so
 * it becomes a file of its own, written in a second pass over the layer.
 */
static int
relink(struct flat *f, const char *path, const char *target)
{
	json_t *links = json_object_get(f->layer_relink, target);

	if (count_path(f) == -1)
		return -1;
	if (!links) {
		links = json_array();
		json_object_set_new(f->layer_relink, target, links);
	}
	json_array_append_new(links, json_string(path));
	json_object_set_new(f->seen, path, json_integer(SEEN_FILE));
	return 0;
}

/* a hard link: now if its target is out, else once every layer is read */
static int
hard_link(struct flat *f, struct archive_entry *e, const char *path,
    const char *target, struct buf *clean)
{
	if (clean_name(target, clean) == -1 || clean->len == 0)
		return err_set(EINVAL, "%s: hard link '%s' points out of the "
		    "root", f->what, path);
	if (json_object_get(f->layer_shadowed, clean->data))
		return relink(f, path, clean->data);
	e = archive_entry_clone(e);
	archive_entry_set_pathname_utf8(e, path);
	archive_entry_set_hardlink_utf8(e, clean->data);
	archive_entry_set_size(e, 0);
	if (json_object_get(f->seen, clean->data)) {
		int rc = emit(f, NULL, e, path);

		archive_entry_free(e);
		return rc;
	}
	if (count_path(f) == -1) {
		archive_entry_free(e);
		return -1;
	}
	f->links = xrealloc(f->links, (f->nlinks + 1) * sizeof(*f->links));
	f->links[f->nlinks++] = e;
	/* claim the name, so a lower layer's file there stays hidden */
	json_object_set_new(f->seen, path, json_integer(SEEN_FILE));
	return 0;
}

static int
one_entry(struct flat *f, struct archive *in, struct archive_entry *e,
    struct buf *path, struct buf *tmp)
{
	const char *name = archive_entry_pathname_utf8(e), *base, *link;

	/* the output is written in UTF-8: libarchive cannot write other bytes */
	if (!name || (archive_entry_symlink(e) &&
	    !archive_entry_symlink_utf8(e)) || (archive_entry_hardlink(e) &&
	    !archive_entry_hardlink_utf8(e)))
		return err_set(EINVAL, "%s: entry '%s' has a name or link that "
		    "is not UTF-8", f->what, archive_entry_pathname(e) ?
		    archive_entry_pathname(e) : "(no name)");
	if (clean_name(name, path) == -1)
		return err_set(EINVAL, "%s: entry '%s' climbs out of the root",
		    f->what, name ? name : "(no name)");
	if (path->len == 0)
		return 0;	/* the root directory itself */
	base = strrchr(path->data, '/');
	base = base ? base + 1 : path->data;
	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return whiteout(f, path->data, base);
	if (json_object_get(f->seen, path->data) || hidden(f, path->data)) {
		if (archive_entry_filetype(e) == AE_IFREG &&
		    json_object_get(f->seen, path->data))
			json_object_set_new(f->layer_shadowed, path->data,
			    json_true());
		return 0;
	}
	if ((link = archive_entry_hardlink_utf8(e)))
		return hard_link(f, e, path->data, link, tmp);
	return emit(f, in, e, path->data);
}

/* the rest of the blob after the tar's end, so its digest can be checked */
static int
drain(struct layer_src *s)
{
	ssize_t n;

	while ((n = blob_reader_read(&s->r, s->buf, READ_BLOCK)) > 0)
		;
	return n == 0 ? 0 : -1;
}

/*
 * Read the layer d through libarchive, verified, calling fn for each
 * entry with its cleaned name.
 */
typedef int entry_fn(struct flat *, struct archive *, struct archive_entry *,
    struct buf *, struct buf *);

static int
read_layer(struct flat *f, const json_t *d, entry_fn *fn)
{
	struct layer_src s = { BLOB_READER_INIT, f->buf + READ_BLOCK, 0 };
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	struct buf path = BUF_INIT, tmp = BUF_INIT;
	int r, rc = -1;

	if (blob_reader_open(&s.r, f->l, desc_digest(d), desc_size(d)) == -1)
		goto out;
	archive_read_support_filter_all(in);
	archive_read_support_format_tar(in);
	if (archive_read_open(in, &s, NULL, layer_read, NULL) != ARCHIVE_OK)
		goto bad;
	while ((r = archive_read_next_header(in, &e)) == ARCHIVE_OK)
		if (fn(f, in, e, &path, &tmp) == -1)
			goto out;
	if (r != ARCHIVE_EOF || drain(&s) == -1)
		goto bad;
	rc = 0;
	goto out;
bad:
	if (!s.failed)
		err_set(EIO, "%s: layer '%s' is not a readable tar: %s",
		    f->what, desc_digest(d), archive_error_string(in) ?
		    archive_error_string(in) : "error");
out:
	archive_read_free(in);
	blob_reader_close(&s.r);
	buf_release(&path);
	buf_release(&tmp);
	return rc;
}

/* second pass: a shadowed file's bytes under the links that kept them */
static int
relink_entry(struct flat *f, struct archive *in, struct archive_entry *e,
    struct buf *path, struct buf *tmp)
{
	const char *name = archive_entry_pathname_utf8(e);
	json_t *links, *v;
	size_t i;

	if (!name)
		name = archive_entry_pathname(e);
	if (!name || clean_name(name, path) == -1 || path->len == 0 ||
	    archive_entry_filetype(e) != AE_IFREG ||
	    !(links = json_object_get(f->layer_relink, path->data)))
		return 0;
	json_array_foreach(links, i, v) {
		const char *lp = json_string_value(v);
		struct archive_entry *h;
		int rc;

		if (i == 0) {
			rc = emit(f, in, e, lp);
			buf_reset(tmp);
			buf_adds(tmp, lp);
		} else {
			h = archive_entry_clone(e);
			archive_entry_set_hardlink_utf8(h, tmp->data);
			archive_entry_set_size(h, 0);
			rc = emit(f, NULL, h, lp);
			archive_entry_free(h);
		}
		if (rc == -1)
			return -1;
	}
	json_object_del(f->layer_relink, path->data);
	return 0;
}

static int
one_layer(struct flat *f, const json_t *d)
{
	int rc;

	f->layer_gone = json_object();
	f->layer_opaque = json_object();
	f->layer_shadowed = json_object();
	f->layer_relink = json_object();
	rc = read_layer(f, d, one_entry);
	if (rc == 0 && json_object_size(f->layer_relink) > 0) {
		progress_total(desc_size(d));
		rc = read_layer(f, d, relink_entry);
	}
	if (rc == 0) {
		/* this layer's deletions apply to the layers below it only */
		json_object_update(f->gone, f->layer_gone);
		json_object_update(f->opaque, f->layer_opaque);
	}
	json_decref(f->layer_gone);
	json_decref(f->layer_opaque);
	json_decref(f->layer_shadowed);
	json_decref(f->layer_relink);
	return rc;
}

static int
layers_of(struct flat *f, const json_t *desc, struct manifest *m,
    json_t **layers)
{
	struct buf b = BUF_INIT;
	int rc = -1;

	if (layout_blob_read(f->l, desc_digest(desc), JSONIO_MAX_DOC, &b) == -1 ||
	    manifest_parse(m, b.data, b.len, NULL, desc_media_type(desc),
	    f->what) == -1)
		goto out;
	if (m->kind != MT_KIND_MANIFEST) {
		err_set(EINVAL, "%s: not an image manifest", f->what);
		goto out;
	}
	*layers = jsonio_arr(m->json, "layers");
	if (json_array_size(*layers) > FLATTEN_MAX_LAYERS) {
		err_set(E2BIG, "%s: more than %d layers", f->what,
		    FLATTEN_MAX_LAYERS);
		goto out;
	}
	rc = 0;
out:
	buf_release(&b);
	return rc;
}

static int
write_links(struct flat *f)
{
	size_t i;

	for (i = 0; i < f->nlinks; i++) {
		const char *t = archive_entry_hardlink_utf8(f->links[i]);

		/* a link whose target no layer left behind links to nothing */
		if (!json_object_get(f->seen, t) ||
		    json_integer_value(json_object_get(f->seen, t)) == 0)
			continue;
		if (archive_write_header(f->out, f->links[i]) != ARCHIVE_OK)
			return ar_fail(f->out, f->what,
			    archive_entry_pathname_utf8(f->links[i]));
	}
	return 0;
}

int
flatten_write(struct layout *l, const json_t *desc, const char *what, int fd)
{
	struct flat f = { .l = l, .what = what };
	struct tarx_sink sink = TARX_SINK_INIT;
	struct manifest m = MANIFEST_INIT;
	json_t *layers = NULL;
	size_t i;
	int rc = -1;

	f.out = archive_write_new();
	f.seen = json_object();
	f.gone = json_object();
	f.opaque = json_object();
	f.buf = xmalloc(2 * READ_BLOCK);
	if (layers_of(&f, desc, &m, &layers) == -1)
		goto out;
	if (archive_write_set_format_pax_restricted(f.out) != ARCHIVE_OK ||
	    tarx_write_open_fd(f.out, &sink, fd) == -1) {
		ar_fail(f.out, what, "(output)");
		goto out;
	}
	for (i = json_array_size(layers); i-- > 0;)
		if (one_layer(&f, json_array_get(layers, i)) == -1)
			goto out;
	if (write_links(&f) == -1)
		goto out;
	if (archive_write_close(f.out) != ARCHIVE_OK || sink.err) {
		if (sink.err)
			err_sys(sink.err, "%s: cannot write the output", what);
		else
			ar_fail(f.out, what, "(output)");
		goto out;
	}
	rc = 0;
out:
	/* tarx_sink: a failed write leaks nothing, writes no end blocks */
	if (rc == -1)
		tarx_write_abort(f.out, &sink);
	else
		archive_write_free(f.out);
	for (i = 0; i < f.nlinks; i++)
		archive_entry_free(f.links[i]);
	free(f.links);
	free(f.buf);
	json_decref(f.seen);
	json_decref(f.gone);
	json_decref(f.opaque);
	manifest_release(&m);
	return rc;
}
