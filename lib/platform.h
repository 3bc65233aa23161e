/* lib/platform.h - os/arch/variant: parse, normalise, match, host default */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <jansson.h>

struct platform {
	char	os[32];
	char	arch[32];		/* GOARCH: amd64, arm64, arm, 386, ... */
	char	variant[16];		/* "" when none; arm64 "v8" is none */
	char	os_version[64];		/* "" when none */
};

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
 * architecture, variant, os.version); -1 when os or architecture is missing
 */
int	platform_from_json(struct platform *p, const json_t *obj);
json_t	*platform_to_json(const struct platform *p);
/* "os/arch" or "os/arch/variant" */
void	platform_format(const struct platform *p, char *out, size_t n);
/* 0 when have cannot serve want; larger is better (exact variant best) */
int	platform_match(const struct platform *want, const struct platform *have);
/* a real platform: os and architecture present and not "unknown" */
int	platform_is_real(const json_t *platform_obj);

#endif
