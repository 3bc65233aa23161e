/* tests/unit/t-import.c - import_tar on tars built in memory */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "desc.h"
#include "digest.h"
#include "err.h"
#include "import.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "tap.h"

static struct archive *tar;
static char mem[1 << 17];
static size_t used;

static void
begin(void)
{
	tar = archive_write_new();
	archive_write_set_format_pax_restricted(tar);
	archive_write_open_memory(tar, mem, sizeof(mem), &used);
}

static void
add(const char *name, const char *data, size_t n)
{
	struct archive_entry *ae = archive_entry_new();

	archive_entry_set_pathname(ae, name);
	archive_entry_set_filetype(ae, AE_IFREG);
	archive_entry_set_perm(ae, 0644);
	archive_entry_set_size(ae, n);
	archive_write_header(tar, ae);
	archive_write_data(tar, data, n);
	archive_entry_free(ae);
}

/* add a blob under blobs/sha256/, its digest into d */
static void
blob(const char *data, char d[DIGEST_MAX])
{
	char name[DIGEST_MAX + 16];

	digest_buf(DIGEST_SHA256, data, strlen(data), d);
	snprintf(name, sizeof(name), "blobs/sha256/%s", d + 7);
	add(name, data, strlen(data));
}

static int
finish(void)
{
	FILE *f = tmpfile();

	archive_write_close(tar);
	archive_write_free(tar);
	fwrite(mem, 1, used, f);
	fflush(f);
	rewind(f);
	return dup(fileno(f));
}

static int
nfiles(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	while (d && (e = readdir(d)))
		n += e->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

/* an OCI layout tar holding one image; corrupt: the layer bytes are wrong */
static int
oci_tar(const char *name_annot, int corrupt)
{
	char layer[DIGEST_MAX], cfg[DIGEST_MAX], man[DIGEST_MAX], m[1024], idx[1024];
	static const char *cfgdata = "{\"architecture\":\"amd64\",\"os\":\"linux\","
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";

	begin();
	add("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", 30);
	blob("layer bytes", layer);
	if (corrupt) {
		char name[DIGEST_MAX + 16];

		snprintf(name, sizeof(name), "blobs/sha256/%s", layer + 7);
		add(name, "LAYER bytes", 11);	/* a later entry replaces it */
	}
	blob(cfgdata, cfg);
	snprintf(m, sizeof(m), "{\"schemaVersion\":2,\"mediaType\":\"%s\","
	    "\"config\":{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu},"
	    "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":11}]}",
	    MT_OCI_MANIFEST, MT_OCI_CONFIG, cfg, strlen(cfgdata),
	    MT_OCI_LAYER, layer);
	blob(m, man);
	snprintf(idx, sizeof(idx), "{\"schemaVersion\":2,\"manifests\":[{"
	    "\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,"
	    "\"annotations\":{\"%s\":\"%s\"}}]}", MT_OCI_MANIFEST, man,
	    strlen(m), ANNOT_REF_NAME, name_annot);
	add("index.json", idx, strlen(idx));
	return finish();
}

/* a docker save tar: layers named in order, copy (if any) added first */
static int
docker_tar(const char *copy, const char *const *layers, size_t n,
    const char *data)
{
	char mj[1024], cfg[1024], ld[DIGEST_MAX];
	size_t i, o = 0, c = 0;

	digest_buf(DIGEST_SHA256, data, strlen(data), ld);
	begin();
	if (copy)
		add(copy, data, strlen(data));
	o += snprintf(mj + o, sizeof(mj) - o, "[{\"Config\":\"c.json\","
	    "\"RepoTags\":[\"d:1\"],\"Layers\":[");
	c += snprintf(cfg + c, sizeof(cfg) - c, "{\"rootfs\":{\"type\":"
	    "\"layers\",\"diff_ids\":[");
	for (i = 0; i < n; i++) {
		add(layers[i], data, strlen(data));
		o += snprintf(mj + o, sizeof(mj) - o, "%s\"%s\"", i ? "," : "",
		    layers[i]);
		c += snprintf(cfg + c, sizeof(cfg) - c, "%s\"%s\"", i ? "," : "",
		    ld);
	}
	snprintf(mj + o, sizeof(mj) - o, "]}]");
	snprintf(cfg + c, sizeof(cfg) - c, "]}}");
	add("c.json", cfg, strlen(cfg));
	add("manifest.json", mj, strlen(mj));
	return finish();
}

