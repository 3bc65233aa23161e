/* lib/push.c - push names of the cache to registries: plan, blobs, tags */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "desc.h"
#include "err.h"
#include "jsonio.h"
#include "push.h"
#include "platform.h"
#include "ref.h"
#include "upload.h"

struct pusher {
	struct push_opts o;
	char		*name;		/* the loaded name */
	json_t		*root;		/* its root descriptor, names dropped */
	struct buf	 scratch;
	/* where blobs already went in this run, for cross-repo mounts */
	json_t		*pushed;	/* {"domain": {"digest": "repo"}} */
};

static void
say(struct pusher *p, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
say(struct pusher *p, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!p->o.log)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->o.log(p->o.arg, level, msg);
}

struct pusher *
pusher_new(const struct push_opts *o)
{
	struct pusher *p = xcalloc(1, sizeof(*p));

	p->o = *o;
	p->scratch = (struct buf)BUF_INIT;
	p->pushed = json_object();
	return p;
}

void
pusher_free(struct pusher *p)
{
	if (!p)
		return;
	free(p->name);
	json_decref(p->root);
	json_decref(p->pushed);
	buf_release(&p->scratch);
	free(p);
}

int
pusher_load(struct pusher *p, const char *name)
{
	json_t *d;

	if (layout_resolve(p->o.cache, name, &d) == -1)
		return err_kind() == ERR_NOTFOUND ?
		    err_notfound("not in the cache") : -1;
	free(p->name);
	p->name = xstrdup(name);
	json_decref(p->root);
	/* the record of a destination carries no cache name */
	json_object_del(d, "annotations");
	p->root = d;
	return 0;
}

/* a manifest of the cache, parsed; its bytes stay in out */
static int
read_manifest(struct layout *l, const json_t *desc, struct buf *out,
    struct manifest *m)
{
	if (layout_blob_read(l, desc_digest(desc), JSONIO_MAX_DOC, out) == -1)
		return -1;
	return manifest_parse(m, out->data, out->len, NULL,
	    desc_media_type(desc), desc_digest(desc));
}

/* are a manifest's config and layers all in the cache? */
static int
blobs_local(struct layout *l, const json_t *kids)
{
	const json_t *k;
	size_t i;

	json_array_foreach(kids, i, k)
		if (!layout_blob_has(l, desc_digest(k), desc_size(k)))
			return 0;
	return 1;
}

/* ---- the plan: what the cache can send ---- */

static void
plan_blobs(struct push_plan *pl, json_t *seen, const json_t *kids)
{
	const json_t *k;
	size_t i;

	json_array_foreach(kids, i, k) {
		if (json_object_get(seen, desc_digest(k)))
			continue;
		json_object_set_new(seen, desc_digest(k), json_true());
		json_array_append(pl->blobs, (json_t *)k);
	}
}

static int plan_index(struct layout *l, const json_t *kids,
    struct push_plan *pl, json_t *seen, struct buf *b, int depth);

/* one child of an index: a manifest, partial, absent, or an index */
static int
plan_child(struct layout *l, const json_t *k, struct push_plan *pl,
    json_t *seen, struct buf *b, int depth)
{
	struct manifest m = MANIFEST_INIT;
	json_t *kids;
	int rc = 0;

	if (!layout_blob_has(l, desc_digest(k), desc_size(k))) {
		json_array_append(pl->absent, (json_t *)k);
		return 0;
	}
	if (read_manifest(l, k, b, &m) == -1)
		return -1;
	kids = manifest_children(&m);
	if (m.kind == MT_KIND_INDEX)
		rc = plan_index(l, kids, pl, seen, b, depth + 1);
	else if (!blobs_local(l, kids)) {
		json_array_append(pl->partial, (json_t *)k);
		goto out;
	} else
		plan_blobs(pl, seen, kids);
	if (rc == 0)
		json_array_append(pl->manifests, (json_t *)k);
out:
	json_decref(kids);
	manifest_release(&m);
	return rc;
}

