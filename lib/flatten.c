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

/*
 * The most bytes of names an export keeps, and the longest name: with
 * FLATTEN_MAX_PATHS they bound the memory of one export.
 */
#define MAX_NAME_BYTES	(256u << 20)
#define MAX_NAME	4096

/*
 * What a path is in the layers read so far (the upper ones). IMPLIED: a
 * directory that an upper layer's path needs but no upper layer wrote.
 */
enum { SEEN_FILE = 1, SEEN_DIR = 2, SEEN_IMPLIED = 3 };

/*
 * What the layers above the current one decided. jansson's objects serve
 * as string sets: a hash table we do not write by hand. Names are bytes,
 * not always UTF-8: keys go in through the _nocheck calls.
 */
struct flat {
	struct layout	*l;
	const char	*what;
	struct archive	*out;
	json_t		*seen;		/* path -> SEEN_* */
	json_t		*gone;		/* paths whited out above */
	json_t		*opaque;	/* directories made opaque above */
	json_t		*layer_gone, *layer_opaque;	/* the current layer's */
	json_t		*layer_last;	/* path -> index of its last entry */
	json_t		*layer_relink;	/* target -> [links] that need its bytes */
	struct archive_entry **links;	/* hard links waiting for their target */
	size_t		 nlinks;
	size_t		 npaths, nbytes;	/* kept, against the caps */
	size_t		 last_paths, last_bytes;	/* layer_last's */
	size_t		 idx;		/* of the entry in the current pass */
	json_t		*hmemo;		/* directory -> hidden from this layer */
	size_t		 hmemo_bytes;
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
count_path(struct flat *f, size_t len)
{
	f->nbytes += len;
	if (++f->npaths > FLATTEN_MAX_PATHS)
		return err_set(E2BIG, "%s: more than %u paths", f->what,
		    FLATTEN_MAX_PATHS);
	if (f->nbytes > MAX_NAME_BYTES)
		return err_set(E2BIG, "%s: more than %u bytes of path names",
		    f->what, MAX_NAME_BYTES);
	return 0;
}

static int
seen_kind(struct flat *f, const char *path)
{
	return (int)json_integer_value(json_object_get(f->seen, path));
}

/*
 * Is directory p (writable) or a parent of it hidden from the current
 * layer? The answer is kept per directory, so the walk up is paid once
 * per directory, not once per entry: the cost stays linear in the names.
 */
static int
dir_hidden(struct flat *f, char *p)
{
	json_t *v = json_object_get(f->hmemo, p);
	char *slash;
	size_t n;
	int h;

	if (v)
		return json_is_true(v);
	h = json_object_get(f->gone, p) || json_object_get(f->opaque, p) ||
	    seen_kind(f, p) == SEEN_FILE;
	if (!h && (slash = strrchr(p, '/'))) {
		*slash = '\0';
		h = dir_hidden(f, p);
		*slash = '/';
	}
	/* over its budget the memo starts again: slower, never wrong */
	if ((f->hmemo_bytes += (n = strlen(p))) > MAX_NAME_BYTES / 4) {
		json_object_clear(f->hmemo);
		f->hmemo_bytes = n;
	}
	json_object_set_new_nocheck(f->hmemo, p, json_boolean(h));
	return h;
}

static int
parent_hidden(struct flat *f, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *p;
	int h;

	if (!slash)
		return 0;
	p = xstrndup(path, (size_t)(slash - path));
	h = dir_hidden(f, p);
	free(p);
	return h;
}

/* hidden by a whiteout, an opaque directory (the root too) or a file above */
static int
hidden(struct flat *f, const char *path)
{
	return json_object_get(f->gone, path) ||
	    json_object_get(f->opaque, "") || parent_hidden(f, path);
}

/*
 * path is now written (or taken) as kind; its parents that nothing wrote
 * yet become IMPLIED directories, so that a lower layer's symlink or file
 * there is known to clash. The walk up stops at the first known parent.
 */
static int
claim(struct flat *f, const char *path, int kind)
{
	size_t n = strlen(path);
	char *p, *s;

	if (!json_object_get(f->seen, path) && count_path(f, n) == -1)
		return -1;
	json_object_set_new_nocheck(f->seen, path, json_integer(kind));
	/* a file where hidden() looked changes its answers below it */
	if (kind == SEEN_FILE && json_object_get(f->hmemo, path)) {
		json_object_clear(f->hmemo);
		f->hmemo_bytes = 0;
	}
	p = xstrdup(path);
	for (s = p + n; s > p; ) {
		while (s > p && *s != '/')
			s--;
		if (s == p)
			break;
		*s = '\0';
		if (json_object_get(f->seen, p))
			break;
		if (count_path(f, (size_t)(s - p)) == -1) {
			free(p);
			return -1;
		}
		json_object_set_new_nocheck(f->seen, p,
		    json_integer(SEEN_IMPLIED));
	}
	free(p);
	return 0;
}

/* a .wh. entry: remember what it removes from the layers below */
static int
whiteout(struct flat *f, const char *path, const char *base)
{
	size_t dirlen = (size_t)(base - path);
	char *target;
	int rc;

	if (strcmp(base, WH_OPAQUE) == 0) {
		target = xstrndup(path, dirlen ? dirlen - 1 : 0);
		rc = count_path(f, strlen(target));
		json_object_set_new_nocheck(f->layer_opaque, target,
		    json_true());
	} else {
		target = xasprintf("%.*s%s", (int)dirlen, path,
		    base + strlen(WH_PREFIX));
		rc = count_path(f, strlen(target));
		json_object_set_new_nocheck(f->layer_gone, target, json_true());
	}
	free(target);
	return rc;
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

/*
 * Names are bytes, written as they came: a name that is not UTF-8 gets
 * pax's hdrcharset=BINARY, and libarchive says so with a warning only.
 */
static int
write_header(struct flat *f, struct archive_entry *e)
{
	return archive_write_header(f->out, e) < ARCHIVE_WARN ? -1 : 0;
}

static int
emit(struct flat *f, struct archive *in, struct archive_entry *e,
    const char *path)
{
	int dir = archive_entry_filetype(e) == AE_IFDIR;

	archive_entry_copy_pathname(e, path);
	if (write_header(f, e) == -1)
		return ar_fail(f->out, f->what, path);
	if (claim(f, path, dir ? SEEN_DIR : SEEN_FILE) == -1)
		return -1;
	if (!dir && archive_entry_size(e) > 0 && in)
		return copy_data(f, in, path);
	return 0;
}

/* an entry's name and link targets, checked and the name cleaned */
static int
entry_name(struct flat *f, struct archive_entry *e, struct buf *path)
{
	const char *name = archive_entry_pathname(e);
	const char *sl = archive_entry_symlink(e);
	const char *hl = archive_entry_hardlink(e);

	if (!name)
		return err_set(EINVAL, "%s: an entry has no name", f->what);
	if (strlen(name) > MAX_NAME || (sl && strlen(sl) > MAX_NAME) ||
	    (hl && strlen(hl) > MAX_NAME))
		return err_set(ENAMETOOLONG, "%s: entry '%.64s...' has a name "
		    "or link longer than %d bytes", f->what, name, MAX_NAME);
	if (clean_name(name, path) == -1)
		return err_set(EINVAL, "%s: entry '%s' climbs out of the root",
		    f->what, name);
	return 0;
}

static const char *
base_of(const char *path)
{
	const char *base = strrchr(path, '/');

	return base ? base + 1 : path;
}

/*
 * First pass over a layer: where each path last occurs (tar's last copy
 * wins), the whiteouts, and the hard links whose target an upper layer
 * hides or replaces: those keep the old bytes (a runtime's copy-up breaks
 * the link), so they become files, written when the target passes by.
 */
static int
scan_entry(struct flat *f, struct archive *in, struct archive_entry *e,
    struct buf *path, struct buf *tmp)
{
	const char *base, *link;
	json_t *links;

	(void)in;
	f->idx++;
	if (entry_name(f, e, path) == -1)
		return -1;
	if (path->len == 0)
		return 0;	/* the root directory itself */
	/* the layer's own list, bounded as the whole image's is */
	if (!json_object_get(f->layer_last, path->data) &&
	    (++f->last_paths > FLATTEN_MAX_PATHS ||
	    (f->last_bytes += path->len) > MAX_NAME_BYTES))
		return err_set(E2BIG, "%s: a layer of more than %u paths or "
		    "%u bytes of path names", f->what, FLATTEN_MAX_PATHS,
		    MAX_NAME_BYTES);
	json_object_set_new_nocheck(f->layer_last, path->data,
	    json_integer((json_int_t)f->idx));
	base = base_of(path->data);
	if (strncmp(base, WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return whiteout(f, path->data, base);
	if (!(link = archive_entry_hardlink(e)) ||
	    json_object_get(f->seen, path->data) || hidden(f, path->data))
		return 0;
	if (clean_name(link, tmp) == -1 || tmp->len == 0)
		return err_set(EINVAL, "%s: hard link '%s' points out of the "
		    "root", f->what, path->data);
	if (!json_object_get(f->seen, tmp->data) && !hidden(f, tmp->data))
		return 0;
	if (count_path(f, path->len) == -1)
		return -1;
	if (!(links = json_object_get(f->layer_relink, tmp->data))) {
		links = json_array();
		json_object_set_new_nocheck(f->layer_relink, tmp->data, links);
	}
	json_array_append_new(links, json_stringn_nocheck(path->data,
	    path->len));
	return 0;
}

/* a hidden file's bytes under the links that kept them */
static int
relink_entry(struct flat *f, struct archive *in, struct archive_entry *e,
    const char *path, struct buf *tmp)
{
	json_t *links = json_object_get(f->layer_relink, path), *v;
	struct archive_entry *h;
	size_t i;
	int rc = 0;

	buf_reset(tmp);
	json_array_foreach(links, i, v) {
		const char *lp = json_string_value(v);

		if (rc == -1 || json_object_get(f->seen, lp))
			continue;
		if (tmp->len == 0) {
			h = archive_entry_clone(e);
			rc = emit(f, in, h, lp);
			buf_adds(tmp, lp);
		} else {
			h = archive_entry_clone(e);
			archive_entry_copy_hardlink(h, tmp->data);
			archive_entry_set_size(h, 0);
			rc = emit(f, NULL, h, lp);
		}
		archive_entry_free(h);
	}
	json_object_del(f->layer_relink, path);
	return rc;
}

/* a hard link: now if its target is out, else once every layer is read */
static int
hard_link(struct flat *f, struct archive_entry *e, const char *path,
    const char *target, struct buf *clean)
{
	int rc;

	if (clean_name(target, clean) == -1 || clean->len == 0)
		return err_set(EINVAL, "%s: hard link '%s' points out of the "
		    "root", f->what, path);
	e = archive_entry_clone(e);
	archive_entry_copy_pathname(e, path);
	archive_entry_copy_hardlink(e, clean->data);
	archive_entry_set_size(e, 0);
	if (seen_kind(f, clean->data) == SEEN_FILE) {
		rc = emit(f, NULL, e, path);
		archive_entry_free(e);
		return rc;
	}
	f->links = xrealloc(f->links, (f->nlinks + 1) * sizeof(*f->links));
	f->links[f->nlinks++] = e;
	/* claim the name, so a lower layer's file there stays hidden */
	return claim(f, path, SEEN_FILE);
}

/*
 * A path that an upper layer needs as a directory: a lower directory
 * there gives it its metadata, a lower file is replaced by it, and a
 * lower symlink would send the upper paths elsewhere: not supported.
 */
static int
implied(struct flat *f, struct archive *in, struct archive_entry *e,
    const char *path)
{
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return emit(f, in, e, path);
	case AE_IFLNK:
		return err_set(ENOTSUP, "%s: cannot flatten '%s': a symbolic "
		    "link below paths of an upper layer", f->what, path);
	default:
		return 0;
	}
}

/* second pass: write what the layers above left of this one */
static int
one_entry(struct flat *f, struct archive *in, struct archive_entry *e,
    struct buf *path, struct buf *tmp)
{
	const char *link;
	int kind;

	f->idx++;
	if (entry_name(f, e, path) == -1)
		return -1;
	if (path->len == 0 || json_integer_value(json_object_get(
	    f->layer_last, path->data)) != (json_int_t)f->idx)
		return 0;	/* the root, or a path a later copy replaces */
	if (strncmp(base_of(path->data), WH_PREFIX, strlen(WH_PREFIX)) == 0)
		return 0;
	if (archive_entry_filetype(e) == AE_IFREG &&
	    json_object_get(f->layer_relink, path->data) &&
	    relink_entry(f, in, e, path->data, tmp) == -1)
		return -1;
	kind = seen_kind(f, path->data);
	if (kind == SEEN_IMPLIED && !hidden(f, path->data))
		return implied(f, in, e, path->data);
	if (kind || hidden(f, path->data))
		return 0;
	if ((link = archive_entry_hardlink(e)))
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

	f->idx = 0;
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

/* two reads of the layer: scan_entry, then one_entry */
static int
one_layer(struct flat *f, const json_t *d)
{
	int rc;

	f->layer_gone = json_object();
	f->layer_opaque = json_object();
	f->layer_last = json_object();
	f->layer_relink = json_object();
	f->last_paths = f->last_bytes = 0;
	json_object_clear(f->hmemo);	/* gone and opaque have grown */
	f->hmemo_bytes = 0;
	rc = read_layer(f, d, scan_entry);
	if (rc == 0) {
		progress_total(desc_size(d));
		rc = read_layer(f, d, one_entry);
	}
	if (rc == 0) {
		/* this layer's deletions apply to the layers below it only */
		json_object_update(f->gone, f->layer_gone);
		json_object_update(f->opaque, f->layer_opaque);
	}
	json_decref(f->layer_gone);
	json_decref(f->layer_opaque);
	json_decref(f->layer_last);
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
		const char *t = archive_entry_hardlink(f->links[i]);

		/* a link whose target no layer left behind links to nothing */
		if (seen_kind(f, t) != SEEN_FILE)
			continue;
		if (write_header(f, f->links[i]) == -1)
			return ar_fail(f->out, f->what,
			    archive_entry_pathname(f->links[i]));
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
	f.hmemo = json_object();
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
	if (tarx_write_finish(f.out, &sink, "the output") == 0)
		rc = 0;
	f.out = NULL;	/* freed either way */
out:
	/* tarx_sink: a failed write leaks nothing, writes no end blocks */
	tarx_write_abort(f.out, &sink);
	for (i = 0; i < f.nlinks; i++)
		archive_entry_free(f.links[i]);
	free(f.links);
	free(f.buf);
	json_decref(f.hmemo);
	json_decref(f.seen);
	json_decref(f.gone);
	json_decref(f.opaque);
	manifest_release(&m);
	return rc;
}
