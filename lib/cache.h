/* lib/cache.h - what names reach: listing, removal, checking the cache
 *
 * A blob is reached from a root entry of index.json when it is the root
 * blob or is named from it through indexes (their entries) and manifests
 * (their config and layers). One bounded walk serves every tool: oci-ls
 * sums what a name reaches, oci-rm deletes what only the removed names
 * reached, oci-index-merge drops the index it replaced, oci-fsck finds
 * missing, corrupt and unreachable blobs, and writers check under the
 * lock that a name resolves before they record it.
 *
 * A pull stores only the platforms asked for (oci-fetch(1)), so an index
 * entry with a real platform may be absent from blobs/: that blob is
 * optional. Every other blob a present index or manifest names is
 * required, except foreign layers, which are never fetched.
 */
#ifndef CACHE_H
#define CACHE_H

#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "digest.h"
#include "layout.h"
#include "xalloc.h"

#define REACH_MAX_DEPTH	8		/* index -> index -> ... -> manifest */
#define REACH_MAX_KIDS	10000		/* entries of one index or manifest */
#define REACH_MAX_BLOBS	(1u << 22)	/* distinct blobs one walk keeps */

/* the temporary area: partial and quarantined files (ocikit(7)) */
#define CACHE_TMP	"tmp"
/* a temporary or unnamed blob younger than this may be a running tool's */
#define CACHE_GRACE	3600

enum {
	REACH_REQUIRED	= 0x01,	/* its absence makes a name incomplete */
	REACH_PRESENT	= 0x02,	/* a regular file in blobs/ */
	REACH_BAD	= 0x04,	/* an index or manifest that cannot be read */
	REACH_LOADED	= 0x08,	/* kids (or why) is set */
	REACH_A		= 0x10,	/* colours, for two sets of roots at once */
	REACH_B		= 0x20,
	REACH_CORRUPT	= 0x40	/* oci-fsck: its content does not match */
};

struct reach_blob {
	char	 digest[DIGEST_MAX];
	char	*media_type;
	int64_t	 size;		/* the descriptor's */
	int64_t	 have;		/* the file's, when present */
	unsigned flags;
	unsigned gen;		/* the walk that last came here */
	json_t	*kids;		/* children of an index or manifest */
	char	*why;		/* REACH_BAD: why it cannot be read */
	size_t	*roots;		/* with track: the roots reaching it */
	size_t	 nroots;
};

struct reach {
	struct layout	 *l;
	struct reach_blob **tab;	/* open addressing on the digest */
	size_t		  cap, n;
	struct reach_blob **last;	/* the blobs the last walk came to */
	size_t		  nlast, caplast;
	unsigned	  gen;
	unsigned	  incomplete;	/* colours whose walks met REACH_BAD */
	int		  track;
	struct buf	  scratch;
};

void	reach_init(struct reach *r, struct layout *l, int track);
void	reach_release(struct reach *r);
/*
 * Walk one root descriptor, marking what it reaches with colour; root
 * is its number for track. -1 when desc is not a valid descriptor or a
 * cap is exceeded.
 */
int	reach_walk(struct reach *r, const json_t *desc, unsigned colour,
	    size_t root);
struct reach_blob *reach_get(const struct reach *r, const char *digest);
/* the first required blob the last walk found absent, or NULL */
struct reach_blob *reach_last_missing(const struct reach *r);

/*
 * layout_set_refs(), after checking under the lock that every blob each
 * descriptor requires is present: a name never points at blobs that an
 * oci-rm removed while the writer was fetching or reading its input.
 */
int	cache_set_refs(struct layout *l, size_t n, const char *const *names,
	    json_t *const *descs);
/*
 * Remove a blob (the index a merge replaced) unless a name still reaches
 * it or a manifest that might reach it cannot be read. Under the lock.
 */
int	cache_drop_unreachable(struct layout *l, const char *digest);

/* ---- oci-ls ---- */

struct cache_item {
	char	*name;		/* canonical; NULL for an unnamed entry */
	char	*arg;		/* the operand, when names were given */
	json_t	*desc;		/* the root entry; NULL when not found */
	int64_t	 bytes;		/* with sizes: the blobs present, each once */
	int	 complete;	/* with sizes: every required blob present */
	char	*platforms;	/* with sizes: "linux/amd64,linux/arm64" */
};

/*
 * The root entries of the names given (every name when n is 0), sorted
 * by name, unnamed entries last. The lock is held only while index.json
 * is read. With sizes, what each name reaches is walked too.
 */
int	cache_list(struct layout *l, size_t n, const char *const *names,
	    int sizes, struct cache_item **items, size_t *nitems);
void	cache_items_free(struct cache_item *items, size_t n);

/* ---- oci-rm ---- */

enum rm_status { RM_REMOVED, RM_NOTFOUND, RM_CHANGED, RM_BADNAME };

struct rm_item {
	const char	*arg;		/* the operand */
	char		*name;		/* the name removed (or looked for) */
	json_t		*desc;		/* RM_REMOVED: its root entry */
	enum rm_status	 status;
};

struct rm_result {
	struct rm_item	*items;
	size_t		 n;
	size_t		 blobs;		/* blobs deleted */
	int64_t		 bytes;
	int		 kept_all;	/* a name's manifest could not be read */
};

/*
 * Remove names and then the blobs no remaining name reaches
 * (doc/linuxkit-compat.md §9.8), under the lock:
 * index.json is replaced first, so a crash leaves names that resolve.
 * expect[i], when non-NULL, is the root digest names[i] must still
 * have (oci-rm --published-only); a name since changed is kept.
 */
int	cache_rm(struct layout *l, size_t n, const char *const *names,
	    const char *const *expect, struct rm_result *res);
/* every name and blob; the directory, oci-layout and .lock stay */
int	cache_clean(struct layout *l, struct rm_result *res);
void	rm_result_release(struct rm_result *res);

#endif
