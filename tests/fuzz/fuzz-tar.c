/* tests/fuzz/fuzz-tar.c - tar streams, any compression (lib/tarx) */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"
#include "tarx.h"

/* decompression can multiply the input: stop reading after this much */
#define MAX_OUT		(64u << 20)
#define MAX_ENTRIES	10000

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tarx t;
	struct tarx_entry e;
	struct buf b = BUF_INIT, clean = BUF_INIT;
	const void *p;
	size_t total = 0, n = 0;
	ssize_t r;
	int fd;

	fuzz_fd_mark();
	fd = fuzz_fd_of(data, size);
	if (tarx_open_fd(&t, fd, "fuzz") == 0) {
		while (total < MAX_OUT && n++ < MAX_ENTRIES &&
		    tarx_next(&t, &e) == 1) {
			/* names come out clean: cleaning them changes nothing */
			if (!e.path || tarx_clean_path(e.path, &clean) == -1 ||
			    strcmp(clean.data, e.path) != 0)
				abort();
			if (e.type == TARX_LINK && (!e.link ||
			    tarx_clean_path(e.link, &clean) == -1 ||
			    strcmp(clean.data, e.link) != 0))
				abort();
			if (e.type == TARX_LINK)
				continue;
			/* small entries whole (as index.json), others by block */
			if (n % 2 && e.size >= 0 && e.size < 65536) {
				if (tarx_read_all(&t, 65536, &b) == -1)
					break;
				total += b.len;
				continue;
			}
			while ((r = tarx_read(&t, &p)) > 0 && total < MAX_OUT)
				total += r;
			if (r < 0)
				break;
		}
		tarx_close(&t);
	}
	buf_release(&b);
	buf_release(&clean);
	close(fd);
	fuzz_fd_check();
	return 0;
}
