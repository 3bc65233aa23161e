/* tests/unit/t-digest.c - digest parsing and hashing */
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

	{
		/* the queue hashes copies in order, for two digests at once */
		size_t big = 3u << 20, i;
		unsigned char *p = malloc(big);
		char want[DIGEST_MAX], got1[DIGEST_MAX], got2[DIGEST_MAX];
		struct digest d1, d2;

		for (i = 0; i < big; i++)
			p[i] = (unsigned char)(i * 2654435761u >> 13);
		digest_buf(DIGEST_SHA256, p, big, want);
		digest_init(&d1, DIGEST_SHA256);
		digest_init(&d2, DIGEST_SHA256);
		for (i = 0; i < big; i += 700000) {
			size_t n = big - i < 700000 ? big - i : 700000;

			digest_update_async(&d1, p + i, n);
			digest_update_async(&d2, p + i, n / 2);
			digest_update(&d2, p + i + n / 2, n - n / 2);
		}
		digest_update_async(&d1, p, 0);
		digest_final(&d1, got1);
		digest_final(&d2, got2);
		is(got1, want, "async updates give the same digest");
		is(got2, want, "async and sync updates interleave in order");
		digest_init(&d1, DIGEST_SHA256);
		digest_update_async(&d1, p, big);	/* larger than a slot */
		digest_final(&d1, got1);
		is(got1, want, "a block larger than a slot is hashed inline");
		digest_init(&d1, DIGEST_SHA256);
		digest_update_async(&d1, p, 100000);
		digest_release(&d1);
		ok(d1.ctx == NULL, "release waits for queued blocks");
		{
			/* a child inherits no thread: it must start its own */
			int status = -1;
			pid_t pid = fork();

			if (pid == 0) {
				digest_init(&d1, DIGEST_SHA256);
				digest_update_async(&d1, p, 1u << 20);
				digest_update_async(&d1, p + (1u << 20), big - (1u << 20));
				digest_final(&d1, got1);
				free(p);
				exit(strcmp(got1, want) != 0);
			}
			alarm(20);
			waitpid(pid, &status, 0);
			alarm(0);
			ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			    "a forked child hashes asynchronously too");
		}
		free(p);
	}

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
