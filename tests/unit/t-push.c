/* tests/unit/t-push.c - what a push sends and which arch tags it names */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "multiarch.h"
#include "push.h"
#include "tap.h"

static struct layout l = LAYOUT_INIT;

/* store bytes in the cache (unless absent) and return their descriptor */
static json_t *
blob(const char *media_type, const char *s, int store)
{
	char d[DIGEST_MAX];

	digest_buf(DIGEST_SHA256, s, strlen(s), d);
	if (store && layout_blob_put(&l, s, strlen(s), d, NULL) == -1)
		diag("cannot store %s", s);
	return desc_new(media_type, d, (int64_t)strlen(s));
}

static json_t *
doc(const char *media_type, json_t *j, int store)
{
	struct buf b = BUF_INIT;
	json_t *d;

	jsonio_dump(j, &b);
	buf_adds(&b, "");
	d = blob(media_type, b.data, store);
	buf_release(&b);
	json_decref(j);
	return d;
}

/* an image manifest of config cfg and one layer */
static json_t *
image(json_t *cfg, json_t *layer, int store)
{
	return doc(MT_OCI_MANIFEST, json_pack("{s:i,s:s,s:O,s:[O]}",
	    "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST, "config", cfg,
	    "layers", layer), store);
}

static void
platform(json_t *d, const char *os, const char *arch)
{
	json_object_set_new(d, "platform", json_pack("{s:s,s:s}",
	    "architecture", arch, "os", os));
}

static json_t *
index_of(json_t *entries)
{
	return json_pack("{s:i,s:s,s:o}", "schemaVersion", 2, "mediaType",
	    MT_OCI_INDEX, "manifests", entries);
}

/* the digests of an array, by position in want (0-based indexes) */
static int
same(const json_t *arr, json_t *const *want, size_t n)
{
	size_t i;

	if (json_array_size(arr) != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(desc_digest(json_array_get(arr, i)),
		    desc_digest(want[i])) != 0)
			return 0;
	return 1;
}

static int
parse(struct manifest *m, json_t *desc, struct buf *b)
{
	return layout_blob_read(&l, desc_digest(desc), JSONIO_MAX_DOC, b) ||
	    manifest_parse(m, b->data, b->len, NULL, desc_media_type(desc),
	    "test");
}

