/* lib/buildyml.h - a package's build.yml, decoded strictly (libyaml)
 *
 * doc/linuxkit-compat.md §3: unknown and repeated keys are errors at every
 * depth, types are checked, the messages carry "file:line:". Defaults are
 * LinuxKit (current)'s. The config mapping is kept only as the JSON text
 * of the org.mobyproject.config label, serialised as LinuxKit does.
 */
#ifndef BUILDYML_H
#define BUILDYML_H

#include <stddef.h>

#include "strv.h"

struct buildyml {
	char		*file;		/* the path read: join(P, NAME) */
	char		*image;
	char		*org;
	char		*tag;		/* template; "" when not given */
	char		*dockerfile;
	char		*gitrepo;
	struct strv	 arches;
	struct strv	 extra_sources;	/* "src:dst" as written */
	struct strv	 build_args;	/* "K=V" as written */
	int		 network;
	int		 disable_cache;
	char		*config;	/* label JSON; NULL when config is absent */
	char		*dep_target;	/* "" when not set */
	char		*dep_target_dir;
	char		*dep_from_file;
	struct strv	 dep_list;	/* depends.docker-images.list */
	struct strv	 dep_images;	/* the list, or the lines of from-file */
};
#define BUILDYML_INIT { NULL, NULL, NULL, NULL, NULL, NULL, STRV_INIT, \
	STRV_INIT, STRV_INIT, 0, 0, NULL, NULL, NULL, NULL, STRV_INIT, \
	STRV_INIT }

/*
 * Load join(pkgdir, name) (pkgdir absolute and clean; name NULL means
 * "build.yml"), apply the defaults, decode strictly, require image and
 * validate depends.docker-images (§3.5, from-file read). 0, or -1 with
 * errno (ENOENT when the file does not exist) and a message that names
 * the file and, for decoding errors, the line.
 */
int	buildyml_load(struct buildyml *b, const char *pkgdir, const char *name);
/* decode a document held in memory; file names it in messages */
int	buildyml_parse(struct buildyml *b, const char *file, const char *text,
	    size_t len);
void	buildyml_release(struct buildyml *b);

#endif
