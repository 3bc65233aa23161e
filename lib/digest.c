/* lib/digest.c - sha256/sha512 through OpenSSL EVP */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#include "die.h"
#include "digest.h"
#include "err.h"

static const struct {
	const char	*name;	/* the OCI algorithm name */
	size_t		 hexlen;
} algos[] = {
	[DIGEST_SHA256] = { "sha256", 64 },
	[DIGEST_SHA512] = { "sha512", 128 },
};

static const EVP_MD *
md(enum digest_algo algo)
{
	return algo == DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

int
digest_parse(const char *s, enum digest_algo *algo, const char **hex)
{
	const char *colon, *p;
	size_t i, n;

	if (!s || !(colon = strchr(s, ':')))
		return err_set(EINVAL, "'%s' is not a digest", s ? s : "");
	n = colon - s;
	for (i = 0; i < sizeof(algos) / sizeof(algos[0]); i++) {
		if (strlen(algos[i].name) != n || strncmp(s, algos[i].name, n))
			continue;
		for (p = colon + 1; *p; p++)
			if (!(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'f'))
				return err_set(EINVAL,
				    "'%.80s' is not a digest: bad hex", s);
		if ((size_t)(p - colon - 1) != algos[i].hexlen)
			return err_set(EINVAL, "'%.80s' is not a digest: "
			    "%s needs %zu hex digits", s, algos[i].name,
			    algos[i].hexlen);
		if (algo)
			*algo = i;
		if (hex)
			*hex = colon + 1;
		return 0;
	}
	return err_set(EINVAL, "'%.80s': unsupported digest algorithm", s);
}

int
digest_init(struct digest *d, enum digest_algo algo)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (!ctx)
		die(EXIT_FAILURE, "out of memory for a digest context");
	if (EVP_DigestInit_ex(ctx, md(algo), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return err_set(EIO, "cannot initialise %s", algos[algo].name);
	}
	d->ctx = ctx;
	d->algo = algo;
	return 0;
}

void
digest_update(struct digest *d, const void *p, size_t n)
{
	/* EVP_DigestUpdate cannot fail for the software digests used here */
	if (n)
		EVP_DigestUpdate(d->ctx, p, n);
}

void
digest_final(struct digest *d, char out[DIGEST_MAX])
{
	static const char xd[] = "0123456789abcdef";
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int i, n = 0;
	char *o;

	EVP_DigestFinal_ex(d->ctx, raw, &n);
	o = out + strlen(strcpy(out, algos[d->algo].name));
	*o++ = ':';
	for (i = 0; i < n; i++) {
		*o++ = xd[raw[i] >> 4];
		*o++ = xd[raw[i] & 15];
	}
	*o = '\0';
	digest_release(d);
}

void
digest_release(struct digest *d)
{
	EVP_MD_CTX_free(d->ctx);
	d->ctx = NULL;
}

void
digest_buf(enum digest_algo algo, const void *p, size_t n, char out[DIGEST_MAX])
{
	struct digest d;

	if (digest_init(&d, algo) == -1)
		die(EXIT_FAILURE, "cannot initialise a digest");
	digest_update(&d, p, n);
	digest_final(&d, out);
}