int
main(void)
{
	char dir[] = "/tmp/t-push.XXXXXX", path[64];
	struct push_plan pl = PUSH_PLAN_INIT;
	struct manifest m = MANIFEST_INIT;
	struct buf b = BUF_INIT;
	json_t *cfg, *cfg2, *l1, *l3, *m1, *m2, *m3, *m4, *idx, *sel, *evil;
	json_t *m3a, *loc, *rem, *merged;
	char longtag[130], cmd[64];

	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/cache", dir);
	if (layout_open(&l, path, LAYOUT_CREATE) == -1)
		return 1;
	cfg = blob(MT_OCI_CONFIG, "{\"architecture\":\"amd64\"}", 1);
	cfg2 = blob(MT_OCI_CONFIG, "{\"architecture\":\"arm64\"}", 1);
	l1 = blob(MT_OCI_LAYER, "layer one", 1);
	l3 = blob(MT_OCI_LAYER, "layer three, not in the cache", 0);
	m1 = image(cfg, l1, 1);			/* whole */
	m2 = image(cfg2, l3, 1);		/* partial: l3 absent */
	m3 = image(cfg2, l1, 1);		/* an attestation, whole */
	m4 = image(cfg, l3, 0);			/* absent */
	platform(m1, "linux", "amd64");
	platform(m2, "linux", "arm64");
	platform(m3, "unknown", "unknown");
	platform(m4, "linux", "riscv64");
	idx = doc(MT_OCI_INDEX, index_of(json_pack("[O,O,O,O]", m1, m2, m3,
	    m4)), 1);

	ok(parse(&m, m1, &b) == 0 && push_plan(&l, &m, &pl) == 0,
	    "plan an image");
	ok(same(pl.blobs, (json_t *[]){ cfg, l1 }, 2), "its config and layer");
	ok(json_array_size(pl.manifests) == 0 &&
	    json_array_size(pl.absent) == 0, "no child manifests");
	push_plan_release(&pl);
	manifest_release(&m);

	ok(parse(&m, idx, &b) == 0 && push_plan(&l, &m, &pl) == 0,
	    "plan an index");
	ok(same(pl.manifests, (json_t *[]){ m1, m3 }, 2),
	    "whole children are PUT, in order");
	ok(same(pl.blobs, (json_t *[]){ cfg, l1, cfg2 }, 3),
	    "their blobs, each once");
	ok(same(pl.partial, (json_t *[]){ m2 }, 1),
	    "a child whose layer is missing is partial");
	ok(same(pl.absent, (json_t *[]){ m4 }, 1),
	    "a child not in the cache is absent");
	push_plan_release(&pl);

	sel = json_array();
	ok(push_arch_tags(&l, m.json, "1", sel) == 0, "arch tags of the index");
	ok(json_array_size(sel) == 1 &&
	    !strcmp(jsonio_str(json_array_get(sel, 0), "tag"), "1-amd64") &&
	    !strcmp(desc_digest(json_object_get(json_array_get(sel, 0),
	    "desc")), desc_digest(m1)),
	    "only 1-amd64: not the partial arm64, the attestation, the absent");
	json_decref(sel);
	manifest_release(&m);

	evil = json_pack("{s:[O]}", "manifests", m1);
	sel = json_array();
	json_object_set_new(json_object_get(json_array_get(json_object_get(
	    evil, "manifests"), 0), "platform"), "architecture",
	    json_string("/../../../prod/manifests/pwned"));
	ok(push_arch_tags(&l, evil, "1", sel) == -1 && json_array_size(sel) == 0,
	    "an architecture with a path is refused, nothing chosen");
	json_decref(evil);
	evil = json_pack("{s:[O]}", "manifests", m1);
	json_object_set_new(json_object_get(json_array_get(json_object_get(
	    evil, "manifests"), 0), "platform"), "architecture",
	    json_string("amd64"));
	memset(longtag, 'x', 125);
	longtag[125] = '\0';
	ok(push_arch_tags(&l, evil, longtag, sel) == -1,
	    "an arch tag over 128 characters is refused");
	json_decref(evil);
	json_decref(sel);

	/* the registry's index: arm64 and its attestation from elsewhere */
	m3a = json_deep_copy(m3);
	desc_annotate(m3a, ANNOT_REF_DIGEST, desc_digest(m2));
	loc = json_pack("{s:[O]}", "manifests", m1);
	rem = json_pack("{s:[O,O,O]}", "manifests", m2, m3a, m4);
	ok(push_merge_remote(loc, rem, &b) == 0, "merge with the registry");
	merged = jsonio_parse(b.data, b.len, "merged");
	ok(merged && same(json_object_get(merged, "manifests"),
	    (json_t *[]){ m1, m2, m4, m3a }, 4),
	    "local first, then remote platforms, then their attestations");
	ok(b.len > 40 && !memcmp(b.data, "{\"schemaVersion\":2,\"mediaType\":"
	    "\"application/vnd.oci.image.index.v1+json\",\"manifests\":", 76),
	    "serialised as LinuxKit does");
	json_decref(merged);
	json_decref(loc);
	loc = json_pack("{s:[O,O]}", "manifests", m4, m2);
	buf_reset(&b);
	ok(push_merge_remote(loc, rem, &b) == 1 && b.len == 0,
	    "every local entry listed remotely: the registry's index stands");
	json_decref(loc);
	loc = json_pack("{s:[O]}", "manifests", m1);
	json_object_set_new(json_array_get(json_object_get(loc, "manifests"),
	    0), "platform", json_pack("{s:s,s:s}", "architecture", "arm64",
	    "os", "linux"));
	buf_reset(&b);
	ok(push_merge_remote(loc, rem, &b) == 0 &&
	    (merged = jsonio_parse(b.data, b.len, "merged")) &&
	    same(json_object_get(merged, "manifests"),
	    (json_t *[]){ m1, m4 }, 2),
	    "a local platform replaces the remote one, its attestation goes");
	json_decref(merged);
	json_decref(loc);
	json_decref(rem);
	json_decref(m3a);

	json_decref(cfg);
	json_decref(cfg2);
	json_decref(l1);
	json_decref(l3);
	json_decref(m1);
	json_decref(m2);
	json_decref(m3);
	json_decref(m4);
	json_decref(idx);
	buf_release(&b);
	layout_close(&l);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
