/* tests/fuzz/fuzz-import.c - a whole tar into an empty cache (lib/import)
 *
 * The seeds are OCI layout tars and docker save tarballs; the import runs
 * into a throw-away cache under the scratch directory.
 */
#include <unistd.h>

#include "cache.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fd;

	fuzz_fd_mark();
	fd = fuzz_fd_of(data, size);
	(void)fuzz_import(fd);
	close(fd);
	fuzz_fd_check();
	return 0;
}
