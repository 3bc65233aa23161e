/* tools/oci-put.c - push an image or index from the cache to registries */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "die.h"
#include "err.h"
#include "layout.h"
#include "progress.h"
#include "push.h"
#include "record.h"
#include "ref.h"
#include "regpool.h"
#include "xalloc.h"

enum { OPT_ARCH_TAGS = 256, OPT_MOUNT_FROM, OPT_NO_OVERRIDE };

static const struct option longopts[] = {
	{ "arch-tags",	no_argument,		NULL, OPT_ARCH_TAGS },
	{ "mount-from",	required_argument,	NULL, OPT_MOUNT_FROM },
	{ "no-override", no_argument,		NULL, OPT_NO_OVERRIDE },
	CLI_LONG_CACHE, CLI_LONG_NET, CLI_LONG_COMMON,
	{ NULL, 0, NULL, 0 }
};

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-put [-qv] [-C dir] [--arch-tags] [--no-override] "
	    "[--mount-from repo]\n"
	    "               [-j n] [--insecure host]... ref [dest ...]\n");
	exit(status);
}

static int
print_record(void *arg, const char *ref, const json_t *desc)
{
	(void)arg;
	return record_write(stdout, ref, desc);
}

/* the canonical names of argv, a bad one a usage error */
static char **
canonical(int argc, char *argv[])
{
	char **v = xcalloc(argc + 1, sizeof(*v));
	int i;

	for (i = 0; i < argc; i++)
		if (!(v[i] = ref_canonical(argv[i], 1)))
			die(EXIT_USAGE, "cannot push '%s': not a valid image "
			    "reference", argv[i]);
	return v;
}

int
main(int argc, char *argv[])
{
	struct cli cli = CLI_INIT;
	struct push_opts o = { .record = print_record, .log = msglog };
	struct layout l = LAYOUT_INIT;
	struct regpool pool;
	struct http_opts ho;
	struct pusher *p = NULL;
	char *dir, **names;
	int ch, i, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, CLI_SHORT_CACHE CLI_SHORT_JOBS
	    CLI_SHORT_COMMON, longopts, NULL)) != -1)
		switch (ch) {
		case OPT_ARCH_TAGS:	o.arch_tags = 1; break;
		case OPT_MOUNT_FROM:	o.mount_from = optarg; break;
		case OPT_NO_OVERRIDE:	o.no_override = 1; break;
		default:
			if ((i = cli_opt(&cli, ch, optarg)) != 0)
				usage(i == 1 ? EXIT_SUCCESS : EXIT_USAGE);
		}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EXIT_USAGE);
	names = canonical(argc, argv);
	progress_enable(isatty(STDERR_FILENO) && verbosity >= 0);
	ho = cli_http_opts(&cli, "oci-put");
	regpool_init(&pool, &ho);
	dir = layout_default_path(cli.cache);
	o.cache = &l;
	o.pool = &pool;
	p = pusher_new(&o);
	if (layout_open(&l, dir, 0) == -1 || pusher_load(p, names[0]) == -1) {
		warnmsg_err("cannot push '%s'", names[0]);
		rc = exit_for_err();
	} else
		for (i = argc > 1; i < argc; i++)
			if (pusher_run(p, names[i]) == -1) {
				warnmsg_err("cannot push '%s'", names[i]);
				rc = exit_worst(rc, exit_for_err());
			}
	pusher_free(p);
	regpool_release(&pool);
	layout_close(&l);
	for (i = 0; i < argc; i++)
		free(names[i]);
	free(names);
	free(dir);
	out_close();
	return rc;
}
