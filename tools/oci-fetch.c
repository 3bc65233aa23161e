/* tools/oci-fetch.c - make images present in the LinuxKit cache, from a registry */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "die.h"
#include "err.h"
#include "platform.h"
#include "pull.h"
#include "record.h"
#include "ref.h"
#include "regpool.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-fetch [-qv] [-C dir] [-p os/arch[/variant]]... "
	    "[--all-platforms] [--pull]\n"
	    "                 [--resolve | --manifest | --cached] [-j n] "
	    "[--insecure host]... ref ...\n");
	exit(status);
}

enum { OPT_ALL = 256, OPT_PULL, OPT_RESOLVE, OPT_MANIFEST, OPT_CACHED };

static const struct option longopts[] = {
	CLI_LONG_CACHE,
	CLI_LONG_NET,
	CLI_LONG_COMMON,
	{ "platform",		required_argument,	NULL, 'p' },
	{ "all-platforms",	no_argument,		NULL, OPT_ALL },
	{ "pull",		no_argument,		NULL, OPT_PULL },
	{ "resolve",		no_argument,		NULL, OPT_RESOLVE },
	{ "manifest",		no_argument,		NULL, OPT_MANIFEST },
	{ "cached",		no_argument,		NULL, OPT_CACHED },
	{ NULL, 0, NULL, 0 }
};

static const char *const verbs[] = {
	[PULL_FETCH] = "pull",
	[PULL_RESOLVE] = "resolve",
	[PULL_MANIFEST] = "get the manifest of",
	[PULL_CACHED] = "find in the cache"
};

static int
print(const char *name, enum pull_mode mode, const struct pull_result *res)
{
	json_t *d;
	size_t i;

	if (mode == PULL_MANIFEST)
		return fwrite(res->manifest.data, 1, res->manifest.len,
		    stdout) == res->manifest.len ? 0 : -1;
	if (record_write(stdout, name, res->root) == -1)
		return -1;
	json_array_foreach(res->records, i, d)
		if (record_write(stdout, name, d) == -1)
			return -1;
	return 0;
}

static int
fetch_one(struct puller *pl, enum pull_mode mode, const char *arg)
{
	struct pull_result res = PULL_RESULT_INIT;
	char *name;
	int rc = EXIT_SUCCESS;

	if ((name = ref_canonical(arg, 1)) == NULL) {
		warnmsg("cannot %s '%s': not a valid image reference",
		    verbs[mode], arg);
		return EXIT_FAILURE;
	}
	if (puller_run(pl, mode, name, &res) == -1) {
		rc = exit_for_err();
		/* -q: an expected "not found" is said by the status alone */
		if (rc != EXIT_NOTFOUND || verbosity >= 0)
			warnmsg_err("cannot %s '%s'", verbs[mode], arg);
	} else if (print(name, mode, &res) == -1)
		die(EXIT_FAILURE, "cannot write '%s' to standard output", arg);
	pull_result_release(&res);
	free(name);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct pull_opts o = { .log = msglog };
	struct cli cli = CLI_INIT;
	struct http_opts ho;
	struct regpool pool;
	enum pull_mode mode = PULL_FETCH;
	struct puller *pl;
	int ch, i, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "p:" CLI_SHORT_CACHE CLI_SHORT_JOBS
	    CLI_SHORT_COMMON, longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (o.nplat == PULL_MAX_PLATFORMS)
				die(EXIT_USAGE, "cannot use -p '%s': more than "
				    "%d platforms", optarg, PULL_MAX_PLATFORMS);
			if (platform_parse(&o.plats[o.nplat++], optarg) == -1) {
				warnmsg("cannot use -p '%s': not a platform "
				    "(os/arch[/variant])", optarg);
				usage(EXIT_USAGE);
			}
			break;
		case OPT_ALL:		o.all = 1; break;
		case OPT_PULL:		o.pull = 1; break;
		case OPT_RESOLVE:	mode = PULL_RESOLVE; break;
		case OPT_MANIFEST:	mode = PULL_MANIFEST; break;
		case OPT_CACHED:	mode = PULL_CACHED; break;
		default:
			if ((ch = cli_opt(&cli, ch, optarg)) != 0)
				usage(ch == 1 ? EXIT_SUCCESS : EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0 || (mode == PULL_MANIFEST && o.nplat > 1))
		usage(EXIT_USAGE);
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0)
			usage(EXIT_USAGE);

	ho = cli_http_opts(&cli, "oci-fetch");
	regpool_init(&pool, &ho);
	o.pool = &pool;
	o.cache = cli.cache;
	pl = puller_new(&o);
	for (i = 0; i < argc; i++)
		rc = exit_worst(rc, fetch_one(pl, mode, argv[i]));
	puller_free(pl);
	regpool_release(&pool);
	out_close();
	return rc;
}
