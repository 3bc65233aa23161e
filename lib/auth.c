/* lib/auth.c - registry authentication (registry-client.md §4) */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "auth.h"
#include "err.h"
#include "http.h"
#include "strv.h"
#include "xalloc.h"

#define CONFIG_MAX	(1u << 20)	/* config.json, auth.json */
#define HELPER_SECS	30
#define HUB_KEY		"https://index.docker.io/v1/"
#define NOT_FOUND_MSG	"credentials not found in native keychain"

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
zfree(char *s)
{
	if (s != NULL) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* ---- WWW-Authenticate ---- */

static int
tchar(int c)
{
	return isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static int
t68char(int c)
{
	return isalnum(c) || (c != 0 && strchr("-._~+/", c) != NULL);
}

static const char *
skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static void
add_param(struct auth_challenge *c, const char *name, size_t nlen,
    char *value)
{
	size_t i;
	char *n = xstrndup(name, nlen);
	char *q;

	for (q = n; *q; q++)
		*q = tolower((unsigned char)*q);
	for (i = 0; i < c->n_params; i++)
		if (strcmp(c->params[i].name, n) == 0)
			c->invalid = 1;
	c->params = xrealloc(c->params, (c->n_params + 1) * sizeof(*c->params));
	c->params[c->n_params].name = n;
	c->params[c->n_params].value = value;
	c->n_params++;
}

/* a quoted-string or an unquoted value running to the next ',' or space */
static char *
read_value(const char **pp)
{
	const char *p = *pp;
	struct buf b = BUF_INIT;

	if (*p == '"') {
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			buf_add(&b, p, 1);
		}
		if (*p == '"')
			p++;
	} else {
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			buf_add(&b, p++, 1);
	}
	*pp = p;
	buf_add(&b, "", 0);
	return buf_detach(&b, NULL);
}

void
auth_parse_challenges(const char *v, struct auth_challenge **cs, size_t *n)
{
	const char *p = v, *name, *q;
	struct auth_challenge *cur = NULL;
	size_t nlen;

	while (*p) {
		p = skip_ows(p);
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		name = p;
		while (tchar((unsigned char)*p))
			p++;
		nlen = p - name;
		if (nlen == 0) {	/* junk: skip to the next comma */
			while (*p && *p != ',')
				p++;
			continue;
		}
		q = skip_ows(p);
		if (*q == '=' && cur != NULL) {	/* auth-param */
			q = skip_ows(q + 1);
			add_param(cur, name, nlen, read_value(&q));
			p = q;
			continue;
		}
		if (*q == '=') {	/* a parameter with no challenge */
			q = skip_ows(q + 1);
			free(read_value(&q));
			p = q;
			continue;
		}
		/* a new challenge */
		*cs = xrealloc(*cs, (*n + 1) * sizeof(**cs));
		cur = &(*cs)[(*n)++];
		memset(cur, 0, sizeof(*cur));
		cur->scheme = xstrndup(name, nlen);
		for (char *s = cur->scheme; *s; s++)
			*s = tolower((unsigned char)*s);
		p = skip_ows(p);
		/* token68: the whole rest of the element */
		q = p;
		while (t68char((unsigned char)*q))
			q++;
		if (q > p) {
			const char *r = q;

			while (*r == '=')
				r++;
			r = skip_ows(r);
			if (*r == '\0' || *r == ',') {
				cur->token68 = xstrndup(p, q - p);
				p = r;
			}
		}
	}
}

void
auth_challenges_free(struct auth_challenge *cs, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(cs[i].scheme);
		free(cs[i].token68);
		for (j = 0; j < cs[i].n_params; j++) {
			free(cs[i].params[j].name);
			free(cs[i].params[j].value);
		}
		free(cs[i].params);
	}
	free(cs);
}

const char *
auth_param(const struct auth_challenge *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n_params; i++)
		if (strcasecmp(c->params[i].name, name) == 0)
			return c->params[i].value;
	return NULL;
}

