/* tools/pkg-tag.c - print LinuxKit package tags, or whole build plans */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "die.h"
#include "err.h"
#include "gittree.h"
#include "jsonio.h"
#include "pkg.h"
#include "ref.h"
#include "xalloc.h"

#define MAX_ARG_FILES	32

extern char **environ;

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: pkg-tag [--org ORG] [--hash H] [--hash-commit C] "
	    "[--hash-path DIR]\n"
	    "               [--tag TEMPLATE] [--dev] [--force-dirty] "
	    "[--canonical]\n"
	    "               [--build-yml NAME] [--build-arg-file F]... "
	    "[--json] [-qv] PKGDIR ...\n");
	exit(status);
}

enum {
	OPT_ORG = 256, OPT_HASH, OPT_HASH_COMMIT, OPT_HASH_PATH, OPT_TAG,
	OPT_DEV, OPT_FORCE_DIRTY, OPT_CANONICAL, OPT_BUILD_YML, OPT_JSON,
	OPT_ARG_FILE
};

static const struct option longopts[] = {
	{ "org", required_argument, NULL, OPT_ORG },
	{ "hash", required_argument, NULL, OPT_HASH },
	{ "hash-commit", required_argument, NULL, OPT_HASH_COMMIT },
	{ "hash-path", required_argument, NULL, OPT_HASH_PATH },
	{ "tag", required_argument, NULL, OPT_TAG },
	{ "dev", no_argument, NULL, OPT_DEV },
	{ "force-dirty", no_argument, NULL, OPT_FORCE_DIRTY },
	{ "canonical", no_argument, NULL, OPT_CANONICAL },
	{ "build-yml", required_argument, NULL, OPT_BUILD_YML },
	{ "build-arg-file", required_argument, NULL, OPT_ARG_FILE },
	{ "json", no_argument, NULL, OPT_JSON },
	CLI_LONG_COMMON,
	{ NULL, 0, NULL, 0 }
};

static int
one(struct gitcache *gc, const char *dir, const struct pkg_opts *o,
    int canonical, int as_json)
{
	struct stat st;
	struct pkg p;
	struct buf b = BUF_INIT;
	json_t *plan = NULL;
	char *full = NULL;
	int rc = EXIT_FAILURE;

	if (pkg_load(&p, gc, dir, o) == -1) {
		rc = exit_for_err();
		/* -q: an expected "not found" is said by the status alone */
		if (rc != EXIT_NOTFOUND || verbosity >= 0)
			warnmsg_err("cannot resolve package '%s'", dir);
		return rc;
	}
	full = ref_canonical(p.ref, 0);
	if (canonical && !full && !as_json) {
		warnmsg_err("cannot canonicalise '%s' of package '%s'",
		    p.ref, dir);
		goto out;
	}
	if (as_json) {
		if (pkg_plan(&p, gc, environ, full, &plan) == -1) {
			warnmsg_err("cannot plan package '%s'", dir);
			goto out;
		}
		jsonio_dump(plan, &b);
		buf_adds(&b, "\n");
	} else
		buf_addf(&b, "%s\n", canonical ? full : p.ref);
	fwrite(b.data, 1, b.len, stdout);
	if (fstat(fileno(stdout), &st) == -1 || !S_ISREG(st.st_mode))
		fflush(stdout);
	rc = EXIT_SUCCESS;
out:
	json_decref(plan);
	buf_release(&b);
	free(full);
	pkg_release(&p);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct pkg_opts o = PKG_OPTS_INIT;
	const char *arg_files[MAX_ARG_FILES + 1] = { NULL };
	struct cli cli = CLI_INIT;
	struct gitcache gc;
	size_t nfiles = 0;
	int ch, i, canonical = 0, as_json = 0, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, CLI_SHORT_COMMON, longopts,
	    NULL)) != -1) {
		switch (ch) {
		case OPT_ORG:		o.org = optarg; break;
		case OPT_HASH:		o.hash = optarg; break;
		case OPT_HASH_COMMIT:	o.hash_commit = optarg; break;
		case OPT_HASH_PATH:	o.hash_path = optarg; break;
		case OPT_TAG:		o.tag = optarg; break;
		case OPT_DEV:		o.dev = 1; break;
		case OPT_FORCE_DIRTY:	o.force_dirty = 1; break;
		case OPT_CANONICAL:	canonical = 1; break;
		case OPT_BUILD_YML:	o.build_yml = optarg; break;
		case OPT_ARG_FILE:
			if (nfiles == MAX_ARG_FILES)
				die(EXIT_USAGE, "cannot use --build-arg-file "
				    "'%s': more than %d files", optarg,
				    MAX_ARG_FILES);
			arg_files[nfiles++] = optarg;
			break;
		case OPT_JSON:		as_json = 1; break;
		default:
			if ((ch = cli_opt(&cli, ch, optarg)) != 0)
				usage(ch == 1 ? EXIT_SUCCESS : EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage(EXIT_USAGE);
	o.arg_files = arg_files;
	o.env_org = getenv("LINUXKIT_PKG_ORG");
	o.user = getenv("USER");

	gitcache_init(&gc);
	for (i = 0; i < argc; i++)
		rc = exit_worst(rc, one(&gc, argv[i], &o, canonical, as_json));
	gitcache_release(&gc);
	out_close();
	return rc;
}
