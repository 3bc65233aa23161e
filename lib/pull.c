/* lib/pull.c - make references present in the cache, from registries */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

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

#define MAX_DEPTH	4	/* nested indexes */

struct puller {
	enum pull_mode	 mode;
	struct platform	 plats[PULL_MAX_PLATFORMS];
	size_t		 nplat;
	int		 explicit_plat;
	int		 all;
	int		 pull;
	int		 jobs;
	int		 debug;
	const char	*tool;
	const char	*cache;
	const char *const *insecure;
	http_log_fn	*log;
	void		*log_arg;
	struct http	*h;
	struct registry	**regs;
	size_t		 nregs;
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
	json_t		*names;		/* [name, desc] pairs for index.json */
	struct reg_fetch *fetch;	/* NULL: cache only */
	struct registry	*reg;
	int		 warm;		/* everything was present */
};

/* a warning (0) or a note (1) through the caller's hook */
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

static struct registry *
reg_for(struct puller *c, const char *domain)
{
	size_t i;

	if (c->h == NULL) {
		struct http_opts o = { .tool = c->tool,
		    .insecure = c->insecure, .max_per_host = c->jobs,
		    .debug = c->debug, .log = c->log, .log_arg = c->log_arg };

		if ((c->h = http_new(&o)) == NULL)
			return NULL;
	}
	for (i = 0; i < c->nregs; i++)
		if (strcmp(c->regs[i]->domain, domain) == 0)
			return c->regs[i];
	c->regs = xrealloc(c->regs, (c->nregs + 1) * sizeof(*c->regs));
	return c->regs[c->nregs++] = registry_new(c->h, domain, c->jobs);
}

static int
open_cache(struct puller *c)
{
	char *dir;
	int rc;

	if (c->have_layout)
		return 0;
	dir = layout_default_path(c->cache);
	rc = layout_open(&c->l, dir, LAYOUT_CREATE);
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

/* ---- choosing index entries (linuxkit-compat.md §9.4, D1) ---- */

/*
 * Fill *chosen with the entries of an index to keep: the best match for
 * each wanted platform (records), plus every entry without a real
 * platform (*extra). -1 with ENOENT naming the missing platforms.
 */
static int
select_entries(struct puller *c, const json_t *index, const char *what,
    json_t *chosen, json_t *extra)
{
	json_t *m = json_object_get(index, "manifests"), *d;
	struct buf missing = BUF_INIT;
	size_t i, k;

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
		json_t *best = NULL;
		int score = 0;

		json_array_foreach(m, i, d) {
			struct platform have;
			json_t *p = json_object_get(d, "platform");
			int s;

			if (!json_is_object(p) || !platform_is_real(p) ||
			    platform_from_json(&have, p) == -1)
				continue;
			if ((s = platform_match(&c->plats[k], &have)) > score) {
				score = s;
				best = d;
			}
		}
		if (best == NULL) {
			char pf[128];

			platform_format(&c->plats[k], pf, sizeof(pf));
			buf_addf(&missing, "%s%s", missing.len ? ", " : "", pf);
			continue;
		}
		for (i = 0; i < json_array_size(chosen); i++)
			if (json_array_get(chosen, i) == best)
				break;
		if (i == json_array_size(chosen))
			json_array_append(chosen, best);
	}
	if (missing.len > 0) {
		err_set(ENOENT, "index %s does not contain target platforms %s",
		    what, missing.data);
		buf_release(&missing);
		return -1;
	}
	return 0;
}

/* the platform of an image config, checked against the wanted one */
static int
check_config_platform(struct puller *c, const struct buf *cfg, const char *name,
    json_t **platform)
{
	struct platform have;
	char hs[128], ws[128];
	json_t *j;
	int rc = 0;

	*platform = NULL;
	if ((j = jsonio_parse(cfg->data, cfg->len, "image config")) == NULL)
		return -1;
	if (platform_from_json(&have, j) == -1) {
		json_decref(j);
		return err_set(EINVAL, "the image config has no platform");
	}
	json_decref(j);
	*platform = platform_to_json(&have);
	platform_format(&have, hs, sizeof(hs));
	platform_format(&c->plats[0], ws, sizeof(ws));
	if (!c->all && platform_match(&c->plats[0], &have) == 0) {
		if (c->explicit_plat)
			rc = err_set(ENOENT, "'%s' is a single image for %s, "
			    "not %s", name, hs, ws);
		else
			say(c, 0, "'%s' is a single image for %s, not the "
			    "host's %s", name, hs, ws);
	}
	return rc;
}

