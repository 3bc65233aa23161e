/* tests/fuzz/fuzz-tar-names.c - entry names and link targets (lib/tarx)
 *
 * A raw tar rarely survives mutation (every header has a checksum), so
 * here the input describes the entries and the tar is written for it:
 * one per line, a type letter (f file, d directory, l symbolic link,
 * h hard link, p FIFO) then the name, and for links a tab and the target.
 * What tarx returns must be clean and inside the archive.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cache.h"
#include "fuzz.h"
#include "tarx.h"

#define MAX_ENTRIES	64

/* -1 when libarchive gave up on the archive */
static int
add(struct archive *a, char *line)
{
	struct archive_entry *e;
	char type = *line, *target;
	int r;

	if (!*line++)
		return 0;
	if ((target = strchr(line, '\t')))
		*target++ = '\0';
	if (!*line)
		return 0;
	e = archive_entry_new();
	archive_entry_set_pathname(e, line);
	archive_entry_set_perm(e, 0644);
	switch (type) {
	case 'd':
		archive_entry_set_filetype(e, AE_IFDIR);
		break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target ? target : "");
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_hardlink(e, target ? target : "");
		break;
	case 'p':
		archive_entry_set_filetype(e, AE_IFIFO);
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, 1);
		break;
	}
	/* a name libarchive cannot write is simply not in the tar */
	if ((r = archive_write_header(a, e)) == ARCHIVE_OK &&
	    archive_entry_filetype(e) == AE_IFREG && !archive_entry_hardlink(e))
		archive_write_data(a, "x", 1);
	archive_entry_free(e);
	return r == ARCHIVE_FATAL ? -1 : 0;
}

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
		dead = add(a, line) == -1;
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
