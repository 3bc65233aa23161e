/* lib/cli.c - the options every tool shares */
#include <errno.h>
#include <stdlib.h>

#include "cli.h"
#include "die.h"

static int
parse_jobs(struct cli *c, const char *arg)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (errno || end == arg || *end || n < 1 || n > CLI_MAX_JOBS) {
		warnmsg("cannot use -j '%s': not a number from 1 to %d", arg,
		    CLI_MAX_JOBS);
		return -1;
	}
	c->jobs = (int)n;
	return 0;
}

int
cli_opt(struct cli *c, int ch, const char *arg)
{
	switch (ch) {
	case 'C':
		c->cache = arg;
		return 0;
	case 'j':
		return parse_jobs(c, arg);
	case CLI_OPT_INSECURE:
		if (c->ninsecure == CLI_MAX_INSECURE) {
			warnmsg("cannot use --insecure '%s': more than %d hosts",
			    arg, CLI_MAX_INSECURE);
			return -1;
		}
		c->insecure[c->ninsecure++] = arg;
		c->insecure[c->ninsecure] = NULL;
		return 0;
	case 'q':
		verbosity--;
		return 0;
	case 'v':
		verbosity++;
		return 0;
	case 'h':
		return 1;
	default:
		return -1;
	}
}

struct http_opts
cli_http_opts(const struct cli *c, const char *tool)
{
	struct http_opts o = { .tool = tool, .insecure = c->insecure,
	    .max_per_host = c->jobs, .debug = verbosity > 1, .log = msglog };

	return o;
}
