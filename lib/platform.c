/* lib/platform.c - platforms as Go names them, normalised as regclient does */
#include <sys/utsname.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "platform.h"

#define COPY(dst, src)	copy((dst), sizeof(dst), (src))

/* bounded copy; platform fields longer than their arrays are cut */
static void
copy(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
platform_normalise(struct platform *p)
{
	static const struct { const char *from, *arch, *variant; } map[] = {
		{ "x86_64",	"amd64",	NULL },
		{ "x86-64",	"amd64",	NULL },
		{ "aarch64",	"arm64",	NULL },
		{ "armhf",	"arm",		"v7" },
		{ "armel",	"arm",		"v6" },
		{ "i386",	"386",		NULL },
		{ "i686",	"386",		NULL },
		{ "x86",	"386",		NULL },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (strcmp(p->arch, map[i].from) != 0)
			continue;
		COPY(p->arch, map[i].arch);
		if (map[i].variant)
			COPY(p->variant, map[i].variant);
		break;
	}
	if (strcmp(p->arch, "arm64") == 0 && strcmp(p->variant, "v8") == 0)
		p->variant[0] = '\0';
	if (strcmp(p->arch, "arm") == 0 && p->variant[0] == '\0')
		COPY(p->variant, "v7");
}

static int
field_char(int c, int first)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    (!first && (c == '.' || c == '_' || c == '-'));
}

/* the n bytes at s in the grammar of platform_field_valid() */
static int
field_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PLATFORM_FIELD_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!field_char((unsigned char)s[i], i == 0))
			return 0;
	return 1;
}

int
platform_field_valid(const char *s)
{
	if (s && field_ok(s, strlen(s)))
		return 1;
	err_set(EINVAL, "'%.80s' is not a valid platform field "
	    "(os, architecture or variant)", s ? s : "");
	return 0;
}

/* os.version: printable ASCII, at most 63 bytes; only ever a JSON value */
static int
os_version_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n >= sizeof(((struct platform *)0)->os_version))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
}

int
platform_parse(struct platform *p, const char *s)
{
	const char *a, *v;

	memset(p, 0, sizeof(*p));
	if (!(a = strchr(s, '/')))
		goto bad;
	v = strchr(a + 1, '/');
	if (!field_ok(s, a - s) ||
	    !field_ok(a + 1, (v ? v : a + 1 + strlen(a + 1)) - a - 1) ||
	    (v && !field_ok(v + 1, strlen(v + 1))))
		goto bad;
	memcpy(p->os, s, a - s);
	memcpy(p->arch, a + 1, (v ? v : a + 1 + strlen(a + 1)) - a - 1);
	if (v)
		COPY(p->variant, v + 1);
	platform_normalise(p);
	return 0;
bad:
	memset(p, 0, sizeof(*p));
	return err_set(EINVAL, "'%.80s' is not a platform (os/arch[/variant])",
	    s);
}

void
platform_host(struct platform *p)
{
	struct utsname u;

	memset(p, 0, sizeof(*p));
	COPY(p->os, "linux");
	if (uname(&u) == -1) {
		COPY(p->arch, "amd64");
		return;
	}
	/* armv6l, armv7l, armv8l: the digit is the variant */
	if (strncmp(u.machine, "armv", 4) == 0 && u.machine[4] >= '5' &&
	    u.machine[4] <= '8') {
		COPY(p->arch, "arm");
		snprintf(p->variant, sizeof(p->variant), "v%c",
		    u.machine[4] == '8' ? '7' : u.machine[4]);
	} else {
		COPY(p->arch, u.machine);
	}
	platform_normalise(p);
}

/* obj[key] as a string; NULL when absent or of another type */
static const char *
str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

/* obj[key]: absent (0), a valid string (0), or not valid (-1) */
static int
member_ok(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	const char *s;

	if (!v)
		return 0;
	if (!json_is_string(v))
		return err_set(EINVAL, "platform %s is not a string", key);
	s = json_string_value(v);
	/* an empty variant is no variant, as containerd reads it */
	if (strcmp(key, "variant") == 0 && !*s)
		return 0;
	if (strcmp(key, "os.version") == 0 ? !os_version_ok(s) :
	    !field_ok(s, strlen(s)))
		return err_set(EINVAL, "platform %s '%.80s' is not valid", key,
		    s);
	return 0;
}

int
platform_check_json(const json_t *obj)
{
	if (!json_is_object(obj))
		return err_set(EINVAL, "platform is not an object");
	if (member_ok(obj, "os") == -1 || member_ok(obj, "architecture") == -1 ||
	    member_ok(obj, "variant") == -1 || member_ok(obj, "os.version") == -1)
		return -1;
	return 0;
}

int
platform_from_json(struct platform *p, const json_t *obj)
{
	const char *os, *arch, *v, *ov;

	memset(p, 0, sizeof(*p));
	if (platform_check_json(obj) == -1)
		return -1;
	os = str(obj, "os");
	arch = str(obj, "architecture");
	v = str(obj, "variant");
	ov = str(obj, "os.version");
	if (!os || !arch)
		return err_set(EINVAL, "no os or architecture");
	COPY(p->os, os);
	COPY(p->arch, arch);
	if (v)
		COPY(p->variant, v);
	if (ov)
		COPY(p->os_version, ov);
	platform_normalise(p);
	return 0;
}

json_t *
platform_to_json(const struct platform *p)
{
	json_t *j = json_object();

	/* the key order of doc/linuxkit-compat.md §9.7 */
	json_object_set_new(j, "architecture", json_string(p->arch));
	json_object_set_new(j, "os", json_string(p->os));
	if (p->os_version[0])
		json_object_set_new(j, "os.version", json_string(p->os_version));
	if (p->variant[0])
		json_object_set_new(j, "variant", json_string(p->variant));
	return j;
}

void
platform_format(const struct platform *p, char *out, size_t n)
{
	if (p->variant[0])
		snprintf(out, n, "%s/%s/%s", p->os, p->arch, p->variant);
	else
		snprintf(out, n, "%s/%s", p->os, p->arch);
}

/* "v7" -> 7; 0 when not a vN variant */
static int
variant_level(const char *v)
{
	int n = 0;

	if (v[0] != 'v' || !v[1])
		return 0;
	for (v++; *v; v++) {
		if (*v < '0' || *v > '9')
			return 0;
		n = n * 10 + (*v - '0');
	}
	return n;
}

int
platform_match(const struct platform *want, const struct platform *have)
{
	int w, h;

	if (strcmp(want->os, have->os) != 0 ||
	    strcmp(want->arch, have->arch) != 0)
		return 0;
	if (want->os_version[0] && strcmp(want->os_version, have->os_version))
		return 0;
	if (strcmp(want->variant, have->variant) == 0)
		return 100;
	if (!want->variant[0])
		return 50;
	/* an arm/v7 machine runs v6 and v5 code: the nearest is best */
	w = variant_level(want->variant);
	h = variant_level(have->variant);
	if (strcmp(want->arch, "arm") == 0 && w && h && h < w)
		return 50 - (w - h);
	return 0;
}

int
platform_is_real(const json_t *obj)
{
	const char *os = str(obj, "os");
	const char *arch = str(obj, "architecture");

	return os && arch && *os && *arch && strcmp(os, "unknown") != 0 &&
	    strcmp(arch, "unknown") != 0;
}
