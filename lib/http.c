/* lib/http.c - HTTP for the registry client, over libcurl */
#include <sys/types.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "err.h"
#include "fsutil.h"
#include "http.h"
#include "monotime.h"
#include "xalloc.h"

/* per host: TLS material from certs.d, and the retry gate */
struct hostcfg {
	struct hostcfg	*next;
	char		*hostport;
	int		 insecure;
	struct buf	 cablob;	/* base bundle plus certs.d CAs, or empty */
	char		*cert, *key;	/* client certificate */
	char		*error;		/* certs.d was unusable */
	int64_t		 not_before;	/* ms, monotonic: 429 / 503 gate */
	int		 warned;
};

struct xfer {
	struct http	*h;
	int		 storage_retried;	/* a 4xx from a redirect target */
	long		 waited_ms;		/* backoff so far: 120 s at most */
	struct http_req	*r;
	struct xfer	*next;		/* the waiting list */
	CURL		*easy;
	struct curl_slist *headers;
	char		*first_url;	/* before redirects: for §5.3 */
	int64_t		 not_before;	/* ms, monotonic */
	int64_t		 deadline;	/* ms, monotonic: the whole request */
	int64_t		 body_off;	/* upload position */
	int		 started;	/* sink->start() ran for this response */
	int		 aborted;	/* the write callback refused */
	int		 too_big;
	int		 errbody_full;	/* an error body reached its cap */
	int		 active;	/* in the multi handle */
	int		 finished;
	long		 status;	/* of the response being received */
	char		 errbuf[CURL_ERROR_SIZE];
};

/*
 * Timing (doc/registry-client.md §5.5, §5.6). A connection that takes
 * longer than CONNECT_TIMEOUT_S to set up (TCP and TLS) is a dead host.
 * A transfer slower than LOW_SPEED_BYTES a second for LOW_SPEED_TIME_S
 * is stalled and retried: slow links still move far more than 1 KiB/s.
 * Backoff starts at BACKOFF_FIRST_MS and doubles up to BACKOFF_MAX_MS,
 * and a Retry-After that asks for more than RETRY_AFTER_MAX_MS is
 * clamped to it: a tool that waits minutes looks hung. One round of the
 * loop waits at most STEP_WAIT_MS, so callers with work of their own
 * (the syncer's results) get to it.
 */
#define CONNECT_TIMEOUT_S	30
#define LOW_SPEED_BYTES		1024
#define LOW_SPEED_TIME_S	60
#define BACKOFF_FIRST_MS	500
#define BACKOFF_MAX_MS		30000
#define RETRY_AFTER_MAX_MS	60000
#define STEP_WAIT_MS		1000
/*
 * Every request, its retries and redirects included, ends within
 * HTTP_DEADLINE_S (or OCIKIT_HTTP_DEADLINE seconds, see ocikit(7)): the
 * low-speed limit alone lets a server that trickles just fast enough
 * hold a transfer for ever. Three hours moves a 5 GB layer at 0.5 MB/s.
 */
#define HTTP_DEADLINE_S		(3L * 3600)
#define HTTP_DEADLINE_MAX_S	(30L * 86400)	/* a month: keeps ms in range */
/*
 * curl's receive buffer: each read(2) on a fast connection may bring up
 * to this much, so the blob sinks see fewer, larger blocks.
 */
#define CURL_BUFFER_BYTES	(512L << 10)

struct http {
	CURLM		*multi;
	struct http_opts opts;
	char		**insecure;
	size_t		 n_insecure;
	struct curl_slist *resolve;
	char		*noproxy;
	char		*http_proxy;
	char		*ua;
	char		*ca_file, *ca_path;	/* the base set (§5.4) */
	struct hostcfg	*hosts;
	long		 deadline_s;	/* or OCIKIT_HTTP_DEADLINE */
	struct xfer	*waiting;
	int		 nactive;
	char		**warnings;
	size_t		 n_warnings;
};

/* the overall deadline of x's request in seconds */
static long
deadline_s(const struct xfer *x)
{
	long s = x->h->deadline_s;

	if (x->r->timeout_s > 0 && x->r->timeout_s < s)
		s = x->r->timeout_s;
	return s;
}

void
http_log(struct http *h, int level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (h == NULL || h->opts.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	h->opts.log(h->opts.log_arg, level, msg);
}

int
http_req_fail(struct http_req *r, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->errmsg, sizeof(r->errmsg), fmt, ap);
	va_end(ap);
	r->err = err;
	r->result = -1;
	return -1;
}

/* ---- URLs and origins ---- */

static int
url_parts(const char *url, char **scheme, char **host, char **port)
{
	CURLU *u;
	int rc = -1;

	*scheme = *host = *port = NULL;
	if ((u = curl_url()) == NULL)
		return -1;
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, host, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PORT, port, CURLU_DEFAULT_PORT) !=
	    CURLUE_OK)
		goto out;
	if ((*host)[0] == '[') {	/* IPv6: without brackets here */
		size_t n = strlen(*host);

		memmove(*host, *host + 1, n - 1);
		(*host)[n - 2] = '\0';
	}
	rc = 0;
out:
	curl_url_cleanup(u);
	if (rc == -1) {
		curl_free(*scheme);
		curl_free(*host);
		curl_free(*port);
		*scheme = *host = *port = NULL;
	}
	return rc;
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = tolower((unsigned char)*s);
}

int
http_origin(const char *url, char *out, size_t n)
{
	char *scheme, *host, *port;
	int dflt, len;

	if (url_parts(url, &scheme, &host, &port) == -1)
		return err_set(EINVAL, "malformed url '%.200s'", url);
	lower(scheme);
	lower(host);
	dflt = (strcmp(scheme, "https") == 0 && strcmp(port, "443") == 0) ||
	    (strcmp(scheme, "http") == 0 && strcmp(port, "80") == 0);
	len = snprintf(out, n, strchr(host, ':') ? "%s://[%s]%s%s" :
	    "%s://%s%s%s", scheme, host, dflt ? "" : ":", dflt ? "" : port);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	if (len < 0 || (size_t)len >= n)
		return err_set(ENAMETOOLONG, "url too long '%.200s'", url);
	return 0;
}

