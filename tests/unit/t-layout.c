/* tests/unit/t-layout.c - the cache: blobs, names, locking */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desc.h"
#include "err.h"
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
	snprintf(name, sizeof(name), "rm -rf %s", dir);
	if (system(name) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
