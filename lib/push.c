/* lib/push.c - push names of the cache to registries: plan, blobs, tags */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "desc.h"
#include "err.h"
#include "jsonio.h"
#include "multiarch.h"
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
	char		*mount;		/* --mount-from's repository, this dest */
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
	free(p->mount);
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
	return p->mount;
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

/* what the tag will name: the cache's root, or its merge with the registry's */
struct root {
	json_t		*desc;
	struct buf	 bytes;
	struct manifest	 m;
	int		 stands;	/* the registry's index lists it all */
};
#define ROOT_INIT { NULL, BUF_INIT, MANIFEST_INIT, 0 }

static void
root_release(struct root *rt)
{
	json_decref(rt->desc);
	buf_release(&rt->bytes);
	manifest_release(&rt->m);
}

static int
load_root(struct pusher *p, struct root *rt)
{
	if (!layout_blob_has(p->o.cache, desc_digest(p->root),
	    desc_size(p->root)))
		return err_notfound("'%s' is not in the cache",
		    desc_digest(p->root));
	rt->desc = json_incref(p->root);
	return read_manifest(p->o.cache, p->root, &rt->bytes, &rt->m);
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
    const char *destname, struct push_plan *pl, const struct root *rt)
{
	const json_t *d;
	size_t i;

	if (settle(p, reg, dest, pl) == -1 ||
	    send_blobs(p, reg, dest, destname, pl->blobs) == -1)
		return -1;
	json_array_foreach(pl->manifests, i, d)
		if (put_manifest(p, reg, dest, d, NULL) == -1)
			return -1;
	return upload_manifest(reg, dest->path, dest->tag,
	    desc_media_type(rt->desc), rt->bytes.data, rt->bytes.len,
	    desc_digest(rt->desc));
}

int
push_merge_remote(const json_t *local, const json_t *remote, struct buf *out)
{
	json_t *m;
	int unchanged;

	m = multiarch_merge_remote(json_object_get(local, "manifests"),
	    json_object_get(remote, "manifests"), &unchanged);
	if (unchanged)
		return 1;
	multiarch_dump(m, out);
	json_decref(m);
	return 0;
}

/* the merged index replaces the cache's as what the tag will name */
static int
take_merged(struct root *rt, const struct buf *merged)
{
	char digest[DIGEST_MAX];

	digest_buf(DIGEST_SHA256, merged->data, merged->len, digest);
	manifest_release(&rt->m);
	buf_reset(&rt->bytes);
	buf_add(&rt->bytes, merged->data, merged->len);
	json_decref(rt->desc);
	rt->desc = desc_new(MT_OCI_INDEX, digest, (int64_t)merged->len);
	return manifest_parse(&rt->m, rt->bytes.data, rt->bytes.len, NULL,
	    MT_OCI_INDEX, digest);
}

/*
 * A local index pushed over an index of the registry merges with it,
 * local entries first (oci-put(1)), so that the platforms other machines
 * pushed stay. An image under the tag is simply replaced.
 */
static int
merge_root(struct registry *reg, const struct ref *dest, struct root *rt)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest remote = MANIFEST_INIT;
	struct buf merged = BUF_INIT;
	int rc = -1;

	if (registry_get_manifest(reg, dest->path, dest->tag, &rm) == -1) {
		rc = err_kind() == ERR_NOTFOUND ? 0 : -1;
		goto out;
	}
	if (manifest_parse(&remote, rm.body.data, rm.body.len, rm.media_type,
	    NULL, "the registry's index") == -1)
		goto out;
	if (remote.kind != MT_KIND_INDEX)
		rc = 0;
	else if (push_merge_remote(rt->m.json, remote.json, &merged) == 0)
		rc = take_merged(rt, &merged);
	else {
		rt->stands = 1;
		json_decref(rt->desc);
		rt->desc = desc_new(remote.media_type, rm.digest,
		    (int64_t)rm.body.len);
		rc = 0;
	}
out:
	buf_release(&merged);
	manifest_release(&remote);
	reg_manifest_release(&rm);
	return rc;
}