static int
plan_index(struct layout *l, const json_t *kids, struct push_plan *pl,
    json_t *seen, struct buf *b, int depth)
{
	const json_t *k;
	size_t i;

	if (depth > PUSH_MAX_DEPTH)
		return err_set(EINVAL, "indexes nested more than %d deep",
		    PUSH_MAX_DEPTH);
	json_array_foreach(kids, i, k)
		if (plan_child(l, k, pl, seen, b, depth) == -1)
			return -1;
	return 0;
}

int
push_plan(struct layout *l, const struct manifest *root, struct push_plan *pl)
{
	struct buf b = BUF_INIT;
	json_t *kids = manifest_children(root), *seen = json_object();
	int rc = 0;

	pl->blobs = json_array();
	pl->manifests = json_array();
	pl->partial = json_array();
	pl->absent = json_array();
	if (root->kind == MT_KIND_INDEX)
		rc = plan_index(l, kids, pl, seen, &b, 1);
	else
		plan_blobs(pl, seen, kids);
	json_decref(kids);
	json_decref(seen);
	buf_release(&b);
	return rc;
}

void
push_plan_release(struct push_plan *pl)
{
	json_decref(pl->blobs);
	json_decref(pl->manifests);
	json_decref(pl->partial);
	json_decref(pl->absent);
	*pl = (struct push_plan)PUSH_PLAN_INIT;
}

/* ---- asking the registry ---- */

/* 1 when the registry has the manifest, 0 when not, -1 on error */
static int
remote_has(struct registry *reg, const struct ref *dest, const json_t *desc)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	int r = registry_head_manifest(reg, dest->path, desc_digest(desc), &rm);

	reg_manifest_release(&rm);
	if (r == 0)
		return 1;
	return err_kind() == ERR_NOTFOUND ? 0 : -1;
}

/*
 * Does the registry have a tag, and at which digest? 1 (digest in out), 0
 * when absent, -1 on error.
 */
static int
remote_tag(struct registry *reg, const struct ref *dest, const char *tag,
    char out[DIGEST_MAX])
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	int rc;

	out[0] = '\0';
	rc = registry_head_manifest(reg, dest->path, tag, &rm);
	if (rc == 0) {
		snprintf(out, DIGEST_MAX, "%s", rm.digest);
		rc = 1;
	} else if (err_kind() == ERR_NOTFOUND) {
		rc = 0;
	}
	reg_manifest_release(&rm);
	return rc;
}

/*
 * The children the cache cannot send alone: an absent one must be in
 * the registry; a partial one is left alone when the registry has it
 * (after oci-index-merge --arch-tags --remote), else it goes up with the
 * rest and the registry must have the blobs the cache lacks.
 */
static int
settle(struct pusher *p, struct registry *reg, const struct ref *dest,
    struct push_plan *pl)
{
	struct manifest m = MANIFEST_INIT;
	json_t *k, *kids;
	size_t i;
	int r;

	json_array_foreach(pl->absent, i, k)
		if ((r = remote_has(reg, dest, k)) != 1)
			return r == -1 ? -1 : err_notfound("manifest '%s' is "
			    "neither in the cache nor in the registry",
			    desc_digest(k));
	json_array_foreach(pl->partial, i, k) {
		if ((r = remote_has(reg, dest, k)) == -1)
			return -1;
		if (r == 1)
			continue;
		if (read_manifest(p->o.cache, k, &p->scratch, &m) == -1)
			return -1;
		kids = manifest_children(&m);
		json_array_extend(pl->blobs, kids);
		json_decref(kids);
		manifest_release(&m);
		/* an image manifest: before every index */
		json_array_insert(pl->manifests, 0, k);
	}
	return 0;
}

/* ---- sending ---- */

/* the repository to mount a blob from, if any */
static const char *
mount_source(struct pusher *p, const struct ref *dest, const char *digest)
{
	const char *known = json_string_value(json_object_get(json_object_get(
	    p->pushed, dest->domain), digest));

	if (known && strcmp(known, dest->path) != 0)
		return known;
	return p->o.mount_from;
}

