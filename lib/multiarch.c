/* lib/multiarch.c - index merges and serialisation as LinuxKit does them */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "desc.h"
#include "err.h"
#include "jsonio.h"
#include "manifest.h"
#include "multiarch.h"
#include "platform.h"
#include "record.h"
#include "ref.h"
#include "registry.h"
#include "strv.h"

/* merges of one name racing other writers before giving up */
#define MULTIARCH_WRITE_TRIES	16

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

/*
 * The platform of a descriptor, when it has one, within its grammar:
 * its fields become tags (NAME-ARCH) later, so an index from anywhere is
 * checked before anything of it is used.
 */
static int
platform_ok(const json_t *d, const char *what)
{
	const json_t *pl = json_object_get(d, "platform");

	if (pl && platform_check_json(pl) == -1)
		return err_wrap("%s", what);
	return 0;
}

/*
 * The merges below keep sets in jansson objects (hash tables) keyed by
 * digest or by platform key, so that an index of n entries costs O(n),
 * not O(n^2): tens of thousands of records are a normal input.
 */

/* a set of the digests of arr */
static json_t *
digests(const json_t *arr)
{
	json_t *set = json_object(), *d;
	size_t i;

	json_array_foreach(arr, i, d)
		if (desc_digest(d))
			json_object_set_new(set, desc_digest(d), json_true());
	return set;
}

static int
in(const json_t *set, const char *key)
{
	return key && json_object_get(set, key) != NULL;
}

void
multiarch_tidy(json_t *m)
{
	json_t *kept = json_array(), *seen = json_object(), *d;
	const char *dg, *ref;
	size_t i;

	json_array_foreach(m, i, d) {
		if (!(dg = desc_digest(d)) || in(seen, dg))
			continue;
		json_object_set_new(seen, dg, json_true());
		json_array_append(kept, d);
	}
	json_array_clear(m);
	/* an attestation describes a manifest; it goes when that one is gone */
	json_array_foreach(kept, i, d) {
		ref = desc_annotation(d, ANNOT_REF_DIGEST);
		if (!ref || in(seen, ref))
			json_array_append(m, d);
	}
	json_decref(kept);
	json_decref(seen);
}

/* {key: index of the last descriptor of adds with that platform key} */
static json_t *
last_by_key(const json_t *adds)
{
	json_t *last = json_object(), *d;
	char key[160];
	size_t i;

	json_array_foreach(adds, i, d)
		if (multiarch_key(d, key, sizeof(key)))
			json_object_set_new(last, key, json_integer((json_int_t)i));
	return last;
}

static json_t *
copy_of(const json_t *adds, const json_t *w)
{
	return json_deep_copy(json_array_get(adds,
	    (size_t)json_integer_value(w)));
}

json_t *
multiarch_merge(const json_t *existing, const json_t *adds)
{
	json_t *out = json_array(), *last = last_by_key(adds), *used, *d, *w;
	size_t i;
	char key[160];

	used = json_object();
	/* 1: existing entries in place, replaced by a new one of their platform */
	json_array_foreach(existing, i, d) {
		if (multiarch_key(d, key, sizeof(key)) &&
		    (w = json_object_get(last, key))) {
			json_array_append_new(out, copy_of(adds, w));
			json_object_set_new(used, key, json_true());
		} else {
			json_array_append_new(out, json_deep_copy(d));
		}
	}
	/* 2: new platforms, in input order, the last of each platform */
	json_array_foreach(adds, i, d)
		if (multiarch_key(d, key, sizeof(key)) && !in(used, key) &&
		    (size_t)json_integer_value(json_object_get(last, key)) == i)
			json_array_append_new(out, json_deep_copy(d));
	/* 3: entries without a real platform */
	json_array_foreach(adds, i, d)
		if (!multiarch_key(d, key, sizeof(key)))
			json_array_append_new(out, json_deep_copy(d));
	json_decref(last);
	json_decref(used);
	multiarch_tidy(out);
	return out;
}

