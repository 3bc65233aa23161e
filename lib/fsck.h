/* lib/fsck.h - check the cache: every blob re-hashed, every name walked
 *
 * Problems, one record each (oci-fsck(1) gives their shape): corrupt
 * blobs (content not matching the name), missing blobs a name requires,
 * malformed manifests and root entries, unreachable blobs, stray
 * temporary files. Unreachable blobs and temporaries younger than
 * CACHE_GRACE are left alone and not reported: a running oci-import or
 * oci-fetch writes blobs before it names them.
 */
#ifndef FSCK_H
#define FSCK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "layout.h"

struct fsck_problem {
	json_t	*rec;		/* the record for stdout */
	char	*msg;		/* the line for stderr */
	int	 fixed;		/* the action taken removed the problem */
};

struct fsck_result {
	struct fsck_problem *p;
	size_t	 n;
	size_t	 nblobs;	/* blob files hashed */
	int64_t	 bytes;
	size_t	 young;		/* unnamed blobs and temporaries left alone */
	size_t	 remaining;	/* problems still there after the run */
};

#define FSCK_REPAIR	0x1	/* move corrupt blobs into the temporary area */
#define FSCK_GC		0x2	/* delete unreachable blobs, stale temporaries */

/*
 * Check the cache with threads hashing in parallel (0: one per core).
 * The lock is held while index.json is walked and the files listed, and
 * for the whole run with FSCK_REPAIR or FSCK_GC. -1 only when the check
 * itself cannot run; what it finds is in res.
 */
int	fsck_run(struct layout *l, int flags, int threads,
	    struct fsck_result *res);
void	fsck_result_release(struct fsck_result *res);

#endif
