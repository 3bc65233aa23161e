/* lib/buildyml.c - strict build.yml decoding with libyaml's document API */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <yaml.h>

#include "buildyml.h"
#include "err.h"
#include "fsutil.h"
#include "path.h"
#include "platform.h"
#include "strv.h"
#include "xalloc.h"

#define BUILDYML_MAX	(4u << 20)
/*
 * Aliases let a few bytes name a tree many times over ("billion laughs",
 * merge keys listing one anchor ten times per level), and an alias may
 * name a node it is inside. Decoding therefore visits at most NODES_MAX
 * nodes in all, counting each alias as often as it is expanded, and nests
 * mappings and sequences at most DEPTH_MAX deep: the cost is linear in
 * the input and bounded whatever it says. No real build.yml comes near.
 */
#define NODES_MAX	100000
#define DEPTH_MAX	32
/* above this many keys a mapping's duplicates are found by sorting */
#define KEYS_LINEAR	32

/* ---- YAML helpers --------------------------------------------------- */

struct dec {
	yaml_document_t		*doc;
	const char		*file;
	const yaml_node_t	*stack[DEPTH_MAX];	/* being decoded */
	int			 depth;
	unsigned long		 nodes;		/* visited, aliases counted */
};

static unsigned long
line_of(const yaml_node_t *n)
{
	return (unsigned long)n->start_mark.line + 1;
}

static const char *
sval(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

static int
is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static int
is_null(const yaml_node_t *n)
{
	const char *v;

	if (n->type != YAML_SCALAR_NODE)
		return 0;
	if (n->tag && strcmp((const char *)n->tag, YAML_NULL_TAG) == 0)
		return 1;
	if (!is_plain(n))
		return 0;
	v = sval(n);
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") ||
	    !strcmp(v, "Null") || !strcmp(v, "NULL");
}

static const char *
kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE:		return "a scalar";
	case YAML_SEQUENCE_NODE:	return "a sequence";
	case YAML_MAPPING_NODE:		return "a mapping";
	default:			return "nothing";
	}
}

/* count a node visited (an alias as often as it is expanded) */
static int
count(struct dec *d, const yaml_node_t *n, unsigned long k)
{
	if ((d->nodes += k) > NODES_MAX)
		return err_set(EINVAL, "%s:%lu: too large once aliases are "
		    "expanded (more than %d nodes)", d->file, line_of(n),
		    NODES_MAX);
	return 0;
}

/*
 * Start decoding the collection n: counted, its depth bounded, and an
 * alias to a collection that is being decoded (n inside itself) refused.
 * Every enter() that succeeds is paired with a leave().
 */
static int
enter(struct dec *d, const yaml_node_t *n)
{
	int i;

	if (count(d, n, 1) == -1)
		return -1;
	for (i = 0; i < d->depth; i++)
		if (d->stack[i] == n)
			return err_set(EINVAL, "%s:%lu: recursive alias: a "
			    "node includes itself", d->file, line_of(n));
	if (d->depth == DEPTH_MAX)
		return err_set(EINVAL, "%s:%lu: nested more than %d deep",
		    d->file, line_of(n), DEPTH_MAX);
	d->stack[d->depth++] = n;
	return 0;
}

static void
leave(struct dec *d)
{
	d->depth--;
}

static int
type_err(struct dec *d, const yaml_node_t *n, const char *key,
    const char *want)
{
	if (n->type == YAML_SCALAR_NODE)
		return err_set(EINVAL, "%s:%lu: field %s: cannot use '%s' "
		    "as %s", d->file, line_of(n), key, sval(n), want);
	return err_set(EINVAL, "%s:%lu: field %s: cannot use %s as %s",
	    d->file, line_of(n), key, kind_name(n), want);
}

/* Go yaml.v3's booleans, as the compat document lists them */
static int
to_bool(const yaml_node_t *n, int *out)
{
	static const char *const t[] = { "y", "Y", "yes", "Yes", "YES", "on",
		"On", "ON", NULL };
	static const char *const f[] = { "n", "N", "no", "No", "NO", "off",
		"Off", "OFF", NULL };
	const char *v = sval(n);
	int i;

	if (is_plain(n)) {
		if (!strcmp(v, "true") || !strcmp(v, "True") ||
		    !strcmp(v, "TRUE")) {
			*out = 1;
			return 0;
		}
		if (!strcmp(v, "false") || !strcmp(v, "False") ||
		    !strcmp(v, "FALSE")) {
			*out = 0;
			return 0;
		}
	}
	for (i = 0; t[i]; i++)
		if (!strcmp(v, t[i])) {
			*out = 1;
			return 0;
		}
	for (i = 0; f[i]; i++)
		if (!strcmp(v, f[i])) {
			*out = 0;
			return 0;
		}
	return -1;
}

/* a plain decimal (or 0x / 0o) integer */
static int
to_int(const yaml_node_t *n, long long *out)
{
	const char *v = sval(n), *p = v;
	char *end;
	int base = 10, neg = 0;
	unsigned long long u;

	if (!is_plain(n) || !*v)
		return -1;
	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && p[1] == 'o')
		base = 8, p += 2;
	if (*p < '0' || *p > 'f')
		return -1;
	errno = 0;
	u = strtoull(p, &end, base);
	if (*end || errno || end == p || u > (unsigned long long)LLONG_MAX)
		return -1;
	*out = neg ? -(long long)u : (long long)u;
	return 0;
}

static int map_keys(struct dec *, const yaml_node_t *, const char *,
    const char *const *, int *);

static int
is_merge_key(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE && is_plain(k) &&
	    !strcmp(sval(k), "<<");
}

/* a mapping merged in: keys already set win, as yaml.v3 resolves them */
static int
merge_one(struct dec *d, const yaml_node_t *v, const char *what,
    const char *const *names, int *idx)
{
	int sub[64];
	size_t i;

	if (v->type != YAML_MAPPING_NODE)
		return err_set(EINVAL, "%s:%lu: %s: map merge requires a "
		    "mapping or a list of mappings", d->file, line_of(v),
		    what);
	if (!names)
		return err_set(EINVAL, "%s:%lu: %s: merge keys are not "
		    "supported here", d->file, line_of(v), what);
	for (i = 0; names[i]; i++)
		;
	if (i > 64)
		return err_set(EINVAL, "internal: schema too large");
	if (map_keys(d, v, what, names, sub) == -1)
		return -1;
	for (i = 0; names[i]; i++)
		if (!idx[i] && sub[i])
			idx[i] = sub[i];
	return 0;
}

