/* tools/oci-index-merge.c - create or update a multi-arch index in the cache */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "die.h"
#include "err.h"
#include "layout.h"
#include "multiarch.h"
#include "record.h"
#include "ref.h"
#include "regpool.h"

#define DEFAULT_ARCHES	"amd64,arm64,riscv64,s390x,ppc64le"

enum { OPT_ARCH_TAGS = 256, OPT_ARCHES, OPT_REF, OPT_REMOTE };

static const struct option longopts[] = {
	{ "arch-tags",	no_argument,		NULL, OPT_ARCH_TAGS },
	{ "arches",	required_argument,	NULL, OPT_ARCHES },
	{ "ref",	required_argument,	NULL, OPT_REF },
	{ "remote",	no_argument,		NULL, OPT_REMOTE },
	{ "insecure",	required_argument,	NULL, CLI_OPT_INSECURE },
	CLI_LONG_CACHE, CLI_LONG_COMMON,
	{ NULL, 0, NULL, 0 }
};

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-index-merge [-qv] [-C dir] --ref name "
	    "[--arch-tags [--arches list]]\n"
	    "                       [--remote] [--insecure host]... "
	    "[ref ... | -]\n");
	exit(status);
}

/* add one operand: records for "-", else a name of the cache */
static int
add(struct multiarch *m, const char *arg)
{
	char *name;
	int rc = 0;

	if (strcmp(arg, "-") == 0) {
		if ((rc = multiarch_add_records(m, stdin)) == -1)
			warnmsg_err("cannot index 'stdin'");
		return rc;
	}
	if (!(name = ref_canonical(arg, 1)))
		die(EXIT_USAGE, "cannot index '%s': not a valid image reference",
		    arg);
	if (multiarch_add_ref(m, name) == -1) {
		warnmsg_err("cannot index '%s'", name);
		rc = -1;
	}
	free(name);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct cli cli = CLI_INIT;
	struct multiarch_opts o = { .log = msglog };
	struct layout l = LAYOUT_INIT;
	struct multiarch *m = NULL;
	struct regpool pool;
	struct http_opts ho;
	const char *refarg = NULL, *arches = NULL;
	char *dir = NULL, *name;
	json_t *root = NULL;
	int ch, i, archtags = 0, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, CLI_SHORT_CACHE CLI_SHORT_COMMON,
	    longopts, NULL)) != -1)
		switch (ch) {
		case OPT_ARCH_TAGS:	archtags = 1; break;
		case OPT_ARCHES:	arches = optarg; break;
		case OPT_REF:		refarg = optarg; break;
		case OPT_REMOTE:	o.remote = 1; break;
		default:
			if ((i = cli_opt(&cli, ch, optarg)) != 0)
				usage(i == 1 ? EXIT_SUCCESS : EXIT_USAGE);
		}
	argc -= optind;
	argv += optind;
	if (!refarg || (arches && !archtags) || (archtags && argc > 0))
		usage(EXIT_USAGE);
	if (!(name = ref_canonical(refarg, 1)))
		die(EXIT_USAGE, "cannot index '%s': not a valid image reference",
		    refarg);
	ho = cli_http_opts(&cli, "oci-index-merge");
	regpool_init(&pool, &ho);
	o.cache = &l;
	o.pool = &pool;
	o.name = name;
	dir = layout_default_path(cli.cache);
	if (!(m = multiarch_new(&o)) || layout_open(&l, dir, LAYOUT_CREATE) ||
	    (archtags && multiarch_add_arch_tags(m, arches ? arches :
	    DEFAULT_ARCHES) == -1) || (!archtags && argc == 0 &&
	    multiarch_add_records(m, stdin) == -1))
		goto fail;
	for (i = 0; i < argc; i++)
		if (add(m, argv[i]) == -1)
			rc = exit_worst(rc, exit_for_err());
	if (rc != EXIT_SUCCESS)
		goto out;
	if (multiarch_write(m, &root) == -1)
		goto fail;
	if (record_write(stdout, name, root) == -1)
		goto fail;
	goto out;
fail:
	warnmsg_err("cannot index '%s'", name);
	rc = exit_for_err();
out:
	json_decref(root);
	multiarch_free(m);
	regpool_release(&pool);
	layout_close(&l);
	free(name);
	free(dir);
	out_close();
	return rc;
}
