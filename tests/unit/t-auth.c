/* tests/unit/t-auth.c - WWW-Authenticate, config files, credential helpers */
#include <sys/stat.h>
#include <sys/time.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "err.h"
#include "tap.h"
#include "xalloc.h"

static char dir[] = "/tmp/t-auth.XXXXXX";

static void
put(const char *name, const char *text, int mode)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void
challenges(void)
{
	struct auth_challenge *cs = NULL;
	const struct auth_challenge *c;
	size_t n = 0;

	auth_parse_challenges("Bearer realm=\"https://auth.docker.io/token\","
	    "service=\"registry.docker.io\",scope=\"repository:library/"
	    "alpine:pull\"", &cs, &n);
	is_int(n, 1, "hub challenge: one");
	is(cs[0].scheme, "bearer", "hub challenge: scheme");
	is(auth_param(&cs[0], "realm"), "https://auth.docker.io/token",
	    "hub challenge: realm");
	is(auth_param(&cs[0], "service"), "registry.docker.io",
	    "hub challenge: service");
	is(auth_param(&cs[0], "scope"), "repository:library/alpine:pull",
	    "hub challenge: scope");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("Basic realm=\"reg\", Bearer realm=\"https://a/t\""
	    ",scope=\"repository:x:pull,push\"", &cs, &n);
	is_int(n, 2, "two challenges in one header");
	is(cs[0].scheme, "basic", "first is basic");
	is(auth_param(&cs[1], "scope"), "repository:x:pull,push",
	    "comma inside quotes is data");
	c = auth_pick(cs, n);
	ok(c == &cs[1], "bearer preferred over basic");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("bearer realm=https://a/t,error="
	    "\"insufficient_scope\"", &cs, &n);
	is(auth_param(&cs[0], "realm"), "https://a/t", "unquoted realm");
	is(auth_param(&cs[0], "ERROR"), "insufficient_scope",
	    "names are case-insensitive");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("Bearer realm=\"a\\\"b\"", &cs, &n);
	is(auth_param(&cs[0], "realm"), "a\"b", "backslash escape");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("Negotiate", &cs, &n);
	ok(auth_pick(cs, n) == NULL && strstr(err_msg(), "'negotiate'"),
	    "Negotiate alone: unsupported scheme named");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("Negotiate abc==, Basic realm=\"r\"", &cs, &n);
	is_int(n, 2, "token68 then a challenge");
	is(cs[0].token68, "abc", "token68 kept");
	ok(auth_pick(cs, n) == &cs[1], "basic picked");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("Bearer realm=\"a\",realm=\"b\"", &cs, &n);
	ok(cs[0].invalid && auth_pick(cs, n) == NULL,
	    "a repeated parameter voids the challenge");
	auth_challenges_free(cs, n);

	cs = NULL;
	n = 0;
	auth_parse_challenges("Bearer service=\"x\"", &cs, &n);
	ok(auth_pick(cs, n) == NULL, "bearer without realm is not usable");
	auth_challenges_free(cs, n);
	{
		/* thousands of parameters and challenges: bounded */
		struct buf b = BUF_INIT;
		struct auth_challenge *many = NULL;
		size_t nm = 0, k;
		int bounded = 1;

		buf_adds(&b, "Bearer realm=\"https://r/t\"");
		for (k = 0; k < 20000; k++)
			buf_addf(&b, ",p%zu=v", k);
		for (k = 0; k < 5000; k++)
			buf_adds(&b, ", Basic x=y");
		auth_parse_challenges(b.data, &many, &nm);
		ok(nm <= AUTH_MAX_CHALLENGES, "challenges capped (%zu)", nm);
		for (k = 0; k < nm; k++)
			if (many[k].n_params > AUTH_MAX_PARAMS)
				bounded = 0;
		ok(bounded && nm > 0 && auth_param(&many[0], "realm") != NULL,
		    "parameters capped; the realm kept");
		auth_challenges_free(many, nm);
		buf_release(&b);
	}
}

static void
lookup(const char *domain, const char *path, int want, const char *user,
    const char *pass, const char *title)
{
	struct auth_cred c;
	int rc = auth_lookup(NULL, domain, path, &c);

	if (!is_int(rc, want, "%s", title) && rc == -1)
		diag("%s", err_msg());
	if (want == 1) {
		is(c.username, user, "%s: user", title);
		is(c.password, pass, "%s: password", title);
	}
	auth_cred_release(&c);
}

