/* lib/digest.c - sha256/sha512 (and git's sha1) through OpenSSL */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/*
 * OpenSSL's low-level SHA functions, not EVP: the same assembly (SHA-NI
 * where the CPU has it), but no provider behind them. The first EVP digest
 * of a process activates the default provider and reads openssl.cnf, and
 * each EVP_DigestInit_ex() fetches the method by name again: about 4
 * million instructions for the first hash and 50 thousand for each
 * further one, which is a third of a whole pkg-tag run and more than a warm
 * oci-fetch spends on its own work. The functions are deprecated in
 * OpenSSL 3 but kept in every 3.x release; this file alone uses them.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include "die.h"
#include "digest.h"
#include "err.h"

static const struct {
	const char	*name;	/* the OCI algorithm name */
	size_t		 hexlen;
} algos[] = {
	[DIGEST_SHA256] = { "sha256", 64 },
	[DIGEST_SHA512] = { "sha512", 128 },
	[DIGEST_SHA1] = { "sha1", 40 },
};

/* what digest->ctx points to */
struct ctx {
	enum digest_algo	algo;
	union {
		SHA256_CTX	sha256;
		SHA512_CTX	sha512;
		SHA_CTX		sha1;
	} u;
};

static void drain(struct digest *);

/* the software digests cannot fail once initialised */
static void
ctx_update(struct ctx *c, const void *p, size_t n)
{
	switch (c->algo) {
	case DIGEST_SHA256:
		SHA256_Update(&c->u.sha256, p, n);
		break;
	case DIGEST_SHA512:
		SHA512_Update(&c->u.sha512, p, n);
		break;
	case DIGEST_SHA1:
		SHA1_Update(&c->u.sha1, p, n);
		break;
	}
}

/* the raw digest into md; its length */
static unsigned
ctx_final(struct ctx *c, unsigned char md[SHA512_DIGEST_LENGTH])
{
	switch (c->algo) {
	case DIGEST_SHA512:
		SHA512_Final(md, &c->u.sha512);
		return SHA512_DIGEST_LENGTH;
	case DIGEST_SHA1:
		SHA1_Final(md, &c->u.sha1);
		return SHA_DIGEST_LENGTH;
	case DIGEST_SHA256:
	default:
		SHA256_Final(md, &c->u.sha256);
		return SHA256_DIGEST_LENGTH;
	}
}

int
digest_parse(const char *s, enum digest_algo *algo, const char **hex)
{
	const char *colon, *p;
	size_t i, n;

	if (!s || !(colon = strchr(s, ':')))
		return err_set(EINVAL, "'%s' is not a digest", s ? s : "");
	n = colon - s;
	for (i = 0; i <= DIGEST_SHA512; i++) {	/* the OCI ones */
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
	struct ctx *c = malloc(sizeof(*c));
	int ok;

	if (!c)
		die(EXIT_FAILURE, "out of memory for a digest context");
	c->algo = algo;
	ok = algo == DIGEST_SHA512 ? SHA512_Init(&c->u.sha512) :
	    algo == DIGEST_SHA1 ? SHA1_Init(&c->u.sha1) :
	    SHA256_Init(&c->u.sha256);
	if (ok != 1) {
		free(c);
		return err_set(EIO, "cannot initialise %s", algos[algo].name);
	}
	d->ctx = c;
	d->algo = algo;
	return 0;
}

void
digest_update(struct digest *d, const void *p, size_t n)
{
	if (n) {
		drain(d);
		ctx_update(d->ctx, p, n);
	}
}

/*
 * The helper thread. Copying a blob into the cache costs a pass to read it,
 * one to hash it and one to write it; with the hash on the other core an
 * import costs about what hashing alone does. The thread starts on first
 * use and takes jobs in order from a queue of QLEN. A job refers to its
 * block in one of two ways:
 *
 *  - in place, when the block lies in a buffer of a digest_ring: the
 *    buffer is pinned (pins counts its queued jobs) and digest_ring_next()
 *    hands it out again only when the thread has released every pin, so
 *    the bytes read from a file are hashed where they were read to;
 *  - as a copy, into one of SLOTS slot buffers, for any other block (the
 *    caller may reuse its block at once).
 *
 * Producers may be several threads: a job is reserved under the lock,
 * filled outside it, and marked ready; the thread waits for the job at
 * the head of the queue to be ready.
 */
#define QLEN		8
#define SLOTS		2
#define SLOT_MAX	(2u << 20)

struct digest_ring {
	struct digest_ring	*next_ring;	/* the list of live rings */
	unsigned char		*mem;
	size_t			 size;		/* of one buffer */
	unsigned		 n, next;	/* buffers; the one handed out next */
	unsigned		 pins[DIGEST_RING_MAX];
	int			 orphan;	/* freed by its owner: the thread
						   frees it with the last pin */
};

struct job {
	struct digest		*d;		/* NULL: the job is free */
	const unsigned char	*p;
	size_t			 n;
	int			 slot;		/* a copy in slot[slot], or -1 */
	struct digest_ring	*ring;		/* in place: pins ring->pins[buf] */
	unsigned		 buf;
	int			 ready;
};

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 tid;
	int		 state;		/* 0 not started, 1 running, -1 unavailable */
	int		 quit;		/* set at exit: finish the queue, return */
	unsigned	 head, tail;	/* jobs head..tail-1 are queued */
	struct job	 job[QLEN];
	unsigned char	*slot[SLOTS];
	int		 slot_busy[SLOTS];
	struct digest_ring *rings;
} q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

