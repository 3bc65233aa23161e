/* tests/unit/t-pull.c - lib/pull without a registry: choosing index
 * entries, the presence check, and what a question leaves behind */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "desc.h"
#include "err.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "platform.h"
#include "pull.h"
#include "regpool.h"
#include "tap.h"

#define NAME	"127.0.0.1:1/t/app:1"
#define SINGLE	"127.0.0.1:1/t/single:1"

static struct layout l;
static char cache[64];

/* store a JSON document or raw bytes; a new descriptor of it */
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

/* an image manifest for os/arch with one layer; *layer gets its digest */
static json_t *
image(const char *os, const char *arch, char *layer, size_t n)
{
	char cfg[128], bytes[64];
	json_t *c, *ly;

	snprintf(cfg, sizeof(cfg), "{\"architecture\":\"%s\",\"os\":\"%s\"}",
	    arch, os);
	snprintf(bytes, sizeof(bytes), "layer of %s/%s", os, arch);
	c = put(MT_OCI_CONFIG, cfg);
	ly = put(MT_OCI_LAYER, bytes);
	if (layer)
		snprintf(layer, n, "%s", desc_digest(ly));
	return put_json(MT_OCI_MANIFEST, json_pack("{s:i,s:s,s:o,s:[o]}",
	    "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config", c,
	    "layers", ly));
}

static json_t *
with_platform(json_t *d, const char *os, const char *arch)
{
	json_object_set_new(d, "platform", json_pack("{s:s,s:s}", "os", os,
	    "architecture", arch));
	return d;
}

static void
remove_blob(const char *digest)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", cache, digest + 7);
	unlink(p);
}

static void
rot_blob(const char *digest)
{
	char p[256];
	FILE *f;
	int c;

	snprintf(p, sizeof(p), "%s/blobs/sha256/%s", cache, digest + 7);
	chmod(p, 0644);
	if ((f = fopen(p, "r+")) == NULL)
		return;
	c = fgetc(f);
	rewind(f);
	fputc(c ^ 1, f);
	fclose(f);
}

