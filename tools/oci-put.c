/* tools/oci-put.c - push an image or index from the cache to registries */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "desc.h"
#include "die.h"
#include "err.h"
#include "http.h"
#include "jsonio.h"
#include "layout.h"
#include "manifest.h"
#include "platform.h"
#include "push.h"
#include "record.h"
#include "ref.h"
#include "registry.h"

#define MAX_INSECURE	16
#define MAX_REGS	16

static void
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: oci-put [-qv] [-C dir] [--arch-tags] [--no-override] "
	    "[--mount-from repo]\n"
	    "               [-j n] [--insecure host]... ref [dest ...]\n");
	exit(status);
}

struct put {
	struct layout	 l;
	struct http	*h;
	struct registry	*regs[MAX_REGS];
	size_t		 nregs;
	const char	*insecure[MAX_INSECURE + 1];
	const char	*mount_from;
	int		 jobs, archtags, no_override;
	struct buf	 scratch;
	/* where blobs already went in this run, for cross-repo mounts */
	json_t		*pushed;	/* {"domain": {"digest": "repo"}} */
};

static struct registry *
registry(struct put *p, const char *domain)
{
	size_t i;

	for (i = 0; i < p->nregs; i++)
		if (strcmp(p->regs[i]->domain, domain) == 0)
			return p->regs[i];
	if (p->nregs == MAX_REGS)
		die(EXIT_USAGE, "too many registries");
	if (!p->h) {
		struct http_opts o = { .tool = "oci-put", .insecure = p->insecure,
		    .max_per_host = p->jobs, .log = msglog };

		if (!(p->h = http_new(&o)))
			die_err(EXIT_FAILURE, "cannot start the HTTP client");
	}
	return p->regs[p->nregs++] = registry_new(p->h, domain, p->jobs);
}

/* the repository to mount a blob from, if any */
static const char *
mount_source(struct put *p, const struct ref *dest, const char *digest)
{
	const char *known = json_string_value(json_object_get(json_object_get(
	    p->pushed, dest->domain), digest));

	if (known && strcmp(known, dest->path) != 0)
		return known;
	return p->mount_from;
}

static void
remember(struct put *p, const struct ref *dest, const char *digest)
{
	json_t *d = json_object_get(p->pushed, dest->domain);

	if (!d) {
		d = json_object();
		json_object_set_new(p->pushed, dest->domain, d);
	}
	json_object_set_new(d, digest, json_string(dest->path));
}

/* a manifest of the cache, parsed; its bytes stay in p->scratch */
static int
read_manifest(struct put *p, const json_t *desc, struct manifest *m)
{
	if (layout_blob_read(&p->l, desc_digest(desc), JSONIO_MAX_DOC,
	    &p->scratch) == -1)
		return -1;
	return manifest_parse(m, p->scratch.data, p->scratch.len, NULL,
	    desc_media_type(desc), desc_digest(desc));
}

/* are a manifest's config and layers all in the cache? */
static int
blobs_local(struct put *p, const json_t *kids)
{
	const json_t *k;
	size_t i;

	json_array_foreach(kids, i, k)
		if (!layout_blob_has(&p->l, desc_digest(k), desc_size(k)))
			return 0;
	return 1;
}

/* 1 when the registry has the manifest, 0 when not, -1 on error */
static int
remote_has(struct registry *reg, const struct ref *dest, const json_t *desc)
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	int r = registry_head_manifest(reg, dest->path, desc_digest(desc), &rm);

	reg_manifest_release(&rm);
	return r == 0 ? 1 : errno == ENOENT ? 0 : -1;
}

/*
 * Walk what root names: queue the blobs of every manifest in the cache
 * (with up NULL, only list them in blobs) and list the child manifests to
 * PUT, children first. A child that is not whole in the cache must
 * already be in the registry (the `pkg manifest` case) and is left alone.
 */
static int
plan(struct put *p, struct registry *reg, const struct ref *dest,
    const json_t *desc, struct reg_push *up, json_t *manifests,
    json_t *blobs, int depth)
{
	struct manifest m = MANIFEST_INIT;
	json_t *kids = NULL, *k;
	size_t i;
	int rc = 0, r;

	if (depth > 8)
		return err_set(EINVAL, "indexes nested too deep");
	if (!layout_blob_has(&p->l, desc_digest(desc), desc_size(desc))) {
		if (depth == 0)
			return err_set(ENOENT, "'%s' is not in the cache",
			    desc_digest(desc));
		r = up ? remote_has(reg, dest, desc) : 1;
		if (r == 1)
			return 0;
		return err_set(r == 0 ? ENOENT : errno, "manifest '%s' is "
		    "neither in the cache nor in the registry",
		    desc_digest(desc));
	}
	if (read_manifest(p, desc, &m) == -1)
		return -1;
	kids = manifest_children(&m);
	if (up && depth > 0 && m.kind == MT_KIND_MANIFEST &&
	    !blobs_local(p, kids) && (r = remote_has(reg, dest, desc)) != 0) {
		rc = r == 1 ? 0 : -1;
		goto out;
	}
	json_array_foreach(kids, i, k) {
		if (m.kind == MT_KIND_INDEX) {
			rc = plan(p, reg, dest, k, up, manifests, blobs,
			    depth + 1);
		} else {
			if (up)
				rc = registry_push_add(up, dest->path,
				    desc_digest(k), desc_size(k),
				    mount_source(p, dest, desc_digest(k)));
			json_array_append_new(blobs, json_string(desc_digest(k)));
		}
		if (rc == -1)
			break;
	}
	if (rc == 0 && depth > 0)
		json_array_append(manifests, (json_t *)desc);
out:
	json_decref(kids);
	manifest_release(&m);
	return rc;
}

