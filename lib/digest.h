/* lib/digest.h - content digests in OCI "algo:hex" form (OpenSSL)
 *
 * sha256 is what the tools write; sha512 is verified when met.
 */
#ifndef DIGEST_H
#define DIGEST_H

#include <stddef.h>

/*
 * DIGEST_SHA1 is for git's hashes in lib/pkg.c and lib/gittree.c only:
 * digest_parse() never accepts it, and no OCI digest is ever one.
 */
enum digest_algo { DIGEST_SHA256, DIGEST_SHA512, DIGEST_SHA1 };

/* "sha512:" + 128 hex + NUL */
#define DIGEST_MAX	(7 + 128 + 1)

struct digest {
	void			*ctx;	/* private to digest.c */
	enum digest_algo	 algo;
};
#define DIGEST_INIT { NULL, DIGEST_SHA256 }

/*
 * 0 if s is "sha256:" + 64 or "sha512:" + 128 lower-case hex; else -1,
 * errno EINVAL and a message. algo and hex (pointing into s) may be NULL.
 * Validate every digest before it reaches a path or a URL.
 */
int	digest_parse(const char *s, enum digest_algo *algo, const char **hex);
int	digest_init(struct digest *d, enum digest_algo algo);
void	digest_update(struct digest *d, const void *p, size_t n);
/*
 * Like digest_update(), but a large block is copied to a queue and hashed
 * on a helper thread, so the caller can write the same bytes to a file at
 * the same time; p may be reused on return. digest_final() and
 * digest_release() wait for the queue. Without a thread it hashes at once.
 */
void	digest_update_async(struct digest *d, const void *p, size_t n);
/*
 * A ring of n (1..DIGEST_RING_MAX) buffers of size bytes to read into, so
 * that digest_update_async() of a block inside one of them hashes it in
 * place instead of copying it: the buffer stays pinned until the helper
 * thread has hashed every block queued from it, and digest_ring_next()
 * hands out the next buffer in turn only then (waiting if it must). So a
 * block read into the ring may be written to a file and hashed at once,
 * with no copy and no block reused before it was hashed. tarx reads
 * through one. digest_ring_free() does not wait: a ring with blocks still
 * queued is freed by the thread once it has hashed the last of them.
 */
#define DIGEST_RING_MAX	8
struct digest_ring;
struct digest_ring *digest_ring_new(unsigned n, size_t size);
void	*digest_ring_next(struct digest_ring *r);
void	 digest_ring_free(struct digest_ring *r);
/* tests only: called on the helper thread with each block before it is hashed */
extern void (*digest_test_hook)(const void *p, size_t n);
/* writes "algo:hex" and releases the context */
void	digest_final(struct digest *d, char out[DIGEST_MAX]);
void	digest_release(struct digest *d);
/* the digest of a whole buffer */
void	digest_buf(enum digest_algo algo, const void *p, size_t n,
	    char out[DIGEST_MAX]);

#endif
