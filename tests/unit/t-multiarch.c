/* tests/unit/t-multiarch.c - LinuxKit's index merges and serialisation */
#include <stdio.h>
#include <string.h>

#include "desc.h"
#include "jsonio.h"
#include "manifest.h"
#include "multiarch.h"
#include "tap.h"

/* a manifest descriptor: digest of n's hex repeated, platform p (or none) */
static json_t *
man(int n, const char *os, const char *arch, const char *variant)
{
	char d[80];
	json_t *j;

	snprintf(d, sizeof(d), "sha256:%064d", n);
	j = desc_new(MT_OCI_MANIFEST, d, 100 + n);
	if (os) {
		json_t *p = json_pack("{s:s, s:s}", "architecture", arch, "os", os);

		if (variant)
			json_object_set_new(p, "variant", json_string(variant));
		json_object_set_new(j, "platform", p);
	}
	return j;
}

/* an attestation of manifest n */
static json_t *
att(int self, int of)
{
	json_t *j = man(self, "unknown", "unknown", NULL);
	char d[80];

	snprintf(d, sizeof(d), "sha256:%064d", of);
	desc_annotate(j, ANNOT_REF_DIGEST, d);
	desc_annotate(j, ANNOT_REF_TYPE, "attestation-manifest");
	return j;
}

/* the list of size-100 values: which descriptors, in order */
static void
order(const json_t *arr, char *out, size_t n)
{
	json_t *d;
	size_t i, o = 0;

	out[0] = '\0';
	json_array_foreach(arr, i, d)
		o += snprintf(out + o, n - o, "%s%lld", i ? "," : "",
		    (long long)desc_size(d) - 100);
}

int
main(void)
{
	json_t *ex = json_array(), *adds = json_array(), *out, *remote;
	struct buf b = BUF_INIT;
	char s[256], key[160];
	int i, unchanged;

	json_array_append_new(ex, man(1, "linux", "amd64", NULL));
	json_array_append_new(ex, att(2, 1));
	json_array_append_new(ex, man(3, "linux", "arm64", NULL));

	ok(multiarch_key(json_array_get(ex, 0), key, sizeof(key)) &&
	    !strcmp(key, "linux/amd64"), "key of a real platform");
	ok(!multiarch_key(json_array_get(ex, 1), key, sizeof(key)),
	    "an attestation has no key");

	/* a new amd64 replaces 1 in place; its attestation 2 goes */
	json_array_append_new(adds, man(4, "linux", "amd64", NULL));
	out = multiarch_merge(ex, adds);
	order(out, s, sizeof(s));
	is(s, "4,3", "replaced in place, dangling attestation dropped");
	json_decref(out);

	/* new platforms appended in input order, the last of a platform wins */
	json_array_clear(adds);
	json_array_append_new(adds, man(5, "linux", "riscv64", NULL));
	json_array_append_new(adds, man(6, "linux", "s390x", NULL));
	json_array_append_new(adds, man(7, "linux", "riscv64", NULL));
	json_array_append_new(adds, att(8, 7));
	out = multiarch_merge(ex, adds);
	order(out, s, sizeof(s));
	is(s, "1,2,3,6,7,8", "appended: last of each platform, then attestations");
	json_decref(out);

	/* arm variants are different platforms; arm64/v8 is arm64 */
	json_array_clear(adds);
	json_array_append_new(adds, man(9, "linux", "arm", "v6"));
	json_array_append_new(adds, man(10, "linux", "arm", "v7"));
	json_array_append_new(adds, man(11, "linux", "arm64", "v8"));
	out = multiarch_merge(ex, adds);
	order(out, s, sizeof(s));
	is(s, "1,2,11,9,10", "variants kept apart, arm64/v8 replaces arm64");
	json_decref(out);

	/* duplicates by digest: the first is kept */
	json_array_clear(adds);
	json_array_append_new(adds, man(3, "linux", "arm64", NULL));
	json_array_append_new(adds, man(1, "linux", "amd64", NULL));
	out = multiarch_merge(NULL, adds);
	json_array_append_new(out, man(3, "linux", "arm64", NULL));
	multiarch_tidy(out);
	order(out, s, sizeof(s));
	is(s, "3,1", "a new index; duplicates dropped by tidy");
	json_decref(out);

	/* the remote merge: local first, then remote platforms not local */
	remote = json_array();
	json_array_append_new(remote, man(20, "linux", "amd64", NULL));
	json_array_append_new(remote, man(21, "linux", "ppc64le", NULL));
	json_array_append_new(remote, att(22, 21));
	json_array_append_new(remote, att(23, 20));
	out = multiarch_merge_remote(ex, remote, &unchanged);
	order(out, s, sizeof(s));
	is(s, "1,2,3,21,22", "remote: ppc64le and its attestation kept, amd64 not");
	ok(!unchanged, "not unchanged");
	json_decref(out);
	ok(multiarch_merge_remote(remote, remote, &unchanged) == NULL &&
	    unchanged, "everything already remote: the remote index stands");
	json_decref(remote);

	/* LinuxKit's serialisation */
	json_array_clear(adds);
	out = man(1, "linux", "arm", "v7");
	json_object_set_new(json_object_get(out, "platform"), "os.version",
	    json_string(""));
	desc_annotate(out, "z", "1");
	desc_annotate(out, "a", "2");
	json_object_set_new(out, "urls", json_array());
	json_array_append_new(adds, out);
	multiarch_dump(adds, &b);
	is(b.data, "{\"schemaVersion\":2,\"mediaType\":\"" MT_OCI_INDEX "\","
	    "\"manifests\":[{\"mediaType\":\"" MT_OCI_MANIFEST "\",\"size\":101,"
	    "\"digest\":\"sha256:0000000000000000000000000000000000000000000000000"
	    "000000000000001\",\"annotations\":{\"a\":\"2\",\"z\":\"1\"},"
	    "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\","
	    "\"variant\":\"v7\"}}]}",
	    "key order, sorted annotations, empty members left out");

	/* linear: 40,000 entries merged into 40,000 at once */
	json_array_clear(ex);
	json_array_clear(adds);
	for (i = 0; i < 40000; i++) {
		out = man(i, "linux", "amd64", NULL);
		snprintf(key, sizeof(key), "1.%d", i);
		json_object_set_new(json_object_get(out, "platform"),
		    "os.version", json_string(key));
		json_array_append(ex, out);
		json_array_append_new(adds, i % 2 ? att(100000 + i, i - 1) :
		    json_deep_copy(out));
		json_decref(out);
	}
	out = multiarch_merge(ex, adds);
	ok(json_array_size(out) == 60000, "40,000 kept, 20,000 attestations "
	    "added (got %zu)", json_array_size(out));
	json_decref(out);

	buf_release(&b);
	json_decref(adds);
	json_decref(ex);
	return tap_done();
}