static int
put_manifest(struct put *p, struct registry *reg, const struct ref *dest,
    const json_t *desc, const char *tag)
{
	if (layout_blob_read(&p->l, desc_digest(desc), JSONIO_MAX_DOC,
	    &p->scratch) == -1)
		return -1;
	return registry_put_manifest(reg, dest->path, tag ? tag :
	    desc_digest(desc), desc_media_type(desc), p->scratch.data,
	    p->scratch.len, desc_digest(desc));
}

/*
 * Does the registry have a tag, and at which digest? 1 (digest in out), 0
 * when absent, -1 on error.
 */
static int
remote_tag(struct registry *reg, const struct ref *dest, const char *tag,
    char out[DIGEST_MAX])
{
	struct reg_manifest rm = REG_MANIFEST_INIT;
	int rc;

	out[0] = '\0';
	rc = registry_head_manifest(reg, dest->path, tag, &rm);
	if (rc == 0) {
		snprintf(out, DIGEST_MAX, "%s", rm.digest);
		rc = 1;
	} else if (errno == ENOENT) {
		rc = 0;
	}
	reg_manifest_release(&rm);
	return rc;
}

/* "<dest>-<arch>" for every real platform of an index */
static int
arch_tags(struct put *p, struct registry *reg, const struct ref *dest,
    const char *name, const json_t *root)
{
	struct manifest m = MANIFEST_INIT;
	const json_t *pl;
	json_t *d, *rootdesc;
	char *tag, *full, have[DIGEST_MAX];
	size_t i;
	int rc = EXIT_SUCCESS, r;

	if (manifest_kind(desc_media_type(root)) != MT_KIND_INDEX)
		return EXIT_SUCCESS;
	if (read_manifest(p, root, &m) == -1) {
		warnmsg_err("cannot read '%s'", name);
		return EXIT_FAILURE;
	}
	json_array_foreach(json_object_get(m.json, "manifests"), i, d) {
		pl = json_object_get(d, "platform");
		if (!platform_is_real(pl) ||
		    manifest_kind(desc_media_type(d)) != MT_KIND_MANIFEST ||
		    !layout_blob_has(&p->l, desc_digest(d), desc_size(d)))
			continue;
		tag = xasprintf("%s-%s", dest->tag, jsonio_str(pl, "architecture"));
		full = xasprintf("%s/%s:%s", dest->domain, dest->path, tag);
		if ((r = remote_tag(reg, dest, tag, have)) == -1) {
			warnmsg_err("cannot look up '%s'", full);
			rc = EXIT_FAILURE;
		} else if (r == 1 && p->no_override) {
			note("'%s' already exists in the registry; leaving it",
			    full);
		} else if ((r == 1 && strcmp(have, desc_digest(d)) == 0) ||
		    put_manifest(p, reg, dest, d, tag) == 0) {
			/* §10.3: the arch tag is named in the cache too */
			if (layout_resolve(&p->l, full, &rootdesc) == -1) {
				const char *n[] = { full };

				layout_set_refs(&p->l, 1, n, &d);
			}
			json_decref(rootdesc);
			rootdesc = NULL;
			if (record_write(stdout, full, d) == -1)
				die_err(EXIT_FAILURE, "'%s'", full);
		} else {
			warnmsg_err("cannot push '%s'", full);
			rc = EXIT_FAILURE;
		}
		free(tag);
		free(full);
	}
	manifest_release(&m);
	return rc;
}

