/* lib/digest.c - sha256/sha512 through OpenSSL EVP */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
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

static void drain(struct digest *);

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
	if (n) {
		drain(d);
		EVP_DigestUpdate(d->ctx, p, n);
	}
}

/*
 * The helper thread. Copying a blob into the cache costs a pass to read it,
 * one to hash it and one to write it; with the hash on the other core,
 * behind a queue of two blocks, an import costs about what hashing alone
 * does. The thread starts on first use; the slots hold copies of the blocks.
 */
#define SLOTS		2
#define SLOT_MAX	(2u << 20)

static struct {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	pthread_t	 tid;
	int		 state;		/* 0 not started, 1 running, -1 unavailable */
	int		 quit;		/* set at exit: finish the queue, return */
	unsigned	 head, tail;	/* jobs head..tail-1 are queued */
	struct {
		struct digest	*d;
		unsigned char	*buf;
		size_t		 n;
	} slot[SLOTS];
} q = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static void *
hasher_main(void *arg)
{
	unsigned i;

	pthread_mutex_lock(&q.mu);
	for (;;) {
		while (q.head == q.tail && !q.quit)
			pthread_cond_wait(&q.cv, &q.mu);
		if (q.head == q.tail)
			break;
		i = q.head % SLOTS;
		pthread_mutex_unlock(&q.mu);
		EVP_DigestUpdate(q.slot[i].d->ctx, q.slot[i].buf, q.slot[i].n);
		pthread_mutex_lock(&q.mu);
		q.slot[i].d = NULL;
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
		free(q.slot[i].buf);
		q.slot[i].buf = NULL;
	}
	q.state = -1;
}

/* a forked child has no hash thread: it starts its own when it needs one */
static void
hasher_forked(void)
{
	pthread_mutex_init(&q.mu, NULL);
	pthread_cond_init(&q.cv, NULL);
	q.head = q.tail = 0;
	if (q.state == 1)
		q.state = 0;
}

/* called with q.mu held */
static int
hasher_ready(void)
{
	static int registered;
	unsigned i;

	if (q.state != 0)
		return q.state == 1;
	if (!registered) {
		registered = 1;
		atexit(hasher_stop);
		pthread_atfork(NULL, NULL, hasher_forked);
	}
	for (i = 0; i < SLOTS; i++)
		if (!q.slot[i].buf && !(q.slot[i].buf = malloc(SLOT_MAX)))
			break;
	q.state = -1;
	if (i == SLOTS && pthread_create(&q.tid, NULL, hasher_main, NULL) == 0)
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
			if (q.slot[i % SLOTS].d == d)
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

void
digest_update_async(struct digest *d, const void *p, size_t n)
{
	unsigned i;

	pthread_mutex_lock(&q.mu);
	if (n > SLOT_MAX || !hasher_ready()) {
		drain_locked(d);
		pthread_mutex_unlock(&q.mu);
		EVP_DigestUpdate(d->ctx, p, n);
		return;
	}
	while (q.tail - q.head == SLOTS)
		pthread_cond_wait(&q.cv, &q.mu);
	i = q.tail % SLOTS;
	pthread_mutex_unlock(&q.mu);
	/* the slot is free and only this thread fills slots: copy unlocked */
	memcpy(q.slot[i].buf, p, n);
	pthread_mutex_lock(&q.mu);
	q.slot[i].d = d;
	q.slot[i].n = n;
	q.tail++;
	pthread_cond_broadcast(&q.cv);
	pthread_mutex_unlock(&q.mu);
}

void
digest_final(struct digest *d, char out[DIGEST_MAX])
{
	static const char xd[] = "0123456789abcdef";
	unsigned char raw[EVP_MAX_MD_SIZE];
	unsigned int i, n = 0;
	char *o;

	drain(d);
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
	drain(d);
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