int
http_hostport(const char *url, char *out, size_t n)
{
	char origin[512], *p;

	if (http_origin(url, origin, sizeof(origin)) == -1)
		return -1;
	p = strstr(origin, "://") + 3;
	if (strlen(p) >= n)
		return err_set(ENAMETOOLONG, "url too long '%.200s'", url);
	memcpy(out, p, strlen(p) + 1);
	return 0;
}

int
http_header_value_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

char *
http_resolve_url(const char *base, const char *ref)
{
	CURLU *u;
	char *s = NULL, *res = NULL;

	if (!http_header_value_ok(ref) || strchr(ref, '\t') != NULL)
		return NULL;	/* a URL goes into the request line */
	if ((u = curl_url()) == NULL)
		return NULL;
	if (curl_url_set(u, CURLUPART_URL, base, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_URL, ref, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &s, 0) == CURLUE_OK)
		res = xstrdup(s);
	curl_free(s);
	curl_url_cleanup(u);
	return res;
}

char *
http_escape(const char *s)
{
	char *e, *res;

	if ((e = curl_easy_escape(NULL, s, 0)) == NULL)
		return xstrdup("");
	res = xstrdup(e);
	curl_free(e);
	return res;
}

/* split "host[:port]" (IPv6 in brackets) into host (no brackets) and port */
static void
split_hostport(const char *hp, char *host, size_t n, const char **port)
{
	const char *end;

	*port = NULL;
	if (hp[0] == '[' && (end = strchr(hp, ']')) != NULL) {
		snprintf(host, n, "%.*s", (int)(end - hp - 1), hp + 1);
		if (end[1] == ':')
			*port = end + 2;
		return;
	}
	if ((end = strrchr(hp, ':')) != NULL && strchr(hp, ':') == end) {
		snprintf(host, n, "%.*s", (int)(end - hp), hp);
		*port = end + 1;
		return;
	}
	snprintf(host, n, "%s", hp);
}

enum ipclass { IP_NAME, IP_LOOPBACK, IP_PRIVATE, IP_LINKLOCAL, IP_UNSPEC,
	IP_PUBLIC };

static enum ipclass
ip_class(const char *host)
{
	unsigned char a[16];

	if (strcasecmp(host, "localhost") == 0)
		return IP_LOOPBACK;
	if (inet_pton(AF_INET, host, a) == 1) {
		if (a[0] == 127)
			return IP_LOOPBACK;
		if (a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		    (a[0] == 192 && a[1] == 168))
			return IP_PRIVATE;
		if (a[0] == 169 && a[1] == 254)
			return IP_LINKLOCAL;
		if (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0)
			return IP_UNSPEC;
		return IP_PUBLIC;
	}
	if (inet_pton(AF_INET6, host, a) == 1) {
		static const unsigned char zero[16], one[16] = { [15] = 1 };

		if (memcmp(a, one, 16) == 0)
			return IP_LOOPBACK;
		if (memcmp(a, zero, 16) == 0)
			return IP_UNSPEC;
		if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
			return IP_LINKLOCAL;
		if ((a[0] & 0xfe) == 0xfc)
			return IP_PRIVATE;
		return IP_PUBLIC;
	}
	return IP_NAME;
}

static int
hostport_matches(const char *pattern, const char *hostport)
{
	char ph[256], hh[256];
	const char *pp, *hp;

	split_hostport(pattern, ph, sizeof(ph), &pp);
	split_hostport(hostport, hh, sizeof(hh), &hp);
	if (strcasecmp(ph, hh) != 0)
		return 0;
	return pp == NULL || (hp != NULL && strcmp(pp, hp) == 0);
}

int
http_is_insecure(struct http *h, const char *hostport)
{
	size_t i;

	for (i = 0; h != NULL && i < h->n_insecure; i++)
		if (hostport_matches(h->insecure[i], hostport))
			return 1;
	return 0;
}

int
http_is_loopback(const char *hostport)
{
	char host[256];
	const char *port;

	split_hostport(hostport, host, sizeof(host), &port);
	return ip_class(host) == IP_LOOPBACK;
}

int
http_plain_allowed(struct http *h, const char *hostport)
{
	char host[256];
	const char *port;

	split_hostport(hostport, host, sizeof(host), &port);
	return ip_class(host) == IP_LOOPBACK || http_is_insecure(h, hostport);
}

int
http_target_ok(struct http *h, const char *reg_url, const char *target)
{
	char *rs, *rh, *rp, *ts, *th, *tp;
	enum ipclass rc_, tc;
	char thp[300];
	int rc = -1;

	if (url_parts(reg_url, &rs, &rh, &rp) == -1)
		return err_set(EINVAL, "malformed url '%.200s'", reg_url);
	if (url_parts(target, &ts, &th, &tp) == -1) {
		err_set(EINVAL, "malformed url '%.200s'", target);
		goto out_reg;
	}
	lower(ts);
	lower(rs);
	snprintf(thp, sizeof(thp), strchr(th, ':') ? "[%s]:%s" : "%s:%s",
	    th, tp);
	if (strcmp(ts, "http") != 0 && strcmp(ts, "https") != 0) {
		err_set(EPERM, "refusing '%.20s' url to host '%.100s'", ts, th);
		goto out;
	}
	if (strcmp(rs, "https") == 0 && strcmp(ts, "http") == 0 &&
	    !http_plain_allowed(h, thp)) {
		err_set(EPERM, "refusing plain http to host '%.100s'", th);
		goto out;
	}
	rc_ = ip_class(rh);
	tc = ip_class(th);
	if (tc != IP_NAME && tc != IP_PUBLIC) {
		int same = strcasecmp(rh, th) == 0 && strcmp(rp, tp) == 0;

		if ((tc == IP_LINKLOCAL || tc == IP_UNSPEC) && !same) {
			err_set(EPERM, "refusing link-local or unspecified "
			    "address '%.100s'", th);
			goto out;
		}
		if ((tc == IP_LOOPBACK || tc == IP_PRIVATE) && !same &&
		    rc_ != tc) {
			err_set(EPERM, "refusing %s address '%.100s' for a "
			    "registry elsewhere", tc == IP_LOOPBACK ?
			    "loopback" : "private", th);
			goto out;
		}
	}
	rc = 0;
out:
	curl_free(ts);
	curl_free(th);
	curl_free(tp);
out_reg:
	curl_free(rs);
	curl_free(rh);
	curl_free(rp);
	return rc;
}

