/* tools/pkg-buildctx.c - write a package's build context as a tar on stdout */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buildctx.h"
#include "cli.h"
#include "die.h"
#include "err.h"
#include "platform.h"
#include "regpool.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: pkg-buildctx [-qv] [-C dir] [--build-yml name] "
	    "[-p os/arch[/variant]]\n"
	    "                    [-j n] [--insecure host]... [--reproducible] "
	    "pkgdir\n");
	exit(status);
}

enum { OPT_BUILD_YML = 256, OPT_REPRODUCIBLE };

static const struct option longopts[] = {
	CLI_LONG_CACHE,
	CLI_LONG_NET,
	CLI_LONG_COMMON,
	{ "build-yml",		required_argument,	NULL, OPT_BUILD_YML },
	{ "platform",		required_argument,	NULL, 'p' },
	{ "reproducible",	no_argument,		NULL, OPT_REPRODUCIBLE },
	{ NULL, 0, NULL, 0 }
};

/* SOURCE_DATE_EPOCH, when set, is the clamp and makes the stream reproducible */
static void
source_date_epoch(int *reproducible, long long *epoch)
{
	const char *sde = getenv("SOURCE_DATE_EPOCH");
	char *end;

	if (sde == NULL || *sde == '\0')
		return;
	errno = 0;
	*epoch = strtoll(sde, &end, 10);
	if (*end || errno || *epoch < 0)
		die(EXIT_FAILURE, "cannot use SOURCE_DATE_EPOCH '%s': not a "
		    "number of seconds", sde);
	*reproducible = 1;
}

int
main(int argc, char *argv[])
{
	struct buildctx_opts o = { .log = msglog };
	struct buildctx_plan p = BUILDCTX_PLAN_INIT;
	struct cli cli = CLI_INIT;
	struct http_opts ho;
	struct regpool pool;
	long long epoch = 0;
	size_t i;
	int ch, reproducible = 0, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	platform_host(&o.plat);
	while ((ch = getopt_long(argc, argv, "p:" CLI_SHORT_CACHE CLI_SHORT_JOBS
	    CLI_SHORT_COMMON, longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_BUILD_YML:	o.build_yml = optarg; break;
		case OPT_REPRODUCIBLE:	reproducible = 1; break;
		case 'p':
			if (platform_parse(&o.plat, optarg) == -1)
				die(EXIT_USAGE, "cannot use -p '%s': not a "
				    "platform (os/arch[/variant])", optarg);
			break;
		default:
			if ((ch = cli_opt(&cli, ch, optarg)) != 0)
				usage(ch == 1 ? EXIT_SUCCESS : EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		usage(EXIT_USAGE);
	source_date_epoch(&reproducible, &epoch);
	if (isatty(STDOUT_FILENO))
		die(EXIT_USAGE, "cannot write the context of '%s': refusing to "
		    "write a tar to a terminal", argv[optind]);

	ho = cli_http_opts(&cli, "pkg-buildctx");
	regpool_init(&pool, &ho);
	o.pool = &pool;
	o.cache = cli.cache;
	if (buildctx_plan(&p, argv[optind], &o) == -1) {
		rc = exit_for_err();
		if (rc != EXIT_NOTFOUND || verbosity >= 0)
			warnmsg_err("cannot plan the context of '%s'",
			    argv[optind]);
	} else {
		/* what LinuxKit says as it saves each depends image */
		for (i = 0; i < p.ndep; i++)
			if (p.dep[i].shown != NULL)
				fprintf(stderr, "Adding \"%s\" as dependency\n",
				    p.dep[i].shown);
		if (buildctx_write(&p, STDOUT_FILENO, reproducible,
		    epoch) == -1) {
			rc = exit_for_err();
			warnmsg_err("cannot write the context of '%s'",
			    argv[optind]);
		}
	}
	buildctx_plan_release(&p);
	regpool_release(&pool);
	return rc;
}
