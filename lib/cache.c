/* lib/cache.c - what names reach: listing, removal, the writers' check */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "err.h"
#include "desc.h"
#include "jsonio.h"
#include "manifest.h"
#include "platform.h"
#include "ref.h"

/* ---- the set of blobs, by digest ---- */

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211u;
	return h;
}

static struct reach_blob **
slot(struct reach_blob **tab, size_t cap, const char *digest)
{
	size_t i = hash(digest) & (cap - 1);

	while (tab[i] && strcmp(tab[i]->digest, digest) != 0)
		i = (i + 1) & (cap - 1);
	return &tab[i];
}

struct reach_blob *
reach_get(const struct reach *r, const char *digest)
{
	return r->cap ? *slot(r->tab, r->cap, digest) : NULL;
}

static struct reach_blob *
add_blob(struct reach *r, const char *digest)
{
	struct reach_blob **s, *b;
	size_t i;

	if (r->cap && (b = *slot(r->tab, r->cap, digest)))
		return b;
	if (r->n >= REACH_MAX_BLOBS) {
		err_set(E2BIG, "the cache names more than %u blobs",
		    REACH_MAX_BLOBS);
		return NULL;
	}
	if ((r->n + 1) * 10 >= r->cap * 7) {
		size_t ncap = r->cap ? r->cap * 2 : 256;
		struct reach_blob **nt = xcalloc(ncap, sizeof(*nt));

		for (i = 0; i < r->cap; i++)
			if (r->tab[i])
				*slot(nt, ncap, r->tab[i]->digest) = r->tab[i];
		free(r->tab);
		r->tab = nt;
		r->cap = ncap;
	}
	s = slot(r->tab, r->cap, digest);
	b = *s = xcalloc(1, sizeof(*b));
	snprintf(b->digest, sizeof(b->digest), "%s", digest);
	b->have = -1;
	r->n++;
	return b;
}

void
reach_init(struct reach *r, struct layout *l, int track)
{
	memset(r, 0, sizeof(*r));
	r->l = l;
	r->track = track;
}

void
reach_release(struct reach *r)
{
	size_t i;

	for (i = 0; i < r->cap; i++) {
		struct reach_blob *b = r->tab[i];

		if (!b)
			continue;
		json_decref(b->kids);
		free(b->media_type);
		free(b->why);
		free(b->roots);
		free(b);
	}
	free(r->tab);
	free(r->last);
	buf_release(&r->scratch);
	memset(r, 0, sizeof(*r));
}

/* ---- the walk ---- */

static int
foreign(const char *mt)
{
	return mt && (strstr(mt, ".foreign.") || strstr(mt, ".nondistributable."));
}

