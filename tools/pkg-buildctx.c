/* tools/pkg-buildctx.c - write a package's build context as a tar on stdout */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buildctx.h"
#include "buildyml.h"
#include "die.h"
#include "dockersave.h"
#include "err.h"
#include "layout.h"
#include "pkg.h"
#include "platform.h"
#include "pull.h"
#include "ref.h"
#include "xalloc.h"

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: pkg-buildctx [-C|--cache DIR] [--build-yml NAME] "
	    "[-p|--platform OS/ARCH]\n"
	    "                    [--reproducible] PKGDIR\n");
	exit(status);
}

enum { OPT_BUILD_YML = 256, OPT_REPRODUCIBLE };

static const struct option longopts[] = {
	{ "cache", required_argument, NULL, 'C' },
	{ "build-yml", required_argument, NULL, OPT_BUILD_YML },
	{ "platform", required_argument, NULL, 'p' },
	{ "reproducible", no_argument, NULL, OPT_REPRODUCIBLE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/*
 * Fetch ref into the cache for plat, in process: 0, or -1 with a message
 * (ENOENT when the registry does not have it). The puller opens the cache
 * itself; no lock of ours is held meanwhile, so its closing the lock file
 * drops nothing of ours.
 */
static int
fetch(const char *cachedir, const struct platform *plat, const char *ref)
{
	struct pull_opts o = { .tool = "pkg-buildctx", .cache = cachedir,
	    .nplat = 1, .log = msglog };
	struct pull_result res = PULL_RESULT_INIT;
	struct puller *pl;
	char *name;
	int rc;

	if ((name = ref_canonical(ref, 1)) == NULL)
		return -1;
	o.plats[0] = *plat;
	pl = puller_new(&o);
	rc = puller_run(pl, PULL_FETCH, name, &res);
	pull_result_release(&res);
	puller_free(pl);
	free(name);
	return rc;
}
/* one docker save tarball, held in an unlinked temporary file */
struct dep_tar {
	char	*name;		/* the archive name */
	FILE	*f;
	off_t	 size;
};

static const char *
basename_of(const char *ref)
{
	const char *slash, *end;
	static char out[256];
	size_t n;

	/* the last path component of the repository: no tag, no digest */
	end = strchr(ref, '@');
	end = end ? end : ref + strlen(ref);
	for (slash = end; slash > ref && slash[-1] != '/'; slash--)
		;
	n = end - slash;
	snprintf(out, sizeof(out), "%.*s", (int)n, slash);
	if ((slash = strchr(out, ':')))
		out[slash - out] = '\0';
	return out;
}

static int
save_to_tmp(struct layout *l, struct dockersave_image *imgs, size_t n,
    const char *name, struct dep_tar *t)
{
	struct stat st;

	t->name = xstrdup(name);
	if (!(t->f = tmpfile()))
		return err_sys(errno, "cannot create a temporary file");
	if (dockersave_write(l, imgs, n, fileno(t->f)) == -1)
		return -1;
	if (fstat(fileno(t->f), &st) == -1 ||
	    lseek(fileno(t->f), 0, SEEK_SET) == -1)
		return err_sys(errno, "cannot read back a temporary file");
	t->size = st.st_size;
	return 0;
}

/* a depends path relative to the package, refused if it climbs out */
static char *
dep_rel(const char *pkgdir, const char *v)
{
	char *j = buildyml_join_path(pkgdir, v), *r;
	size_t n = strlen(pkgdir);

	if (strncmp(j, pkgdir, n) != 0 || j[n] != '/') {
		free(j);
		return NULL;
	}
	r = xstrdup(j + n + 1);
	free(j);
	return r;
}

int
main(int argc, char *argv[])
{
	struct buildyml y = BUILDYML_INIT;
	struct layout l = LAYOUT_INIT;
	struct buildctx c = BUILDCTX_INIT;
	struct platform plat;
	struct gitcache gc;
	struct dockersave_image *imgs = NULL;
	struct dep_tar *tars = NULL;
	struct stat st;
	const char *cache_opt = NULL, *yml = NULL, *sde, *skip[2] = { NULL, NULL };
	char *pkgdir = NULL, *cachedir = NULL, *rel = NULL, *df, *src, *dst;
	char cwd[4096], *name;
	size_t i, nimg = 0, ntar = 0;
	int ch, reproducible = 0, rc = EXIT_FAILURE, opened = 0;
	long long epoch = 0;

	die_init(argv[0]);
	platform_host(&plat);
	while ((ch = getopt_long(argc, argv, "C:hp:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'C':		cache_opt = optarg; break;
		case OPT_BUILD_YML:	yml = optarg; break;
		case 'p':
			if (platform_parse(&plat, optarg) == -1)
				die_err(EXIT_USAGE, "invalid platform '%s'",
				    optarg);
			break;
		case OPT_REPRODUCIBLE:	reproducible = 1; break;
		case 'h':		usage(EXIT_SUCCESS); break;
		default:		usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage(EXIT_USAGE);
	if ((sde = getenv("SOURCE_DATE_EPOCH")) && *sde) {
		char *end;

		errno = 0;
		epoch = strtoll(sde, &end, 10);
		if (*end || errno || epoch < 0)
			die(EXIT_FAILURE, "invalid SOURCE_DATE_EPOCH '%s'", sde);
		reproducible = 1;
	}
	if (isatty(STDOUT_FILENO))
		die(EXIT_USAGE, "refusing to write a tar to a terminal");

	if (*argv[0] == '/')
		pkgdir = buildyml_clean_path(argv[0]);
	else if (getcwd(cwd, sizeof(cwd)))
		pkgdir = buildyml_join_path(cwd, argv[0]);
	else
		die(EXIT_FAILURE, "cannot find the current directory");
	if (stat(pkgdir, &st) == -1) {
		rc = errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAILURE;
		warnmsg("cannot open package directory '%s': %s", argv[0],
		    strerror(errno));
		goto out;
	}
	if (!S_ISDIR(st.st_mode)) {
		warnmsg("cannot open package directory '%s': not a directory",
		    argv[0]);
		goto out;
	}
	if (buildyml_load(&y, pkgdir, yml) == -1) {
		warnmsg_err("cannot load package '%s'", argv[0]);
		goto out;
	}

	/* §7.4: the Dockerfile lives in the package */
	if (strstr(y.dockerfile, "..")) {
		warnmsg("cannot expand beyond root of context for dockerfile "
		    "'%s' of package '%s'", y.dockerfile, argv[0]);
		goto out;
	}
	df = buildyml_join_path(pkgdir, y.dockerfile);
	if (lstat(df, &st) == -1) {
		warnmsg("dockerfile '%s' does not exist or cannot be read in "
		    "context '%s'", y.dockerfile, pkgdir);
		free(df);
		goto out;
	}
	free(df);

	/* extra sources: checked as pkg-tag checks them, before any output */
	gitcache_init(&gc);
	for (i = 0; i < y.extra_sources.n; i++) {
		struct pkg_source s;
		int r;

		if (pkg_source_check(&gc, pkgdir, y.extra_sources.v[i], "HEAD",
		    &s) == -1) {
			warnmsg_err("cannot use extra source '%s' of package "
			    "'%s'", y.extra_sources.v[i], argv[0]);
			gitcache_release(&gc);
			goto out;
		}
		name = s.dst + (*s.dst == '/');
		if (!*name)
			name = ".";
		if ((r = lstat(s.src, &st)) == 0 && !S_ISDIR(st.st_mode) &&
		    !strcmp(name, "."))
			r = -2;
		if (r == -2)
			warnmsg("extra source '%s' of package '%s' is a file "
			    "and needs a file name as destination",
			    y.extra_sources.v[i], argv[0]);
		else if (r == -1)
			warnmsg("cannot read extra source '%s' of package "
			    "'%s': %s", s.src, argv[0], strerror(errno));
		free(s.src);
		free(s.dst);
		if (r != 0) {
			gitcache_release(&gc);
			goto out;
		}
	}
	gitcache_release(&gc);

	/* §7.5: depends.docker-images from the cache, saved before streaming */
	if (y.dep_images.n) {
		const char *t = *y.dep_target ? y.dep_target : y.dep_target_dir;

		if (!*t) {
			warnmsg("package '%s' lists depends.docker-images "
			    "without target or target-dir", argv[0]);
			goto out;
		}
		if (!(rel = dep_rel(pkgdir, t))) {
			warnmsg("depends target '%s' of package '%s' escapes "
			    "the package", t, argv[0]);
			goto out;
		}
		skip[0] = rel;
		cachedir = layout_default_path(cache_opt);
		imgs = xcalloc(y.dep_images.n, sizeof(*imgs));
		for (nimg = 0; nimg < y.dep_images.n; nimg++) {
			const char *ref = y.dep_images.v[nimg];
			int r, tries;

			for (tries = 0;; tries++) {
				if (!opened && layout_open(&l, cachedir, 0) == 0)
					opened = 1;
				r = opened ? dockersave_resolve(&l, ref, &plat,
				    &imgs[nimg]) : -1;
				if (r == 0 || errno != ENOENT || tries)
					break;
				/* not in the cache: fetch it, then look again */
				if (fetch(cachedir, &plat, ref) == -1) {
					rc = exit_for_err();
					warnmsg_err("image '%s' of package '%s' "
					    "is not in the cache '%s' and cannot "
					    "be fetched", ref, argv[0], cachedir);
					goto out;
				}
				errno = ENOENT;
			}
			if (r == -1) {
				rc = exit_for_err();
				warnmsg_err("cannot use image '%s' of package "
				    "'%s'", ref, argv[0]);
				goto out;
			}
		}
		tars = xcalloc(nimg, sizeof(*tars));
		if (*y.dep_target) {
			if (save_to_tmp(&l, imgs, nimg, rel, &tars[ntar++]) == -1)
				goto save_fail;
		} else {
			for (i = 0; i < nimg; i++) {
				const char *at = strrchr(imgs[i].ref, '@');

				name = xasprintf("%s/%s%s.tar", rel,
				    basename_of(imgs[i].ref), at);
				fprintf(stderr, "Adding \"%s%s\" as dependency\n",
				    basename_of(imgs[i].ref), at);
				if (save_to_tmp(&l, &imgs[i], 1, name,
				    &tars[ntar++]) == -1) {
					free(name);
					goto save_fail;
				}
				free(name);
			}
		}
	}

	/* the stream: P, then the depends, then the extra sources */
	if (buildctx_open(&c, STDOUT_FILENO, reproducible, epoch) == -1 ||
	    buildctx_add_tree(&c, pkgdir, ".", skip) == -1)
		goto stream_fail;
	if (*y.dep_target_dir && y.dep_images.n &&
	    buildctx_add_dir(&c, rel) == -1)
		goto stream_fail;
	for (i = 0; i < ntar; i++)
		if (buildctx_add_fd(&c, tars[i].name, fileno(tars[i].f),
		    tars[i].size) == -1)
			goto stream_fail;
	for (i = 0; i < y.extra_sources.n; i++) {
		int r;

		pkg_parse_source(pkgdir, y.extra_sources.v[i], &src, &dst);
		name = *dst == '/' ? dst + 1 : dst;
		r = buildctx_add_tree(&c, src, *name ? name : ".", NULL);
		free(src);
		free(dst);
		if (r == -1)
			goto stream_fail;
	}
	if (buildctx_close(&c) == -1)
		goto stream_fail;
	rc = EXIT_SUCCESS;
	goto out;

save_fail:
	warnmsg_err("cannot save the images of package '%s'", argv[0]);
	goto out;
stream_fail:
	warnmsg_err("cannot write the context of package '%s'", argv[0]);
	buildctx_abort(&c);
out:
	for (i = 0; i < ntar; i++) {
		if (tars[i].f)
			fclose(tars[i].f);
		free(tars[i].name);
	}
	free(tars);
	for (i = 0; i < nimg; i++)
		dockersave_image_release(&imgs[i]);
	free(imgs);
	if (opened)
		layout_close(&l);
	if (y.file)
		buildyml_release(&y);
	free(cachedir);
	free(rel);
	free(pkgdir);
	return rc;
}
