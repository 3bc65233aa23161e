/* lib/pull.c - make references present in the cache, from registries */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cache.h"
#include "desc.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "platform.h"
#include "pull.h"
#include "ref.h"
#include "registry.h"
#include "regpool.h"

struct puller {
	struct platform	 plats[PULL_MAX_PLATFORMS];
	size_t		 nplat;
	int		 explicit_plat;
	int		 all;
	int		 pull;
	const char	*cache;
	struct regpool	*pool;
	http_log_fn	*log;
	void		*log_arg;
	struct layout	 l;
	int		 have_layout;
};

/* what one reference needs: the root, the chosen children, their blobs */
struct plan {
	const char	*name;
	struct ref	 r;
	char		*repo_ref;	/* tag or digest to ask the registry for */
	json_t		*root;		/* descriptor of the root */
	json_t		*records;	/* records after the root: platform children */
	/*
	 * digest -> 1 (walked) or 2 (walked and recorded): an index that
	 * lists one child many times, nested, costs one walk per digest
	 */
	json_t		*seen;
	struct reg_fetch *fetch;	/* NULL: cache only */
	struct registry	*reg;
	struct puller	*c;
};

static void say(struct puller *c, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* a warning (0) or a note (1) through the caller's hook */
static void say(struct puller *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
say(struct puller *c, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!c->log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->log(c->log_arg, level, msg);
}

static int
open_cache(struct puller *c, int flags)
{
	char *dir;
	int rc;

	if (c->have_layout)
		return 0;
	dir = layout_default_path(c->cache);
	rc = layout_open(&c->l, dir, flags);
	free(dir);
	if (rc == 0)
		c->have_layout = 1;
	return rc;
}

static int
foreign(const json_t *d)
{
	const char *mt = desc_media_type(d);

	return mt != NULL && (strstr(mt, ".foreign.") != NULL ||
	    strstr(mt, ".nondistributable.") != NULL);
}

/*
 * The registry's own message names the manifest it was asked for, which
 * for the root is the subject the tool names already: keep the reason.
 */
static int
root_failed(void)
{
	if (err_kind() == ERR_NOTFOUND)
		return err_notfound("not found in the registry");
	return -1;
}

/* ---- choosing index entries (oci-fetch(1), PLATFORMS) ---- */

/* the entry of m that best matches want, or NULL */
static json_t *
best_entry(const json_t *m, const struct platform *want)
{
	struct platform have;
	json_t *d, *best = NULL;
	size_t i;
	int s, score = 0;

	json_array_foreach(m, i, d) {
		json_t *p = json_object_get(d, "platform");

		if (!json_is_object(p) || !platform_is_real(p) ||
		    platform_from_json(&have, p) == -1)
			continue;
		if ((s = platform_match(want, &have)) > score) {
			score = s;
			best = d;
		}
	}
	return best;
}

static void
append_once(json_t *a, json_t *d)
{
	size_t i;

	for (i = 0; i < json_array_size(a); i++)
		if (json_array_get(a, i) == d)
			return;
	json_array_append(a, d);
}

int
puller_select(struct puller *c, const json_t *index, const char *what,
    json_t *chosen, json_t *extra)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	struct buf missing = BUF_INIT;
	char pf[128];
	size_t i, k;

	if (json_array_size(m) > PULL_MAX_ENTRIES)
		return err_set(EINVAL, "%s%s%s has %zu entries, more than %d",
		    what ? "index '" : "the index", what ? what : "",
		    what ? "'" : "", json_array_size(m), PULL_MAX_ENTRIES);
	json_array_foreach(m, i, d) {
		json_t *p = json_object_get(d, "platform");

		if (!json_is_object(p) || !platform_is_real(p))
			json_array_append(extra, d);
		else if (c->all)
			json_array_append(chosen, d);
	}
	if (c->all)
		return 0;
	for (k = 0; k < c->nplat; k++) {
		if ((d = best_entry(m, &c->plats[k])) != NULL) {
			append_once(chosen, d);
			continue;
		}
		platform_format(&c->plats[k], pf, sizeof(pf));
		buf_addf(&missing, "%s%s", missing.len ? ", " : "", pf);
	}
	if (missing.len > 0) {
		err_notfound("%s%s%s does not contain target platforms %s",
		    what ? "index '" : "the index", what ? what : "",
		    what ? "'" : "", missing.data);
		buf_release(&missing);
		return -1;
	}
	return 0;
}

/*
 * The platform of an image config, checked against the wanted one: a
 * single image for another platform lacks the one asked for ("not
 * found", as an index without it), and only warns when none was asked.
 * *platform is the config's platform (new), or NULL on failure.
 */
static int
check_config_platform(struct puller *c, const void *cfg, size_t len,
    json_t **platform)
{
	struct platform have;
	char hs[128], ws[128];
	json_t *j;

	*platform = NULL;
	if ((j = jsonio_parse(cfg, len, "image config")) == NULL)
		return -1;
	if (platform_from_json(&have, j) == -1) {
		json_decref(j);
		/* missing, or a field that is no platform field (../x) */
		return err_wrap("the image config has no valid platform");
	}
	json_decref(j);
	*platform = platform_to_json(&have);
	platform_format(&have, hs, sizeof(hs));
	platform_format(&c->plats[0], ws, sizeof(ws));
	if (c->all || platform_match(&c->plats[0], &have) != 0)
		return 0;
	if (c->explicit_plat) {
		json_decref(*platform);
		*platform = NULL;
		return err_notfound("a single image for %s, not %s", hs, ws);
	}
	say(c, 0, "a single image for %s, not the host's %s", hs, ws);
	return 0;
}

/* a single image serves one platform */
static int
check_single(struct puller *c)
{
	if (c->nplat > 1 && !c->all)
		return err_notfound("a single image cannot serve %zu platforms",
		    c->nplat);
	return 0;
}

/* ---- the cache side ---- */

/* read, verify and parse a manifest blob from the cache */
static int
cached_manifest(struct puller *c, const json_t *d, struct manifest *m)
{
	struct buf b = BUF_INIT;
	int rc;

	if (!layout_blob_has(&c->l, desc_digest(d), desc_size(d)))
		return err_notfound("manifest '%s' is not in the cache",
		    desc_digest(d));
	if (layout_blob_read(&c->l, desc_digest(d), JSONIO_MAX_DOC, &b) == -1) {
		buf_release(&b);
		return -1;
	}
	rc = manifest_parse(m, b.data, b.len, NULL, desc_media_type(d),
	    desc_digest(d));
	buf_release(&b);
	return rc;
}

static int complete(struct puller *, const json_t *, int, json_t *, json_t *);

/* every chosen and extra entry of a cached index is complete */
static int
complete_index(struct puller *c, const struct manifest *m, const char *what,
    int depth, json_t *memo, json_t *records)
{
	json_t *chosen = json_array(), *extra = json_array(), *k;
	size_t i;
	int ok;

	ok = puller_select(c, m->json, what, chosen, extra) == 0;
	json_array_foreach(chosen, i, k) {
		if (!ok || !(ok = complete(c, k, depth + 1, memo, NULL)))
			break;
		if (records != NULL)
			json_array_append(records, k);
	}
	json_array_foreach(extra, i, k)
		if (!ok || !(ok = complete(c, k, depth + 1, memo, NULL)))
			break;
	json_decref(chosen);
	json_decref(extra);
	return ok;
}

/*
 * Are a manifest or index and everything it needs in the cache? memo
 * holds the answer per digest, so a child listed many times is read once.
 */
static int
complete(struct puller *c, const json_t *d, int depth, json_t *memo,
    json_t *records)
{
	struct manifest m = MANIFEST_INIT;
	json_t *was = json_object_get(memo, desc_digest(d)), *kids, *k;
	size_t i;
	int ok = 0;

	if (was != NULL && records == NULL)
		return json_is_true(was);
	if (depth > PULL_MAX_DEPTH || cached_manifest(c, d, &m) == -1)
		ok = 0;
	else if (m.kind == MT_KIND_INDEX)
		ok = complete_index(c, &m, desc_digest(d), depth, memo,
		    records);
	else {
		ok = 1;
		kids = manifest_children(&m);
		json_array_foreach(kids, i, k)
			if (!foreign(k) && !layout_blob_has(&c->l,
			    desc_digest(k), desc_size(k)))
				ok = 0;
		json_decref(kids);
	}
	manifest_release(&m);
	json_object_set_new(memo, desc_digest(d), json_boolean(ok));
	err_clear();
	return ok;
}

/* a cached single image: its config read, verified and its platform set */
static int
warm_single(struct puller *c, const struct manifest *m, json_t *root)
{
	struct buf cfg = BUF_INIT;
	json_t *cd = json_object_get(m->json, "config"), *plat = NULL;
	int rc = -1;

	if (check_single(c) == 0 && layout_blob_read(&c->l, desc_digest(cd),
	    JSONIO_MAX_DOC, &cfg) == 0 &&
	    check_config_platform(c, cfg.data, cfg.len, &plat) == 0) {
		json_object_set(root, "platform", plat);
		rc = 0;
	}
	json_decref(plat);
	buf_release(&cfg);
	return rc;
}

int
puller_cached(struct puller *c, const char *name, struct pull_result *res)
{
	struct manifest m = MANIFEST_INIT;
	json_t *d = NULL, *memo = json_object(), *records = json_array();
	int ok = 0;

	*res = (struct pull_result)PULL_RESULT_INIT;
	/* a question: a cache that does not exist holds nothing */
	if (open_cache(c, 0) == -1) {
		json_decref(memo);
		json_decref(records);
		if (err_kind() != ERR_NOTFOUND)
			return -1;
		err_clear();
		return 0;
	}
	if (layout_resolve(&c->l, name, &d) == -1 ||
	    !complete(c, d, 0, memo, records) ||
	    cached_manifest(c, d, &m) == -1)
		goto out;
	res->root = desc_new(desc_media_type(d), desc_digest(d), desc_size(d));
	if (m.kind == MT_KIND_MANIFEST && warm_single(c, &m, res->root) == -1) {
		json_decref(res->root);
		res->root = NULL;
		goto out;
	}
	res->records = records;
	res->warm = 1;
	records = NULL;
	ok = 1;
out:
	err_clear();
	manifest_release(&m);
	json_decref(d);
	json_decref(memo);
	json_decref(records);
	return ok;
}

/* ---- the registry side ---- */

/*
 * The bytes of a manifest named by a descriptor: from the cache when
 * present, else fetched by digest, checked against the descriptor and
 * stored with the blobs.
 */
static int
get_child(struct puller *c, struct plan *p, const json_t *d,
    struct reg_manifest *pre, struct manifest *m)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	const char *dg = desc_digest(d);
	int rc = -1;

	if (cached_manifest(c, d, m) == 0)
		return 0;
	err_clear();
	if (pre != NULL && pre->body.len > 0) {
		rm = *pre;	/* fetched beside its siblings */
		*pre = (struct reg_manifest)REG_MANIFEST_INIT;
	} else if (registry_get_manifest(p->reg, p->r.path, dg, &rm) == -1)
		goto out;
	if ((int64_t)rm.body.len != desc_size(d)) {
		err_set(EIO, "manifest '%s' has %zu bytes, its descriptor says "
		    "%lld", dg, rm.body.len, (long long)desc_size(d));
		goto out;
	}
	if (manifest_parse(m, rm.body.data, rm.body.len, rm.media_type,
	    desc_media_type(d), dg) == -1)
		goto out;
	/* stored with the blobs, synced off the loop */
	if (registry_fetch_put(p->fetch, p->r.path, dg, rm.body.data,
	    rm.body.len) == -1) {
		manifest_release(m);
		goto out;
	}
	rc = 0;
out:
	reg_manifest_release(&rm);
	return rc;
}

