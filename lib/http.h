/* lib/http.h - HTTP for the registry client, over libcurl
 * (doc/registry-client.md §5)
 *
 * One struct http per process holds a curl multi handle; every request,
 * one at a time or many in parallel, is a struct http_req run through it.
 * The layer follows redirects itself (Authorization only to the origin it
 * belongs to, every hop checked against §5.3), retries connection errors,
 * 408, 429 and 5xx with exponential backoff, jitter and Retry-After,
 * resumes streamed bodies with Range when the sink allows it, and picks
 * CA files (certs.d, SSL_CERT_*), client certificates and proxies per
 * host. Every request ends within an overall deadline (OCIKIT_HTTP_DEADLINE,
 * ocikit(7)), an error body is read up to HTTP_MAX_ERRBODY and no more,
 * and no control character reaches a request line or header. It never
 * prints: notes and warnings go to the log hook.
 */
#ifndef HTTP_H
#define HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "xalloc.h"

#define HTTP_MAX_ERRBODY	(64u << 10)	/* error bodies, token replies */
#define HTTP_MAX_HOPS		10
#define HTTP_MAX_CHALLENGE_HDRS	16	/* WWW-Authenticate headers kept */
#define HTTP_MAX_TRIES		5
#define HTTP_MAX_WAIT_MS	120000	/* backoff per request, in all */

struct http;
struct http_req;

/* log levels for the hook: 0 warning (shown unless -q), 1 note (-v), 2 debug (-vv) */
typedef void	http_log_fn(void *arg, int level, const char *msg);

struct http_opts {
	const char	*tool;		/* User-Agent: ocikit/<version> (<tool>) */
	const char *const *insecure;	/* --insecure HOST[:PORT], NULL-terminated */
	const char *const *resolve;	/* "HOST:PORT:ADDR" for CURLOPT_RESOLVE */
	int		 max_per_host;	/* parallel transfers per host; 0: 4 */
	int		 debug;		/* log headers (redacted) at level 2 */
	http_log_fn	*log;
	void		*log_arg;
};

/*
 * The response headers the registry client reads. Repeated
 * WWW-Authenticate and Warning headers are all kept (count in n_*).
 */
struct http_hdrs {
	char	*content_type;
	char	*content_encoding;
	char	*content_range;
	char	*dcd;			/* Docker-Content-Digest */
	char	*location;
	char	*retry_after;
	char	*date;
	char	*link;
	char	*range;			/* upload progress (push) */
	char	*ratelimit;		/* ratelimit-remaining, for -v */
	int64_t	 content_length;	/* -1 when absent */
	char	**www_auth;
	size_t	 n_www_auth;
};

/*
 * Callbacks of a streamed download. start() runs once per response
 * before its first body byte reaches write() (and for a 2xx response
 * without a body, before done); it returns -1 to refuse the response,
 * which fails the request. write() returns -1 to abort (its message goes
 * into req->errmsg through http_req_fail()). Before a retry, rewind()
 * returns the offset to resume from (then "Range: bytes=N-" is sent) or 0
 * to start over; the sink must be ready for either answer.
 */
struct http_sink {
	int	(*start)(void *arg, struct http_req *r);
	int	(*write)(void *arg, struct http_req *r, const void *p, size_t n);
	int64_t	(*rewind)(void *arg, struct http_req *r);
	void	*arg;
};

struct http_req {
	/* the request, set by the caller */
	const char	*method;	/* GET HEAD POST PUT PATCH DELETE */
	char		*url;		/* owned; the last hop's URL after redirects */
	const char	*accept;
	const char	*auth;		/* Authorization value, or NULL */
	char		*auth_origin;	/* owned; auth is sent only to this origin */
	const char	*content_type;	/* of the request body */
	const void	*send;		/* request body in memory, or */
	int		 send_fd;	/* from a file (pread), -1 when none */
	int64_t		 send_len;	/* Content-Length of the request body */
	int64_t		 range_from;	/* >= 0: Range: bytes=N- */
	size_t		 max_body;	/* cap on a 2xx body kept in memory */
	const struct http_sink *sink;	/* streams a 2xx GET body; NULL: keep it */
	int		 no_retry;	/* one attempt only (probes) */
	long		 delay_ms;	/* start no sooner than this after submit */
	long		 timeout_s;	/* whole request, if shorter than the
					   deadline every request has */
	int		 no_redirect;	/* hand 3xx back to the caller */
	int		 no_verify;	/* TLS unverified: only to learn whether
					   a host speaks TLS; nothing read is used */
	void		(*done)(struct http_req *r, void *arg);
	void		*done_arg;