json_t *
multiarch_merge_remote(const json_t *local, const json_t *remote,
    int *unchanged)
{
	json_t *out, *have, *theirs = digests(remote), *keys, *d;
	const char *ref;
	char key[160];
	size_t i;

	*unchanged = 1;
	json_array_foreach(local, i, d)
		if (!in(theirs, desc_digest(d)))
			*unchanged = 0;
	json_decref(theirs);
	if (*unchanged)
		return NULL;
	out = json_deep_copy(local);
	have = digests(out);
	keys = last_by_key(local);
	json_array_foreach(remote, i, d)
		if (multiarch_key(d, key, sizeof(key)) && !in(keys, key) &&
		    !in(have, desc_digest(d))) {
			json_array_append_new(out, json_deep_copy(d));
			json_object_set_new(have, desc_digest(d), json_true());
		}
	json_array_foreach(remote, i, d)
		if ((ref = desc_annotation(d, ANNOT_REF_DIGEST)) && in(have, ref) &&
		    !in(have, desc_digest(d))) {
			json_array_append_new(out, json_deep_copy(d));
			json_object_set_new(have, desc_digest(d), json_true());
		}
	json_decref(have);
	json_decref(keys);
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

/* ---- collecting NAME's index ---- */

struct multiarch {
	struct multiarch_opts o;
	struct ref	 r;		/* name, parsed: where remote looks */
	json_t		*adds;		/* descriptors to merge, in order */
	struct buf	 scratch;
};

static void
say(struct multiarch *m, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(struct multiarch *m, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!m->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	m->o.log(m->o.log_arg, level, msg);
}

struct multiarch *
multiarch_new(const struct multiarch_opts *o)
{
	struct multiarch *m = xcalloc(1, sizeof(*m));

	m->o = *o;
	m->scratch = (struct buf)BUF_INIT;
	m->adds = json_array();
	if (ref_parse(&m->r, o->name) == -1) {
		err_as(ERR_USAGE);
		goto bad;
	}
	if (!m->r.tag || m->r.digest) {
		err_usage("an index is named by a tag, not a digest");
		goto bad;
	}
	return m;
bad:
	multiarch_free(m);
	return NULL;
}

void
multiarch_free(struct multiarch *m)
{
	if (!m)
		return;
	ref_release(&m->r);
	json_decref(m->adds);
	buf_release(&m->scratch);
	free(m);
}

static struct registry *
registry(struct multiarch *m)
{
	return regpool_get(m->o.pool, m->r.domain);
}

/* a manifest or index the cache lacks, from the registry, verified */
static int
fetch_manifest(struct multiarch *m, const json_t *d)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct registry *reg;
	int rc;

	if (layout_blob_has(m->o.cache, desc_digest(d), desc_size(d)))
		return 0;
	if (!(reg = registry(m)))
		return -1;
	rc = registry_get_manifest(reg, m->r.path, desc_digest(d), &rm);
	if (rc == 0 && (int64_t)rm.body.len != desc_size(d))
		rc = err_set(EIO, "manifest '%s' has %zu bytes in the registry, "
		    "not %lld", desc_digest(d), rm.body.len,
		    (long long)desc_size(d));
	if (rc == 0)
		rc = layout_blob_put(m->o.cache, rm.body.data, rm.body.len,
		    desc_digest(d), NULL);
	reg_manifest_release(&rm);
	return rc;
}

/* an entry for the index: the descriptor without the cache's own names */
static json_t *
entry(const json_t *d)
{
	json_t *e = json_deep_copy(d), *a;

	json_object_del(e, "ref");
	if ((a = json_object_get(e, "annotations"))) {
		json_object_del(a, ANNOT_REF_NAME);
		json_object_del(a, ANNOT_CONTAINERD_NAME);
		if (json_object_size(a) == 0)
			json_object_del(e, "annotations");
	}
	return e;
}

/* read and parse a manifest of the cache */
static int
read_manifest(struct multiarch *m, const json_t *d, struct manifest *man,
    const char *what)
{
	if (layout_blob_read(m->o.cache, desc_digest(d), JSONIO_MAX_DOC,
	    &m->scratch) == -1 || manifest_parse(man, m->scratch.data,
	    m->scratch.len, NULL, desc_media_type(d), what) == -1)
		return -1;
	return 0;
}

/*
 * A manifest or index a descriptor names, checked against the cache:
 * present, verified, of the descriptor's size and of its media type.
 * Its bytes are in m->scratch, parsed into man.
 */
static int
check_manifest(struct multiarch *m, const json_t *d, struct manifest *man,
    const char *what)
{
	const char *dg = desc_digest(d);

	if (!layout_blob_has(m->o.cache, dg, -1))
		return err_set(EINVAL, "%s: manifest '%s' is not in the cache",
		    what, dg);
	if (layout_blob_read(m->o.cache, dg, JSONIO_MAX_DOC, &m->scratch) == -1)
		return err_wrap("%s", what);
	if ((int64_t)m->scratch.len != desc_size(d))
		return err_set(EINVAL, "%s: manifest '%s' has %zu bytes, not "
		    "%lld", what, dg, m->scratch.len, (long long)desc_size(d));
	if (manifest_parse(man, m->scratch.data, m->scratch.len, NULL,
	    desc_media_type(d), dg) == -1)
		return err_wrap("%s", what);
	return 0;
}

/* any entry of an index: manifests checked whole, other blobs by size */
static int
check_entry(struct multiarch *m, const json_t *d, const char *what)
{
	struct manifest man = MANIFEST_INIT;
	int rc;

	if (desc_check(d, what) == -1 || platform_ok(d, what) == -1)
		return err_as(ERR_FAILURE);
	if (manifest_kind(desc_media_type(d)) == MT_KIND_OTHER) {
		if (layout_blob_has(m->o.cache, desc_digest(d), desc_size(d)))
			return 0;
		return err_set(EINVAL, "%s: blob '%s' of %lld bytes is not in "
		    "the cache", what, desc_digest(d), (long long)desc_size(d));
	}
	rc = check_manifest(m, d, &man, what);
	manifest_release(&man);
	return rc;
}

/* the platform of an image manifest, from its config in the cache */
static int
set_platform(struct multiarch *m, json_t *e, const struct manifest *man)
{
	const json_t *cfg = json_object_get(man->json, "config");
	struct platform p;
	json_t *c = NULL;
	int rc = -1;

	if (layout_blob_read(m->o.cache, desc_digest(cfg), JSONIO_MAX_DOC,
	    &m->scratch) == 0 && (c = jsonio_parse(m->scratch.data,
	    m->scratch.len, desc_digest(cfg)))) {
		if (platform_from_json(&p, c) == 0) {
			json_object_set_new(e, "platform", platform_to_json(&p));
			rc = 0;
		} else {
			err_set(EINVAL, "config of '%s' names no platform",
			    desc_digest(e));
		}
	}
	json_decref(c);
	return rc;
}

/* an index brings its entries, each checked against the cache */
static int
add_index(struct multiarch *m, const struct manifest *idx, const char *what)
{
	json_t *kids = manifest_children(idx), *k;
	char sub[96];
	size_t i;
	int rc = 0;

	json_array_foreach(kids, i, k) {
		snprintf(sub, sizeof(sub), "%.60s, entry %zu", what, i);
		if ((rc = check_entry(m, k, sub)) == -1)
			break;
		json_array_append_new(m->adds, entry(k));
	}
	json_decref(kids);
	return rc;
}

/*
 * Add what a descriptor brings: an index brings its entries (a builder's
 * per-arch output: the image and its attestation), a manifest itself,
 * with its platform read from its config when the descriptor has none.
 * Nothing enters the index that the cache does not hold as described.
 */
static int
add(struct multiarch *m, const json_t *d, const char *what)
{
	struct manifest man = MANIFEST_INIT;
	json_t *e = NULL;
	int rc = -1;

	if (desc_check(d, what) == -1 || platform_ok(d, what) == -1)
		return err_as(ERR_FAILURE);
	switch (manifest_kind(desc_media_type(d))) {
	case MT_KIND_INDEX:
	case MT_KIND_MANIFEST:
		break;
	default:
		return err_set(EINVAL, "%s: '%s' is not an image manifest or "
		    "index", what, desc_media_type(d));
	}
	if (check_manifest(m, d, &man, what) == -1)
		goto out;
	if (man.kind == MT_KIND_INDEX) {
		rc = add_index(m, &man, what);
		goto out;
	}
	e = entry(d);
	if (!json_object_get(e, "platform") && set_platform(m, e, &man) == -1) {
		err_wrap("%s", what);
		goto out;
	}
	json_array_append(m->adds, e);
	rc = 0;
out:
	json_decref(e);
	manifest_release(&man);
	return rc;
}

int
multiarch_add_ref(struct multiarch *m, const char *name)
{
	json_t *d = NULL;
	int rc;

	if (layout_resolve(m->o.cache, name, &d) == -1)
		return err_kind() == ERR_NOTFOUND ?
		    err_notfound("not in the cache") : -1;
	rc = add(m, d, name);
	json_decref(d);
	return rc;
}

int
multiarch_add_records(struct multiarch *m, FILE *f)
{
	unsigned line = 0;
	char what[64];
	json_t *rec;
	int r;

	while ((r = record_read(f, &rec, &line)) == 1) {
		snprintf(what, sizeof(what), "record on line %u", line);
		r = add(m, rec, what);
		json_decref(rec);
		if (r == -1)
			return err_as(ERR_FAILURE);
	}
	return r;
}

/* NAME-ARCH from the cache: 1 added, 0 absent */
static int
arch_tag_local(struct multiarch *m, const char *tag)
{
	json_t *d;
	int rc;

	if (layout_resolve(m->o.cache, tag, &d) == -1) {
		if (err_kind() != ERR_NOTFOUND)
			return -1;
		say(m, 0, "'%s' is not in the cache; skipping", tag);
		return 0;
	}
	rc = add(m, d, tag);
	json_decref(d);
	return rc == -1 ? -1 : 1;
}

/* NAME-ARCH from the registry, platform linux/ARCH: 1 added, 0 absent */
static int
arch_tag_remote(struct multiarch *m, const char *tag, const char *arch)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct registry *reg = registry(m);
	json_t *d = NULL;
	int rc = -1;

	if (!reg)
		return -1;
	if (registry_get_manifest(reg, m->r.path, strrchr(tag, ':') + 1,
	    &rm) == -1) {
		if (err_kind() == ERR_NOTFOUND) {
			say(m, 0, "'%s' is not in the registry; skipping", tag);
			rc = 0;
		}
		goto out;
	}
	if (manifest_kind(rm.media_type) != MT_KIND_MANIFEST) {
		err_set(EINVAL, "not an image manifest");
		goto out;
	}
	d = desc_new(rm.media_type, rm.digest, (int64_t)rm.body.len);
	json_object_set_new(d, "platform", json_pack("{s:s,s:s}",
	    "architecture", arch, "os", "linux"));
	if (layout_blob_put(m->o.cache, rm.body.data, rm.body.len, rm.digest,
	    NULL) == 0 && add(m, d, tag) == 0)
		rc = 1;
out:
	json_decref(d);
	reg_manifest_release(&rm);
	return rc;
}