const struct auth_challenge *
auth_pick(const struct auth_challenge *cs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!cs[i].invalid && strcmp(cs[i].scheme, "bearer") == 0 &&
		    auth_param(&cs[i], "realm") != NULL)
			return &cs[i];
	for (i = 0; i < n; i++)
		if (!cs[i].invalid && strcmp(cs[i].scheme, "basic") == 0)
			return &cs[i];
	if (n == 0)
		err_set(ENOTSUP, "no usable authentication challenge");
	else
		err_set(ENOTSUP, "unsupported authentication scheme '%.40s'",
		    cs[0].scheme);
	return NULL;
}

/* ---- credentials ---- */

void
auth_cred_release(struct auth_cred *c)
{
	zfree(c->username);
	zfree(c->password);
	zfree(c->identity_token);
	zfree(c->registry_token);
	free(c->source);
	memset(c, 0, sizeof(*c));
}

const char *
auth_config_key(const char *domain)
{
	if (strcmp(domain, "docker.io") == 0 ||
	    strcmp(domain, "index.docker.io") == 0 ||
	    strcmp(domain, "registry-1.docker.io") == 0)
		return HUB_KEY;
	return domain;
}

int
auth_decode_basic(const char *b64, struct auth_cred *c)
{
	size_t len = strlen(b64), pad = 0, n;
	unsigned char *out;
	char *colon, *pw;
	int got;

	if (len == 0 || len % 4 != 0)
		return err_set(EINVAL, "malformed auth value");
	out = xmalloc(len / 4 * 3 + 1);
	if ((got = EVP_DecodeBlock(out, (const unsigned char *)b64,
	    (int)len)) < 0) {
		free(out);
		return err_set(EINVAL, "malformed auth value");
	}
	while (pad < 2 && b64[len - 1 - pad] == '=')
		pad++;
	n = (size_t)got - pad;
	out[n] = '\0';
	if (memchr(out, '\0', n) != NULL) {
		/* NUL bytes only at the ends of the password are stripped */
		while (n > 0 && out[n - 1] == '\0')
			n--;
	}
	colon = memchr(out, ':', n);
	if (colon == NULL || colon == (char *)out) {
		explicit_bzero(out, len / 4 * 3 + 1);
		free(out);
		return err_set(EINVAL, "malformed auth value");
	}
	pw = colon + 1;
	while (pw < (char *)out + n && *pw == '\0')
		pw++;
	out[n] = '\0';
	c->username = xstrndup((char *)out, colon - (char *)out);
	c->password = xstrdup(pw);
	explicit_bzero(out, len / 4 * 3 + 1);
	free(out);
	return 0;
}

static char *
base64(const char *s)
{
	size_t n = strlen(s);
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

/* read a config file: 1 parsed, 0 missing, -1 error naming it */
static int
load_config(const char *path, json_t **out)
{
	struct buf b = BUF_INIT;
	char tmp[8192];
	json_error_t je;
	ssize_t got;
	int fd;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return err_sys(errno, "cannot read '%s'", path);
	}
	while ((got = read(fd, tmp, sizeof(tmp))) > 0) {
		if (b.len + got > CONFIG_MAX) {
			close(fd);
			buf_release(&b);
			return err_set(EFBIG, "'%s' is larger than 1 MiB", path);
		}
		buf_add(&b, tmp, got);
	}
	close(fd);
	if (got < 0) {
		buf_release(&b);
		return err_sys(errno, "cannot read '%s'", path);
	}
	*out = json_loadb(b.data, b.len,
	    JSON_REJECT_DUPLICATES, &je);
	explicit_bzero(b.data, b.len);
	buf_release(&b);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(EINVAL, "malformed '%s': %s", path,
		    *je.text ? je.text : "not an object");
	}
	return 1;
}

