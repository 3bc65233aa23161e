/* tests/fuzz/fuzz-import-index.c - an OCI layout's index.json (lib/import)
 *
 * The input is index.json, put into an OCI layout tar with fixed blobs: a
 * layer, a config, an image manifest naming both and an index naming the
 * manifest. Its first byte chooses which blobs the tar holds (and whether
 * a blob is there twice or as a symbolic link), so descriptors that point
 * at missing, repeated or linked blobs are reached too. With
 * OCIKIT_FUZZ_PRINT set the harness prints the fixed blobs' descriptors
 * and exits: tests/fuzz/mkcorpus.sh writes the seeds from them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "digest.h"
#include "fuzz.h"
#include "manifest.h"
#include "xalloc.h"

enum { LAYER, CONFIG, MANIFEST, INDEX, NBLOBS };

static struct {
	char	*bytes;
	size_t	 len;
	char	 digest[DIGEST_MAX];
	char	 path[DIGEST_MAX + 16];
	const char *type;
} blobs[NBLOBS];

static void
set_blob(int i, const char *type, char *bytes)
{
	blobs[i].bytes = bytes;
	blobs[i].len = strlen(bytes);
	blobs[i].type = type;
	digest_buf(DIGEST_SHA256, bytes, blobs[i].len, blobs[i].digest);
	snprintf(blobs[i].path, sizeof(blobs[i].path), "blobs/sha256/%s",
	    blobs[i].digest + 7);
}

static char *
desc(int i)
{
	return xasprintf("{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}",
	    blobs[i].type, blobs[i].digest, blobs[i].len);
}

int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char *c, *l;
	int i;

	set_blob(LAYER, MT_OCI_LAYER, xstrdup("not really a tar\n"));
	set_blob(CONFIG, MT_OCI_CONFIG, xstrdup("{\"architecture\":\"amd64\","
	    "\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":"
	    "[]}}"));
	c = desc(CONFIG);
	l = desc(LAYER);
	set_blob(MANIFEST, MT_OCI_MANIFEST, xasprintf("{\"schemaVersion\":2,"
	    "\"mediaType\":\"%s\",\"config\":%s,\"layers\":[%s]}",
	    MT_OCI_MANIFEST, c, l));
	free(c);
	free(l);
	c = desc(MANIFEST);
	c[strlen(c) - 1] = '\0';
	set_blob(INDEX, MT_OCI_INDEX, xasprintf("{\"schemaVersion\":2,"
	    "\"mediaType\":\"%s\",\"manifests\":[%s,\"platform\":"
	    "{\"architecture\":\"amd64\",\"os\":\"linux\"}}]}", MT_OCI_INDEX,
	    c));
	free(c);
	if (getenv("OCIKIT_FUZZ_PRINT")) {
		for (i = 0; i < NBLOBS; i++) {
			c = desc(i);
			printf("%s\n", c);
			free(c);
		}
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive *a;
	unsigned flags;
	int fd, i;

	if (size < 1)
		return 0;
	fuzz_fd_mark();
	flags = ~data[0];	/* 0x00: everything, plainly */
	a = fuzz_tar_begin(&fd);
	if (flags & 0x10)
		fuzz_tar_add(a, "oci-layout", "{\"imageLayoutVersion\":"
		    "\"1.0.0\"}", 30);
	for (i = 0; i < NBLOBS; i++) {
		if (!(flags & (1u << i)))
			continue;
		/* a blob named by another's link: an error, not a crash */
		if (i == LAYER && !(flags & 0x20)) {
			fuzz_tar_add(a, "layer.tar", blobs[i].bytes,
			    blobs[i].len);
			fuzz_tar_symlink(a, blobs[i].path, "../../layer.tar");
			continue;
		}
		fuzz_tar_add(a, blobs[i].path, blobs[i].bytes, blobs[i].len);
		/* the same bytes twice, or wrong bytes under the name */
		if (i == CONFIG && !(flags & 0x40))
			fuzz_tar_add(a, blobs[i].path, blobs[i].bytes,
			    blobs[i].len);
		if (i == MANIFEST && !(flags & 0x80))
			fuzz_tar_add(a, blobs[LAYER].path, "x", 1);
	}
	fuzz_tar_add(a, "index.json", data + 1, size - 1);
	fuzz_tar_end(a, fd);
	(void)fuzz_import(fd);
	close(fd);
	fuzz_fd_check();
	return 0;
}