/* ARCH and NAME-ARCH within their grammars */
static int
arch_ok(struct multiarch *m, const char *arch)
{
	char *tag = xasprintf("%s-%s", m->r.tag, arch);
	int rc = 0;

	if (!platform_field_valid(arch) || !ref_tag_valid(tag))
		rc = err_as(ERR_USAGE);
	free(tag);
	return rc;
}

int
multiarch_add_arch_tags(struct multiarch *m, const char *arches)
{
	struct strv v = STRV_INIT;
	char *list = xstrdup(arches), *arch, *save = NULL, *tag;
	size_t i, found = 0;
	int r = 0;

	/* every value first: a bad one means nothing was looked up */
	for (arch = strtok_r(list, ",", &save); arch && r != -1;
	    arch = strtok_r(NULL, ",", &save))
		if ((r = arch_ok(m, arch)) == 0)
			strv_push(&v, arch);
	for (i = 0; r != -1 && i < v.n; i++) {
		tag = xasprintf("%s-%s", m->o.name, v.v[i]);
		r = m->o.remote ? arch_tag_remote(m, tag, v.v[i]) :
		    arch_tag_local(m, tag);
		if (r == -1)
			err_wrap("'%s'", tag);
		found += r == 1;
		free(tag);
	}
	strv_clear(&v);
	free(list);
	if (r == -1)
		return -1;
	return found ? 0 : err_notfound("no arch tag found: nothing indexed");
}

