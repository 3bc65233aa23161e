/* lib/registry.c - the OCI distribution API
 * (doc/registry-client.md §2, §3, §6) */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "auth.h"
#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "http.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "progress.h"
#include "registry.h"
#include "xalloc.h"

const char *
registry_api_host(const char *domain)
{
	if (strcmp(domain, "docker.io") == 0 ||
	    strcmp(domain, "index.docker.io") == 0)
		return "registry-1.docker.io";
	return domain;
}

struct registry *
registry_new(struct http *h, const char *domain, int jobs)
{
	struct registry *r = xcalloc(1, sizeof(*r));

	r->h = h;
	r->domain = xstrdup(domain);
	r->api_host = xstrdup(registry_api_host(domain));
	r->jobs = jobs > 0 ? jobs : 4;
	return r;
}

void
registry_free(struct registry *r)
{
	if (r == NULL)
		return;
	if (r->probed)
		auth_release(&r->auth);
	free(r->domain);
	free(r->api_host);
	free(r->base);
	free(r);
}

char *
registry_url(struct registry *r, const char *repo, const char *kind,
    const char *arg)
{
	return xasprintf("%s/v2/%s/%s%s%s", r->base, repo, kind,
	    arg ? "/" : "", arg ? arg : "");
}

/* a TLS failure that must never fall back to plain http */
static int
cert_error(int code)
{
	return code == CURLE_PEER_FAILED_VERIFICATION ||
	    code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE ||
	    code == CURLE_SSL_ISSUER_ERROR || code == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
}

/*
 * A probe only asks which scheme a host speaks: a server that takes
 * longer than this to answer GET /v2/ on loopback or to finish a TLS
 * handshake is not one to pick.
 */
#define PROBE_TIMEOUT_S	10

static int
ping(struct registry *r, const char *scheme, struct http_req *q, int probe)
{
	char *url = xasprintf("%s://%s/v2/", scheme, r->api_host);

	http_req_reset(q);
	q->method = "GET";
	http_req_set_url(q, url);
	q->max_body = HTTP_MAX_ERRBODY;
	q->no_retry = probe;
	q->no_verify = probe;
	q->timeout_s = probe ? PROBE_TIMEOUT_S : 0;
	free(url);
	return http_do(r->h, q);
}

/*
 * A loopback registry is asked over plain http first: nothing crosses
 * the network, and a plain-http registry (the usual local one) then
 * costs one connection instead of a TLS attempt and a second one. Only
 * an answer a registry gives (200, or 401 with a challenge) settles it;
 * a TLS server's "400: HTTP request to an HTTPS server" or a dropped
 * connection sends the probe on to TLS. 1 when settled (q holds it).
 */
static int
loopback_plain(struct registry *r, struct http_req *q)
{
	if (!http_is_loopback(r->api_host))
		return 0;
	if (ping(r, "http", q, 1) == -1)
		return 0;
	return q->status == 200 || (q->status == 401 &&
	    q->hdr.n_www_auth > 0);
}

/*
 * The scheme (§5.2): https; for an eligible host (loopback, --insecure)
 * plain http when no TLS answers there. A loopback host is asked over
 * http first (loopback_plain()). Otherwise the eligible host is first
 * asked without verifying, which only tells whether TLS is spoken there
 * (and spares loading the CA bundle for a plain-http registry); when it
 * is, the real ping is verified like every other request.
 */
int
registry_probe(struct registry *r)
{
	struct http_req q = HTTP_REQ_INIT;
	const char *scheme = "https";
	int eligible = http_plain_allowed(r->h, r->api_host);
	int tls = 1;
	char *v2;
	int rc = -1;

	if (r->probed)
		return r->base ? 0 : err_set(EIO, "registry '%s' is not "
		    "usable", r->domain);
	r->probed = 1;
	if (loopback_plain(r, &q)) {
		scheme = "http";
		tls = 0;
	} else if (eligible && ping(r, "https", &q, 1) == -1) {
		if (q.curl_code == CURLE_COULDNT_CONNECT)
			ping(r, "https", &q, 0);	/* nothing listens: retry */
		if (q.result == -1 && q.curl_code != CURLE_COULDNT_CONNECT &&
		    q.curl_code != CURLE_OPERATION_TIMEDOUT &&
		    q.curl_code != CURLE_COULDNT_RESOLVE_HOST)
			tls = 0;	/* no TLS there: plain http, same port */
	}
	if (q.result == -1 && tls) {
		err_set(q.err ? q.err : EIO, "cannot reach '%s': %s",
		    r->api_host, q.errmsg);
		goto fail;
	}
	if (!tls && strcmp(scheme, "http") == 0) {
		/* settled by loopback_plain() */
	} else if (!tls) {
		scheme = "http";
		if (ping(r, "http", &q, 0) == -1) {
			err_set(q.err ? q.err : EIO, "cannot reach '%s': %s",
			    r->api_host, q.errmsg);
			goto fail;
		}
	} else if (ping(r, "https", &q, 0) == -1) {
		if (cert_error(q.curl_code))
			err_set(EIO, "cannot verify the certificate of '%s' "
			    "(add its CA under /etc/docker/certs.d/%s/ or use "
			    "--insecure %s): %s", r->api_host, r->api_host,
			    r->api_host, q.errmsg);
		else
			err_set(q.err ? q.err : EIO, "cannot reach '%s': %s",
			    r->api_host, q.errmsg);
		goto fail;
	}
	r->base = xasprintf("%s://%s", scheme, r->api_host);
	v2 = xasprintf("%s/v2/", r->base);
	if (auth_init(&r->auth, r->h, r->domain, NULL, v2) == -1) {
		free(v2);
		goto fail;
	}
	free(v2);
	if (q.status == 401) {
		if (auth_challenged(&r->auth, &q) == -1) {
			err_wrap("registry '%s'", r->domain);
			goto fail_auth;
		}
	} else if (q.status != 200) {
		err_set(EIO, "'%s' is not a registry (GET /v2/ answered %ld)",
		    r->domain, q.status);
		goto fail_auth;
	}
	rc = 0;
	goto out;
fail_auth:
	auth_release(&r->auth);
fail:
	memset(&r->auth, 0, sizeof(r->auth));
	free(r->base);
	r->base = NULL;
out:
	http_req_release(&q);
	return rc;
}

