/* tools/oci-fsck.c - check the cache; repair it and collect its garbage */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "cache.h"
#include "die.h"
#include "err.h"
#include "fsck.h"
#include "json.h"

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
		{ "cache",	required_argument,	NULL, 'C' },
		{ "gc",		no_argument,		NULL, 'g' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "repair",	no_argument,		NULL, 'r' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct fsck_result res;
	struct layout l;
	const char *cachedir = NULL;
	char *dir;
	size_t i;
	int ch, flags = 0;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:hqv", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':	cachedir = optarg; break;
		case 'g':	flags |= FSCK_GC; break;
		case 'h':	usage(EXIT_SUCCESS); break;
		case 'q':	verbosity--; break;
		case 'r':	flags |= FSCK_REPAIR; break;
		case 'v':	verbosity++; break;
		default:	usage(EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(EXIT_USAGE);
	dir = layout_default_path(cachedir);
	if (layout_open(&l, dir, 0) == -1)
		die_err(exit_for_errno(), "cannot check '%s'", dir);
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