static void
blob_stat(struct reach *r, struct reach_blob *b)
{
	const char *hex;
	char rel[DIGEST_MAX + 16];
	struct stat st;

	b->flags &= ~REACH_PRESENT;
	if (digest_parse(b->digest, NULL, &hex) == -1)
		return;
	snprintf(rel, sizeof(rel), "blobs/%.*s/%s", (int)(hex - 1 - b->digest),
	    b->digest, hex);
	if (fstatat(r->l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(st.st_mode)) {
		b->flags |= REACH_PRESENT;
		b->have = st.st_size;
	}
}

static void
bad(struct reach_blob *b, const char *why)
{
	b->flags |= REACH_BAD | REACH_LOADED;
	free(b->why);
	b->why = xstrdup(why);
}

/* read an index or manifest once and keep its children */
static void
load_kids(struct reach *r, struct reach_blob *b)
{
	struct manifest m = MANIFEST_INIT;

	b->flags |= REACH_LOADED;
	if (b->have != b->size) {
		char why[128];

		snprintf(why, sizeof(why), "it has %lld bytes, its descriptor "
		    "says %lld", (long long)b->have, (long long)b->size);
		bad(b, why);
		return;
	}
	if (layout_blob_read(r->l, b->digest, JSONIO_MAX_DOC, &r->scratch) == -1 ||
	    manifest_parse(&m, r->scratch.data, r->scratch.len, NULL,
	    b->media_type, b->digest) == -1) {
		bad(b, err_msg());
		return;
	}
	/* the array holds references: it outlives the document */
	b->kids = manifest_children(&m);
	manifest_release(&m);
	if (json_array_size(b->kids) > REACH_MAX_KIDS) {
		json_decref(b->kids);
		b->kids = NULL;
		bad(b, "it has more entries than the walk allows");
	}
}

static int
remember(struct reach *r, struct reach_blob *b, size_t root)
{
	if (r->nlast == r->caplast) {
		r->caplast = r->caplast ? r->caplast * 2 : 64;
		r->last = xrealloc(r->last, r->caplast * sizeof(*r->last));
	}
	r->last[r->nlast++] = b;
	if (r->track) {
		b->roots = xrealloc(b->roots, (b->nroots + 1) *
		    sizeof(*b->roots));
		b->roots[b->nroots++] = root;
	}
	return 0;
}

static int
visit(struct reach *r, const json_t *d, unsigned colour, size_t root,
    int required, int depth)
{
	struct reach_blob *b;
	const json_t *k;
	enum mt_kind kind;
	size_t i;
	int rc = 0;

	if ((b = add_blob(r, desc_digest(d))) == NULL)
		return -1;
	if (!b->media_type) {
		b->media_type = xstrdup(desc_media_type(d));
		b->size = desc_size(d);
		blob_stat(r, b);
	}
	b->flags |= colour | (required ? REACH_REQUIRED : 0);
	if (b->gen == r->gen)
		return 0;
	b->gen = r->gen;
	remember(r, b, root);
	kind = manifest_kind(b->media_type);
	if ((kind != MT_KIND_INDEX && kind != MT_KIND_MANIFEST) ||
	    !(b->flags & REACH_PRESENT))
		return 0;
	if (!(b->flags & REACH_LOADED))
		load_kids(r, b);
	if (!(b->flags & REACH_BAD) && depth >= REACH_MAX_DEPTH)
		bad(b, "indexes are nested too deep");
	if (b->flags & REACH_BAD) {
		r->incomplete |= colour;
		return 0;
	}
	json_array_foreach(b->kids, i, k) {
		json_t *p = json_object_get(k, "platform");
		int req = !foreign(desc_media_type(k)) &&
		    !(kind == MT_KIND_INDEX && platform_is_real(p));

		if ((rc = visit(r, k, colour, root, req, depth + 1)) == -1)
			break;
	}
	return rc;
}

int
reach_walk(struct reach *r, const json_t *desc, unsigned colour, size_t root)
{
	r->gen++;
	r->nlast = 0;
	if (desc_check(desc, "a root entry of index.json") == -1)
		return -1;
	return visit(r, desc, colour, root, 1, 0);
}

struct reach_blob *
reach_last_missing(const struct reach *r)
{
	size_t i;

	for (i = 0; i < r->nlast; i++)
		if ((r->last[i]->flags & REACH_REQUIRED) &&
		    !(r->last[i]->flags & REACH_PRESENT))
			return r->last[i];
	return NULL;
}

/* ---- names ---- */

int
cache_set_refs(struct layout *l, size_t n, const char *const *names,
    json_t *const *descs)
{
	struct reach r;
	struct reach_blob *b;
	size_t i;
	int rc = 0;

	if (layout_lock(l) == -1)
		return -1;
	reach_init(&r, l, 0);
	for (i = 0; i < n && rc == 0; i++) {
		if ((rc = reach_walk(&r, descs[i], REACH_A, i)) == -1)
			break;
		if ((b = reach_last_missing(&r)))
			rc = err_set(EAGAIN, "'%s' would not resolve: blob '%s' "
			    "is no longer in the cache (removed meanwhile?)",
			    names[i], b->digest);
	}
	reach_release(&r);
	if (rc == 0)
		rc = layout_set_refs(l, n, names, descs);
	layout_unlock(l);
	return rc;
}

/* walk every root entry of index in colour; -1 only for a cap */
static int
walk_all(struct reach *r, const json_t *index, unsigned colour)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(index, "manifests"), i, d)
		if (reach_walk(r, d, colour, i) == -1) {
			if (errno == E2BIG)
				return -1;
			r->incomplete |= colour;	/* a malformed entry */
			err_clear();
		}
	return 0;
}

