/* tools/oci-ls.c - list the names in the cache, as records or a table */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "die.h"
#include "err.h"
#include "json.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-ls [-l] [-C dir] [name ...]\n");
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
	size_t i, w = 4;
	char size[32];

	for (i = 0; i < n; i++)
		if (it[i].desc && it[i].name && strlen(it[i].name) > w)
			w = strlen(it[i].name);
	printf("%-*s  %-19s  %-23s  %s\n", (int)w, "NAME", "DIGEST",
	    "PLATFORMS", "SIZE");
	for (i = 0; i < n; i++) {
		if (!it[i].desc)
			continue;
		human(it[i].bytes, size, sizeof(size));
		printf("%-*s  %.19s  %-23s  %s%s\n", (int)w,
		    it[i].name ? it[i].name : "-", desc_digest(it[i].desc),
		    it[i].platforms, size, it[i].complete ? "" : " (incomplete)");
	}
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "cache",	required_argument,	NULL, 'C' },
		{ "long",	no_argument,		NULL, 'l' },
		{ "help",	no_argument,		NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cache_item *it;
	struct layout l;
	const char *cachedir = NULL;
	char *dir;
	size_t i, n;
	int ch, lng = isatty(STDOUT_FILENO), rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:lh", opts, NULL)) != -1) {
		switch (ch) {
		case 'C':	cachedir = optarg; break;
		case 'l':	lng = 1; break;
		case 'h':	usage(EXIT_SUCCESS); break;
		default:	usage(EXIT_USAGE);
		}
	}
	dir = layout_default_path(cachedir);
	/* no cache holds no names */
	if (layout_open(&l, dir, 0) == -1 && (errno != ENOENT || optind < argc))
		die_err(exit_for_errno(), "cannot list '%s'", dir);
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
