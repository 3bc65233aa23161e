/* tests/unit/t-buildctx.c - the context plan, checked before a byte is
 * written, and the stream it gives */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "buildctx.h"
#include "desc.h"
#include "err.h"
#include "layout.h"
#include "manifest.h"
#include "tap.h"

#define ZERO \
    "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static char root[64];
static char dep_digest[DIGEST_MAX];

static void
file(const char *rel, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	if ((f = fopen(p, "w")) == NULL)
		return;
	fputs(text, f);
	fclose(f);
}

static void
mkdirs(const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", root, rel);
	mkdir(p, 0755);
}

/* plan pkg/ with this build.yml: 0, or -1 with the message in err */
static int
plan(const char *yml, struct buildctx_plan *p, const struct buildctx_opts *o)
{
	char dir[512];

	file("pkg/build.yml", yml);
	snprintf(dir, sizeof(dir), "%s/pkg", root);
	err_clear();
	return buildctx_plan(p, dir, o);
}

static int
refused(const char *yml, const char *why, enum err_kind kind)
{
	struct buildctx_opts o = { .cache = NULL };
	struct buildctx_plan p;
	int r;

	r = plan(yml, &p, &o) == -1 && err_kind() == kind &&
	    strstr(err_msg(), why) != NULL;
	if (!r)
		diag("message: %s", err_msg());
	buildctx_plan_release(&p);
	return r;
}

/* the names in the stream written for a plan, one a line */
static int
stream_names(const struct buildctx_plan *p, char *out, size_t n)
{
	struct archive *a;
	struct archive_entry *e;
	FILE *f = tmpfile();
	int rc = -1;

	*out = '\0';
	if (buildctx_write(p, fileno(f), 1, 0) == -1)
		goto out;
	rewind(f);
	a = archive_read_new();
	archive_read_support_format_tar(a);
	if (archive_read_open_FILE(a, f) == ARCHIVE_OK) {
		while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
			strncat(out, archive_entry_pathname(e),
			    n - strlen(out) - 2);
			strcat(out, "\n");
		}
		rc = 0;
	}
	archive_read_free(a);
out:
	fclose(f);
	return rc;
}

/* a cache holding dep:1, a single arm64 image */
static void
make_cache(const char *cache)
{
	struct layout l;
	const char *names[1] = { "docker.io/library/dep:1" };
	const char *cfg = "{\"architecture\":\"arm64\",\"os\":\"linux\"}";
	const char *layer = "layer bytes";
	char dc[DIGEST_MAX], dl[DIGEST_MAX], dm[DIGEST_MAX], *m;
	json_t *d;

	if (layout_open(&l, cache, LAYOUT_CREATE) == -1)
		return;
	layout_blob_put(&l, cfg, strlen(cfg), NULL, dc);
	layout_blob_put(&l, layer, strlen(layer), NULL, dl);
	d = json_pack("{s:i,s:s,s:o,s:[o]}", "schemaVersion", 2, "mediaType",
	    MT_OCI_MANIFEST, "config", desc_new(MT_OCI_CONFIG, dc,
	    (int64_t)strlen(cfg)), "layers", desc_new(MT_OCI_LAYER, dl,
	    (int64_t)strlen(layer)));
	m = json_dumps(d, JSON_COMPACT);
	json_decref(d);
	layout_blob_put(&l, m, strlen(m), NULL, dm);
	d = desc_new(MT_OCI_MANIFEST, dm, (int64_t)strlen(m));
	layout_set_refs(&l, 1, names, &d);
	snprintf(dep_digest, sizeof(dep_digest), "%s", dm);
	json_decref(d);
	free(m);
	layout_close(&l);
}

