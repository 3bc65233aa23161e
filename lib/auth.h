/* lib/auth.h - registry authentication (doc/registry-client.md §4)
 *
 * Challenges (WWW-Authenticate, RFC 9110 §11.6.1), credentials from the
 * docker and containers config files and docker-credential helpers, and
 * the per-registry state that turns them into an Authorization header:
 * anonymous or Basic-authenticated bearer tokens, identity tokens through
 * OAuth2, Basic for registries that ask for it. Credentials never reach a
 * message, a log line, argv, a child's environment or another origin.
 */
#ifndef AUTH_H
#define AUTH_H

#include <stddef.h>
#include <stdint.h>

struct http;
struct http_req;

/* ---- challenges ---- */

struct auth_param {
	char	*name;		/* lower-cased */
	char	*value;		/* unquoted, escapes removed */
};

struct auth_challenge {
	char			*scheme;	/* lower-cased: "bearer", "basic" */
	char			*token68;	/* or NULL */
	struct auth_param	*params;
	size_t			 n_params;
	int			 invalid;	/* repeated parameter: ignored */
};

/*
 * Parse one WWW-Authenticate value, appending its challenges to *cs.
 * Never fails: what cannot be parsed is skipped, and so is everything
 * past AUTH_MAX_CHALLENGES challenges in *cs or AUTH_MAX_PARAMS
 * parameters in one (a registry needs a handful; a hostile one could
 * send thousands).
 */
#define AUTH_MAX_CHALLENGES	16
#define AUTH_MAX_PARAMS		32
void	auth_parse_challenges(const char *value, struct auth_challenge **cs,
	    size_t *n);
void	auth_challenges_free(struct auth_challenge *cs, size_t n);
/* the value of a parameter (name case-insensitive), or NULL */
const char *auth_param(const struct auth_challenge *c, const char *name);
/*
 * The challenge to answer: Bearer with a realm first, then Basic.
 * NULL with errno ENOTSUP and a message naming a scheme when none fits.
 */
const struct auth_challenge *auth_pick(const struct auth_challenge *cs,
	    size_t n);

/* ---- credentials ---- */

struct auth_cred {
	char	*username;
	char	*password;
	char	*identity_token;	/* OAuth2 refresh token */
	char	*registry_token;	/* bearer token used as is */
	char	*source;		/* where they came from, for messages */
};

/* the config key of a registry host: the Hub's is https://index.docker.io/v1/ */
const char *auth_config_key(const char *domain);

/*
 * Look up credentials for domain (host[:port] as in references, e.g.
 * "docker.io") and repository path, through the sources of §4.1 in order.
 * 1 and *c filled when found, 0 when anonymous, -1 with a message naming
 * the file on a malformed or unreadable file. A failing helper is warned
 * about through the http log hook (h may be NULL) and yields 0.
 */
int	auth_lookup(struct http *h, const char *domain, const char *path,
	    struct auth_cred *c);
void	auth_cred_release(struct auth_cred *c);
/*
 * Run docker-credential-<helper> get for key. 1 found, 0 not found
 * ("credentials not found in native keychain"), -1 on failure.
 */
int	auth_helper_get(const char *helper, const char *key,
	    struct auth_cred *c);
/* standard base64 of "user:password" entries; -1 on malformed input */
int	auth_decode_basic(const char *b64, struct auth_cred *c);

/* ---- token service replies ---- */

/*
 * A token service's JSON reply: "token" (or "access_token") and
 * "expires_in" seconds. 0 with *token (caller wipes and frees it) and
 * *life_s clamped to [60, 86400]; -1 with a message ("no token", "a token
 * with a control character") when it holds none that can be sent. The
 * copies of the token jansson made are wiped.
 */
int	auth_token_parse(const char *body, size_t len, char **token,
	    int64_t *life_s);

/* ---- per-registry state ---- */

enum auth_scheme { AUTH_NONE, AUTH_BEARER, AUTH_BASIC };

struct auth_token {
	char	*scopes;	/* sorted, space-joined */
	char	*value;		/* "Bearer <token>" */
	int64_t	 expiry;	/* ms, monotonic */
};

struct auth {
	struct http	*h;
	char		*domain;	/* reference domain, for credentials */
	char		*path;		/* repository, for namespaced keys */
	char		*origin;	/* the registry origin: tokens go there only */
	char		*reg_url;	/* its /v2/ URL, for target checks */
	struct auth_cred cred;
	int		 cred_state;	/* 0 unknown, 1 found, -1 none */
	enum auth_scheme scheme;
	char		*realm, *service;
	char		**scopes;
	size_t		 n_scopes;
	struct auth_token *tokens;	/* cached for the run */
	size_t		 n_tokens;
	char		*basic;		/* "Basic <b64>" once challenged */
	int		 fresh;		/* a token was fetched for this attempt */
};

/* reg_url is the registry's "scheme://host[:port]/v2/" */
int	auth_init(struct auth *a, struct http *h, const char *domain,
	    const char *path, const char *reg_url);
void	auth_release(struct auth *a);
/* add a scope ("repository:<path>:pull") to the set asked for */
void	auth_add_scope(struct auth *a, const char *scope);
/*
 * Learn the registry's challenge from a 401 (or a ping's 401). Widens the
 * scope set with the challenge's scope and drops a token that no longer
 * covers it. 0, or -1 with a message (unsupported scheme).
 */
int	auth_challenged(struct auth *a, const struct http_req *r);
/*
 * The Authorization value for the next request, fetching a token when
 * the registry wants one; *value is NULL for anonymous access. -1 with a
 * message (naming the realm host) when a token cannot be had.
 */
int	auth_header(struct auth *a, const char **value);
/* forget the current token (after a 401 with invalid_token) */
void	auth_invalidate(struct auth *a);

#endif
