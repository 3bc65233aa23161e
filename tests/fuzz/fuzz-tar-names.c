/* tests/fuzz/fuzz-tar-names.c - entry names and link targets (lib/tarx)
 *
 * A raw tar rarely survives mutation (every header has a checksum), so
 * here the input describes the entries, one per line (fuzz_tar_line()),
 * and the tar is written for it. What tarx returns must be clean and
 * inside the archive.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>

#include "cache.h"
#include "fuzz.h"
#include "tarx.h"

#define MAX_ENTRIES	64

static int
clean(const char *s, struct buf *b)
{
	return s && tarx_clean_path(s, b) == 0 && strcmp(b->data, s) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), *line, *nl;
	struct buf b = BUF_INIT;
	struct archive *a;
	struct tarx t;
	struct tarx_entry e;
	int fd, n = 0, dead = 0;

	fuzz_fd_mark();
	a = fuzz_tar_begin(&fd);
	for (line = s; line && !dead && n++ < MAX_ENTRIES; line = nl) {
		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		dead = fuzz_tar_line(a, line) == -1;
	}
	if (dead) {
		archive_write_free(a);
	} else {
		fuzz_tar_end(a, fd);
	}
	if (!dead && tarx_open_fd(&t, fd, "fuzz") == 0) {
		while (tarx_next(&t, &e) == 1) {
			if (!clean(e.path, &b) ||
			    (e.type == TARX_LINK && !clean(e.link, &b)))
				abort();
			if (e.type == TARX_FILE && tarx_read_all(&t, 16, &b) == -1)
				break;
		}
		tarx_close(&t);
	}
	close(fd);
	buf_release(&b);
	free(s);
	fuzz_fd_check();
	return 0;
}
