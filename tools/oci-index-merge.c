/* tools/oci-index-merge.c - create or update a multi-arch index in the cache */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cache.h"
#include "desc.h"
#include "die.h"
#include "err.h"
#include "http.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "multiarch.h"
#include "platform.h"
#include "record.h"
#include "ref.h"
#include "registry.h"

#define DEFAULT_ARCHES	"amd64,arm64,riscv64,s390x,ppc64le"
#define MAX_INSECURE	16

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-index-merge [-qv] [-C dir] --ref name "
	    "[--arch-tags [--arches list]]\n"
	    "                       [--remote] [--insecure host]... "
	    "[ref ... | -]\n");
	exit(status);
}

struct merge {
	struct layout	 l;
	char		*name;		/* canonical, tagged */
	struct ref	 r;		/* name, parsed: where --remote looks */
	json_t		*adds;		/* descriptors to merge, in order */
	struct buf	 scratch;
	int		 remote;
	const char	*insecure[MAX_INSECURE + 1];
	struct http	*h;
	struct registry	*reg;
};

static struct registry *
registry(struct merge *m)
{
	if (!m->reg) {
		struct http_opts o = { .tool = "oci-index-merge",
		    .insecure = m->insecure, .log = msglog };

		if (!(m->h = http_new(&o)))
			die_err(EXIT_FAILURE, "cannot start the HTTP client");
		m->reg = registry_new(m->h, m->r.domain, 4);
	}
	return m->reg;
}

/* a manifest or index the cache lacks, from the registry, verified */
static int
fetch_manifest(struct merge *m, const json_t *d)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	int rc;

	if (layout_blob_has(&m->l, desc_digest(d), desc_size(d)))
		return 0;
	rc = registry_get_manifest(registry(m), m->r.path, desc_digest(d), &rm);
	if (rc == 0)
		rc = layout_blob_put(&m->l, rm.body.data, rm.body.len,
		    desc_digest(d), NULL);
	reg_manifest_release(&rm);
	return rc;
}

/* an entry for the index: the descriptor without the cache's own names */
static json_t *
entry(const json_t *d)
{
	json_t *e = json_deep_copy(d), *a;

	json_object_del(e, "ref");
	if ((a = json_object_get(e, "annotations"))) {
		json_object_del(a, ANNOT_REF_NAME);
		json_object_del(a, ANNOT_CONTAINERD_NAME);
		if (json_object_size(a) == 0)
			json_object_del(e, "annotations");
	}
	return e;
}

/* the platform of an image manifest, from its config in the cache */
static int
set_platform(struct merge *m, json_t *e)
{
	struct manifest man = MANIFEST_INIT;
	struct platform p;
	const json_t *cfg;
	json_t *c = NULL;
	int rc = -1;

	if (layout_blob_read(&m->l, desc_digest(e), JSONIO_MAX_DOC, &m->scratch) ||
	    manifest_parse(&man, m->scratch.data, m->scratch.len, NULL,
	    desc_media_type(e), desc_digest(e)) == -1)
		return -1;
	cfg = json_object_get(man.json, "config");
	if (layout_blob_read(&m->l, desc_digest(cfg), JSONIO_MAX_DOC,
	    &m->scratch) == 0 &&
	    (c = jsonio_parse(m->scratch.data, m->scratch.len, desc_digest(cfg)))) {
		if (platform_from_json(&p, c) == 0) {
			json_object_set_new(e, "platform", platform_to_json(&p));
			rc = 0;
		} else {
			err_set(EINVAL, "config of '%s' names no platform",
			    desc_digest(e));
		}
	}
	json_decref(c);
	manifest_release(&man);
	return rc;
}

/*
 * Add what a descriptor brings: an index brings its entries (a builder's
 * per-arch output: the image and its attestation), a manifest itself,
 * with its platform read from its config when the descriptor has none.
 */
static int
add(struct merge *m, const json_t *d, const char *what)
{
	struct manifest idx = MANIFEST_INIT;
	json_t *e, *kids, *k;
	size_t i;

	if (desc_check(d, what) == -1)
		return -1;
	switch (manifest_kind(desc_media_type(d))) {
	case MT_KIND_INDEX:
		if (layout_blob_read(&m->l, desc_digest(d), JSONIO_MAX_DOC,
		    &m->scratch) == -1 || manifest_parse(&idx, m->scratch.data,
		    m->scratch.len, NULL, desc_media_type(d), what) == -1)
			return err_wrap("%s", what);
		kids = manifest_children(&idx);
		json_array_foreach(kids, i, k)
			json_array_append_new(m->adds, entry(k));
		json_decref(kids);
		manifest_release(&idx);
		return 0;
	case MT_KIND_MANIFEST:
		e = entry(d);
		if (!json_object_get(e, "platform") && set_platform(m, e) == -1) {
			json_decref(e);
			return err_wrap("%s", what);
		}
		json_array_append_new(m->adds, e);
		return 0;
	default:
		return err_set(EINVAL, "%s: '%s' is not an image manifest or "
		    "index", what, desc_media_type(d));
	}
}