int
main(void)
{
	struct buildctx_opts o = { .cache = NULL };
	struct buildctx_plan p;
	char dir[] = "/tmp/t-buildctx.XXXXXX", names[4096], cache[96];
	char cmd[256], yml[512], want[256];

	if (!mkdtemp(dir))
		return 1;
	snprintf(root, sizeof(root), "%s", dir);
	mkdirs("pkg");
	mkdirs("src");
	mkdirs("pkg/deps");
	file("pkg/Dockerfile", "FROM scratch\n");
	file("pkg/deps/stale.tar", "old\n");
	file("src/a", "a\n");
	file("tool", "#!/bin/sh\n");
	/* extra sources are checked as pkg-tag checks them: committed in git */
	snprintf(cmd, sizeof(cmd), "cd '%s' && git init -q && git add -A && "
	    "git -c user.name=t -c user.email=t@t commit -q -m c", dir);
	if (system(cmd) != 0)
		diag("cannot make the git repository");

	ok(plan("image: p\nextra-sources:\n  - ../src:/in\n  - ../tool:/bin/t\n",
	    &p, &o) == 0 && p.nsrc == 2, "two extra sources planned");
	is(p.src[0].name, "in", "a leading / of dst dropped");
	is(p.src[1].name, "bin/t", "a file source lands at its dst");
	ok(p.ndep == 0 && p.deps == NULL, "no depends images");
	stream_names(&p, names, sizeof(names));
	is(names, "./\nDockerfile\nbuild.yml\ndeps/\ndeps/stale.tar\n"
	    "in/\nin/a\nbin/t\n", "the stream: P, then the sources in order");
	buildctx_plan_release(&p);

	ok(plan("image: p\nextra-sources:\n  - ../src:/\n", &p, &o) == 0 &&
	    strcmp(p.src[0].name, ".") == 0, "a directory onto the root");
	buildctx_plan_release(&p);

	ok(refused("image: p\nextra-sources:\n  - ../tool:/\n",
	    "needs a file name", ERR_FAILURE), "a file onto the root: refused");
	ok(refused("image: p\nextra-sources:\n  - ../src:../up\n",
	    "escapes the context", ERR_FAILURE), "a dst climbing out: refused");
	ok(refused("image: p\nextra-sources:\n  - ../nosuch:/x\n",
	    "nosuch", ERR_FAILURE), "a missing source is a failure, not absence");
	ok(refused("image: p\nextra-sources:\n  - /etc:etc\n",
	    "not in a git repository", ERR_FAILURE),
	    "a source outside git is refused, as pkg-tag refuses it");
	ok(refused("image: p\nextra-sources:\n  - a:b:c\n",
	    "a:b:c", ERR_FAILURE), "a malformed entry: refused");
	ok(refused("image: p\ndockerfile: ../Dockerfile\n",
	    "beyond root of context", ERR_FAILURE), "a Dockerfile outside P");
	ok(refused("image: p\ndockerfile: Nope\n", "does not exist",
	    ERR_FAILURE), "a missing Dockerfile");
	ok(refused("image: p\ndepends:\n  docker-images:\n    list: [docker.io/library/dep@"
	    ZERO "]\n", "without target", ERR_FAILURE),
	    "images without a target");
	ok(refused("image: p\ndepends:\n  docker-images:\n    target-dir: ../x\n"
	    "    list: [docker.io/library/dep@" ZERO "]\n", "within package directory",
	    ERR_FAILURE), "a depends target outside P");
	{
		char nodir[128];

		snprintf(nodir, sizeof(nodir), "%s/nosuch", root);
		err_clear();
		ok(buildctx_plan(&p, nodir, &o) == -1 &&
		    err_kind() == ERR_NOTFOUND, "a missing package: not found");
		buildctx_plan_release(&p);
	}

	/* depends images from a cache; without a pool nothing is fetched */
	snprintf(cache, sizeof(cache), "%s/cache", root);
	make_cache(cache);
	o.cache = cache;
	platform_parse(&o.plat, "linux/arm64");
	snprintf(yml, sizeof(yml), "image: p\ndepends:\n  docker-images:\n"
	    "    target-dir: deps\n    list: [docker.io/library/dep:1@%s]\n",
	    dep_digest);
	ok(plan(yml, &p, &o) == 0 && p.ndep == 1 && p.deps_dir,
	    "target-dir: one tarball per image");
	if (p.ndep == 1) {
		snprintf(want, sizeof(want), "deps/dep@%s.tar", dep_digest);
		is(p.dep[0].name, want, "named after repository and digest");
		ok(p.dep[0].size > 0 && p.dep[0].f != NULL,
		    "saved before streaming");
	}
	snprintf(want, sizeof(want), "deps/\ndeps/dep@%s.tar\n", dep_digest);
	ok(stream_names(&p, names, sizeof(names)) == 0 &&
	    strstr(names, "deps/stale.tar") == NULL &&
	    strstr(names, want) != NULL,
	    "the target-dir of P is replaced in the stream");
	buildctx_plan_release(&p);
	snprintf(yml, sizeof(yml), "image: p\ndepends:\n  docker-images:\n"
	    "    target: all.tar\n    list: [docker.io/library/dep@%s, docker.io/library/dep:1@%s]\n", dep_digest,
	    dep_digest);
	ok(plan(yml, &p, &o) == 0 && p.ndep == 1 && !p.deps_dir &&
	    p.dep[0].shown == NULL, "target: one tarball for all images");
	buildctx_plan_release(&p);
	ok(plan("image: p\ndepends:\n  docker-images:\n    target: all.tar\n"
	    "    list: [docker.io/library/gone@" ZERO "]\n", &p, &o) == -1 &&
	    err_kind() == ERR_NOTFOUND && strstr(err_msg(), "gone@") != NULL,
	    "an image in no cache, and no registry to ask: not found");
	buildctx_plan_release(&p);

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		diag("cannot remove %s", dir);
	return tap_done();
}