static const char *
jstr(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* an auths entry: 1 if it holds credentials */
static int
from_entry(const json_t *e, struct auth_cred *c, const char *src)
{
	const char *a, *u, *p, *it, *rt;

	if (!json_is_object(e))
		return 0;
	a = jstr(e, "auth");
	u = jstr(e, "username");
	p = jstr(e, "password");
	it = jstr(e, "identitytoken");
	rt = jstr(e, "registrytoken");
	if (a != NULL && *a != '\0') {
		if (auth_decode_basic(a, c) == -1)
			return err_set(EINVAL, "malformed auth entry in '%s'",
			    src);
	} else if (u != NULL && *u != '\0') {
		c->username = xstrdup(u);
		c->password = xstrdup(p ? p : "");
	}
	if (it != NULL && *it != '\0')
		c->identity_token = xstrdup(it);
	if (rt != NULL && *rt != '\0')
		c->registry_token = xstrdup(rt);
	if (c->username == NULL && c->identity_token == NULL &&
	    c->registry_token == NULL)
		return 0;
	c->source = xstrdup(src);
	return 1;
}

/* "https://reg:5000/v1/" -> "reg:5000" */
static char *
key_host(const char *k)
{
	const char *p = strstr(k, "://");
	size_t n;

	p = p ? p + 3 : k;
	n = strcspn(p, "/");
	return xstrndup(p, n);
}

static int
helper_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-", *s) == NULL)
			return 0;
	return 1;
}

