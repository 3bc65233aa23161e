/* tests/unit/t-digest.c - digest parsing and hashing */
#include <string.h>

#include "digest.h"
#include "tap.h"

#define ABC256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC512 "sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a" \
	"2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"

int
main(void)
{
	struct digest d;
	enum digest_algo a;
	const char *hex;
	char out[DIGEST_MAX];

	digest_buf(DIGEST_SHA256, "abc", 3, out);
	is(out, ABC256, "sha256 of \"abc\"");
	digest_buf(DIGEST_SHA512, "abc", 3, out);
	is(out, ABC512, "sha512 of \"abc\"");

	digest_init(&d, DIGEST_SHA256);
	digest_update(&d, "a", 1);
	digest_update(&d, "", 0);
	digest_update(&d, "bc", 2);
	digest_final(&d, out);
	is(out, ABC256, "streaming gives the same digest");
	ok(d.ctx == NULL, "final releases the context");

	ok(digest_parse(ABC256, &a, &hex) == 0 && a == DIGEST_SHA256 &&
	    strlen(hex) == 64, "sha256 digest parses");
	ok(digest_parse(ABC512, &a, NULL) == 0 && a == DIGEST_SHA512,
	    "sha512 digest parses");
	ok(digest_parse("sha256:abc", NULL, NULL) == -1, "short hex refused");
	ok(digest_parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
	    NULL, NULL) == -1, "upper-case hex refused");
	ok(digest_parse("sha256:../../../../etc/passwd", NULL, NULL) == -1,
	    "path traversal refused");
	ok(digest_parse("md5:d41d8cd98f00b204e9800998ecf8427e", NULL, NULL) == -1,
	    "unknown algorithm refused");
	ok(digest_parse("ba7816bf", NULL, NULL) == -1, "no algorithm refused");
	ok(digest_parse(ABC256 "0", NULL, NULL) == -1, "long hex refused");
	return tap_done();
}