static int
unlink_blob(struct layout *l, const char *digest)
{
	const char *hex;
	char rel[DIGEST_MAX + 16];

	if (digest_parse(digest, NULL, &hex) == -1)
		return -1;
	snprintf(rel, sizeof(rel), "blobs/%.*s/%s", (int)(hex - 1 - digest),
	    digest, hex);
	if (unlinkat(l->dirfd, rel, 0) == -1 && errno != ENOENT)
		return err_sys(errno, "cannot remove blob '%s'", digest);
	return 0;
}

int
cache_drop_unreachable(struct layout *l, const char *digest)
{
	struct reach r;
	struct reach_blob *b;
	json_t *index = NULL;
	int rc;

	if (digest_parse(digest, NULL, NULL) == -1 || layout_lock(l) == -1)
		return -1;
	reach_init(&r, l, 0);
	if ((rc = layout_index_load(l, &index)) == 0 &&
	    (rc = walk_all(&r, index, REACH_B)) == 0) {
		b = reach_get(&r, digest);
		/* a manifest we cannot read might reach it: keep the blob */
		if (!(b && (b->flags & REACH_B)) && !(r.incomplete & REACH_B))
			rc = unlink_blob(l, digest);
	}
	json_decref(index);
	reach_release(&r);
	layout_unlock(l);
	return rc;
}

/* ---- oci-ls ---- */

static int
by_name(const void *a, const void *b)
{
	const struct cache_item *x = a, *y = b;

	if (!x->name || !y->name)
		return x->name ? -1 : y->name ? 1 :
		    strcmp(desc_digest(x->desc), desc_digest(y->desc));
	return strcmp(x->name, y->name);
}

/* "linux/amd64,linux/arm64": an index's real platforms, or the image's */
static char *
platforms(struct reach *r, const json_t *desc)
{
	struct reach_blob *b = reach_get(r, desc_digest(desc));
	struct platform p;
	struct buf out = BUF_INIT, cfg = BUF_INIT;
	const json_t *k, *pj = json_object_get(desc, "platform");
	char one[128];
	size_t i;

	if (b && b->kids && manifest_kind(b->media_type) == MT_KIND_INDEX) {
		json_array_foreach(b->kids, i, k) {
			pj = json_object_get(k, "platform");
			if (!platform_is_real(pj) ||
			    platform_from_json(&p, pj) == -1)
				continue;
			platform_format(&p, one, sizeof(one));
			if (!strstr(out.data ? out.data : "", one))
				buf_addf(&out, "%s%s", out.len ? "," : "", one);
		}
	} else if (platform_is_real(pj) && platform_from_json(&p, pj) == 0) {
		platform_format(&p, one, sizeof(one));
		buf_adds(&out, one);
	} else if (b && b->kids && (k = json_array_get(b->kids, 0)) &&
	    layout_blob_read(r->l, desc_digest(k), JSONIO_MAX_DOC, &cfg) == 0) {
		json_t *c = json_loadb(cfg.data, cfg.len, 0, NULL);

		if (c && platform_from_json(&p, c) == 0) {
			platform_format(&p, one, sizeof(one));
			buf_adds(&out, one);
		}
		json_decref(c);
	}
	buf_release(&cfg);
	err_clear();
	return out.len ? buf_detach(&out, NULL) : xstrdup("-");
}

static void
sizes(struct reach *r, struct cache_item *it)
{
	size_t i;

	it->complete = reach_walk(r, it->desc, REACH_A, 0) == 0 &&
	    !reach_last_missing(r);
	for (i = 0; i < r->nlast; i++)
		if (r->last[i]->flags & REACH_PRESENT)
			it->bytes += r->last[i]->have;
	it->platforms = platforms(r, it->desc);
	err_clear();
}