static int
queue_blobs(struct puller *c, struct plan *p, const struct manifest *m)
{
	json_t *kids = manifest_children(m), *k;
	size_t i;
	int rc = 0;

	json_array_foreach(kids, i, k) {
		if (foreign(k)) {
			say(c, 1, "'%s': skipping foreign layer '%s'", p->name,
			    desc_digest(k));
			continue;
		}
		if (layout_blob_has(&c->l, desc_digest(k), desc_size(k)))
			continue;
		if (registry_fetch_add(p->fetch, p->r.path, desc_digest(k),
		    desc_size(k)) == -1) {
			rc = -1;
			break;
		}
	}
	json_decref(kids);
	return rc;
}

static int pull_child(struct puller *, struct plan *, const json_t *, int,
    int, struct reg_manifest *);

/*
 * The child manifests of an index are asked for PULL_PREFETCH at a time
 * (registry_get_manifests()): one round trip for the platforms and
 * attestations together instead of one each. Only small ones, as their
 * descriptors say: what a batch holds in memory stays bounded however
 * hostile the index.
 */
#define PULL_PREFETCH		8
#define PULL_PREFETCH_BYTES	(1 << 20)

/* fetch the entries of v[0..n-1] that are neither walked nor cached */
static void
prefetch(struct puller *c, struct plan *p, json_t *const *v, size_t n,
    struct reg_manifest *pre)
{
	const char *dg[PULL_PREFETCH];
	int64_t size[PULL_PREFETCH], total = 0;
	size_t i, k = 0, at[PULL_PREFETCH];
	struct reg_manifest got[PULL_PREFETCH];

