/* lib/layout.c - the cache: blobs in and out, names in index.json, locking */
#define _GNU_SOURCE		/* O_TMPFILE, linkat(AT_EMPTY_PATH) */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "desc.h"
#include "err.h"
#include "fsutil.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"

#define LAYOUT_FILE	"{\"imageLayoutVersion\":\"1.0.0\"}"
#define EMPTY_INDEX	"{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX \
			"\",\"manifests\":[]}"
#define INDEX_TMP	".index.json.tmp"	/* only ever written under the lock */
/* index.json of 100,000 names: far beyond any cache, short of exhaustion */
#define INDEX_MAX	(64u << 20)
/* below this, queueing a block for the hash thread costs more than it saves */
#define PARALLEL_HASH_MIN	(64 * 1024)
/* a blob being written is made durable so far every SYNC_EVERY bytes */
#define SYNC_EVERY	(8 << 20)

char *
layout_default_path(const char *opt)
{
	const char *env = getenv("LINUXKIT_CACHE"), *home = getenv("HOME");
	struct passwd *pw;

	if (opt)
		return xstrdup(opt);
	if (env && *env)
		return xstrdup(env);
	if ((!home || !*home) && (pw = getpwuid(getuid())))
		home = pw->pw_dir;
	return xasprintf("%s/.linuxkit/cache", home && *home ? home : ".");
}

/*
 * Open rel in the cache for reading, refusing what a damaged or hostile
 * cache may hold in its place: a symbolic link (O_NOFOLLOW), a FIFO or a
 * device (O_NONBLOCK, so the open itself cannot block, then fstat), a
 * directory. Blocking is restored for the reads that follow. *st may be
 * NULL. Every read of a file in the cache starts here.
 */
static int
open_regular(struct layout *l, const char *rel, struct stat *st)
{
	struct stat sb;
	int fd, fl;

	if (!st)
		st = &sb;
	fd = openat(l->dirfd, rel, O_RDONLY | O_NONBLOCK | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1) {
		if (errno == ELOOP)
			return err_set(EINVAL, "cannot open '%s/%s': a symbolic "
			    "link is in its place", l->path, rel);
		return err_sys(errno, "cannot open '%s/%s'", l->path, rel);
	}
	if (fstat(fd, st) == -1 || !S_ISREG(st->st_mode)) {
		int e = errno;

		close(fd);
		if (!S_ISREG(st->st_mode))
			return err_set(EINVAL, "cannot open '%s/%s': not a "
			    "regular file", l->path, rel);
		return err_sys(e, "cannot open '%s/%s'", l->path, rel);
	}
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		int e = errno;

		close(fd);
		return err_sys(e, "cannot open '%s/%s'", l->path, rel);
	}
	return fd;
}