static void
scope_for(struct registry *r, const char *repo)
{
	char *s = xasprintf("repository:%s:pull", repo);

	auth_add_scope(&r->auth, s);
	free(s);
}

int
registry_authorize(struct registry *r, struct http_req *q)
{
	const char *v;

	if (auth_header(&r->auth, &v) == -1)
		return -1;
	q->auth = v;
	free(q->auth_origin);
	q->auth_origin = v ? xstrdup(r->auth.origin) : NULL;
	return 0;
}

int
registry_request(struct registry *r, const char *repo, struct http_req *q)
{
	int tries;

	if (registry_probe(r) == -1)
		return -1;
	scope_for(r, repo);
	for (tries = 0; tries < 2; tries++) {
		if (registry_authorize(r, q) == -1)
			return err_wrap("registry '%s'", r->domain);
		if (http_do(r->h, q) == -1)
			return err_set(q->err ? q->err : EIO, "%s", q->errmsg);
		if (q->status != 401 || tries > 0)
			break;
		if (auth_challenged(&r->auth, q) == -1)
			return err_wrap("registry '%s'", r->domain);
		if (r->auth.scheme == AUTH_BEARER)
			auth_invalidate(&r->auth);
	}
	q->auth = NULL;
	return 0;
}

/*
 * A printable excerpt of registry bytes for a message: at most max
 * bytes of p, anything but printable ASCII escaped as \xNN, so that
 * neither the length nor the bytes of a message are the registry's.
 */
