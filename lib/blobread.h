/* lib/blobread.h - reading a cached blob, verified as it is read
 *
 * A blob that has been in the cache for a while may have rotted. Whoever
 * streams one out anyway (an export, a context's depends images) hashes
 * the bytes as they pass, and the end of the stream is where the verdict
 * comes: blob_reader_read() returns 0 only once the size and digest
 * matched, and -1 naming the blob and the cache when they did not.
 * The bytes read count towards the progress line (lib/progress.h).
 */
#ifndef BLOBREAD_H
#define BLOBREAD_H

#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "layout.h"

struct blob_reader {
	struct layout	*l;
	int		 fd;
	struct digest	 d;
	char		 digest[DIGEST_MAX];
	int64_t		 size;		/* the descriptor's */
	int64_t		 done;		/* bytes read so far */
	int		 checked;	/* size and digest matched at the end */
};
#define BLOB_READER_INIT { NULL, -1, DIGEST_INIT, "", -1, 0, 0 }

/* open digest (of size bytes) in l; -1 "not found" when it is absent */
int	blob_reader_open(struct blob_reader *r, struct layout *l,
	    const char *digest, int64_t size);
/*
 * Up to n bytes into p: their count, 0 at the end once the blob checked
 * out, -1 when it is shorter, longer or other than its digest says.
 */
ssize_t	blob_reader_read(struct blob_reader *r, void *p, size_t n);
void	blob_reader_close(struct blob_reader *r);

#endif