/* ---- the cache side ---- */

/* read and check a manifest blob from the cache */
static int
cached_manifest(struct puller *c, const json_t *d, struct manifest *m)
{
	struct buf b = BUF_INIT;
	int rc;

	if (!layout_blob_has(&c->l, desc_digest(d), desc_size(d)))
		return err_set(ENOENT, "not in the cache");
	if (layout_blob_read(&c->l, desc_digest(d), JSONIO_MAX_DOC, &b) == -1) {
		buf_release(&b);
		return -1;
	}
	rc = manifest_parse(m, b.data, b.len, NULL, desc_media_type(d),
	    desc_digest(d));
	buf_release(&b);
	return rc;
}

/* are a manifest or index and everything it needs in the cache? */
static int
complete(struct puller *c, const json_t *d, int depth, json_t *records)
{
	struct manifest m = MANIFEST_INIT;
	json_t *kids, *k;
	size_t i;
	int ok = 0;

	if (depth > MAX_DEPTH || cached_manifest(c, d, &m) == -1)
		return 0;
	if (m.kind == MT_KIND_INDEX) {
		json_t *chosen = json_array(), *extra = json_array();

		if (select_entries(c, m.json, desc_digest(d), chosen, extra) == 0) {
			ok = 1;
			json_array_foreach(chosen, i, k) {
				if (!complete(c, k, depth + 1, NULL))
					ok = 0;
				else if (records != NULL)
					json_array_append(records, k);
			}
			json_array_foreach(extra, i, k)
				if (!complete(c, k, depth + 1, NULL))
					ok = 0;
		}
		json_decref(chosen);
		json_decref(extra);
		goto out;
	}
	kids = manifest_children(&m);
	ok = 1;
	json_array_foreach(kids, i, k)
		if (!foreign(k) && !layout_blob_has(&c->l, desc_digest(k),
		    desc_size(k)))
			ok = 0;
	json_decref(kids);
out:
	manifest_release(&m);
	return ok;
}

/*
 * Cache first (§9.4 step 2): 1 when the name and everything the wanted
 * platforms need are present, with p->root and p->records filled.
 */
static int
warm(struct puller *c, struct plan *p)
{
	struct manifest m = MANIFEST_INIT;
	json_t *d = NULL, *records = json_array();
	int ok = 0;

	if (layout_resolve(&c->l, p->name, &d) == -1)
		goto out;
	if (!complete(c, d, 0, records))
		goto out;
	if (cached_manifest(c, d, &m) == -1)
		goto out;
	if (m.kind == MT_KIND_MANIFEST) {
		struct buf cfg = BUF_INIT;
		json_t *cd = json_object_get(m.json, "config"), *plat = NULL;

		if (c->nplat > 1 && !c->all)
			goto out_m;
		if (layout_blob_read(&c->l, desc_digest(cd), JSONIO_MAX_DOC,
		    &cfg) == -1 || check_config_platform(c, &cfg, p->name,
		    &plat) == -1) {
			buf_release(&cfg);
			json_decref(plat);
			goto out_m;
		}
		buf_release(&cfg);
		json_object_set_new(d, "platform", plat);
	}
	p->root = desc_new(desc_media_type(d), desc_digest(d), desc_size(d));
	if (json_object_get(d, "platform"))
		json_object_set(p->root, "platform",
		    json_object_get(d, "platform"));
	p->records = records;
	records = NULL;
	ok = 1;
out_m:
	manifest_release(&m);
out:
	json_decref(d);
	json_decref(records);
	return ok;
}

/* ---- the registry side ---- */

/*
 * The bytes of a manifest named by a descriptor: from the cache when
 * present, else fetched by digest and stored. Checked per §6.2.
 */
