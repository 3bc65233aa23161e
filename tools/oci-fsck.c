/* tools/oci-fsck.c - check the cache; repair it and collect its garbage */
#include <getopt.h>
#include <stdio.h>

#include "cache.h"
#include "cli.h"
#include "desc.h"
#include "die.h"
#include "err.h"
#include "fsck.h"
#include "record.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-fsck [-qv] [-C dir] [--repair] [--gc]\n");
	exit(status);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		CLI_LONG_COMMON, CLI_LONG_CACHE,
		{ "gc",		no_argument,		NULL, 'g' },
		{ "repair",	no_argument,		NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli cli = CLI_INIT;
	struct fsck_result res;
	struct layout l;
	char *dir;
	size_t i;
	int ch, flags = 0;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, CLI_SHORT_CACHE CLI_SHORT_COMMON,
	    opts, NULL)) != -1) {
		if (ch == 'g' || ch == 'r')
			flags |= ch == 'g' ? FSCK_GC : FSCK_REPAIR;
		else if ((ch = cli_opt(&cli, ch, optarg)) != 0)
			usage(ch == 1 ? EXIT_SUCCESS : EXIT_USAGE);
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	dir = layout_default_path(cli.cache);
	if (layout_open(&l, dir, 0) == -1)
		die_err(exit_for_err(), "cannot check '%s'", dir);
	if (fsck_run(&l, flags, 0, &res) == -1)
		die_err(EXIT_FAILURE, "cannot check '%s'", dir);
	for (i = 0; i < res.n; i++) {
		if (verbosity >= 0)
			warnmsg("%s", res.p[i].msg);
		if (record_write(stdout, NULL, res.p[i].rec) == -1)
			die_err(EXIT_FAILURE, "cannot check '%s'", dir);
	}
	if (res.young)
		note("%zu unnamed blobs or temporaries younger than %d minutes "
		    "left alone: a running tool may own them", res.young,
		    CACHE_GRACE / 60);
	note("%zu blobs checked (%lld bytes), %zu problems, %zu remaining",
	    res.nblobs, (long long)res.bytes, res.n, res.remaining);
	ch = res.remaining ? EXIT_FAILURE : EXIT_SUCCESS;
	fsck_result_release(&res);
	layout_close(&l);
	free(dir);
	out_close();
	return ch;
}