/*
 * A merge key "<<: *anchor" or "<<: [*a, *b]": earlier mappings in the
 * list win. Each merged mapping is decoded (and counted) once per use.
 */
static int
merge(struct dec *d, const yaml_node_t *v, const char *what,
    const char *const *names, int *idx)
{
	yaml_node_item_t *it;
	int rc = 0;

	if (v->type != YAML_SEQUENCE_NODE)
		return merge_one(d, v, what, names, idx);
	if (enter(d, v) == -1)
		return -1;
	for (it = v->data.sequence.items.start;
	    rc == 0 && it < v->data.sequence.items.top; it++)
		rc = merge_one(d, yaml_document_get_node(d->doc, *it), what,
		    names, idx);
	leave(d);
	return rc;
}

static int
cmp_key(const void *a, const void *b)
{
	const yaml_node_t *const *x = a, *const *y = b;
	int c = strcmp(sval(*x), sval(*y));

	/* equal keys in the order written: the second is the repeat */
	return c ? c : (*x < *y ? -1 : *x > *y);
}

/* a repeated key: in n log n, so a mapping of many keys costs little */
static int
dup_keys(struct dec *d, const yaml_node_t *m)
{
	const yaml_node_pair_t *p = m->data.mapping.pairs.start;
	size_t i, n = m->data.mapping.pairs.top - p;
	const yaml_node_t **k, *first = NULL, *again = NULL;

	if (n < 2)
		return 0;
	k = xcalloc(n, sizeof(*k));
	for (i = 0; i < n; i++)
		k[i] = yaml_document_get_node(d->doc, p[i].key);
	qsort(k, n, sizeof(*k), cmp_key);
	/* report the repeat written first, as a scan in order would */
	for (i = 1; i < n; i++)
		if (!strcmp(sval(k[i - 1]), sval(k[i])) &&
		    (!again || k[i] < again)) {
			first = k[i - 1];
			again = k[i];
		}
	free(k);
	if (!again)
		return 0;
	return err_set(EINVAL, "%s:%lu: mapping key \"%s\" already defined "
	    "at line %lu", d->file, line_of(again), sval(again),
	    line_of(first));
}

/* keys are scalars and none is repeated */
static int
check_keys(struct dec *d, const yaml_node_t *m, const char *what)
{
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *k2;
	size_t n = m->data.mapping.pairs.top - m->data.mapping.pairs.start;

	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(d->doc, p->key);
		if (!k || k->type != YAML_SCALAR_NODE)
			return err_set(EINVAL, "%s:%lu: %s: keys must be "
			    "scalars", d->file, k ? line_of(k) : 0, what);
		for (q = m->data.mapping.pairs.start; n <= KEYS_LINEAR &&
		    q < p; q++) {
			k2 = yaml_document_get_node(d->doc, q->key);
			if (!strcmp(sval(k2), sval(k)))
				return err_set(EINVAL, "%s:%lu: mapping key "
				    "\"%s\" already defined at line %lu",
				    d->file, line_of(k), sval(k),
				    line_of(k2));
		}
	}
	return n > KEYS_LINEAR ? dup_keys(d, m) : 0;
}

static int
map_keys_in(struct dec *d, const yaml_node_t *m, const char *what,
    const char *const *names, int *idx)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;
	size_t i;

	for (i = 0; names && names[i]; i++)
		idx[i] = 0;
	if (count(d, m, m->data.mapping.pairs.top -
	    m->data.mapping.pairs.start) == -1 || check_keys(d, m, what) == -1)
		return -1;
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(d->doc, p->key);
		if (is_merge_key(k) || !names)
			continue;	/* merges applied below, after own keys */
		for (i = 0; names[i]; i++)
			if (!strcmp(names[i], sval(k)))
				break;
		if (!names[i])
			return err_set(EINVAL, "%s:%lu: field %s not found "
			    "in %s", d->file, line_of(k), sval(k), what);
		idx[i] = p->value;
	}
	for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	    p++) {
		k = yaml_document_get_node(d->doc, p->key);
		if (is_merge_key(k) && merge(d, yaml_document_get_node(d->doc,
		    p->value), what, names, idx) == -1)
			return -1;
	}
	return 0;
}

/*
 * Check a mapping's keys: scalars, known (names[] NULL-terminated, or
 * any when names is NULL), not repeated. idx[i] receives the value node
 * of names[i] (0 when absent). Merge keys are applied.
 */
static int
map_keys(struct dec *d, const yaml_node_t *m, const char *what,
    const char *const *names, int *idx)
{
	int rc;

	if (enter(d, m) == -1)
		return -1;
	rc = map_keys_in(d, m, what, names, idx);
	leave(d);
	return rc;
}

static yaml_node_t *
node(struct dec *d, int i)
{
	return i ? yaml_document_get_node(d->doc, i) : NULL;
}

/* string field: null keeps the default */
static int
get_str(struct dec *d, int i, const char *key, char **out)
{
	yaml_node_t *n = node(d, i);

	if (!n || is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE)
		return type_err(d, n, key, "a string");
	free(*out);
	*out = xstrdup(sval(n));
	return 0;
}

static int
get_bool(struct dec *d, int i, const char *key, int *out)
{
	yaml_node_t *n = node(d, i);

	if (!n || is_null(n))
		return 0;
	if (n->type != YAML_SCALAR_NODE || to_bool(n, out) == -1)
		return type_err(d, n, key, "a boolean");
	return 0;
}

