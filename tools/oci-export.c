/* tools/oci-export.c - write one image of the cache as a tar */
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "die.h"
#include "err.h"
#include "export.h"
#include "fsutil.h"
#include "layout.h"
#include "progress.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-export [-qv] [-C dir] [-p os/arch[/variant]] "
	    "[--format docker|oci|filesystem]\n"
	    "                  [--name name] [-o file|-] name\n");
	exit(status);
}

/* the tar goes to file, replaced whole, or to stdout when it is not a TTY */
static int
export_to(struct layout *l, const char *ref, const struct export_opts *o,
    const char *file)
{
	struct fs_replace out = FS_REPLACE_INIT;

	if (!file || strcmp(file, "-") == 0) {
		if (isatty(STDOUT_FILENO))
			die(EXIT_USAGE, "cannot export '%s': refusing to write "
			    "a tar to a terminal (use -o)", ref);
		return export_image(l, ref, o, STDOUT_FILENO);
	}
	if (fs_replace_open(&out, file) == -1)
		return -1;
	if (export_image(l, ref, o, out.fd) == -1) {
		fs_replace_abort(&out);
		return -1;
	}
	return fs_replace_commit(&out);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		CLI_LONG_COMMON, CLI_LONG_CACHE,
		{ "platform",	required_argument,	NULL, 'p' },
		{ "format",	required_argument,	NULL, 'f' },
		{ "name",	required_argument,	NULL, 'n' },
		{ "output",	required_argument,	NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct cli cli = CLI_INIT;
	struct export_opts o = { .format = EXPORT_DOCKER };
	struct layout l = LAYOUT_INIT;
	const char *file = NULL;
	char *dir;
	int ch, rc;

	die_init(argv[0]);
	/* names in layers are UTF-8, whatever the caller's locale */
	setlocale(LC_CTYPE, "C.UTF-8");
	platform_host(&o.plat);
	while ((ch = getopt_long(argc, argv, "p:f:o:" CLI_SHORT_CACHE
	    CLI_SHORT_COMMON, longopts, NULL)) != -1) {
		switch (ch) {
		case 'p':
			if (platform_parse(&o.plat, optarg) == -1)
				die_err(EXIT_USAGE, "cannot use -p '%s'", optarg);
			break;
		case 'f':
			if (export_parse_format(optarg, &o.format) == -1)
				die_err(EXIT_USAGE, "cannot use --format");
			break;
		case 'n':	o.name = optarg; break;
		case 'o':	file = optarg; break;
		default:
			if ((rc = cli_opt(&cli, ch, optarg)) != 0)
				usage(rc == 1 ? EXIT_SUCCESS : EXIT_USAGE);
		}
	}
	if (argc - optind != 1)
		usage(EXIT_USAGE);

	progress_enable(isatty(STDERR_FILENO) && verbosity >= 0);
	dir = layout_default_path(cli.cache);
	if (layout_open(&l, dir, 0) == -1 ||
	    export_to(&l, argv[optind], &o, file) == -1) {
		rc = exit_for_err();
		if (rc != EXIT_NOTFOUND || verbosity >= 0)
			warnmsg("cannot export '%s': %s", argv[optind],
			    err_msg());
	} else
		rc = EXIT_SUCCESS;
	layout_close(&l);
	free(dir);
	return rc;
}
