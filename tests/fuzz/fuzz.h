/* tests/fuzz/fuzz.h - what the libFuzzer harnesses share
 *
 * Each harness is one LLVMFuzzerTestOneInput() calling the library
 * directly. These helpers give it a NUL-terminated copy of the input, a
 * per-process scratch directory (removed at exit; `make fuzz` also points
 * TMPDIR at a directory of its own and removes it) and a check that an
 * input left no file descriptor open (ASan's leak check sees only memory).
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* a malloc'd copy of data with a NUL after it */
char	*fuzz_cstr(const uint8_t *data, size_t size);
/* the process's scratch directory, made on first use */
const char *fuzz_tmpdir(void);
/* remove path and everything under it; aborts when it cannot */
void	fuzz_rm_rf(const char *path);
/* an unlinked file in the scratch directory holding data, at offset 0 */
int	fuzz_fd_of(const void *data, size_t size);
/*
 * Count the open descriptors at the start of an input, then abort() if
 * more are open at its end. (Per input: libFuzzer itself opens pipes to
 * its symbolizer between inputs.)
 */
void	fuzz_fd_mark(void);
void	fuzz_fd_check(void);

#endif
