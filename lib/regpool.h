/* lib/regpool.h - one HTTP client and one registry per domain, for a run
 *
 * Every tool that talks to registries needs the same thing: a single
 * libcurl client (one connection pool, one TLS setup) created on first
 * use, and one struct registry per domain so that probing and tokens are
 * done once per host. regpool_get() gives it; the first call creates the
 * client, so a run served from the cache alone never starts one.
 */
#ifndef REGPOOL_H
#define REGPOOL_H

#include "http.h"
#include "registry.h"

#define REGPOOL_MAX	64	/* distinct registry domains in one run */

struct regpool {
	struct http_opts o;	/* copied; the strings it points to must outlive the pool */
	int		 jobs;	/* parallel blob transfers per registry */
	struct http	*h;
	struct registry	*regs[REGPOOL_MAX];
	size_t		 n;
};

void	regpool_init(struct regpool *p, const struct http_opts *o);
/* the registry for domain; NULL with a message when the client cannot start */
struct registry *regpool_get(struct regpool *p, const char *domain);
void	regpool_release(struct regpool *p);

#endif
