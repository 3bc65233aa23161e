/* tests/unit/t-manifest.c - manifest checks of registry-client.md §6.2 */
#include <string.h>

#include "err.h"
#include "manifest.h"
#include "tap.h"

#define D "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define DESC(mt) "{\"mediaType\":\"" mt "\",\"digest\":\"" D "\",\"size\":3}"
#define IMAGE "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST "\"," \
	"\"config\":" DESC(MT_OCI_CONFIG) ",\"layers\":[" DESC(MT_OCI_LAYER_GZIP) "]}"
#define INDEX "{\"schemaVersion\":2,\"manifests\":[" DESC(MT_OCI_MANIFEST) "]}"

#define PLAT_INDEX(arch, variant) "{\"schemaVersion\":2,\"mediaType\":\"" \
	MT_OCI_INDEX "\",\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST \
	"\",\"digest\":\"" D "\",\"size\":3,\"platform\":{\"os\":\"linux\"," \
	"\"architecture\":" arch ",\"variant\":" variant "}}]}"

static int
parse(const char *s, const char *hdr, const char *dt, enum mt_kind *kind)
{
	struct manifest m;
	int rc = manifest_parse(&m, s, strlen(s), hdr, dt, "t");

	if (rc == 0 && kind)
		*kind = m.kind;
	manifest_release(&m);
	return rc;
}

int
main(void)
{
	struct manifest m;
	enum mt_kind k = MT_KIND_OTHER;
	json_t *c;

	ok(manifest_kind(MT_OCI_INDEX) == MT_KIND_INDEX, "OCI index kind");
	ok(manifest_kind(MT_DOCKER_LIST "; charset=utf-8") == MT_KIND_INDEX,
	    "parameters ignored");
	ok(manifest_kind(MT_OCI_LAYER) == MT_KIND_OTHER, "a layer is a blob");
	ok(manifest_kind(MT_SCHEMA1_SIGNED) == MT_KIND_SCHEMA1, "schema1 kind");

	ok(parse(IMAGE, NULL, NULL, &k) == 0 && k == MT_KIND_MANIFEST,
	    "an image manifest");
	ok(parse(INDEX, MT_OCI_INDEX, NULL, &k) == 0 && k == MT_KIND_INDEX,
	    "an index typed by its header");
	ok(parse(INDEX, NULL, NULL, NULL) == -1, "no media type anywhere refused");
	ok(parse(INDEX, NULL, MT_DOCKER_LIST, &k) == 0 && k == MT_KIND_INDEX,
	    "type from the parent descriptor");
	ok(parse(IMAGE, MT_OCI_INDEX, NULL, NULL) == -1,
	    "body and header disagree: refused");
	ok(parse(IMAGE, "application/octet-stream", NULL, NULL) == 0,
	    "a non-manifest header is not compared");
	ok(parse(IMAGE, NULL, MT_DOCKER_MANIFEST, NULL) == -1,
	    "body and descriptor disagree: refused");
	ok(parse("{\"schemaVersion\":1,\"name\":\"x\"}", NULL, NULL, NULL) == -1 &&
	    strstr(err_msg(), "schema1"), "schema1 refused: %s", err_msg());
	ok(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	    "\",\"manifests\":[],\"layers\":[]}", NULL, NULL, NULL) == -1,
	    "both shapes refused");
	ok(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	    "\",\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:1\","
	    "\"size\":1}]}", NULL, NULL, NULL) == -1, "bad child digest refused");
	ok(parse("[1]", NULL, NULL, NULL) == -1, "not an object refused");
	/* a platform field becomes part of tags: refused at parse time */
	ok(parse(PLAT_INDEX("\"/../../../prod/manifests/pwned\"", "\"v7\""),
	    NULL, NULL, NULL) == -1 && strstr(err_msg(), "architecture"),
	    "index with a path as architecture refused: %s", err_msg());
	ok(parse(PLAT_INDEX("\"arm\"", "\"v7/../../x\""), NULL, NULL,
	    NULL) == -1, "index with a path as variant refused");
	ok(parse(PLAT_INDEX("\"arm\"", "[\"v7\"]"), NULL, NULL, NULL) == -1,
	    "index with a variant that is not a string refused");
	ok(parse(PLAT_INDEX("\"arm\"", "\"v7\""), NULL, NULL, NULL) == 0,
	    "index with a good platform accepted");
	/* a media type becomes a header: no CR, LF or other control bytes */
	ok(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	    "\",\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
	    "\\r\\nX-Evil: 1\",\"digest\":\"" D "\",\"size\":3}]}", NULL,
	    NULL, NULL) == -1 && strstr(err_msg(), "mediaType"),
	    "a child media type with CR LF refused: %s", err_msg());
	ok(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_MANIFEST
	    "\",\"config\":{\"mediaType\":\"\",\"digest\":\"" D
	    "\",\"size\":3},\"layers\":[]}", NULL, NULL, NULL) == -1,
	    "an empty config media type refused");
	ok(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	    "\",\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
	    "\",\"artifactType\":\"a/b\\u0000\",\"digest\":\"" D
	    "\",\"size\":3}]}", NULL, NULL, NULL) == -1,
	    "an artifactType with a NUL refused");
	ok(parse("{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX
	    "\",\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST
	    "; charset=utf-8\",\"digest\":\"" D "\",\"size\":3}]}", NULL,
	    NULL, NULL) == 0, "a media type with a parameter accepted");

	manifest_parse(&m, IMAGE, strlen(IMAGE), NULL, NULL, "t");
	c = manifest_children(&m);
	ok(json_array_size(c) == 2 && !strcmp(json_string_value(json_object_get(
	    json_array_get(c, 0), "mediaType")), MT_OCI_CONFIG),
	    "children: config first, then layers");
	is(m.media_type, MT_OCI_MANIFEST, "effective media type");
	json_decref(c);
	manifest_release(&m);
	return tap_done();
}
