/* tests/fuzz/fuzz-manifest.c - manifests and indexes (lib/manifest, lib/json)
 *
 * The first byte picks the Content-Type and the parent descriptor's type
 * the document is checked against; the rest is the body.
 */
#include <stdlib.h>

#include "fuzz.h"
#include "desc.h"
#include "jsonio.h"
#include "manifest.h"
#include "multiarch.h"

static const char *const types[] = {
	NULL, "", MT_OCI_INDEX, MT_OCI_MANIFEST, MT_DOCKER_LIST,
	MT_DOCKER_MANIFEST, MT_SCHEMA1, MT_SCHEMA1_SIGNED, MT_OCI_CONFIG,
	"application/json", MT_OCI_MANIFEST "; charset=utf-8", "text/plain",
	MT_DOCKER_LIST " ;x=y", "APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON",
	"application/vnd.oci.image.index.v1+json\t", ";",
};
#define NTYPES	(sizeof(types) / sizeof(types[0]))

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct manifest m;
	json_t *kids, *k;
	char key[256];
	size_t i;

	if (size < 1)
		return 0;
	if (manifest_parse(&m, data + 1, size - 1, types[data[0] % NTYPES],
	    types[(data[0] / NTYPES) % NTYPES], "fuzz") == 0) {
		if (m.kind != MT_KIND_INDEX && m.kind != MT_KIND_MANIFEST)
			abort();
		kids = manifest_children(&m);
		json_array_foreach(kids, i, k) {
			if (desc_check(k, "child") == -1)
				abort();
			(void)manifest_kind(desc_media_type(k));
			(void)multiarch_key(k, key, sizeof(key));
		}
		json_decref(kids);
		manifest_release(&m);
	}
	return 0;
}
