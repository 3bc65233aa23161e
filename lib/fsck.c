/* lib/fsck.c - check the cache: every blob re-hashed, every name walked */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "digest.h"
#include "err.h"
#include "fsck.h"
#include "desc.h"
#include "jsonio.h"
#include "strv.h"

#define HASH_BLOCK	(1u << 20)
#define MAX_THREADS	16
#define MAX_FILES	(1u << 22)

/* a file of blobs/ or a temporary */
struct file {
	char		*rel;			/* relative to the cache */
	char		 digest[DIGEST_MAX];	/* "" for a temporary */
	enum digest_algo algo;
	int64_t		 size;
	time_t		 mtime;
	int		 regular;
	int		 corrupt;		/* set by the hashers */
	char		 got[DIGEST_MAX];	/* what its content hashes to */
	char		*error;			/* why it could not be read */
};

struct fsck {
	struct layout		*l;
	int			 flags;
	struct fsck_result	*res;
	struct reach		 r;
	json_t			*index;
	struct file		*blobs, *tmps;
	size_t			 nblobs, ntmps;
	size_t			*order;		/* blobs, largest first */
	size_t			 next;		/* the hashers' queue */
	pthread_mutex_t		 mu;
	time_t			 now;
};

/* ---- finding the files ---- */

static int
add_file(struct file **v, size_t *n, const char *rel, const struct stat *st)
{
	struct file *f;

	if (*n >= MAX_FILES)
		return err_set(E2BIG, "more than %u files in the cache",
		    MAX_FILES);
	if ((*n & (*n - 1)) == 0)
		*v = xrealloc(*v, (*n ? *n * 2 : 1) * sizeof(**v));
	f = &(*v)[(*n)++];
	memset(f, 0, sizeof(*f));
	f->rel = xstrdup(rel);
	f->size = st->st_size;
	f->mtime = st->st_mtime;
	f->regular = S_ISREG(st->st_mode);
	return 0;
}

/*
 * blobs/<alg>/: a name that is a digest is a blob; anything else (a
 * go-containerregistry temporary "<hex><digits>", say) is a temporary.
 * Files in dir (the cache itself, or the temporary area) are temporaries
 * when pick() says so.
 */
static int
scan(struct fsck *c, const char *dir, const char *alg,
    int (*pick)(const char *))
{
	char rel[4096], dg[DIGEST_MAX + 256];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int fd, rc = 0;

	fd = openat(c->l->dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return errno == ENOENT ? 0 :
		    err_sys(errno, "cannot open '%s/%s'", c->l->path, dir);
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_sys(errno, "cannot open '%s/%s'", c->l->path, dir);
	}
	while (rc == 0 && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
		    (pick && !pick(e->d_name)) ||
		    fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		snprintf(rel, sizeof(rel), "%s%s%s", strcmp(dir, ".") ?
		    dir : "", strcmp(dir, ".") ? "/" : "", e->d_name);
		snprintf(dg, sizeof(dg), "%s:%s", alg ? alg : "", e->d_name);
		if (alg && digest_parse(dg, NULL, NULL) == 0) {
			rc = add_file(&c->blobs, &c->nblobs, rel, &st);
			if (rc == 0) {
				struct file *f = &c->blobs[c->nblobs - 1];

				memcpy(f->digest, dg, strlen(dg) + 1);
				digest_parse(dg, &f->algo, NULL);
			}
		} else if (!S_ISDIR(st.st_mode))
			rc = add_file(&c->tmps, &c->ntmps, rel, &st);
	}
	err_clear();
	closedir(d);
	return rc;
}

/* the suite's temporaries in the cache directory itself */
static int
root_tmp(const char *name)
{
	return !strncmp(name, ".tmp-", 5) || !strcmp(name, ".index.json.tmp");
}

static int
list_files(struct fsck *c)
{
	if (scan(c, "blobs/sha256", "sha256", NULL) == -1 ||
	    scan(c, "blobs/sha512", "sha512", NULL) == -1 ||
	    scan(c, ".", NULL, root_tmp) == -1 ||
	    scan(c, CACHE_TMP, NULL, NULL) == -1)
		return -1;
	return 0;
}

/* ---- hashing, on every core ---- */

static void
hash_file(struct fsck *c, struct file *f, unsigned char *buf)
{
	struct digest d;
	char e[256];
	ssize_t n;
	int fd;

	if (!f->regular) {
		f->corrupt = 1;
		f->error = xstrdup("it is not a regular file");
		return;
	}
	fd = openat(c->l->dirfd, f->rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 || digest_init(&d, f->algo) == -1)
		goto fail;
#ifdef POSIX_FADV_SEQUENTIAL
	posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
	while ((n = read(fd, buf, HASH_BLOCK)) > 0)
		digest_update(&d, buf, n);
	if (n == -1) {
		digest_release(&d);
		goto fail;
	}
	close(fd);
	digest_final(&d, f->got);
	f->corrupt = strcmp(f->got, f->digest) != 0;
	return;
fail:
	if (strerror_r(errno, e, sizeof(e)) != 0)
		snprintf(e, sizeof(e), "error %d", errno);
	if (fd != -1)
		close(fd);
	f->corrupt = 1;
	f->error = xasprintf("cannot read it: %s", e);
}

