/* lib/push.c - blob uploads as parallel state machines, manifest PUT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "push.h"

#define MAX_RESTARTS	3

enum step { S_HEAD, S_POST, S_PUT, S_PATCH, S_CLOSE, S_DONE };

struct upload {
	struct reg_push	*p;
	char		*repo, *mount_from;
	char		 digest[DIGEST_MAX];
	int64_t		 size;
	enum step	 step;
	char		*location;	/* the upload session's URL */
	int		 fd;		/* the blob in the cache */
	int		 reauth, restarts, mounted, present;
	long		 backoff_ms;	/* before the next request, after a restart */
	int		 failed, err;
	char		 errmsg[600];
	struct http_req	 q;
};

struct reg_push {
	struct registry	*r;
	struct layout	*l;
	struct upload	**u;
	size_t		 n, next, running;
	int64_t		 bytes;
};

static void submit(struct upload *u);

struct reg_push *
registry_push_new(struct registry *r, struct layout *l)
{
	struct reg_push *p = xcalloc(1, sizeof(*p));

	p->r = r;
	p->l = l;
	return p;
}

int
registry_push_add(struct reg_push *p, const char *repo, const char *digest,
    int64_t size, const char *mount_from)
{
	struct upload *u;
	size_t i;

	if (digest_parse(digest, NULL, NULL) == -1)
		return -1;
	for (i = 0; i < p->n; i++)
		if (!strcmp(p->u[i]->digest, digest) && !strcmp(p->u[i]->repo, repo))
			return 0;
	u = xcalloc(1, sizeof(*u));
	u->p = p;
	u->repo = xstrdup(repo);
	u->mount_from = mount_from && strcmp(mount_from, repo) ?
	    xstrdup(mount_from) : NULL;
	snprintf(u->digest, sizeof(u->digest), "%s", digest);
	u->size = size;
	u->fd = -1;
	u->q = (struct http_req)HTTP_REQ_INIT;
	p->u = xrealloc(p->u, (p->n + 1) * sizeof(*p->u));
	p->u[p->n++] = u;
	return 0;
}

static void
fail(struct upload *u, int err, const char *msg)
{
	u->failed = 1;
	u->err = err ? err : EIO;
	snprintf(u->errmsg, sizeof(u->errmsg), "blob '%s': %.400s", u->digest,
	    msg);
}

static void start_more(struct reg_push *p);

static void
finish(struct upload *u)
{
	u->step = S_DONE;
	if (u->fd != -1) {
		close(u->fd);
		u->fd = -1;
	}
	u->p->running--;
	start_more(u->p);
}

static void
start_more(struct reg_push *p)
{
	while (p->running < (size_t)p->r->jobs && p->next < p->n) {
		struct upload *u = p->u[p->next++];

		p->running++;
		u->step = S_HEAD;
		submit(u);
	}
}

/* "<location>[?&]digest=<d>": the URL that closes an upload */
static char *
close_url(const struct upload *u)
{
	char *d = http_escape(u->digest), *s;

	s = xasprintf("%s%cdigest=%s", u->location,
	    strchr(u->location, '?') ? '&' : '?', d);
	free(d);
	return s;
}

static void done_cb(struct http_req *q, void *arg);