	for (i = 0; i < n; i++) {
		int64_t sz = desc_size(v[i]);
		size_t j;

		for (j = 0; j < k; j++)		/* listed twice: once */
			if (strcmp(dg[j], desc_digest(v[i])) == 0)
				break;
		if (j < k || json_object_get(p->seen, desc_digest(v[i])) ||
		    sz <= 0 || sz > PULL_PREFETCH_BYTES - total ||
		    layout_blob_has(&c->l, desc_digest(v[i]), sz))
			continue;
		dg[k] = desc_digest(v[i]);
		size[k] = sz;
		at[k++] = i;
		total += sz;
	}
	if (k < 2)	/* one alone is no faster than get_child() */
		return;
	for (i = 0; i < k; i++)
		got[i] = (struct reg_manifest)REG_MANIFEST_INIT;
	registry_get_manifests(p->reg, p->r.path, k, dg, size, got);
	for (i = 0; i < k; i++)
		pre[at[i]] = got[i];
}

/* the chosen entries (recorded when record) and the extra ones of an index */
static int
pull_entries(struct puller *c, struct plan *p, const json_t *index,
    const char *what, int depth, int record)
{
	json_t *chosen = json_array(), *extra = json_array(), *all, *k;
	struct reg_manifest pre[PULL_PREFETCH];
	json_t *batch[PULL_PREFETCH];
	size_t i, j, n, nchosen;
	int rc;

	rc = puller_select(c, index, what, chosen, extra);
	nchosen = json_array_size(chosen);
	all = json_copy(chosen);
	json_array_extend(all, extra);
	for (i = 0; rc == 0 && i < json_array_size(all); i += n) {
		n = json_array_size(all) - i;
		n = n < PULL_PREFETCH ? n : PULL_PREFETCH;
		for (j = 0; j < n; j++) {
			batch[j] = json_array_get(all, i + j);
			pre[j] = (struct reg_manifest)REG_MANIFEST_INIT;
		}
		if (depth + 1 <= PULL_MAX_DEPTH)
			prefetch(c, p, batch, n, pre);
		for (j = 0; j < n; j++) {
			k = batch[j];
			if (rc == 0 && pull_child(c, p, k, depth + 1,
			    i + j < nchosen ? record : 0, &pre[j]) == -1)
				rc = -1;
			reg_manifest_release(&pre[j]);
		}
	}
	json_decref(all);
	json_decref(chosen);
	json_decref(extra);
	return rc;
}

