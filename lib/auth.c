/* lib/auth.c - registry authentication (doc/registry-client.md §4) */
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
#include "monotime.h"
#include "strv.h"
#include "xalloc.h"

#define CONFIG_MAX	(1u << 20)	/* config.json, auth.json */
/*
 * Timing. A token whose expires_in is missing or short still lives a
 * minute (the spec's default); one that claims more than a day is held
 * for a day, which no run outlives and which keeps the milliseconds
 * within range. A token is renewed TOKEN_SLACK_MS before it expires, so
 * that a request started on it does not meet a 401 midway. A token
 * request that takes longer than a minute is given up. A credential
 * helper is a local program: 30 seconds is long enough for one that asks
 * a keyring or a cloud metadata service, and OCIKIT_HELPER_TIMEOUT
 * shortens it.
 */
#define TOKEN_LIFE_MIN_S	60
#define TOKEN_LIFE_MAX_S	86400
#define TOKEN_SLACK_MS		30000
#define TOKEN_TIMEOUT_S		60
#define HELPER_TIMEOUT_S	30
#define HELPER_POLL_MS		10	/* how often an exiting helper is checked */
#define HUB_KEY		"https://index.docker.io/v1/"
#define NOT_FOUND_MSG	"credentials not found in native keychain"

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
	char *n, *q;

	if (c->n_params >= AUTH_MAX_PARAMS) {
		free(value);	/* a challenge has a handful: the rest is noise */
		return;
	}
	n = xstrndup(name, nlen);
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
		if (*n >= AUTH_MAX_CHALLENGES)
			break;
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

/* "Basic <base64(user:password)>" for c, or NULL without a password */
static char *
basic_value(const struct auth_cred *c)
{
	char *up, *b, *v;

	if (c->username == NULL || c->password == NULL)
		return NULL;
	up = xasprintf("%s:%s", c->username, c->password);
	b = base64(up);
	v = xasprintf("Basic %s", b);
	zfree(up);
	zfree(b);
	return v;
}

static int
blank(const struct buf *b)
{
	size_t i;

	for (i = 0; i < b->len; i++)
		if (!isspace((unsigned char)b->data[i]))
			return 0;
	return 1;
}

/* read a config file: 1 parsed, 0 missing or empty, -1 error naming it */
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
	if (blank(&b)) {
		/* docker reads an empty config.json as an empty config */
		buf_release(&b);
		return 0;
	}
	*out = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &je);
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

/* fork prog with its stdin and stdout on pipes; -1 with a message */
static int
spawn_helper(const char *prog, int *to, int *from, pid_t *pid)
{
	int in[2], out[2];

	if (pipe(in) == -1)
		return err_sys(errno, "cannot run '%s'", prog);
	if (pipe(out) == -1) {
		err_sys(errno, "cannot run '%s'", prog);
		goto fail_in;
	}
	if ((*pid = fork()) == -1) {
		err_sys(errno, "cannot run '%s'", prog);
		goto fail;
	}
	if (*pid == 0) {
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
	*to = in[1];
	*from = out[0];
	return 0;
fail:
	close(out[0]);
	close(out[1]);
fail_in:
	close(in[0]);
	close(in[1]);
	return -1;
}

/* the key and a newline; a helper that reads nothing is fine */
static void
send_key(int fd, const char *key)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, &old);
	if (write(fd, key, strlen(key)) >= 0)
		(void)!write(fd, "\n", 1);	/* the exit status tells */
	sigaction(SIGPIPE, &old, NULL);
	close(fd);
}

/* HELPER_TIMEOUT_S, or OCIKIT_HELPER_TIMEOUT seconds (ocikit(7)) */
static int64_t
helper_timeout_ms(void)
{
	const char *v = getenv("OCIKIT_HELPER_TIMEOUT");
	char *end;
	long t;

	if (v == NULL || *v == '\0')
		return HELPER_TIMEOUT_S * 1000;
	errno = 0;
	t = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || t <= 0 || t > HELPER_TIMEOUT_S)
		return HELPER_TIMEOUT_S * 1000;
	return (int64_t)t * 1000;
}

/*
 * Wait for pid until deadline; then kill it. 0 with its wait status in
 * *status, or -1 with a message: a child we cannot wait for (SIGCHLD
 * ignored reaps it) has no exit status to trust.
 */