static void
on_alarm(int sig)
{
	(void)sig;
}

/* the seconds since t0, for the deadline checks */
static double
since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* helpers that misbehave: they cannot hold us past the deadline */
static void
helpers_hostile(void)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, off = { 0 };
	struct sigaction sa, old;
	struct auth_cred c;
	struct timespec t0;
	int rc, e;

	memset(&c, 0, sizeof(c));
	put("docker-credential-ctl", "#!/bin/sh\n"
	    "printf '{\"Username\":\"u\",\"Secret\":\"s\\\\r\\\\nX: y\"}'\n",
	    0755);
	ok(auth_helper_get("ctl", "x", &c) == -1 &&
	    strstr(err_msg(), "control character") != NULL && c.password == NULL,
	    "a helper's Secret with CR LF is refused (%s)", err_msg());
	auth_cred_release(&c);

	put("docker-credential-mute", "#!/bin/sh\nexec sleep 20\n", 0755);
	put("docker-credential-linger", "#!/bin/sh\n"
	    "echo '{\"Username\":\"u\",\"Secret\":\"s\"}'\n"
	    "exec >&-\nexec sleep 20\n", 0755);
	put("docker-credential-ok", "#!/bin/sh\n"
	    "echo '{\"Username\":\"u\",\"Secret\":\"s\"}'\n", 0755);
	setenv("OCIKIT_HELPER_TIMEOUT", "1", 1);

	/* a signal every 20 ms interrupts poll(); it must not block in read() */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &it, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = auth_helper_get("mute", "x", &c);
	e = errno;
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	ok(rc == -1 && e == ETIMEDOUT && since(&t0) < 5,
	    "a silent helper interrupted by signals is killed at its deadline "
	    "(%.1fs: %s)", since(&t0), err_msg());
	auth_cred_release(&c);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = auth_helper_get("linger", "x", &c);
	ok(rc == -1 && since(&t0) < 5 && strstr(err_msg(), "timed out"),
	    "a helper that answers but does not exit is killed at its "
	    "deadline (%.1fs: %s)", since(&t0), err_msg());
	auth_cred_release(&c);
	unsetenv("OCIKIT_HELPER_TIMEOUT");

	/* SIGCHLD ignored: the child is reaped for us, its status unknown */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigaction(SIGCHLD, &sa, &old);
	rc = auth_helper_get("ok", "x", &c);
	sigaction(SIGCHLD, &old, NULL);
	ok(rc == -1 && strstr(err_msg(), "cannot wait") != NULL,
	    "a helper whose exit status cannot be had is a failure (%s)",
	    err_msg());
	auth_cred_release(&c);
	ok(auth_helper_get("ok", "x", &c) == 1 && strcmp(c.password, "s") == 0,
	    "the same helper with SIGCHLD restored answers");
	auth_cred_release(&c);
}