int
auth_helper_get(const char *helper, const char *key, struct auth_cred *c)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, status, rc = -1;
	struct buf b = BUF_INIT;
	char *prog, tmp[4096];
	int64_t deadline;
	json_t *j = NULL;
	pid_t pid;

	if (!helper_name_ok(helper))
		return err_set(EINVAL, "bad credential helper name '%.60s'",
		    helper);
	prog = xasprintf("docker-credential-%s", helper);
	if (pipe(in) == -1 || pipe(out) == -1) {
		err_sys(errno, "cannot run '%s'", prog);
		goto out;
	}
	if ((pid = fork()) == -1) {
		err_sys(errno, "cannot run '%s'", prog);
		goto out;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		execlp(prog, prog, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	{
		/* the key and a newline; a helper that reads nothing is fine */
		struct sigaction sa, old;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = SIG_IGN;
		sigaction(SIGPIPE, &sa, &old);
		if (write(in[1], key, strlen(key)) >= 0)
			(void)!write(in[1], "\n", 1);	/* exit status tells */
		sigaction(SIGPIPE, &old, NULL);
	}
	close(in[1]);
	in[1] = -1;
	deadline = now_ms() + HELPER_SECS * 1000;
	for (;;) {
		struct pollfd pf = { out[0], POLLIN, 0 };
		int64_t left = deadline - now_ms();
		ssize_t got;

		if (left <= 0 || poll(&pf, 1, (int)left) == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			err_set(ETIMEDOUT, "'%s' timed out", prog);
			goto out;
		}
		if ((got = read(out[0], tmp, sizeof(tmp))) <= 0)
			break;
		if (b.len + got <= HTTP_MAX_ERRBODY)
			buf_add(&b, tmp, got);
	}
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	buf_add(&b, "", 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *t = b.data;
		size_t n = b.len;

		while (n > 0 && isspace((unsigned char)t[n - 1]))
			t[--n] = '\0';
		if (strcmp(t, NOT_FOUND_MSG) == 0) {
			rc = 0;
			goto out;
		}
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			err_set(ENOENT, "'%s' not found", prog);
		else
			err_set(EIO, "'%s' failed", prog);
		goto out;
	}
	if ((j = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL || !json_is_object(j)) {
		err_set(EINVAL, "'%s' gave malformed output", prog);
		goto out;
	}
	{
		const char *u = jstr(j, "Username"), *s = jstr(j, "Secret");

		if (s == NULL || *s == '\0') {
			rc = 0;
			goto out;
		}
		if (u != NULL && strcmp(u, "<token>") == 0) {
			c->identity_token = xstrdup(s);
		} else {
			c->username = xstrdup(u ? u : "");
			c->password = xstrdup(s);
		}
		c->source = xstrdup(prog);
		rc = 1;
	}
out:
	if (j != NULL) {
		json_t *s = json_object_get(j, "Secret");

		if (json_is_string(s))
			explicit_bzero((char *)json_string_value(s),
			    strlen(json_string_value(s)));
		json_decref(j);
	}
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	free(prog);
	return rc;
}

/* the helper answer: 1 found, 0 go on; a failing helper is warned about */
static int
try_helper(struct http *h, const char *helper, const char *key,
    struct auth_cred *c)
{
	int rc = auth_helper_get(helper, key, c);

	if (rc == -1) {
		http_log(h, 0, "credential helper failed, continuing "
		    "anonymously: %s", err_msg());
		return -2;
	}
	return rc;
}

/*
 * One config document. docker: credHelpers, credsStore, auths by key
 * then by host; containers: credHelpers and namespaced auths keys.
 * 1 found, 0 nothing, -1 error, -2 a helper failed (stop: anonymous).
 */
static int
from_config(struct http *h, const json_t *cfg, int docker, const char *src,
    const char *domain, const char *path, struct auth_cred *c)
{
	static const char *hub[] = { HUB_KEY, "index.docker.io", "docker.io",
	    "registry-1.docker.io", NULL };
	const char *one[] = { domain, NULL };
	const char **keys = strcmp(auth_config_key(domain), HUB_KEY) == 0 ?
	    hub : one;
	json_t *helpers = json_object_get(cfg, "credHelpers");
	json_t *auths = json_object_get(cfg, "auths");
	const char *store = docker ? jstr(cfg, "credsStore") : NULL;
	const char *k, *helper;
	json_t *v;
	size_t i;
	int rc;

	for (i = 0; keys[i] != NULL; i++) {
		if (json_is_object(helpers) &&
		    (helper = jstr(helpers, keys[i])) != NULL && *helper)
			return try_helper(h, helper, keys[0], c);
	}
	if (store != NULL && *store != '\0')
		return try_helper(h, store, keys[0], c);
	if (!json_is_object(auths))
		return 0;
	if (!docker && path != NULL) {
		/* namespaced keys: the longest prefix of host/path wins */
		char *full = xasprintf("%s/%s", domain, path);
		const char *best = NULL;
		size_t blen = 0;

		json_object_foreach(auths, k, v) {
			size_t kl = strlen(k);

			if (strchr(k, '/') == NULL || strstr(k, "://"))
				continue;
			if (strncmp(full, k, kl) == 0 &&
			    (full[kl] == '/' || full[kl] == '\0') && kl > blen) {
				best = k;
				blen = kl;
			}
		}
		free(full);
		if (best != NULL &&
		    (rc = from_entry(json_object_get(auths, best), c, src)) != 0)
			return rc;
	}
	for (i = 0; keys[i] != NULL; i++)
		if ((v = json_object_get(auths, keys[i])) != NULL)
			return from_entry(v, c, src);
	json_object_foreach(auths, k, v) {
		char *hk = key_host(k);

		for (i = 0; keys[i] != NULL; i++) {
			char *kk = key_host(keys[i]);
			int match = strcmp(hk, kk) == 0;

			free(kk);
			if (match) {
				free(hk);
				return from_entry(v, c, src);
			}
		}
		free(hk);
	}
	return 0;
}

int
auth_lookup(struct http *h, const char *domain, const char *path,
    struct auth_cred *c)
{
	const char *v, *home = getenv("HOME");
	char *files[4] = { NULL, NULL, NULL, NULL };
	int docker[4] = { 1, 0, 0, 0 };
	json_t *cfg;
	size_t i;
	int rc = 0;

	memset(c, 0, sizeof(*c));
	if ((v = getenv("DOCKER_AUTH_CONFIG")) != NULL && *v != '\0') {
		json_t *only;

		if ((cfg = json_loads(v, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
		    !json_is_object(cfg)) {
			json_decref(cfg);
			return err_set(EINVAL, "malformed DOCKER_AUTH_CONFIG");
		}
		/* only auths, and only auth values */
		only = json_pack("{s:O*}", "auths", json_object_get(cfg,
		    "auths"));
		rc = from_config(h, only, 1, "DOCKER_AUTH_CONFIG", domain,
		    path, c);
		json_decref(only);
		json_decref(cfg);
		if (rc != 0)
			return rc == -2 ? 0 : rc;
	}
	if ((v = getenv("DOCKER_CONFIG")) != NULL && *v != '\0')
		files[0] = xasprintf("%s/config.json", v);
	else
		files[0] = xasprintf("%s/.docker/config.json", home ? home : "");
	if ((v = getenv("REGISTRY_AUTH_FILE")) != NULL && *v != '\0')
		files[1] = xstrdup(v);
	if ((v = getenv("XDG_RUNTIME_DIR")) != NULL && *v != '\0')
		files[2] = xasprintf("%s/containers/auth.json", v);
	if ((v = getenv("XDG_CONFIG_HOME")) != NULL && *v != '\0')
		files[3] = xasprintf("%s/containers/auth.json", v);
	else
		files[3] = xasprintf("%s/.config/containers/auth.json",
		    home ? home : "");
	for (i = 0; i < 4 && rc == 0; i++) {
		if (files[i] == NULL)
			continue;
		if ((rc = load_config(files[i], &cfg)) <= 0)
			continue;
		rc = from_config(h, cfg, docker[i], files[i], domain, path, c);
		json_decref(cfg);
	}
	for (i = 0; i < 4; i++)
		free(files[i]);
	if (rc == -2)
		rc = 0;
	if (rc != 1)
		auth_cred_release(c);
	return rc;
}

/* ---- per-registry state ---- */

int
auth_init(struct auth *a, struct http *h, const char *domain,
    const char *path, const char *reg_url)
{
	char origin[512];

	memset(a, 0, sizeof(*a));
	if (http_origin(reg_url, origin, sizeof(origin)) == -1)
		return -1;
	a->h = h;
	a->domain = xstrdup(domain);
	a->path = path ? xstrdup(path) : NULL;
	a->origin = xstrdup(origin);
	a->reg_url = xstrdup(reg_url);
	return 0;
}

void
auth_release(struct auth *a)
{
	size_t i;

	free(a->domain);
	free(a->path);
	free(a->origin);
	free(a->reg_url);
	auth_cred_release(&a->cred);
	free(a->realm);
	free(a->service);
	for (i = 0; i < a->n_scopes; i++)
		free(a->scopes[i]);
	free(a->scopes);
	for (i = 0; i < a->n_tokens; i++) {
		free(a->tokens[i].scopes);
		zfree(a->tokens[i].value);
	}
	free(a->tokens);
	zfree(a->basic);
	memset(a, 0, sizeof(*a));
}

void
auth_add_scope(struct auth *a, const char *scope)
{
	size_t i;

	for (i = 0; i < a->n_scopes; i++)
		if (strcmp(a->scopes[i], scope) == 0)
			return;
	a->scopes = xrealloc(a->scopes, (a->n_scopes + 1) * sizeof(char *));
	a->scopes[a->n_scopes++] = xstrdup(scope);
}

static char *
scope_key(struct auth *a)
{
	struct buf b = BUF_INIT;
	char **s = xmalloc((a->n_scopes + 1) * sizeof(char *));
	size_t i;

	memcpy(s, a->scopes, a->n_scopes * sizeof(char *));
	qsort(s, a->n_scopes, sizeof(char *), strv_cmp);
	buf_adds(&b, "");
	for (i = 0; i < a->n_scopes; i++) {
		if (i > 0)
			buf_adds(&b, " ");
		buf_adds(&b, s[i]);
	}
	free(s);
	return buf_detach(&b, NULL);
}

static void
load_cred(struct auth *a)
{
	if (a->cred_state != 0)
		return;
	switch (auth_lookup(a->h, a->domain, a->path, &a->cred)) {
	case 1:
		a->cred_state = 1;
		break;
	case -1:
		http_log(a->h, 0, "%s", err_msg());
		/* FALLTHROUGH */
	default:
		a->cred_state = -1;
	}
}

int
auth_challenged(struct auth *a, const struct http_req *r)
{
	struct auth_challenge *cs = NULL;
	const struct auth_challenge *c;
	size_t n = 0, i;
	const char *scope, *err;
	int rc = -1;

	for (i = 0; i < r->hdr.n_www_auth; i++)
		auth_parse_challenges(r->hdr.www_auth[i], &cs, &n);
	if ((c = auth_pick(cs, n)) == NULL)
		goto out;
	if (strcmp(c->scheme, "basic") == 0) {
		a->scheme = AUTH_BASIC;
		load_cred(a);
		if (a->cred.username == NULL || a->cred.password == NULL) {
			err_set(EACCES, "the registry wants a user name and "
			    "password, and none is configured");
			goto out;
		}
		if (a->basic == NULL) {
			char *up = xasprintf("%s:%s", a->cred.username,
			    a->cred.password);
			char *b = base64(up);

			a->basic = xasprintf("Basic %s", b);
			zfree(up);
			zfree(b);
		}
		rc = 0;
		goto out;
	}
	a->scheme = AUTH_BEARER;
	free(a->realm);
	free(a->service);
	a->realm = xstrdup(auth_param(c, "realm"));
	a->service = auth_param(c, "service") ?
	    xstrdup(auth_param(c, "service")) : NULL;
	if ((scope = auth_param(c, "scope")) != NULL) {
		/* several scopes may be space-separated */
		char *dup = xstrdup(scope), *sv, *t;

		for (t = strtok_r(dup, " ", &sv); t; t = strtok_r(NULL, " ", &sv))
			auth_add_scope(a, t);
		free(dup);
	}
	err = auth_param(c, "error");
	if (err != NULL && strcmp(err, "insufficient_scope") != 0)
		auth_invalidate(a);
	rc = 0;
out:
	auth_challenges_free(cs, n);
	return rc;
}

void
auth_invalidate(struct auth *a)
{
	size_t i;

	for (i = 0; i < a->n_tokens; i++)
		a->tokens[i].expiry = 0;
}

static int
fetch_token(struct auth *a, const char *key, const char **value)
{
	struct http_req r = HTTP_REQ_INIT;
	struct buf q = BUF_INIT, form = BUF_INIT;
	char realm_origin[512], *basic = NULL, *host;
	const char *tok;
	json_t *j = NULL, *v;
	int64_t life;
	size_t i;
	int rc = -1;

	if (http_target_ok(a->h, a->reg_url, a->realm) == -1)
		return err_wrap("token realm");
	if (http_origin(a->realm, realm_origin, sizeof(realm_origin)) == -1)
		return -1;
	host = strstr(realm_origin, "://") + 3;
	load_cred(a);
	if (a->cred.registry_token != NULL) {
		/* used as is, no exchange */
		a->tokens = xrealloc(a->tokens, (a->n_tokens + 1) *
		    sizeof(*a->tokens));
		a->tokens[a->n_tokens].scopes = xstrdup(key);
		a->tokens[a->n_tokens].value = xasprintf("Bearer %s",
		    a->cred.registry_token);
		a->tokens[a->n_tokens].expiry = INT64_MAX;
		*value = a->tokens[a->n_tokens++].value;
		return 0;
	}
	if (a->cred.username != NULL && a->cred.password != NULL) {
		char *up = xasprintf("%s:%s", a->cred.username,
		    a->cred.password);
		char *b = base64(up);

		basic = xasprintf("Basic %s", b);
		zfree(up);
		zfree(b);
	}

	r.max_body = HTTP_MAX_ERRBODY;
	r.timeout_s = 60;	/* token requests (§5.5) */
	if (a->cred.identity_token != NULL) {
		char *e;

		/* OAuth2: POST, falling back to GET on 404 or 405 */
		buf_adds(&form, "grant_type=refresh_token&refresh_token=");
		e = http_escape(a->cred.identity_token);
		buf_adds(&form, e);
		zfree(e);
		if (a->service != NULL) {
			e = http_escape(a->service);
			buf_addf(&form, "&service=%s", e);
			free(e);
		}
		buf_adds(&form, "&client_id=ocikit&scope=");
		e = http_escape(key);
		buf_adds(&form, e);
		free(e);
		r.method = "POST";
		http_req_set_url(&r, a->realm);
		r.send = form.data;
		r.send_len = form.len;
		r.content_type = "application/x-www-form-urlencoded";
		if (http_do(a->h, &r) == -1) {
			err_set(EIO, "cannot get a token from '%s': %s", host,
			    r.errmsg);
			goto out;
		}
		if (r.status == 404 || r.status == 405) {
			http_req_reset(&r);
			r.send = NULL;
			r.send_len = 0;
			r.content_type = NULL;
		} else {
			goto reply;
		}
	}
	buf_adds(&q, a->realm);
	buf_adds(&q, strchr(a->realm, '?') ? "&" : "?");
	if (a->service != NULL) {
		char *e = http_escape(a->service);

		buf_addf(&q, "service=%s", e);
		free(e);
	}
	for (i = 0; i < a->n_scopes; i++) {
		char *e = http_escape(a->scopes[i]);

		buf_addf(&q, "%sscope=%s", (i > 0 || a->service) ? "&" : "", e);
		free(e);
	}
	r.method = "GET";
	http_req_set_url(&r, q.data);
	if (basic != NULL) {
		r.auth = basic;
		r.auth_origin = xstrdup(realm_origin);
	}
	if (http_do(a->h, &r) == -1) {
		err_set(EIO, "cannot get a token from '%s': %s", host, r.errmsg);
		goto out;
	}
reply:
	if (r.status == 401 || r.status == 403) {
		if (a->cred_state != 1)
			err_set(EACCES, "token service '%s' refused an "
			    "anonymous request (status %ld)", host, r.status);
		else
			err_set(EACCES, "token service '%s' refused the "
			    "credentials from '%s' (status %ld)", host,
			    a->cred.source, r.status);
		goto out;
	}
	if (r.status != 200) {
		err_set(EIO, "token service '%s' answered %ld", host, r.status);
		goto out;
	}
	j = json_loadb(r.body.data, r.body.len,
	    JSON_REJECT_DUPLICATES, NULL);
	tok = j ? jstr(j, "token") : NULL;
	if (tok == NULL || *tok == '\0')
		tok = j ? jstr(j, "access_token") : NULL;
	if (tok == NULL || *tok == '\0') {
		err_set(EIO, "token service '%s' gave no token", host);
		goto out;
	}
	v = json_object_get(j, "expires_in");
	life = json_is_integer(v) ? json_integer_value(v) : 60;
	if (life < 60)
		life = 60;
	a->tokens = xrealloc(a->tokens, (a->n_tokens + 1) * sizeof(*a->tokens));
	a->tokens[a->n_tokens].scopes = xstrdup(key);
	a->tokens[a->n_tokens].value = xasprintf("Bearer %s", tok);
	a->tokens[a->n_tokens].expiry = now_ms() + life * 1000;
	*value = a->tokens[a->n_tokens++].value;
	a->fresh = 1;
	rc = 0;
out:
	if (j != NULL) {
		json_t *t;

		if (json_is_string(t = json_object_get(j, "token")))
			explicit_bzero((char *)json_string_value(t),
			    strlen(json_string_value(t)));
		if (json_is_string(t = json_object_get(j, "access_token")))
			explicit_bzero((char *)json_string_value(t),
			    strlen(json_string_value(t)));
		json_decref(j);
	}
	if (r.body.data != NULL)
		explicit_bzero(r.body.data, r.body.len);
	r.auth = NULL;
	http_req_release(&r);
	zfree(basic);
	if (form.data != NULL)
		explicit_bzero(form.data, form.len);
	buf_release(&form);
	buf_release(&q);
	return rc;
}

int
auth_header(struct auth *a, const char **value)
{
	char *key;
	size_t i;
	int rc;

	*value = NULL;
	if (a->scheme == AUTH_BASIC) {
		*value = a->basic;
		return 0;
	}
	if (a->scheme != AUTH_BEARER)
		return 0;
	key = scope_key(a);
	for (i = 0; i < a->n_tokens; i++) {
		if (strcmp(a->tokens[i].scopes, key) == 0 &&
		    a->tokens[i].expiry - now_ms() > 30000) {
			*value = a->tokens[i].value;
			free(key);
			return 0;
		}
	}
	rc = fetch_token(a, key, value);
	free(key);
	return rc;
}