static int
get_child(struct puller *c, struct plan *p, const json_t *d, struct manifest *m,
    int store)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	const char *dg = desc_digest(d);
	int rc = -1;

	if (cached_manifest(c, d, m) == 0)
		return 0;
	if (registry_get_manifest(p->reg, p->r.path, dg, &rm) == -1)
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
	if (store && registry_fetch_put(p->fetch, p->r.path, dg, rm.body.data,
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

/* a child manifest or index and everything below it */
static int
pull_child(struct puller *c, struct plan *p, const json_t *d, int depth,
    int record)
{
	struct manifest m = MANIFEST_INIT;
	int rc = -1;

	if (depth > MAX_DEPTH)
		return err_set(EINVAL, "indexes nested too deeply");
	if (get_child(c, p, d, &m, 1) == -1)
		return -1;
	if (m.kind == MT_KIND_INDEX) {
		json_t *chosen = json_array(), *extra = json_array(), *k;
		size_t i;

		if (select_entries(c, m.json, desc_digest(d), chosen,
		    extra) == 0) {
			rc = 0;
			json_array_foreach(chosen, i, k)
				if (rc == 0 && pull_child(c, p, k, depth + 1,
				    record) == -1)
					rc = -1;
			json_array_foreach(extra, i, k)
				if (rc == 0 && pull_child(c, p, k, depth + 1,
				    0) == -1)
					rc = -1;
		}
		json_decref(chosen);
		json_decref(extra);
		manifest_release(&m);
		return rc;
	}
	rc = queue_blobs(c, p, &m);
	if (rc == 0 && record)
		json_array_append(p->records, (json_t *)d);
	manifest_release(&m);
	return rc;
}

/*
 * The root by tag: HEAD, then the cached bytes or a GET. Without a
 * cached copy of the name (cached 0) the GET is needed anyway: no HEAD.
 */
static int
get_root(struct puller *c, struct plan *p, struct reg_manifest *rm, int cached)
{
	struct reg_manifest head = REG_MANIFEST_INIT;
	int rc;

	if (p->r.digest == NULL && cached) {
		if (registry_head_manifest(p->reg, p->r.path, p->repo_ref,
		    &head) == -1)
			return -1;
		if (cached && head.digest[0] && layout_blob_has(&c->l,
		    head.digest, head.size) && layout_blob_read(&c->l,
		    head.digest, JSONIO_MAX_DOC, &rm->body) == 0) {
			memcpy(rm->digest, head.digest, sizeof(rm->digest));
			rm->media_type = head.media_type;
			head.media_type = NULL;
			rm->size = rm->body.len;
			reg_manifest_release(&head);
			return 0;
		}
		reg_manifest_release(&head);
	} else if (cached && layout_blob_has(&c->l, p->r.digest, -1) &&
	    layout_blob_read(&c->l, p->r.digest, JSONIO_MAX_DOC,
	    &rm->body) == 0) {
		snprintf(rm->digest, sizeof(rm->digest), "%s", p->r.digest);
		rm->size = rm->body.len;
		return 0;
	}
	rc = registry_get_manifest(p->reg, p->r.path, p->repo_ref, rm);
	return rc;
}

static int
pull(struct puller *c, struct plan *p)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest m = MANIFEST_INIT;
	size_t nblobs = 0, i;
	int64_t bytes = 0;
	json_t *k;
	int rc = -1;

	if ((p->reg = reg_for(c, p->r.domain)) == NULL)
		return -1;
	p->fetch = registry_fetch_new(p->reg, &c->l);
	k = NULL;
	if (get_root(c, p, &rm, layout_resolve(&c->l, p->name, &k) == 0) ==
	    -1) {
		json_decref(k);
		goto out;
	}
	json_decref(k);
	if (manifest_parse(&m, rm.body.data, rm.body.len, rm.media_type, NULL,
	    p->name) == -1)
		goto out;
	if (!layout_blob_has(&c->l, rm.digest, rm.body.len) &&
	    registry_fetch_put(p->fetch, p->r.path, rm.digest, rm.body.data,
	    rm.body.len) == -1)
		goto out;
	p->root = desc_new(m.media_type, rm.digest, rm.body.len);
	p->records = json_array();

	if (m.kind == MT_KIND_INDEX) {
		json_t *chosen = json_array(), *extra = json_array();

		rc = select_entries(c, m.json, p->name, chosen, extra);
		json_array_foreach(chosen, i, k)
			if (rc == 0 && pull_child(c, p, k, 1, 1) == -1)
				rc = -1;
		json_array_foreach(extra, i, k)
			if (rc == 0 && pull_child(c, p, k, 1, 0) == -1)
				rc = -1;
		json_decref(chosen);
		json_decref(extra);
		if (rc == -1)
			goto out;
		rc = -1;
	} else {
		json_t *cd = json_object_get(m.json, "config"), *plat = NULL;
		struct buf cfg = BUF_INIT;

		if (c->nplat > 1 && !c->all) {
			err_set(EINVAL, "'%s' is a single image; it cannot "
			    "serve %zu platforms", p->name, c->nplat);
			goto out;
		}
		if (layout_blob_read(&c->l, desc_digest(cd), JSONIO_MAX_DOC,
		    &cfg) == -1 && (registry_get_blob_mem(p->reg, p->r.path,
		    desc_digest(cd), desc_size(cd), JSONIO_MAX_DOC, &cfg) == -1 ||
		    registry_fetch_put(p->fetch, p->r.path, desc_digest(cd),
		    cfg.data, cfg.len) == -1)) {
			buf_release(&cfg);
			goto out;
		}
		if (check_config_platform(c, &cfg, p->name, &plat) == -1) {
			buf_release(&cfg);
			json_decref(plat);
			err_as(ERR_FAILURE);	/* a mismatch is exit 1 */
			goto out;
		}
		buf_release(&cfg);
		json_object_set_new(p->root, "platform", plat);
		if (queue_blobs(c, p, &m) == -1)
			goto out;
	}
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

/* NAME, and NAME-<arch> for each stored platform image of a tag (§9.4) */
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
	rc = layout_set_refs(&c->l, n, names, descs);
	for (i = 0; i < no; i++)
		free(owned[i]);
	json_decref(root);
	return rc;
}

/* ---- --resolve and --manifest ---- */

static int
resolve(struct puller *c, struct plan *p)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest m = MANIFEST_INIT;
	int rc = -1, kind;

	if ((p->reg = reg_for(c, p->r.domain)) == NULL)
		return -1;
	if (registry_head_manifest(p->reg, p->r.path, p->repo_ref, &rm) == -1)
		goto out;
	kind = manifest_kind(rm.media_type);
	/* without a digest, or for an index, the bytes are needed */
	if (!rm.digest[0] || rm.size < 0 || kind != MT_KIND_MANIFEST ||
	    (c->explicit_plat && !c->all)) {
		int have = rm.digest[0] && c->have_layout &&
		    layout_blob_has(&c->l, rm.digest, rm.size);

		if (have) {
			buf_release(&rm.body);
			have = layout_blob_read(&c->l, rm.digest, JSONIO_MAX_DOC,
			    &rm.body) == 0;
		}
		if (!have && registry_get_manifest(p->reg, p->r.path,
		    rm.digest[0] ? rm.digest : p->repo_ref, &rm) == -1)
			goto out;
		if (manifest_parse(&m, rm.body.data, rm.body.len,
		    rm.media_type, NULL, p->name) == -1)
			goto out;
		rm.size = rm.body.len;
		kind = m.kind;
	}
	p->root = desc_new(m.media_type ? m.media_type : rm.media_type,
	    rm.digest, rm.size);
	p->records = json_array();
	if (kind == MT_KIND_INDEX) {
		json_t *extra = json_array();

		rc = select_entries(c, m.json, p->name, p->records, extra);
		json_decref(extra);
		goto out;
	}
	if (c->explicit_plat && !c->all) {
		json_t *cd = json_object_get(m.json, "config"), *plat = NULL;
		struct buf cfg = BUF_INIT;

		if (c->nplat > 1) {
			err_set(ENOENT, "'%s' is a single image; it cannot "
			    "serve %zu platforms", p->name, c->nplat);
			goto out;
		}
		if (registry_get_blob_mem(p->reg, p->r.path, desc_digest(cd),
		    desc_size(cd), JSONIO_MAX_DOC, &cfg) == -1 ||
		    check_config_platform(c, &cfg, p->name, &plat) == -1) {
			buf_release(&cfg);
			json_decref(plat);
			goto out;
		}
		buf_release(&cfg);
		json_object_set_new(p->root, "platform", plat);
	}
	rc = 0;
out:
	manifest_release(&m);
	reg_manifest_release(&rm);
	return rc;
}