static void
add_item(struct cache_item **items, size_t *n, const char *name,
    const char *arg, const json_t *desc)
{
	struct cache_item *it;

	*items = xrealloc(*items, (*n + 1) * sizeof(**items));
	it = &(*items)[(*n)++];
	memset(it, 0, sizeof(*it));
	it->name = name ? xstrdup(name) : NULL;
	it->arg = arg ? xstrdup(arg) : NULL;
	it->desc = desc ? json_deep_copy(desc) : NULL;
}

int
cache_list(struct layout *l, size_t n, const char *const *names, int want,
    struct cache_item **items, size_t *nitems)
{
	struct reach r;
	json_t *index, *d;
	const char *name;
	char *canon;
	size_t i;

	*items = NULL;
	*nitems = 0;
	if (layout_index_load(l, &index) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		canon = ref_canonical(names[i], 0);
		d = canon ? layout_find(index, canon) : NULL;
		if (d)
			name = desc_annotation(d, ANNOT_REF_NAME);
		add_item(items, nitems, d ? name : canon, names[i], d);
		free(canon);
	}
	json_array_foreach(json_object_get(index, "manifests"), i, d) {
		name = desc_annotation(d, ANNOT_REF_NAME);
		/* the last entry of a name is the one lookups find */
		if (n == 0 && (!name || layout_find(index, name) == d))
			add_item(items, nitems, name, NULL, d);
	}
	json_decref(index);
	qsort(*items, *nitems, sizeof(**items), by_name);
	/* the same name given twice is listed once */
	for (i = 1; i < *nitems; ) {
		struct cache_item *a = &(*items)[i - 1], *b = &(*items)[i];

		if (a->desc && b->desc && a->name && b->name &&
		    !strcmp(a->name, b->name)) {
			cache_items_free(b, 1);
			memmove(b, b + 1, (*nitems - i - 1) * sizeof(*b));
			(*nitems)--;
		} else
			i++;
	}
	if (!want)
		return 0;
	reach_init(&r, l, 0);
	for (i = 0; i < *nitems; i++)
		if ((*items)[i].desc)
			sizes(&r, &(*items)[i]);
	reach_release(&r);
	return 0;
}

void
cache_items_free(struct cache_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(items[i].name);
		free(items[i].arg);
		json_decref(items[i].desc);
		free(items[i].platforms);
	}
}

/* ---- oci-rm ---- */

struct rm {
	struct layout	 *l;
	size_t		  n;
	const char *const *names;
	const char *const *expect;
	struct rm_result *res;
	struct reach	  r;
	int		  all;
};

/* the entries of the names asked for, marked in gone[]; 1 if none */
static int
pick(struct rm *a, json_t *index, char *gone)
{
	json_t *mans = json_object_get(index, "manifests"), *d;
	const char *n;
	size_t i, k;
	int any = 0;

	for (k = 0; k < a->n; k++) {
		struct rm_item *it = &a->res->items[k];

		it->arg = a->names[k];
		if ((it->name = ref_canonical(a->names[k], 0)) == NULL) {
			it->status = RM_BADNAME;
			continue;
		}
		if ((d = layout_find(index, it->name)) == NULL) {
			it->status = RM_NOTFOUND;
			continue;
		}
		free(it->name);
		it->name = xstrdup(desc_annotation(d, ANNOT_REF_NAME));
		if (a->expect && a->expect[k] &&
		    strcmp(a->expect[k], desc_digest(d)) != 0) {
			it->status = RM_CHANGED;
			continue;
		}
		it->status = RM_REMOVED;
		it->desc = json_deep_copy(d);
		/* every entry of the name: LinuxKit may have left several */
		json_array_foreach(mans, i, d)
			if ((n = desc_annotation(d, ANNOT_REF_NAME)) &&
			    strcmp(n, it->name) == 0)
				any = gone[i] = 1;
	}
	return !any;
}

