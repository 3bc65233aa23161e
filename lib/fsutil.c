/* lib/fsutil.c - the file plumbing every module needs the same way */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"

int
fs_read_fd(int fd, size_t max, struct buf *out, const char *what)
{
	char chunk[65536];
	ssize_t n;

	buf_reset(out);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return err_sys(errno, "cannot read %s", what);
		}
		if (out->len + n > max)
			return err_set(EFBIG, "%s: larger than %zu bytes", what,
			    max);
		buf_add(out, chunk, n);
	}
	buf_grow(out, 0);
	return 0;
}

int
fs_read_path(const char *path, size_t max, struct buf *out)
{
	char *what;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return err_sys(errno, "cannot open '%s'", path);
	what = xasprintf("'%s'", path);
	rc = fs_read_fd(fd, max, out, what);
	free(what);
	close(fd);
	return rc;
}

int
fs_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	ssize_t w;

	while (n > 0) {
		if ((w = write(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= w;
	}
	return 0;
}

int
fs_mkdir_p(const char *path)
{
	char *p = xstrdup(path), *s, c;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		c = *s;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST) {
			rc = err_sys(errno, "cannot create '%s'", p);
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	free(p);
	return rc;
}