/* list of strings: present replaces the default, null clears it */
static int
get_strv(struct dec *d, int i, const char *key, struct strv *out)
{
	yaml_node_t *n = node(d, i), *it;
	yaml_node_item_t *p;

	if (!n)
		return 0;
	strv_clear(out);
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return type_err(d, n, key, "a list of strings");
	if (count(d, n, n->data.sequence.items.top -
	    n->data.sequence.items.start) == -1)
		return -1;
	for (p = n->data.sequence.items.start;
	    p < n->data.sequence.items.top; p++) {
		it = yaml_document_get_node(d->doc, *p);
		if (it->type != YAML_SCALAR_NODE)
			return type_err(d, it, key, "a string");
		strv_push(out, is_null(it) ? "" : sval(it));
	}
	return 0;
}

/* ---- config: a schema of the Go structures LinuxKit decodes into ------ */

enum ftype {
	F_STR, F_BOOL, F_INT, F_UINT, F_ANY, F_STRLIST, F_ANYLIST,
	F_STRMAP, F_OBJ, F_OBJLIST, F_OBJMAP
};
/* how encoding/json treats the Go field */
enum fomit {
	O_ALWAYS,	/* value field without omitempty: always written */
	O_PRESENT,	/* pointer with omitempty: written when set */
	O_NONZERO	/* value field with omitempty: written when not zero */
};

struct schema;
struct field {
	const char		*yaml;
	const char		*json;
	enum ftype		 type;
	enum fomit		 omit;
	const struct schema	*sub;
};
struct schema {
	const char		*name;
	const struct field	*f;
};

