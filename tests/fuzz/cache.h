/* tests/fuzz/cache.h - a fresh cache per input for the import harnesses */
#ifndef FUZZ_CACHE_H
#define FUZZ_CACHE_H

#include <stddef.h>

struct archive;

/*
 * Import the tar read from fd into an empty cache under the scratch
 * directory, check the result's shape, then remove the cache. Returns
 * import_tar()'s result.
 */
int	fuzz_import(int fd);

/* a tar being built in an unlinked scratch file: begin, add, then end */
struct archive *fuzz_tar_begin(int *fd);
void	fuzz_tar_add(struct archive *a, const char *name, const void *p,
	    size_t n);
void	fuzz_tar_symlink(struct archive *a, const char *name,
	    const char *target);
/*
 * Add the entry line describes (it is changed): a type letter (f a file
 * holding "x", d a directory, l a symbolic link, h a hard link, p a FIFO)
 * then the name, and for links a tab and the target. A name libarchive
 * cannot write is left out; -1 when libarchive gave up on the archive.
 */
int	fuzz_tar_line(struct archive *a, char *line);
/* finish the tar and rewind fd for reading */
void	fuzz_tar_end(struct archive *a, int fd);

#endif
