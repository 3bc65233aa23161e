/* lib/fsutil.h - whole-file reads, full writes, mkdir -p, atomic replacement */
#ifndef FSUTIL_H
#define FSUTIL_H

#include <stddef.h>
#include <sys/types.h>

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
/*
 * Have a helper thread start writing fd's bytes off..off+n to disk
 * (sync_file_range), or with n 0 make fd's data durable (fdatasync), so
 * that the fsync which must come before a file is named finds little
 * left to wait for, and the thread that writes never waits for the disk.
 * The helper works on a duplicate of fd: fd may be closed at once. Best
 * effort and bounded: when the helper is FS_WRITEBACK_QUEUE requests
 * behind, or has no thread, the request is dropped, and the caller's own
 * fsync does that work later. Never a substitute for that fsync.
 */
#define FS_WRITEBACK_QUEUE	16
void	fs_writeback(int fd, off_t off, off_t n);
/* create path and its missing parents, mode 0755 */
int	fs_mkdir_p(const char *path);

/*
 * Writing a file whole or not at all: fs_replace_open() creates an
 * unnamed (O_TMPFILE) or else a temporary file beside path,
 * fs_replace_commit() syncs it, names it and renames it over path,
 * fs_replace_abort() removes it. A reader never sees a half
 * written path, and a failed writer leaves path as it was. A path that is
 * a device, FIFO or socket is opened and written in place instead.
 */
struct fs_replace {
	int	 fd;
	char	*tmp;
	char	*path;
	int	 anon;		/* an O_TMPFILE file: no name until commit */
};
#define FS_REPLACE_INIT { -1, NULL, NULL, 0 }

int	fs_replace_open(struct fs_replace *r, const char *path);
int	fs_replace_commit(struct fs_replace *r);
void	fs_replace_abort(struct fs_replace *r);

#endif
