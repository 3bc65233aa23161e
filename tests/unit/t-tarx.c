/* tests/unit/t-tarx.c - safe tar reading: names, links, devices, truncation */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "err.h"
#include "tarx.h"
#include "tap.h"

struct ent {
	const char	*name;
	int		 type;		/* AE_IFREG, AE_IFLNK, AE_IFDIR, AE_IFCHR */
	const char	*data;		/* file data, or the link target */
	int		 hard;		/* a hard link to data */
};

/* a tar of the entries in a temporary file; returns its fd at offset 0 */
static int
mktar(const struct ent *e, size_t n, size_t cut)
{
	static char mem[65536];
	struct archive *a = archive_write_new();
	struct archive_entry *ae;
	size_t used = 0, i;
	FILE *f = tmpfile();

	archive_write_set_format_pax_restricted(a);
	archive_write_open_memory(a, mem, sizeof(mem), &used);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_filetype(ae, e[i].type);
		archive_entry_set_perm(ae, 0644);
		if (e[i].hard)
			archive_entry_set_hardlink(ae, e[i].data);
		else if (e[i].type == AE_IFLNK)
			archive_entry_set_symlink(ae, e[i].data);
		if (e[i].type == AE_IFREG && !e[i].hard)
			archive_entry_set_size(ae, strlen(e[i].data));
		archive_write_header(a, ae);
		if (e[i].type == AE_IFREG && !e[i].hard)
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	fwrite(mem, 1, cut ? cut : used, f);
	fflush(f);
	rewind(f);
	return dup(fileno(f));
}

/* read every entry; the names (with "->target" for links) into out */
static int
readall(int fd, struct buf *out)
{
	struct tarx t;
	struct tarx_entry e;
	struct buf data = BUF_INIT;
	int r;

	buf_reset(out);
	if (tarx_open_fd(&t, fd, "t.tar") == -1)
		return -1;
	while ((r = tarx_next(&t, &e)) == 1) {
		buf_addf(out, "%s%s%s;", e.path, e.link ? "->" : "",
		    e.link ? e.link : "");
		if (e.type == TARX_FILE && tarx_read_all(&t, 1024, &data) == -1) {
			r = -1;
			break;
		}
	}
	tarx_close(&t);
	buf_release(&data);
	close(fd);
	return r;
}

/*
 * A stream written through tarx_write_open_fd(): one entry of 20000
 * bytes, then closed (end blocks) or aborted (none). Its length, or -1.
 */
static long
written(int abandon)
{
	struct archive *a = archive_write_new();
	struct tarx_sink o = TARX_SINK_INIT;
	FILE *f = tmpfile();
	static char data[20000];
	long n;

	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (tarx_write_open_fd(a, &o, fileno(f)) == -1 ||
	    tarx_write_entry(a, "f", 0, sizeof(data)) == -1 ||
	    archive_write_data(a, memset(data, 'x', sizeof(data)),
	    sizeof(data)) != sizeof(data))
		return -1;
	if (abandon) {
		tarx_write_abort(a, &o);
	} else {
		archive_write_close(a);
		archive_write_free(a);
	}
	n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	fclose(f);
	return n;
}

int
main(void)
{
	static const struct ent good[] = {
		{ "./", AE_IFDIR, "", 0 },
		{ "./a//b/./c", AE_IFREG, "hello", 0 },
		{ "d/l", AE_IFLNK, "../a/b/c", 0 },
		{ "h", AE_IFREG, "a/b/c", 1 },
	};
	struct ent bad = { NULL, AE_IFREG, "x", 0 };
	struct buf b = BUF_INIT;
	static const char *const unsafe[] = { "../x", "/abs", "a/../../x", "" };
	size_t i;

	ok(readall(mktar(good, 4, 0), &b) == 0, "a good tar reads");
	is(b.data, "a/b/c;d/l->a/b/c;h->a/b/c;", "names cleaned, links resolved");

	for (i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
		bad.name = unsafe[i];
		ok(readall(mktar(&bad, 1, 0), &b) == -1, "name '%s' refused: %s",
		    unsafe[i], err_msg());
	}
	bad = (struct ent){ "l", AE_IFLNK, "/etc/passwd", 0 };
	ok(readall(mktar(&bad, 1, 0), &b) == -1 && strstr(err_msg(),
	    "points outside"), "absolute symlink refused");
	bad = (struct ent){ "a/l", AE_IFLNK, "../../x", 0 };
	ok(readall(mktar(&bad, 1, 0), &b) == -1, "climbing symlink refused");
	bad = (struct ent){ "l", AE_IFREG, "../x", 1 };
	ok(readall(mktar(&bad, 1, 0), &b) == -1, "climbing hard link refused");
	bad = (struct ent){ "dev", AE_IFCHR, "", 0 };
	ok(readall(mktar(&bad, 1, 0), &b) == -1 && strstr(err_msg(), "device"),
	    "device refused");
	ok(readall(mktar(good, 4, 1100), &b) == -1, "truncated tar: %s",
	    err_msg());
	{
		static const struct ent big = { "f", AE_IFREG,
		    "0123456789012345678901234567890123456789", 0 };
		struct tarx t;
		struct tarx_entry e;
		int fd = mktar(&big, 1, 0);

		tarx_open_fd(&t, fd, "t.tar");
		tarx_next(&t, &e);
		ok(tarx_read_all(&t, 10, &b) == -1 && strstr(err_msg(),
		    "larger than"), "read_all stops at its limit");
		tarx_close(&t);
		close(fd);
	}
	/*
	 * Closed: header, data padded to 512, two end blocks, the last block
	 * not padded. Aborted: only the whole 10240 byte blocks libarchive
	 * had written, no end blocks.
	 */
	is_int(written(0), 512 + 20480 + 1024, "a closed stream has its end "
	    "blocks");
	is_int(written(1), 20480, "an aborted one stops where it failed, "
	    "without end blocks");
	ok(tarx_clean_path("a/./b//c/", &b) == 0 && !strcmp(b.data, "a/b/c"),
	    "clean_path");
	buf_release(&b);
	return tap_done();
}