static int
push_one(struct put *p, const char *name, const json_t *root,
    const char *destname)
{
	struct ref dest = REF_INIT;
	struct registry *reg;
	struct reg_push *up = NULL;
	struct push_stats st;
	json_t *manifests = json_array(), *blobs = json_array(), *d, *rec;
	char have[DIGEST_MAX];
	size_t i;
	int r, rc = EXIT_FAILURE;

	if (ref_parse(&dest, destname) == -1 || !dest.tag || dest.digest) {
		warnmsg("'%s': a destination needs a tag", destname);
		goto out;
	}
	reg = registry(p, dest.domain);
	if ((r = remote_tag(reg, &dest, dest.tag, have)) == -1) {
		warnmsg_err("cannot look up '%s'", destname);
		goto out;
	}
	if (r == 1 && p->no_override) {
		if (verbosity >= 0)
			warnmsg("'%s' already exists in the registry; leaving it",
			    destname);
		rc = EXIT_SUCCESS;
		goto out;
	}
	if (r == 1 && strcmp(have, desc_digest(root)) == 0) {
		note("'%s' is already in the registry", destname);
		plan(p, reg, &dest, root, NULL, manifests, blobs, 0);
	} else {
		up = registry_push_new(reg, &p->l);
		if (plan(p, reg, &dest, root, up, manifests, blobs, 0) == -1 ||
		    registry_push_run(up, &st) == -1) {
			warnmsg_err("cannot push '%s' to '%s'", name, destname);
			rc = exit_for_err();
			goto out;
		}
		note("'%s': %u blobs uploaded (%lld bytes), %u mounted, %u "
		    "present", destname, st.uploaded, (long long)st.bytes,
		    st.mounted, st.present);
		json_array_foreach(manifests, i, d)
			if (put_manifest(p, reg, &dest, d, NULL) == -1) {
				warnmsg_err("cannot push '%s'", destname);
				goto out;
			}
		if (put_manifest(p, reg, &dest, root, dest.tag) == -1) {
			warnmsg_err("cannot push '%s'", destname);
			goto out;
		}
	}
	rec = json_deep_copy(root);
	json_object_del(rec, "annotations");
	if (record_write(stdout, destname, rec) == -1)
		die_err(EXIT_FAILURE, "'%s'", destname);
	json_decref(rec);
	rc = EXIT_SUCCESS;
	/* later destinations on this registry can mount what went up here */
	json_array_foreach(blobs, i, d)
		remember(p, &dest, json_string_value(d));
	if (p->archtags)
		rc = arch_tags(p, reg, &dest, destname, root);
out:
	registry_push_free(up);
	json_decref(manifests);
	json_decref(blobs);
	ref_release(&dest);
	return rc;
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "arch-tags",	no_argument,		NULL, 'a' },
		{ "cache",	required_argument,	NULL, 'C' },
		{ "help",	no_argument,		NULL, 'h' },
		{ "insecure",	required_argument,	NULL, 'I' },
		{ "jobs",	required_argument,	NULL, 'j' },
		{ "mount-from",	required_argument,	NULL, 'm' },
		{ "no-override", no_argument,		NULL, 'n' },
		{ "quiet",	no_argument,		NULL, 'q' },
		{ "verbose",	no_argument,		NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct put p = { .jobs = 4, .scratch = BUF_INIT };
	const char *cachedir = NULL;
	char *dir, *name, *dest, *end;
	size_t ninsecure = 0;
	json_t *root;
	int ch, i, rc = EXIT_SUCCESS;
	long n;

	die_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "C:hj:qv", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':	p.archtags = 1; break;
		case 'C':	cachedir = optarg; break;
		case 'h':	usage(EXIT_SUCCESS); break;
		case 'I':
			if (ninsecure == MAX_INSECURE)
				die(EXIT_USAGE, "too many --insecure hosts");
			p.insecure[ninsecure++] = optarg;
			break;
		case 'j':
			n = strtol(optarg, &end, 10);
			if (*end || n < 1 || n > 64)
				die(EXIT_USAGE, "-j takes a number from 1 to 64");
			p.jobs = n;
			break;
		case 'm':	p.mount_from = optarg; break;
		case 'n':	p.no_override = 1; break;
		case 'q':	verbosity--; break;
		case 'v':	verbosity++; break;
		default:	usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EXIT_USAGE);
	if (!(name = ref_canonical(argv[0], 1)))
		die_err(EXIT_USAGE, "bad reference");
	for (i = 1; i < argc; i++) {
		if (!(dest = ref_canonical(argv[i], 1)))
			die_err(EXIT_USAGE, "bad destination");
		free(dest);
	}
	dir = layout_default_path(cachedir);
	if (layout_open(&p.l, dir, 0) == -1 ||
	    layout_resolve(&p.l, name, &root) == -1) {
		warnmsg_err("cannot push '%s'", name);
		rc = exit_for_err();
		goto out;
	}
	p.pushed = json_object();
	if (argc == 1) {
		rc = push_one(&p, name, root, name);
	} else {
		for (i = 1; i < argc; i++) {
			dest = ref_canonical(argv[i], 1);
			rc = exit_worst(rc, push_one(&p, name, root, dest));
			free(dest);
		}
	}
	json_decref(root);
out:
	for (i = 0; i < (int)p.nregs; i++)
		registry_free(p.regs[i]);
	http_free(p.h);
	json_decref(p.pushed);
	buf_release(&p.scratch);
	layout_close(&p.l);
	free(name);
	free(dir);
	out_close();
	return rc;
}
