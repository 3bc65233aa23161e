/* lib/gittree.h - the git facts of a package, read in process with libgit2
 *
 * doc/linuxkit-compat.md §4.2-§4.6 and §6.3: the committed tree hash of a
 * path at a revision, whether a path is dirty against HEAD (index, work
 * tree, untracked files that are not ignored), the content hash that
 * makes the "-dirty-<7 hex>" suffix, HEAD's id and GOPKGVERSION.
 * Nothing here runs git or writes to the repository.
 */
#ifndef GITTREE_H
#define GITTREE_H

#include <stddef.h>

struct gittree;			/* one open repository (private) */

/* Repositories opened so far, shared by every lookup of one run. */
struct gitcache {
	struct gittree	**v;
	size_t		  n;
};
#define GITCACHE_INIT { NULL, 0 }

#define GITTREE_HEXLEN	40	/* a SHA-1 object id in hex */

void	gitcache_init(struct gitcache *c);
void	gitcache_release(struct gitcache *c);

/*
 * The repository whose work tree holds the absolute, clean path, and
 * path relative to its top ("" for the top itself; caller frees).
 * -1 with ENOENT when path is not inside a work tree (outside any
 * repository, or in a bare one). As git does, the search for the
 * repository stops below the directories in $GIT_CEILING_DIRECTORIES.
 * -1 with EINVAL when path lies in the
 * .git directory or reaches the work tree through a symbolic link.
 */
int	gittree_find(struct gitcache *c, const char *path, struct gittree **g,
	    char **rel);
/* the top of the work tree, without a trailing slash */
const char *gittree_workdir(const struct gittree *g);

/*
 * treeHash(rel, rev): the root tree of rev when rel is "", else the id of
 * the entry at rel in rev's tree. -1 with ENOENT when there is no entry.
 */
int	gittree_tree_hash(struct gittree *g, const char *rel, const char *rev,
	    char out[GITTREE_HEXLEN + 1]);

/*
 * isDirty for rev HEAD: 1 when the index or work tree differ from HEAD
 * under rel, or an untracked file that is not ignored exists there; 0
 * when clean; -1 on error.
 */
int	gittree_is_dirty(struct gittree *g, const char *rel);

/*
 * contentHash: sha256 over the bytes of the tracked, then untracked
 * non-ignored, regular files under rel (§4.6); out gets 64 hex digits.
 */
int	gittree_content_hash(struct gittree *g, const char *rel,
	    char out[65]);

/* HEAD's commit id */
int	gittree_head(struct gittree *g, char out[GITTREE_HEXLEN + 1]);

/* GOPKGVERSION (§6.3); caller frees */
int	gittree_gopkgversion(struct gittree *g, char **out);

#endif