/* a child manifest or index and everything below it, walked once per run */
static int
pull_child(struct puller *c, struct plan *p, const json_t *d, int depth,
    int record, struct reg_manifest *pre)
{
	struct manifest m = MANIFEST_INIT;
	const char *dg = desc_digest(d);
	json_int_t was = json_integer_value(json_object_get(p->seen, dg));
	int rc;

	if (was > 0) {
		if (record && was == 1 && manifest_kind(desc_media_type(d)) !=
		    MT_KIND_INDEX) {
			json_array_append(p->records, (json_t *)d);
			json_object_set_new(p->seen, dg, json_integer(2));
		}
		return 0;
	}
	if (depth > PULL_MAX_DEPTH)
		return err_set(EINVAL, "indexes nested more than %d deep",
		    PULL_MAX_DEPTH);
	if (get_child(c, p, d, pre, &m) == -1)
		return -1;
	json_object_set_new(p->seen, dg, json_integer(1));
	if (m.kind == MT_KIND_INDEX)
		rc = pull_entries(c, p, m.json, dg, depth, record);
	else if ((rc = queue_blobs(c, p, &m)) == 0 && record) {
		json_array_append(p->records, (json_t *)d);
		json_object_set_new(p->seen, dg, json_integer(2));
	}
	manifest_release(&m);
	return rc;
}