static int
emit(struct pusher *p, const char *ref, const json_t *desc)
{
	if (p->o.record && p->o.record(p->o.arg, ref, desc) == -1)
		return -1;
	return 0;
}

/* ---- arch tags ---- */

/* an image manifest whose config and layers are all in the cache */
static int
whole(struct layout *l, const json_t *d, struct buf *b)
{
	struct manifest m = MANIFEST_INIT;
	json_t *kids;
	int r;

	if (!layout_blob_has(l, desc_digest(d), desc_size(d)) ||
	    read_manifest(l, d, b, &m) == -1)
		return 0;
	kids = manifest_children(&m);
	r = m.kind == MT_KIND_MANIFEST && blobs_local(l, kids);
	json_decref(kids);
	manifest_release(&m);
	return r;
}

int
push_arch_tags(struct layout *l, const json_t *index, const char *tag,
    json_t *out)
{
	struct buf b = BUF_INIT;
	const json_t *d, *pl, *list = json_object_get(index, "manifests");
	char *t, what[64];
	size_t i;
	int rc = 0;

	/* the index is input like any other: refuse it whole, first */
	json_array_foreach(list, i, d) {
		snprintf(what, sizeof(what), "entry %zu", i);
		pl = json_object_get(d, "platform");
		if (pl && platform_check_json(pl) == -1)
			return err_wrap("%s", what);
	}
	json_array_foreach(list, i, d) {
		pl = json_object_get(d, "platform");
		if (!platform_is_real(pl) ||
		    manifest_kind(desc_media_type(d)) != MT_KIND_MANIFEST ||
		    !whole(l, d, &b))
			continue;
		t = xasprintf("%s-%s", tag, jsonio_str(pl, "architecture"));
		if (!ref_tag_valid(t))
			rc = err_wrap("entry %zu", i);
		else
			json_array_append_new(out, json_pack("{s:s,s:O}",
			    "tag", t, "desc", d));
		free(t);
		if (rc == -1)
			break;
	}
	buf_release(&b);
	return rc;
}

/* "domain/path:tag" */
static char *
full_name(const struct ref *dest, const char *tag)
{
	return xasprintf("%s/%s:%s", dest->domain, dest->path, tag);
}

/*
 * The cache names what a tag of the registry holds too (oci-put(1)), when
 * it has no such name yet: a local image already under that name is the
 * user's, and a push never replaces it.
 */
static int
name_locally(struct pusher *p, const char *name, json_t *d)
{
	json_t *had;

	if (layout_resolve(p->o.cache, name, &had) == 0) {
		json_decref(had);
		return 0;
	}
	if (err_kind() != ERR_NOTFOUND)
		return -1;
	return layout_set_refs(p->o.cache, 1, &name, &d);
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
	if (name_locally(p, full, d) == 0 && emit(p, full, d) == 0)
		rc = 0;
out:
	if (rc == -1)
		say(p, 0, "cannot push '%s': %s", full, err_msg());
	free(full);
	return rc;
}

/* the arch tags of the loaded index for dest, chosen before anything is sent */
static int
choose_arch_tags(struct pusher *p, const struct ref *dest, json_t **sel)
{
	struct manifest m = MANIFEST_INIT;
	int rc = 0;

	*sel = json_array();
	if (!p->o.arch_tags ||
	    manifest_kind(desc_media_type(p->root)) != MT_KIND_INDEX)
		return 0;
	if (read_manifest(p->o.cache, p->root, &p->scratch, &m) == -1 ||
	    push_arch_tags(p->o.cache, m.json, dest->tag, *sel) == -1)
		rc = err_wrap("arch tags");
	manifest_release(&m);
	return rc;
}

static int
arch_tags(struct pusher *p, struct registry *reg, const struct ref *dest,
    const json_t *sel)
{
	const json_t *t;
	size_t i, failed = 0;

	json_array_foreach(sel, i, t)
		if (push_arch_tag(p, reg, dest, jsonio_str(t, "tag"),
		    json_object_get(t, "desc")) == -1)
			failed++;
	if (failed)
		return err_set(EIO, "%zu of %zu arch tags not pushed", failed,
		    json_array_size(sel));
	return 0;
}