static void *
hasher(void *arg)
{
	struct fsck *c = arg;
	unsigned char *buf = xmalloc(HASH_BLOCK);
	size_t i;

	for (;;) {
		pthread_mutex_lock(&c->mu);
		i = c->next++;
		pthread_mutex_unlock(&c->mu);
		if (i >= c->nblobs)
			break;
		hash_file(c, &c->blobs[c->order[i]], buf);
	}
	free(buf);
	return NULL;
}

static int
by_rel(const void *a, const void *b)
{
	return strcmp(((const struct file *)a)->rel,
	    ((const struct file *)b)->rel);
}

static struct fsck *sorting;

static int
larger(const void *a, const void *b)
{
	int64_t x = sorting->blobs[*(const size_t *)a].size;
	int64_t y = sorting->blobs[*(const size_t *)b].size;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* the largest blobs first, so that the cores finish together */
static void
hash_all(struct fsck *c, int threads)
{
	pthread_t tid[MAX_THREADS];
	size_t i;
	int t, started = 0;

	if (threads <= 0)
		threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (threads < 1)
		threads = 1;
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if ((size_t)threads > c->nblobs)
		threads = c->nblobs ? (int)c->nblobs : 1;
	c->order = xcalloc(c->nblobs + 1, sizeof(*c->order));
	for (i = 0; i < c->nblobs; i++)
		c->order[i] = i;
	sorting = c;
	qsort(c->order, c->nblobs, sizeof(*c->order), larger);
	pthread_mutex_init(&c->mu, NULL);
	for (t = 1; t < threads; t++)
		if (pthread_create(&tid[started], NULL, hasher, c) == 0)
			started++;
	hasher(c);
	for (t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&c->mu);
	for (i = 0; i < c->nblobs; i++) {
		c->res->nblobs++;
		c->res->bytes += c->blobs[i].size;
	}
}

/* ---- problems ---- */

static struct fsck_problem *problem(struct fsck *, const char *,
    const char *, ...) __attribute__((format(printf, 3, 4)));

static struct fsck_problem *
problem(struct fsck *c, const char *kind, const char *fmt, ...)
{
	struct fsck_result *res = c->res;
	struct fsck_problem *p;
	va_list ap;
	char msg[2048];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	res->p = xrealloc(res->p, (res->n + 1) * sizeof(*res->p));
	p = &res->p[res->n++];
	p->rec = json_object();
	json_object_set_new(p->rec, "problem", json_string(kind));
	p->msg = xstrdup(msg);
	p->fixed = 0;
	return p;
}

static void
set_str(struct fsck_problem *p, const char *k, const char *v)
{
	json_object_set_new(p->rec, k, json_string(v));
}

static void
set_int(struct fsck_problem *p, const char *k, int64_t v)
{
	json_object_set_new(p->rec, k, json_integer(v));
}

/* ---- the walk ---- */

static int
walk(struct fsck *c)
{
	json_t *d;
	size_t i;

	json_array_foreach(json_object_get(c->index, "manifests"), i, d) {
		struct fsck_problem *p;
		const char *n;

		if (reach_walk(&c->r, d, REACH_B, i) == 0)
			continue;
		if (errno == E2BIG)
			return -1;
		c->r.incomplete |= REACH_B;
		n = desc_annotation(d, ANNOT_REF_NAME);
		p = problem(c, "malformed", "root entry %zu of index.json%s%s%s "
		    "cannot be used: %s", i, n ? " ('" : "", n ? n : "",
		    n ? "')" : "", err_msg());
		set_str(p, "error", err_msg());
		json_object_set_new(p->rec, "refs", n ? json_pack("[s]", n) :
		    json_array());
	}
	return 0;
}

/* the names whose walks came to b, sorted and once each, as JSON and text */
static void
set_refs(struct fsck *c, struct fsck_problem *p, const struct reach_blob *b,
    struct buf *text)
{
	json_t *mans = json_object_get(c->index, "manifests"), *refs;
	const char **v = xcalloc(b ? b->nroots + 1 : 1, sizeof(*v));
	size_t i, n = 0;

	for (i = 0; b && i < b->nroots; i++)
		if ((v[n] = desc_annotation(json_array_get(mans, b->roots[i]),
		    ANNOT_REF_NAME)))
			n++;
	qsort(v, n, sizeof(*v), strv_cmp);
	refs = json_array();
	for (i = 0; i < n; i++) {
		if (i && !strcmp(v[i], v[i - 1]))
			continue;
		buf_addf(text, "%s'%s'", json_array_size(refs) ? ", " : "",
		    v[i]);
		json_array_append_new(refs, json_string(v[i]));
	}
	if (!n)
		buf_adds(text, "an unnamed root entry");
	json_object_set_new(p->rec, "refs", refs);
	free(v);
}

/* move a corrupt blob into the temporary area, where it can be looked at */
static int
quarantine(struct fsck *c, struct file *f, char *to, size_t n)
{
	const char *hex = strrchr(f->rel, '/') + 1;
	struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };

	snprintf(to, n, "%s/corrupt-%s-%s", CACHE_TMP,
	    f->algo == DIGEST_SHA512 ? "sha512" : "sha256", hex);
	if (mkdirat(c->l->dirfd, CACHE_TMP, 0755) == -1 && errno != EEXIST)
		return err_sys(errno, "cannot create '%s/%s'", c->l->path,
		    CACHE_TMP);
	if (renameat(c->l->dirfd, f->rel, c->l->dirfd, to) == -1)
		return err_sys(errno, "cannot move '%s'", f->rel);
	/* young again: --gc keeps it for a while for a look */
	utimensat(c->l->dirfd, to, now, AT_SYMLINK_NOFOLLOW);
	return 0;
}

