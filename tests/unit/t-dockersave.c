/* tests/unit/t-dockersave.c - docker save tarballs from the cache */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "desc.h"
#include "dockersave.h"
#include "err.h"
#include "layout.h"
#include "manifest.h"
#include "platform.h"
#include "tap.h"

static struct layout l;
static char cache[64];

static json_t *
put(const char *media_type, const char *bytes)
{
	char d[DIGEST_MAX];

	if (layout_blob_put(&l, bytes, strlen(bytes), NULL, d) == -1)
		return NULL;
	return desc_new(media_type, d, (int64_t)strlen(bytes));
}

static json_t *
put_json(const char *media_type, json_t *doc)
{
	char *s = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *d = put(media_type, s);

	free(s);
	json_decref(doc);
	return d;
}

static json_t *
image(const char *arch, char *layer)
{
	char cfg[128], bytes[64];
	json_t *c, *ly, *m;

	snprintf(cfg, sizeof(cfg), "{\"architecture\":\"%s\",\"os\":\"linux\"}",
	    arch);
	snprintf(bytes, sizeof(bytes), "layer bytes of %s", arch);
	c = put(MT_OCI_CONFIG, cfg);
	ly = put(MT_OCI_LAYER, bytes);
	snprintf(layer, DIGEST_MAX, "%s", desc_digest(ly));
	m = put_json(MT_OCI_MANIFEST, json_pack("{s:i,s:s,s:o,s:[o]}",
	    "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config", c,
	    "layers", ly));
	json_object_set_new(m, "platform", json_pack("{s:s,s:s}", "os",
	    "linux", "architecture", arch));
	return m;
}

static char *
blob_path(const char *digest)
{
	static char p[256];

	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", cache, digest + 7);
	return p;
}

/* the names in a tar, one a line, and manifest.json's content */
static int
read_tar(FILE *f, char *names, size_t n, char *mj, size_t mn)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	ssize_t r;
	int rc = 0;

	*names = *mj = '\0';
	rewind(f);
	archive_read_support_format_tar(a);
	if (archive_read_open_FILE(a, f) != ARCHIVE_OK)
		rc = -1;
	while (rc == 0 && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		strncat(names, archive_entry_pathname(e), n - strlen(names) - 2);
		strcat(names, "\n");
		if (strcmp(archive_entry_pathname(e), "manifest.json") == 0) {
			r = archive_read_data(a, mj, mn - 1);
			mj[r > 0 ? r : 0] = '\0';
		}
	}
	archive_read_free(a);
	return rc;
}

int
main(void)
{
	struct dockersave_image img[2];
	struct platform amd, arm, s390;
	char dir[] = "/tmp/t-dockersave.XXXXXX", cmd[128];
	char amd_layer[DIGEST_MAX], arm_layer[DIGEST_MAX], ref[256];
	char names[4096], mj[4096], want[256];
	const char *nm[1] = { "docker.io/library/dep:1" };
	json_t *a, *b, *root, *j;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	if (layout_open(&l, cache, LAYOUT_CREATE) == -1)
		return 1;
	platform_parse(&amd, "linux/amd64");
	platform_parse(&arm, "linux/arm64");
	platform_parse(&s390, "linux/s390x");
	a = image("amd64", amd_layer);
	b = image("arm64", arm_layer);
	root = put_json(MT_OCI_INDEX, json_pack("{s:i,s:s,s:[O,O]}",
	    "schemaVersion", 2, "mediaType", MT_OCI_INDEX, "manifests", a, b));
	ok(layout_set_refs(&l, 1, nm, &root) == 0, "setup: dep:1 names an index");

	ok(dockersave_resolve(&l, "dep:1", &arm, &img[0]) == 0,
	    "by name: found");
	is(desc_digest(img[0].manifest), desc_digest(b),
	    "an index is narrowed to the wanted platform");
	is(img[0].repo_tag, "docker.io/library/dep:1", "RepoTags from the tag");
	snprintf(ref, sizeof(ref), "docker.io/library/dep@%s",
	    desc_digest(root));
	ok(dockersave_resolve(&l, ref, &amd, &img[1]) == 0 &&
	    img[1].repo_tag == NULL && strcmp(desc_digest(img[1].manifest),
	    desc_digest(a)) == 0, "by digest: a root entry with that digest");

	err_clear();
	ok(dockersave_resolve(&l, "other:1", &amd, &(struct dockersave_image){0})
	    == -1 && err_kind() == ERR_NOTFOUND, "a name not in the cache: "
	    "not found");
	ok(dockersave_resolve(&l, "dep:1", &s390, &(struct dockersave_image){0})
	    == -1 && err_kind() == ERR_NOTFOUND &&
	    strstr(err_msg(), "linux/s390x") != NULL,
	    "a platform the index lacks: not found, naming it");

	f = tmpfile();
	ok(dockersave_write(&l, img, 2, fileno(f)) == 0, "write two images");
	read_tar(f, names, sizeof(names), mj, sizeof(mj));
	snprintf(want, sizeof(want), "%s/layer.tar\n", arm_layer + 7);
	ok(strstr(names, want) != NULL, "the arm64 layer as HEX/layer.tar");
	snprintf(want, sizeof(want), "%s/layer.tar\n", amd_layer + 7);
	ok(strstr(names, want) != NULL, "the amd64 layer too");
	j = json_loads(mj, 0, NULL);
	ok(json_array_size(j) == 2 && json_is_null(json_object_get(
	    json_array_get(j, 1), "RepoTags")) && strcmp(json_string_value(
	    json_array_get(json_object_get(json_array_get(j, 0), "RepoTags"),
	    0)), "docker.io/library/dep:1") == 0,
	    "manifest.json: one record per image, RepoTags null by digest");
	json_decref(j);
	fclose(f);

	/* bit rot under the blob's own name: same size, other bytes */
	chmod(blob_path(arm_layer), 0644);
	f = fopen(blob_path(arm_layer), "r+");
	fputc('L', f);
	fclose(f);
	f = tmpfile();
	err_clear();
	ok(dockersave_write(&l, img, 1, fileno(f)) == -1 &&
	    strstr(err_msg(), arm_layer) != NULL &&
	    strstr(err_msg(), cache) != NULL,
	    "a rotten layer fails the tarball, naming blob and cache");
	fclose(f);
	unlink(blob_path(arm_layer));
	err_clear();
	ok(dockersave_resolve(&l, "dep:1", &arm, &(struct dockersave_image){0})
	    == -1 && err_kind() == ERR_NOTFOUND &&
	    strstr(err_msg(), arm_layer) != NULL,
	    "a missing layer: not found, naming the blob");

	dockersave_image_release(&img[0]);
	dockersave_image_release(&img[1]);
	json_decref(a);
	json_decref(b);
	json_decref(root);
	layout_close(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
