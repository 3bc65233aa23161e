/* tools/oci-rm.c - remove names from the cache, and the blobs only they used */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "cli.h"
#include "desc.h"
#include "die.h"
#include "err.h"
#include "pull.h"
#include "record.h"
#include "ref.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-rm [-qv] [-C dir] [--published-only [-j n] "
	    "[--insecure host]...]\n"
	    "              name ... | --all\n");
	exit(status);
}

/*
 * --published-only: the names whose registry root digest is the cache's;
 * the others stay, with LinuxKit's reasons.
 */
static int
published(const struct cli *cli, struct cache_item *it, size_t n,
    const char **names, const char **expect, size_t *k)
{
	/* no cache for the puller: one process opens .lock once */
	struct pull_opts o = { .tool = "oci-rm", .all = 1, .log = msglog,
	    .jobs = cli->jobs, .insecure = cli->insecure };
	struct pull_result res;
	struct puller *pl = puller_new(&o);
	const char *remote;
	char *ref;
	size_t i;
	int rc = EXIT_SUCCESS;

	for (i = 0; i < n; i++) {
		if (!it[i].desc || !it[i].name)
			continue;
		ref = ref_canonical(it[i].name, 1);
		if (!ref || puller_run(pl, PULL_RESOLVE, ref, &res) == -1) {
			if (ref && err_kind() == ERR_NOTFOUND)
				warnmsg("image %s not found in remote registry, "
				    "leaving in cache", it[i].name);
			else
				rc = EXIT_FAILURE, warnmsg_err("cannot resolve "
				    "'%s', leaving it in the cache", it[i].name);
			free(ref);
			continue;
		}
		free(ref);
		remote = desc_digest(res.root);
		if (strcmp(remote, desc_digest(it[i].desc)) != 0)
			warnmsg("image %s has mismatched hashes, cache %s vs "
			    "remote registry %s, leaving in cache", it[i].name,
			    desc_digest(it[i].desc), remote);
		else {
			names[*k] = it[i].name;
			expect[(*k)++] = desc_digest(it[i].desc);
		}
		pull_result_release(&res);
	}
	puller_free(pl);
	return rc;
}

static int
report(const struct rm_result *res, const char *dir)
{
	const struct rm_item *it;
	size_t i;
	int rc = EXIT_SUCCESS;

	for (i = 0; i < res->n; i++) {
		it = &res->items[i];
		if (it->status == RM_REMOVED) {
			if (verbosity >= 0)
				warnmsg("removing image %s from cache", it->name);
			if (record_write(stdout, it->name, it->desc) == -1)
				die_err(EXIT_FAILURE, "cannot remove '%s'", it->name);
		} else if (it->status == RM_CHANGED)
			warnmsg("image %s changed in the cache meanwhile, leaving "
			    "in cache", it->name);
		else
			rc = exit_worst(rc, it->status == RM_NOTFOUND ?
			    EXIT_NOTFOUND : EXIT_FAILURE), warnmsg("cannot remove "
			    "'%s': %s", it->arg, it->status == RM_NOTFOUND ?
			    "not in the cache" : "not a valid image reference");
	}
	if (res->kept_all)
		warnmsg("blobs kept in '%s': a manifest there cannot be read "
		    "(see oci-fsck)", dir);
	note("%zu blobs removed (%lld bytes)", res->blobs,
	    (long long)res->bytes);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		CLI_LONG_COMMON, CLI_LONG_CACHE, CLI_LONG_NET,
		{ "all",	no_argument,		NULL, 'a' },
		{ "published-only", no_argument,	NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli cli = CLI_INIT;
	struct cache_item *it = NULL;
	struct rm_result res;
	struct layout l;
	const char **names, **expect = NULL;
	char *dir;
	size_t i, n = 0, k = 0;
	int ch, all = 0, pub = 0, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, CLI_SHORT_CACHE CLI_SHORT_JOBS
	    CLI_SHORT_COMMON, opts, NULL)) != -1) {
		if (ch == 'a' || ch == 'p')
			*(ch == 'a' ? &all : &pub) = 1;
		else if ((ch = cli_opt(&cli, ch, optarg)) != 0)
			usage(ch == 1 ? EXIT_SUCCESS : EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	if (all == (argc > 0))
		usage(EXIT_USAGE);
	dir = layout_default_path(cli.cache);
	if (layout_open(&l, dir, 0) == -1)
		die_err(exit_for_err(), "cannot remove from '%s'", dir);
	names = (const char **)argv;
	if (pub) {
		if (cache_list(&l, argc, names, 0, &it, &n) == -1)
			die_err(EXIT_FAILURE, "cannot remove from '%s'", dir);
		names = xcalloc(n + 1, sizeof(*names));
		expect = xcalloc(n + 1, sizeof(*expect));
		for (i = 0; i < n; i++)
			if (!it[i].desc)
				rc = exit_worst(rc, EXIT_NOTFOUND), warnmsg("cannot "
				    "remove '%s': not in the cache", it[i].arg);
		rc = exit_worst(rc, published(&cli, it, n, names, expect, &k));
	} else if (all) {
		if (cache_clean(&l, &res) == -1)
			die_err(EXIT_FAILURE, "cannot empty '%s'", dir);
		if (verbosity >= 0)
			warnmsg("Cache emptied: %s", dir);
	}
	if (!all || pub) {
		if (cache_rm(&l, pub ? k : (size_t)argc, names, expect, &res) == -1)
			die_err(EXIT_FAILURE, "cannot remove from '%s'", dir);
		rc = exit_worst(rc, report(&res, dir));
	}
	rm_result_release(&res);
	if (pub) {
		cache_items_free(it, n);
		free(it);
		free(names);
		free(expect);
	}
	layout_close(&l);
	free(dir);
	out_close();
	return rc;
}