static int
get_manifest(struct puller *c, struct plan *p, struct buf *out)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest m = MANIFEST_INIT;
	int rc = -1;

	if ((p->reg = reg_for(c, p->r.domain)) == NULL)
		return -1;
	if (registry_get_manifest(p->reg, p->r.path, p->repo_ref, &rm) == -1)
		goto out;
	if (manifest_parse(&m, rm.body.data, rm.body.len, rm.media_type, NULL,
	    p->name) == -1)
		goto out;
	if (m.kind == MT_KIND_INDEX && c->explicit_plat && !c->all) {
		json_t *chosen = json_array(), *extra = json_array();
		const json_t *d;

		if (c->nplat > 1) {
			json_decref(chosen);
			json_decref(extra);
			err_set(EINVAL, "--manifest takes one --platform");
			goto out;
		}
		if (select_entries(c, m.json, p->name, chosen, extra) == -1) {
			json_decref(chosen);
			json_decref(extra);
			goto out;
		}
		d = json_array_get(chosen, 0);
		reg_manifest_release(&rm);
		rm = (struct reg_manifest)REG_MANIFEST_INIT;
		rc = registry_get_manifest(p->reg, p->r.path, desc_digest(d),
		    &rm);
		if (rc == 0 && (int64_t)rm.body.len != desc_size(d))
			rc = err_set(EIO, "manifest '%s' does not match its "
			    "descriptor size", desc_digest(d));
		json_decref(chosen);
		json_decref(extra);
		if (rc == -1)
			goto out;
		rc = -1;
	}
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
	c->jobs = o->jobs > 0 ? o->jobs : 4;
	c->debug = o->debug;
	c->tool = o->tool ? o->tool : "ocikit";
	c->cache = o->cache;
	c->insecure = o->insecure;
	c->log = o->log;
	c->log_arg = o->log_arg;
	return c;
}