/* ---- retries ---- */

int
http_status_retried(long s)
{
	return s == 408 || s == 429 || s == 499 || s == 500 || s == 502 ||
	    s == 503 || s == 504 || s == 522;
}

static int
curl_retried(int code)
{
	switch (code) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return 1;
	}
	return 0;
}

long
http_backoff_ms(int k)
{
	long d = BACKOFF_FIRST_MS;

	while (--k > 0 && d < BACKOFF_MAX_MS)
		d *= 2;
	if (d > BACKOFF_MAX_MS)
		d = BACKOFF_MAX_MS;
	return d / 2 + random() % (d / 2 + 1);
}

long
http_retry_after(const char *v, const char *date, time_t now)
{
	char *end;
	long n;
	time_t t, base = now;

	if (v == NULL)
		return -1;
	while (*v == ' ')
		v++;
	if (isdigit((unsigned char)*v)) {
		errno = 0;
		n = strtol(v, &end, 10);
		while (*end == ' ')
			end++;
		if (*end != '\0' || n < 0 || (errno != 0 && errno != ERANGE))
			return -1;
		return n > HTTP_RETRY_AFTER_MAX_S ? HTTP_RETRY_AFTER_MAX_S : n;
	}
	if ((t = curl_getdate(v, NULL)) == -1)
		return -1;
	if (date != NULL && curl_getdate(date, NULL) != -1)
		base = curl_getdate(date, NULL);
	if (t <= base)
		return 0;
	return t - base > HTTP_RETRY_AFTER_MAX_S ? HTTP_RETRY_AFTER_MAX_S :
	    (long)(t - base);
}

/* ---- per-host configuration (§5.4) ---- */

/* a CA bundle or certificate is a few hundred KiB; more is not one */
#define CA_FILE_MAX	(16u << 20)

/* append the file at path to b, through lib/fsutil's one reader */
static int
append_file(const char *path, struct buf *b)
{
	struct buf f = BUF_INIT;
	int rc = fs_read_path(path, CA_FILE_MAX, &f);

	if (rc == 0)
		buf_add(b, f.data, f.len);
	buf_release(&f);
	return rc;
}

static int
has_suffix(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a > b && strcmp(s + a - b, suf) == 0;
}