/* the manifests of NAME's index in the cache; *prior NULL when none */
static int
existing(struct multiarch *m, json_t **prior, char old[DIGEST_MAX])
{
	struct manifest idx = MANIFEST_INIT;
	json_t *d;

	old[0] = '\0';
	*prior = NULL;
	if (layout_resolve(m->o.cache, m->o.name, &d) == -1)
		return err_kind() == ERR_NOTFOUND ? 0 : -1;
	if (manifest_kind(desc_media_type(d)) != MT_KIND_INDEX) {
		json_decref(d);
		return err_set(EINVAL, "the image of that name in the cache "
		    "is not an index");
	}
	if (read_manifest(m, d, &idx, m->o.name) == -1) {
		json_decref(d);
		return -1;
	}
	snprintf(old, DIGEST_MAX, "%s", desc_digest(d));
	*prior = json_deep_copy(json_object_get(idx.json, "manifests"));
	manifest_release(&idx);
	json_decref(d);
	return 0;
}

/* the registry's index under NAME, parsed; 0 with idx->json NULL if none */
static int
remote_index(struct multiarch *m, struct reg_manifest *rm,
    struct manifest *idx)
{
	struct registry *reg = registry(m);

	if (!reg)
		return -1;
	if (registry_get_manifest(reg, m->r.path, m->r.tag, rm) == -1)
		return err_kind() == ERR_NOTFOUND ? 0 : -1;
	if (manifest_parse(idx, rm->body.data, rm->body.len, rm->media_type,
	    NULL, "the registry's index") == -1)
		return -1;
	if (idx->kind != MT_KIND_INDEX)
		return err_set(EINVAL, "the registry holds an image under that "
		    "name, not an index");
	return 0;
}