/* a cached blob's bytes into rm, when it is present and verifies */
static int
root_from_cache(struct puller *c, const char *digest, int64_t size,
    struct reg_manifest *rm)
{
	if (!layout_blob_has(&c->l, digest, size) ||
	    layout_blob_read(&c->l, digest, JSONIO_MAX_DOC, &rm->body) == -1) {
		err_clear();
		buf_reset(&rm->body);
		return -1;
	}
	snprintf(rm->digest, sizeof(rm->digest), "%s", digest);
	rm->size = rm->body.len;
	return 0;
}

/*
 * The root: by tag HEAD first, then the cached bytes or a GET. When the
 * cache does not name the tag (named 0) the GET is needed anyway: no HEAD.
 */
static int
get_root(struct puller *c, struct plan *p, struct reg_manifest *rm, int named)
{
	struct reg_manifest head = REG_MANIFEST_INIT;

	if (p->r.digest == NULL && named) {
		if (registry_head_manifest(p->reg, p->r.path, p->repo_ref,
		    &head) == -1)
			return root_failed();
		if (head.digest[0] && root_from_cache(c, head.digest,
		    head.size, rm) == 0) {
			rm->media_type = head.media_type;
			head.media_type = NULL;
			reg_manifest_release(&head);
			return 0;
		}
		reg_manifest_release(&head);
	} else if (p->r.digest != NULL && root_from_cache(c, p->r.digest, -1,
	    rm) == 0)
		return 0;
	if (registry_get_manifest(p->reg, p->r.path, p->repo_ref, rm) == -1)
		return root_failed();
	return 0;
}

/* a single image's config is for the platform: the root records it */
static int
config_checked(void *arg, const void *cfg, size_t len)
{
	struct plan *p = arg;
	json_t *plat;

	if (check_config_platform(p->c, cfg, len, &plat) == -1)
		return -1;
	json_object_set_new(p->root, "platform", plat);
	return 0;
}

/*
 * A single image: its config and its layers. A cached config is checked
 * at once; one to fetch gates the fetch (registry_fetch_gate()), so the
 * layers download beside it and none is stored when it is for another
 * platform.
 */