static void
certs_dir(struct http *h, struct hostcfg *c, const char *dir)
{
	struct dirent **ents = NULL;
	struct buf extra = BUF_INIT;
	int i, n;

	if ((n = scandir(dir, &ents, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *p = xasprintf("%s/%s", dir, name);

		if (has_suffix(name, ".crt")) {
			if (append_file(p, &extra) == -1 && c->error == NULL)
				c->error = xasprintf("cannot read '%s'", p);
			buf_adds(&extra, "\n");
		} else if (has_suffix(name, ".cert") || has_suffix(name, ".key")) {
			int cert = has_suffix(name, ".cert");
			size_t stem = strlen(p) - (cert ? 5 : 4);
			char *other = xasprintf("%.*s%s", (int)stem, p,
			    cert ? ".key" : ".cert");

			if (access(other, R_OK) != 0) {
				if (c->error == NULL)
					c->error = xasprintf("'%s' has no "
					    "matching '%s'", p, other);
			} else if (cert && c->cert == NULL) {
				c->cert = xstrdup(p);
				c->key = other;
				other = NULL;
			} else if (cert) {
				http_log(h, 0, "ignoring extra client "
				    "certificate '%s'", p);
			}
			free(other);
		}
		free(p);
	}
	for (i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	if (extra.len > 0) {
		/*
		 * The base bundle first: a blob replaces CURLOPT_CAINFO, so
		 * an unread bundle would silently drop the system's CAs.
		 */
		if (h->ca_file != NULL && append_file(h->ca_file,
		    &c->cablob) == -1 && c->error == NULL)
			c->error = xasprintf("cannot read the CA bundle '%s'",
			    h->ca_file);
		buf_add(&c->cablob, extra.data, extra.len);
	}
	buf_release(&extra);
}

static struct hostcfg *
host_get(struct http *h, const char *hostport)
{
	struct hostcfg *c;
	const char *xdg, *home;
	char *dirs[3];
	size_t i;

	for (c = h->hosts; c != NULL; c = c->next)
		if (strcmp(c->hostport, hostport) == 0)
			return c;
	c = xcalloc(1, sizeof(*c));
	c->hostport = xstrdup(hostport);
	c->insecure = http_is_insecure(h, hostport);
	c->next = h->hosts;
	h->hosts = c;

	xdg = getenv("XDG_CONFIG_HOME");
	home = getenv("HOME");
	if (xdg != NULL && *xdg != '\0')
		dirs[0] = xasprintf("%s/containers/certs.d/%s", xdg, hostport);
	else
		dirs[0] = xasprintf("%s/.config/containers/certs.d/%s",
		    home ? home : "", hostport);
	dirs[1] = xasprintf("/etc/containers/certs.d/%s", hostport);
	dirs[2] = xasprintf("/etc/docker/certs.d/%s", hostport);
	for (i = 0; i < 3; i++) {
		if (access(dirs[i], X_OK) == 0) {
			certs_dir(h, c, dirs[i]);
			break;
		}
	}
	for (i = 0; i < 3; i++)
		free(dirs[i]);
	if (c->insecure)
		http_log(h, 0, "TLS verification is off for '%s'", hostport);
	return c;
}

/* ---- the client ---- */

/* HTTP_DEADLINE_S, or OCIKIT_HTTP_DEADLINE seconds (ocikit(7)) */
static long
deadline_from_env(struct http *h)
{
	const char *v = getenv("OCIKIT_HTTP_DEADLINE");
	char *end;
	long t;

	if (v == NULL || *v == '\0')
		return HTTP_DEADLINE_S;
	errno = 0;
	t = strtol(v, &end, 10);
	if (errno == 0 && *end == '\0' && t > 0 && t <= HTTP_DEADLINE_MAX_S)
		return t;
	http_log(h, 0, "ignoring OCIKIT_HTTP_DEADLINE='%.20s': not a number "
	    "of seconds from 1 to %ld", v, HTTP_DEADLINE_MAX_S);
	return HTTP_DEADLINE_S;
}

struct http *
http_new(const struct http_opts *o)
{
	struct http *h;
	const char *v, *np;
	size_t i;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		err_set(EIO, "cannot initialise libcurl");
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->opts = *o;
	h->opts.insecure = NULL;
	h->opts.resolve = NULL;
	if ((h->multi = curl_multi_init()) == NULL) {
		free(h);
		err_set(EIO, "cannot initialise libcurl");
		return NULL;
	}
	if (h->opts.max_per_host <= 0)
		h->opts.max_per_host = 4;
	h->deadline_s = deadline_from_env(h);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)h->opts.max_per_host);
	for (i = 0; o->insecure != NULL && o->insecure[i] != NULL; i++) {
		h->insecure = xrealloc(h->insecure,
		    (i + 1) * sizeof(*h->insecure));
		h->insecure[i] = xstrdup(o->insecure[i]);
		h->n_insecure = i + 1;
	}
	for (i = 0; o->resolve != NULL && o->resolve[i] != NULL; i++)
		h->resolve = curl_slist_append(h->resolve, o->resolve[i]);
	h->ua = xasprintf("ocikit/%s (%s)", OCIKIT_VERSION,
	    o->tool ? o->tool : "ocikit");

	/* loopback is never proxied; the option replaces the variable */
	if ((np = getenv("no_proxy")) == NULL || *np == '\0')
		np = getenv("NO_PROXY");
	h->noproxy = xasprintf("%s%slocalhost,127.0.0.0/8,::1",
	    np ? np : "", np && *np ? "," : "");
	if (getenv("http_proxy") == NULL && getenv("REQUEST_METHOD") == NULL &&
	    (v = getenv("HTTP_PROXY")) != NULL && *v != '\0')
		h->http_proxy = xstrdup(v);

	/* the base CA set: libcurl 7.88 ignores these variables itself */
	if ((v = getenv("CURL_CA_BUNDLE")) != NULL && *v != '\0') {
		h->ca_file = xstrdup(v);
	} else {
		if ((v = getenv("SSL_CERT_FILE")) != NULL && *v != '\0')
			h->ca_file = xstrdup(v);
		if ((v = getenv("SSL_CERT_DIR")) != NULL && *v != '\0')
			h->ca_path = xstrdup(v);
		if (h->ca_file == NULL && h->ca_path == NULL) {
			CURL *e = curl_easy_init();
			char *def = NULL;

			if (e != NULL &&
			    curl_easy_getinfo(e, CURLINFO_CAINFO, &def) ==
			    CURLE_OK && def != NULL)
				h->ca_file = xstrdup(def);
			if (e != NULL)
				curl_easy_cleanup(e);
		}
	}
	srandom((unsigned)(time(NULL) ^ getpid()));
	return h;
}

static void
hdrs_release(struct http_hdrs *hd)
{
	size_t i;

	free(hd->content_type);
	free(hd->content_encoding);
	free(hd->content_range);
	free(hd->dcd);
	free(hd->location);
	free(hd->retry_after);
	free(hd->date);
	free(hd->link);
	free(hd->range);
	free(hd->ratelimit);
	for (i = 0; i < hd->n_www_auth; i++)
		free(hd->www_auth[i]);
	free(hd->www_auth);
	memset(hd, 0, sizeof(*hd));
	hd->content_length = -1;
}

static void
xfer_free(struct xfer *x)
{
	if (x == NULL)
		return;
	if (x->easy != NULL)
		curl_easy_cleanup(x->easy);
	curl_slist_free_all(x->headers);
	free(x->first_url);
	free(x);
}

void
http_free(struct http *h)
{
	struct hostcfg *c, *next;
	size_t i;

	if (h == NULL)
		return;
	for (c = h->hosts; c != NULL; c = next) {
		next = c->next;
		free(c->hostport);
		buf_release(&c->cablob);
		free(c->cert);
		free(c->key);
		free(c->error);
		free(c);
	}
	for (i = 0; i < h->n_insecure; i++)
		free(h->insecure[i]);
	free(h->insecure);
	for (i = 0; i < h->n_warnings; i++)
		free(h->warnings[i]);
	free(h->warnings);
	curl_slist_free_all(h->resolve);
	curl_multi_cleanup(h->multi);
	free(h->noproxy);
	free(h->http_proxy);
	free(h->ua);
	free(h->ca_file);
	free(h->ca_path);
	free(h);
	curl_global_cleanup();
}

void
http_req_set_url(struct http_req *r, const char *url)
{
	free(r->url);
	r->url = xstrdup(url);
}

void
http_req_reset(struct http_req *r)
{
	struct xfer *x = r->priv;

	if (x != NULL) {
		free(x->first_url);
		x->first_url = NULL;
	}
	hdrs_release(&r->hdr);
	buf_release(&r->body);
	r->result = 0;
	r->err = 0;
	r->errmsg[0] = '\0';
	r->status = 0;
	r->curl_code = 0;
	r->attempts = 0;
	r->hops = 0;
}

void
http_req_release(struct http_req *r)
{
	hdrs_release(&r->hdr);
	buf_release(&r->body);
	xfer_free(r->priv);
	r->priv = NULL;
	free(r->url);
	r->url = NULL;
	free(r->auth_origin);
	r->auth_origin = NULL;
}

/* ---- callbacks ---- */

static char *
trimdup(const char *p, size_t n)
{
	while (n > 0 && (*p == ' ' || *p == '\t'))
		p++, n--;
	while (n > 0 && (p[n - 1] == '\r' || p[n - 1] == '\n' ||
	    p[n - 1] == ' ' || p[n - 1] == '\t'))
		n--;
	return xstrndup(p, n);
}

static void
set_hdr(char **slot, const char *v, size_t n)
{
	free(*slot);
	*slot = trimdup(v, n);
}

/* Warning: 299 - "text": shown once per distinct text per run */
#define MAX_WARNINGS	16
static void
note_warning(struct http *h, const char *v, size_t n)
{
	char *w = trimdup(v, n), *q, *e;
	size_t i;

	if (strncmp(w, "299", 3) != 0 || (q = strchr(w, '"')) == NULL ||
	    (e = strrchr(w, '"')) == q) {
		free(w);
		return;
	}
	*e = '\0';
	q++;
	for (i = 0; i < h->n_warnings; i++)
		if (strcmp(h->warnings[i], q) == 0) {
			free(w);
			return;
		}
	if (h->n_warnings >= MAX_WARNINGS) {	/* a registry that varies them */
		free(w);
		return;
	}
	for (e = q; *e != '\0'; e++)	/* a line of text, not a terminal's */
		if ((unsigned char)*e < 0x20 || *e == 0x7f)
			*e = '?';
	h->warnings = xrealloc(h->warnings, (h->n_warnings + 1) *
	    sizeof(char *));
	h->warnings[h->n_warnings++] = xstrdup(q);
	http_log(h, 0, "registry warning: %.200s", q);
	free(w);
}

static size_t
header_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_hdrs *hd = &x->r->hdr;
	size_t n = size * nmemb, klen;
	const char *colon, *v;

	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		hdrs_release(hd);	/* a new response (1xx, or a hop) */
		return n;
	}
	if ((colon = memchr(p, ':', n)) == NULL)
		return n;
	klen = colon - p;
	v = colon + 1;
