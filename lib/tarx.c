/* lib/tarx.c - safe tar reading over libarchive */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "tarx.h"

#define BLOCK	(1024 * 1024)	/* fewer, larger blocks: see layout.c */
#define RING	4		/* blocks read ahead of the hash, at most */

/*
 * The archive's bytes are read into a ring of buffers that lib/digest.c
 * knows: libarchive hands out the data of an uncompressed tar in place,
 * inside the block that was read, so a caller that writes a block and
 * hashes it with digest_update_async() costs no copy, and the block is
 * read into again only after the hash thread released it.
 */
static la_ssize_t
ring_read(struct archive *a, void *arg, const void **buf)
{
	struct tarx *t = arg;
	void *b = digest_ring_next(t->ring);
	ssize_t n;

	while ((n = read(t->fd, b, BLOCK)) == -1 && errno == EINTR)
		;
	if (n == -1) {
		archive_set_error(a, errno, "%s", strerror(errno));
		return -1;
	}
	*buf = b;
	return n;
}

int
tarx_clean_path(const char *name, struct buf *out)
{
	const char *p = name, *next;
	size_t n;

	buf_reset(out);
	if (!name || !*name || *name == '/')
		return -1;
	for (; *p; p = next) {
		n = strcspn(p, "/");
		next = p + n + (p[n] == '/');
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return -1;
		if (out->len)
			buf_add(out, "/", 1);
		buf_add(out, p, n);
	}
	return out->len ? 0 : -1;
}

/* resolve a symlink target against the link's own directory */
static int
resolve_symlink(const char *path, const char *target, struct buf *out)
{
	struct buf joined = BUF_INIT;
	const char *slash = strrchr(path, '/'), *p, *next;
	size_t n;
	int rc = 0;

	if (!target || !*target || *target == '/')
		return -1;
	if (slash)
		buf_add(&joined, path, slash - path);
	/* apply each component, popping on "..": climbing out is an error */
	for (p = target; *p; p = next) {
		n = strcspn(p, "/");
		next = p + n + (p[n] == '/');
		if (n == 0 || (n == 1 && p[0] == '.'))
			continue;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *s;

			if (joined.len == 0) {
				rc = -1;
				break;
			}
			s = strrchr(joined.data, '/');
			joined.len = s ? (size_t)(s - joined.data) : 0;
			joined.data[joined.len] = '\0';
			continue;
		}
		if (joined.len)
			buf_add(&joined, "/", 1);
		buf_add(&joined, p, n);
	}
	if (rc == 0)
		rc = tarx_clean_path(joined.data, out);
	buf_release(&joined);
	return rc;
}

int
tarx_open_fd(struct tarx *t, int fd, const char *what)
{
	struct archive *a = archive_read_new();

	*t = (struct tarx)TARX_INIT;
	t->what = what;
	if (!a)
		return err_set(ENOMEM, "cannot start reading '%s'", what);
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	t->fd = fd;
	t->ring = digest_ring_new(RING, BLOCK);
	if (archive_read_open(a, t, NULL, ring_read, NULL) != ARCHIVE_OK) {
		err_set(EINVAL, "'%s': %s", what, archive_error_string(a));
		archive_read_free(a);
		digest_ring_free(t->ring);
		t->ring = NULL;
		return -1;
	}
	t->a = a;
	return 0;
}

int
tarx_next(struct tarx *t, struct tarx_entry *e)
{
	struct archive_entry *ae;
	const char *name, *hl, *sl;
	int r;

	for (;;) {
		r = archive_read_next_header(t->a, &ae);
		if (r == ARCHIVE_EOF)
			return 0;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
			return err_set(EINVAL, "'%s': %s", t->what,
			    archive_error_string(t->a));
		t->offset = 0;
		name = archive_entry_pathname(ae);
		/* "./" is the archive's root: a directory, and ignored */
		if (archive_entry_filetype(ae) == AE_IFDIR && name &&
		    strspn(name, "./") == strlen(name) && !strstr(name, ".."))
			continue;
		if (tarx_clean_path(name, &t->path) == -1)
			return err_set(EINVAL, "'%s': unsafe name '%s' in the "
			    "archive", t->what, name ? name : "");
		memset(e, 0, sizeof(*e));
		e->path = t->path.data;
		if ((hl = archive_entry_hardlink(ae))) {
			if (tarx_clean_path(hl, &t->link) == -1)
				return err_set(EINVAL, "'%s': hard link '%s' "
				    "points outside the archive", t->what,
				    e->path);
			e->type = TARX_LINK;
			e->link = t->link.data;
			return 1;
		}
		switch (archive_entry_filetype(ae)) {
		case AE_IFDIR:
			continue;
		case AE_IFREG:
			if (archive_entry_sparse_count(ae) > 0)
				return err_set(EINVAL, "'%s': sparse file '%s' "
				    "is not supported", t->what, e->path);
			e->type = TARX_FILE;
			e->size = archive_entry_size(ae);
			return 1;
		case AE_IFLNK:
			sl = archive_entry_symlink(ae);
			if (resolve_symlink(e->path, sl, &t->link) == -1)
				return err_set(EINVAL, "'%s': symbolic link '%s' "
				    "points outside the archive ('%s')", t->what,
				    e->path, sl ? sl : "");
			e->type = TARX_LINK;
			e->link = t->link.data;
			return 1;
		default:
			return err_set(EINVAL, "'%s': '%s' is a device, FIFO or "
			    "socket", t->what, e->path);
		}
	}
}

