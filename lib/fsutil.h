/* lib/fsutil.h - whole-file reads, full writes, mkdir -p */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <stddef.h>

#include "xalloc.h"

/*
 * Read all of fd (at most max bytes) into out, replacing its contents;
 * what names the file in messages. EFBIG past max.
 */
int	fs_read_fd(int fd, size_t max, struct buf *out, const char *what);
/* the same for a path, opened and closed here */
int	fs_read_path(const char *path, size_t max, struct buf *out);
/* write all n bytes, retrying short writes and EINTR; -1 with errno */
int	fs_write_all(int fd, const void *p, size_t n);
/* create path and its missing parents, mode 0755 */
int	fs_mkdir_p(const char *path);

#endif