static struct puller *
puller(struct regpool *pool, const char *plats, int all)
{
	struct pull_opts o = { .pool = pool, .cache = cache, .all = all };
	char buf[256], *s, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", plats ? plats : "");
	for (s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
		platform_parse(&o.plats[o.nplat++], s);
	return puller_new(&o);
}

static void
selection(struct regpool *pool, json_t *index)
{
	json_t *chosen = json_array(), *extra = json_array(), *big;
	struct puller *pl;
	size_t i;

	pl = puller(pool, "linux/amd64", 0);
	ok(puller_select(pl, index, "t", chosen, extra) == 0 &&
	    json_array_size(chosen) == 1 && json_array_size(extra) == 1,
	    "one platform: its entry chosen, the attestation extra");
	is(json_string_value(json_object_get(json_object_get(json_array_get(
	    chosen, 0), "platform"), "architecture")), "amd64",
	    "the amd64 entry");
	puller_free(pl);

	json_array_clear(chosen);
	json_array_clear(extra);
	pl = puller(pool, "linux/arm64/v8,linux/arm64,linux/amd64", 0);
	ok(puller_select(pl, index, "t", chosen, extra) == 0 &&
	    json_array_size(chosen) == 2,
	    "arm64/v8 matches arm64; an entry is chosen once");
	puller_free(pl);

	json_array_clear(chosen);
	json_array_clear(extra);
	pl = puller(pool, "linux/amd64,linux/s390x,linux/ppc64le", 0);
	err_clear();
	ok(puller_select(pl, index, "t", chosen, extra) == -1 &&
	    err_kind() == ERR_NOTFOUND, "a platform the index lacks: not found");
	ok(strstr(err_msg(), "linux/s390x, linux/ppc64le") != NULL,
	    "the message names every missing platform");
	puller_free(pl);

	json_array_clear(chosen);
	json_array_clear(extra);
	pl = puller(pool, NULL, 1);
	ok(puller_select(pl, index, "t", chosen, extra) == 0 &&
	    json_array_size(chosen) == 2 && json_array_size(extra) == 1,
	    "--all-platforms: every real platform chosen");
	puller_free(pl);

	big = json_pack("{s:i,s:[]}", "schemaVersion", 2, "manifests");
	for (i = 0; i <= PULL_MAX_ENTRIES; i++)
		json_array_append(json_object_get(big, "manifests"),
		    json_array_get(json_object_get(index, "manifests"), 0));
	json_array_clear(chosen);
	json_array_clear(extra);
	pl = puller(pool, "linux/amd64", 0);
	err_clear();
	ok(puller_select(pl, big, "big", chosen, extra) == -1 &&
	    err_kind() == ERR_FAILURE && json_array_size(chosen) == 0 &&
	    strstr(err_msg(), "more than 1024") != NULL,
	    "an index of more than %d entries is refused", PULL_MAX_ENTRIES);
	puller_free(pl);
	json_decref(big);
	json_decref(chosen);
	json_decref(extra);
}

static int
cached(struct regpool *pool, const char *name, const char *plats, int *nrec)
{
	struct pull_result res;
	struct puller *pl = puller(pool, plats, 0);
	int rc = puller_cached(pl, name, &res);

	if (nrec)
		*nrec = rc == 1 ? (int)json_array_size(res.records) : -1;
	if (rc == 1 && !res.warm)
		rc = -2;
	pull_result_release(&res);
	puller_free(pl);
	return rc;
}

int
main(void)
{
	struct regpool pool;
	struct http_opts ho = { .tool = "t-pull" };
	struct pull_result res;
	struct puller *pl;
	char dir[] = "/tmp/t-pull.XXXXXX", nocache[96];
	char amd_layer[DIGEST_MAX], arm_layer[DIGEST_MAX], att_layer[DIGEST_MAX];
	json_t *amd, *arm, *att, *index, *single, *names[2];
	const char *nm[2] = { NAME, SINGLE };
	int n;

	if (!mkdtemp(dir))
		return 1;
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	if (layout_open(&l, cache, LAYOUT_CREATE) == -1)
		return 1;
	regpool_init(&pool, &ho);

	amd = with_platform(image("linux", "amd64", amd_layer,
	    sizeof(amd_layer)), "linux", "amd64");
	arm = with_platform(image("linux", "arm64", arm_layer,
	    sizeof(arm_layer)), "linux", "arm64");
	att = with_platform(image("unknown", "unknown", att_layer,
	    sizeof(att_layer)), "unknown", "unknown");
	index = json_pack("{s:i,s:s,s:[O,O,O]}", "schemaVersion", 2,
	    "mediaType", MT_OCI_INDEX, "manifests", amd, arm, att);
	selection(&pool, index);

	names[0] = put_json(MT_OCI_INDEX, json_incref(index));
	names[1] = single = image("linux", "arm64", NULL, 0);
	ok(layout_set_refs(&l, 2, nm, names) == 0, "setup: names");

	ok(cached(&pool, NAME, "linux/amd64", &n) == 1 && n == 1,
	    "present: the index, the amd64 image, the attestation");
	ok(cached(&pool, NAME, "linux/amd64,linux/arm64", &n) == 1 && n == 2,
	    "present for two platforms: two records");
	ok(cached(&pool, "127.0.0.1:1/t/other:1", "linux/amd64", NULL) == 0,
	    "a name not in the cache is not present");
	ok(cached(&pool, NAME, "linux/s390x", NULL) == 0,
	    "a platform the index lacks is not present");
	ok(cached(&pool, SINGLE, "linux/arm64", &n) == 1 && n == 0,
	    "a single image for its platform is present");
	ok(cached(&pool, SINGLE, "linux/amd64", NULL) == 0,
	    "a single image for another platform is not");
	ok(cached(&pool, SINGLE, "linux/arm64,linux/amd64", NULL) == 0,
	    "a single image cannot serve two platforms");

	pl = puller(&pool, "linux/amd64", 0);
	ok(puller_run(pl, PULL_CACHED, NAME, &res) == 0 && res.warm &&
	    json_array_size(res.records) == 1, "PULL_CACHED: present");
	pull_result_release(&res);
	err_clear();
	ok(puller_run(pl, PULL_CACHED, "127.0.0.1:1/t/other:1", &res) == -1 &&
	    err_kind() == ERR_NOTFOUND, "PULL_CACHED: absent is not found, "
	    "with no request");
	puller_free(pl);

	remove_blob(arm_layer);
	ok(cached(&pool, NAME, "linux/amd64", NULL) == 1,
	    "another platform's missing layer does not matter");
	ok(cached(&pool, NAME, "linux/arm64", NULL) == 0,
	    "the wanted platform's missing layer does");
	remove_blob(att_layer);
	ok(cached(&pool, NAME, "linux/amd64", NULL) == 0,
	    "an entry without a platform is needed too");
	rot_blob(desc_digest(names[0]));
	ok(cached(&pool, NAME, "linux/amd64", NULL) == 0,
	    "a rotten cached index is not used (manifests verified on use)");

	/* a question creates no cache, even a named one */
	snprintf(nocache, sizeof(nocache), "%s/none", dir);
	{
		struct pull_opts o = { .pool = &pool, .cache = nocache };

		pl = puller_new(&o);
		err_clear();
		ok(puller_run(pl, PULL_RESOLVE, "127.0.0.1:1/t/app:1",
		    &res) == -1 && err_kind() == ERR_FAILURE,
		    "--resolve against a closed port is a failure, not absence");
		ok(access(nocache, F_OK) == -1, "and created no cache");
		ok(puller_cached(pl, NAME, &res) == 0 &&
		    access(nocache, F_OK) == -1,
		    "the presence check in no cache: absent, nothing created");
		puller_free(pl);
	}

	json_decref(index);
	json_decref(amd);
	json_decref(arm);
	json_decref(att);
	json_decref(names[0]);
	json_decref(single);
	regpool_release(&pool);
	layout_close(&l);
	snprintf(nocache, sizeof(nocache), "rm -rf '%s'", dir);
	if (system(nocache) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