void	(*digest_test_hook)(const void *, size_t);

/* called with q.mu held */
static int
ring_pinned(const struct digest_ring *r)
{
	unsigned i;

	for (i = 0; i < r->n; i++)
		if (r->pins[i] > 0)
			return 1;
	return 0;
}

/* unlink and free; called with q.mu held */
static void
ring_destroy(struct digest_ring *r)
{
	struct digest_ring **pp;

	for (pp = &q.rings; *pp; pp = &(*pp)->next_ring)
		if (*pp == r) {
			*pp = r->next_ring;
			break;
		}
	free(r->mem);
	free(r);
}

static void *
hasher_main(void *arg)
{
	struct job j;

	pthread_mutex_lock(&q.mu);
	for (;;) {
		while ((q.head == q.tail || !q.job[q.head % QLEN].ready) &&
		    !q.quit)
			pthread_cond_wait(&q.cv, &q.mu);
		if (q.head == q.tail)
			break;
		if (!q.job[q.head % QLEN].ready) {
			/* quitting, and a producer is still filling: wait */
			pthread_cond_wait(&q.cv, &q.mu);
			continue;
		}
		j = q.job[q.head % QLEN];
		pthread_mutex_unlock(&q.mu);
		if (digest_test_hook)
			digest_test_hook(j.p, j.n);
		ctx_update(j.d->ctx, j.p, j.n);
		pthread_mutex_lock(&q.mu);
		if (j.slot >= 0)
			q.slot_busy[j.slot] = 0;
		if (j.ring && --j.ring->pins[j.buf] == 0 && j.ring->orphan &&
		    !ring_pinned(j.ring))
			ring_destroy(j.ring);
		q.job[q.head % QLEN].d = NULL;
		q.job[q.head % QLEN].ready = 0;
		q.head++;
		pthread_cond_broadcast(&q.cv);
	}
	pthread_mutex_unlock(&q.mu);
	return arg;
}

/* at exit: let the thread finish and go, so nothing is left running */
static void
hasher_stop(void)
{
	unsigned i;

	if (q.state == 1) {
		pthread_mutex_lock(&q.mu);
		q.quit = 1;
		pthread_cond_broadcast(&q.cv);
		pthread_mutex_unlock(&q.mu);
		pthread_join(q.tid, NULL);
	}
	for (i = 0; i < SLOTS; i++) {
		free(q.slot[i]);
		q.slot[i] = NULL;
	}
	q.state = -1;
}

/* a forked child has no hash thread: it starts its own when it needs one */
static void
hasher_forked(void)
{
	unsigned i;

	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cv, NULL);
	q.head = q.tail = 0;
	for (i = 0; i < QLEN; i++)
		q.job[i].d = NULL, q.job[i].ready = 0;
	for (i = 0; i < SLOTS; i++)
		q.slot_busy[i] = 0;
	/* the parent's queued blocks are not the child's to wait for */
	for (struct digest_ring *r = q.rings, *next; r; r = next) {
		next = r->next_ring;
		memset(r->pins, 0, sizeof(r->pins));
		if (r->orphan)
			ring_destroy(r);
	}
	if (q.state == 1)
		q.state = 0;
}

/* called with q.mu held */
static int
hasher_ready(void)
{
	static int registered;

	if (q.state != 0)
		return q.state == 1;
	if (!registered) {
		registered = 1;
		atexit(hasher_stop);
		pthread_atfork(NULL, NULL, hasher_forked);
	}
	q.state = -1;
	if (pthread_create(&q.tid, NULL, hasher_main, NULL) == 0)
		q.state = 1;
	return q.state == 1;
}