/* "; what" appended to the message: the names, the action taken */
static void
say_more(struct fsck_problem *p, const char *what, const char *arg)
{
	char *msg = xasprintf("%s; %s%s%s%s", p->msg, what, arg ? " '" : "",
	    arg ? arg : "", arg ? "'" : "");

	free(p->msg);
	p->msg = msg;
}

static void
reached_by(struct fsck_problem *p, const char *names)
{
	char *msg = xasprintf("%s; reached by %s", p->msg, names);

	free(p->msg);
	p->msg = msg;
}

static void
corrupt(struct fsck *c, struct file *f)
{
	struct reach_blob *b = reach_get(&c->r, f->digest);
	struct fsck_problem *p;
	struct buf refs = BUF_INIT;
	char to[DIGEST_MAX + 64];

	p = problem(c, "corrupt", "blob '%s' is corrupt: %s%s%s", f->digest,
	    f->error ? f->error : "its content is '", f->error ? "" : f->got,
	    f->error ? "" : "'");
	set_str(p, "digest", f->digest);
	set_int(p, "size", f->size);
	set_str(p, f->error ? "error" : "content", f->error ? f->error : f->got);
	set_refs(c, p, b, &refs);
	if (b)
		reached_by(p, refs.data);
	buf_release(&refs);
	if (!(c->flags & FSCK_REPAIR))
		return;
	if (quarantine(c, f, to, sizeof(to)) == -1) {
		set_str(p, "error", err_msg());
		say_more(p, err_msg(), NULL);
		return;
	}
	set_str(p, "action", "moved");
	set_str(p, "path", to);
	say_more(p, "moved to", to);
	p->fixed = 1;
	if (b)
		b->flags &= ~REACH_PRESENT;
}

static int
young(struct fsck *c, const struct file *f)
{
	if (f->mtime <= c->now - CACHE_GRACE)
		return 0;
	c->res->young++;
	return 1;
}

/* --gc: delete rel, and say so in the problem p */
static void
collect(struct fsck *c, struct fsck_problem *p, const char *rel)
{
	if (unlinkat(c->l->dirfd, rel, 0) == -1 && errno != ENOENT) {
		err_sys(errno, "cannot remove '%s'", rel);
		set_str(p, "error", err_msg());
		say_more(p, err_msg(), NULL);
		return;
	}
	set_str(p, "action", "deleted");
	say_more(p, "deleted", NULL);
	p->fixed = 1;
}

static void
unreachable(struct fsck *c, struct file *f)
{
	struct fsck_problem *p;

	if (young(c, f))
		return;
	p = problem(c, "unreachable", "blob '%s' (%lld bytes) is reached by "
	    "no name", f->digest, (long long)f->size);
	set_str(p, "digest", f->digest);
	set_int(p, "size", f->size);
	if (!(c->flags & FSCK_GC))
		return;
	if (c->r.incomplete) {
		set_str(p, "error", "kept: a manifest that cannot be read "
		    "might reach it");
		say_more(p, "kept: a manifest that cannot be read might "
		    "reach it", NULL);
		return;
	}
	collect(c, p, f->rel);
}