static void
configs(void)
{
	char path[600], *p;
	struct auth_cred c;

	memset(&c, 0, sizeof(c));
	ok(auth_decode_basic("dXNlcjpwYXNz", &c) == 0 &&
	    strcmp(c.username, "user") == 0 && strcmp(c.password, "pass") == 0,
	    "auth value decoded");
	auth_cred_release(&c);
	ok(auth_decode_basic("OnBhc3M=", &c) == -1, "empty user refused");
	ok(auth_decode_basic("!!!", &c) == -1, "bad base64 refused");
	ok(auth_decode_basic("dTpwOnE=", &c) == 0 &&
	    strcmp(c.password, "p:q") == 0, "split at the first colon");
	auth_cred_release(&c);

	is(auth_config_key("docker.io"), "https://index.docker.io/v1/",
	    "hub key");
	is(auth_config_key("reg:5000"), "reg:5000", "other keys as written");

	snprintf(path, sizeof(path), "%s/home", dir);
	setenv("HOME", path, 1);
	unsetenv("DOCKER_CONFIG");
	unsetenv("DOCKER_AUTH_CONFIG");
	unsetenv("REGISTRY_AUTH_FILE");
	unsetenv("XDG_RUNTIME_DIR");
	unsetenv("XDG_CONFIG_HOME");
	lookup("reg:5000", "a/b", 0, NULL, NULL, "no files: anonymous");

	p = xasprintf("%s/docker", dir);
	mkdir(p, 0700);
	setenv("DOCKER_CONFIG", p, 1);
	free(p);
	put("docker/config.json", "{\"auths\":{"
	    "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmh1YnB3\"},"
	    "\"https://reg:5000/v1/\":{\"auth\":\"cmVnOnJlZ3B3\"},"
	    "\"plain:6000\":{\"username\":\"pu\",\"password\":\"pp\"},"
	    "\"ghcr.io\":{}}}", 0600);
	lookup("docker.io", "library/alpine", 1, "hub", "hubpw",
	    "hub credentials under the v1 key");
	lookup("reg:5000", "a", 1, "reg", "regpw",
	    "key matched by host after dropping scheme and path");
	lookup("plain:6000", "a", 1, "pu", "pp", "username and password");
	lookup("ghcr.io", "a", 0, NULL, NULL, "{} alone is no credential");
	lookup("other:1", "a", 0, NULL, NULL, "unknown host: anonymous");

	setenv("DOCKER_AUTH_CONFIG",
	    "{\"auths\":{\"plain:6000\":{\"auth\":\"ZW52OmVudnB3\"}}}", 1);
	lookup("plain:6000", "a", 1, "env", "envpw",
	    "DOCKER_AUTH_CONFIG comes first");
	unsetenv("DOCKER_AUTH_CONFIG");

	put("docker/config.json", "{\"auths\":{\"a\":1,\"a\":2}}", 0600);
	lookup("reg:5000", "a", -1, NULL, NULL, "duplicate keys: error");
	ok(strstr(err_msg(), "config.json") != NULL, "the error names the file");

	put("docker/config.json", "", 0600);
	lookup("reg:5000", "a", 0, NULL, NULL,
	    "an empty config.json is an empty config (as docker reads it)");
	put("docker/config.json", " \n\t\n", 0600);
	lookup("reg:5000", "a", 0, NULL, NULL, "so is one of white space");
	put("docker/config.json", "{\"auths\":{\"reg:5000\":{"
	    "\"registrytoken\":\"t\\r\\nX-Injected: yes\"}}}", 0600);
	lookup("reg:5000", "a", -1, NULL, NULL,
	    "a registrytoken with CR LF is refused");
	ok(strstr(err_msg(), "control character") != NULL &&
	    strstr(err_msg(), "Injected") == NULL,
	    "the error says why without quoting it");
	put("docker/config.json", "{\"auths\":{\"reg:5000\":{"
	    "\"username\":\"u\",\"password\":\"p\\nq\"}}}", 0600);
	lookup("reg:5000", "a", -1, NULL, NULL,
	    "a password with LF is refused");

	/* containers auth.json, namespaced keys */
	put("docker/config.json", "{}", 0600);
	p = xasprintf("%s/xdg", dir);
	mkdir(p, 0700);
	setenv("XDG_CONFIG_HOME", p, 1);
	free(p);
	p = xasprintf("%s/xdg/containers", dir);
	mkdir(p, 0700);
	free(p);
	put("xdg/containers/auth.json", "{\"auths\":{"
	    "\"reg.example\":{\"auth\":\"aG9zdDpob3N0cHc=\"},"
	    "\"reg.example/team\":{\"auth\":\"dGVhbTp0ZWFtcHc=\"},"
	    "\"reg.example/team/app\":{\"auth\":\"YXBwOmFwcHB3\"}}}", 0600);
	lookup("reg.example", "team/app", 1, "app", "apppw",
	    "longest namespace prefix wins");
	lookup("reg.example", "team/other", 1, "team", "teampw",
	    "namespace prefix");
	lookup("reg.example", "solo", 1, "host", "hostpw", "host key");

	/* credential helpers */
	p = xasprintf("%s:%s", dir, getenv("PATH"));
	setenv("PATH", p, 1);
	free(p);
	put("docker-credential-t", "#!/bin/sh\n"
	    "read key\n"
	    "case $key in\n"
	    "reg:7000) echo '{\"ServerURL\":\"reg:7000\",\"Username\":\"hu\","
	    "\"Secret\":\"hs\"}' ;;\n"
	    "tok:7000) echo '{\"Username\":\"<token>\",\"Secret\":\"idt\"}' ;;\n"
	    "https://index.docker.io/v1/) echo '{\"Username\":\"hubh\","
	    "\"Secret\":\"hubs\"}' ;;\n"
	    "*) echo 'credentials not found in native keychain'; exit 1 ;;\n"
	    "esac\n", 0755);
	put("docker-credential-broken", "#!/bin/sh\necho oops; exit 1\n",
	    0755);
	put("docker/config.json", "{\"credHelpers\":{\"reg:7000\":\"t\","
	    "\"tok:7000\":\"t\",\"nf:1\":\"t\",\"bad:1\":\"broken\","
	    "\"gone:1\":\"missing\"},\"auths\":{\"nf:1\":{\"auth\":"
	    "\"eDp5\"}}}", 0600);
	lookup("reg:7000", "a", 1, "hu", "hs", "credHelpers through the helper");
	memset(&c, 0, sizeof(c));
	ok(auth_lookup(NULL, "tok:7000", "a", &c) == 1 &&
	    c.identity_token != NULL && strcmp(c.identity_token, "idt") == 0 &&
	    c.username == NULL, "<token> user means an identity token");
	auth_cred_release(&c);
	lookup("nf:1", "a", 0, NULL, NULL,
	    "helper not found: the next source (none) is tried");
	lookup("bad:1", "a", 0, NULL, NULL, "failing helper: anonymous");
	lookup("gone:1", "a", 0, NULL, NULL, "missing helper: anonymous");
	is_int(auth_helper_get("broken", "x", &c), -1, "helper failure");
	ok(strstr(err_msg(), "oops") == NULL,
	    "helper output is not in the message");
	is_int(auth_helper_get("../x", "x", &c), -1, "helper name checked");

	helpers_hostile();

	put("docker/config.json", "{\"credsStore\":\"t\",\"auths\":{"
	    "\"reg:7000\":{\"auth\":\"eDp5\"}}}", 0600);
	lookup("docker.io", "library/a", 1, "hubh", "hubs",
	    "credsStore asked with the hub key");
	lookup("reg:7000", "a", 1, "hu", "hs", "credsStore ignores auths");
}