/*
 * Merge with NAME's index in the registry, so that platforms pushed from
 * elsewhere are kept; its child manifests come into the cache so the
 * result is whole there. *raw gets the remote bytes when they stand as is.
 */
static int
merge_remote(struct multiarch *m, json_t **result, struct buf *raw,
    const char **media_type)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest idx = MANIFEST_INIT;
	json_t *out, *remote, *d;
	int unchanged, rc;
	size_t i;

	if ((rc = remote_index(m, &rm, &idx)) == -1 || !idx.json)
		goto out;
	remote = json_object_get(idx.json, "manifests");
	json_array_foreach(remote, i, d)
		if ((rc = platform_ok(d, "the registry's index")) == -1 ||
		    (manifest_kind(desc_media_type(d)) != MT_KIND_OTHER &&
		    (rc = fetch_manifest(m, d)) == -1))
			goto out;
	out = multiarch_merge_remote(*result, remote, &unchanged);
	if (unchanged) {
		buf_add(raw, rm.body.data, rm.body.len);
		*media_type = idx.media_type;	/* static: outlives idx */
		out = json_deep_copy(remote);
	}
	json_decref(*result);
	*result = out;
out:
	manifest_release(&idx);
	reg_manifest_release(&rm);
	return rc;
}

/* the digest NAME has in the cache now, "" when none */
static int
current(struct multiarch *m, char out[DIGEST_MAX])
{
	json_t *d;

	out[0] = '\0';
	if (layout_resolve(m->o.cache, m->o.name, &d) == -1)
		return err_kind() == ERR_NOTFOUND ? 0 : -1;
	snprintf(out, DIGEST_MAX, "%s", desc_digest(d));
	json_decref(d);
	return 0;
}

