/* lib/layout.c - the cache: blobs in and out, names in index.json, locking */
#define _GNU_SOURCE		/* O_TMPFILE, linkat(AT_EMPTY_PATH) */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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
/* below this, queueing a block for the hash thread costs more than it saves */
#define PARALLEL_HASH_MIN	(64 * 1024)

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

/* replace name in the cache directory: temp file, fsync, rename, fsync dir */
static int
replace_file(struct layout *l, const char *name, const void *p, size_t n)
{
	int fd;

	fd = openat(l->dirfd, INDEX_TMP, O_WRONLY | O_CREAT | O_TRUNC |
	    O_CLOEXEC, 0644);
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

static int
exists_at(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, 0) == 0;
}

/* a missing oci-layout or index.json is written, under the lock */
static int
init_layout(struct layout *l)
{
	int rc = 0;

	if (exists_at(l->dirfd, "oci-layout") && exists_at(l->dirfd, "index.json"))
		return 0;
	if (layout_lock(l) == -1)
		return -1;
	/*
	 * index.json first: a cache killed in between lacks only oci-layout,
	 * and readers (this one and go-containerregistry's) look for the index.
	 */
	if (!exists_at(l->dirfd, "index.json"))
		rc = replace_file(l, "index.json", EMPTY_INDEX,
		    sizeof(EMPTY_INDEX) - 1);
	if (rc == 0 && !exists_at(l->dirfd, "oci-layout"))
		rc = replace_file(l, "oci-layout", LAYOUT_FILE,
		    sizeof(LAYOUT_FILE) - 1);
	layout_unlock(l);
	return rc;
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
		if (!exists_at(l->dirfd, "index.json")) {
			err_set(ENOENT, "no cache at '%s': no index.json", dir);
			goto bad;
		}
		return 0;
	}
	if ((mkdirat(l->dirfd, "blobs", 0755) == -1 && errno != EEXIST) ||
	    (mkdirat(l->dirfd, "blobs/sha256", 0755) == -1 && errno != EEXIST)) {
		err_sys(errno, "cannot create '%s/blobs/sha256'", dir);
		goto bad;
	}
	if (init_layout(l) == -1)
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
	*l = (struct layout)LAYOUT_INIT;
}

int
layout_lock(struct layout *l)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };

	if (l->locked++ > 0)
		return 0;
	if (l->lockfd == -1) {
		l->lockfd = openat(l->dirfd, ".lock", O_RDWR | O_CREAT |
		    O_CLOEXEC, 0644);
		if (l->lockfd == -1) {
			l->locked = 0;
			return err_sys(errno, "cannot open '%s/.lock'", l->path);
		}
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
	if ((fd = openat(l->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		if (errno == ENOENT)
			return err_set(ENOENT, "blob '%s' is not in the cache",
			    digest);
		return err_sys(errno, "cannot open blob '%s'", digest);
	}
	return fd;
}

int
layout_blob_read(struct layout *l, const char *digest, size_t max,
    struct buf *out)
{
	enum digest_algo algo;
	char got[DIGEST_MAX], what[DIGEST_MAX + 8];
	int fd, rc;

	if (digest_parse(digest, &algo, NULL) == -1 ||
	    (fd = layout_blob_open(l, digest)) == -1)
		return -1;
	snprintf(what, sizeof(what), "blob '%s'", digest);
	rc = fs_read_fd(fd, max, out, what);
	close(fd);
	if (rc == -1)
		return -1;
	digest_buf(algo, out->data, out->len, got);
	if (strcmp(got, digest) != 0)
		return err_set(EIO, "blob '%s' in the cache is corrupt (its "
		    "content is '%s')", digest, got);
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
#ifdef SYNC_FILE_RANGE_WRITE
	/*
	 * Start writing big blocks to disk now, so that the fsync in
	 * blob_writer_finish() finds little left to wait for.
	 */
	if (n >= PARALLEL_HASH_MIN)
		sync_file_range(w->fd, w->size, n, SYNC_FILE_RANGE_WRITE);
#endif
	w->size += n;
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
		return err_sys(errno, "cannot sync blob '%s'", w->digest);
	return 0;
}

int
blob_writer_publish(struct blob_writer *w)
{
	char rel[DIGEST_MAX + 16], proc[64];
	int rc = 0;

	if (blob_relpath(w->digest, rel, sizeof(rel)) == -1)
		goto out;
	if (w->tmpname) {
		if (linkat(AT_FDCWD, w->tmpname, w->l->dirfd, rel, 0) == -1 &&
		    errno != EEXIST)
			rc = err_sys(errno, "cannot store blob '%s'", w->digest);
		goto out;
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", w->fd);
	if (linkat(AT_FDCWD, proc, w->l->dirfd, rel, AT_SYMLINK_FOLLOW) == 0 ||
	    errno == EEXIST)
		goto out;
	/* no /proc (a chroot): AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH */
	if (linkat(w->fd, "", w->l->dirfd, rel, AT_EMPTY_PATH) == -1 &&
	    errno != EEXIST)
		rc = err_sys(errno, "cannot store blob '%s'", w->digest);
out:
	if (rc == 0 && !w->digest[0])
		rc = err_set(EINVAL, "blob published before it was finished");
	blob_writer_abort(w);
	return rc;
}

void
blob_writer_abort(struct blob_writer *w)
{
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

int
layout_sync_blobs(struct layout *l)
{
	static const char *const dirs[] = { "blobs/sha256", "blobs/sha512",
	    "blobs" };
	size_t i;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if ((fd = openat(l->dirfd, dirs[i], O_RDONLY | O_DIRECTORY |
		    O_CLOEXEC)) == -1)
			continue;
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

/* index.json, parsed; the caller holds the lock */
static int
load_index(struct layout *l, json_t **index)
{
	struct buf b = BUF_INIT;
	char what[PATH_MAX + 16];
	json_error_t e;
	json_t *j, *m;
	int fd;

	*index = NULL;
	snprintf(what, sizeof(what), "'%s/index.json'", l->path);
	if ((fd = openat(l->dirfd, "index.json", O_RDONLY | O_CLOEXEC)) == -1)
		return err_sys(errno, "cannot open %s", what);
	if (fs_read_fd(fd, SIZE_MAX / 2, &b, what) == -1) {
		close(fd);
		buf_release(&b);
		return -1;
	}
	close(fd);
	j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &e);
	buf_release(&b);
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

	*desc = NULL;
	if (layout_index_load(l, &index) == -1)
		return -1;
	if ((d = layout_find(index, name)))
		*desc = json_deep_copy(d);
	json_decref(index);
	if (!d)
		return err_set(ENOENT, "'%s' is not in the cache", name);
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
