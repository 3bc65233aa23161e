/* tests/unit/t-cache.c - reachability, reference counting, writers' check */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "desc.h"
#include "err.h"
#include "layout.h"
#include "manifest.h"
#include "tap.h"

/* store p and return its descriptor */
static json_t *
put(struct layout *l, const char *mt, const char *p)
{
	char d[DIGEST_MAX];

	if (layout_blob_put(l, p, strlen(p), NULL, d) == -1)
		return NULL;
	return desc_new(mt, d, strlen(p));
}

/* an image manifest of config c and layers a, b (b may be NULL) */
static json_t *
image(struct layout *l, const json_t *c, const json_t *a, const json_t *b)
{
	json_t *m = json_pack("{s:i, s:s, s:O, s:[O]}", "schemaVersion", 2,
	    "mediaType", MT_OCI_MANIFEST, "config", c, "layers", a), *d;
	char *s;

	if (b)
		json_array_append(json_object_get(m, "layers"), (json_t *)b);
	s = json_dumps(m, JSON_COMPACT);
	d = put(l, MT_OCI_MANIFEST, s);
	free(s);
	json_decref(m);
	return d;
}

static int
has(struct layout *l, const json_t *d)
{
	return layout_blob_has(l, desc_digest(d), -1);
}

int
main(void)
{
	struct layout l;
	struct reach r;
	struct rm_result res;
	char dir[] = "/tmp/t-cache.XXXXXX", path[64];
	json_t *cfg1, *cfg2, *shared, *own1, *own2, *m1, *m2, *idx, *ghost;
	const char *names[2] = { "docker.io/library/one:1",
	    "docker.io/library/two:1" };
	json_t *descs[2];
	char *s;

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/cache", dir);
	if (layout_open(&l, path, LAYOUT_CREATE) == -1)
		return 1;
	cfg1 = put(&l, MT_OCI_CONFIG, "{\"os\":\"linux\",\"architecture\":\"amd64\"}");
	cfg2 = put(&l, MT_OCI_CONFIG, "{\"os\":\"linux\",\"architecture\":\"arm64\"}");
	shared = put(&l, MT_OCI_LAYER_GZIP, "shared layer");
	own1 = put(&l, MT_OCI_LAYER_GZIP, "layer of one");
	own2 = put(&l, MT_OCI_LAYER_GZIP, "layer of two");
	m1 = image(&l, cfg1, shared, own1);
	m2 = image(&l, cfg2, shared, own2);

	/* an index whose arm64 entry is absent: a one-platform pull */
	json_object_set_new(m1, "platform", json_pack("{s:s,s:s}", "os", "linux",
	    "architecture", "amd64"));
	ghost = desc_new(MT_OCI_MANIFEST, "sha256:"
	    "0000000000000000000000000000000000000000000000000000000000000001", 9);
	json_object_set_new(ghost, "platform", json_pack("{s:s,s:s}", "os",
	    "linux", "architecture", "arm64"));
	idx = json_pack("{s:i,s:s,s:[O,O]}", "schemaVersion", 2, "mediaType",
	    MT_OCI_INDEX, "manifests", m1, ghost);
	s = json_dumps(idx, JSON_COMPACT);
	json_decref(idx);
	idx = put(&l, MT_OCI_INDEX, s);
	free(s);
	json_object_del(m1, "platform");

	reach_init(&r, &l, 1);
	ok(reach_walk(&r, idx, REACH_A, 0) == 0, "walk an index");
	is_int(r.nlast, 6, "index, both entries, config, two layers reached");
	ok(reach_last_missing(&r) == NULL,
	    "an absent platform manifest is not missing");
	ok(!(reach_get(&r, desc_digest(ghost))->flags & REACH_REQUIRED),
	    "an index entry with a real platform is optional");
	ok(reach_get(&r, desc_digest(own1))->flags & REACH_REQUIRED,
	    "a layer of a present manifest is required");
	reach_release(&r);

	descs[0] = idx;
	descs[1] = m2;
	ok(cache_set_refs(&l, 2, names, descs) == 0, "name both");

	ok(cache_rm(&l, 1, names, NULL, &res) == 0 &&
	    res.items[0].status == RM_REMOVED, "remove one");
	ok(!has(&l, idx) && !has(&l, m1) && !has(&l, cfg1) && !has(&l, own1),
	    "its own blobs are gone");
	ok(has(&l, shared) && has(&l, m2) && has(&l, cfg2) && has(&l, own2),
	    "the shared layer and the other image stay");
	is_int(res.blobs, 4, "four blobs removed");
	rm_result_release(&res);

	ok(cache_rm(&l, 1, names, NULL, &res) == 0 &&
	    res.items[0].status == RM_NOTFOUND, "a second removal finds nothing");
	rm_result_release(&res);

	{
		const char *two[1] = { "two:1" };
		const char *wrong[1] = { "sha256:"
		    "0000000000000000000000000000000000000000000000000000000000000002" };

		ok(cache_rm(&l, 1, two, wrong, &res) == 0 &&
		    res.items[0].status == RM_CHANGED && has(&l, m2),
		    "a name whose digest is not the one expected stays");
		rm_result_release(&res);
	}

	/* a writer whose blob vanished records nothing */
	{
		char rel[256];

		snprintf(rel, sizeof(rel), "%s/blobs/sha256/%s", path,
		    desc_digest(own2) + 7);
		unlink(rel);
	}
	descs[0] = m2;
	errno = 0;
	ok(cache_set_refs(&l, 1, &names[0], descs) == -1 && errno == EAGAIN &&
	    strstr(err_msg(), desc_digest(own2)),
	    "a name whose layer is gone is refused, naming the layer");

	ok(cache_drop_unreachable(&l, desc_digest(cfg2)) == 0 && has(&l, cfg2),
	    "a blob a name reaches is not dropped");

	json_decref(cfg1); json_decref(cfg2); json_decref(shared);
	json_decref(own1); json_decref(own2); json_decref(m1); json_decref(m2);
	json_decref(idx); json_decref(ghost);
	layout_close(&l);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			diag("cannot remove %s", dir);
	}
	return tap_done();
}
