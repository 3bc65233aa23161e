/* lib/pkg.h - a LinuxKit package: its tag and its build plan
 *
 * doc/linuxkit-compat.md §4 (tag: org, hash, dirty suffix, extra sources,
 * template) and §6 (build args, labels). pkg_load() resolves one package
 * directory exactly as `linuxkit pkg show-tag` does; pkg_plan() adds the
 * facts a build needs, as one JSON object.
 */
#ifndef PKG_H
#define PKG_H

#include <jansson.h>

#include "buildyml.h"
#include "gittree.h"

struct pkg_opts {
	const char	*org;		/* --org; NULL when not given ("" counts) */
	const char	*env_org;	/* $LINUXKIT_PKG_ORG; used when non-empty */
	const char	*user;		/* $USER, for --dev */
	const char	*hash;		/* --hash; NULL or "" when not given */
	const char	*hash_commit;	/* --hash-commit; NULL means HEAD */
	const char	*hash_path;	/* --hash-path; NULL means the package */
	const char	*tag;		/* --tag template; NULL or "" when not given */
	const char	*build_yml;	/* --build-yml; NULL means build.yml */
	int		 dev;		/* --dev */
	int		 force_dirty;	/* --force-dirty */
	const char *const *arg_files;	/* --build-arg-file, NULL-terminated */
};
#define PKG_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 0, NULL }

struct pkg_source {
	char	*src;			/* absolute, clean */
	char	*dst;			/* clean */
	char	 hash[GITTREE_HEXLEN + 1];
};

struct pkg {
	char			*path;		/* P: absolute, clean */
	char			*hash_path;	/* H */
	char			*commit;	/* C */
	struct buildyml		 y;
	char			*org;
	char			*hash;		/* with any dirty suffix */
	char			*tag;		/* the rendered tag ("latest" if empty) */
	char			*ref;		/* Tag(): org/image:tag */
	int			 dirty;
	int			 in_git;
	char			 revision[GITTREE_HEXLEN + 1];	/* HEAD; "" outside git */
	char			*gopkgversion;	/* NULL outside git */
	struct pkg_source	*src;
	size_t			 nsrc;
	const char *const	*arg_files;	/* borrowed from the options */
};

/*
 * Resolve the package in dir. 0, or -1 with a message naming the problem:
 * errno ENOENT only when the package directory does not exist, EINVAL
 * (or EIO for git failures) for everything else.
 */
int	pkg_load(struct pkg *p, struct gitcache *gc, const char *dir,
	    const struct pkg_opts *o);
void	pkg_release(struct pkg *p);

/*
 * Split an extra source "src:dst" (§4.4): src cleaned and joined to
 * pkgdir when relative, dst cleaned. Callers free both.
 */
int	pkg_parse_source(const char *pkgdir, const char *entry, char **src,
	    char **dst);

/*
 * The one check of an extra source, for every tool that reads one (the
 * tag and the build context must agree on what a package may name):
 * entry parsed as pkg_parse_source() does; its destination inside the
 * context; its source inside a git work tree, reached without a symbolic
 * link and not in .git, with an entry in rev's tree (its hash in
 * s->hash). A source outside git (/etc, say) is refused. The caller frees
 * s->src and s->dst.
 */
int	pkg_source_check(struct gitcache *gc, const char *pkgdir,
	    const char *entry, const char *rev, struct pkg_source *s);

/*
 * The one check of a package's Dockerfile, for the plan (pkg-tag --json)
 * and the build context: a regular file inside pkgdir, reached without a
 * symbolic link, named by a relative path without "..". With missing_ok
 * (the plan: a tag needs no Dockerfile) only one that is absent passes.
 */
int	pkg_dockerfile_check(const char *pkgdir, const char *dockerfile,
	    int missing_ok);

/*
 * Render a tag template (§4.10): only {{.Hash}} (spaces allowed inside
 * the braces) is an action. Caller frees *out.
 */
int	pkg_render_tag(const char *tmpl, const char *hash, char **out);

/*
 * The build args in LinuxKit's order (§6.1-§6.5), as a JSON object whose
 * keys keep that order: build.yml buildArgs with @lkt: values resolved,
 * then the lines of each build-arg file (§6.1 step 2), then SOURCE, REVISION, GOPKGVERSION, PKG_HASH, PKG_IMAGE, then proxy
 * variables from env (a NULL-terminated environ), each only when absent.
 * yml_args (may be NULL) receives the build.yml args alone, resolved.
 */
int	pkg_build_args(struct pkg *p, struct gitcache *gc, char *const *env,
	    json_t **out, json_t **yml_args);
/* the labels of §6.6 that come from the package (source, revision, config) */
json_t	*pkg_labels(const struct pkg *p);

/*
 * Everything a build needs, one object (field names in pkg-tag(1)).
 * canonical is FullTag, or NULL when Tag() is not a valid reference.
 */
int	pkg_plan(struct pkg *p, struct gitcache *gc, char *const *env,
	    const char *canonical, json_t **out);

#endif