/* one token reply: its token (or NULL when refused) and lifetime */
static void
token(const char *body, const char *want, int64_t want_life, const char *name)
{
	char *tok = (char *)"unset";
	int64_t life = -1;
	int rc = auth_token_parse(body, body ? strlen(body) : 0, &tok, &life);

	if (want == NULL) {
		ok(rc == -1 && tok == NULL, "token reply %s is refused", name);
		return;
	}
	ok(rc == 0, "token reply %s parses", name);
	is(tok, want, "token reply %s: the token", name);
	is_int(life, want_life, "token reply %s: its lifetime", name);
	free(tok);
}

static void
tokens(void)
{
	token("{\"token\":\"t\",\"expires_in\":300}", "t", 300, "plain");
	token("{\"token\":\"\",\"access_token\":\"a\"}", "a", 60,
	    "access_token");
	token("{\"token\":\"t\",\"expires_in\":5}", "t", 60, "short life");
	/* a huge expires_in made the expiry's "* 1000" overflow */
	token("{\"token\":\"t\",\"expires_in\":9223372036854775807}", "t",
	    86400, "with the largest expires_in");
	token("{\"token\":\"t\",\"expires_in\":9223372036854775}", "t",
	    86400, "with an expires_in whose ms overflow");
	token("{\"token\":\"t\",\"expires_in\":-9223372036854775808}", "t",
	    60, "with the smallest expires_in");
	token("{\"token\":\"t\",\"expires_in\":1e300}", "t", 60,
	    "with a real expires_in");
	token("{\"token\":\"t\\r\\nX: y\"}", NULL, 0, "with CR LF in its token");
	token("{\"token\":\"\",\"access_token\":\"a\\u007f\"}", NULL, 0,
	    "with DEL in its access_token");
	token("{\"token\":1}", NULL, 0, "with a number token");
	token("{\"token\":\"a\",\"token\":\"b\"}", NULL, 0,
	    "with a duplicate key");
	token("[]", NULL, 0, "that is an array");
	token("", NULL, 0, "that is empty");
	token(NULL, NULL, 0, "without a body");
}

int
main(void)
{
	char cmd[600];

	if (mkdtemp(dir) == NULL)
		return 1;
	challenges();
	configs();
	tokens();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