static void
remember(struct pusher *p, const struct ref *dest, const json_t *blobs)
{
	json_t *d = json_object_get(p->pushed, dest->domain), *b;
	size_t i;

	if (!d) {
		d = json_object();
		json_object_set_new(p->pushed, dest->domain, d);
	}
	json_array_foreach(blobs, i, b)
		json_object_set_new(d, desc_digest(b), json_string(dest->path));
}

static int
send_blobs(struct pusher *p, struct registry *reg, const struct ref *dest,
    const char *destname, const json_t *blobs)
{
	struct uploads *up = upload_new(reg, p->o.cache);
	struct upload_stats st;
	const json_t *b;
	size_t i;
	int rc = 0;

	json_array_foreach(blobs, i, b)
		if ((rc = upload_add(up, dest->path, desc_digest(b),
		    desc_size(b), mount_source(p, dest, desc_digest(b)))) == -1)
			break;
	if (rc == 0 && (rc = upload_run(up, &st)) == 0)
		say(p, 1, "'%s': %u blobs uploaded (%lld bytes), %u mounted, "
		    "%u present", destname, st.uploaded, (long long)st.bytes,
		    st.mounted, st.present);
	upload_free(up);
	return rc;
}

/* PUT a manifest of the cache under tag, or under its digest */
static int
put_manifest(struct pusher *p, struct registry *reg, const struct ref *dest,
    const json_t *desc, const char *tag)
{
	if (layout_blob_read(p->o.cache, desc_digest(desc), JSONIO_MAX_DOC,
	    &p->scratch) == -1)
		return -1;
	return upload_manifest(reg, dest->path, tag ? tag : desc_digest(desc),
	    desc_media_type(desc), p->scratch.data, p->scratch.len,
	    desc_digest(desc));
}

/* blobs, then child manifests, then the root under the tag */
static int
send_all(struct pusher *p, struct registry *reg, const struct ref *dest,
    const char *destname, struct push_plan *pl)
{
	const json_t *d;
	size_t i;

	if (settle(p, reg, dest, pl) == -1 ||
	    send_blobs(p, reg, dest, destname, pl->blobs) == -1)
		return -1;
	json_array_foreach(pl->manifests, i, d)
		if (put_manifest(p, reg, dest, d, NULL) == -1)
			return -1;
	return put_manifest(p, reg, dest, p->root, dest->tag);
}

static int
emit(struct pusher *p, const char *ref, const json_t *desc)
{
	if (p->o.record && p->o.record(p->o.arg, ref, desc) == -1)
		return -1;
	return 0;
}

/* ---- arch tags ---- */

int
push_arch_tags(struct layout *l, const json_t *index, const char *tag,
    json_t *out)
{
	const json_t *d, *pl;
	char *t;
	size_t i;

	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		pl = json_object_get(d, "platform");
		if (!platform_is_real(pl) ||
		    manifest_kind(desc_media_type(d)) != MT_KIND_MANIFEST ||
		    !layout_blob_has(l, desc_digest(d), desc_size(d)))
			continue;
		t = xasprintf("%s-%s", tag, jsonio_str(pl, "architecture"));
		json_array_append_new(out, json_pack("{s:s,s:O}", "tag", t,
		    "desc", d));
		free(t);
	}
	return 0;
}

/* "domain/path:tag" */
static char *
full_name(const struct ref *dest, const char *tag)
{
	return xasprintf("%s/%s:%s", dest->domain, dest->path, tag);
}

/* the cache names an arch tag too (oci-put(1)) */
static int
name_arch_tag(struct pusher *p, const char *full, json_t *d)
{
	json_t *had;

	if (layout_resolve(p->o.cache, full, &had) == 0) {
		json_decref(had);
		return 0;
	}
	return layout_set_refs(p->o.cache, 1, &full, &d);
}