static int
rm_fn(json_t *index, void *arg)
{
	struct rm *a = arg;
	json_t *mans = json_object_get(index, "manifests"), *d;
	size_t i, n = json_array_size(mans);
	char *gone = xcalloc(n + 1, 1);
	int rc = 1;

	if (a->all) {
		json_array_clear(mans);
		rc = 0;
		goto out;
	}
	if (pick(a, index, gone))
		goto out;
	rc = -1;
	json_array_foreach(mans, i, d)
		if (reach_walk(&a->r, d, gone[i] ? REACH_A : REACH_B, i) == -1) {
			if (errno == E2BIG)
				goto out;
			a->r.incomplete |= gone[i] ? REACH_A : REACH_B;
			err_clear();
		}
	for (i = n; i-- > 0; )
		if (gone[i])
			json_array_remove(mans, i);
	rc = 0;
out:
	free(gone);
	return rc;
}

/* under the lock, after index.json no longer names them */
static int
delete_doomed(struct rm *a)
{
	struct reach *r = &a->r;
	size_t i;

	/* a name whose manifest cannot be read might reach anything */
	if (r->incomplete & REACH_B) {
		a->res->kept_all = 1;
		return 0;
	}
	for (i = 0; i < r->cap; i++) {
		struct reach_blob *b = r->tab[i];

		if (!b || (b->flags & (REACH_A | REACH_B | REACH_PRESENT)) !=
		    (REACH_A | REACH_PRESENT))
			continue;
		if (unlink_blob(a->l, b->digest) == -1)
			return -1;
		a->res->blobs++;
		a->res->bytes += b->have;
	}
	return layout_sync_blobs(a->l);
}

static int
run_rm(struct rm *a)
{
	int rc;

	if (layout_lock(a->l) == -1)
		return -1;
	reach_init(&a->r, a->l, 0);
	rc = layout_update(a->l, rm_fn, a);
	if (rc == 0)
		rc = delete_doomed(a);
	reach_release(&a->r);
	layout_unlock(a->l);
	return rc;
}

int
cache_rm(struct layout *l, size_t n, const char *const *names,
    const char *const *expect, struct rm_result *res)
{
	struct rm a = { .l = l, .n = n, .names = names, .expect = expect,
	    .res = res };

	memset(res, 0, sizeof(*res));
	res->items = xcalloc(n + 1, sizeof(*res->items));
	res->n = n;
	return run_rm(&a);
}

/* remove every regular file of a directory of the cache */
static int
empty_dir(struct layout *l, const char *dir, struct rm_result *res)
{
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	if ((fd = openat(l->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return errno == ENOENT ? 0 :
		    err_sys(errno, "cannot open '%s/%s'", l->path, dir);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_sys(errno, "cannot open '%s/%s'", l->path, dir);
	}
	while (rc == 0 && (e = readdir(d))) {
		if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1 ||
		    S_ISDIR(st.st_mode))
			continue;
		if (unlinkat(fd, e->d_name, 0) == -1 && errno != ENOENT)
			rc = err_sys(errno, "cannot remove '%s/%s/%s'", l->path,
			    dir, e->d_name);
		res->blobs++;
		res->bytes += st.st_size;
	}
	if (rc == 0 && fsync(fd) == -1)
		rc = err_sys(errno, "cannot sync '%s/%s'", l->path, dir);
	closedir(d);
	return rc;
}

int
cache_clean(struct layout *l, struct rm_result *res)
{
	struct rm a = { .l = l, .res = res, .all = 1 };
	int rc;

	memset(res, 0, sizeof(*res));
	if (layout_lock(l) == -1)
		return -1;
	/* names first: a crash in between leaves an empty, valid cache */
	reach_init(&a.r, l, 0);
	rc = layout_update(l, rm_fn, &a);
	reach_release(&a.r);
	if (rc == 0)
		rc = empty_dir(l, "blobs/sha256", res);
	if (rc == 0)
		rc = empty_dir(l, "blobs/sha512", res);
	if (rc == 0)
		rc = empty_dir(l, CACHE_TMP, res);
	layout_unlock(l);
	return rc;
}

void
rm_result_release(struct rm_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		free(res->items[i].name);
		json_decref(res->items[i].desc);
	}
	free(res->items);
	memset(res, 0, sizeof(*res));
}