static int
pull_single(struct puller *c, struct plan *p, const struct manifest *m)
{
	json_t *cd = json_object_get(m->json, "config");
	const char *dg = desc_digest(cd);
	struct buf cfg = BUF_INIT;
	int rc;

	if (check_single(c) == -1)
		return -1;
	if (layout_blob_read(&c->l, dg, JSONIO_MAX_DOC, &cfg) == 0) {
		rc = config_checked(p, cfg.data, cfg.len);
		buf_release(&cfg);
		return rc == -1 ? -1 : queue_blobs(c, p, m);
	}
	err_clear();
	if (registry_fetch_add(p->fetch, p->r.path, dg, desc_size(cd)) == -1 ||
	    registry_fetch_gate(p->fetch, dg, JSONIO_MAX_DOC, config_checked,
	    p) == -1)
		return -1;
	return queue_blobs(c, p, m);
}

static int
pull(struct puller *c, struct plan *p)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest m = MANIFEST_INIT;
	json_t *k = NULL;
	size_t nblobs = 0;
	int64_t bytes = 0;
	int rc = -1, named;

	if ((p->reg = regpool_get(c->pool, p->r.domain)) == NULL)
		return -1;
	p->fetch = registry_fetch_new(p->reg, &c->l);
	p->seen = json_object();
	named = layout_resolve(&c->l, p->name, &k) == 0;
	json_decref(k);
	err_clear();
	if (get_root(c, p, &rm, named) == -1)
		goto out;
	if (manifest_parse(&m, rm.body.data, rm.body.len, rm.media_type, NULL,
	    p->name) == -1)
		goto out;
	if (!layout_blob_has(&c->l, rm.digest, rm.body.len) &&
	    registry_fetch_put(p->fetch, p->r.path, rm.digest, rm.body.data,
	    rm.body.len) == -1)
		goto out;
	p->root = desc_new(m.media_type, rm.digest, rm.body.len);
	p->records = json_array();
	json_object_set_new(p->seen, rm.digest, json_integer(1));
	if (m.kind == MT_KIND_INDEX ?
	    pull_entries(c, p, m.json, NULL, 0, 1) == -1 :
	    pull_single(c, p, &m) == -1)
		goto out;
	if (registry_fetch_run(p->fetch, &nblobs, &bytes) == -1)
		goto out;
	say(c, 1, "'%s': %zu blobs fetched (%lld bytes)", p->name, nblobs,
	    (long long)bytes);
	rc = 0;
out:
	manifest_release(&m);
	reg_manifest_release(&rm);
	return rc;
}

/* NAME, and NAME-<arch> for each stored platform image of a tag */
static int
record_names(struct puller *c, struct plan *p)
{
	const char *names[1 + 2 * PULL_MAX_PLATFORMS + 64];
	json_t *descs[1 + 2 * PULL_MAX_PLATFORMS + 64], *root, *d;
	char *owned[2 * PULL_MAX_PLATFORMS + 64];
	size_t n = 0, no = 0, i;
	int rc;

	root = desc_new(json_string_value(json_object_get(p->root,
	    "mediaType")), desc_digest(p->root), desc_size(p->root));
	names[n] = p->name;
	descs[n++] = root;
	if (p->r.tag != NULL && p->r.digest == NULL &&
	    manifest_kind(desc_media_type(root)) == MT_KIND_INDEX) {
		json_array_foreach(p->records, i, d) {
			const char *arch = json_string_value(json_object_get(
			    json_object_get(d, "platform"), "architecture"));

			if (arch == NULL || n >= sizeof(names) / sizeof(*names))
				continue;
			owned[no] = xasprintf("%s-%s", p->name, arch);
			names[n] = owned[no++];
			descs[n++] = d;
		}
	}
	rc = cache_set_refs(&c->l, n, names, descs);
	for (i = 0; i < no; i++)
		free(owned[i]);
	json_decref(root);
	return rc;
}

/* ---- --resolve and --manifest ---- */

/*
 * The root's bytes after a HEAD: from a cache that exists (never created
 * for a question), else by a GET.
 */
static int
resolve_body(struct puller *c, struct plan *p, struct reg_manifest *rm,
    struct manifest *m)
{
	int have = 0;