/* entries that share content: every reached blob stored, once */
static void
dup_content(struct layout *l, const char *blobs)
{
	static const char *const one[] = { "l/layer.tar" };
	static const char *const two[] = { "a/layer.tar", "b/layer.tar" };
	struct import_result r;
	char cmd[128];
	int fd, rc;

	snprintf(cmd, sizeof(cmd), "rm -rf %s/*", blobs);
	if (system(cmd) != 0)
		return;
	fd = docker_tar("junk/copy.tar", one, 1, "layer content A");
	rc = import_tar(l, fd, "dup.tar", NULL, &r);
	ok(rc == 0, "docker save with an unreferenced copy of a layer first "
	    "(%s)", rc ? err_msg() : "");
	close(fd);
	/* the layer, the config, the manifest: the copy is the layer */
	ok(r.stored == 3 && nfiles(blobs) == 3,
	    "the layer is stored once (%u stored, %d files)", r.stored,
	    nfiles(blobs));
	import_result_release(&r);

	fd = docker_tar(NULL, two, 2, "layer content B");
	rc = import_tar(l, fd, "two.tar", NULL, &r);
	ok(rc == 0 && r.stored == 3 && nfiles(blobs) == 6,
	    "two identical layers: one blob (%u stored)", r.stored);
	close(fd);
	import_result_release(&r);
}

int
main(void)
{
	struct import_result r;
	struct layout l;
	char dir[] = "/tmp/t-import.XXXXXX", blobs[64], cmd[64];
	json_t *d;
	int fd;

	if (!mkdtemp(dir) || layout_open(&l, dir, LAYOUT_CREATE) == -1)
		return 1;
	snprintf(blobs, sizeof(blobs), "%s/blobs/sha256", dir);

	fd = oci_tar("app:1", 0);
	ok(import_tar(&l, fd, "a.tar", NULL, &r) == 0, "import an OCI tar");
	close(fd);
	ok(r.nroots == 1 && !strcmp(r.roots[0].name, "docker.io/library/app:1"),
	    "named by ref.name, canonically");
	ok(r.stored == 3 && r.present == 0 && nfiles(blobs) == 3,
	    "three blobs stored");
	ok(layout_resolve(&l, "docker.io/library/app:1", &d) == 0,
	    "the name resolves");
	json_decref(d);
	import_result_release(&r);

	fd = oci_tar("app:1", 0);
	ok(import_tar(&l, fd, "a.tar", "localhost/x", &r) == 0 &&
	    r.stored == 0 && r.present == 3, "again: nothing stored");
	ok(!strcmp(r.roots[0].name, "localhost/x"), "--ref name used as given");
	close(fd);
	import_result_release(&r);

	fd = oci_tar("latest", 0);
	ok(import_tar(&l, fd, "a.tar", NULL, &r) == 0 && r.nroots == 1 &&
	    r.roots[0].name == NULL, "a bare tag names nothing");
	close(fd);
	import_result_release(&r);

	snprintf(cmd, sizeof(cmd), "rm -rf %s/blobs/sha256/*", dir);
	if (system(cmd) != 0)
		return 1;
	fd = oci_tar("other:2", 1);
	ok(import_tar(&l, fd, "bad.tar", NULL, &r) == -1 &&
	    strstr(err_msg(), "does not match its digest"),
	    "corrupt blob refused: %s", err_msg());
	ok(nfiles(blobs) == 0, "and nothing stored");
	ok(layout_resolve(&l, "docker.io/library/other:2", &d) == -1,
	    "and no name added");
	close(fd);

	begin();
	{
		static const char *mj = "[{\"Config\":\"c.json\",\"RepoTags\":"
		    "[\"d:1\"],\"Layers\":[\"l.tar\"]}]";

		add("manifest.json", mj, strlen(mj));
	}
	add("l.tar", "not really a tar", 16);
	{
		char cfg[512], ld[DIGEST_MAX];

		digest_buf(DIGEST_SHA256, "not really a tar", 16, ld);
		snprintf(cfg, sizeof(cfg), "{\"rootfs\":{\"type\":\"layers\","
		    "\"diff_ids\":[\"%s\"]}}", ld);
		add("c.json", cfg, strlen(cfg));
	}
	fd = finish();
	ok(import_tar(&l, fd, "d.tar", NULL, &r) == 0 && r.nroots == 1 &&
	    !strcmp(r.roots[0].name, "docker.io/library/d:1") &&
	    !strcmp(desc_media_type(r.roots[0].desc), MT_DOCKER_MANIFEST),
	    "docker save: a schema2 manifest named by RepoTags (%s)", err_msg());
	close(fd);
	import_result_release(&r);

	dup_content(&l, blobs);

	layout_close(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
