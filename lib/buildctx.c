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
#include "strv.h"
#include "tarx.h"
#include "err.h"
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