#define IS(name) (klen == sizeof(name) - 1 && strncasecmp(p, name, klen) == 0)
	if (IS("content-type"))
		set_hdr(&hd->content_type, v, n - klen - 1);
	else if (IS("content-encoding"))
		set_hdr(&hd->content_encoding, v, n - klen - 1);
	else if (IS("content-range"))
		set_hdr(&hd->content_range, v, n - klen - 1);
	else if (IS("docker-content-digest"))
		set_hdr(&hd->dcd, v, n - klen - 1);
	else if (IS("location"))
		set_hdr(&hd->location, v, n - klen - 1);
	else if (IS("retry-after"))
		set_hdr(&hd->retry_after, v, n - klen - 1);
	else if (IS("date"))
		set_hdr(&hd->date, v, n - klen - 1);
	else if (IS("link"))
		set_hdr(&hd->link, v, n - klen - 1);
	else if (IS("range"))
		set_hdr(&hd->range, v, n - klen - 1);
	else if (IS("ratelimit-remaining"))
		set_hdr(&hd->ratelimit, v, n - klen - 1);
	else if (IS("content-length")) {
		char *s = trimdup(v, n - klen - 1), *end;
		long long cl;

		errno = 0;
		cl = strtoll(s, &end, 10);
		hd->content_length = (errno || *end || end == s || cl < 0) ?
		    -1 : cl;
		free(s);
	} else if (IS("www-authenticate") &&
	    hd->n_www_auth < HTTP_MAX_CHALLENGE_HDRS) {
		hd->www_auth = xrealloc(hd->www_auth,
		    (hd->n_www_auth + 1) * sizeof(char *));
		hd->www_auth[hd->n_www_auth++] = trimdup(v, n - klen - 1);
	} else if (IS("warning")) {
		note_warning(x->h, v, n - klen - 1);
	}
#undef IS
	return n;
}

static size_t
write_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_req *r = x->r;
	size_t n = size * nmemb;
	long st = 0;

	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
	x->status = st;
	if (st >= 200 && st < 300 && r->sink != NULL &&
	    strcmp(r->method, "GET") == 0) {
		if (!x->started) {
			x->started = 1;
			r->status = st;
			if (r->sink->start != NULL &&
			    r->sink->start(r->sink->arg, r) == -1) {
				x->aborted = 1;
				return 0;
			}
		}
		if (r->sink->write(r->sink->arg, r, p, n) == -1) {
			x->aborted = 1;
			return 0;
		}
		return n;
	}
	if (st >= 200 && st < 300) {
		if (r->body.len + n > r->max_body) {
			x->too_big = 1;
			return 0;
		}
	} else if (r->body.len + n > HTTP_MAX_ERRBODY) {
		/*
		 * Enough of an error body to quote it: stop reading. The
		 * response is handed on as it is (an endless body must not
		 * hold the transfer, doc/registry-client.md §3.5).
		 */
		buf_add(&r->body, p, HTTP_MAX_ERRBODY - r->body.len);
		x->errbody_full = 1;
		return 0;
	}
	buf_add(&r->body, p, n);
	return n;
}

static size_t
read_cb(char *p, size_t size, size_t nmemb, void *arg)
{
	struct xfer *x = arg;
	struct http_req *r = x->r;
	size_t n = size * nmemb;
	int64_t left = r->send_len - x->body_off;
	ssize_t got;

	if (left <= 0)
		return 0;
	if ((int64_t)n > left)
		n = left;
	if (r->send_fd >= 0) {
		got = pread(r->send_fd, p, n, x->body_off);
		if (got < 0)
			return CURL_READFUNC_ABORT;
		n = got;
	} else {
		memcpy(p, (const char *)r->send + x->body_off, n);
	}
	x->body_off += n;
	return n;
}

/* where a credential starts in a debug line, or NULL */
static const char *
secret_at(const char *p, size_t len)
{
	static const char key[] = "authorization:";	/* proxy- too */
	size_t i, kl = sizeof(key) - 1;

	for (i = 0; i + kl <= len; i++)
		if (strncasecmp(p + i, key, kl) == 0)
			return p + i + kl;
	return NULL;
}

/*
 * -vv: headers and curl's notes, with credentials and pre-signed queries
 * cut out (CURLOPT_VERBOSE would print them verbatim, HTTP/2 notes too).
 */
