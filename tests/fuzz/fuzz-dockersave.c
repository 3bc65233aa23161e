/* tests/fuzz/fuzz-dockersave.c - docker save's manifest.json (lib/import)
 *
 * The input is manifest.json, put into a docker save tarball with fixed
 * files: a config (<hex>.json) whose diff_ids name a plain layer
 * (<hex>/layer.tar), a gzip'd layer, a symbolic link to the plain layer
 * as docker save writes for a shared one, and a copy of the plain layer
 * under another name. The first byte chooses which of them the tar holds. OCIKIT_FUZZ_PRINT prints their paths and
 * exits (tests/fuzz/mkcorpus.sh).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "digest.h"
#include "fuzz.h"
#include "xalloc.h"

static const char plain[] = "plain layer bytes\n";
static const char gz[] = "\x1f\x8b\x08\x00 not really gzip";
static char *config, cfgpath[DIGEST_MAX + 8], plainpath[DIGEST_MAX + 16],
    gzpath[DIGEST_MAX + 16], linkto[DIGEST_MAX + 32];

int	LLVMFuzzerInitialize(int *argc, char ***argv);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char d[DIGEST_MAX], g[DIGEST_MAX], c[DIGEST_MAX];

	digest_buf(DIGEST_SHA256, plain, sizeof(plain) - 1, d);
	digest_buf(DIGEST_SHA256, gz, sizeof(gz) - 1, g);
	config = xasprintf("{\"architecture\":\"arm64\",\"os\":\"linux\","
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"%s\",\"%s\"]}}",
	    d, d);
	digest_buf(DIGEST_SHA256, config, strlen(config), c);
	snprintf(cfgpath, sizeof(cfgpath), "%s.json", c + 7);
	snprintf(plainpath, sizeof(plainpath), "%s/layer.tar", d + 7);
	snprintf(gzpath, sizeof(gzpath), "%s/layer.tar", g + 7);
	snprintf(linkto, sizeof(linkto), "../%s", plainpath);
	if (getenv("OCIKIT_FUZZ_PRINT")) {
		printf("%s\n%s\n%s\nshared/layer.tar\n", cfgpath, plainpath,
		    gzpath);
		exit(0);
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct archive *a;
	unsigned flags;
	int fd;

	if (size < 1)
		return 0;
	fuzz_fd_mark();
	flags = ~data[0];	/* 0x00: everything */
	a = fuzz_tar_begin(&fd);
	if (!(flags & 0x80))	/* the plain layer's bytes twice, unnamed first */
		fuzz_tar_add(a, "copy/layer.tar", plain, sizeof(plain) - 1);
	if (flags & 1)
		fuzz_tar_add(a, cfgpath, config, strlen(config));
	if (flags & 2)
		fuzz_tar_add(a, plainpath, plain, sizeof(plain) - 1);
	if (flags & 4)
		fuzz_tar_add(a, gzpath, gz, sizeof(gz) - 1);
	if (flags & 8)
		/* to the plain layer, or to itself (a loop) */
		fuzz_tar_symlink(a, "shared/layer.tar", flags & 0x10 ?
		    linkto : "layer.tar");
	if (flags & 0x20)
		fuzz_tar_add(a, "repositories", "{}", 2);
	fuzz_tar_add(a, "manifest.json", data + 1, size - 1);
	if (!(flags & 0x40))	/* a second manifest.json replaces the first */
		fuzz_tar_add(a, "manifest.json", "[]", 2);
	fuzz_tar_end(a, fd);
	(void)fuzz_import(fd);
	close(fd);
	fuzz_fd_check();
	return 0;
}