/* wait until no queued block belongs to d; called with q.mu held */
static void
drain_locked(struct digest *d)
{
	unsigned i;

	for (;;) {
		for (i = q.head; i != q.tail; i++)
			if (q.job[i % QLEN].d == d)
				break;
		if (i == q.tail)
			return;
		pthread_cond_wait(&q.cv, &q.mu);
	}
}

static void
drain(struct digest *d)
{
	if (q.state != 1)
		return;
	pthread_mutex_lock(&q.mu);
	drain_locked(d);
	pthread_mutex_unlock(&q.mu);
}

/* the ring buffer holding all of p..p+n, if any; called with q.mu held */
static struct digest_ring *
ring_of(const void *p, size_t n, unsigned *buf)
{
	const unsigned char *c = p;
	struct digest_ring *r;
	size_t off;

	for (r = q.rings; r; r = r->next_ring) {
		if (c < r->mem || c >= r->mem + (size_t)r->n * r->size)
			continue;
		off = c - r->mem;
		*buf = off / r->size;
		if (n <= (*buf + 1) * r->size - off)
			return r;
	}
	return NULL;
}

/* a free copy slot, or -1; called with q.mu held */
static int
free_slot(void)
{
	int i;

	for (i = 0; i < SLOTS; i++)
		if (!q.slot_busy[i] && (q.slot[i] || (q.slot[i] = malloc(SLOT_MAX))))
			return i;
	return -1;
}

void
digest_update_async(struct digest *d, const void *p, size_t n)
{
	struct digest_ring *ring;
	struct job *j;
	unsigned buf = 0;
	int slot = -1;

	pthread_mutex_lock(&q.mu);
	ring = ring_of(p, n, &buf);
	if ((!ring && n > SLOT_MAX) || !hasher_ready() ||
	    (!ring && !q.slot[0] && free_slot() == -1)) {
		drain_locked(d);
		pthread_mutex_unlock(&q.mu);
		ctx_update(d->ctx, p, n);
		return;
	}
	while (q.tail - q.head == QLEN || (!ring && (slot = free_slot()) == -1))
		pthread_cond_wait(&q.cv, &q.mu);
	j = &q.job[q.tail % QLEN];
	*j = (struct job){ d, p, n, slot, ring, buf, 0 };
	if (ring)
		ring->pins[buf]++;
	else
		q.slot_busy[slot] = 1;
	q.tail++;
	if (!ring) {
		/* the job and slot are reserved: copy without the lock */
		pthread_mutex_unlock(&q.mu);
		memcpy(q.slot[slot], p, n);
		pthread_mutex_lock(&q.mu);
		j->p = q.slot[slot];
	}
	j->ready = 1;
	pthread_cond_broadcast(&q.cv);
	pthread_mutex_unlock(&q.mu);
}

struct digest_ring *
digest_ring_new(unsigned n, size_t size)
{
	struct digest_ring *r = calloc(1, sizeof(*r));

	if (n > DIGEST_RING_MAX)
		n = DIGEST_RING_MAX;
	if (n < 1)
		n = 1;
	if (!r || !(r->mem = malloc(n * size)))
		die(EXIT_FAILURE, "out of memory for a buffer ring");
	r->n = n;
	r->size = size;
	pthread_mutex_lock(&q.mu);
	r->next_ring = q.rings;
	q.rings = r;
	pthread_mutex_unlock(&q.mu);
	return r;
}

void *
digest_ring_next(struct digest_ring *r)
{
	unsigned b;

	pthread_mutex_lock(&q.mu);
	b = r->next;
	r->next = (b + 1) % r->n;
	while (r->pins[b] > 0)
		pthread_cond_wait(&q.cv, &q.mu);
	pthread_mutex_unlock(&q.mu);
	return r->mem + (size_t)b * r->size;
}

void
digest_ring_free(struct digest_ring *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&q.mu);
	if (ring_pinned(r))
		r->orphan = 1;	/* the thread frees it: no wait here */
	else
		ring_destroy(r);
	pthread_mutex_unlock(&q.mu);
}

void
digest_final(struct digest *d, char out[DIGEST_MAX])
{
	static const char xd[] = "0123456789abcdef";
	unsigned char raw[SHA512_DIGEST_LENGTH];
	unsigned int i, n;
	char *o;

	drain(d);
	n = ctx_final(d->ctx, raw);
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
	drain(d);
	free(d->ctx);
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
