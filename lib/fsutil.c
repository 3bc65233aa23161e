/* lib/fsutil.c - the file plumbing every module needs the same way */
#define _GNU_SOURCE		/* O_TMPFILE, linkat(AT_EMPTY_PATH) */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"

int
fs_read_fd(int fd, size_t max, struct buf *out, const char *what)
{
	char chunk[65536];
	ssize_t n;

	buf_reset(out);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return err_sys(errno, "cannot read %s", what);
		}
		if (out->len + n > max)
			return err_set(EFBIG, "%s: larger than %zu bytes", what,
			    max);
		buf_add(out, chunk, n);
	}
	buf_grow(out, 0);
	return 0;
}

int
fs_read_path(const char *path, size_t max, struct buf *out)
{
	char *what;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_sys(errno, "cannot open '%s'", path);
	what = xasprintf("'%s'", path);
	rc = fs_read_fd(fd, max, out, what);
	free(what);
	close(fd);
	return rc;
}

int
fs_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= w;
	}
	return 0;
}

int
fs_mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s, c;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			rc = err_sys(errno, "cannot create '%s'", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}

/* umask(2) can only be read by setting it; put it back at once */
static mode_t
current_umask(void)
{
	mode_t m = umask(022);

	umask(m);
	return m;
}

/* the directory of path, for an unnamed file there */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/*
 * An unnamed file in the target's directory (O_TMPFILE): a writer killed
 * at any moment leaves nothing behind. Where the file system refuses it,
 * a named temporary file, removed on failure.
 */
static int
open_tmp(struct fs_replace *r)
{
#ifdef O_TMPFILE
	char *dir = dir_of(r->path);

	r->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
	free(dir);
	if (r->fd != -1) {
		r->anon = 1;
		return 0;
	}
#endif
	r->tmp = xasprintf("%s.tmp-XXXXXX", r->path);
	if ((r->fd = mkstemp(r->tmp)) == -1)
		return err_sys(errno, "cannot create '%s'", r->tmp);
	/* mkstemp makes it 0600; the file is meant to be read like any other */
	fchmod(r->fd, 0644 & ~current_umask());
	return 0;
}

int
fs_replace_open(struct fs_replace *r, const char *path)
{
	struct stat st;

	*r = (struct fs_replace)FS_REPLACE_INIT;
	/*
	 * A device, a FIFO or a socket is written into, never replaced: as
	 * root, renaming over /dev/null would break the whole machine.
	 */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (S_ISDIR(st.st_mode))
			return err_set(EISDIR, "cannot write '%s': a directory",
			    path);
		if ((r->fd = open(path, O_WRONLY | O_CLOEXEC)) == -1)
			return err_sys(errno, "cannot open '%s'", path);
		return 0;
	}
	r->path = xstrdup(path);
	if (open_tmp(r) == -1) {
		free(r->tmp);
		free(r->path);
		*r = (struct fs_replace)FS_REPLACE_INIT;
		return -1;
	}
	return 0;
}

/*
 * The unnamed file gets a name beside path, then takes path's place:
 * linkat() cannot replace a file, rename() can. Only between the two
 * calls could a kill leave the named file behind.
 */