static const struct field idmap_f[] = {
	{ "containerid", "containerID", F_UINT, O_ALWAYS, NULL },
	{ "hostid", "hostID", F_UINT, O_ALWAYS, NULL },
	{ "size", "size", F_UINT, O_ALWAYS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema idmap_s = { "specs.LinuxIDMapping", idmap_f };

static const struct field mount_f[] = {
	{ "destination", "destination", F_STR, O_ALWAYS, NULL },
	{ "type", "type", F_STR, O_NONZERO, NULL },
	{ "source", "source", F_STR, O_NONZERO, NULL },
	{ "options", "options", F_STRLIST, O_NONZERO, NULL },
	{ "uidmappings", "uidMappings", F_OBJLIST, O_NONZERO, &idmap_s },
	{ "gidmappings", "gidMappings", F_OBJLIST, O_NONZERO, &idmap_s },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema mount_s = { "specs.Mount", mount_f };

static const struct field devcg_f[] = {
	{ "allow", "allow", F_BOOL, O_ALWAYS, NULL },
	{ "type", "type", F_STR, O_NONZERO, NULL },
	{ "major", "major", F_INT, O_PRESENT, NULL },
	{ "minor", "minor", F_INT, O_PRESENT, NULL },
	{ "access", "access", F_STR, O_NONZERO, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema devcg_s = { "specs.LinuxDeviceCgroup", devcg_f };

static const struct field mem_f[] = {
	{ "limit", "limit", F_INT, O_PRESENT, NULL },
	{ "reservation", "reservation", F_INT, O_PRESENT, NULL },
	{ "swap", "swap", F_INT, O_PRESENT, NULL },
	{ "kernel", "kernel", F_INT, O_PRESENT, NULL },
	{ "kerneltcp", "kernelTCP", F_INT, O_PRESENT, NULL },
	{ "swappiness", "swappiness", F_UINT, O_PRESENT, NULL },
	{ "disableoomkiller", "disableOOMKiller", F_BOOL, O_PRESENT, NULL },
	{ "usehierarchy", "useHierarchy", F_BOOL, O_PRESENT, NULL },
	{ "checkbeforeupdate", "checkBeforeUpdate", F_BOOL, O_PRESENT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema mem_s = { "specs.LinuxMemory", mem_f };

static const struct field cpu_f[] = {
	{ "shares", "shares", F_UINT, O_PRESENT, NULL },
	{ "quota", "quota", F_INT, O_PRESENT, NULL },
	{ "burst", "burst", F_UINT, O_PRESENT, NULL },
	{ "period", "period", F_UINT, O_PRESENT, NULL },
	{ "realtimeruntime", "realtimeRuntime", F_INT, O_PRESENT, NULL },
	{ "realtimeperiod", "realtimePeriod", F_UINT, O_PRESENT, NULL },
	{ "cpus", "cpus", F_STR, O_NONZERO, NULL },
	{ "mems", "mems", F_STR, O_NONZERO, NULL },
	{ "idle", "idle", F_INT, O_PRESENT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema cpu_s = { "specs.LinuxCPU", cpu_f };

static const struct field pids_f[] = {
	{ "limit", "limit", F_INT, O_ALWAYS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema pids_s = { "specs.LinuxPids", pids_f };

static const struct field wdev_f[] = {
	{ "major", "major", F_INT, O_ALWAYS, NULL },
	{ "minor", "minor", F_INT, O_ALWAYS, NULL },
	{ "weight", "weight", F_UINT, O_PRESENT, NULL },
	{ "leafweight", "leafWeight", F_UINT, O_PRESENT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema wdev_s = { "specs.LinuxWeightDevice", wdev_f };

static const struct field tdev_f[] = {
	{ "major", "major", F_INT, O_ALWAYS, NULL },
	{ "minor", "minor", F_INT, O_ALWAYS, NULL },
	{ "rate", "rate", F_UINT, O_ALWAYS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema tdev_s = { "specs.LinuxThrottleDevice", tdev_f };

static const struct field blkio_f[] = {
	{ "weight", "weight", F_UINT, O_PRESENT, NULL },
	{ "leafweight", "leafWeight", F_UINT, O_PRESENT, NULL },
	{ "weightdevice", "weightDevice", F_OBJLIST, O_NONZERO, &wdev_s },
	{ "throttlereadbpsdevice", "throttleReadBpsDevice", F_OBJLIST,
	    O_NONZERO, &tdev_s },
	{ "throttlewritebpsdevice", "throttleWriteBpsDevice", F_OBJLIST,
	    O_NONZERO, &tdev_s },
	{ "throttlereadiopsdevice", "throttleReadIOPSDevice", F_OBJLIST,
	    O_NONZERO, &tdev_s },
	{ "throttlewriteiopsdevice", "throttleWriteIOPSDevice", F_OBJLIST,
	    O_NONZERO, &tdev_s },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema blkio_s = { "specs.LinuxBlockIO", blkio_f };

static const struct field huge_f[] = {
	{ "pagesize", "pageSize", F_STR, O_ALWAYS, NULL },
	{ "limit", "limit", F_UINT, O_ALWAYS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema huge_s = { "specs.LinuxHugepageLimit", huge_f };

static const struct field prio_f[] = {
	{ "name", "name", F_STR, O_ALWAYS, NULL },
	{ "priority", "priority", F_UINT, O_ALWAYS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema prio_s = { "specs.LinuxInterfacePriority", prio_f };

static const struct field net_f[] = {
	{ "classid", "classID", F_UINT, O_PRESENT, NULL },
	{ "priorities", "priorities", F_OBJLIST, O_NONZERO, &prio_s },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema net_s = { "specs.LinuxNetwork", net_f };

static const struct field rdma_f[] = {
	{ "hcahandles", "hcaHandles", F_UINT, O_PRESENT, NULL },
	{ "hcaobjects", "hcaObjects", F_UINT, O_PRESENT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema rdma_s = { "specs.LinuxRdma", rdma_f };

static const struct field res_f[] = {
	{ "devices", "devices", F_OBJLIST, O_NONZERO, &devcg_s },
	{ "memory", "memory", F_OBJ, O_PRESENT, &mem_s },
	{ "cpu", "cpu", F_OBJ, O_PRESENT, &cpu_s },
	{ "pids", "pids", F_OBJ, O_PRESENT, &pids_s },
	{ "blockio", "blockIO", F_OBJ, O_PRESENT, &blkio_s },
	{ "hugepagelimits", "hugepageLimits", F_OBJLIST, O_NONZERO, &huge_s },
	{ "network", "network", F_OBJ, O_PRESENT, &net_s },
	{ "rdma", "rdma", F_OBJMAP, O_NONZERO, &rdma_s },
	{ "unified", "unified", F_STRMAP, O_NONZERO, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema res_s = { "specs.LinuxResources", res_f };

static const struct field device_f[] = {
	{ "path", "path", F_STR, O_ALWAYS, NULL },
	{ "type", "type", F_STR, O_ALWAYS, NULL },
	{ "major", "major", F_INT, O_ALWAYS, NULL },
	{ "minor", "minor", F_INT, O_ALWAYS, NULL },
	{ "mode", "mode", F_STR, O_NONZERO, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema device_s = { "moby.Device", device_f };

static const struct field iface_f[] = {
	{ "name", "name", F_STR, O_NONZERO, NULL },
	{ "add", "add", F_STR, O_NONZERO, NULL },
	{ "peer", "peer", F_STR, O_NONZERO, NULL },
	{ "createInRoot", "createInRoot", F_BOOL, O_ALWAYS, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema iface_s = { "moby.Interface", iface_f };

static const struct field ns_f[] = {
	{ "cgroup", "cgroup", F_STR, O_PRESENT, NULL },
	{ "ipc", "ipc", F_STR, O_PRESENT, NULL },
	{ "mnt", "mnt", F_STR, O_PRESENT, NULL },
	{ "net", "net", F_STR, O_PRESENT, NULL },
	{ "pid", "pid", F_STR, O_PRESENT, NULL },
	{ "user", "user", F_STR, O_PRESENT, NULL },
	{ "uts", "uts", F_STR, O_PRESENT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema ns_s = { "moby.Namespaces", ns_f };

static const struct field runtime_f[] = {
	{ "cgroups", "cgroups", F_STRLIST, O_PRESENT, NULL },
	{ "mounts", "mounts", F_OBJLIST, O_PRESENT, &mount_s },
	{ "mkdir", "mkdir", F_STRLIST, O_PRESENT, NULL },
	{ "interfaces", "interfaces", F_OBJLIST, O_PRESENT, &iface_s },
	{ "bindNS", "bindNS", F_OBJ, O_ALWAYS, &ns_s },
	{ "namespace", "namespace", F_STR, O_PRESENT, NULL },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema runtime_s = { "moby.Runtime", runtime_f };

static const struct field config_f[] = {
	{ "capabilities", "capabilities", F_STRLIST, O_PRESENT, NULL },
	{ "capabilities.add", "capabilities.add", F_STRLIST, O_PRESENT, NULL },
	{ "ambient", "ambient", F_STRLIST, O_PRESENT, NULL },
	{ "mounts", "mounts", F_OBJLIST, O_PRESENT, &mount_s },
	{ "binds", "binds", F_STRLIST, O_PRESENT, NULL },
	{ "binds.add", "binds.add", F_STRLIST, O_PRESENT, NULL },
	{ "devices", "devices", F_OBJLIST, O_PRESENT, &device_s },
	{ "tmpfs", "tmpfs", F_STRLIST, O_PRESENT, NULL },
	{ "command", "command", F_STRLIST, O_PRESENT, NULL },
	{ "env", "env", F_STRLIST, O_PRESENT, NULL },
	{ "cwd", "cwd", F_STR, O_NONZERO, NULL },
	{ "net", "net", F_STR, O_NONZERO, NULL },
	{ "pid", "pid", F_STR, O_NONZERO, NULL },
	{ "ipc", "ipc", F_STR, O_NONZERO, NULL },
	{ "uts", "uts", F_STR, O_NONZERO, NULL },
	{ "userns", "userns", F_STR, O_NONZERO, NULL },
	{ "hostname", "hostname", F_STR, O_NONZERO, NULL },
	{ "readonly", "readonly", F_BOOL, O_PRESENT, NULL },
	{ "maskedPaths", "maskedPaths", F_STRLIST, O_PRESENT, NULL },
	{ "readonlyPaths", "readonlyPaths", F_STRLIST, O_PRESENT, NULL },
	{ "uid", "uid", F_ANY, O_PRESENT, NULL },
	{ "gid", "gid", F_ANY, O_PRESENT, NULL },
	{ "additionalGids", "additionalGids", F_ANYLIST, O_PRESENT, NULL },
	{ "noNewPrivileges", "noNewPrivileges", F_BOOL, O_PRESENT, NULL },
	{ "oomScoreAdj", "oomScoreAdj", F_INT, O_PRESENT, NULL },
	{ "rootfsPropagation", "rootfsPropagation", F_STR, O_PRESENT, NULL },
	{ "cgroupsPath", "cgroupsPath", F_STR, O_PRESENT, NULL },
	{ "resources", "resources", F_OBJ, O_PRESENT, &res_s },
	{ "sysctl", "sysctl", F_STRMAP, O_PRESENT, NULL },
	{ "rlimits", "rlimits", F_STRLIST, O_PRESENT, NULL },
	{ "uidMappings", "uidMappings", F_OBJLIST, O_PRESENT, &idmap_s },
	{ "gidMappings", "gidMappings", F_OBJLIST, O_PRESENT, &idmap_s },
	{ "annotations", "annotations", F_STRMAP, O_PRESENT, NULL },
	{ "runtime", "runtime", F_OBJ, O_PRESENT, &runtime_s },
	{ NULL, NULL, 0, 0, NULL }
};
static const struct schema config_s = { "moby.ImageConfig", config_f };

static int decode_obj(struct dec *, const yaml_node_t *, const struct schema *,
    json_t **);

static json_t *
zero_of(const struct field *f)
{
	switch (f->type) {
	case F_STR:	return json_string("");
	case F_BOOL:	return json_false();
	case F_INT:
	case F_UINT:	return json_integer(0);
	case F_STRLIST:
	case F_ANYLIST:
	case F_OBJLIST:
	case F_STRMAP:
	case F_OBJMAP:
	case F_ANY:	return json_null();
	case F_OBJ:	return NULL;	/* built by decode_obj(NULL) */
	}
	return json_null();
}

static int
is_zero(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_STRING:	return json_string_length(j) == 0;
	case JSON_FALSE:
	case JSON_NULL:		return 1;
	case JSON_INTEGER:	return json_integer_value(j) == 0;
	case JSON_ARRAY:	return json_array_size(j) == 0;
	case JSON_OBJECT:	return json_object_size(j) == 0;
	default:		return 0;
	}
}

/* a scalar into interface{}: int, bool, null or string, as yaml.v3 does */
static json_t *
any_scalar(const yaml_node_t *n)
{
	long long v;
	const char *s = sval(n);

	if (is_null(n))
		return json_null();
	if (is_plain(n)) {
		if (to_int(n, &v) == 0)
			return json_integer(v);
		if (!strcmp(s, "true") || !strcmp(s, "True") ||
		    !strcmp(s, "TRUE"))
			return json_true();
		if (!strcmp(s, "false") || !strcmp(s, "False") ||
		    !strcmp(s, "FALSE"))
			return json_false();
	}
	return json_string(s);
}

static int
cmp_pair(const void *a, const void *b)
{
	const yaml_node_t *const *x = a, *const *y = b;

	return strcmp(sval(x[0]), sval(y[0]));
}

/* the pairs of n as (key, value) node pointers, sorted by key as Go does */
static const yaml_node_t **
sorted_pairs(struct dec *d, const yaml_node_t *n, size_t *cnt)
{
	const yaml_node_pair_t *p = n->data.mapping.pairs.start;
	const yaml_node_t **kv;
	size_t i;

	*cnt = n->data.mapping.pairs.top - p;
	kv = xcalloc(2 * *cnt + 2, sizeof(*kv));
	for (i = 0; i < *cnt; i++) {
		kv[2 * i] = yaml_document_get_node(d->doc, p[i].key);
		kv[2 * i + 1] = yaml_document_get_node(d->doc, p[i].value);
	}
	qsort(kv, *cnt, 2 * sizeof(*kv), cmp_pair);
	return kv;
}

/* a mapping of string -> string or -> sub-object, keys sorted as Go does */
static int
decode_map_in(struct dec *d, const yaml_node_t *n, const struct field *f,
    json_t **out)
{
	const yaml_node_t **kv, *v;
	const char *key;
	json_t *m, *val;
	size_t i, cnt;
	int rc = -1;

	if (map_keys_in(d, n, f->yaml, NULL, NULL) == -1)
		return -1;
	kv = sorted_pairs(d, n, &cnt);
	m = json_object();
	for (i = 0; i < cnt; i++) {
		key = sval(kv[2 * i]);
		v = kv[2 * i + 1];
		if (f->type == F_STRMAP) {
			if (v->type != YAML_SCALAR_NODE) {
				type_err(d, v, key, "a string");
				goto out;
			}
			val = json_string(is_null(v) ? "" : sval(v));
		} else if (is_null(v)) {
			val = json_object();
		} else if (decode_obj(d, v, f->sub, &val) == -1)
			goto out;
		json_object_set_new(m, key, val);
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	json_decref(m);
	free(kv);
	return rc;
}

/* n stays on the stack while its values are decoded: no cycle through it */
static int
decode_map(struct dec *d, const yaml_node_t *n, const struct field *f,
    json_t **out)
{
	int rc;

	if (enter(d, n) == -1)
		return -1;
	rc = decode_map_in(d, n, f, out);
	leave(d);
	return rc;
}

/* a list of scalars or of objects */
static int
decode_list(struct dec *d, const yaml_node_t *n, const struct field *f,
    json_t **out)
{
	yaml_node_item_t *p;
	yaml_node_t *it;
	json_t *a, *v;

	if (enter(d, n) == -1)
		return -1;
	a = json_array();
	for (p = n->data.sequence.items.start;
	    p < n->data.sequence.items.top; p++) {
		it = yaml_document_get_node(d->doc, *p);
		if (f->type == F_OBJLIST) {
			if (decode_obj(d, is_null(it) ? NULL : it, f->sub,
			    &v) == -1)
				goto bad;
		} else if (it->type != YAML_SCALAR_NODE) {
			type_err(d, it, f->yaml, "a scalar");
			goto bad;
		} else if (count(d, it, 1) == -1) {
			goto bad;
		} else if (f->type == F_ANYLIST)
			v = any_scalar(it);
		else
			v = json_string(is_null(it) ? "" : sval(it));
		json_array_append_new(a, v);
	}
	leave(d);
	*out = a;
	return 0;
bad:
	leave(d);
	json_decref(a);
	return -1;
}

static int
decode_value(struct dec *d, const yaml_node_t *n, const struct field *f,
    json_t **out)
{
	long long iv;
	int b;

	if (n->type == YAML_SCALAR_NODE && count(d, n, 1) == -1)
		return -1;
	switch (f->type) {
	case F_STR:
		if (n->type != YAML_SCALAR_NODE)
			return type_err(d, n, f->yaml, "a string");
		*out = json_string(sval(n));
		return 0;
	case F_BOOL:
		if (n->type != YAML_SCALAR_NODE || to_bool(n, &b) == -1)
			return type_err(d, n, f->yaml, "a boolean");
		*out = json_boolean(b);
		return 0;
	case F_INT:
	case F_UINT:
		if (n->type != YAML_SCALAR_NODE || to_int(n, &iv) == -1 ||
		    (f->type == F_UINT && iv < 0))
			return type_err(d, n, f->yaml, f->type == F_INT ?
			    "an integer" : "an unsigned integer");
		*out = json_integer(iv);
		return 0;
	case F_ANY:
		if (n->type != YAML_SCALAR_NODE)
			return type_err(d, n, f->yaml, "a scalar");
		*out = any_scalar(n);
		return 0;
	case F_STRLIST:
	case F_ANYLIST:
	case F_OBJLIST:
		if (n->type != YAML_SEQUENCE_NODE)
			return type_err(d, n, f->yaml, "a list");
		return decode_list(d, n, f, out);
	case F_STRMAP:
	case F_OBJMAP:
		if (n->type != YAML_MAPPING_NODE)
			return type_err(d, n, f->yaml, "a mapping");
		return decode_map(d, n, f, out);
	case F_OBJ:
		return decode_obj(d, n, f->sub, out);
	}
	return err_set(EINVAL, "internal: bad field type");
}

/* the fields of s from the value nodes idx[] (0: absent) */
static int
decode_fields(struct dec *d, const struct schema *s, const int *idx,
    json_t **out)
{
	json_t *o, *v;
	yaml_node_t *vn;
	size_t i;

	o = json_object();
	for (i = 0; s->f[i].yaml; i++) {
		const struct field *f = &s->f[i];

		vn = node(d, idx[i]);
		v = NULL;
		if (vn && !is_null(vn)) {
			if (decode_value(d, vn, f, &v) == -1)
				goto bad;
		} else if (vn && f->omit == O_PRESENT) {
			continue;	/* null into a pointer: nil */
		}
		if (!v) {
			if (f->omit != O_ALWAYS)
				continue;
			if (f->type != F_OBJ)
				v = zero_of(f);
			else if (decode_obj(d, NULL, f->sub, &v) == -1)
				goto bad;
		}
		if (f->omit == O_NONZERO && is_zero(v)) {
			json_decref(v);
			continue;
		}
		json_object_set_new(o, f->json, v);
	}
	*out = o;
	return 0;
bad:
	json_decref(o);
	return -1;
}

/*
 * n NULL: the zero value of the structure. n stays on the stack while its
 * fields are decoded, so an alias back to it is found.
 */
static int
decode_obj(struct dec *d, const yaml_node_t *n, const struct schema *s,
    json_t **out)
{
	const char *names[40];
	int idx[40], rc;
	size_t i;

	for (i = 0; s->f[i].yaml; i++) {
		names[i] = s->f[i].yaml;
		idx[i] = 0;
	}
	names[i] = NULL;
	if (!n)
		return decode_fields(d, s, idx, out);
	if (n->type != YAML_MAPPING_NODE)
		return type_err(d, n, s->name, "a mapping");
	if (enter(d, n) == -1)
		return -1;
	rc = map_keys_in(d, n, s->name, names, idx);
	if (rc == 0)
		rc = decode_fields(d, s, idx, out);
	leave(d);
	return rc;
}

/* compact JSON with Go's escapes: HTML-safe, lower-case \u00xx */
static char *
go_json(const json_t *j)
{
	char *raw = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	struct buf b = BUF_INIT;
	const unsigned char *p;
	char c;
	int i;

	if (!raw)
		return NULL;
	for (p = (const unsigned char *)raw; *p; p++) {
		if (p[0] == '\\' && p[1] == 'u') {
			buf_adds(&b, "\\u");
			for (i = 2; i < 6 && p[i]; i++) {
				c = (char)tolower(p[i]);
				buf_add(&b, &c, 1);
			}
			p += i - 1;
		} else if (p[0] == '\\' && p[1]) {
			buf_add(&b, p, 2);
			p++;
		} else if (*p == '<')
			buf_adds(&b, "\\u003c");
		else if (*p == '>')
			buf_adds(&b, "\\u003e");
		else if (*p == '&')
			buf_adds(&b, "\\u0026");
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
		    (p[2] == 0xa8 || p[2] == 0xa9)) {
			buf_adds(&b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
			p += 2;
		} else
			buf_add(&b, p, 1);
	}
	free(raw);
	return buf_detach(&b, NULL);
}

/* ---- the package -------------------------------------------------- */

static const char *const top_keys[] = {
	"image", "org", "tag", "dockerfile", "arches", "extra-sources",
	"gitrepo", "network", "disable-cache", "config", "buildArgs",
	"depends", NULL
};
enum { K_IMAGE, K_ORG, K_TAG, K_DOCKERFILE, K_ARCHES, K_EXTRA, K_GITREPO,
	K_NETWORK, K_DISABLE_CACHE, K_CONFIG, K_BUILDARGS, K_DEPENDS };
static const char *const dep_keys[] = { "docker-images", NULL };
static const char *const img_keys[] = { "target-dir", "target", "from-file",
	"list", NULL };

static void
defaults(struct buildyml *b)
{
	b->image = xstrdup("");
	b->org = xstrdup("linuxkit");
	b->tag = xstrdup("");
	b->dockerfile = xstrdup("Dockerfile");
	b->gitrepo = xstrdup("https://github.com/linuxkit/linuxkit");
	strv_push(&b->arches, "amd64");
	strv_push(&b->arches, "arm64");
	strv_push(&b->arches, "riscv64");
	b->dep_target = xstrdup("");
	b->dep_target_dir = xstrdup("");
	b->dep_from_file = xstrdup("");
}

static int
decode_depends(struct dec *d, struct buildyml *b, int di)
{
	yaml_node_t *n = node(d, di);
	int idx[2], ii[5];

	if (!n || is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return type_err(d, n, "depends", "a mapping");
	if (map_keys(d, n, "depends", dep_keys, idx) == -1)
		return -1;
	n = node(d, idx[0]);
	if (!n || is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return type_err(d, n, "docker-images", "a mapping");
	if (map_keys(d, n, "depends.docker-images", img_keys, ii) == -1)
		return -1;
	if (get_str(d, ii[0], "target-dir", &b->dep_target_dir) == -1 ||
	    get_str(d, ii[1], "target", &b->dep_target) == -1 ||
	    get_str(d, ii[2], "from-file", &b->dep_from_file) == -1 ||
	    get_strv(d, ii[3], "list", &b->dep_list) == -1)
		return -1;
	return 0;
}

int
buildyml_parse(struct buildyml *b, const char *file, const char *text,
    size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root, *cn;
	struct dec d;
	json_t *cfg = NULL;
	size_t i;
	int idx[16], rc = -1, have_doc = 0;

	memset(b, 0, sizeof(*b));
	b->file = xstrdup(file);
	defaults(b);
	if (!yaml_parser_initialize(&parser))
		return err_set(ENOMEM, "%s: cannot initialise libyaml", file);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text,
	    len);
	if (!yaml_parser_load(&parser, &doc)) {
		err_set(EINVAL, "%s:%lu: %s%s%s", file,
		    (unsigned long)parser.problem_mark.line + 1,
		    parser.problem ? parser.problem : "syntax error",
		    parser.context ? " " : "",
		    parser.context ? parser.context : "");
		goto out;
	}
	have_doc = 1;
	memset(&d, 0, sizeof(d));
	d.doc = &doc;
	d.file = file;
	root = yaml_document_get_root_node(&doc);
	if (!root) {
		err_set(EINVAL, "%s: no YAML document", file);
		goto out;
	}
	if (root->type != YAML_MAPPING_NODE) {
		err_set(EINVAL, "%s:%lu: the top level must be a mapping, "
		    "not %s", file, line_of(root), kind_name(root));
		goto out;
	}
	if (map_keys(&d, root, "the package", top_keys, idx) == -1)
		goto out;
	if (get_str(&d, idx[K_IMAGE], "image", &b->image) == -1 ||
	    get_str(&d, idx[K_ORG], "org", &b->org) == -1 ||
	    get_str(&d, idx[K_TAG], "tag", &b->tag) == -1 ||
	    get_str(&d, idx[K_DOCKERFILE], "dockerfile", &b->dockerfile) == -1 ||
	    get_strv(&d, idx[K_ARCHES], "arches", &b->arches) == -1 ||
	    get_strv(&d, idx[K_EXTRA], "extra-sources", &b->extra_sources) == -1 ||
	    get_str(&d, idx[K_GITREPO], "gitrepo", &b->gitrepo) == -1 ||
	    get_bool(&d, idx[K_NETWORK], "network", &b->network) == -1 ||
	    get_bool(&d, idx[K_DISABLE_CACHE], "disable-cache",
	    &b->disable_cache) == -1 ||
	    get_strv(&d, idx[K_BUILDARGS], "buildArgs", &b->build_args) == -1 ||
	    decode_depends(&d, b, idx[K_DEPENDS]) == -1)
		goto out;
	cn = node(&d, idx[K_CONFIG]);
	if (cn && !is_null(cn)) {
		if (decode_obj(&d, cn, &config_s, &cfg) == -1)
			goto out;
		if (!(b->config = go_json(cfg))) {
			err_set(EINVAL, "%s: cannot serialise config", file);
			goto out;
		}
	}
	if (!*b->image) {
		err_set(EINVAL, "%s: image field is required", file);
		goto out;
	}
	/* an architecture becomes part of tags (NAME:TAG-ARCH) and paths */
	for (i = 0; i < b->arches.n; i++)
		if (!platform_field_valid(b->arches.v[i])) {
			err_set(EINVAL, "%s: arches: '%.80s' is not a valid "
			    "architecture", file, b->arches.v[i]);
			goto out;
		}
	rc = 0;
out:
	json_decref(cfg);
	if (rc == -1)
		buildyml_release(b);
	if (have_doc)
		yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* ---- depends.docker-images (doc/linuxkit-compat.md §3.5) ------------ */

static int
check_dep_path(const struct buildyml *b, const char *pkgdir,
    const char *field, const char *v)
{
	char *j;
	size_t n = strlen(pkgdir);
	int rc = 0;

	if (!*v)
		return 0;
	if (*v == '/')
		return err_set(EINVAL, "%s: depends.image.%s must be relative "
		    "to package directory", b->file, field);
	j = path_join(pkgdir, v);
	if (!strcmp(j, pkgdir))
		rc = err_set(EINVAL, "%s: depends.image.%s must not be "
		    "exactly the package directory", b->file, field);
	else if (strncmp(j, pkgdir, n) != 0)
		rc = err_set(EINVAL, "%s: depends.image.%s must be within "
		    "package directory", b->file, field);
	free(j);
	return rc;
}

/* why img is not registry/repository@sha256:hex, or NULL when it is */
static const char *
image_problem(const char *img)
{
	static const char bad_digest[] = "unable to validate digest: want "
	    "sha256: and 64 lower-case hex digits";
	const char *at = strrchr(img, '@'), *h;
	size_t i;

	if (!strchr(img, '/') || *img == '/')
		return "invalid reference (write registry/repository@sha256:...)";
	for (h = img; *h != '/'; h++)
		if (!(*h == '.' || *h == '-' || *h == ':' || *h == '_' ||
		    (*h >= 'a' && *h <= 'z') || (*h >= 'A' && *h <= 'Z') ||
		    (*h >= '0' && *h <= '9')))
			return "invalid registry host";
	if (!at)
		return "lacks a digest";
	at++;
	if (strncmp(at, "sha256:", 7) != 0 || strlen(at) != 7 + 64)
		return bad_digest;
	for (i = 7; at[i]; i++)
		if (!((at[i] >= '0' && at[i] <= '9') ||
		    (at[i] >= 'a' && at[i] <= 'f')))
			return bad_digest;
	return NULL;
}

/* fd, opened without blocking, is a regular file of at most max bytes */
static int
check_fd(int fd, const char *path, size_t max)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) == -1)
		return err_sys(errno, "cannot read '%s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(EINVAL, "cannot read '%s': not a regular file",
		    path);
	if ((uintmax_t)st.st_size > max)
		return err_set(EFBIG, "cannot read '%s': larger than %zu bytes",
		    path, max);
	if ((fl = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1)
		return err_sys(errno, "cannot read '%s'", path);
	return 0;
}

/*
 * Read path, which must be a regular file that lies inside pkgdir once
 * every link is resolved: a build.yml or from-file that is a link out of
 * the package (to /etc/shadow, say) is not read at all. ENOENT when it
 * does not exist.
 */
static int
read_inside(const char *pkgdir, const char *path, struct buf *out)
{
	char *rp = NULL, *rf = NULL, *what;
	size_t n = strlen(pkgdir);
	int fd = -1, rc = -1;

	/*
	 * A plain file directly in the package (the usual build.yml) is
	 * inside it, wherever the package is: no path needs resolving.
	 */
	if (!strncmp(path, pkgdir, n) && path[n] == '/' &&
	    !strchr(path + n + 1, '/') && strcmp(path + n + 1, "..") &&
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) != -1)
		goto opened;
	if (!(rf = realpath(path, NULL))) {
		if (errno == ENOENT)
			return err_set(ENOENT, "cannot read '%s': no such file",
			    path);
		return err_sys(errno, "cannot read '%s'", path);
	}
	if (!(rp = realpath(pkgdir, NULL))) {
		err_sys(errno, "cannot read package directory '%s'", pkgdir);
		goto out;
	}
	n = strlen(rp);
	if (strncmp(rf, rp, n) != 0 || (rf[n] != '/' && n > 1)) {
		err_set(EPERM, "cannot read '%s': it lies outside the package "
		    "'%s'", path, pkgdir);
		goto out;
	}
	fd = open(rf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1) {
		err_sys(errno, "cannot read '%s'", path);
		goto out;
	}
opened:
	if (check_fd(fd, path, BUILDYML_MAX) == -1)
		goto out;
	what = xasprintf("'%s'", path);
	rc = fs_read_fd(fd, BUILDYML_MAX, out, what);
	free(what);
out:
	if (fd != -1)
		close(fd);
	free(rp);
	free(rf);
	return rc;
}

static int
validate_depends(struct buildyml *b, const char *pkgdir)
{
	struct buf f = BUF_INIT;
	char *path, *line, *nl;
	const char *why;
	unsigned long lineno;
	size_t i;
	int rc = -1;

	if (*b->dep_target && *b->dep_target_dir)
		return err_set(EINVAL, "%s: depends.images.target and "
		    "depends.images.target-dir are mutually exclusive",
		    b->file);
	if (*b->dep_from_file && b->dep_list.n)
		return err_set(EINVAL, "%s: depends.images.list and "
		    "depends.images.from-file are mutually exclusive",
		    b->file);
	if (check_dep_path(b, pkgdir, "target", b->dep_target) == -1 ||
	    check_dep_path(b, pkgdir, "target-dir", b->dep_target_dir) == -1 ||
	    check_dep_path(b, pkgdir, "from-file", b->dep_from_file) == -1)
		return -1;
	strv_clear(&b->dep_images);
	for (i = 0; i < b->dep_list.n; i++) {
		if ((why = image_problem(b->dep_list.v[i])))
			return err_set(EINVAL, "%s: image \"%s\": %s", b->file,
			    b->dep_list.v[i], why);
		strv_push(&b->dep_images, b->dep_list.v[i]);
	}
	if (!*b->dep_from_file)
		return 0;
	path = path_join(pkgdir, b->dep_from_file);
	if (read_inside(pkgdir, path, &f) == -1)
		goto out;
	if (f.len && memchr(f.data, '\0', f.len)) {
		err_set(EINVAL, "%s: NUL byte in a list of images", path);
		goto out;
	}
	/* the file is not YAML: a bad line is named, never echoed */
	for (line = f.data, lineno = 1; line && *line; line = nl, lineno++) {
		if ((nl = strchr(line, '\n')))
			*nl++ = '\0';
		if (!*line || *line == '#')
			continue;
		if ((why = image_problem(line))) {
			err_set(EINVAL, "%s:%lu: not an image: %s", path, lineno,
			    why);
			goto out;
		}
		strv_push(&b->dep_images, line);
	}
	rc = 0;
out:
	free(path);
	buf_release(&f);
	return rc;
}

int
buildyml_load(struct buildyml *b, const char *pkgdir, const char *name)
{
	struct buf text = BUF_INIT;
	char *file;
	int rc = -1;

	file = path_join(pkgdir, name ? name : "build.yml");
	if (read_inside(pkgdir, file, &text) == -1) {
		memset(b, 0, sizeof(*b));
		free(file);
		return -1;
	}
	if (memchr(text.data, '\0', text.len)) {
		memset(b, 0, sizeof(*b));
		err_set(EINVAL, "%s: NUL byte in YAML", file);
		goto out;
	}
	if (buildyml_parse(b, file, text.data, text.len) == -1)
		goto out;
	if (validate_depends(b, pkgdir) == -1) {
		buildyml_release(b);
		goto out;
	}
	rc = 0;
out:
	free(file);
	buf_release(&text);
	return rc;
}

void
buildyml_release(struct buildyml *b)
{
	free(b->file);
	free(b->image);
	free(b->org);
	free(b->tag);
	free(b->dockerfile);
	free(b->gitrepo);
	strv_clear(&b->arches);
	strv_clear(&b->extra_sources);
	strv_clear(&b->build_args);
	free(b->config);
	free(b->dep_target);
	free(b->dep_target_dir);
	free(b->dep_from_file);
	strv_clear(&b->dep_list);
	strv_clear(&b->dep_images);
	memset(b, 0, sizeof(*b));
}
