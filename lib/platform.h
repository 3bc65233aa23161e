/* lib/platform.h - os/arch/variant: parse, normalise, match, host default */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <jansson.h>

#define PLATFORM_FIELD_MAX	63	/* longest os, architecture or variant */

struct platform {
	char	os[PLATFORM_FIELD_MAX + 1];
	char	arch[PLATFORM_FIELD_MAX + 1];	/* GOARCH: amd64, arm64, ... */
	char	variant[PLATFORM_FIELD_MAX + 1]; /* "" when none; arm64 v8 is none */
	char	os_version[64];		/* "" when none */
};

/*
 * 1 when s is a valid os, architecture or variant: [a-z0-9][a-z0-9._-]{0,62}
 * (these become parts of tags such as NAME-ARCH and of file names, so
 * nothing else is accepted: no '/', no "..", no upper case, no control
 * characters). Else 0 with errno EINVAL and a message naming s escaped.
 */
int	platform_field_valid(const char *s);

/*
 * "os/arch[/variant]", normalised (x86_64 -> amd64, aarch64 -> arm64,
 * arm64/v8 -> arm64, arm -> arm/v7, armhf -> arm/v7, armel -> arm/v6).
 * -1 with errno EINVAL and a message when malformed.
 */
int	platform_parse(struct platform *p, const char *s);
void	platform_normalise(struct platform *p);
/* the host: linux/<uname arch>, with the arm variant from uname */
void	platform_host(struct platform *p);
/*
 * from a descriptor's "platform" object or an image config (os,
 * architecture, variant, os.version); -1 with errno EINVAL and a message
 * when os or architecture is missing, or when os, architecture or variant
 * is not a string of platform_field_valid() grammar, or os.version is not
 * printable ASCII of at most 63 bytes
 */
int	platform_from_json(struct platform *p, const json_t *obj);
/*
 * 0 when obj is an object whose os, architecture and variant, where
 * present, are strings of platform_field_valid() grammar (an empty variant
 * is none) and whose os.version is printable; else -1, errno EINVAL and a
 * message. Every descriptor's platform passes this before it is used.
 */
int	platform_check_json(const json_t *obj);
json_t	*platform_to_json(const struct platform *p);
/* "os/arch" or "os/arch/variant" */
void	platform_format(const struct platform *p, char *out, size_t n);
/* 0 when have cannot serve want; larger is better (exact variant best) */
int	platform_match(const struct platform *want, const struct platform *have);
/* a real platform: os and architecture present and not "unknown" */
int	platform_is_real(const json_t *platform_obj);

#endif
