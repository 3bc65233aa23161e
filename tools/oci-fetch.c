/* tools/oci-fetch.c - make images present in the LinuxKit cache, from a registry */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "die.h"
#include "err.h"
#include "jsonio.h"
#include "platform.h"
#include "pull.h"
#include "record.h"
#include "ref.h"

#define MAX_INSECURE	32

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

static int
print_records(const char *name, const struct pull_result *res)
{
	json_t *d;
	size_t i;

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
	const char *verb = mode == PULL_RESOLVE ? "resolve" :
	    mode == PULL_MANIFEST ? "get the manifest of" :
	    mode == PULL_CACHED ? "find in the cache" : "pull";
	char *name;
	int rc = EXIT_SUCCESS;

	if ((name = ref_canonical(arg, 1)) == NULL) {
		warnmsg("cannot %s '%s': not a valid image reference", verb,
		    arg);
		return EXIT_FAILURE;
	}
	if (puller_run(pl, mode, name, &res) == -1) {
		rc = exit_for_err();
		warnmsg("cannot %s '%s': %s", verb, arg, err_msg());
	} else if (mode == PULL_MANIFEST) {
		if (fwrite(res.manifest.data, 1, res.manifest.len, stdout) !=
		    res.manifest.len)
			die(EXIT_FAILURE, "cannot write to standard output");
	} else if (print_records(name, &res) == -1) {
		die_err(EXIT_FAILURE, "'%s'", name);
	}
	pull_result_release(&res);
	free(name);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "cache",		required_argument,	NULL, 'C' },
		{ "platform",		required_argument,	NULL, 'p' },
		{ "all-platforms",	no_argument,		NULL, 'A' },
		{ "pull",		no_argument,		NULL, 'P' },
		{ "resolve",		no_argument,		NULL, 'R' },
		{ "manifest",		no_argument,		NULL, 'M' },
		{ "cached",		no_argument,		NULL, 'K' },
		{ "jobs",		required_argument,	NULL, 'j' },
		{ "insecure",		required_argument,	NULL, 'I' },
		{ "quiet",		no_argument,		NULL, 'q' },
		{ "verbose",		no_argument,		NULL, 'v' },
		{ "help",		no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct pull_opts c = { .tool = "oci-fetch", .jobs = 4, .log = msglog };
	const char *insecure[MAX_INSECURE + 1] = { NULL };
	enum pull_mode mode = PULL_FETCH;
	struct puller *pl;
	size_t i, ninsecure = 0;
	char *end;
	int ch, rc = EXIT_SUCCESS;
	long n;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:p:j:qvh", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			c.cache = optarg;
			break;
		case 'p':
			if (c.nplat == PULL_MAX_PLATFORMS)
				die(EXIT_USAGE, "too many platforms");
			if (platform_parse(&c.plats[c.nplat], optarg) == -1) {
				warnmsg("%s", err_msg());
				usage(EXIT_USAGE);
			}
			c.nplat++;
			break;
		case 'A':
			c.all = 1;
			break;
		case 'P':
			c.pull = 1;
			break;
		case 'R':
			mode = PULL_RESOLVE;
			break;
		case 'M':
			mode = PULL_MANIFEST;
			break;
		case 'K':
			mode = PULL_CACHED;
			break;
		case 'j':
			errno = 0;
			n = strtol(optarg, &end, 10);
			if (errno || *end || n < 1 || n > 64) {
				warnmsg("-j wants a number from 1 to 64");
				usage(EXIT_USAGE);
			}
			c.jobs = (int)n;
			break;
		case 'I':
			if (ninsecure == MAX_INSECURE)
				die(EXIT_USAGE, "too many --insecure hosts");
			insecure[ninsecure++] = optarg;
			break;
		case 'q':
			verbosity--;
			break;
		case 'v':
			verbosity++;
			break;
		case 'h':
			usage(EXIT_SUCCESS);
			break;
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(EXIT_USAGE);
	for (i = 0; i < (size_t)argc; i++)
		if (strcmp(argv[i], "-") == 0)
			usage(EXIT_USAGE);
	c.insecure = insecure;
	c.debug = verbosity > 1;

	pl = puller_new(&c);
	for (i = 0; i < (size_t)argc; i++)
		rc = exit_worst(rc, fetch_one(pl, mode, argv[i]));
	puller_free(pl);
	out_close();
	return rc;
}