	if (rm->digest[0] && c->have_layout) {
		struct reg_manifest cached = REG_MANIFEST_INIT;

		if ((have = root_from_cache(c, rm->digest, rm->size,
		    &cached) == 0)) {
			buf_release(&rm->body);
			rm->body = cached.body;
			cached.body = (struct buf)BUF_INIT;
		}
		reg_manifest_release(&cached);
	}
	if (!have && registry_get_manifest(p->reg, p->r.path,
	    rm->digest[0] ? rm->digest : p->repo_ref, rm) == -1)
		return root_failed();
	if (manifest_parse(m, rm->body.data, rm->body.len, rm->media_type,
	    NULL, p->name) == -1)
		return -1;
	rm->size = rm->body.len;
	return 0;
}

/*
 * A single image asked for an explicit platform: its config decides, the
 * same way for --resolve and --manifest as for a pull. *plat may be NULL.
 */
static int
resolve_single(struct puller *c, struct plan *p, const struct manifest *m,
    json_t **plat)
{
	json_t *cd = json_object_get(m->json, "config"), *pj = NULL;
	struct buf cfg = BUF_INIT;
	int rc = -1;

	if (check_single(c) == 0 && registry_get_blob_mem(p->reg, p->r.path,
	    desc_digest(cd), desc_size(cd), JSONIO_MAX_DOC, &cfg) == 0 &&
	    check_config_platform(c, cfg.data, cfg.len, &pj) == 0)
		rc = 0;
	if (rc == 0 && plat != NULL)
		*plat = pj;
	else
		json_decref(pj);
	buf_release(&cfg);
	return rc;
}

static int
resolve(struct puller *c, struct plan *p)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest m = MANIFEST_INIT;
	json_t *extra, *plat = NULL;
	int rc = -1, kind, platformed = c->explicit_plat && !c->all;

	if ((p->reg = regpool_get(c->pool, p->r.domain)) == NULL)
		return -1;
	if (registry_head_manifest(p->reg, p->r.path, p->repo_ref, &rm) == -1) {
		root_failed();
		goto out;
	}
	kind = manifest_kind(rm.media_type);
	/* without a digest, or for an index, the bytes are needed */
	if (!rm.digest[0] || rm.size < 0 || kind != MT_KIND_MANIFEST ||
	    platformed) {
		if (resolve_body(c, p, &rm, &m) == -1)
			goto out;
		kind = m.kind;
	}
	p->root = desc_new(m.media_type ? m.media_type : rm.media_type,
	    rm.digest, rm.size);
	p->records = json_array();
	if (kind == MT_KIND_INDEX) {
		extra = json_array();
		rc = puller_select(c, m.json, NULL, p->records, extra);
		json_decref(extra);
	} else if (platformed) {
		if ((rc = resolve_single(c, p, &m, &plat)) == 0)
			json_object_set_new(p->root, "platform", plat);
	} else
		rc = 0;
out:
	manifest_release(&m);
	reg_manifest_release(&rm);
	return rc;
}

/* the exact bytes of the child an index holds for the one platform */
static int
manifest_child(struct puller *c, struct plan *p, const struct manifest *m,
    struct reg_manifest *rm)
{
	json_t *chosen = json_array(), *extra = json_array();
	const json_t *d;
	int rc = -1;

	if (c->nplat > 1)
		err_usage("--manifest takes one --platform");
	else if (puller_select(c, m->json, NULL, chosen, extra) == 0) {
		d = json_array_get(chosen, 0);
		reg_manifest_release(rm);
		*rm = (struct reg_manifest)REG_MANIFEST_INIT;
		rc = registry_get_manifest(p->reg, p->r.path, desc_digest(d),
		    rm);
		if (rc == 0 && (int64_t)rm->body.len != desc_size(d))
			rc = err_set(EIO, "manifest '%s' does not match its "
			    "descriptor size", desc_digest(d));
	}
	json_decref(chosen);
	json_decref(extra);
	return rc;
}