/* 1 when rel exists as a regular file, 0 when absent, -1 when in the way */
static int
regular_at(struct layout *l, const char *rel)
{
	struct stat st;

	if (fstatat(l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1) {
		if (errno == ENOENT)
			return 0;
		return err_sys(errno, "cannot read '%s/%s'", l->path, rel);
	}
	if (!S_ISREG(st.st_mode))
		return err_set(EINVAL, "cannot use cache '%s': '%s' is not a "
		    "regular file", l->path, rel);
	return 1;
}

/* replace name in the cache directory: temp file, fsync, rename, fsync dir */
static int
replace_file(struct layout *l, const char *name, const void *p, size_t n)
{
	int fd;

	/* we hold the lock: a leftover is stale, and may be a planted link */
	if (unlinkat(l->dirfd, INDEX_TMP, 0) == -1 && errno != ENOENT)
		return err_sys(errno, "cannot remove '%s/%s'", l->path,
		    INDEX_TMP);
	fd = openat(l->dirfd, INDEX_TMP, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1)
		return err_sys(errno, "cannot create '%s/%s'", l->path, INDEX_TMP);
	if (fs_write_all(fd, p, n) == -1 || fsync(fd) == -1) {
		int e = errno;

		close(fd);
		unlinkat(l->dirfd, INDEX_TMP, 0);
		return err_sys(e, "cannot write '%s/%s'", l->path, name);
	}
	close(fd);
	if (renameat(l->dirfd, INDEX_TMP, l->dirfd, name) == -1) {
		int e = errno;

		unlinkat(l->dirfd, INDEX_TMP, 0);
		return err_sys(e, "cannot replace '%s/%s'", l->path, name);
	}
	if (fsync(l->dirfd) == -1)
		return err_sys(errno, "cannot sync '%s'", l->path);
	return 0;
}

/* a missing oci-layout or index.json is written, under the lock */
static int
init_layout(struct layout *l)
{
	int rc = 0, hi, ho;

	if ((hi = regular_at(l, "index.json")) == -1 ||
	    (ho = regular_at(l, "oci-layout")) == -1)
		return -1;
	if (hi && ho)
		return 0;
	if (layout_lock(l) == -1)
		return -1;
	/*
	 * index.json first: a cache killed in between lacks only oci-layout,
	 * and readers (this one and go-containerregistry's) look for the index.
	 */
	if ((hi = regular_at(l, "index.json")) == 0)
		rc = replace_file(l, "index.json", EMPTY_INDEX,
		    sizeof(EMPTY_INDEX) - 1);
	if (hi == -1)
		rc = -1;
	if (rc == 0 && (ho = regular_at(l, "oci-layout")) == 0)
		rc = replace_file(l, "oci-layout", LAYOUT_FILE,
		    sizeof(LAYOUT_FILE) - 1);
	if (ho == -1)
		rc = -1;
	layout_unlock(l);
	return rc;
}

/* blobs/ and blobs/sha256/ exist as directories, not links elsewhere */
static int
make_dir(struct layout *l, const char *rel)
{
	struct stat st;

	if (mkdirat(l->dirfd, rel, 0755) == -1 && errno != EEXIST)
		return err_sys(errno, "cannot create '%s/%s'", l->path, rel);
	if (fstatat(l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1)
		return err_sys(errno, "cannot create '%s/%s'", l->path, rel);
	if (!S_ISDIR(st.st_mode))
		return err_set(EINVAL, "cannot use cache '%s': '%s' is not a "
		    "directory", l->path, rel);
	return 0;
}

int
layout_open(struct layout *l, const char *dir, int flags)
{
	*l = (struct layout)LAYOUT_INIT;
	l->path = xstrdup(dir);
	if ((flags & LAYOUT_CREATE) && fs_mkdir_p(dir) == -1)
		goto bad;
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd == -1) {
		if (errno == ENOENT)
			err_set(ENOENT, "no cache at '%s'", dir);
		else
			err_sys(errno, "cannot open cache '%s'", dir);
		goto bad;
	}
	if (!(flags & LAYOUT_CREATE)) {
		switch (regular_at(l, "index.json")) {
		case 0:
			err_set(ENOENT, "no cache at '%s': no index.json", dir);
			/* FALLTHROUGH */
		case -1:
			goto bad;
		}
		if (regular_at(l, "oci-layout") == -1)
			goto bad;
		return 0;
	}
	if (make_dir(l, "blobs") == -1 || make_dir(l, "blobs/sha256") == -1 ||
	    init_layout(l) == -1)
		goto bad;
	return 0;
bad:
	layout_close(l);
	return -1;
}

void
layout_close(struct layout *l)
{
	if (l->lockfd != -1)
		close(l->lockfd);
	if (l->dirfd != -1)
		close(l->dirfd);
	free(l->path);
	buf_release(&l->index_bytes);
	json_decref(l->index_json);
	*l = (struct layout)LAYOUT_INIT;
}

/* .lock, created when missing; never through a link, never a FIFO */
static int
open_lock(struct layout *l)
{
	struct stat st;
	int fd;

	fd = openat(l->dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_NONBLOCK | O_CLOEXEC, 0644);
	if (fd == -1)
		return err_sys(errno, "cannot open '%s/.lock'", l->path);
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(EINVAL, "cannot open '%s/.lock': not a regular "
		    "file", l->path);
	}
	l->lockfd = fd;
	return 0;
}

