/* lib/ref.c - reference grammar (distribution's), LinuxKit's canonical names */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "err.h"
#include "ref.h"
#include "xalloc.h"

#define NAME_MAX_LEN	255
#define TAG_MAX_LEN	128

#define LOWER_OR_DIGIT(c)	(((c) >= 'a' && (c) <= 'z') || \
				    ((c) >= '0' && (c) <= '9'))

/* [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)* */
static int
valid_component(const char *s, size_t n)
{
	size_t i = 0, sep;

	while (i < n) {
		if (!LOWER_OR_DIGIT(s[i]))
			return 0;
		while (i < n && LOWER_OR_DIGIT(s[i]))
			i++;
		if (i == n)
			return 1;
		sep = i;
		if (s[i] == '.')
			i++;
		else if (s[i] == '_')
			i += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
		else if (s[i] == '-')
			while (i < n && s[i] == '-')
				i++;
		else
			return 0;
		if (i == n || i == sep)
			return 0;
	}
	return n > 0;
}

/* host[:port], host a DNS name or an [IPv6] literal */
static int
valid_domain(const char *s, size_t n)
{
	const char *colon = NULL;
	size_t i, hostlen;

	if (n == 0)
		return 0;
	if (s[0] == '[') {
		const char *close = memchr(s, ']', n);

		if (!close || close - s < 3)
			return 0;
		for (i = 1; s + i < close; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':' &&
			    s[i] != '.')
				return 0;
		hostlen = close - s + 1;
	} else {
		for (i = 0; i < n && s[i] != ':'; i++)
			if (!LOWER_OR_DIGIT(s[i]) && !(s[i] >= 'A' &&
			    s[i] <= 'Z') && s[i] != '.' && s[i] != '-')
				return 0;
		hostlen = i;
		if (hostlen == 0 || s[0] == '-' || s[0] == '.' ||
		    s[hostlen - 1] == '-' || s[hostlen - 1] == '.')
			return 0;
	}
	if (hostlen == n)
		return 1;
	if (s[hostlen] != ':')
		return 0;
	colon = s + hostlen;
	if (colon + 1 == s + n)
		return 0;
	for (i = hostlen + 1; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* ASCII only: isalnum() would follow the locale */
static int
tag_char(int c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || (!first && (c == '.' ||
	    c == '-'));
}

static int
valid_tag(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > TAG_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (!tag_char((unsigned char)s[i], i == 0))
			return 0;
	return 1;
}

/* components joined by single slashes, the whole at most NAME_MAX_LEN */
static int
valid_path(const char *s)
{
	const char *p;
	size_t n;

	if (!*s || strlen(s) > NAME_MAX_LEN)
		return 0;
	for (p = s; ; p += n + 1) {
		n = strcspn(p, "/");
		if (!valid_component(p, n))
			return 0;
		if (!p[n])
			return 1;
	}
}

/* does the first component name a registry host? (LinuxKit's rule) */
static int
is_domain(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) ||
	    (n == 9 && memcmp(s, "localhost", 9) == 0);
}

static char *
expand(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash)
		return xasprintf("docker.io/library/%s", s);
	if (!strchr(slash + 1, '/') && !is_domain(s, slash - s))
		return xasprintf("docker.io/%s", s);
	return xstrdup(s);
}

int
ref_parse(struct ref *r, const char *s)
{
	char *full = NULL, *at, *colon, *slash;

	memset(r, 0, sizeof(*r));
	if (!s || !*s)
		return err_set(EINVAL, "empty reference");
	if (strlen(s) > 4096)
		return err_set(EINVAL, "reference too long");
	full = expand(s);
	if ((at = strchr(full, '@'))) {
		*at++ = '\0';
		if (digest_parse(at, NULL, NULL) == -1)
			goto bad;
		r->digest = xstrdup(at);
	}
	slash = strrchr(full, '/');
	if ((colon = strrchr(full, ':')) && colon > slash) {
		*colon++ = '\0';
		if (!valid_tag(colon))
			goto bad;
		r->tag = xstrdup(colon);
	}
	if (strlen(full) > NAME_MAX_LEN)
		goto bad;
	slash = strchr(full, '/');
	if (!slash || !valid_domain(full, slash - full))
		goto bad;
	if (!valid_path(slash + 1))
		goto bad;
	r->domain = xstrndup(full, slash - full);
	r->path = xstrdup(slash + 1);
	free(full);
	return 0;
bad:
	free(full);
	ref_release(r);
	return err_set(EINVAL, "'%.300s' is not a valid image reference", s);
}

void
ref_release(struct ref *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *
ref_string(const struct ref *r)
{
	struct buf b = BUF_INIT;

	buf_addf(&b, "%s/%s", r->domain, r->path);
	if (r->tag)
		buf_addf(&b, ":%s", r->tag);
	if (r->digest)
		buf_addf(&b, "@%s", r->digest);
	return buf_detach(&b, NULL);
}

char *
ref_canonical(const char *s, int default_tag)
{
	struct ref r;
	char *out;

	if (ref_parse(&r, s) == -1)
		return NULL;
	if (default_tag && !r.tag && !r.digest)
		r.tag = xstrdup("latest");
	out = ref_string(&r);
	ref_release(&r);
	return out;
}

int
ref_tag_valid(const char *s)
{
	if (s && valid_tag(s))
		return 1;
	err_set(EINVAL, "'%.80s' is not a valid tag", s ? s : "");
	return 0;
}

int
ref_repo_valid(const char *s)
{
	if (s && valid_path(s))
		return 1;
	err_set(EINVAL, "'%.80s' is not a valid repository name", s ? s : "");
	return 0;
}

int
ref_digest_valid(const char *s)
{
	return digest_parse(s, NULL, NULL) == 0;
}
