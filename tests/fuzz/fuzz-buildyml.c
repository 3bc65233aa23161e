/* tests/fuzz/fuzz-buildyml.c - a package's build.yml (lib/buildyml)
 *
 * The input is written to <scratch>/pkg/build.yml and loaded as a package
 * would be, so depends.docker-images (from-file inside the package) is
 * checked too. Run with a bounded -max_len: see tests/fuzz/run.sh.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "buildyml.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char pkg[4200], file[4300];
	struct buildyml b;
	int fd;

	if (!pkg[0]) {
		snprintf(pkg, sizeof(pkg), "%s/pkg", fuzz_tmpdir());
		snprintf(file, sizeof(file), "%s/build.yml", pkg);
		if (mkdir(pkg, 0755) == -1)
			abort();
	}
	fuzz_fd_mark();
	if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1 ||
	    (size && write(fd, data, size) != (ssize_t)size) || close(fd))
		abort();
	if (buildyml_load(&b, pkg, NULL) == 0) {
		if (!b.image)
			abort();
		buildyml_release(&b);
	}
	fuzz_fd_check();
	return 0;
}