	/* the outcome */
	int		 result;	/* 0 when a response arrived; -1 on failure */
	int		 err;		/* errno-style code with result -1 */
	char		 errmsg[512];
	long		 status;	/* last HTTP status, 0 when none */
	int		 curl_code;	/* CURLcode of the last attempt */
	struct http_hdrs hdr;
	struct buf	 body;		/* non-streamed body (capped) */
	int		 attempts;
	int		 hops;

	/* private to http.c */
	void		*priv;
};
#define HTTP_REQ_INIT { .send_fd = -1, .range_from = -1, .body = BUF_INIT }

struct http	*http_new(const struct http_opts *o);
void		 http_free(struct http *h);

/*
 * Prepare r for a request. http_req_reset() frees the outcome and the
 * URL so r can be reused; http_req_release() frees everything.
 */
void	http_req_set_url(struct http_req *r, const char *url);
void	http_req_reset(struct http_req *r);
void	http_req_release(struct http_req *r);
/* store a failure message in r (for sinks) */
int	http_req_fail(struct http_req *r, int err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/*
 * Queue r; its done callback runs from http_run() or http_do() when it
 * has finished (response, or failure after the retries). r must live
 * until then.
 */
int	http_submit(struct http *h, struct http_req *r);
/* run until every queued request has finished */
int	http_run(struct http *h);
/*
 * One request, synchronously (other queued transfers progress too).
 * Returns r->result; on -1 the message is also in err_msg().
 */
int	http_do(struct http *h, struct http_req *r);

/*
 * For callers with work of their own beside the transfers: one round of
 * the loop (start due transfers, wait at most a second for activity,
 * handle completions); whether transfers are active or waiting; and a
 * wakeup that ends the wait early, callable from any thread.
 */
int	http_step(struct http *h);
int	http_busy(struct http *h);
void	http_wakeup(struct http *h);

/* ---- hosts and origins (§1, §5.2, §5.3) ---- */

/*
 * The canonical origin of url ("scheme://host[:port]", host lower-cased,
 * default port dropped, IPv6 in brackets) into out; -1 when malformed.
 */
int	http_origin(const char *url, char *out, size_t n);
/* "host[:port]" of url (no scheme); -1 when malformed */
int	http_hostport(const char *url, char *out, size_t n);
/* resolve ref (a Location or Link) against base; caller frees; NULL on error */
char	*http_resolve_url(const char *base, const char *ref);
/* hostport is a loopback address or localhost */
int	http_is_loopback(const char *hostport);
/* hostport may be reached over plain http: loopback or --insecure */
int	http_plain_allowed(struct http *h, const char *hostport);
/* hostport was named by --insecure (TLS verification off) */
int	http_is_insecure(struct http *h, const char *hostport);
/*
 * May a request for a registry at reg_url go to target (a realm, a
 * redirect, a Location)? 0, or -1 with a message naming the host.
 */
int	http_target_ok(struct http *h, const char *reg_url, const char *target);

/* ---- helpers shared with auth and registry ---- */

/*
 * Seconds to wait for a Retry-After value (delta or HTTP-date), -1 if
 * bad. At most HTTP_RETRY_AFTER_MAX_S, so that callers may count it in
 * milliseconds; the wait itself is capped lower (doc/registry-client.md
 * §5.6).
 */
#define HTTP_RETRY_AFTER_MAX_S	86400L
long	http_retry_after(const char *value, const char *date, time_t now);
/* the backoff before retry k (1..4) in milliseconds, jittered */
long	http_backoff_ms(int k);
/* a status that is retried (408, 429, 499, 5xx of §5.6) */
int	http_status_retried(long status);
/* s holds no control character but HTAB: it may go into a header */
int	http_header_value_ok(const char *s);
/* percent-encode s for a query component; caller frees */
char	*http_escape(const char *s);
/* log through the hook (printf-style) */
void	http_log(struct http *h, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
