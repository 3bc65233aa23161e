/* tests/fuzz/cache.c - import into a throw-away cache; tars made in memory */
#include <sys/resource.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "cache.h"
#include "digest.h"
#include "err.h"
#include "fuzz.h"
#include "import.h"
#include "desc.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "tarx.h"

/* every blob a root reaches is in the cache, whole (the import's promise) */
static void
reached(struct layout *l, const json_t *d, int depth)
{
	struct manifest m;
	struct buf b = BUF_INIT;
	json_t *kids, *k;
	size_t i;

	if (depth > 16 || !layout_blob_has(l, desc_digest(d), desc_size(d))) {
		fprintf(stderr, "fuzz: imported '%s' is not in the cache\n",
		    desc_digest(d));
		abort();
	}
	if (manifest_kind(desc_media_type(d)) != MT_KIND_INDEX &&
	    manifest_kind(desc_media_type(d)) != MT_KIND_MANIFEST)
		return;
	if (layout_blob_read(l, desc_digest(d), JSONIO_MAX_DOC, &b) == -1 ||
	    manifest_parse(&m, b.data, b.len, NULL, desc_media_type(d),
	    "imported") == -1) {
		fprintf(stderr, "fuzz: imported: %s\n", err_msg());
		abort();
	}
	kids = manifest_children(&m);
	json_array_foreach(kids, i, k)
		reached(l, k, depth + 1);
	json_decref(kids);
	manifest_release(&m);
	buf_release(&b);
}

/*
 * The import has no cap of its own on a blob's size (layers are large),
 * and a small compressed input can expand a thousandfold: a file size
 * limit makes a write past it fail with EFBIG instead of filling the
 * scratch directory (memory, under /dev/shm).
 */
#define MAX_FILE	(256u << 20)

static void
limit_files(void)
{
	static int done;
	struct rlimit rl = { MAX_FILE, MAX_FILE };

	if (done++)
		return;
	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) == -1)
		abort();
}

int
fuzz_import(int fd)
{
	char dir[4200];
	struct layout l = LAYOUT_INIT;
	struct import_result res;
	size_t i;
	int rc;

	limit_files();
	snprintf(dir, sizeof(dir), "%s/cache", fuzz_tmpdir());
	if (layout_open(&l, dir, LAYOUT_CREATE) == -1) {
		fprintf(stderr, "fuzz: %s\n", err_msg());
		abort();
	}
	if ((rc = import_tar(&l, fd, "fuzz.tar", NULL, &res)) == 0) {
		for (i = 0; i < res.nroots; i++) {
			json_t *d = res.roots[i].desc;

			if (desc_check(d, "root") == -1)
				abort();
			reached(&l, d, 0);
		}
		import_result_release(&res);
	} else if (res.nroots || res.roots) {
		abort();
	}
	layout_close(&l);
	fuzz_rm_rf(dir);
	return rc;
}

static void
ar_check(struct archive *a, int r)
{
	if (r != ARCHIVE_OK) {
		fprintf(stderr, "fuzz: libarchive: %s\n",
		    archive_error_string(a));
		abort();
	}
}

struct archive *
fuzz_tar_begin(int *fd)
{
	struct archive *a = archive_write_new();

	*fd = fuzz_fd_of(NULL, 0);
	ar_check(a, archive_write_set_format_pax_restricted(a));
	ar_check(a, archive_write_open_fd(a, *fd));
	return a;
}

void
fuzz_tar_add(struct archive *a, const char *name, const void *p, size_t n)
{
	if (tarx_write_entry(a, name, 0, n) == -1)
		abort();
	if (n && archive_write_data(a, p, n) != (la_ssize_t)n)
		ar_check(a, ARCHIVE_FATAL);
}

void
fuzz_tar_symlink(struct archive *a, const char *name, const char *target)
{
	struct archive_entry *e = archive_entry_new();

	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFLNK);
	archive_entry_set_perm(e, 0777);
	archive_entry_set_symlink(e, target);
	ar_check(a, archive_write_header(a, e));
	archive_entry_free(e);
}

int
fuzz_tar_line(struct archive *a, char *line)
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

void
fuzz_tar_end(struct archive *a, int fd)
{
	ar_check(a, archive_write_close(a));
	archive_write_free(a);
	if (lseek(fd, 0, SEEK_SET) != 0)
		abort();
}