static void
excerpt(const char *p, size_t len, size_t max, char *out, size_t n)
{
	size_t i, o = 0;

	for (i = 0; i < len && i < max && o + 5 < n; i++) {
		unsigned char c = p[i];

		if (isprint(c) && c < 0x7f)
			out[o++] = c;
		else
			o += snprintf(out + o, n - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* how much of a registry's error code and text a message quotes */
#define ERR_CODE_MAX	40
#define ERR_TEXT_MAX	200

int
registry_status(const struct http_req *q, const long *ok, const char *what)
{
	const char *code = NULL, *msg = NULL;
	json_t *j = NULL, *e;
	char ex[1024], ec[300];
	int notfound = 0, rc, err;
	size_t i;

	for (i = 0; ok[i] != 0; i++)
		if (q->status == ok[i])
			return 0;
	if (q->body.len > 0)
		j = json_loadb(q->body.data, q->body.len, 0, NULL);
	e = json_array_get(json_object_get(j, "errors"), 0);
	if (json_is_object(e)) {
		code = json_string_value(json_object_get(e, "code"));
		msg = json_string_value(json_object_get(e, "message"));
	}
	if (q->status == 404)
		notfound = q->body.len == 0 || (code != NULL &&
		    (strcmp(code, "MANIFEST_UNKNOWN") == 0 ||
		    strcmp(code, "NAME_UNKNOWN") == 0 ||
		    strcmp(code, "BLOB_UNKNOWN") == 0));
	err = notfound ? ENOENT : (q->status == 401 || q->status == 403) ?
	    EACCES : EIO;
	if (code != NULL)
		excerpt(code, strlen(code), ERR_CODE_MAX, ec, sizeof(ec));
	if (notfound) {
		rc = err_set(err, "%s: not found%s%s", what, code ? ": " : "",
		    code ? ec : "");
	} else if (code != NULL) {
		excerpt(msg ? msg : "", msg ? strlen(msg) : 0, ERR_TEXT_MAX, ex,
		    sizeof(ex));
		rc = err_set(err, "%s: status %ld: %s: %s", what, q->status,
		    ec, ex);
	} else {
		excerpt(q->body.data, q->body.len, ERR_TEXT_MAX, ex, sizeof(ex));
		rc = err_set(err, "%s: status %ld%s%s", what, q->status,
		    ex[0] ? ": " : "", ex);
	}
	if (q->status == 401 && !notfound)
		err_wrap("authentication failed");
	json_decref(j);
	return rc;
}

void
reg_manifest_release(struct reg_manifest *m)
{
	buf_release(&m->body);
	free(m->media_type);
	m->media_type = NULL;
}

static char *
strip_params(const char *ct)
{
	size_t n;
	char *s;

	if (ct == NULL)
		return NULL;
	n = strcspn(ct, ";");
	while (n > 0 && isspace((unsigned char)ct[n - 1]))
		n--;
	s = xstrndup(ct, n);
	for (char *p = s; *p; p++)
		*p = tolower((unsigned char)*p);
	return s;
}

/* what messages call a manifest */
static void
manifest_what(struct registry *r, const char *repo, const char *ref,
    char *what, size_t n)
{
	snprintf(what, n, "manifest '%s/%s%s%s'", r->domain, repo,
	    strchr(ref, ':') ? "@" : ":", ref);
}

/* a manifest request on q */
static void
manifest_req(struct registry *r, const char *repo, const char *ref,
    const char *method, struct http_req *q)
{
	char *url = registry_url(r, repo, "manifests", ref);

	q->method = method;
	http_req_set_url(q, url);
	free(url);
	q->accept = MANIFEST_ACCEPT;
	q->max_body = JSONIO_MAX_DOC;
}

/* the answer to manifest_req(): checked, and into m */
static int
manifest_answer(struct registry *r, const char *ref, const char *method,
    struct http_req *q, const char *what, struct reg_manifest *m)
{
	static const long ok[] = { 200, 0 };

	if (registry_status(q, ok, what) == -1)
		return -1;
	if (q->hdr.content_encoding != NULL &&
	    strcasecmp(q->hdr.content_encoding, "identity") != 0)
		return err_set(EIO, "%s: content encoding '%.40s' refused", what,
		    q->hdr.content_encoding);
	free(m->media_type);
	m->media_type = strip_params(q->hdr.content_type);
	m->digest[0] = '\0';
	if (q->hdr.dcd != NULL && digest_parse(q->hdr.dcd, NULL, NULL) == 0)
		snprintf(m->digest, sizeof(m->digest), "%s", q->hdr.dcd);
	if (strcmp(method, "HEAD") == 0) {
		m->size = q->hdr.content_length;
	} else {
		char got[DIGEST_MAX];
		enum digest_algo algo = DIGEST_SHA256;

		if (strchr(ref, ':') != NULL)
			digest_parse(ref, &algo, NULL);
		digest_buf(algo, q->body.data, q->body.len, got);
		if (strchr(ref, ':') != NULL && strcmp(got, ref) != 0)
			return err_set(EIO, "%s: content does not match its "
			    "digest (got '%s')", what, got);
		if (m->digest[0] && strcmp(m->digest, got) != 0)
			http_log(r->h, 0, "%s: Docker-Content-Digest '%s' "
			    "differs from the content's '%s'", what, m->digest,
			    got);
		memcpy(m->digest, got, sizeof(got));
		m->size = q->body.len;
		buf_release(&m->body);
		m->body = q->body;
		memset(&q->body, 0, sizeof(q->body));
	}
	return 0;
}

static int
manifest_call(struct registry *r, const char *repo, const char *ref,
    const char *method, struct reg_manifest *m)
{
	struct http_req q = HTTP_REQ_INIT;
	char what[1024];
	int rc = -1;

	if (registry_probe(r) == -1)
		return -1;
	manifest_what(r, repo, ref, what, sizeof(what));
	manifest_req(r, repo, ref, method, &q);
	if (registry_request(r, repo, &q) == -1) {
		if (errno == EFBIG)
			err_set(EFBIG, "%s is larger than 8 MiB", what);
		else
			err_wrap("%s", what);
		goto out;
	}
	rc = manifest_answer(r, ref, method, &q, what, m);
out:
	http_req_release(&q);
	return rc;
}

void
registry_get_manifests(struct registry *r, const char *repo, size_t n,
    const char *const *digests, const int64_t *sizes,
    struct reg_manifest *out)
{
	struct http_req *q;
	char what[1024];
	size_t i;

	if (n == 0 || registry_probe(r) == -1) {
		err_clear();
		return;
	}
	scope_for(r, repo);
	q = xcalloc(n, sizeof(*q));
	for (i = 0; i < n; i++) {
		q[i] = (struct http_req)HTTP_REQ_INIT;
		manifest_req(r, repo, digests[i], "GET", &q[i]);
		if (sizes[i] >= 0 && (uint64_t)sizes[i] < q[i].max_body)
			q[i].max_body = (size_t)sizes[i];
		/* without a header it fails, and the caller asks again */
		if (registry_authorize(r, &q[i]) == 0)
			http_submit(r->h, &q[i]);
		else
			q[i].result = -1;
	}
	if (http_run(r->h) == -1)
		err_clear();
	for (i = 0; i < n; i++) {
		q[i].auth = NULL;
		manifest_what(r, repo, digests[i], what, sizeof(what));
		/* a 401 or any failure: the caller's own request tells */
		if (q[i].result == -1 || q[i].status == 401 ||
		    manifest_answer(r, digests[i], "GET", &q[i], what,
		    &out[i]) == -1) {
			reg_manifest_release(&out[i]);
			out[i] = (struct reg_manifest)REG_MANIFEST_INIT;
			err_clear();
		}
		http_req_release(&q[i]);
	}
	free(q);
	err_clear();
}

int
registry_head_manifest(struct registry *r, const char *repo, const char *ref,
    struct reg_manifest *m)
{
	return manifest_call(r, repo, ref, "HEAD", m);
}

int
registry_get_manifest(struct registry *r, const char *repo, const char *ref,
    struct reg_manifest *m)
{
	return manifest_call(r, repo, ref, "GET", m);
}

int
registry_get_blob_mem(struct registry *r, const char *repo,
    const char *digest, int64_t size, size_t max, struct buf *out)
{
	static const long ok[] = { 200, 0 };
	struct http_req q = HTTP_REQ_INIT;
	enum digest_algo algo;
	char *url, what[512], got[DIGEST_MAX];
	int rc = -1;

	if (digest_parse(digest, &algo, NULL) == -1 ||
	    registry_probe(r) == -1)
		return -1;
	snprintf(what, sizeof(what), "blob '%s'", digest);
	url = registry_url(r, repo, "blobs", digest);
	q.method = "GET";
	http_req_set_url(&q, url);
	free(url);
	q.max_body = size >= 0 && (uint64_t)size < max ? (size_t)size : max;
	if (registry_request(r, repo, &q) == -1) {
		err_wrap("%s", what);
		goto out;
	}
	if (registry_status(&q, ok, what) == -1)
		goto out;
	digest_buf(algo, q.body.data, q.body.len, got);
	if (strcmp(got, digest) != 0 || (size >= 0 && (int64_t)q.body.len !=
	    size)) {
		err_set(EIO, "%s: content does not match its digest", what);
		goto out;
	}
	buf_release(out);
	*out = q.body;
	memset(&q.body, 0, sizeof(q.body));
	rc = 0;
out:
	http_req_release(&q);
	return rc;
}

/* the next page from a Link header: <url>; rel="next" */
static char *
next_link(const char *base, const char *link)
{
	const char *lt, *gt;
	char *u, *res;

	if (link == NULL || strstr(link, "rel=\"next\"") == NULL ||
	    (lt = strchr(link, '<')) == NULL || (gt = strchr(lt, '>')) == NULL)
		return NULL;
	u = xstrndup(lt + 1, gt - lt - 1);
	res = http_resolve_url(base, u);
	free(u);
	return res;
}

int
registry_tags(struct registry *r, const char *repo, json_t **tags)
{
	static const long ok[] = { 200, 0 };
	struct http_req q = HTTP_REQ_INIT;
	char *url, *seen[64];
	size_t nseen = 0, i;
	json_t *j, *t, *v;
	int rc = -1;

	*tags = json_array();
	if (registry_probe(r) == -1)
		return -1;
	url = registry_url(r, repo, "tags", "list");
	while (url != NULL) {
		for (i = 0; i < nseen; i++)
			if (strcmp(seen[i], url) == 0)
				break;
		if (i < nseen || nseen == 64) {
			free(url);
			break;
		}
		seen[nseen++] = url;
		http_req_reset(&q);
		q.method = "GET";
		http_req_set_url(&q, url);
		q.max_body = JSONIO_MAX_DOC;
		if (registry_request(r, repo, &q) == -1 ||
		    registry_status(&q, ok, "tag list") == -1)
			goto out;
		if ((j = jsonio_parse(q.body.data, q.body.len, "tag list")) ==
		    NULL)
			goto out;
		t = json_object_get(j, "tags");
		json_array_foreach(t, i, v)
			if (json_is_string(v))
				json_array_append(*tags, v);
		json_decref(j);
		url = next_link(q.url, q.hdr.link);
		if (url != NULL && http_target_ok(r->h, r->base, url) == -1) {
			free(url);
			goto out;
		}
	}
	rc = 0;
out:
	for (i = 0; i < nseen; i++)
		free(seen[i]);
	http_req_release(&q);
	if (rc == -1) {
		json_decref(*tags);
		*tags = NULL;
	}
	return rc;
}

/* ---- parallel blob downloads ---- */

struct job {
	struct reg_fetch	*f;
	char			*repo;
	char			 digest[DIGEST_MAX];
	int64_t			 size;
	struct http_req		 q;
	struct http_sink	 sink;
	struct blob_writer	 w;
	struct digest_ring	*ring;		/* the blocks received into */
	unsigned char		*blk;		/* the one being filled, or NULL */
	size_t			 blk_len;	/* received, not yet written */
	struct buf		 have;		/* registry_fetch_put(): in hand */
	int			 preloaded;
	int			 open;		/* w is open */
	int			 restarts;	/* after a digest mismatch */
	int			 reauth;	/* after a 401 */
	int			 again;		/* after a 416 or a storage 4xx */
	int			 state;		/* 0 queued, 1 running, 2 done,
						   3 syncing, 4 held at the gate */
	int			 sync_err;	/* errno of the early fsync */
	struct job		*snext;		/* the syncer's lists */
	int			 failed;
	int			 err;
	char			 errmsg[600];
};

struct reg_fetch {
	struct registry	*r;
	struct layout	*l;
	struct job	**jobs;
	size_t		 n;
	size_t		 next;		/* first queued job */
	size_t		 running;
	size_t		 done;
	int64_t		 bytes;
	/*
	 * The syncer: a thread that fsyncs each downloaded blob while the
	 * loop goes on with the other transfers, so that the fsync in
	 * blob_writer_finish() finds nothing left to wait for. It only
	 * calls fsync(2) on the writer's descriptor; everything else stays
	 * on the loop's thread.
	 */
	pthread_t	 tid;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 thread;	/* 1 running, -1 unavailable */
	int		 quit;
	struct job	*todo, *synced;
	size_t		 syncing;
	int		 progress;	/* a progress line was begun */
	/* registry_fetch_gate(): the blob that opens it, the blobs held */
	struct job	*gate;
	reg_gate_fn	*gate_check;
	void		*gate_arg;
	size_t		 gate_max;
	int		 gate_state;
	struct job	*held;
	size_t		 nheld;
};

enum { GATE_NONE, GATE_SHUT, GATE_OPEN, GATE_REFUSED };

static int
job_fail(struct job *j, int err, const char *msg)
{
	j->failed = 1;
	j->err = err;
	if (strncmp(msg, "blob '", 6) == 0)	/* names the blob already */
		snprintf(j->errmsg, sizeof(j->errmsg), "%.590s", msg);
	else
		snprintf(j->errmsg, sizeof(j->errmsg), "blob '%s': %.400s",
		    j->digest, msg);
	return -1;
}

/*
 * Bytes are gathered into blocks of FLUSH_AT before they reach the
 * writer: fewer write(2) calls and hand-offs, and blocks big enough for
 * the writer to hash on the other core while this one writes. The blocks
 * are a job's digest_ring (lib/digest.h) of RING_BLOCKS: a full block is
 * written and hashed where it was received, with no copy, and the ring
 * hands it out again only once the hasher has released it. Four jobs'
 * rings of 3 x 512 KiB stay well inside the peak RSS budget.
 */
#define FLUSH_AT	(512u << 10)
#define RING_BLOCKS	3

static int
flush(struct job *j)
{
	int rc = 0;

	if (j->blk_len > 0)
		rc = blob_writer_write(&j->w, j->blk, j->blk_len);
	j->blk = NULL;		/* the hasher may hold it: take the next */
	j->blk_len = 0;
	return rc;
}

/* the job's ring is freed once the hasher is done with its blocks */
static void
blocks_release(struct job *j)
{
	digest_ring_free(j->ring);
	j->ring = NULL;
	j->blk = NULL;
	j->blk_len = 0;
}

/*
 * The job's writer: a named partial in the cache's temporary area
 * (blob_writer_partial()), so that an interrupted run leaves what arrived
 * for the next one. With resume, a partial left by an earlier run is
 * continued (w.size bytes in hand: job_submit() asks for the rest); else
 * it starts from 0.
 */
static int
writer_open(struct job *j, int resume)
{
	/* a restart from 0: what was counted as done is to do again */
	if (j->open && !j->preloaded)
		progress_done(-(j->w.size + (int64_t)j->blk_len));
	j->blk_len = 0;
	if (j->open)
		blob_writer_abort(&j->w);
	j->open = 0;
	if (blob_writer_partial(j->f->l, &j->w, j->digest, j->size,
	    resume) == -1)
		return -1;
	j->open = 1;
	if (j->w.size > 0) {
		http_log(j->f->r->h, 1, "blob '%s': resuming at byte %lld",
		    j->digest, (long long)j->w.size);
		progress_done(j->w.size);
	}
	return 0;
}

static int
writer_reopen(struct job *j)
{
	return writer_open(j, 0);
}

/* a transfer the gate has refused stops at its next bytes */
static int
refused(struct job *j, struct http_req *q)
{
	if (j->f->gate_state != GATE_REFUSED || j == j->f->gate)
		return 0;
	http_req_fail(q, ECANCELED, "blob '%s' not stored: the fetch was "
	    "refused", j->digest);
	return 1;
}

static int
sink_start(void *arg, struct http_req *q)
{
	struct job *j = arg;

	if (refused(j, q))
		return -1;
	if (q->status == 206) {
		long long a, b, total = -1;
		const char *cr = q->hdr.content_range;
		int ok = cr != NULL && (sscanf(cr, "bytes %lld-%lld/%lld", &a,
		    &b, &total) == 3 || sscanf(cr, "bytes %lld-%lld/*", &a,
		    &b) == 2);

		if (!ok || a != j->w.size || b != j->size - 1 ||
		    (total >= 0 && total != j->size) ||
		    (q->hdr.content_length >= 0 &&
		    q->hdr.content_length != j->size - j->w.size))
			return http_req_fail(q, EIO, "bad Content-Range '%.80s'",
			    cr ? cr : "");
		return 0;
	}
	/* a 200: Range was ignored, or none was sent: start from 0 */
	if ((j->w.size > 0 || j->blk_len > 0) && writer_reopen(j) == -1)
		return http_req_fail(q, errno, "%s", err_msg());
	if (q->hdr.content_length >= 0 && q->hdr.content_length != j->size)
		return http_req_fail(q, EIO, "the registry sends %lld bytes, "
		    "the descriptor says %lld", (long long)q->hdr.content_length,
		    (long long)j->size);
	return 0;
}

static int
sink_write(void *arg, struct http_req *q, const void *p, size_t n)
{
	struct job *j = arg;
	size_t bs = j->size < FLUSH_AT ? (size_t)j->size : FLUSH_AT, k;

	if (refused(j, q))
		return -1;
	if ((int64_t)(j->blk_len + n) > j->size - j->w.size)
		return http_req_fail(q, EFBIG, "blob '%s' is larger than %lld "
		    "bytes", j->digest, (long long)j->size);
	progress_done((int64_t)n);
	while (n > 0) {
		/* a blob of one block needs only that one */
		if (!j->ring)
			j->ring = digest_ring_new(j->size > (int64_t)bs ?
			    RING_BLOCKS : 1, bs);
		if (!j->blk)
			j->blk = digest_ring_next(j->ring);
		k = bs - j->blk_len < n ? bs - j->blk_len : n;
		memcpy(j->blk + j->blk_len, p, k);
		j->blk_len += k;
		p = (const unsigned char *)p + k;
		n -= k;
		if (j->blk_len == bs && flush(j) == -1)
			return http_req_fail(q, errno, "%s", err_msg());
	}
	return 0;
}

static int64_t
sink_rewind(void *arg, struct http_req *q)
{
	struct job *j = arg;

	/* what arrived before the break is good: resume after it */
	if (flush(j) == -1)
		return 0;
	return j->w.size > 0 && j->w.size < j->size ? j->w.size : 0;
}

static void job_done(struct http_req *q, void *arg);
static void job_finish(struct job *j);
static void gate_settle(struct reg_fetch *f, int open);
static void gate_failed(struct job *j);
static void job_transferred(struct job *j);
static void transfer_release(struct job *j);

static void
job_submit(struct job *j)
{
	struct reg_fetch *f = j->f;
	char *url;

	url = registry_url(f->r, j->repo, "blobs", j->digest);
	http_req_reset(&j->q);
	j->q.method = "GET";
	http_req_set_url(&j->q, url);
	free(url);
	j->q.sink = &j->sink;
	j->q.max_body = 0;
	j->q.range_from = j->w.size > 0 ? j->w.size : -1;
	j->q.done = job_done;
	j->q.done_arg = j;
	if (registry_authorize(f->r, &j->q) == -1) {
		job_fail(j, errno, err_msg());
		j->state = 2;
		f->running--;
		f->done++;
		gate_failed(j);
		return;
	}
	http_submit(f->r->h, &j->q);
}

/* nothing more starts once the gate refused, or holds all it may */
static int
gate_blocks(const struct reg_fetch *f)
{
	return f->gate_state == GATE_REFUSED ||
	    (f->gate_state == GATE_SHUT && f->nheld >= REG_HOLD_MAX);
}

static void
start_more(struct reg_fetch *f)
{
	while (!gate_blocks(f) && f->running < (size_t)f->r->jobs &&
	    f->next < f->n) {
		struct job *j = f->jobs[f->next++];

		if (j->preloaded || j->state != 0)	/* start_preloaded()'s */
			continue;
		if (writer_open(j, 1) == -1) {
			job_fail(j, errno, err_msg());
			j->state = 2;
			f->done++;
			gate_failed(j);
			continue;
		}
		j->state = 1;
		f->running++;
		job_submit(j);
	}
}

static void
job_end(struct job *j)
{
	struct reg_fetch *f = j->f;

	if (j->open && j->failed && f->gate_state == GATE_REFUSED &&
	    j != f->gate) {
		/* stopped because the gate refused: nothing is kept */
		blob_writer_abort(&j->w);
		j->open = 0;
	} else if (j->open && j->failed) {
		/* what arrived is kept for the next run, which verifies it */
		flush(j);
		blob_writer_suspend(&j->w);
		j->open = 0;
	}
	transfer_release(j);
	if (j->state == 1)
		f->running--;
	j->state = 2;
	f->done++;
	gate_failed(j);
	start_more(f);
}

static void
job_done(struct http_req *q, void *arg)
{
	static const long ok[] = { 200, 206, 0 };
	struct job *j = arg;
	struct reg_fetch *f = j->f;
	char what[DIGEST_MAX + 16];

	if (q->result == -1) {
		job_fail(j, q->err ? q->err : EIO, q->errmsg);
		job_end(j);
		return;
	}
	if (q->status == 401 && !j->reauth) {
		j->reauth = 1;
		if (auth_challenged(&f->r->auth, q) == -1) {
			job_fail(j, errno, err_msg());
			job_end(j);
			return;
		}
		auth_invalidate(&f->r->auth);
		job_submit(j);
		return;
	}
	/* a 416 (the offset resumed from is stale): from 0, once */
	if (!j->again && q->status == 416) {
		j->again = 1;
		http_log(f->r->h, 1, "blob '%s': status 416; from the start",
		    j->digest);
		if (writer_reopen(j) == -1) {
			job_fail(j, errno, err_msg());
			job_end(j);
			return;
		}
		job_submit(j);
		return;
	}
	snprintf(what, sizeof(what), "blob '%s'", j->digest);
	if (registry_status(q, ok, what) == -1) {
		j->failed = 1;
		j->err = errno;
		snprintf(j->errmsg, sizeof(j->errmsg), "%.590s", err_msg());
		job_end(j);
		return;
	}
	if (flush(j) == -1) {
		job_fail(j, errno, err_msg());
		job_end(j);
		return;
	}
	job_transferred(j);
}

/*
 * A job's transfer buffers: its block and its curl handle (with the
 * receive buffer). Released as soon as the bytes are in the writer, so
 * that with many blobs only the transfers in flight hold them; the
 * connection stays in the multi handle's cache. A restart makes new ones.
 */
static void
transfer_release(struct job *j)
{
	blocks_release(j);
	j->q.auth = NULL;
	http_req_release(&j->q);
}

/* the bytes are all in the writer: sync (on the syncer), then finish */
static void
job_transferred(struct job *j)
{
	struct reg_fetch *f = j->f;

	transfer_release(j);
	if (f->thread == 1) {
		/* the syncer takes it; its transfer slot is free again */
		j->state = 3;
		f->running--;
		pthread_mutex_lock(&f->mu);
		j->snext = f->todo;
		f->todo = j;
		f->syncing++;
		pthread_cond_broadcast(&f->cv);
		pthread_mutex_unlock(&f->mu);
		start_more(f);
		return;
	}
	job_finish(j);
}

static void job_publish(struct job *);

/* a verified, synced blob the gate keeps from being published for now */
static void
gate_hold(struct job *j)
{
	struct reg_fetch *f = j->f;

	if (j->state == 1)	/* finished on the loop: its slot is free */
		f->running--;
	j->state = 4;
	j->snext = f->held;
	f->held = j;
	f->nheld++;
}

/* a blob that is not to be published: removed, failing with the gate */
static void
gate_discard(struct job *j)
{
	struct reg_fetch *f = j->f;

	if (j->open)
		blob_writer_abort(&j->w);
	j->open = 0;
	j->failed = 1;
	j->err = f->gate->err ? f->gate->err : EIO;
	snprintf(j->errmsg, sizeof(j->errmsg), "blob '%s' not stored: %.400s",
	    j->digest, f->gate->failed ? f->gate->errmsg : "its gate stayed "
	    "shut");
	if (j->state == 4)
		j->state = 3;	/* not running: job_end() only counts it */
	job_end(j);
}

/* the gate's verdict: publish what it held, or remove it all */
static void
gate_settle(struct reg_fetch *f, int open)
{
	struct job *j;

	f->gate_state = open ? GATE_OPEN : GATE_REFUSED;
	while ((j = f->held) != NULL) {
		f->held = j->snext;
		f->nheld--;
		if (open)
			job_publish(j);
		else
			gate_discard(j);
	}
}

/* the gate's own blob failed: what it holds is refused */
static void
gate_failed(struct job *j)
{
	if (j == j->f->gate && j->failed && j->f->gate_state == GATE_SHUT)
		gate_settle(j->f, 0);
}

/* the gate's bytes, read back from its synced file, go to the check */
static int
gate_check(struct job *j)
{
	struct reg_fetch *f = j->f;
	struct buf b = BUF_INIT;
	char what[DIGEST_MAX + 16];
	int rc;

	snprintf(what, sizeof(what), "blob '%s'", j->digest);
	if (lseek(j->w.fd, 0, SEEK_SET) == -1)
		rc = err_sys(errno, "cannot read %s", what);
	else
		rc = fs_read_fd(j->w.fd, f->gate_max, &b, what);
	if (rc == 0)
		rc = f->gate_check(f->gate_arg, b.data, b.len);
	buf_release(&b);
	if (rc == -1) {
		j->failed = 1;
		j->err = errno ? errno : EIO;
		snprintf(j->errmsg, sizeof(j->errmsg), "%.590s", err_msg());
	}
	return rc;
}

/* verify, sync and publish a downloaded blob (on the loop's thread) */
static void
job_finish(struct job *j)
{
	struct reg_fetch *f = j->f;

	if (blob_writer_finish(&j->w) == -1) {
		/* a wrong or short body: once more from 0, then give up */
		if (j->restarts++ == 0 && writer_reopen(j) == 0) {
			http_log(f->r->h, 1, "%s; downloading again",
			    err_msg());
			if (j->state == 3) {
				j->state = 1;
				f->running++;
			}
			job_submit(j);
			return;
		}
		/* wrong bytes are not kept for another run */
		job_fail(j, EIO, err_msg());
		if (j->open)
			blob_writer_abort(&j->w);
		j->open = 0;
		job_end(j);
		return;
	}
	if (j == f->gate) {
		if (gate_check(j) == -1) {
			blob_writer_abort(&j->w);
			j->open = 0;
			job_end(j);	/* refuses what the gate held */
			return;
		}
		job_publish(j);
		if (!j->failed)		/* else job_end() refused the rest */
			gate_settle(f, 1);
		return;
	}
	if (f->gate_state == GATE_SHUT)
		gate_hold(j);
	else if (f->gate_state == GATE_REFUSED)
		gate_discard(j);
	else
		job_publish(j);
}

/* name a verified, synced blob in the cache */
static void
job_publish(struct job *j)
{
	struct reg_fetch *f = j->f;

	if (blob_writer_publish(&j->w) == -1) {
		j->open = 0;
		job_fail(j, errno, err_msg());
		job_end(j);
		return;
	}
	j->open = 0;
	blocks_release(j);
	f->bytes += j->size;
	http_log(f->r->h, 1, "fetched blob '%s' (%lld bytes)", j->digest,
	    (long long)j->size);
	job_end(j);
}

static void *
syncer_main(void *arg)
{
	struct reg_fetch *f = arg;
	struct job *j;

	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (f->todo == NULL && !f->quit)
			pthread_cond_wait(&f->cv, &f->mu);
		if (f->todo == NULL)
			break;
		j = f->todo;
		f->todo = j->snext;
		pthread_mutex_unlock(&f->mu);
		j->sync_err = fsync(j->w.fd) == -1 ? errno : 0;
		pthread_mutex_lock(&f->mu);
		j->snext = f->synced;
		f->synced = j;
		pthread_cond_broadcast(&f->cv);
		http_wakeup(f->r->h);
	}
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

/* finish the blobs the syncer is done with */
static void
take_synced(struct reg_fetch *f)
{
	struct job *list, *j;

	pthread_mutex_lock(&f->mu);
	list = f->synced;
	f->synced = NULL;
	pthread_mutex_unlock(&f->mu);
	while ((j = list) != NULL) {
		list = j->snext;
		pthread_mutex_lock(&f->mu);
		f->syncing--;
		pthread_mutex_unlock(&f->mu);
		if (j->sync_err != 0) {
			err_sys(j->sync_err, "cannot sync blob '%s'", j->digest);
			job_fail(j, j->sync_err, err_msg());
			job_end(j);
			continue;
		}
		job_finish(j);
	}
}

struct reg_fetch *
registry_fetch_new(struct registry *r, struct layout *l)
{
	struct reg_fetch *f = xcalloc(1, sizeof(*f));

	f->r = r;
	f->l = l;
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	return f;
}

int
registry_fetch_add(struct reg_fetch *f, const char *repo, const char *digest,
    int64_t size)
{
	struct job *j;
	size_t i;

	if (digest_parse(digest, NULL, NULL) == -1)
		return -1;
	if (size < 0)
		return err_set(EINVAL, "blob '%s' has no size", digest);
	for (i = 0; i < f->n; i++)
		if (strcmp(f->jobs[i]->digest, digest) == 0)
			return 0;
	j = xcalloc(1, sizeof(*j));
	j->f = f;
	j->repo = xstrdup(repo);
	snprintf(j->digest, sizeof(j->digest), "%s", digest);
	j->size = size;
	j->sink.start = sink_start;
	j->sink.write = sink_write;
	j->sink.rewind = sink_rewind;
	j->sink.arg = j;
	j->q = (struct http_req)HTTP_REQ_INIT;
	j->w = (struct blob_writer)BLOB_WRITER_INIT;
	f->jobs = xrealloc(f->jobs, (f->n + 1) * sizeof(*f->jobs));
	f->jobs[f->n++] = j;
	return 0;
}

int
registry_fetch_put(struct reg_fetch *f, const char *repo, const char *digest,
    const void *p, size_t n)
{
	struct job *j;

	if (registry_fetch_add(f, repo, digest, (int64_t)n) == -1)
		return -1;
	j = f->jobs[f->n - 1];
	if (strcmp(j->digest, digest) != 0 || j->state != 0 || j->preloaded)
		return 0;	/* queued before */
	j->preloaded = 1;
	buf_add(&j->have, p, n);
	return 0;
}

int
registry_fetch_gate(struct reg_fetch *f, const char *digest, size_t max,
    reg_gate_fn *check, void *arg)
{
	struct job *j;
	size_t i;

	if (f->gate != NULL)
		return err_set(EINVAL, "a fetch has one gate");
	for (i = f->next; i < f->n; i++)
		if (strcmp(f->jobs[i]->digest, digest) == 0)
			break;
	if (i == f->n || f->jobs[i]->preloaded || f->jobs[i]->state != 0)
		return err_set(EINVAL, "blob '%s' is not queued for download",
		    digest);
	j = f->jobs[i];
	if (j->size > (int64_t)max)
		return err_set(EFBIG, "blob '%s' is larger than %zu bytes",
		    digest, max);
	/* first in the queue: the blobs it holds must not keep it waiting */
	memmove(&f->jobs[f->next + 1], &f->jobs[f->next],
	    (i - f->next) * sizeof(*f->jobs));
	f->jobs[f->next] = j;
	f->gate = j;
	f->gate_check = check;
	f->gate_arg = arg;
	f->gate_max = max;
	f->gate_state = GATE_SHUT;
	return 0;
}

/* blobs in hand go straight to the writer and the syncer */
static void
start_preloaded(struct reg_fetch *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		struct job *j = f->jobs[i];

		if (!j->preloaded || j->state != 0)
			continue;
		j->state = 1;
		f->running++;
		if (writer_reopen(j) == -1 || blob_writer_write(&j->w,
		    j->have.data, j->have.len) == -1) {
			job_fail(j, errno, err_msg());
			job_end(j);
			continue;
		}
		buf_release(&j->have);
		job_transferred(j);
	}
}

static void
syncer_stop(struct reg_fetch *f)
{
	if (f->thread != 1)
		return;
	pthread_mutex_lock(&f->mu);
	f->quit = 1;
	pthread_cond_broadcast(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->tid, NULL);
	f->thread = 0;
	f->quit = 0;
}

/* the progress line (a terminal's): the bytes of the blobs to download */
static void
progress_start(struct reg_fetch *f)
{
	int64_t total = 0;
	size_t i;
	char *what;

	for (i = f->next; i < f->n; i++)
		if (!f->jobs[i]->preloaded)
			total += f->jobs[i]->size;
	if (total == 0)
		return;
	what = xasprintf("%s/%s", f->r->domain, f->jobs[f->next]->repo);
	progress_begin(what, total);
	free(what);
	f->progress = 1;
}

int
registry_fetch_run(struct reg_fetch *f, size_t *done, int64_t *bytes)
{
	size_t i, ok = 0;
	int rc = 0;

	if (f->n > f->next && registry_probe(f->r) == -1)
		return -1;
	for (i = f->next; i < f->n; i++) {
		char *s = xasprintf("repository:%s:pull", f->jobs[i]->repo);

		auth_add_scope(&f->r->auth, s);
		free(s);
	}
	if (f->thread == 0)
		f->thread = pthread_create(&f->tid, NULL, syncer_main, f) == 0 ?
		    1 : -1;
	progress_start(f);
	start_preloaded(f);
	start_more(f);
	for (;;) {
		take_synced(f);
		if (http_busy(f->r->h)) {
			if (http_step(f->r->h) == -1)
				break;
			continue;
		}
		pthread_mutex_lock(&f->mu);
		if (f->syncing == 0) {
			pthread_mutex_unlock(&f->mu);
			break;
		}
		while (f->synced == NULL)
			pthread_cond_wait(&f->cv, &f->mu);
		pthread_mutex_unlock(&f->mu);
	}
	syncer_stop(f);
	if (f->gate_state == GATE_SHUT)	/* its blob never came */
		gate_settle(f, 0);
	if (f->progress)
		progress_end();
	/* what was published is synced, whatever else failed */
	for (i = 0; i < f->n; i++)
		if (f->jobs[i]->state == 2 && !f->jobs[i]->failed)
			ok++;
	if (ok > 0 && layout_sync_blobs(f->l) == -1)
		rc = -1;
	ok = 0;
	/* what the gate refused is why the others were not stored */
	if (f->gate != NULL && f->gate->failed) {
		err_set(f->gate->err ? f->gate->err : EIO, "%s",
		    f->gate->errmsg);
		rc = -1;
	}
	for (i = 0; i < f->n; i++) {
		struct job *j = f->jobs[i];

		if (j->failed) {
			if (rc == 0)
				err_set(j->err ? j->err : EIO, "%s", j->errmsg);
			rc = -1;
		} else if (j->state == 2) {
			ok++;
		} else {
			if (rc == 0)
				err_set(EIO, "blob '%s' was not fetched",
				    j->digest);
			rc = -1;
		}
	}
	if (done != NULL)
		*done = ok;
	if (bytes != NULL)
		*bytes = f->bytes;
	return rc;
}

void
registry_fetch_free(struct reg_fetch *f)
{
	size_t i;

	if (f == NULL)
		return;
	syncer_stop(f);
	for (i = 0; i < f->n; i++) {
		struct job *j = f->jobs[i];

		if (j->open) {
			flush(j);
			blob_writer_suspend(&j->w);
		}
		blocks_release(j);
		buf_release(&j->have);
		j->q.auth = NULL;
		http_req_release(&j->q);
		free(j->repo);
		free(j);
	}
	free(f->jobs);
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	free(f);
}