ssize_t
tarx_read(struct tarx *t, const void **p)
{
	size_t n;
	la_int64_t off;
	int r;

	r = archive_read_data_block(t->a, p, &n, &off);
	if (r == ARCHIVE_EOF)
		return 0;
	if (r != ARCHIVE_OK && r != ARCHIVE_WARN)
		return err_set(EIO, "'%s': %s", t->what,
		    archive_error_string(t->a));
	if (off != t->offset)
		return err_set(EINVAL, "'%s': '%s' has holes", t->what,
		    t->path.data);
	t->offset += n;
	return n;
}

int
tarx_read_all(struct tarx *t, size_t max, struct buf *out)
{
	const void *p;
	ssize_t n;

	buf_reset(out);
	while ((n = tarx_read(t, &p)) > 0) {
		if (out->len + n > max)
			return err_set(EFBIG, "'%s': '%s' is larger than %zu "
			    "bytes", t->what, t->path.data, max);
		buf_add(out, p, n);
	}
	buf_grow(out, 0);
	return n < 0 ? -1 : 0;
}

void
tarx_close(struct tarx *t)
{
	if (t->a)
		archive_read_free(t->a);
	digest_ring_free(t->ring);
	buf_release(&t->path);
	buf_release(&t->link);
	*t = (struct tarx)TARX_INIT;
}

int
tarx_write_entry(struct archive *a, const char *name, int dir, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	int rc = 0;

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
	archive_entry_set_perm(e, dir ? 0755 : 0644);
	archive_entry_set_size(e, dir ? 0 : size);
	archive_entry_set_mtime(e, 0, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		rc = err_set(EIO, "cannot write '%s': %s", name,
		    archive_error_string(a) ? archive_error_string(a) : "error");
	archive_entry_free(e);
	return rc;
}

static la_ssize_t
sink_write(struct archive *a, void *arg, const void *p, size_t n)
{
	struct tarx_sink *s = arg;

	(void)a;
	if (s->discard || s->err)
		return (la_ssize_t)n;
	if (fs_write_all(s->fd, p, n) == -1) {
		s->err = errno ? errno : EIO;
		s->discard = 1;
	}
	return (la_ssize_t)n;
}

int
tarx_write_open_fd(struct archive *a, struct tarx_sink *s, int fd)
{
	*s = (struct tarx_sink)TARX_SINK_INIT;
	s->fd = fd;
	/*
	 * The last block is not padded to libarchive's 10 KiB record: a
	 * stream is as long as its entries, as archive_write_open_fd()
	 * makes it for a pipe.
	 */
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open2(a, s, NULL, sink_write, NULL, NULL) !=
	    ARCHIVE_OK)
		return err_set(EIO, "cannot start a tar stream: %s",
		    archive_error_string(a) ? archive_error_string(a) :
		    "error");
	return 0;
}

void
tarx_write_abort(struct archive *a, struct tarx_sink *s)
{
	if (!a)
		return;
	s->discard = 1;
	/* not fatal, so closing frees the block buffer; nothing is written */
	archive_write_close(a);
	archive_write_free(a);
}

int
tarx_write_finish(struct archive *a, struct tarx_sink *s, const char *what)
{
	int rc = 0;

	if (archive_write_close(a) != ARCHIVE_OK || s->err) {
		if (s->err)
			rc = err_sys(s->err, "cannot write %s", what);
		else
			rc = err_set(EIO, "cannot write %s: %s", what,
			    archive_error_string(a) ? archive_error_string(a) :
			    "error");
		tarx_write_abort(a, s);
		return rc;
	}
	archive_write_free(a);
	return 0;
}