static void
temporary(struct fsck *c, struct file *f)
{
	struct fsck_problem *p;

	if (young(c, f))
		return;
	p = problem(c, "temporary", "stray temporary file '%s' (%lld bytes)",
	    f->rel, (long long)f->size);
	set_str(p, "path", f->rel);
	set_int(p, "size", f->size);
	if (!(c->flags & FSCK_GC) || !f->regular)
		return;
	collect(c, p, f->rel);
}

static int
by_digest(const void *a, const void *b)
{
	return strcmp((*(struct reach_blob *const *)a)->digest,
	    (*(struct reach_blob *const *)b)->digest);
}

/* after the repairs: what names require and is absent or unreadable */
static void
names(struct fsck *c)
{
	struct reach_blob **v = xcalloc(c->r.n + 1, sizeof(*v));
	struct fsck_problem *p;
	struct buf refs = BUF_INIT;
	size_t i, n = 0;

	for (i = 0; i < c->r.cap; i++)
		if (c->r.tab[i])
			v[n++] = c->r.tab[i];
	qsort(v, n, sizeof(*v), by_digest);
	for (i = 0; i < n; i++) {
		struct reach_blob *b = v[i];
		int missing = (b->flags & REACH_REQUIRED) &&
		    !(b->flags & REACH_PRESENT);
		int wrong = (b->flags & REACH_PRESENT) && b->have != b->size;

		/* a corrupt blob was reported as such */
		if ((b->flags & REACH_CORRUPT && b->flags & REACH_PRESENT) ||
		    (!missing &&
		    !(b->flags & REACH_PRESENT && (b->flags & REACH_BAD ||
		    wrong))))
			continue;
		buf_reset(&refs);
		if (missing) {
			p = problem(c, "missing", "blob '%s' (%s) is missing",
			    b->digest, b->media_type);
		} else {
			p = problem(c, "malformed", "blob '%s' (%s) cannot be "
			    "used: %s", b->digest, b->media_type, b->why ?
			    b->why : "its size differs from its descriptor's");
			set_str(p, "error", b->why ? b->why :
			    "its size differs from its descriptor's");
		}
		set_str(p, "digest", b->digest);
		set_str(p, "mediaType", b->media_type);
		set_int(p, "size", b->size);
		set_refs(c, p, b, &refs);
		reached_by(p, refs.data);
	}
	buf_release(&refs);
	free(v);
}

static void
report(struct fsck *c)
{
	struct fsck_result *res = c->res;
	struct reach_blob *b;
	size_t i;

	for (i = 0; i < c->nblobs; i++) {
		if (!c->blobs[i].corrupt)
			continue;
		if ((b = reach_get(&c->r, c->blobs[i].digest)))
			b->flags |= REACH_CORRUPT;
		corrupt(c, &c->blobs[i]);
	}
	for (i = 0; i < c->nblobs; i++)
		if (!c->blobs[i].corrupt && !reach_get(&c->r, c->blobs[i].digest))
			unreachable(c, &c->blobs[i]);
	names(c);
	for (i = 0; i < c->ntmps; i++)
		temporary(c, &c->tmps[i]);
	for (i = 0; i < res->n; i++)
		if (!res->p[i].fixed)
			res->remaining++;
}

int
fsck_run(struct layout *l, int flags, int threads, struct fsck_result *res)
{
	struct fsck c = { .l = l, .flags = flags, .res = res };
	size_t i;
	int rc = -1, locked = 1;

	memset(res, 0, sizeof(*res));
	c.now = time(NULL);
	if (layout_lock(l) == -1)
		return -1;
	reach_init(&c.r, l, 1);
	if (layout_index_load(l, &c.index) == -1 || walk(&c) == -1 ||
	    list_files(&c) == -1)
		goto out;
	if (c.nblobs)
		qsort(c.blobs, c.nblobs, sizeof(*c.blobs), by_rel);
	if (c.ntmps)
		qsort(c.tmps, c.ntmps, sizeof(*c.tmps), by_rel);
	/* checking alone: the snapshot is taken, writers may go on */
	if (!flags) {
		layout_unlock(l);
		locked = 0;
	}
	hash_all(&c, threads);
	report(&c);
	rc = flags ? layout_sync_blobs(l) : 0;
out:
	if (locked)
		layout_unlock(l);
	for (i = 0; i < c.nblobs; i++) {
		free(c.blobs[i].rel);
		free(c.blobs[i].error);
	}
	for (i = 0; i < c.ntmps; i++)
		free(c.tmps[i].rel);
	free(c.blobs);
	free(c.tmps);
	free(c.order);
	json_decref(c.index);
	reach_release(&c.r);
	return rc;
}

void
fsck_result_release(struct fsck_result *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		json_decref(res->p[i].rec);
		free(res->p[i].msg);
	}
	free(res->p);
	memset(res, 0, sizeof(*res));
}