static int
add_ref(struct merge *m, const char *arg)
{
	char *name = ref_canonical(arg, 1);
	json_t *d = NULL;
	int rc = EXIT_SUCCESS;

	if (!name)
		die_err(EXIT_USAGE, "bad reference");
	if (layout_resolve(&m->l, name, &d) == -1) {
		warnmsg_err("cannot index '%s'", name);
		rc = exit_for_err();
	} else if (add(m, d, name) == -1) {
		warnmsg_err("cannot index '%s'", name);
		rc = EXIT_FAILURE;
	}
	json_decref(d);
	free(name);
	return rc;
}

static int
add_records(struct merge *m, FILE *f)
{
	unsigned line = 0;
	char what[64];
	json_t *rec;
	int r;

	while ((r = record_read(f, &rec, &line)) == 1) {
		snprintf(what, sizeof(what), "record on line %u", line);
		r = add(m, rec, what);
		json_decref(rec);
		if (r == -1)
			break;
	}
	if (r == -1) {
		warnmsg_err("cannot index the records");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* NAME-<arch> for each arch, from the cache or the registry */
static int
add_arch_tags(struct merge *m, const char *arches)
{
	char *list = xstrdup(arches), *arch, *save = NULL, *tag;
	struct reg_manifest rm = REG_MANIFEST_INIT;
	size_t found = 0;
	json_t *d;

	for (arch = strtok_r(list, ",", &save); arch;
	    arch = strtok_r(NULL, ",", &save)) {
		tag = xasprintf("%s-%s", m->name, arch);
		if (!m->remote) {
			if (layout_resolve(&m->l, tag, &d) == 0) {
				if (add(m, d, tag) == -1)
					die_err(EXIT_FAILURE, "cannot index '%s'",
					    tag);
				json_decref(d);
				found++;
			} else if (verbosity >= 0) {
				warnmsg("'%s' is not in the cache; skipping", tag);
			}
			free(tag);
			continue;
		}
		if (registry_head_manifest(registry(m), m->r.path,
		    strrchr(tag, ':') + 1, &rm) == -1) {
			if (errno != ENOENT)
				die_err(EXIT_FAILURE, "cannot look up '%s'", tag);
			if (verbosity >= 0)
				warnmsg("'%s' is not in the registry; skipping",
				    tag);
		} else {
			if (manifest_kind(rm.media_type) != MT_KIND_MANIFEST ||
			    !rm.digest[0])
				die(EXIT_FAILURE, "'%s' is not an image manifest",
				    tag);
			d = desc_new(rm.media_type, rm.digest, rm.size);
			json_object_set_new(d, "platform", json_pack("{s:s,s:s}",
			    "architecture", arch, "os", "linux"));
			if (fetch_manifest(m, d) == -1)
				die_err(EXIT_FAILURE, "cannot fetch '%s'", tag);
			json_array_append_new(m->adds, d);
			found++;
		}
		reg_manifest_release(&rm);
		free(tag);
	}
	free(list);
	return found ? EXIT_SUCCESS : EXIT_NOTFOUND;
}

/* the manifests of NAME's index in the cache; NULL when there is none */
static json_t *
existing(struct merge *m, char old[DIGEST_MAX])
{
	struct manifest idx = MANIFEST_INIT;
	json_t *d, *out;

	old[0] = '\0';
	if (layout_resolve(&m->l, m->name, &d) == -1) {
		if (errno == ENOENT)
			return NULL;
		die_err(EXIT_FAILURE, "cannot read the cache");
	}
	if (manifest_kind(desc_media_type(d)) != MT_KIND_INDEX)
		die(EXIT_FAILURE, "image named '%s' already exists in the cache "
		    "and is not an index", m->name);
	if (layout_blob_read(&m->l, desc_digest(d), JSONIO_MAX_DOC,
	    &m->scratch) == -1 || manifest_parse(&idx, m->scratch.data,
	    m->scratch.len, NULL, desc_media_type(d), m->name) == -1)
		die_err(EXIT_FAILURE, "cannot read the index '%s'", m->name);
	snprintf(old, DIGEST_MAX, "%s", desc_digest(d));
	out = json_deep_copy(json_object_get(idx.json, "manifests"));
	manifest_release(&idx);
	json_decref(d);
	return out;
}

/*
 * Merge with NAME's index in the registry, so that platforms pushed from
 * elsewhere are kept; its child manifests come into the cache so the
 * result is whole there. *raw gets the remote bytes when they stand as is.
 */
static json_t *
merge_remote(struct merge *m, json_t *local, struct buf *raw,
    const char **media_type)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	struct manifest idx = MANIFEST_INIT;
	json_t *out, *remote, *d;
	int unchanged;
	size_t i;

	if (registry_get_manifest(registry(m), m->r.path, m->r.tag, &rm) == -1) {
		if (errno != ENOENT)
			die_err(EXIT_FAILURE, "cannot read '%s' from the registry",
			    m->name);
		reg_manifest_release(&rm);
		return local;
	}
	if (manifest_parse(&idx, rm.body.data, rm.body.len, rm.media_type,
	    NULL, m->name) == -1)
		die_err(EXIT_FAILURE, "bad index in the registry");
	if (idx.kind != MT_KIND_INDEX)
		die(EXIT_FAILURE, "'%s' in the registry is an image, not an index",
		    m->name);
	remote = json_object_get(idx.json, "manifests");
	json_array_foreach(remote, i, d)
		if (manifest_kind(desc_media_type(d)) != MT_KIND_OTHER &&
		    fetch_manifest(m, d) == -1)
			die_err(EXIT_FAILURE, "cannot fetch '%s'", desc_digest(d));
	out = multiarch_merge_remote(local, remote, &unchanged);
	if (unchanged) {
		buf_add(raw, rm.body.data, rm.body.len);
		*media_type = idx.media_type;	/* static: outlives idx */
		out = json_deep_copy(remote);
	}
	json_decref(local);
	manifest_release(&idx);
	reg_manifest_release(&rm);
	return out;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "arch-tags",	no_argument,		NULL, 'a' },
		{ "arches",	required_argument,	NULL, 'A' },
		{ "cache",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "insecure",	required_argument,	NULL, 'I' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "ref",	required_argument,	NULL, 'r' },
		{ "remote",	no_argument,		NULL, 'R' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct merge m = { .r = REF_INIT, .scratch = BUF_INIT };
	struct buf bytes = BUF_INIT;
	const char *cachedir = NULL, *refarg = NULL, *arches = NULL;
	char old[DIGEST_MAX], digest[DIGEST_MAX], *dir;
	const char *media_type = MT_OCI_INDEX;
	size_t ninsecure = 0;
	json_t *prior, *result, *root;
	int ch, i, archtags = 0, rc = EXIT_SUCCESS;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:hqv", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':	archtags = 1; break;
		case 'A':	arches = optarg; break;
		case 'C':	cachedir = optarg; break;
		case 'h':	usage(EXIT_SUCCESS); break;
		case 'I':
			if (ninsecure == MAX_INSECURE)
				die(EXIT_USAGE, "too many --insecure hosts");
			m.insecure[ninsecure++] = optarg;
			break;
		case 'q':	verbosity--; break;
		case 'r':	refarg = optarg; break;
		case 'R':	m.remote = 1; break;
		case 'v':	verbosity++; break;
		default:	usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (!refarg || (arches && !archtags) || (archtags && argc > 0))
		usage(EXIT_USAGE);
	if (!(m.name = ref_canonical(refarg, 1)) || ref_parse(&m.r, m.name) == -1)
		die_err(EXIT_USAGE, "bad --ref");
	if (m.r.digest)
		die(EXIT_USAGE, "--ref '%s' must name a tag, not a digest", refarg);

	dir = layout_default_path(cachedir);
	if (layout_open(&m.l, dir, LAYOUT_CREATE) == -1)
		die_err(EXIT_FAILURE, "cannot open the cache");
	m.adds = json_array();
	if (archtags)
		rc = add_arch_tags(&m, arches ? arches : DEFAULT_ARCHES);
	else if (argc == 0)
		rc = add_records(&m, stdin);
	for (i = 0; i < argc; i++)
		rc = exit_worst(rc, strcmp(argv[i], "-") == 0 ?
		    add_records(&m, stdin) : add_ref(&m, argv[i]));
	if (rc != EXIT_SUCCESS) {
		if (rc == EXIT_NOTFOUND && archtags)
			warnmsg("no arch tags of '%s' found: nothing indexed",
			    m.name);
		goto out;
	}

	prior = existing(&m, old);
	result = multiarch_merge(prior, m.adds);
	json_decref(prior);
	if (m.remote)
		result = merge_remote(&m, result, &bytes, &media_type);
	if (json_array_size(result) == 0) {
		warnmsg("nothing to index under '%s'", m.name);
		json_decref(result);
		rc = EXIT_NOTFOUND;
		goto out;
	}
	if (bytes.len == 0)
		multiarch_dump(result, &bytes);
	json_decref(result);
	if (layout_blob_put(&m.l, bytes.data, bytes.len, NULL, digest) == -1)
		die_err(EXIT_FAILURE, "cannot store the index '%s'", m.name);
	root = desc_new(media_type, digest, bytes.len);
	{
		const char *names[] = { m.name };

		if (layout_set_refs(&m.l, 1, names, &root) == -1)
			die_err(EXIT_FAILURE, "cannot name '%s'", m.name);
	}
	if (old[0] && strcmp(old, digest) != 0 &&
	    cache_drop_unreachable(&m.l, old) == -1)
		warnmsg_err("cannot remove the replaced index");
	desc_annotate(root, ANNOT_REF_NAME, m.name);
	if (record_write(stdout, m.name, root) == -1)
		die_err(EXIT_FAILURE, "'%s'", m.name);
	json_decref(root);
out:
	json_decref(m.adds);
	buf_release(&bytes);
	buf_release(&m.scratch);
	registry_free(m.reg);
	http_free(m.h);
	ref_release(&m.r);
	layout_close(&m.l);
	free(m.name);
	free(dir);
	out_close();
	return rc;
}