int
puller_run(struct puller *c, enum pull_mode mode, const char *name,
    struct pull_result *res)
{
	struct plan p;
	int rc = -1;

	memset(&p, 0, sizeof(p));
	*res = (struct pull_result)PULL_RESULT_INIT;
	c->mode = mode;
	if (ref_parse(&p.r, name) == -1)
		return -1;
	if (!p.r.tag && !p.r.digest) {
		ref_release(&p.r);
		return err_set(EINVAL, "'%s' names no tag or digest", name);
	}
	p.name = name;
	p.repo_ref = xstrdup(p.r.digest ? p.r.digest : p.r.tag);
	switch (mode) {
	case PULL_MANIFEST:
		rc = get_manifest(c, &p, &res->manifest);
		break;
	case PULL_RESOLVE:
		/* the cache, when named, spares fetching manifests it has */
		if (!c->have_layout && c->cache != NULL && open_cache(c) == -1)
			err_clear();
		rc = resolve(c, &p);
		break;
	case PULL_CACHED:
		if (open_cache(c) == -1)
			break;
		if (warm(c, &p))
			rc = 0;
		else
			err_set(ENOENT, "not in the cache for the requested "
			    "platforms");
		break;
	case PULL_FETCH:
		if (open_cache(c) == -1)
			break;
		if (!c->pull && warm(c, &p)) {
			say(c, 1, "'%s': in the cache", p.name);
			res->warm = 1;
			rc = 0;
			break;
		}
		json_decref(p.root);
		json_decref(p.records);
		p.root = p.records = NULL;
		rc = pull(c, &p);
		if (rc == 0)
			rc = record_names(c, &p);
		break;
	}
	if (rc == 0) {
		res->root = p.root;
		res->records = p.records ? p.records : json_array();
		p.root = p.records = NULL;
	}
	registry_fetch_free(p.fetch);
	json_decref(p.root);
	json_decref(p.records);
	json_decref(p.names);
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
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nregs; i++)
		registry_free(c->regs[i]);
	free(c->regs);
	http_free(c->h);
	if (c->have_layout)
		layout_close(&c->l);
	free(c);
}