/* ---- one destination ---- */

/*
 * --mount-from for dest: a repository of dest's registry, or a full
 * reference, which names one only on its own registry.
 */
static int
mount_repo(struct pusher *p, const struct ref *dest, const char *destname)
{
	const char *s = p->o.mount_from, *slash;
	struct ref r = REF_INIT;
	char *full;
	size_t n;
	int rc = 0;

	free(p->mount);
	p->mount = NULL;
	if (!s)
		return 0;
	/* a first component that names a host (lib/ref.c's rule) */
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : 0;
	if (slash && (memchr(s, '.', n) || memchr(s, ':', n) ||
	    (n == 9 && memcmp(s, "localhost", 9) == 0)))
		full = xstrdup(s);
	else
		full = xasprintf("%s/%s", dest->domain, s);
	if (ref_parse(&r, full) == -1)
		rc = err_usage("--mount-from '%.200s' is not a repository", s);
	else if (strcmp(r.domain, dest->domain) != 0)
		say(p, 0, "cannot mount from '%s' into '%s': another registry; "
		    "uploading the blobs", s, destname);
	else
		p->mount = xstrdup(r.path);
	ref_release(&r);
	free(full);
	return rc;
}

static int
empty_index(const struct root *rt)
{
	return rt->m.kind == MT_KIND_INDEX &&
	    json_array_size(json_object_get(rt->m.json, "manifests")) == 0;
}

/* the registry now holds the tag: say so, and name it in the cache */
static int
pushed(struct pusher *p, const struct ref *dest, const char *destname,
    const struct root *rt, const struct push_plan *pl)
{
	if (emit(p, destname, rt->desc) == -1)
		return -1;
	if (strcmp(destname, p->name) != 0 &&
	    name_locally(p, destname, p->root) == -1)
		return -1;
	/* later destinations on this registry can mount what went up here */
	remember(p, dest, pl->blobs);
	return 0;
}

static int
push_to(struct pusher *p, struct registry *reg, const struct ref *dest,
    const char *destname)
{
	struct push_plan pl = PUSH_PLAN_INIT;
	struct root rt = ROOT_INIT;
	char have[DIGEST_MAX];
	json_t *sel = NULL;
	int r, rc = -1, current;

	if (choose_arch_tags(p, dest, &sel) == -1 ||
	    (r = remote_tag(reg, dest, dest->tag, have)) == -1)
		goto out;
	current = r == 1 && strcmp(have, desc_digest(p->root)) == 0;
	if (r == 1 && p->o.no_override) {
		say(p, 0, "'%s' already exists in the registry; leaving it",
		    destname);
		rc = current ? name_locally(p, destname, p->root) : 0;
		goto out;
	}
	if (load_root(p, &rt) == -1)
		goto out;
	if (current)
		say(p, 1, "'%s' is already in the registry", destname);
	else if (r == 1 && rt.m.kind == MT_KIND_INDEX &&
	    merge_root(reg, dest, &rt) == -1)
		goto out;
	if (empty_index(&rt)) {
		err_notfound("the index has no entries");
		goto out;
	}
	if (push_plan(p->o.cache, &rt.m, &pl) == -1 ||
	    (!current && !rt.stands &&
	    send_all(p, reg, dest, destname, &pl, &rt) == -1) ||
	    pushed(p, dest, destname, &rt, &pl) == -1)
		goto out;
	/*
	 * an index the registry already had at this digest gets no arch
	 * tags (doc/linuxkit-compat.md §10.2)
	 */
	rc = current ? 0 : arch_tags(p, reg, dest, sel);
out:
	json_decref(sel);
	push_plan_release(&pl);
	root_release(&rt);
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
	else if (mount_repo(p, &dest, destname) == 0 &&
	    (reg = regpool_get(p->o.pool, dest.domain)))
		rc = push_to(p, reg, &dest, destname);
	ref_release(&dest);
	return rc;
}