static int
get_manifest(struct puller *c, struct plan *p, struct buf *out)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest m = MANIFEST_INIT;
	int rc = -1;

	if ((p->reg = regpool_get(c->pool, p->r.domain)) == NULL)
		return -1;
	if (registry_get_manifest(p->reg, p->r.path, p->repo_ref, &rm) == -1) {
		root_failed();
		goto out;
	}
	if (manifest_parse(&m, rm.body.data, rm.body.len, rm.media_type, NULL,
	    p->name) == -1)
		goto out;
	if (c->explicit_plat && !c->all && (m.kind == MT_KIND_INDEX ?
	    manifest_child(c, p, &m, &rm) : resolve_single(c, p, &m,
	    NULL)) == -1)
		goto out;
	buf_add(out, rm.body.data, rm.body.len);
	rc = 0;
out:
	manifest_release(&m);
	reg_manifest_release(&rm);
	return rc;
}

/* ---- the interface ---- */

struct puller *
puller_new(const struct pull_opts *o)
{
	struct puller *c = xcalloc(1, sizeof(*c));

	c->l = (struct layout)LAYOUT_INIT;
	memcpy(c->plats, o->plats, sizeof(c->plats));
	c->nplat = o->nplat;
	c->explicit_plat = o->nplat > 0;
	if (c->nplat == 0) {
		platform_host(&c->plats[0]);
		c->nplat = 1;
	}
	c->all = o->all;
	c->pull = o->pull;
	c->cache = o->cache;
	c->pool = o->pool;
	c->log = o->log;
	c->log_arg = o->log_arg;
	return c;
}

static int
fetch(struct puller *c, struct plan *p, struct pull_result *res)
{
	int rc;

	if (open_cache(c, LAYOUT_CREATE) == -1)
		return -1;
	if (!c->pull && (rc = puller_cached(c, p->name, res)) != 0) {
		if (rc == 1)
			say(c, 1, "'%s': in the cache", p->name);
		return rc == 1 ? 0 : -1;
	}
	if (pull(c, p) == -1 || record_names(c, p) == -1)
		return -1;
	res->root = p->root;
	res->records = p->records;
	p->root = p->records = NULL;
	return 0;
}

int
puller_run(struct puller *c, enum pull_mode mode, const char *name,
    struct pull_result *res)
{
	struct plan p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	*res = (struct pull_result)PULL_RESULT_INIT;
	if (ref_parse(&p.r, name) == -1)
		return -1;
	if (!p.r.tag && !p.r.digest) {
		ref_release(&p.r);
		return err_set(EINVAL, "'%s' names no tag or digest", name);
	}
	p.name = name;
	p.c = c;
	p.repo_ref = xstrdup(p.r.digest ? p.r.digest : p.r.tag);
	switch (mode) {
	case PULL_MANIFEST:
		rc = get_manifest(c, &p, &res->manifest);
		break;
	case PULL_RESOLVE:
		/* a named cache that exists spares fetching manifests */
		if (c->cache != NULL && open_cache(c, 0) == -1)
			err_clear();
		if ((rc = resolve(c, &p)) == 0) {
			res->root = p.root;
			res->records = p.records;
			p.root = p.records = NULL;
		}
		break;
	case PULL_FETCH:
		rc = fetch(c, &p, res);
		break;
	case PULL_CACHED:
		if ((rc = puller_cached(c, name, res)) == 0)
			err_notfound("not in the cache for the requested "
			    "platforms");
		rc = rc == 1 ? 0 : -1;
		break;
	}
	if (rc == 0 && res->records == NULL && mode != PULL_MANIFEST)
		res->records = json_array();
	registry_fetch_free(p.fetch);
	json_decref(p.root);
	json_decref(p.records);
	json_decref(p.seen);
	ref_release(&p.r);
	free(p.repo_ref);
	return rc;
}

void
pull_result_release(struct pull_result *res)
{
	json_decref(res->root);
	json_decref(res->records);
	buf_release(&res->manifest);
	*res = (struct pull_result)PULL_RESULT_INIT;
}

void
puller_free(struct puller *c)
{
	if (!c)
		return;
	if (c->have_layout)
		layout_close(&c->l);
	free(c);
}
