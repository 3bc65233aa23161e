/* lib/regpool.c - one HTTP client and one registry per domain */
#include <errno.h>
#include <string.h>

#include "err.h"
#include "regpool.h"

void
regpool_init(struct regpool *p, const struct http_opts *o)
{
	memset(p, 0, sizeof(*p));
	p->o = *o;
	p->jobs = o->max_per_host > 0 ? o->max_per_host : 4;
}

struct registry *
regpool_get(struct regpool *p, const char *domain)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->regs[i]->domain, domain) == 0)
			return p->regs[i];
	if (p->n == REGPOOL_MAX) {
		err_set(E2BIG, "more than %d registries in one run",
		    REGPOOL_MAX);
		return NULL;
	}
	if (p->h == NULL && (p->h = http_new(&p->o)) == NULL) {
		err_wrap("cannot start the HTTP client");
		return NULL;
	}
	return p->regs[p->n++] = registry_new(p->h, domain, p->jobs);
}

void
regpool_release(struct regpool *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		registry_free(p->regs[i]);
	p->n = 0;
	http_free(p->h);
	p->h = NULL;
}
