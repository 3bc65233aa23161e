/* lib/registry.h - the OCI distribution API (doc/registry-client.md §2, §3, §6)
 *
 * A struct registry is one registry host for the run: the scheme chosen
 * by probing /v2/ (https, then plain http for eligible hosts), its
 * authentication state (one scope set, widened per repository), and the
 * pull calls of §3.2. Push (blob HEAD, uploads, mounts, manifest PUT)
 * lives in lib/push.c and goes through registry_request() and
 * registry_status() like the calls here.
 *
 * Blobs are fetched in parallel through one curl multi handle: queue them
 * with registry_fetch_add() (or hand over bytes already fetched with
 * registry_fetch_put()), then registry_fetch_run() streams each into the
 * cache, hashing as it arrives, resuming with Range after a broken
 * connection, syncing on a second thread while the others download, and
 * publishing only verified, synced blobs.
 */
#ifndef REGISTRY_H
#define REGISTRY_H

#include <stdint.h>
#include <jansson.h>

#include "auth.h"
#include "digest.h"
#include "http.h"
#include "layout.h"
#include "xalloc.h"

struct registry {
	struct http	*h;
	char		*domain;	/* as in references: "docker.io" */
	char		*api_host;	/* "registry-1.docker.io" for the Hub */
	char		*base;		/* "scheme://host[:port]" once probed */
	struct auth	 auth;
	int		 probed;
	int		 jobs;		/* parallel blob transfers */
};

/* the API host of a reference domain: the Hub's is registry-1.docker.io */
const char *registry_api_host(const char *domain);

struct registry	*registry_new(struct http *h, const char *domain, int jobs);
void		 registry_free(struct registry *r);

/*
 * Probe the registry once (GET /v2/): pick the scheme and learn its
 * challenge. Called by every other function; -1 with a message when the
 * host is not a registry or cannot be reached.
 */
int	registry_probe(struct registry *r);

/*
 * Give q the Authorization the registry wants now (auth_header()), sent
 * only to the origin that asked for it; for requests submitted to the
 * multi handle directly. -1 with a message when no credential can be had.
 */
int	registry_authorize(struct registry *r, struct http_req *q);
/*
 * A request on repository repo with authentication: the Authorization
 * header as the registry asked for it, one retry after a 401 with a new
 * token. The caller fills method, URL (registry_url()), Accept, body.
 */
int	registry_request(struct registry *r, const char *repo,
	    struct http_req *q);
/* "<base>/v2/<repo>/<kind>/<arg>"; caller frees */
char	*registry_url(struct registry *r, const char *repo, const char *kind,
	    const char *arg);
/*
 * Turn a response into 0 (status in ok, a 0-terminated list) or -1 with
 * a message: ENOENT for a 404 that means "not found" (§3.4), EACCES for
 * 401 and 403, EIO otherwise, with the registry's code and message.
 */
int	registry_status(const struct http_req *q, const long *ok,
	    const char *what);

/* a manifest as served */
struct reg_manifest {
	struct buf	 body;		/* exact bytes (GET) */
	char		*media_type;	/* Content-Type, parameters stripped */
	char		 digest[DIGEST_MAX];	/* computed (GET) or DCD (HEAD) */
	int64_t		 size;
};
#define REG_MANIFEST_INIT { BUF_INIT, NULL, "", -1 }
void	reg_manifest_release(struct reg_manifest *m);

/*
 * HEAD a tag or digest with the full Accept list: media type, digest
 * (from Docker-Content-Digest; "" when the registry sent none or a
 * malformed one) and size. ENOENT when the manifest does not exist.
 */
int	registry_head_manifest(struct registry *r, const char *repo,
	    const char *ref, struct reg_manifest *m);
/*
 * GET a manifest or index (at most 8 MiB, identity encoding). For a
 * digest reference the bytes must hash to it; for a tag a differing
 * Docker-Content-Digest draws a warning through the log hook.
 */
int	registry_get_manifest(struct registry *r, const char *repo,
	    const char *ref, struct reg_manifest *m);
/*
 * GET the manifests digests[0..n-1] at once, each of at most sizes[i]
 * bytes and verified as registry_get_manifest() verifies it: out[i] is
 * filled, or stays empty (body.len 0) when that one did not arrive whole
 * and right; registry_get_manifest() of it then says why. Never fails as
 * a whole: it only saves the round trips of asking one by one.
 */
void	registry_get_manifests(struct registry *r, const char *repo, size_t n,
	    const char *const *digests, const int64_t *sizes,
	    struct reg_manifest *out);
/* GET a small blob (a config) into memory, verified against digest */
int	registry_get_blob_mem(struct registry *r, const char *repo,
	    const char *digest, int64_t size, size_t max, struct buf *out);
/* the tag list, following Link pages; *tags is a new JSON array */
int	registry_tags(struct registry *r, const char *repo, json_t **tags);

/* ---- parallel blob downloads into the cache ---- */

struct reg_fetch;

struct reg_fetch *registry_fetch_new(struct registry *r, struct layout *l);
/* queue a blob unless it is already queued; digest validated */
int	registry_fetch_add(struct reg_fetch *f, const char *repo,
	    const char *digest, int64_t size);
/*
 * Queue a blob already in hand (a manifest or config just fetched and
 * checked): written and synced with the others, without a request. The
 * bytes are copied; they must hash to digest.
 */
int	registry_fetch_put(struct reg_fetch *f, const char *repo,
	    const char *digest, const void *p, size_t n);
/*
 * Gate the fetch on one queued blob (registry_fetch_add(), not in hand):
 * it is downloaded first and the others beside it, but no blob of the
 * fetch is published until check accepted the gate's bytes (at most max;
 * check returns 0, or -1 with a message). When check refuses them, or
 * the gate blob fails, nothing is published: the blobs held are removed,
 * transfers still running stop at their next bytes and are removed too,
 * and the run fails with the gate's message. A single image's layers
 * start this way while its config, which says whether the image is for
 * the wanted platform, is still in flight. At most REG_HOLD_MAX blobs
 * wait at the gate; the rest wait to start.
 */
#define REG_HOLD_MAX	64
typedef int reg_gate_fn(void *arg, const void *p, size_t n);
int	registry_fetch_gate(struct reg_fetch *f, const char *digest,
	    size_t max, reg_gate_fn *check, void *arg);
/*
 * Download every queued blob, at most r->jobs at a time. 0 when all
 * arrived verified and are published (and synced); -1 with the first
 * failure's message (ENOENT when a blob does not exist). *done counts the
 * blobs downloaded, *bytes their size (either may be NULL).
 */
int	registry_fetch_run(struct reg_fetch *f, size_t *done, int64_t *bytes);
void	registry_fetch_free(struct reg_fetch *f);

#endif