int
layout_lock(struct layout *l)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (l->locked++ > 0)
		return 0;
	if (l->lockfd == -1 && open_lock(l) == -1) {
		l->locked = 0;
		return -1;
	}
	while (fcntl(l->lockfd, F_SETLKW, &fl) == -1) {
		if (errno == EINTR)
			continue;
		l->locked = 0;
		return err_sys(errno, "cannot lock '%s/.lock'", l->path);
	}
	return 0;
}

void
layout_unlock(struct layout *l)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (l->locked == 0 || --l->locked > 0)
		return;
	fcntl(l->lockfd, F_SETLK, &fl);
}

/* "blobs/<alg>/<hex>" for a valid digest, else -1 */
static int
blob_relpath(const char *digest, char *out, size_t n)
{
	const char *hex;

	if (digest_parse(digest, NULL, &hex) == -1)
		return -1;
	snprintf(out, n, "blobs/%.*s/%s", (int)(hex - 1 - digest), digest, hex);
	return 0;
}

int
layout_blob_has(struct layout *l, const char *digest, int64_t size)
{
	char rel[DIGEST_MAX + 16];
	struct stat st;

	if (blob_relpath(digest, rel, sizeof(rel)) == -1)
		return 0;
	if (fstatat(l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
	    !S_ISREG(st.st_mode))
		return 0;
	return size < 0 || st.st_size == size;
}

int
layout_blob_open(struct layout *l, const char *digest)
{
	char rel[DIGEST_MAX + 16];
	int fd;

	if (blob_relpath(digest, rel, sizeof(rel)) == -1)
		return -1;
	if ((fd = open_regular(l, rel, NULL)) == -1 && errno == ENOENT)
		return err_set(ENOENT, "blob '%s' is not in the cache '%s'",
		    digest, l->path);
	return fd;
}

int
layout_blob_read(struct layout *l, const char *digest, size_t max,
    struct buf *out)
{
	enum digest_algo algo;
	char got[DIGEST_MAX], *what;
	int fd, rc;

	if (digest_parse(digest, &algo, NULL) == -1 ||
	    (fd = layout_blob_open(l, digest)) == -1)
		return -1;
	what = xasprintf("blob '%s' in '%s'", digest, l->path);
	rc = fs_read_fd(fd, max, out, what);
	free(what);
	close(fd);
	if (rc == -1)
		return -1;
	digest_buf(algo, out->data, out->len, got);
	if (strcmp(got, digest) != 0)
		return err_set(EIO, "blob '%s' in the cache '%s' is corrupt "
		    "(its content is '%s')", digest, l->path, got);
	return 0;
}

int
blob_writer_open(struct layout *l, struct blob_writer *w,
    const char *expect_digest, int64_t expect_size)
{
	enum digest_algo algo = DIGEST_SHA256;
	char dir[32];
	const char *hex;

	*w = (struct blob_writer)BLOB_WRITER_INIT;
	w->l = l;
	w->expect_size = expect_size;
	if (expect_digest) {
		if (digest_parse(expect_digest, &algo, &hex) == -1)
			return -1;
		snprintf(w->expect, sizeof(w->expect), "%s", expect_digest);
	}
	snprintf(dir, sizeof(dir), "blobs/%s", algo == DIGEST_SHA512 ?
	    "sha512" : "sha256");
#ifdef O_TMPFILE
	/* an unnamed file: a writer killed at any moment leaves nothing */
	w->fd = openat(l->dirfd, dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0644);
	if (w->fd == -1 && errno == ENOENT) {
		if (mkdirat(l->dirfd, dir, 0755) == -1 && errno != EEXIST)
			return err_sys(errno, "cannot create '%s/%s'", l->path,
			    dir);
		w->fd = openat(l->dirfd, dir, O_TMPFILE | O_RDWR | O_CLOEXEC,
		    0644);
	}
#endif
	if (w->fd == -1) {
		/* no O_TMPFILE here: a named file, linked into dir later */
		if (mkdirat(l->dirfd, dir, 0755) == -1 && errno != EEXIST)
			return err_sys(errno, "cannot create '%s/%s'", l->path,
			    dir);
		w->tmpname = xasprintf("%s/.tmp-blob-XXXXXX", l->path);
		if ((w->fd = mkostemp(w->tmpname, O_CLOEXEC)) == -1 ||
		    fchmod(w->fd, 0644) == -1) {
			int e = errno;

			blob_writer_abort(w);
			return err_sys(e, "cannot create a temporary file in '%s'",
			    l->path);
		}
	}
	if (digest_init(&w->d, algo) == -1) {
		blob_writer_abort(w);
		return -1;
	}
	return 0;
}

int
blob_writer_write(struct blob_writer *w, const void *p, size_t n)
{
	if (w->expect_size >= 0 && (int64_t)n > w->expect_size - w->size)
		return err_set(EFBIG, "blob '%s' is larger than %lld bytes",
		    w->expect[0] ? w->expect : "(new)",
		    (long long)w->expect_size);
	if (w->size < (int64_t)sizeof(w->head)) {
		size_t k = sizeof(w->head) - w->size;

		memcpy(w->head + w->size, p, k < n ? k : n);
	}
	/* big blocks are hashed on the other core while this one writes */
	if (n >= PARALLEL_HASH_MIN)
		digest_update_async(&w->d, p, n);
	else
		digest_update(&w->d, p, n);
	if (fs_write_all(w->fd, p, n) == -1)
		return err_sys(errno, "cannot write to the cache '%s'",
		    w->l->path);
	/*
	 * Big blocks start for the disk now, off this thread, so that the
	 * fsync in blob_writer_finish() finds little left to wait for.
	 */
	if (n >= PARALLEL_HASH_MIN)
		fs_writeback(w->fd, w->size, n);
	w->size += n;
	/*
	 * Every SYNC_EVERY bytes the helper makes the file durable so far
	 * too: the allocations and size reach the journal while the blob
	 * is still arriving, and the fsync in blob_writer_finish() finds
	 * almost nothing to commit (import of a 50 MB layer: 28 ms -> 4 ms).
	 * For a partial it is also what a crash leaves for the next run to
	 * resume. Only time is at stake: a resumed blob is verified whole.
	 */
	if (w->size - w->synced >= SYNC_EVERY) {
		fs_writeback(w->fd, 0, 0);
		w->synced = w->size;
	}
	return 0;
}

int
blob_writer_finish(struct blob_writer *w)
{
	digest_final(&w->d, w->digest);
	if (w->expect_size >= 0 && w->size != w->expect_size)
		return err_set(EIO, "blob '%s' has %lld bytes, expected %lld",
		    w->expect[0] ? w->expect : w->digest, (long long)w->size,
		    (long long)w->expect_size);
	if (w->expect[0] && strcmp(w->expect, w->digest) != 0)
		return err_set(EIO, "blob '%s' does not match its digest "
		    "(content is '%s')", w->expect, w->digest);
	/* the bytes and the size are what a reader needs: not the times */
	if (fdatasync(w->fd) == -1)
		return err_sys(errno, "cannot sync blob '%s' in '%s'",
		    w->digest, w->l->path);
	return 0;
}

/*
 * What is under rel already: 1 when it is a regular file of size bytes
 * (a good copy: keep it), 0 when it is anything else (damage: replace it).
 * The bytes of a kept copy are not read again here; see ocikit(7).
 */
static int
existing_good(struct layout *l, const char *rel, int64_t size)
{
	struct stat st;

	return fstatat(l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size == size;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)f;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

/*
 * Move the verified copy, linked at tmp in the blob's directory, over
 * rel. rename() replaces a file, a link or a FIFO in one step; a directory
 * (never a blob) is removed first.
 */
static int
replace_blob(struct blob_writer *w, const char *tmp, const char *rel)
{
	struct layout *l = w->l;
	struct stat st;
	char *path;
	int rc;

	if (fstatat(l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(st.st_mode)) {
		path = xasprintf("%s/%s", l->path, rel);
		rc = nftw(path, rm_entry, 8, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
		free(path);
		if (rc == -1 && errno != ENOENT)
			return err_sys(errno, "cannot replace damaged blob '%s' "
			    "in '%s'", w->digest, l->path);
	}
	if (renameat(l->dirfd, tmp, l->dirfd, rel) == -1)
		return err_sys(errno, "cannot replace damaged blob '%s' in '%s'",
		    w->digest, l->path);
	return 0;
}

/* link the finished file at name: its temporary name or its /proc entry */
static int
link_blob(struct blob_writer *w, const char *name)
{
	char proc[64];

	if (w->tmpname)
		return linkat(AT_FDCWD, w->tmpname, w->l->dirfd, name, 0);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	if (linkat(AT_FDCWD, proc, w->l->dirfd, name, AT_SYMLINK_FOLLOW) == 0)
		return 0;
	if (errno == EEXIST)
		return -1;
	/* no /proc (a chroot): AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH */
	return linkat(w->fd, "", w->l->dirfd, name, AT_EMPTY_PATH);
}

/*
 * The name was taken and what holds it is not a good copy (a crash or a
 * full disk truncated it, or a link, directory or FIFO is in its place):
 * link this verified copy under a unique temporary name beside it, then
 * rename it over the damage, so a reader sees the old or the new, never
 * neither.
 */
static int
repair(struct blob_writer *w, const char *rel)
{
	char tmp[DIGEST_MAX + 64];
	const char *slash = strrchr(rel, '/');
	unsigned i;

	for (i = 0; i < 100; i++) {
		snprintf(tmp, sizeof(tmp), "%.*s/.repair-%ld-%u",
		    (int)(slash - rel), rel, (long)getpid(), i);
		if (link_blob(w, tmp) == 0)
			break;
		if (errno != EEXIST)
			return err_sys(errno, "cannot store blob '%s' in '%s'",
			    w->digest, w->l->path);
	}
	if (i == 100)
		return err_set(EEXIST, "cannot store blob '%s' in '%s': no "
		    "free temporary name", w->digest, w->l->path);
	if (replace_blob(w, tmp, rel) == -1) {
		unlinkat(w->l->dirfd, tmp, 0);
		return -1;
	}
	return 0;
}

int
blob_writer_publish(struct blob_writer *w)
{
	char rel[DIGEST_MAX + 16];
	int rc = 0;

	if (!w->digest[0]) {
		rc = err_set(EINVAL, "blob published before it was finished");
		goto out;
	}
	if (blob_relpath(w->digest, rel, sizeof(rel)) == -1) {
		rc = -1;
		goto out;
	}
	if (link_blob(w, rel) == 0)
		goto out;
	if (errno != EEXIST)
		rc = err_sys(errno, "cannot store blob '%s' in '%s'",
		    w->digest, w->l->path);
	else if (!existing_good(w->l, rel, w->size))
		rc = repair(w, rel);
out:
	blob_writer_abort(w);
	return rc;
}

void
blob_writer_abort(struct blob_writer *w)
{
	/*
	 * While the lock is held, and only when the name is still this
	 * file's (oci-fsck --gc may have removed a stale one, and another
	 * writer made a new one since).
	 */
	if (w->partial) {
		struct stat a, b;

		if (fstat(w->fd, &a) == 0 && fstatat(w->l->dirfd, w->partial,
		    &b, AT_SYMLINK_NOFOLLOW) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			unlinkat(w->l->dirfd, w->partial, 0);
		free(w->partial);
		w->partial = NULL;
	}
	if (w->fd != -1)
		close(w->fd);
	if (w->tmpname) {
		unlink(w->tmpname);
		free(w->tmpname);
	}
	if (w->d.ctx)
		digest_release(&w->d);
	w->fd = -1;
	w->tmpname = NULL;
}

void
blob_writer_suspend(struct blob_writer *w)
{
	if (w->partial && w->size > 0) {
		/* the next run reads these bytes again: on disk first */
		fdatasync(w->fd);
		free(w->partial);
		w->partial = NULL;
	}
	blob_writer_abort(w);
}

/*
 * The bytes a partial holds, hashed again from disk: the prefix the
 * transfer continues. -1 when they cannot be read (then start empty).
 */
static int
partial_rehash(struct blob_writer *w, int64_t n)
{
	size_t bs = 1u << 20;
	unsigned char *buf = xmalloc(bs);
	int64_t off = 0;
	ssize_t k;

	while (off < n) {
		k = pread(w->fd, buf, n - off < (int64_t)bs ? (size_t)(n - off) :
		    bs, off);
		if (k <= 0)
			break;
		if (off < (int64_t)sizeof(w->head))
			memcpy(w->head + off, buf, (size_t)k < sizeof(w->head) -
			    off ? (size_t)k : sizeof(w->head) - off);
		digest_update(&w->d, buf, k);
		off += k;
	}
	free(buf);
	if (off != n || lseek(w->fd, n, SEEK_SET) == -1)
		return -1;
	w->size = w->synced = n;
	return 0;
}

/* open CACHE_TMP/partial-<alg>-<hex>, locked: -1 when it cannot be had */
static int
partial_open(struct layout *l, const char *name, struct stat *st)
{
	struct stat now;
	int dfd, fd = -1;

	if (mkdirat(l->dirfd, CACHE_TMP, 0755) == -1 && errno != EEXIST)
		return -1;
	dfd = openat(l->dirfd, CACHE_TMP, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (dfd == -1)
		return -1;
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC, 0644);
	/*
	 * Another writer holds it, or it is no regular file, or it was
	 * published and removed between our open and our lock.
	 */
	if (fd != -1 && (fstat(fd, st) == -1 || !S_ISREG(st->st_mode) ||
	    flock(fd, LOCK_EX | LOCK_NB) == -1 ||
	    fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == -1 ||
	    now.st_ino != st->st_ino || now.st_dev != st->st_dev)) {
		close(fd);
		fd = -1;
	}
	close(dfd);
	return fd;
}

int
blob_writer_partial(struct layout *l, struct blob_writer *w,
    const char *expect_digest, int64_t expect_size, int resume)
{
	enum digest_algo algo;
	const char *hex;
	char name[DIGEST_MAX + 32];
	struct stat st;
	int fd;

	if (digest_parse(expect_digest, &algo, &hex) == -1)
		return -1;
	snprintf(name, sizeof(name), "partial-%s-%s", algo == DIGEST_SHA512 ?
	    "sha512" : "sha256", hex);
	if ((fd = partial_open(l, name, &st)) == -1)
		return blob_writer_open(l, w, expect_digest, expect_size);
	*w = (struct blob_writer)BLOB_WRITER_INIT;
	w->l = l;
	w->fd = fd;
	w->expect_size = expect_size;
	snprintf(w->expect, sizeof(w->expect), "%s", expect_digest);
	w->partial = xasprintf("%s/%s", CACHE_TMP, name);
	if (digest_init(&w->d, algo) == -1) {
		blob_writer_abort(w);
		return -1;
	}
	if (resume && st.st_size > 0 && st.st_size < expect_size &&
	    partial_rehash(w, st.st_size) == 0)
		return 0;
	/* from 0: what the file held is of no use */
	digest_release(&w->d);
	memset(w->head, 0, sizeof(w->head));
	w->size = w->synced = 0;
	if (digest_init(&w->d, algo) == -1 || ftruncate(fd, 0) == -1 ||
	    lseek(fd, 0, SEEK_SET) == -1) {
		int e = errno;

		blob_writer_abort(w);
		return err_sys(e, "cannot start a partial blob in '%s'",
		    l->path);
	}
	return 0;
}

int
layout_sync_blobs(struct layout *l)
{
	static const char *const dirs[] = { "blobs/sha256", "blobs/sha512",
	    "blobs" };
	size_t i;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((fd = openat(l->dirfd, dirs[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1) {
			/* blobs/sha512 exists only once such a blob was met */
			if (errno == ENOENT && i == 1)
				continue;
			return err_sys(errno, "cannot sync '%s/%s'", l->path,
			    dirs[i]);
		}
		if (fsync(fd) == -1) {
			int e = errno;

			close(fd);
			return err_sys(e, "cannot sync '%s/%s'", l->path, dirs[i]);
		}
		close(fd);
	}
	return 0;
}

int
layout_blob_put(struct layout *l, const void *p, size_t n,
    const char *expect_digest, char out[DIGEST_MAX])
{
	struct blob_writer w;

	if (blob_writer_open(l, &w, expect_digest, expect_digest ?
	    (int64_t)n : -1) == -1)
		return -1;
	if (blob_writer_write(&w, p, n) == -1 || blob_writer_finish(&w) == -1) {
		blob_writer_abort(&w);
		return -1;
	}
	if (out)
		memcpy(out, w.digest, DIGEST_MAX);
	if (blob_writer_publish(&w) == -1)
		return -1;
	return layout_sync_blobs(l);
}

/* the bytes of index.json; the caller holds the lock */
static int
read_index(struct layout *l, struct buf *b, char *what, size_t n)
{
	int fd, rc;

	snprintf(what, n, "'%s/index.json'", l->path);
	if ((fd = open_regular(l, "index.json", NULL)) == -1)
		return -1;
	rc = fs_read_fd(fd, INDEX_MAX, b, what);
	close(fd);
	return rc;
}

/* an image index, "manifests" always an array */
static int
parse_index(const struct buf *b, const char *what, json_t **index)
{
	json_error_t e;
	json_t *j, *m;

	*index = NULL;
	j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		return err_set(EINVAL, "%s:%d:%d: %s", what + 1, e.line,
		    e.column, e.text);
	m = json_object_get(j, "manifests");
	if (!json_is_object(j) || (m && !json_is_array(m) && !json_is_null(m))) {
		json_decref(j);
		return err_set(EINVAL, "%s is not an image index", what);
	}
	/* LinuxKit may write "manifests": null */
	if (!json_is_array(m))
		json_object_set_new(j, "manifests", json_array());
	*index = j;
	return 0;
}

/* index.json, parsed: the caller's to change; the caller holds the lock */
static int
load_index(struct layout *l, json_t **index)
{
	struct buf b = BUF_INIT;
	char what[PATH_MAX + 16];
	int rc;

	*index = NULL;
	rc = read_index(l, &b, what, sizeof(what));
	if (rc == 0)
		rc = parse_index(&b, what, index);
	buf_release(&b);
	return rc;
}

/*
 * The index for reading only, shared: one run may resolve many names
 * (oci-fetch --cached of every package of a project), and parsing
 * index.json each time was most of such a run. It is read every time,
 * under the lock as always, and parsed again only when its bytes differ
 * from the last ones: whoever rewrites it, in place or not, is seen.
 */
static int
load_index_shared(struct layout *l, json_t **index)
{
	struct buf b = BUF_INIT;
	char what[PATH_MAX + 16];
	json_t *j;

	*index = NULL;
	if (read_index(l, &b, what, sizeof(what)) == -1) {
		buf_release(&b);
		return -1;
	}
	if (l->index_json == NULL || b.len != l->index_bytes.len ||
	    memcmp(b.data, l->index_bytes.data, b.len) != 0) {
		if (parse_index(&b, what, &j) == -1) {
			buf_release(&b);
			return -1;
		}
		json_decref(l->index_json);
		l->index_json = j;
		buf_release(&l->index_bytes);
		l->index_bytes = b;
	} else
		buf_release(&b);
	*index = json_incref(l->index_json);
	return 0;
}

static int
store_index(struct layout *l, json_t *index)
{
	struct buf b = BUF_INIT;
	int rc;

	jsonio_dump(index, &b);
	buf_add(&b, "\n", 1);
	rc = replace_file(l, "index.json", b.data, b.len);
	buf_release(&b);
	return rc;
}

int
layout_index_load(struct layout *l, json_t **index)
{
	int rc;

	if (layout_lock(l) == -1)
		return -1;
	rc = load_index(l, index);
	layout_unlock(l);
	return rc;
}

static json_t *
find_name(const json_t *index, const char *name)
{
	json_t *d, *found = NULL;
	const char *n;
	size_t i;

	json_array_foreach(json_object_get(index, "manifests"), i, d)
		if ((n = desc_annotation(d, ANNOT_REF_NAME)) && !strcmp(n, name))
			found = d;
	return found;
}

json_t *
layout_find(const json_t *index, const char *name)
{
	const char *last = strrchr(name, '/');
	json_t *d;
	char *tagged;

	if ((d = find_name(index, name)))
		return d;
	last = last ? last + 1 : name;
	if (strchr(last, ':') || strchr(last, '@'))
		return NULL;
	tagged = xasprintf("%s:latest", name);
	d = find_name(index, tagged);
	free(tagged);
	return d;
}

int
layout_resolve(struct layout *l, const char *name, json_t **desc)
{
	json_t *index, *d;
	int rc;

	*desc = NULL;
	if (layout_lock(l) == -1)
		return -1;
	rc = load_index_shared(l, &index);
	layout_unlock(l);
	if (rc == -1)
		return -1;
	if ((d = layout_find(index, name)))
		*desc = json_deep_copy(d);
	json_decref(index);
	if (!d)
		return err_set(ENOENT, "'%s' is not in the cache '%s'", name,
		    l->path);
	return 0;
}

int
layout_update(struct layout *l, int (*fn)(json_t *, void *), void *arg)
{
	json_t *index = NULL;
	int rc;

	if (layout_lock(l) == -1)
		return -1;
	if ((rc = load_index(l, &index)) == 0 && (rc = fn(index, arg)) == 0)
		rc = store_index(l, index);
	if (rc == 1)
		rc = 0;
	json_decref(index);
	layout_unlock(l);
	return rc;
}

struct set_refs {
	size_t			 n;
	const char *const	*names;
	json_t *const		*descs;
};

static int
set_refs_fn(json_t *index, void *arg)
{
	struct set_refs *s = arg;
	json_t *m = json_object_get(index, "manifests"), *d, *copy;
	const char *n;
	size_t i, k;

	for (k = 0; k < s->n; k++) {
		for (i = 0; i < json_array_size(m); ) {
			d = json_array_get(m, i);
			n = desc_annotation(d, ANNOT_REF_NAME);
			if (n && strcmp(n, s->names[k]) == 0)
				json_array_remove(m, i);
			else
				i++;
		}
		copy = json_deep_copy(s->descs[k]);
		desc_annotate(copy, ANNOT_REF_NAME, s->names[k]);
		json_array_append_new(m, copy);
	}
	return 0;
}

int
layout_set_refs(struct layout *l, size_t n, const char *const *names,
    json_t *const *descs)
{
	struct set_refs s = { n, names, descs };

	return layout_update(l, set_refs_fn, &s);
}