static int
debug_cb(CURL *e, curl_infotype type, char *data, size_t size, void *arg)
{
	struct http *h = arg;
	const char *p = data, *end = data + size, *nl, *sec, *q;

	if (type != CURLINFO_HEADER_OUT && type != CURLINFO_HEADER_IN &&
	    type != CURLINFO_TEXT)
		return 0;
	while (p < end) {
		const char *tag = type == CURLINFO_HEADER_OUT ? ">" :
		    type == CURLINFO_HEADER_IN ? "<" : "*";
		int len;

		nl = memchr(p, '\n', end - p);
		len = (int)((nl ? nl : end) - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (len <= 0) {
			p = nl ? nl + 1 : end;
			continue;
		}
		if ((sec = secret_at(p, len)) != NULL) {
			http_log(h, 2, "%s %.*s <redacted>", tag,
			    (int)(sec - p), p);
		} else if ((q = memchr(p, '?', len)) != NULL) {
			const char *sp = memchr(q, ' ', p + len - q);

			http_log(h, 2, "%s %.*s?<redacted>%.*s", tag,
			    (int)(q - p), p, sp ? (int)(p + len - sp) : 0,
			    sp ? sp : "");
		} else {
			http_log(h, 2, "%s %.*s", tag, len, p);
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
}

/* ---- running transfers ---- */

/* options every transfer gets: callbacks, timeouts, proxy, debug */
static void
setopt_common(struct http *h, struct xfer *x, const char *scheme)
{
	CURL *e = x->easy;
	struct http_req *r = x->r;
	int64_t left;

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, h->ua);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
	left = x->deadline - monotime_ms();
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)(left > 0 ? left : 1));
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)LOW_SPEED_TIME_S);
	curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, (long)CURL_BUFFER_BYTES);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_NOPROXY, h->noproxy);
	if (h->http_proxy != NULL && strcasecmp(scheme, "http") == 0)
		curl_easy_setopt(e, CURLOPT_PROXY, h->http_proxy);
	if (h->resolve != NULL)
		curl_easy_setopt(e, CURLOPT_RESOLVE, h->resolve);
	if (h->opts.debug) {
		curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, debug_cb);
		curl_easy_setopt(e, CURLOPT_DEBUGDATA, h);
		curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
	}
}

/* TLS for the host (doc/registry-client.md §5.2, §5.4) */
static void
setopt_tls(struct http *h, CURL *e, struct hostcfg *c, int no_verify)
{
	if (c->insecure || no_verify) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (h->ca_file != NULL)
		curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_file);
	if (h->ca_path != NULL)
		curl_easy_setopt(e, CURLOPT_CAPATH, h->ca_path);
	if (c->cablob.len > 0) {
		struct curl_blob blob = { c->cablob.data, c->cablob.len,
		    CURL_BLOB_NOCOPY };

		curl_easy_setopt(e, CURLOPT_CAINFO_BLOB, &blob);
		/* a cached store would carry this host's CAs to others */
		curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 0L);
	}
	if (c->cert != NULL) {
		curl_easy_setopt(e, CURLOPT_SSLCERT, c->cert);
		curl_easy_setopt(e, CURLOPT_SSLKEY, c->key);
	}
}

static void
setopt_method(struct xfer *x)
{
	CURL *e = x->easy;
	struct http_req *r = x->r;
	curl_off_t len = r->send_len > 0 ? r->send_len : 0;

	if (strcmp(r->method, "HEAD") == 0) {
		curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
	} else if (strcmp(r->method, "GET") == 0) {
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	} else if (strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, len);
	} else if (strcmp(r->method, "DELETE") == 0) {
		curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else {
		curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, len);
		if (strcmp(r->method, "PUT") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r->method);
	}
	curl_easy_setopt(e, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(e, CURLOPT_READDATA, x);
}

/* append "Name: value" to the request's headers */
static void
add_header(struct xfer *x, const char *name, const char *value)
{
	char *v = xasprintf("%s: %s", name, value);

	x->headers = curl_slist_append(x->headers, v);
	explicit_bzero(v, strlen(v));
	free(v);
}

static void
set_headers(struct xfer *x, const char *origin)
{
	struct http_req *r = x->r;
	char range[40];

	x->headers = curl_slist_append(x->headers, "Expect:");
	if (r->accept != NULL)
		add_header(x, "Accept", r->accept);
	if (r->content_type != NULL)
		add_header(x, "Content-Type", r->content_type);
	if (r->range_from >= 0) {
		snprintf(range, sizeof(range), "bytes=%lld-",
		    (long long)r->range_from);
		add_header(x, "Range", range);
	}
	/* credentials only to the origin they belong to (§4.7, §5.1) */
	if (r->auth != NULL && r->auth_origin != NULL &&
	    strcmp(origin, r->auth_origin) == 0)
		add_header(x, "Authorization", r->auth);
	curl_easy_setopt(x->easy, CURLOPT_HTTPHEADER, x->headers);
}

/*
 * Nothing with a control character goes into the request line or a
 * header: a CR or LF there would start a header of the sender's
 * choosing (a token service's reply, a Location, a credential).
 */
static int
header_values_ok(struct http_req *r)
{
	const char *what = NULL;

	if (!http_header_value_ok(r->url) || strchr(r->url, '\t') != NULL)
		what = "url";
	else if (r->accept != NULL && !http_header_value_ok(r->accept))
		what = "Accept header";
	else if (r->content_type != NULL &&
	    !http_header_value_ok(r->content_type))
		what = "Content-Type header";
	else if (r->auth != NULL && !http_header_value_ok(r->auth))
		what = "Authorization header";
	if (what == NULL)
		return 1;
	http_req_fail(r, EINVAL, "refusing a control character in the %s",
	    what);
	return 0;
}

/* a fresh attempt: the easy handle set up from scratch for r->url */
static int
xfer_setup(struct http *h, struct xfer *x)
{
	struct http_req *r = x->r;
	struct hostcfg *c;
	char hp[300], origin[512], *scheme, *host, *port;

	if (!header_values_ok(r))
		return -1;
	if (http_hostport(r->url, hp, sizeof(hp)) == -1 ||
	    http_origin(r->url, origin, sizeof(origin)) == -1)
		return http_req_fail(r, EINVAL, "%s", err_msg());
	c = host_get(h, hp);
	if (c->error != NULL)
		return http_req_fail(r, EINVAL, "%s", c->error);
	if (x->easy == NULL && (x->easy = curl_easy_init()) == NULL)
		return http_req_fail(r, ENOMEM, "cannot make a curl handle");
	if (url_parts(r->url, &scheme, &host, &port) == -1)
		return http_req_fail(r, EINVAL, "malformed url");
	curl_easy_reset(x->easy);
	curl_slist_free_all(x->headers);
	x->headers = NULL;
	x->body_off = 0;
	x->started = x->aborted = x->too_big = x->errbody_full = 0;
	x->status = 0;
	x->errbuf[0] = '\0';
	hdrs_release(&r->hdr);
	buf_reset(&r->body);

	setopt_common(h, x, scheme);
	setopt_tls(h, x->easy, c, r->no_verify);
	setopt_method(x);
	set_headers(x, origin);
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	return 0;
}

