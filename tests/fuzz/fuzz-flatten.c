/* tests/fuzz/fuzz-flatten.c - layers applied into one root filesystem (lib/flatten)
 *
 * Layers come from registries: their names, links, whiteouts and opaque
 * markers are untrusted. The input describes up to MAX_LAYERS layers,
 * bottom first, separated by lines "---", each entry one line as
 * fuzz_tar_line() reads it. The layers and a manifest naming them go into
 * an empty cache, the image is flattened, and every name in the result
 * must be clean and appear once.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>

#include "cache.h"
#include "desc.h"
#include "err.h"
#include "flatten.h"
#include "fuzz.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "tarx.h"

#define MAX_LAYERS	4
#define MAX_ENTRIES	64

/* put the bytes of fd into the cache; their digest into d */
static void
put_fd(struct layout *l, int fd, char d[DIGEST_MAX])
{
	struct buf b = BUF_INIT;
	char tmp[4096];
	ssize_t n;

	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_add(&b, tmp, n);
	if (n < 0 || layout_blob_put(l, b.data, b.len, NULL, d) == -1)
		abort();
	buf_release(&b);
}

/* write the layers the input describes; -1 when libarchive gave up */
static int
layers(struct layout *l, char *s, json_t *descs)
{
	char d[DIGEST_MAX], *line = s, *nl;
	struct archive *a;
	int fd, n = 0, dead = 0;
	size_t k;

	for (k = 0; k < MAX_LAYERS && line && !dead; k++) {
		a = fuzz_tar_begin(&fd);
		for (; line && n++ < MAX_ENTRIES; line = nl) {
			if ((nl = strchr(line, '\n')))
				*nl++ = '\0';
			if (strcmp(line, "---") == 0) {
				line = nl;
				break;
			}
			if ((dead = fuzz_tar_line(a, line) == -1))
				break;
		}
		if (dead) {
			archive_write_free(a);
		} else {
			fuzz_tar_end(a, fd);
			put_fd(l, fd, d);
			json_array_append_new(descs, desc_new(MT_OCI_LAYER, d,
			    lseek(fd, 0, SEEK_END)));
		}
		close(fd);
	}
	return dead ? -1 : 0;
}

/* the manifest of the layers in the cache, as a descriptor */
static json_t *
manifest(struct layout *l, json_t *descs)
{
	static const char cfg[] = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
	struct buf b = BUF_INIT;
	char d[DIGEST_MAX];
	json_t *m = json_object();

	if (layout_blob_put(l, cfg, sizeof(cfg) - 1, NULL, d) == -1)
		abort();
	json_object_set_new(m, "schemaVersion", json_integer(2));
	json_object_set_new(m, "mediaType", json_string(MT_OCI_MANIFEST));
	json_object_set_new(m, "config", desc_new(MT_OCI_CONFIG, d,
	    sizeof(cfg) - 1));
	json_object_set(m, "layers", descs);
	jsonio_dump(m, &b);
	json_decref(m);
	if (layout_blob_put(l, b.data, b.len, NULL, d) == -1)
		abort();
	m = desc_new(MT_OCI_MANIFEST, d, b.len);
	buf_release(&b);
	return m;
}

/* every name of the flattened tar is clean and there once */
static void
check(int fd)
{
	struct tarx t;
	struct tarx_entry e;
	struct buf b = BUF_INIT;
	json_t *names = json_object();

	if (lseek(fd, 0, SEEK_SET) != 0 || tarx_open_fd(&t, fd, "out") == -1)
		abort();
	while (tarx_next(&t, &e) == 1) {
		if (tarx_clean_path(e.path, &b) == -1 ||
		    strcmp(b.data, e.path) != 0 ||
		    json_object_get(names, e.path)) {
			fprintf(stderr, "fuzz: flattened: '%s'\n", e.path);
			abort();
		}
		json_object_set_new(names, e.path, json_true());
	}
	tarx_close(&t);
	json_decref(names);
	buf_release(&b);
}

int	LLVMFuzzerInitialize(int *argc, char ***argv);

/* as oci-export runs it (tools/oci-export.c) */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setlocale(LC_CTYPE, "C.UTF-8");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), dir[4200];
	struct layout l = LAYOUT_INIT;
	json_t *descs = json_array(), *d;
	int out;

	fuzz_fd_mark();
	snprintf(dir, sizeof(dir), "%s/cache", fuzz_tmpdir());
	if (layout_open(&l, dir, LAYOUT_CREATE) == -1)
		abort();
	if (layers(&l, s, descs) == 0) {
		d = manifest(&l, descs);
		out = fuzz_fd_of(NULL, 0);
		if (flatten_write(&l, d, "fuzz", out) == 0)
			check(out);
		close(out);
		json_decref(d);
	}
	json_decref(descs);
	layout_close(&l);
	fuzz_rm_rf(dir);
	free(s);
	fuzz_fd_check();
	return 0;
}
