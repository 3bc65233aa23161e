/* lib/manifest.c - media types and manifest checks
 * (doc/registry-client.md §6.2) */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "desc.h"
#include "err.h"
#include "jsonio.h"
#include "manifest.h"

static const struct {
	const char	*type;
	enum mt_kind	 kind;
} types[] = {
	{ MT_OCI_INDEX,		MT_KIND_INDEX },
	{ MT_DOCKER_LIST,	MT_KIND_INDEX },
	{ MT_OCI_MANIFEST,	MT_KIND_MANIFEST },
	{ MT_DOCKER_MANIFEST,	MT_KIND_MANIFEST },
	{ MT_SCHEMA1,		MT_KIND_SCHEMA1 },
	{ MT_SCHEMA1_SIGNED,	MT_KIND_SCHEMA1 },
};

/* the static spelling of a known manifest type, ignoring parameters */
static const char *
known(const char *mt)
{
	size_t i, n;

	if (!mt)
		return NULL;
	n = strcspn(mt, ";");
	while (n > 0 && (mt[n - 1] == ' ' || mt[n - 1] == '\t'))
		n--;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strlen(types[i].type) == n &&
		    strncasecmp(types[i].type, mt, n) == 0)
			return types[i].type;
	return NULL;
}

enum mt_kind
manifest_kind(const char *media_type)
{
	const char *k = known(media_type);
	size_t i;

	for (i = 0; k && i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == k)
			return types[i].kind;
	return MT_KIND_OTHER;
}

static int
check_descs(const json_t *arr, const char *what, const char *field)
{
	char ctx[256];
	size_t i;
	json_t *d;

	json_array_foreach(arr, i, d) {
		snprintf(ctx, sizeof(ctx), "%s: %s[%zu]", what, field, i);
		if (desc_check(d, ctx) == -1)
			return -1;
	}
	return 0;
}

int
manifest_parse(struct manifest *m, const void *buf, size_t len,
    const char *header_type, const char *desc_type, const char *what)
{
	const char *tb, *th, *td, *eff;
	json_t *j, *sv, *mans, *cfg, *layers;
	enum mt_kind shape;

	memset(m, 0, sizeof(*m));
	if (!(j = jsonio_parse(buf, len, what)))
		return -1;
	if (!json_is_object(j)) {
		err_set(EINVAL, "%s: not a JSON object", what);
		goto bad;
	}
	if (json_object_get(j, "mediaType") && !jsonio_str(j, "mediaType")) {
		err_set(EINVAL, "%s: mediaType is not a string", what);
		goto bad;
	}
	tb = jsonio_str(j, "mediaType");
	th = header_type && *header_type ? header_type : NULL;
	td = desc_type;
	sv = json_object_get(j, "schemaVersion");
	if (manifest_kind(tb) == MT_KIND_SCHEMA1 ||
	    manifest_kind(th) == MT_KIND_SCHEMA1 ||
	    manifest_kind(td) == MT_KIND_SCHEMA1 ||
	    (json_is_integer(sv) && json_integer_value(sv) == 1)) {
		err_set(EINVAL, "%s: schema1 manifests are not supported", what);
		goto bad;
	}
	if (!json_is_integer(sv) || json_integer_value(sv) != 2) {
		err_set(EINVAL, "%s: schemaVersion is not 2", what);
		goto bad;
	}
	mans = json_object_get(j, "manifests");
	cfg = json_object_get(j, "config");
	layers = json_object_get(j, "layers");
	if (mans && !cfg && !layers && json_is_array(mans))
		shape = MT_KIND_INDEX;
	else if (!mans && json_is_object(cfg) && json_is_array(layers))
		shape = MT_KIND_MANIFEST;
	else {
		err_set(EINVAL, "%s: neither an image index nor an image "
		    "manifest", what);
		goto bad;
	}
	/* a body type must agree with a manifest Content-Type (CVE-2021-41190) */
	if (tb && manifest_kind(th) != MT_KIND_OTHER && known(tb) != known(th)) {
		err_set(EINVAL, "%s: body says '%s' but the server says '%s'",
		    what, tb, th);
		goto bad;
	}
	if (tb)
		eff = tb;
	else if (manifest_kind(th) != MT_KIND_OTHER)
		eff = th;
	else if (td)
		eff = td;
	else {
		err_set(EINVAL, "%s: no media type", what);
		goto bad;
	}
	if (td && known(eff) != known(td)) {
		err_set(EINVAL, "%s: is '%s' but its descriptor says '%s'",
		    what, eff, td);
		goto bad;
	}
	if (manifest_kind(eff) != shape) {
		err_set(EINVAL, "%s: media type '%s' does not fit its content",
		    what, eff);
		goto bad;
	}
	if (shape == MT_KIND_INDEX) {
		if (check_descs(mans, what, "manifests") == -1)
			goto bad;
	} else if (desc_check(cfg, what) == -1 ||
	    check_descs(layers, what, "layers") == -1) {
		goto bad;
	}
	m->json = j;
	m->kind = shape;
	m->media_type = known(eff);
	return 0;
bad:
	json_decref(j);
	return -1;
}

void
manifest_release(struct manifest *m)
{
	json_decref(m->json);
	memset(m, 0, sizeof(*m));
}

json_t *
manifest_children(const struct manifest *m)
{
	json_t *out = json_array(), *d;
	size_t i;

	if (m->kind == MT_KIND_INDEX) {
		json_array_foreach(json_object_get(m->json, "manifests"), i, d)
			json_array_append(out, d);
	} else if (m->kind == MT_KIND_MANIFEST) {
		json_array_append(out, json_object_get(m->json, "config"));
		json_array_foreach(json_object_get(m->json, "layers"), i, d)
			json_array_append(out, d);
	}
	return out;
}