static void finish(struct http *h, struct xfer *x);

static void
xfer_start(struct http *h, struct xfer *x)
{
	struct hostcfg *c;
	char hp[300];
	int64_t t = monotime_ms();

	if (http_hostport(x->r->url, hp, sizeof(hp)) == 0) {
		c = host_get(h, hp);
		if (c->not_before > x->not_before)
			x->not_before = c->not_before;
	}
	if (x->not_before > t) {
		x->next = h->waiting;
		h->waiting = x;
		return;
	}
	x->r->attempts++;
	if (xfer_setup(h, x) == -1) {
		finish(h, x);
		return;
	}
	if (curl_multi_add_handle(h->multi, x->easy) != CURLM_OK) {
		http_req_fail(x->r, EIO, "cannot start a transfer");
		finish(h, x);
		return;
	}
	x->active = 1;
	h->nactive++;
}

static void
finish(struct http *h, struct xfer *x)
{
	struct http_req *r = x->r;

	x->finished = 1;
	if (r->done != NULL)
		r->done(r, r->done_arg);	/* may free r: touch nothing after */
}

static void
retry_later(struct http *h, struct xfer *x, long wait_ms, const char *why)
{
	struct http_req *r = x->r;

	/* a storage host's URL may have expired: ask the registry again */
	if (r->hops > 0 && x->first_url != NULL) {
		free(r->url);
		r->url = xstrdup(x->first_url);
		r->hops = 0;
	}
	if (x->waited_ms + wait_ms > HTTP_MAX_WAIT_MS)
		wait_ms = HTTP_MAX_WAIT_MS - x->waited_ms;
	if (monotime_ms() + wait_ms >= x->deadline) {
		http_req_fail(r, ETIMEDOUT, "no complete answer within %lds "
		    "(last: %s)", deadline_s(x), why);
		finish(h, x);
		return;
	}
	x->waited_ms += wait_ms;
	/* no query in the log: it may hold a signature */
	http_log(h, 1, "retrying %s %.*s in %.1fs: %s", r->method,
	    (int)strcspn(r->url, "?"), r->url, wait_ms / 1000.0, why);
	if (r->sink != NULL && r->sink->rewind != NULL) {
		int64_t off = r->sink->rewind(r->sink->arg, r);

		r->range_from = off > 0 ? off : -1;
	}
	x->not_before = monotime_ms() + wait_ms;
	xfer_start(h, x);
}

static void
note_warnings(struct http *h, struct http_req *r)
{
	if (r->hdr.ratelimit != NULL)
		http_log(h, 1, "ratelimit-remaining: %s", r->hdr.ratelimit);
}

/*
 * What a finished attempt leads to. classify() is the decision table;
 * completed() carries out the one outcome it names.
 */
enum outcome {
	DONE,		/* a response for the caller, whatever its status */
	REFUSED,	/* the sink's start() refused a 2xx without a body */
	REDIRECT,	/* a 3xx with a Location: next hop */
	STORAGE_AGAIN,	/* a 4xx from a redirect target: ask the registry */
	STATUS_AGAIN,	/* 408, 429, 5xx: back off, try again */
	ABORTED,	/* the sink's write() refused */
	TOO_BIG,	/* a body kept in memory passed max_body */
	NET_AGAIN,	/* a connection error worth another attempt */
	NET_FAILED,	/* any other transfer error */
	DEADLINE,	/* the request's overall deadline passed */
};

static enum outcome
classify(const struct xfer *x, CURLcode code, long st)
{
	const struct http_req *r = x->r;
	int may_retry = !r->no_retry && r->attempts < HTTP_MAX_TRIES;

	if (code == CURLE_OPERATION_TIMEDOUT && monotime_ms() >= x->deadline)
		return DEADLINE;
	if (code != CURLE_OK) {
		if (x->aborted)
			return ABORTED;
		if (x->too_big)
			return TOO_BIG;
		return curl_retried(code) && may_retry ? NET_AGAIN : NET_FAILED;
	}
	if (st >= 200 && st < 300 && r->sink != NULL && !x->started &&
	    strcmp(r->method, "GET") == 0)
		return REFUSED;		/* maybe: start_empty() decides */
	if (st >= 300 && st < 400 && st != 304 && r->hdr.location != NULL &&
	    !r->no_redirect)
		return REDIRECT;
	/* an expired pre-signed URL: re-run from the registry, once */
	if (r->hops > 0 && st >= 400 && st < 500 && st != 416 &&
	    !x->storage_retried && may_retry)
		return STORAGE_AGAIN;
	if (http_status_retried(st) && may_retry)
		return STATUS_AGAIN;
	return DONE;
}

/* a 2xx stream without a body still gets its start(): 0, or -1 refused */
static int
start_empty(struct xfer *x)
{
	struct http_req *r = x->r;

	x->started = 1;
	if (r->sink->start == NULL || r->sink->start(r->sink->arg, r) != -1)
		return 0;
	if (r->errmsg[0] == '\0')
		http_req_fail(r, EIO, "response refused");
	r->result = -1;
	return -1;
}

static void
follow(struct http *h, struct xfer *x, long st)
{
	struct http_req *r = x->r;
	char *next;

	if (++r->hops > HTTP_MAX_HOPS) {
		http_req_fail(r, EIO, "too many redirects");
		finish(h, x);
		return;
	}
	if ((next = http_resolve_url(r->url, r->hdr.location)) == NULL) {
		http_req_fail(r, EIO, "bad redirect location");
		finish(h, x);
		return;
	}
	if (http_target_ok(h, x->first_url, next) == -1) {
		http_req_fail(r, EPERM, "redirect: %s", err_msg());
		free(next);
		finish(h, x);
		return;
	}
	http_log(h, 2, "redirect %ld to another location", st);
	free(r->url);
	r->url = next;
	r->attempts--;
	x->not_before = 0;
	xfer_start(h, x);
}