static int
reap(const char *prog, pid_t pid, int64_t deadline, int *status)
{
	pid_t got;

	while ((got = waitpid(pid, status, WNOHANG)) == 0 &&
	    monotime_ms() < deadline)
		usleep(HELPER_POLL_MS * 1000);
	if (got == 0) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return err_set(ETIMEDOUT, "'%s' timed out", prog);
	}
	if (got == -1)
		return err_sys(errno, "cannot wait for '%s'", prog);
	return 0;
}

/*
 * Read the helper's stdout until EOF or the deadline: at most
 * HTTP_MAX_ERRBODY bytes are kept. 0 at EOF, -1 (ETIMEDOUT, or a read
 * error) otherwise. The descriptor is non-blocking and a signal only
 * makes poll() start again, so nothing waits past the deadline.
 */
static int
read_helper(const char *prog, int fd, int64_t deadline, struct buf *out)
{
	char tmp[4096];
	int rc = -1;

	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int64_t left = deadline - monotime_ms();
		ssize_t got;
		int n;

		if (left <= 0) {
			err_set(ETIMEDOUT, "'%s' timed out", prog);
			break;
		}
		if ((n = poll(&pf, 1, (int)left)) <= 0) {
			if (n == -1 && errno != EINTR) {
				err_sys(errno, "cannot read from '%s'", prog);
				break;
			}
			continue;
		}
		if ((got = read(fd, tmp, sizeof(tmp))) == 0) {
			rc = 0;
			break;
		}
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			err_sys(errno, "cannot read from '%s'", prog);
			break;
		}
		if (out->len + got <= HTTP_MAX_ERRBODY)
			buf_add(out, tmp, got);
	}
	explicit_bzero(tmp, sizeof(tmp));
	return rc;
}

/*
 * Run "prog get" with key on its stdin; its stdout (NUL-terminated) into
 * out and its wait status into *status. The helper gets
 * helper_timeout_ms() to answer and exit, then it is killed: -1 with
 * ETIMEDOUT.
 */
static int
run_helper(const char *prog, const char *key, struct buf *out, int *status)
{
	int64_t deadline;
	int to = -1, from = -1, rc;
	pid_t pid = -1;

	if (spawn_helper(prog, &to, &from, &pid) == -1)
		return -1;
	send_key(to, key);
	deadline = monotime_ms() + helper_timeout_ms();
	rc = read_helper(prog, from, deadline, out);
	close(from);
	if (rc == -1) {
		kill(pid, SIGKILL);
		while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
			;
		return -1;
	}
	if (reap(prog, pid, deadline, status) == -1)
		return -1;
	buf_add(out, "", 0);
	return 0;
}