/*
 * Store the index bytes and name them NAME, if NAME still has the digest
 * old the merge started from: 0 done, 1 when another writer moved NAME
 * meanwhile (merge again), -1 on failure. The lock is held only from that
 * check to the name, never across the merge's registry requests.
 */
static int
store(struct multiarch *m, const struct buf *bytes, const char *media_type,
    const char *old, json_t **root)
{
	char digest[DIGEST_MAX], now[DIGEST_MAX];
	const char *name = m->o.name;
	int rc = -1;

	if (layout_blob_put(m->o.cache, bytes->data, bytes->len, NULL,
	    digest) == -1)
		return -1;
	*root = desc_new(media_type, digest, bytes->len);
	if (layout_lock(m->o.cache) == -1)
		goto out;
	/*
	 * An index may name children whose layers live elsewhere (--remote),
	 * so only the index blob itself must still be there: a collector
	 * may have taken it as unnamed before the lock.
	 */
	if (current(m, now) == 0 && (rc = strcmp(now, old) != 0) == 0) {
		if (layout_blob_has(m->o.cache, digest, (int64_t)bytes->len) == 1)
			rc = layout_set_refs(m->o.cache, 1, &name, root);
		else
			rc = 1;
	}
	layout_unlock(m->o.cache);
	if (rc != 0)
		goto out;
	if (old[0] && strcmp(old, digest) != 0 &&
	    cache_drop_unreachable(m->o.cache, old) == -1)
		say(m, 0, "cannot remove the replaced index '%s': %s", old,
		    err_msg());
	desc_annotate(*root, ANNOT_REF_NAME, name);
	return 0;
out:
	json_decref(*root);
	*root = NULL;
	/* an index nobody names: not left behind */
	if (strcmp(digest, old) != 0)
		cache_drop_unreachable(m->o.cache, digest);
	return rc;
}

/* one merge of the adds with NAME as it is now: as store() */
static int
write_once(struct multiarch *m, json_t **root)
{
	struct buf bytes = BUF_INIT;
	const char *media_type = MT_OCI_INDEX;
	char old[DIGEST_MAX];
	json_t *prior, *result = NULL;
	int rc = -1;

	if (existing(m, &prior, old) == -1)
		return -1;
	result = multiarch_merge(prior, m->adds);
	json_decref(prior);
	if (m->o.remote && merge_remote(m, &result, &bytes, &media_type) == -1)
		goto out;
	if (json_array_size(result) == 0) {
		err_notfound("nothing to index");
		goto out;
	}
	if (bytes.len == 0)
		multiarch_dump(result, &bytes);
	rc = store(m, &bytes, media_type, old, root);
out:
	json_decref(result);
	buf_release(&bytes);
	return rc;
}

int
multiarch_write(struct multiarch *m, json_t **root)
{
	int i, rc;

	*root = NULL;
	/* concurrent writers of one name each see the other's entries */
	for (i = 0; i < MULTIARCH_WRITE_TRIES; i++)
		if ((rc = write_once(m, root)) != 1)
			return rc;
	return err_set(EAGAIN, "the name changed under %d merges in a row",
	    MULTIARCH_WRITE_TRIES);
}
