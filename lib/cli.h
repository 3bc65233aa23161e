/* lib/cli.h - the options every tool shares, declared and parsed once
 *
 * -C/--cache DIR, -j/--jobs N, --insecure HOST[:PORT], -q/--quiet,
 * -v/--verbose and -h/--help mean the same in every tool (ocikit(7)).
 * A tool lists the ones it takes in its getopt_long() tables with the
 * CLI_* macros below and hands every option its own switch does not
 * know to cli_opt():
 *
 *	while ((ch = getopt_long(argc, argv, "p:" CLI_SHORT_CACHE
 *	    CLI_SHORT_COMMON, longopts, NULL)) != -1)
 *		switch (ch) {
 *		case 'p': ...; break;
 *		default: if (cli_opt(&cli, ch, optarg) != 0) usage(...);
 *		}
 */
#ifndef CLI_H
#define CLI_H

#include <getopt.h>

#include "http.h"

#define CLI_MAX_INSECURE	32	/* --insecure hosts */
#define CLI_MAX_JOBS		64	/* -j: parallel transfers per host */
#define CLI_DEFAULT_JOBS	4

enum { CLI_OPT_INSECURE = 0x1000 };	/* long-only options */

#define CLI_SHORT_COMMON	"qvh"
#define CLI_SHORT_CACHE		"C:"
#define CLI_SHORT_JOBS		"j:"

#define CLI_LONG_COMMON \
	{ "quiet",	no_argument,		NULL, 'q' }, \
	{ "verbose",	no_argument,		NULL, 'v' }, \
	{ "help",	no_argument,		NULL, 'h' }
#define CLI_LONG_CACHE \
	{ "cache",	required_argument,	NULL, 'C' }
#define CLI_LONG_NET \
	{ "jobs",	required_argument,	NULL, 'j' }, \
	{ "insecure",	required_argument,	NULL, CLI_OPT_INSECURE }

struct cli {
	const char	*cache;		/* -C; NULL: layout_default_path() */
	int		 jobs;		/* -j; CLI_DEFAULT_JOBS */
	const char	*insecure[CLI_MAX_INSECURE + 1];	/* NULL-ended */
	size_t		 ninsecure;
};
#define CLI_INIT { NULL, CLI_DEFAULT_JOBS, { NULL }, 0 }

/*
 * Handle one common option: 0 when taken (verbosity in die.h adjusted
 * for -q/-v), 1 for -h (the tool prints its usage and exits 0), -1 for
 * a bad value or an option that is not common (a message was printed
 * for a bad value; the tool prints its usage and exits 2).
 */
int	cli_opt(struct cli *c, int ch, const char *arg);
/* the HTTP client options the common options give, for tool */
struct http_opts cli_http_opts(const struct cli *c, const char *tool);

#endif