/* a helper's JSON answer into c: 1 found, 0 no secret, -1 malformed */
static int
helper_answer(const char *prog, const struct buf *b, struct auth_cred *c)
{
	const char *u, *s;
	json_t *j, *sv;
	int rc = 0;

	if ((j = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL || !json_is_object(j)) {
		json_decref(j);
		return err_set(EINVAL, "'%s' gave malformed output", prog);
	}
	u = jstr(j, "Username");
	s = jstr(j, "Secret");
	if ((u != NULL && !http_header_value_ok(u)) ||
	    (s != NULL && !http_header_value_ok(s))) {
		rc = err_set(EINVAL, "'%s' gave a control character in its "
		    "answer", prog);
	} else if (s != NULL && *s != '\0') {
		if (u != NULL && strcmp(u, "<token>") == 0) {
			c->identity_token = xstrdup(s);
		} else {
			c->username = xstrdup(u ? u : "");
			c->password = xstrdup(s);
		}
		c->source = xstrdup(prog);
		rc = 1;
	}
	if (json_is_string(sv = json_object_get(j, "Secret")))
		explicit_bzero((char *)json_string_value(sv),
		    strlen(json_string_value(sv)));
	json_decref(j);
	return rc;
}

int
auth_helper_get(const char *helper, const char *key, struct auth_cred *c)
{
	struct buf b = BUF_INIT;
	int status = 0, rc = -1;
	char *prog;

	if (!helper_name_ok(helper))
		return err_set(EINVAL, "bad credential helper name '%.60s'",
		    helper);
	prog = xasprintf("docker-credential-%s", helper);
	if (run_helper(prog, key, &b, &status) == -1)
		goto out;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		rc = helper_answer(prog, &b, c);
		goto out;
	}
	while (b.len > 0 && isspace((unsigned char)b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (strcmp(b.data, NOT_FOUND_MSG) == 0)
		rc = 0;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		err_set(ENOENT, "'%s' not found", prog);
	else
		err_set(EIO, "'%s' failed", prog);
out:
	if (b.data != NULL)
		explicit_bzero(b.data, b.len);
	buf_release(&b);
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

static int lookup_sources(struct http *h, const char *domain,
    const char *path, struct auth_cred *c);

/* every credential may end up in a header, a Basic one or a bearer one */
static int
cred_ok(const struct auth_cred *c)
{
	const char *v[] = { c->username, c->password, c->identity_token,
	    c->registry_token };
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		if (v[i] != NULL && !http_header_value_ok(v[i]))
			return 0;
	return 1;
}

int
auth_lookup(struct http *h, const char *domain, const char *path,
    struct auth_cred *c)
{
	int rc = lookup_sources(h, domain, path, c);

	if (rc == 1 && !cred_ok(c)) {
		err_set(EINVAL, "the credentials from '%s' hold a control "
		    "character", c->source);
		rc = -1;
	}
	if (rc != 1)
		auth_cred_release(c);
	return rc;
}

static int
lookup_sources(struct http *h, const char *domain, const char *path,
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
	return rc == -2 ? 0 : rc;
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
		if (a->basic == NULL)
			a->basic = basic_value(&a->cred);
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

/* a fresh token, kept for the run under its scope key; returns its header */
static const char *
token_store(struct auth *a, const char *key, const char *tok, int64_t life_s)
{
	struct auth_token *t;

	a->tokens = xrealloc(a->tokens, (a->n_tokens + 1) * sizeof(*a->tokens));
	t = &a->tokens[a->n_tokens++];
	t->scopes = xstrdup(key);
	t->value = xasprintf("Bearer %s", tok);
	t->expiry = life_s == INT64_MAX ? INT64_MAX :
	    monotime_ms() + life_s * 1000;
	return t->value;
}

/*
 * OAuth2 with an identity token (doc/registry-client.md §4.5): a form
 * POST to the realm. 1 when the reply is in r, 0 when the service does
 * not take POSTs (404, 405: GET next), -1 on failure.
 */
static int
token_post(struct auth *a, const char *key, struct http_req *r,
    const char *host)
{
	struct buf form = BUF_INIT;
	char *e;
	int rc;

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
	r->method = "POST";
	http_req_set_url(r, a->realm);
	r->send = form.data;
	r->send_len = form.len;
	r->content_type = "application/x-www-form-urlencoded";
	rc = http_do(a->h, r);
	r->send = NULL;
	r->send_len = 0;
	r->content_type = NULL;
	explicit_bzero(form.data, form.len);
	buf_release(&form);
	if (rc == -1)
		return err_set(EIO, "cannot get a token from '%s': %s", host,
		    r->errmsg);
	if (r->status == 404 || r->status == 405) {
		http_req_reset(r);
		return 0;
	}
	return 1;
}

/* the token GET: realm?service=..&scope=.., Basic when we have a password */
static int
token_get(struct auth *a, struct http_req *r, const char *realm_origin,
    const char *host)
{
	struct buf q = BUF_INIT;
	char *basic, *e;
	size_t i;
	int rc;

	buf_adds(&q, a->realm);
	buf_adds(&q, strchr(a->realm, '?') ? "&" : "?");
	if (a->service != NULL) {
		e = http_escape(a->service);
		buf_addf(&q, "service=%s", e);
		free(e);
	}
	for (i = 0; i < a->n_scopes; i++) {
		e = http_escape(a->scopes[i]);
		buf_addf(&q, "%sscope=%s", (i > 0 || a->service) ? "&" : "", e);
		free(e);
	}
	r->method = "GET";
	http_req_set_url(r, q.data);
	buf_release(&q);
	if ((basic = basic_value(&a->cred)) != NULL) {
		r->auth = basic;
		free(r->auth_origin);
		r->auth_origin = xstrdup(realm_origin);
	}
	rc = http_do(a->h, r);
	r->auth = NULL;
	zfree(basic);
	if (rc == -1)
		return err_set(EIO, "cannot get a token from '%s': %s", host,
		    r->errmsg);
	return 0;
}

/* wipe the token strings of a parsed reply, then free it */
static void
token_json_free(json_t *j)
{
	static const char *const fields[] = { "token", "access_token" };
	json_t *t;
	size_t i;

	for (i = 0; j != NULL && i < 2; i++)
		if (json_is_string(t = json_object_get(j, fields[i])))
			explicit_bzero((char *)json_string_value(t),
			    strlen(json_string_value(t)));
	json_decref(j);
}

int
auth_token_parse(const char *body, size_t len, char **token, int64_t *life_s)
{
	const char *tok;
	json_t *j, *v;
	int64_t life;
	int rc = -1;

	*token = NULL;
	*life_s = 0;
	j = json_loadb(body ? body : "", body ? len : 0,
	    JSON_REJECT_DUPLICATES, NULL);
	tok = j ? jstr(j, "token") : NULL;
	if (tok == NULL || *tok == '\0')
		tok = j ? jstr(j, "access_token") : NULL;
	if (tok == NULL || *tok == '\0') {
		rc = err_set(EIO, "no token");
	} else if (!http_header_value_ok(tok)) {
		rc = err_set(EIO, "a token with a control character");
	} else {
		v = json_object_get(j, "expires_in");
		life = json_is_integer(v) ? json_integer_value(v) :
		    TOKEN_LIFE_MIN_S;
		if (life < TOKEN_LIFE_MIN_S)
			life = TOKEN_LIFE_MIN_S;
		if (life > TOKEN_LIFE_MAX_S)
			life = TOKEN_LIFE_MAX_S;
		*token = xstrdup(tok);
		*life_s = life;
		rc = 0;
	}
	token_json_free(j);
	return rc;
}

/* the token service's answer in r: store the token, or -1 with a message */
static int
token_reply(struct auth *a, const char *key, const struct http_req *r,
    const char *host, const char **value)
{
	char *tok, why[64];
	int64_t life;

	if (r->status == 401 || r->status == 403) {
		if (a->cred_state != 1)
			return err_set(EACCES, "token service '%s' refused an "
			    "anonymous request (status %ld)", host, r->status);
		return err_set(EACCES, "token service '%s' refused the "
		    "credentials from '%s' (status %ld)", host,
		    a->cred.source, r->status);
	}
	if (r->status != 200)
		return err_set(EIO, "token service '%s' answered %ld", host,
		    r->status);
	if (auth_token_parse(r->body.data, r->body.len, &tok, &life) == -1) {
		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(EIO, "token service '%s' gave %s", host, why);
	}
	*value = token_store(a, key, tok, life);
	zfree(tok);
	a->fresh = 1;
	return 0;
}

/* a token for the scope set key (doc/registry-client.md §4.5) */
static int
fetch_token(struct auth *a, const char *key, const char **value)
{
	struct http_req r = HTTP_REQ_INIT;
	char realm_origin[512];
	const char *host;
	int rc = 0;

	if (http_target_ok(a->h, a->reg_url, a->realm) == -1)
		return err_wrap("token realm");
	if (http_origin(a->realm, realm_origin, sizeof(realm_origin)) == -1)
		return -1;
	host = strstr(realm_origin, "://") + 3;
	load_cred(a);
	if (a->cred.registry_token != NULL) {
		/* used as is, no exchange */
		*value = token_store(a, key, a->cred.registry_token, INT64_MAX);
		return 0;
	}
	r.max_body = HTTP_MAX_ERRBODY;
	r.timeout_s = TOKEN_TIMEOUT_S;
	if (a->cred.identity_token != NULL)
		rc = token_post(a, key, &r, host);
	if (rc == 0)
		rc = token_get(a, &r, realm_origin, host);
	if (rc != -1)
		rc = token_reply(a, key, &r, host, value);
	if (r.body.data != NULL)
		explicit_bzero(r.body.data, r.body.len);
	http_req_release(&r);
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
		    a->tokens[i].expiry - monotime_ms() > TOKEN_SLACK_MS) {
			*value = a->tokens[i].value;
			free(key);
			return 0;
		}
	}
	rc = fetch_token(a, key, value);
	free(key);
	return rc;
}