static int
link_anon(struct fs_replace *r)
{
	char proc[64];
	int i;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", r->fd);
	for (i = 0; i < 100; i++) {
		free(r->tmp);
		r->tmp = xasprintf("%s.tmp-%06x", r->path,
		    (unsigned)(rand() ^ getpid() ^ (i << 8)) & 0xffffff);
		/* AT_EMPTY_PATH needs a capability; /proc does not */
		if (linkat(r->fd, "", AT_FDCWD, r->tmp, AT_EMPTY_PATH) == 0 ||
		    linkat(AT_FDCWD, proc, AT_FDCWD, r->tmp,
		    AT_SYMLINK_FOLLOW) == 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	err_sys(errno, "cannot create '%s'", r->tmp);
	free(r->tmp);
	r->tmp = NULL;
	return -1;
}

int
fs_replace_commit(struct fs_replace *r)
{
	int rc = 0;

	if (!r->tmp && !r->anon) {	/* a device or FIFO, written in place */
		if (close(r->fd) == -1)
			rc = err_sys(errno, "cannot write the output");
		*r = (struct fs_replace)FS_REPLACE_INIT;
		return rc;
	}
	if (fsync(r->fd) == -1)
		rc = err_sys(errno, "cannot sync '%s'", r->path);
	else if (r->anon && link_anon(r) == -1)
		rc = -1;
	if (close(r->fd) == -1 && rc == 0)
		rc = err_sys(errno, "cannot write '%s'", r->path);
	r->fd = -1;
	if (rc == 0 && rename(r->tmp, r->path) == -1)
		rc = err_sys(errno, "cannot rename '%s' to '%s'", r->tmp,
		    r->path);
	if (rc == -1 && r->tmp)
		unlink(r->tmp);
	free(r->tmp);
	free(r->path);
	*r = (struct fs_replace)FS_REPLACE_INIT;
	return rc;
}
void
fs_replace_abort(struct fs_replace *r)
{
	if (r->fd != -1)
		close(r->fd);
	if (r->tmp)
		unlink(r->tmp);
	free(r->tmp);
	free(r->path);
	*r = (struct fs_replace)FS_REPLACE_INIT;
}

/*
 * The writeback helper. A cache writes a blob, then fsyncs it before it
 * names it. Left alone, the kernel starts writing dirty pages only seconds
 * later, so that fsync would wait for the whole blob (100 ms for 150 MB
 * here). Asking for the writeback as the blocks are written overlaps the
 * disk with the transfer, but sync_file_range(2) and fdatasync(2) block
 * the caller while they submit or wait; on this thread they block only
 * the helper.
 */
struct wb_req {
	int	fd;		/* the helper's duplicate */
	int	orig;		/* the caller's descriptor, to merge ranges */
	off_t	off, n;		/* n 0: fdatasync */
};

static struct {
	pthread_mutex_t	mu;
	pthread_cond_t	cv;
	pthread_t	tid;
	int		state;	/* 0 not started, 1 running, -1 unavailable */
	int		quit;
	unsigned	head, tail;
	struct wb_req	req[FS_WRITEBACK_QUEUE];
} wb = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *
wb_main(void *arg)
{
	struct wb_req r;

	pthread_mutex_lock(&wb.mu);
	for (;;) {
		while (wb.head == wb.tail && !wb.quit)
			pthread_cond_wait(&wb.cv, &wb.mu);
		if (wb.head == wb.tail)
			break;
		r = wb.req[wb.head++ % FS_WRITEBACK_QUEUE];
		pthread_mutex_unlock(&wb.mu);
		/* advice only: an error shows again in the caller's fsync */
		if (r.n > 0)
			(void)sync_file_range(r.fd, r.off, r.n,
			    SYNC_FILE_RANGE_WRITE);
		else
			(void)fdatasync(r.fd);
		close(r.fd);
		pthread_mutex_lock(&wb.mu);
	}
	pthread_mutex_unlock(&wb.mu);
	return arg;
}

/* at exit: what is still queued is dropped, the request running ends */
static void
wb_stop(void)
{
	if (wb.state != 1)
		return;
	pthread_mutex_lock(&wb.mu);
	while (wb.head != wb.tail)
		close(wb.req[wb.head++ % FS_WRITEBACK_QUEUE].fd);
	wb.quit = 1;
	pthread_cond_broadcast(&wb.cv);
	pthread_mutex_unlock(&wb.mu);
	pthread_join(wb.tid, NULL);
	wb.state = -1;
}

/* a forked child has no helper: its copy of the queue is not its own */
static void
wb_forked(void)
{
	pthread_mutex_init(&wb.mu, NULL);
	pthread_cond_init(&wb.cv, NULL);
	while (wb.head != wb.tail)
		close(wb.req[wb.head++ % FS_WRITEBACK_QUEUE].fd);
	if (wb.state == 1)
		wb.state = 0;
}

/* called with wb.mu held */
static int
wb_ready(void)
{
	static int registered;

	if (wb.state != 0)
		return wb.state == 1;
	if (!registered) {
		registered = 1;
		atexit(wb_stop);
		pthread_atfork(NULL, NULL, wb_forked);
	}
	wb.state = pthread_create(&wb.tid, NULL, wb_main, NULL) == 0 ? 1 : -1;
	return wb.state == 1;
}

void
fs_writeback(int fd, off_t off, off_t n)
{
	struct wb_req *last;
	int dup;

	pthread_mutex_lock(&wb.mu);
	if (!wb_ready())
		goto out;
	/* a range that continues the last one still queued joins it */
	last = wb.head != wb.tail ?
	    &wb.req[(wb.tail - 1) % FS_WRITEBACK_QUEUE] : NULL;
	if (last && last->orig == fd && n > 0 && last->n > 0 &&
	    last->off + last->n == off) {
		last->n += n;
		goto out;
	}
	if (last && last->orig == fd && n == 0 && last->n == 0)
		goto out;
	if (wb.tail - wb.head == FS_WRITEBACK_QUEUE ||
	    (dup = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1)
		goto out;	/* dropped: the caller's fsync does it */
	wb.req[wb.tail++ % FS_WRITEBACK_QUEUE] = (struct wb_req){ dup, fd,
	    off, n };
	pthread_cond_signal(&wb.cv);
out:
	pthread_mutex_unlock(&wb.mu);
}
