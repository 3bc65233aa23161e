/* tests/unit/t-layout.c - the cache: blobs, names, locking */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desc.h"
#include "err.h"
#include "fsutil.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "tap.h"

#define ABC "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define NPROC 8

static int
count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* every entry, dot files included: a repair leaves no temporary name */
static int
count_all(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void
write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(s, f);
		fclose(f);
	}
}

enum damage { TRUNCATED, EMPTY, LINK_OUT, DANGLING, EMPTY_DIR, FULL_DIR,
    FIFO, NDAMAGE };
static const char *const damage_name[] = { "truncated", "empty", ("a link "
    "to a good copy outside"), "a dangling link", "an empty directory",
    "a directory with files", "a FIFO" };

static void
make_damage(enum damage k, const char *blob, const char *outside)
{
	char sub[1100];

	switch (k) {
	case TRUNCATED:	write_file(blob, "ab"); break;
	case EMPTY:	write_file(blob, ""); break;
	case LINK_OUT:	write_file(outside, "abc"); (void)!symlink(outside, blob);
			break;
	case DANGLING:	(void)!symlink("/nonexistent/x", blob); break;
	case EMPTY_DIR:	mkdir(blob, 0755); break;
	case FULL_DIR:	mkdir(blob, 0755);
			snprintf(sub, sizeof(sub), "%s/d", blob);
			mkdir(sub, 0755);
			snprintf(sub, sizeof(sub), "%s/d/f", blob);
			write_file(sub, "x");
			break;
	case FIFO:	mkfifo(blob, 0644); break;
	default:	break;
	}
}

/* a blob damaged under its own name is replaced by a verified copy */
static void
repairs(const char *dir)
{
	struct layout l;
	struct buf b = BUF_INIT;
	struct stat st;
	char path[256], blob[1024], bdir[512], outside[512];
	enum damage k;

	snprintf(path, sizeof(path), "%s/repair", dir);
	snprintf(bdir, sizeof(bdir), "%s/blobs/sha256", path);
	snprintf(blob, sizeof(blob), "%s/%s", bdir, &ABC[7]);
	snprintf(outside, sizeof(outside), "%s/outside", dir);
	if (layout_open(&l, path, LAYOUT_CREATE) == -1)
		return;
	for (k = 0; k < NDAMAGE; k++) {
		make_damage(k, blob, outside);
		alarm(10);
		ok(layout_blob_has(&l, ABC, 3) == 0, "%s blob is absent",
		    damage_name[k]);
		if (k >= LINK_OUT)
			ok(layout_blob_open(&l, ABC) == -1 &&
			    strstr(err_msg(), &ABC[7]),
			    "%s blob: open refused at once: %s",
			    damage_name[k], err_msg());
		ok(layout_blob_put(&l, "abc", 3, ABC, NULL) == 0,
		    "%s blob: a verified copy is stored: %s", damage_name[k],
		    err_msg());
		alarm(0);
		ok(lstat(blob, &st) == 0 && S_ISREG(st.st_mode) &&
		    st.st_size == 3 && layout_blob_read(&l, ABC, 10, &b) == 0,
		    "%s blob: replaced by a good regular file", damage_name[k]);
		ok(count_all(bdir) == 1, "%s blob: no temporary name left",
		    damage_name[k]);
		unlink(blob);
	}
	ok(lstat(outside, &st) == 0 && st.st_size == 3,
	    "the link's target outside the cache is untouched");
	write_file(blob, "abc");
	ok(layout_blob_put(&l, "abc", 3, ABC, NULL) == 0 &&
	    lstat(blob, &st) == 0 && st.st_nlink == 1 && count_all(bdir) == 1,
	    "a good copy is kept as it is");
	layout_close(&l);
	buf_release(&b);
}

