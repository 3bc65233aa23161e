/* tools/oci-ls.c - list the names in the cache, as records or a table */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cli.h"
#include "desc.h"
#include "die.h"
#include "err.h"
#include "record.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-ls [-lqv] [-C dir] [name ...]\n");
	exit(status);
}

/* 12.3MB: decimal units, as docker prints image sizes */
static void
human(int64_t n, char *out, size_t len)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1000 && i < 4)
		v /= 1000, i++;
	snprintf(out, len, i ? "%.1f%s" : "%.0f%s", v, u[i]);
}

static void
table(const struct cache_item *it, size_t n)
{
	size_t i, w = 4, pw = 9;
	char size[32];

	for (i = 0; i < n; i++) {
		if (it[i].desc && it[i].name && strlen(it[i].name) > w)
			w = strlen(it[i].name);
		if (it[i].desc && strlen(it[i].platforms) > pw)
			pw = strlen(it[i].platforms);
	}
	printf("%-*s  %-19s  %-*s  %s\n", (int)w, "NAME", "DIGEST", (int)pw,
	    "PLATFORMS", "SIZE");
	for (i = 0; i < n; i++) {
		if (!it[i].desc)
			continue;
		human(it[i].bytes, size, sizeof(size));
		printf("%-*s  %.19s  %-*s  %s%s\n", (int)w,
		    it[i].name ? it[i].name : "-", desc_digest(it[i].desc),
		    (int)pw, it[i].platforms, size, it[i].complete ? "" : " (incomplete)");
	}
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		CLI_LONG_COMMON, CLI_LONG_CACHE,
		{ "long",	no_argument,		NULL, 'l' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli cli = CLI_INIT;
	struct cache_item *it;
	struct layout l;
	char *dir;
	size_t i, n;
	int ch, lng = isatty(STDOUT_FILENO), rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "l" CLI_SHORT_CACHE
	    CLI_SHORT_COMMON, opts, NULL)) != -1) {
		if (ch == 'l')
			lng = 1;
		else if ((rc = cli_opt(&cli, ch, optarg)) != 0)
			usage(rc == 1 ? EXIT_SUCCESS : EXIT_USAGE);
	}
	dir = layout_default_path(cli.cache);
	/* no cache holds no names */
	if (layout_open(&l, dir, 0) == -1 &&
	    (err_kind() != ERR_NOTFOUND || optind < argc))
		die_err(exit_for_err(), "cannot list '%s'", dir);
	else if (l.dirfd == -1)
		return EXIT_SUCCESS;
	if (cache_list(&l, argc - optind, (const char *const *)argv + optind,
	    lng, &it, &n) == -1)
		die_err(EXIT_FAILURE, "cannot list '%s'", dir);
	for (i = 0; i < n; i++) {
		if (!it[i].desc) {
			warnmsg("cannot list '%s': %s", it[i].arg, it[i].name ?
			    "not in the cache" : "not a valid image reference");
			rc = exit_worst(rc, it[i].name ? EXIT_NOTFOUND :
			    EXIT_FAILURE);
		} else if (!lng && record_write(stdout, it[i].name,
		    it[i].desc) == -1)
			die_err(EXIT_FAILURE, "cannot list '%s'", dir);
	}
	if (lng)
		table(it, n);
	cache_items_free(it, n);
	free(it);
	layout_close(&l);
	free(dir);
	out_close();
	return rc;
}
