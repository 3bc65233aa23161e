/* tests/unit/t-digest.c - digest parsing and hashing */
#include <sys/wait.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "tap.h"

/*
 * The ring's hand-off. The producer fills each buffer it is handed with
 * the block's number and queues it; the hash thread, slowed down by the
 * hook, checks that every block still holds its number when it is hashed
 * and that it is hashed where it was filled (no copy). A buffer handed
 * out again before the thread released it would be refilled with a later
 * number, and the check, or the digest, would fail.
 */
#define RBLOCKS	48
#define RSIZE	(64 * 1024)
static const unsigned char *ring_at[RBLOCKS];
static unsigned hooked, ring_bad, ring_copied;

static void
slow_hook(const void *p, size_t n)
{
	const unsigned char *c = p;

	usleep(2000);
	if (hooked < RBLOCKS) {
		if (c[0] != (unsigned char)hooked || c[n - 1] != (unsigned char)hooked)
			ring_bad++;
		if (c != ring_at[hooked])
			ring_copied++;
	}
	hooked++;
}

static void
ring_handoff(void)
{
	struct digest_ring *r = digest_ring_new(3, RSIZE);
	struct digest d, want;
	char got[DIGEST_MAX], exp[DIGEST_MAX];
	unsigned i;

	digest_init(&d, DIGEST_SHA256);
	digest_init(&want, DIGEST_SHA256);
	hooked = 0;
	digest_test_hook = slow_hook;
	for (i = 0; i < RBLOCKS; i++) {
		unsigned char *b = digest_ring_next(r);

		memset(b, (unsigned char)i, RSIZE);
		ring_at[i] = b;
		digest_update(&want, b, RSIZE);
		digest_update_async(&d, b, RSIZE);
	}
	digest_final(&d, got);
	digest_final(&want, exp);
	digest_test_hook = NULL;
	ok(hooked == RBLOCKS, "every ring block went through the hash thread "
	    "(%u)", hooked);
	ok(ring_bad == 0, "no block was reused before the hasher released it "
	    "(%u were)", ring_bad);
	ok(ring_copied == 0, "ring blocks are hashed in place (%u copied)",
	    ring_copied);
	is(got, exp, "the digest of ring blocks is right");
	digest_ring_free(r);
}

/*
 * A ring freed with blocks still queued: the free does not wait, the
 * blocks are hashed intact all the same, and the thread frees the ring
 * after the last of them (ASan and valgrind see a leak or a late read).
 */
static void
ring_orphan(void)
{
	struct digest_ring *r = digest_ring_new(3, RSIZE);
	struct digest d, want;
	char got[DIGEST_MAX], exp[DIGEST_MAX];
	unsigned i, seen;

	digest_init(&d, DIGEST_SHA256);
	digest_init(&want, DIGEST_SHA256);
	hooked = ring_bad = ring_copied = 0;
	digest_test_hook = slow_hook;
	for (i = 0; i < 3; i++) {
		unsigned char *b = digest_ring_next(r);

		memset(b, (unsigned char)i, RSIZE);
		ring_at[i] = b;
		digest_update(&want, b, RSIZE);
		digest_update_async(&d, b, RSIZE);
	}
	digest_ring_free(r);
	seen = hooked;
	ok(seen < 3, "freeing a ring with queued blocks does not wait for "
	    "them (%u of 3 hashed)", seen);
	digest_final(&d, got);
	digest_final(&want, exp);
	digest_test_hook = NULL;
	ok(hooked == 3 && ring_bad == 0 && ring_copied == 0,
	    "the queued blocks were hashed in place, intact");
	is(got, exp, "the digest of an orphaned ring's blocks is right");
}

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
	digest_buf(DIGEST_SHA1, "abc", 3, out);
	is(out, "sha1:a9993e364706816aba3e25717850c26c9cd0d89d",
	    "sha1 of \"abc\", for git's hashes");
	ok(digest_parse("sha1:a9993e364706816aba3e25717850c26c9cd0d89d", NULL,
	    NULL) == -1, "sha1 is not an OCI digest");

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

	ring_handoff();
	ring_orphan();

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