/* index.json, oci-layout, .lock and blobs/ in the wrong shape */
static void
hostile_files(const char *dir)
{
	struct layout l;
	json_t *index = NULL, *d;
	const char *n[] = { "localhost/x:1" };
	char path[256], f[512], outside[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/hostile", dir);
	snprintf(outside, sizeof(outside), "%s/outside-index", dir);
	write_file(outside, "{\"schemaVersion\":2,\"manifests\":[]}");
	if (layout_open(&l, path, LAYOUT_CREATE) == -1)
		return;
	layout_close(&l);
	alarm(10);
	snprintf(f, sizeof(f), "%s/index.json", path);
	unlink(f);
	mkfifo(f, 0644);
	ok(layout_open(&l, path, 0) == -1 && strstr(err_msg(), "index.json"),
	    "index.json as a FIFO refused at once: %s", err_msg());
	ok(layout_open(&l, path, LAYOUT_CREATE) == -1 &&
	    strstr(err_msg(), "index.json"), "also when creating: %s",
	    err_msg());
	unlink(f);
	(void)!symlink(outside, f);
	ok(layout_open(&l, path, 0) == -1 && strstr(err_msg(), "index.json"),
	    "index.json as a link refused: %s", err_msg());
	unlink(f);
	write_file(f, "{\"schemaVersion\":2,\"manifests\":[]}");
	ok(layout_open(&l, path, 0) == 0, "a regular index.json opens");
	unlink(f);
	mkfifo(f, 0644);
	ok(layout_index_load(&l, &index) == -1 && strstr(err_msg(),
	    "index.json"), "index.json turned FIFO after open: refused at "
	    "once: %s", err_msg());
	unlink(f);
	write_file(f, "");
	ok(truncate(f, (off_t)65 << 20) == 0 &&
	    layout_index_load(&l, &index) == -1 && errno == EFBIG &&
	    strstr(err_msg(), "index.json"), "a 65 MiB index.json refused: %s",
	    err_msg());
	write_file(f, "{\"schemaVersion\":2,\"manifests\":[]}");

	/* the temporary index is never written through a planted link */
	snprintf(f, sizeof(f), "%s/.index.json.tmp", path);
	(void)!symlink(outside, f);
	d = desc_new(MT_OCI_MANIFEST, ABC, 3);
	ok(layout_set_refs(&l, 1, n, &d) == 0 && lstat(outside, &st) == 0 &&
	    st.st_size == 34 && lstat(f, &st) == -1,
	    "a link at .index.json.tmp is not followed");
	json_decref(d);
	layout_close(&l);

	snprintf(f, sizeof(f), "%s/.lock", path);
	unlink(f);
	snprintf(outside, sizeof(outside), "%s/lock-target", dir);
	(void)!symlink(outside, f);
	ok(layout_open(&l, path, 0) == 0 && layout_lock(&l) == -1 &&
	    strstr(err_msg(), ".lock") && lstat(outside, &st) == -1,
	    "a link at .lock is not followed: %s", err_msg());
	layout_close(&l);
	unlink(f);

	snprintf(f, sizeof(f), "%s/oci-layout", path);
	unlink(f);
	(void)!symlink("/etc/passwd", f);
	ok(layout_open(&l, path, 0) == -1 && strstr(err_msg(), "oci-layout"),
	    "oci-layout as a link refused: %s", err_msg());
	unlink(f);
	write_file(f, "{\"imageLayoutVersion\":\"1.0.0\"}");

	/* blobs/sha256 that is no directory: stored nowhere, synced nowhere */
	snprintf(f, sizeof(f), "%s/blobs/sha256", path);
	ok(rename(f, outside) == 0 && symlink(outside, f) == 0 &&
	    layout_open(&l, path, LAYOUT_CREATE) == -1 &&
	    strstr(err_msg(), "blobs/sha256"),
	    "blobs/sha256 as a link refused: %s", err_msg());
	ok(layout_open(&l, path, 0) == 0 && layout_sync_blobs(&l) == -1 &&
	    strstr(err_msg(), "blobs/sha256"),
	    "layout_sync_blobs reports what it cannot sync: %s", err_msg());
	layout_close(&l);
	alarm(0);
}

/* descriptors open in this process */
static int
count_fds(void)
{
	return count_entries("/proc/self/fd");
}

/*
 * fs_writeback() is advice on a duplicate: the caller closes at once, a
 * full queue drops requests, and every duplicate is closed in the end.
 */
static void
test_writeback(const char *dir)
{
	char path[256], blk[4096], back[4096];
	int fd, i, before, after = -1, tries;

	snprintf(path, sizeof(path), "%s/wb", dir);
	memset(blk, 'w', sizeof(blk));
	before = count_fds();
	for (i = 0; i < 200; i++) {
		if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
			break;
		(void)write(fd, blk, sizeof(blk));
		fs_writeback(fd, (off_t)i * sizeof(blk), sizeof(blk));
		if (i % 7 == 0)
			fs_writeback(fd, 0, 0);
		close(fd);	/* the helper has its own */
	}
	ok(i == 200, "200 writes, each followed by writeback advice");
	for (tries = 0; tries < 200; tries++) {
		if ((after = count_fds()) == before)
			break;
		usleep(10000);
	}
	ok(after == before, "the helper closes every duplicate (%d, %d "
	    "open)", before, after);
	fd = open(path, O_RDONLY);
	ok(fd != -1 && lseek(fd, 199 * sizeof(blk), SEEK_SET) != -1 &&
	    read(fd, back, sizeof(back)) == (ssize_t)sizeof(back) &&
	    memcmp(back, blk, sizeof(blk)) == 0 &&
	    lseek(fd, 0, SEEK_END) == 200 * (off_t)sizeof(blk),
	    "the file holds what was written");
	if (fd != -1)
		close(fd);
	unlink(path);
}

/*
 * layout_resolve() parses index.json once while its bytes stay the same,
 * and sees them change even when rewritten in place (same inode, same
 * size, as a tool that writes the file over itself would).
 */
static int
rewrite_in_place(const char *file, const char *from, const char *to)
{
	struct buf b = BUF_INIT;
	char *at;
	int fd = open(file, O_RDWR), rc;

	rc = fd != -1 && fs_read_fd(fd, 1 << 20, &b, "index.json") == 0 &&
	    (at = strstr(b.data, from)) != NULL &&
	    pwrite(fd, to, strlen(to), at - (char *)b.data) ==
	    (ssize_t)strlen(to);
	if (fd != -1)
		close(fd);
	buf_release(&b);
	return rc;
}

static void
test_resolve_memo(struct layout *l, const char *path)
{
	char file[128];
	json_t *desc, *memo;

	ok(layout_resolve(l, "docker.io/library/a", &desc) == 0,
	    "resolve a");
	json_decref(desc);
	memo = l->index_json;
	ok(layout_resolve(l, "docker.io/library/b:1", &desc) == 0 &&
	    l->index_json == memo, "an unchanged index.json is parsed once");
	json_decref(desc);
	snprintf(file, sizeof(file), "%s/index.json", path);
	ok(rewrite_in_place(file, "library/a:latest", "library/c"),
	    "rewrite a name in place");
	ok(layout_resolve(l, "docker.io/library/c", &desc) == 0 &&
	    layout_resolve(l, "docker.io/library/a", &memo) == -1,
	    "the rewritten index.json is read anew");
	json_decref(desc);
	ok(rewrite_in_place(file, "library/c:latest", "library/a"),
	    "and back");
}

int
main(void)
{
	struct layout l, l2;
	struct blob_writer w;
	struct buf b = BUF_INIT;
	char dir[] = "/tmp/t-layout.XXXXXX", path[64], name[256], d[DIGEST_MAX];
	json_t *desc, *index;
	int i, status, okall;
	FILE *f;
	pid_t pid;

	if (!mkdtemp(dir))
		return 1;
	test_writeback(dir);
	snprintf(path, sizeof(path), "%s/cache", dir);
	ok(layout_open(&l, path, 0) == -1 && errno == ENOENT,
	    "missing cache is ENOENT without LAYOUT_CREATE");
	ok(layout_open(&l, path, LAYOUT_CREATE) == 0, "create a cache");
	ok(layout_index_load(&l, &index) == 0 &&
	    json_array_size(json_object_get(index, "manifests")) == 0,
	    "new index is empty");
	json_decref(index);

	ok(layout_blob_put(&l, "abc", 3, ABC, d) == 0 && !strcmp(d, ABC),
	    "put a blob");
	ok(layout_blob_has(&l, ABC, 3) == 1, "blob present with its size");
	ok(layout_blob_has(&l, ABC, 4) == 0, "wrong size is absent");
	ok(layout_blob_read(&l, ABC, 100, &b) == 0 && b.len == 3 &&
	    !memcmp(b.data, "abc", 3), "read it back, verified");
	ok(layout_blob_put(&l, "abc", 3, ABC, NULL) == 0,
	    "putting it again is fine");

	snprintf(name, sizeof(name), "%s/blobs/sha256", path);
	ok(layout_blob_put(&l, "abd", 3, ABC, NULL) == -1,
	    "mismatching content refused: %s", err_msg());
	ok(blob_writer_open(&l, &w, ABC, 3) == 0 &&
	    blob_writer_write(&w, "abcd", 4) == -1 && errno == EFBIG,
	    "writing past the size is refused at once");
	blob_writer_abort(&w);
	ok(count_entries(name) == 1, "failed writes leave nothing in blobs/");
	ok(count_entries(path) == 3, "and nothing in the cache directory");
	ok(layout_blob_has(&l, "sha256:../../x", -1) == 0, "bad digest is absent");
	ok(layout_blob_open(&l, "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	    == -1 && errno == ENOENT, "absent blob is ENOENT");

	desc = desc_new(MT_OCI_MANIFEST, ABC, 3);
	{
		const char *n[] = { "docker.io/library/a:latest", "docker.io/library/b:1" };
		json_t *ds[] = { desc, desc };

		ok(layout_set_refs(&l, 2, n, ds) == 0, "name two refs at once");
	}
	json_decref(desc);
	ok(layout_resolve(&l, "docker.io/library/a", &desc) == 0 &&
	    !strcmp(desc_annotation(desc, ANNOT_REF_NAME),
	    "docker.io/library/a:latest"), "untagged lookup finds :latest");
	json_decref(desc);
	ok(layout_resolve(&l, "docker.io/library/b", &desc) == -1 &&
	    errno == ENOENT, "no :latest for b");
	ok(layout_resolve(&l, "docker.io/library/b:1", &desc) == 0, "b:1 found");
	json_object_set_new(desc, "size", json_integer(4));
	{
		const char *n[] = { "docker.io/library/b:1" };

		ok(layout_set_refs(&l, 1, n, &desc) == 0, "rename b:1");
	}
	json_decref(desc);
	layout_index_load(&l, &index);
	ok(json_array_size(json_object_get(index, "manifests")) == 2,
	    "a name is replaced, not duplicated");
	ok(desc_size(json_array_get(json_object_get(index, "manifests"), 1)) == 4,
	    "the replaced name moves to the end");
	json_decref(index);
	test_resolve_memo(&l, path);

	/* every process adds its own name at the same time: none is lost */
	for (i = 0; i < NPROC; i++) {
		if ((pid = fork()) == 0) {
			const char *n[1];
			json_t *dd = desc_new(MT_OCI_MANIFEST, ABC, 3);

			snprintf(name, sizeof(name), "localhost/p%d:t", i);
			n[0] = name;
			layout_close(&l);
			if (layout_open(&l2, path, LAYOUT_CREATE) == -1)
				_exit(1);
			for (int k = 0; k < 20; k++)
				if (layout_set_refs(&l2, 1, n, &dd) == -1)
					_exit(1);
			_exit(0);
		}
	}
	okall = 1;
	while (wait(&status) > 0)
		okall &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(okall, "%d concurrent writers succeed", NPROC);
	layout_index_load(&l, &index);
	ok(json_array_size(json_object_get(index, "manifests")) == 2 + NPROC,
	    "all %d names landed", NPROC);
	json_decref(index);

	/* a LinuxKit cache may say "manifests": null */
	snprintf(name, sizeof(name), "%s/index.json", path);
	f = fopen(name, "w");
	fputs("{\"schemaVersion\":2,\"manifests\":null}", f);
	fclose(f);
	ok(layout_index_load(&l, &index) == 0 &&
	    json_is_array(json_object_get(index, "manifests")),
	    "null manifests read as empty");
	json_decref(index);
	f = fopen(name, "w");
	fputs("{\"schemaVersion\":2,", f);
	fclose(f);
	ok(layout_index_load(&l, &index) == -1 && strstr(err_msg(), "index.json"),
	    "a broken index.json is an error naming it: %s", err_msg());

	layout_close(&l);
	buf_release(&b);
	repairs(dir);
	hostile_files(dir);
	snprintf(name, sizeof(name), "rm -rf %s", dir);
	if (system(name) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
