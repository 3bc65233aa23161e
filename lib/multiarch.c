/* lib/multiarch.c - index merges and serialisation as LinuxKit does them */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "jsonio.h"
#include "manifest.h"
#include "multiarch.h"
#include "platform.h"
#include "strv.h"

int
multiarch_key(const json_t *desc, char *out, size_t n)
{
	const json_t *pj = json_object_get(desc, "platform");
	struct platform p;
	char s[128];

	if (!platform_is_real(pj) || platform_from_json(&p, pj) == -1)
		return 0;
	platform_format(&p, s, sizeof(s));
	if (p.os_version[0])
		snprintf(out, n, "%s@%s", s, p.os_version);
	else
		snprintf(out, n, "%s", s);
	return 1;
}

static int
listed(const json_t *arr, const char *digest)
{
	const json_t *d;
	size_t i;

	json_array_foreach(arr, i, d)
		if (desc_digest(d) && strcmp(desc_digest(d), digest) == 0)
			return 1;
	return 0;
}

void
multiarch_tidy(json_t *m)
{
	const char *ref;
	json_t *d;
	size_t i, j;

	for (i = 0; i < json_array_size(m); ) {
		const char *dg = desc_digest(json_array_get(m, i));

		for (j = 0; j < i; j++)
			if (!strcmp(desc_digest(json_array_get(m, j)), dg))
				break;
		if (j < i)
			json_array_remove(m, i);
		else
			i++;
	}
	/* an attestation describes a manifest; it goes when that one is gone */
	for (i = 0; i < json_array_size(m); ) {
		d = json_array_get(m, i);
		ref = desc_annotation(d, ANNOT_REF_DIGEST);
		if (ref && !listed(m, ref))
			json_array_remove(m, i);
		else
			i++;
	}
}

/* the index of the last descriptor of adds with this platform key */
static size_t
last_with_key(const json_t *adds, const char *key)
{
	size_t i, found = (size_t)-1;
	char k[160];
	json_t *d;

	json_array_foreach(adds, i, d)
		if (multiarch_key(d, k, sizeof(k)) && strcmp(k, key) == 0)
			found = i;
	return found;
}

json_t *
multiarch_merge(const json_t *existing, const json_t *adds)
{
	json_t *out = json_array(), *d;
	size_t i, n = json_array_size(adds), w;
	char key[160];
	char *used = xcalloc(n ? n : 1, 1);

	/* 1: existing entries in place, replaced by a new one of their platform */
	json_array_foreach(existing, i, d) {
		if (multiarch_key(d, key, sizeof(key)) &&
		    (w = last_with_key(adds, key)) != (size_t)-1) {
			json_array_append_new(out,
			    json_deep_copy(json_array_get(adds, w)));
			used[w] = 1;
		} else {
			json_array_append_new(out, json_deep_copy(d));
		}
	}
	/* 2: new platforms, in input order, the last of each platform */
	json_array_foreach(adds, i, d) {
		if (!multiarch_key(d, key, sizeof(key)) || used[i] ||
		    last_with_key(adds, key) != i)
			continue;
		json_array_append_new(out, json_deep_copy(d));
	}
	/* 3: entries without a real platform */
	json_array_foreach(adds, i, d)
		if (!multiarch_key(d, key, sizeof(key)))
			json_array_append_new(out, json_deep_copy(d));
	free(used);
	multiarch_tidy(out);
	return out;
}

/* "os/arch/variant" of a local entry, for the remote merge's test */
static int
has_platform(const json_t *arr, const char *key)
{
	char k[160];
	json_t *d;
	size_t i;

	json_array_foreach(arr, i, d)
		if (multiarch_key(d, k, sizeof(k)) && strcmp(k, key) == 0)
			return 1;
	return 0;
}

json_t *
multiarch_merge_remote(const json_t *local, const json_t *remote,
    int *unchanged)
{
	json_t *out, *d;
	const char *ref;
	char key[160];
	size_t i;

	*unchanged = 1;
	json_array_foreach(local, i, d)
		if (!listed(remote, desc_digest(d)))
			*unchanged = 0;
	if (*unchanged)
		return NULL;
	out = json_deep_copy(local);
	json_array_foreach(remote, i, d)
		if (multiarch_key(d, key, sizeof(key)) &&
		    !has_platform(local, key) && !listed(out, desc_digest(d)))
			json_array_append_new(out, json_deep_copy(d));
	json_array_foreach(remote, i, d)
		if ((ref = desc_annotation(d, ANNOT_REF_DIGEST)) &&
		    listed(out, ref) && !listed(out, desc_digest(d)))
			json_array_append_new(out, json_deep_copy(d));
	multiarch_tidy(out);
	return out;
}

/* copy the named members of src in this order, then the rest as they come */
static json_t *
ordered(const json_t *src, const char *const *keys)
{
	json_t *out = json_object(), *v;
	const char *k;
	size_t i;

	for (i = 0; keys[i]; i++)
		if ((v = json_object_get(src, keys[i])))
			json_object_set(out, keys[i], v);
	json_object_foreach((json_t *)src, k, v)
		if (!json_object_get(out, k))
			json_object_set(out, k, v);
	return out;
}

static int
empty(const json_t *v)
{
	return json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0) ||
	    (json_is_array(v) && json_array_size(v) == 0) ||
	    (json_is_string(v) && json_string_length(v) == 0);
}

static json_t *
canonical_desc(const json_t *d)
{
	static const char *const dkeys[] = { "mediaType", "size", "digest",
	    "urls", "annotations", "platform", "artifactType", NULL };
	static const char *const pkeys[] = { "architecture", "os",
	    "os.version", "os.features", "variant", "features", NULL };
	json_t *out = ordered(d, dkeys), *a, *sorted, *v;
	const char *k, **names;
	size_t i, n;
	void *tmp;

	json_object_foreach_safe(out, tmp, k, v)
		if (strcmp(k, "size") != 0 && empty(v))
			json_object_del(out, k);
	if ((a = json_object_get(out, "annotations"))) {
		n = json_object_size(a);
		names = xcalloc(n, sizeof(*names));
		i = 0;
		json_object_foreach(a, k, v)
			names[i++] = k;
		qsort(names, n, sizeof(*names), strv_cmp);
		sorted = json_object();
		for (i = 0; i < n; i++)
			json_object_set(sorted, names[i], json_object_get(a, names[i]));
		free(names);
		json_object_set_new(out, "annotations", sorted);
	}
	if ((a = json_object_get(out, "platform"))) {
		json_t *p = ordered(a, pkeys);

		json_object_foreach_safe(p, tmp, k, v)
			if (empty(v))
				json_object_del(p, k);
		json_object_set_new(out, "platform", p);
	}
	return out;
}

void
multiarch_dump(const json_t *manifests, struct buf *out)
{
	json_t *idx = json_object(), *arr = json_array(), *d;
	size_t i;

	json_array_foreach(manifests, i, d)
		json_array_append_new(arr, canonical_desc(d));
	json_object_set_new(idx, "schemaVersion", json_integer(2));
	json_object_set_new(idx, "mediaType", json_string(MT_OCI_INDEX));
	json_object_set_new(idx, "manifests", arr);
	buf_reset(out);
	jsonio_dump(idx, out);
	json_decref(idx);
}
