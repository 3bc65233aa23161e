/* tests/fuzz/fuzz.c - scratch directory, input copies, descriptor check */
#define _XOPEN_SOURCE 700	/* nftw() */
#include <sys/types.h>

#include <dirent.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

static char tmpdir[4096];
static int base_fds = -1;

char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p) == -1 ? -1 : 0;
}

void
fuzz_rm_rf(const char *path)
{
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) == -1 &&
	    access(path, F_OK) == 0) {
		perror(path);
		abort();
	}
}

static void
cleanup(void)
{
	if (tmpdir[0])
		fuzz_rm_rf(tmpdir);
}

const char *
fuzz_tmpdir(void)
{
	const char *t = getenv("TMPDIR");

	if (tmpdir[0])
		return tmpdir;
	snprintf(tmpdir, sizeof(tmpdir), "%s/ocikit-fuzz.XXXXXX",
	    t && *t ? t : "/tmp");
	if (!mkdtemp(tmpdir)) {
		perror(tmpdir);
		abort();
	}
	atexit(cleanup);
	return tmpdir;
}

int
fuzz_fd_of(const void *data, size_t size)
{
	char path[4200];
	int fd;

	snprintf(path, sizeof(path), "%s/input.XXXXXX", fuzz_tmpdir());
	if ((fd = mkstemp(path)) == -1 || unlink(path) == -1 ||
	    (size && write(fd, data, size) != (ssize_t)size) ||
	    lseek(fd, 0, SEEK_SET) != 0) {
		perror(path);
		abort();
	}
	return fd;
}

static int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

void
fuzz_fd_mark(void)
{
	base_fds = count_fds();
}

void
fuzz_fd_check(void)
{
	int n = count_fds();

	if (base_fds != -1 && n > base_fds) {
		fprintf(stderr, "fuzz: %d file descriptors leaked\n",
		    n - base_fds);
		abort();
	}
}