static int
push_arch_tag(struct pusher *p, struct registry *reg, const struct ref *dest,
    const char *tag, json_t *d)
{
	char have[DIGEST_MAX], *full = full_name(dest, tag);
	int r, rc = -1;

	if ((r = remote_tag(reg, dest, tag, have)) == -1)
		goto out;
	if (r == 1 && p->o.no_override) {
		say(p, 1, "'%s' already exists in the registry; leaving it",
		    full);
		rc = 0;
		goto out;
	}
	if (!(r == 1 && strcmp(have, desc_digest(d)) == 0) &&
	    put_manifest(p, reg, dest, d, tag) == -1)
		goto out;
	if (name_arch_tag(p, full, d) == 0 && emit(p, full, d) == 0)
		rc = 0;
out:
	if (rc == -1)
		say(p, 0, "cannot push '%s': %s", full, err_msg());
	free(full);
	return rc;
}

static int
arch_tags(struct pusher *p, struct registry *reg, const struct ref *dest)
{
	struct manifest m = MANIFEST_INIT;
	json_t *sel = json_array(), *t;
	size_t i, failed = 0;
	int rc = -1;

	if (manifest_kind(desc_media_type(p->root)) != MT_KIND_INDEX) {
		rc = 0;
		goto out;
	}
	if (read_manifest(p->o.cache, p->root, &p->scratch, &m) == -1 ||
	    push_arch_tags(p->o.cache, m.json, dest->tag, sel) == -1) {
		err_wrap("arch tags");
		goto out;
	}
	json_array_foreach(sel, i, t)
		if (push_arch_tag(p, reg, dest, jsonio_str(t, "tag"),
		    json_object_get(t, "desc")) == -1)
			failed++;
	rc = failed ? err_set(EIO, "%zu of %zu arch tags not pushed", failed,
	    json_array_size(sel)) : 0;
out:
	manifest_release(&m);
	json_decref(sel);
	return rc;
}

/* ---- one destination ---- */

/* the root as the cache holds it, and what it needs sent */
static int
plan_root(struct pusher *p, struct push_plan *pl)
{
	struct manifest m = MANIFEST_INIT;
	int rc;

	if (!layout_blob_has(p->o.cache, desc_digest(p->root),
	    desc_size(p->root)))
		return err_notfound("'%s' is not in the cache",
		    desc_digest(p->root));
	if (read_manifest(p->o.cache, p->root, &p->scratch, &m) == -1)
		return -1;
	rc = push_plan(p->o.cache, &m, pl);
	manifest_release(&m);
	return rc;
}

static int
push_to(struct pusher *p, struct registry *reg, const struct ref *dest,
    const char *destname)
{
	struct push_plan pl = PUSH_PLAN_INIT;
	char have[DIGEST_MAX];
	int r, rc = -1;

	if ((r = remote_tag(reg, dest, dest->tag, have)) == -1)
		return -1;
	if (r == 1 && p->o.no_override) {
		say(p, 0, "'%s' already exists in the registry; leaving it",
		    destname);
		return 0;
	}
	if (plan_root(p, &pl) == -1)
		goto out;
	if (r == 1 && strcmp(have, desc_digest(p->root)) == 0)
		say(p, 1, "'%s' is already in the registry", destname);
	else if (send_all(p, reg, dest, destname, &pl) == -1)
		goto out;
	if (emit(p, destname, p->root) == -1)
		goto out;
	/* later destinations on this registry can mount what went up here */
	remember(p, dest, pl.blobs);
	rc = p->o.arch_tags ? arch_tags(p, reg, dest) : 0;
out:
	push_plan_release(&pl);
	return rc;
}

int
pusher_run(struct pusher *p, const char *destname)
{
	struct ref dest = REF_INIT;
	struct registry *reg;
	int rc = -1;

	if (!p->root)
		return err_usage("nothing loaded to push");
	if (!destname)
		destname = p->name;
	if (ref_parse(&dest, destname) == -1)
		return -1;
	if (!dest.tag || dest.digest)
		rc = err_usage("a destination needs a tag");
	else if ((reg = regpool_get(p->o.pool, dest.domain)))
		rc = push_to(p, reg, &dest, destname);
	ref_release(&dest);
	return rc;
}