static void
submit(struct upload *u)
{
	struct registry *r = u->p->r;
	const char *v = NULL;
	char *url = NULL, *a, *b, *s;

	http_req_reset(&u->q);
	u->q.delay_ms = u->backoff_ms;
	u->backoff_ms = 0;
	u->q.send = NULL;
	u->q.send_fd = -1;
	u->q.send_len = -1;
	u->q.content_type = NULL;
	u->q.no_retry = 0;
	u->q.max_body = HTTP_MAX_ERRBODY;
	switch (u->step) {
	case S_HEAD:
		u->q.method = "HEAD";
		url = registry_url(r, u->repo, "blobs", u->digest);
		break;
	case S_POST:
		u->q.method = "POST";
		url = registry_url(r, u->repo, "blobs", "uploads/");
		if (u->mount_from) {
			a = http_escape(u->digest);
			b = http_escape(u->mount_from);
			s = xasprintf("%s?mount=%s&from=%s", url, a, b);
			free(url);
			url = s;
			free(a);
			free(b);
		}
		u->q.send_len = 0;
		break;
	case S_PUT:
	case S_PATCH:
		u->q.method = u->step == S_PUT ? "PUT" : "PATCH";
		url = u->step == S_PUT ? close_url(u) : xstrdup(u->location);
		u->q.send_fd = u->fd;
		u->q.send_len = u->size;
		u->q.content_type = "application/octet-stream";
		/* a broken body goes to a new session, not the same one again */
		u->q.no_retry = 1;
		break;
	case S_CLOSE:
		u->q.method = "PUT";
		url = close_url(u);
		u->q.send_len = 0;
		break;
	case S_DONE:
		return;
	}
	http_req_set_url(&u->q, url);
	free(url);
	u->q.done = done_cb;
	u->q.done_arg = u;
	if (auth_header(&r->auth, &v) == -1) {
		fail(u, errno, err_msg());
		finish(u);
		return;
	}
	u->q.auth = v;
	free(u->q.auth_origin);
	u->q.auth_origin = v ? xstrdup(r->auth.origin) : NULL;
	http_submit(r->h, &u->q);
}

/* the upload session went wrong: begin a new one, a few times */
static void
restart(struct upload *u, const char *why)
{
	if (u->restarts++ >= MAX_RESTARTS) {
		fail(u, EIO, why);
		finish(u);
		return;
	}
	http_log(u->p->r->h, 1, "blob '%s': %s; uploading again", u->digest,
	    why);
	/* waits in the transfer loop: the other uploads go on meanwhile */
	u->backoff_ms = http_backoff_ms(u->restarts);
	free(u->location);
	u->location = NULL;
	free(u->mount_from);	/* the mount was tried */
	u->mount_from = NULL;
	u->step = S_POST;
	submit(u);
}

static int
take_location(struct upload *u)
{
	char *loc;

	if (!u->q.hdr.location)
		return -1;
	loc = http_resolve_url(u->q.url, u->q.hdr.location);
	if (!loc || http_target_ok(u->p->r->h, u->p->r->base, loc) == -1) {
		free(loc);
		return -1;
	}
	free(u->location);
	u->location = loc;
	return 0;
}

static void
done_cb(struct http_req *q, void *arg)
{
	static const long ok_put[] = { 201, 200, 204, 0 };
	static const long ok_patch[] = { 202, 201, 204, 0 };
	struct upload *u = arg;
	struct reg_push *p = u->p;
	/* fail() names the blob; registry_status() names the request */
	const char *what = q->method;

	if (q->result == -1) {
		if (u->step == S_PUT || u->step == S_PATCH)
			restart(u, q->errmsg);
		else {
			fail(u, q->err, q->errmsg);
			finish(u);
		}
		return;
	}
	if (q->status == 401 && !u->reauth) {
		u->reauth = 1;
		if (auth_challenged(&p->r->auth, q) == 0) {
			auth_invalidate(&p->r->auth);
			submit(u);
			return;
		}
		if (u->step != S_POST || !u->mount_from) {
			fail(u, errno, err_msg());
			finish(u);
			return;
		}
		/* a refused mount: a plain upload, below */
	}
	/* each step may renew an expired token once (§4.6), not each upload */
	if (q->status != 401)
		u->reauth = 0;
	switch (u->step) {
	case S_HEAD:
		if (q->status == 200) {
			u->present = 1;
			finish(u);
			return;
		}
		if (q->status != 404) {
			registry_status(q, (const long []){ 200, 0 }, what);
			fail(u, errno, err_msg());
			finish(u);
			return;
		}
		if ((u->fd = layout_blob_open(p->l, u->digest)) == -1) {
			fail(u, errno, err_msg());
			finish(u);
			return;
		}
		u->step = S_POST;
		break;
	case S_POST:
		if (q->status == 201 && u->mount_from) {
			u->mounted = 1;
			finish(u);
			return;
		}
		if (u->mount_from && q->status != 202) {
			/* §7.3: a failed mount means a plain upload */
			http_log(p->r->h, 1, "blob '%s': no mount from '%s' "
			    "(status %ld); uploading it", u->digest,
			    u->mount_from, q->status);
			free(u->mount_from);
			u->mount_from = NULL;
			u->reauth = 0;
			break;
		}
		if (registry_status(q, (const long []){ 202, 0 }, what) == -1 ||
		    take_location(u) == -1) {
			fail(u, errno ? errno : EIO, q->status == 202 ?
			    "no usable Location for the upload" : err_msg());
			finish(u);
			return;
		}
		u->step = u->size <= PUSH_MONOLITHIC_MAX ? S_PUT : S_PATCH;
		break;
	case S_PATCH:
		if (registry_status(q, ok_patch, what) == -1 ||
		    take_location(u) == -1) {
			restart(u, err_msg());
			return;
		}
		u->step = S_CLOSE;
		break;
	case S_PUT:
	case S_CLOSE:
		if (registry_status(q, ok_put, what) == -1) {
			restart(u, err_msg());
			return;
		}
		if (q->hdr.dcd && digest_parse(q->hdr.dcd, NULL, NULL) == 0 &&
		    strcmp(q->hdr.dcd, u->digest) != 0) {
			fail(u, EIO, "the registry stored something else");
			finish(u);
			return;
		}
		p->bytes += u->size;
		http_log(p->r->h, 1, "uploaded blob '%s' (%lld bytes)",
		    u->digest, (long long)u->size);
		finish(u);
		return;
	case S_DONE:
		return;
	}
	submit(u);
}

