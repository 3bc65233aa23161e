/* tools/oci-import.c - put OCI layout tars and docker save tarballs in the cache */
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "die.h"
#include "err.h"
#include "import.h"
#include "jsonio.h"
#include "layout.h"
#include "record.h"
#include "ref.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-import [-qv] [-C dir] [--ref name] [file | -] ...\n");
	exit(status);
}

/* every staged blob holds a descriptor until the import is published */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
import_one(struct layout *l, const char *file, const char *ref)
{
	struct import_result res;
	const char *what = strcmp(file, "-") == 0 ? "(stdin)" : file;
	size_t i;
	int fd, rc = EXIT_SUCCESS;

	if (strcmp(file, "-") == 0)
		fd = STDIN_FILENO;
	else if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1) {
		/* err_set() states "not found" for ENOENT (err.h) */
		err_set(errno, "%s", strerror(errno));
		rc = exit_for_err();
		if (rc != EXIT_NOTFOUND || verbosity >= 0)
			warnmsg_err("cannot open '%s'", file);
		return rc;
	}
	if (import_tar(l, fd, what, ref, &res) == -1) {
		warnmsg("cannot import %s", err_msg());
		rc = exit_for_err();
		goto out;
	}
	note("'%s': %u blobs stored (%lld bytes), %u already in the cache",
	    what, res.stored, (long long)res.bytes, res.present);
	for (i = 0; i < res.nroots && rc == EXIT_SUCCESS; i++)
		if (record_write(stdout, res.roots[i].name, res.roots[i].desc))
			die(EXIT_FAILURE, "cannot write '%s' to standard output",
			    what);
	import_result_release(&res);
out:
	if (fd != STDIN_FILENO)
		close(fd);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		CLI_LONG_CACHE,
		CLI_LONG_COMMON,
		{ "ref",	required_argument,	NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	static char *stdin_only[] = { "-", NULL };
	struct cli cli = CLI_INIT;
	struct layout l;
	const char *refarg = NULL;
	char *dir, *ref = NULL;
	int ch, i, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, CLI_SHORT_CACHE CLI_SHORT_COMMON,
	    opts, NULL)) != -1) {
		if (ch == 'r')
			refarg = optarg;
		else if ((ch = cli_opt(&cli, ch, optarg)) != 0)
			usage(ch == 1 ? EXIT_SUCCESS : EXIT_USAGE);
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		argv = stdin_only, argc = 1;
	if (refarg && argc > 1) {
		warnmsg("cannot use --ref '%s': it names one image, give one "
		    "file", refarg);
		usage(EXIT_USAGE);
	}
	if (refarg && !(ref = ref_canonical(refarg, 1)))
		die(EXIT_USAGE, "cannot use --ref '%s': not a valid image "
		    "reference", refarg);
	for (i = 0; i < argc; i++)
		if (strcmp(argv[i], "-") == 0 && isatty(STDIN_FILENO))
			die(EXIT_USAGE, "cannot read '-': refusing to read a tar "
			    "from a terminal");

	raise_fd_limit();
	dir = layout_default_path(cli.cache);
	if (layout_open(&l, dir, LAYOUT_CREATE) == -1)
		die(EXIT_FAILURE, "%s", err_msg());	/* names the cache */
	for (i = 0; i < argc; i++)
		rc = exit_worst(rc, import_one(&l, argv[i], ref));
	layout_close(&l);
	free(dir);
	free(ref);
	out_close();
	return rc;
}