/* 408, 429, 5xx: the backoff, or Retry-After when it asks for longer */
static void
status_again(struct http *h, struct xfer *x, long st)
{
	struct http_req *r = x->r;
	long wait = http_backoff_ms(r->attempts);
	long ra = http_retry_after(r->hdr.retry_after, r->hdr.date,
	    time(NULL));
	char why[64];

	if (ra >= 0 && ra * 1000 > wait)
		wait = ra * 1000;
	if (wait > RETRY_AFTER_MAX_MS) {
		http_log(h, 1, "Retry-After %lds clamped to %ds", ra,
		    RETRY_AFTER_MAX_MS / 1000);
		wait = RETRY_AFTER_MAX_MS;
	}
	/* the host asked everyone to wait, not only this request */
	if (st == 429 || (st == 503 && ra >= 0)) {
		char hp[300];

		if (http_hostport(r->url, hp, sizeof(hp)) == 0)
			host_get(h, hp)->not_before = monotime_ms() + wait;
	}
	snprintf(why, sizeof(why), "status %ld", st);
	retry_later(h, x, wait, why);
}

static void
completed(struct http *h, struct xfer *x, CURLcode code)
{
	struct http_req *r = x->r;
	const char *why;
	enum outcome o;
	char msg[64];
	long st = 0;

	curl_multi_remove_handle(h->multi, x->easy);
	x->active = 0;
	h->nactive--;
	if (code == CURLE_WRITE_ERROR && x->errbody_full)
		code = CURLE_OK;	/* a response, its body cut at the cap */
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
	r->curl_code = code;
	r->status = st;
	why = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);
	note_warnings(h, r);

	o = classify(x, code, st);
	if (o == REFUSED) {
		if (start_empty(x) == -1) {
			finish(h, x);
			return;
		}
		o = classify(x, code, st);
	}
	switch (o) {
	case REDIRECT:
		follow(h, x, st);
		return;
	case STORAGE_AGAIN:
		x->storage_retried = 1;
		snprintf(msg, sizeof(msg), "status %ld from the storage host",
		    st);
		retry_later(h, x, 0, msg);
		return;
	case STATUS_AGAIN:
		status_again(h, x, st);
		return;
	case NET_AGAIN:
		retry_later(h, x, http_backoff_ms(r->attempts), why);
		return;
	case ABORTED:
		if (r->errmsg[0] == '\0')
			http_req_fail(r, EIO, "transfer aborted");
		r->result = -1;
		break;
	case TOO_BIG:
		http_req_fail(r, EFBIG, "response larger than %zu bytes",
		    r->max_body);
		break;
	case NET_FAILED:
		http_req_fail(r, code == CURLE_COULDNT_RESOLVE_HOST ?
		    EHOSTUNREACH : EIO, "%s", why);
		break;
	case DEADLINE:
		http_req_fail(r, ETIMEDOUT, "no complete answer within %lds",
		    deadline_s(x));
		break;
	case DONE:
	case REFUSED:
		r->result = 0;
		break;
	}
	finish(h, x);
}

int
http_submit(struct http *h, struct http_req *r)
{
	struct xfer *x = r->priv;

	if (x == NULL) {
		x = xcalloc(1, sizeof(*x));
		r->priv = x;
	}
	x->h = h;
	x->r = r;
	x->finished = 0;
	x->storage_retried = 0;
	x->waited_ms = 0;
	/* a caller's own backoff waits like a retry: nothing else stalls */
	x->not_before = r->delay_ms > 0 ? monotime_ms() + r->delay_ms : 0;
	x->deadline = monotime_ms() + deadline_s(x) * 1000;
	free(x->first_url);
	x->first_url = xstrdup(r->url);
	r->result = 0;
	r->err = 0;
	r->errmsg[0] = '\0';
	r->status = 0;
	r->attempts = 0;
	r->hops = 0;
	r->hdr.content_length = -1;
	xfer_start(h, x);
	return 0;
}

/* one round: start due transfers, drive curl, handle completions */
static int
step(struct http *h)
{
	struct xfer **pp, *x, *due = NULL;
	int64_t t = monotime_ms(), next = -1;
	CURLMsg *m;
	int running, left;
	long timeout;

	for (pp = &h->waiting; (x = *pp) != NULL;) {
		if (x->not_before <= t) {
			*pp = x->next;
			x->next = due;
			due = x;
		} else {
			if (next < 0 || x->not_before < next)
				next = x->not_before;
			pp = &x->next;
		}
	}
	while ((x = due) != NULL) {
		due = x->next;
		x->next = NULL;
		xfer_start(h, x);
	}
	if (h->nactive == 0) {
		if (h->waiting != NULL && next > t)
			usleep((useconds_t)(next - t) * 1000);
		return 0;
	}
	if (curl_multi_perform(h->multi, &running) != CURLM_OK)
		return err_set(EIO, "curl multi failed");
	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		if (m->msg != CURLMSG_DONE)
			continue;
		x = NULL;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE,
		    (char **)&x);
		completed(h, x, m->data.result);
		/* completion callbacks may have run nested loops */
		return 0;
	}
	timeout = STEP_WAIT_MS;
	if (h->waiting != NULL) {
		t = monotime_ms();
		for (x = h->waiting; x != NULL; x = x->next)
			if (x->not_before - t < timeout)
				timeout = x->not_before - t;
		if (timeout < 0)
			timeout = 0;
	}
	if (running > 0)
		curl_multi_poll(h->multi, NULL, 0, (int)timeout, NULL);
	return 0;
}

int
http_step(struct http *h)
{
	return step(h);
}

int
http_busy(struct http *h)
{
	return h->nactive > 0 || h->waiting != NULL;
}

void
http_wakeup(struct http *h)
{
	curl_multi_wakeup(h->multi);
}

int
http_run(struct http *h)
{
	while (h->nactive > 0 || h->waiting != NULL)
		if (step(h) == -1)
			return -1;
	return 0;
}

int
http_do(struct http *h, struct http_req *r)
{
	void (*done)(struct http_req *, void *) = r->done;

	r->done = NULL;
	http_submit(h, r);
	while (!((struct xfer *)r->priv)->finished)
		if (step(h) == -1) {
			r->done = done;
			return http_req_fail(r, EIO, "%s", err_msg());
		}
	r->done = done;
	if (r->result == -1)
		err_set(r->err ? r->err : EIO, "%s", r->errmsg);
	return r->result;
}