int
registry_push_run(struct reg_push *p, struct push_stats *st)
{
	size_t i;
	int rc = 0;
	char *s;

	memset(st, 0, sizeof(*st));
	if (p->next < p->n && registry_probe(p->r) == -1)
		return -1;
	for (i = p->next; i < p->n; i++) {
		s = xasprintf("repository:%s:pull,push", p->u[i]->repo);
		auth_add_scope(&p->r->auth, s);
		free(s);
		if (p->u[i]->mount_from) {
			s = xasprintf("repository:%s:pull", p->u[i]->mount_from);
			auth_add_scope(&p->r->auth, s);
			free(s);
		}
	}
	start_more(p);
	if (http_run(p->r->h) == -1)
		return -1;
	for (i = 0; i < p->n; i++) {
		struct upload *u = p->u[i];

		if (u->failed) {
			if (rc == 0)
				err_set(u->err, "%s", u->errmsg);
			rc = -1;
		} else if (u->present) {
			st->present++;
		} else if (u->mounted) {
			st->mounted++;
		} else {
			st->uploaded++;
		}
	}
	st->bytes = p->bytes;
	return rc;
}

void
registry_push_free(struct reg_push *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		struct upload *u = p->u[i];

		if (u->fd != -1)
			close(u->fd);
		u->q.auth = NULL;
		http_req_release(&u->q);
		free(u->location);
		free(u->repo);
		free(u->mount_from);
		free(u);
	}
	free(p->u);
	free(p);
}

int
registry_put_manifest(struct registry *r, const char *repo, const char *ref,
    const char *media_type, const void *body, size_t len, const char *digest)
{
	static const long ok[] = { 201, 200, 202, 0 };
	struct http_req q = HTTP_REQ_INIT;
	char what[512], *url, *s;
	int rc;

	if (len > (4u << 20))
		return err_set(EFBIG, "manifest '%s' is larger than 4 MiB", digest);
	s = xasprintf("repository:%s:pull,push", repo);
	auth_add_scope(&r->auth, s);
	free(s);
	url = registry_url(r, repo, "manifests", ref);
	q.method = "PUT";
	http_req_set_url(&q, url);
	free(url);
	q.content_type = media_type;
	q.send = body;
	q.send_len = len;
	q.max_body = HTTP_MAX_ERRBODY;
	snprintf(what, sizeof(what), "manifest '%s:%s'", repo, ref);
	rc = registry_request(r, repo, &q);
	if (rc == 0)
		rc = registry_status(&q, ok, what);
	if (rc == 0 && q.hdr.dcd && digest_parse(q.hdr.dcd, NULL, NULL) == 0 &&
	    strcmp(q.hdr.dcd, digest) != 0)
		rc = err_set(EIO, "%s: the registry stored '%s', not '%s'", what,
		    q.hdr.dcd, digest);
	http_req_release(&q);
	return rc;
}
