/* lib/upload.c - blob uploads as parallel state machines, manifest PUT */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "digest.h"
#include "err.h"
#include "http.h"
#include "progress.h"
#include "upload.h"

#define MAX_RESTARTS	3

enum step { S_HEAD, S_POST, S_PUT, S_PATCH, S_CLOSE, S_DONE };

struct blob_up {
	struct uploads	*p;
	char		*repo, *mount_from;
	char		 digest[DIGEST_MAX];
	int64_t		 size;
	enum step	 step;
	char		*location;	/* the upload session's URL */
	int		 fd;		/* the blob in the cache */
	int		 reauth, restarts, mounted, present;
	int		 counted;	/* its size is in the progress total */
	long		 backoff_ms;	/* before the next request, after a restart */
	int		 failed, err;
	char		 errmsg[600];
	struct http_req	 q;
};

struct uploads {
	struct registry	*r;
	struct layout	*l;
	struct blob_up	**u;
	size_t		 n, next, running;
	int64_t		 bytes;
};

static void submit(struct blob_up *u);

struct uploads *
upload_new(struct registry *r, struct layout *l)
{
	struct uploads *p = xcalloc(1, sizeof(*p));

	p->r = r;
	p->l = l;
	return p;
}

int
upload_add(struct uploads *p, const char *repo, const char *digest,
    int64_t size, const char *mount_from)
{
	struct blob_up *u;
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
fail(struct blob_up *u, int err, const char *msg)
{
	u->failed = 1;
	u->err = err ? err : EIO;
	snprintf(u->errmsg, sizeof(u->errmsg), "blob '%s': %.400s", u->digest,
	    msg);
}

static void start_more(struct uploads *p);

static void
finish(struct blob_up *u)
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
start_more(struct uploads *p)
{
	while (p->running < (size_t)p->r->jobs && p->next < p->n) {
		struct blob_up *u = p->u[p->next++];

		p->running++;
		u->step = S_HEAD;
		submit(u);
	}
}

/* "<location>[?&]digest=<d>": the URL that closes an upload */
static char *
close_url(const struct blob_up *u)
{
	char *d = http_escape(u->digest), *s;

	s = xasprintf("%s%cdigest=%s", u->location,
	    strchr(u->location, '?') ? '&' : '?', d);
	free(d);
	return s;
}

static void done_cb(struct http_req *q, void *arg);

static void
submit(struct blob_up *u)
{
	struct registry *r = u->p->r;
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
		/* the progress line counts what goes up, as it is stored */
		if (!u->counted) {
			u->counted = 1;
			progress_total(u->size);
		}
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
	if (registry_authorize(r, &u->q) == -1) {
		fail(u, errno, err_msg());
		finish(u);
		return;
	}
	http_submit(r->h, &u->q);
}

/* the upload session went wrong: begin a new one, a few times */
static void
restart(struct blob_up *u, const char *why)
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
take_location(struct blob_up *u)
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

/* a failure that ends this blob's upload; the others go on */
static void
give_up(struct blob_up *u, int err, const char *msg)
{
	fail(u, err, msg);
	finish(u);
}

/* HEAD: 200 the registry has it; 404 upload it */
static int
on_head(struct blob_up *u, struct http_req *q)
{
	if (q->status == 200) {
		u->present = 1;
		finish(u);
		return 1;
	}
	if (q->status != 404) {
		registry_status(q, (const long []){ 200, 0 }, q->method);
		give_up(u, errno, err_msg());
		return 1;
	}
	if ((u->fd = layout_blob_open(u->p->l, u->digest)) == -1) {
		give_up(u, errno, err_msg());
		return 1;
	}
	u->step = S_POST;
	return 0;
}

/* POST: 201 mounted; 202 a session to upload into */
static int
on_post(struct blob_up *u, struct http_req *q)
{
	if (q->status == 201 && u->mount_from) {
		u->mounted = 1;
		finish(u);
		return 1;
	}
	if (u->mount_from && q->status != 202) {
		/* a failed mount means a plain upload (upload.h) */
		http_log(u->p->r->h, 1, "blob '%s': no mount from '%s' "
		    "(status %ld); uploading it", u->digest, u->mount_from,
		    q->status);
		free(u->mount_from);
		u->mount_from = NULL;
		u->reauth = 0;
		return 0;
	}
	if (registry_status(q, (const long []){ 202, 0 }, q->method) == -1 ||
	    take_location(u) == -1) {
		give_up(u, errno ? errno : EIO, q->status == 202 ?
		    "no usable Location for the upload" : err_msg());
		return 1;
	}
	u->step = u->size <= UPLOAD_MONOLITHIC_MAX ? S_PUT : S_PATCH;
	return 0;
}

/* PATCH: the bytes went up; close the session with a PUT */
static int
on_patch(struct blob_up *u, struct http_req *q)
{
	static const long ok[] = { 202, 201, 204, 0 };

	if (registry_status(q, ok, q->method) == -1 || take_location(u) == -1) {
		restart(u, err_msg());
		return 1;
	}
	u->step = S_CLOSE;
	return 0;
}

/* PUT (monolithic or closing): stored, under the digest we sent */
static int
on_put(struct blob_up *u, struct http_req *q)
{
	static const long ok[] = { 201, 200, 204, 0 };

	if (registry_status(q, ok, q->method) == -1) {
		restart(u, err_msg());
		return 1;
	}
	if (q->hdr.dcd && digest_parse(q->hdr.dcd, NULL, NULL) == 0 &&
	    strcmp(q->hdr.dcd, u->digest) != 0) {
		give_up(u, EIO, "the registry stored something else");
		return 1;
	}
	u->p->bytes += u->size;
	progress_done(u->size);
	http_log(u->p->r->h, 1, "uploaded blob '%s' (%lld bytes)", u->digest,
	    (long long)u->size);
	finish(u);
	return 1;
}

/*
 * A 401: renew the token and send again, once per step. 1 when handled
 * (sent again, or failed), 0 to go on (a refused mount: a plain upload).
 */
static int
on_unauthorized(struct blob_up *u, struct http_req *q)
{
	u->reauth = 1;
	if (auth_challenged(&u->p->r->auth, q) == 0) {
		auth_invalidate(&u->p->r->auth);
		submit(u);
		return 1;
	}
	if (u->step != S_POST || !u->mount_from) {
		give_up(u, errno, err_msg());
		return 1;
	}
	return 0;
}

static void
done_cb(struct http_req *q, void *arg)
{
	struct blob_up *u = arg;
	int handled = 0;

	if (q->result == -1) {
		/* fail() names the blob; registry_status() the request */
		if (u->step == S_PUT || u->step == S_PATCH)
			restart(u, q->errmsg);
		else
			give_up(u, q->err, q->errmsg);
		return;
	}
	if (q->status == 401 && !u->reauth && on_unauthorized(u, q))
		return;
	/* each step may renew an expired token once, not each upload */
	if (q->status != 401)
		u->reauth = 0;
	switch (u->step) {
	case S_HEAD:	handled = on_head(u, q); break;
	case S_POST:	handled = on_post(u, q); break;
	case S_PATCH:	handled = on_patch(u, q); break;
	case S_PUT:
	case S_CLOSE:	handled = on_put(u, q); break;
	case S_DONE:	return;
	}
	if (!handled)
		submit(u);
}

int
upload_run(struct uploads *p, struct upload_stats *st)
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
	if (p->next < p->n) {
		s = xasprintf("%s/%s", p->r->domain, p->u[p->next]->repo);
		progress_begin(s, 0);
		free(s);
	}
	start_more(p);
	rc = http_run(p->r->h);
	progress_end();
	if (rc == -1)
		return -1;
	for (i = 0; i < p->n; i++) {
		struct blob_up *u = p->u[i];

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
upload_free(struct uploads *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->n; i++) {
		struct blob_up *u = p->u[i];

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
upload_manifest(struct registry *r, const char *repo, const char *ref,
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
