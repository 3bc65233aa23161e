/* lib/json.c - strict parsing, deterministic dumping, descriptors, records */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "err.h"
#include "fsutil.h"
#include "json.h"
#include "platform.h"

/*
 * Duplicate keys enable parser-differential attacks; NUL bytes and
 * trailing data are refused because jansson's defaults already do.
 */
#define PARSE_FLAGS	(JSON_REJECT_DUPLICATES)

json_t *
json_parse(const void *buf, size_t len, const char *what)
{
	json_error_t e;
	json_t *j;

	if (len > JSON_MAX_DOC) {
		err_set(EFBIG, "%s: larger than %u bytes", what, JSON_MAX_DOC);
		return NULL;
	}
	if (!(j = json_loadb(buf, len, PARSE_FLAGS, &e))) {
		err_set(EINVAL, "%s:%d:%d: %s", what, e.line, e.column, e.text);
		return NULL;
	}
	return j;
}

json_t *
json_load_path(const char *path)
{
	struct buf b = BUF_INIT;
	json_t *j = NULL;

	if (fs_read_path(path, JSON_MAX_DOC, &b) == 0)
		j = json_parse(b.data, b.len, path);
	buf_release(&b);
	return j;
}

static int
dump_cb(const char *p, size_t n, void *arg)
{
	buf_add(arg, p, n);
	return 0;
}

void
json_dump_buf(const json_t *j, struct buf *out)
{
	/*
	 * jansson keeps insertion order; the tools insert keys in the order
	 * the specs list them, so the same input gives the same bytes.
	 */
	json_dump_callback(j, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY);
}

const char *
json_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

json_t *
json_obj(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_object(v) ? v : NULL;
}

json_t *
json_arr(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

int64_t
json_int(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

int
desc_check(const json_t *d, const char *what)
{
	json_t *a, *v;
	const char *k;

	if (!json_is_object(d))
		return err_set(EINVAL, "%s: descriptor is not an object", what);
	if (!json_is_string(json_object_get(d, "mediaType")))
		return err_set(EINVAL, "%s: descriptor has no mediaType", what);
	if (!json_is_string(json_object_get(d, "digest")))
		return err_set(EINVAL, "%s: descriptor has no digest", what);
	if (digest_parse(desc_digest(d), NULL, NULL) == -1)
		return err_wrap("%s", what);
	if (!json_is_integer(json_object_get(d, "size")) || desc_size(d) < 0)
		return err_set(EINVAL, "%s: descriptor of '%s' has no valid "
		    "size", what, desc_digest(d));
	if ((a = json_object_get(d, "annotations"))) {
		if (!json_is_object(a))
			return err_set(EINVAL, "%s: annotations of '%s' are "
			    "not an object", what, desc_digest(d));
		json_object_foreach(a, k, v)
			if (!json_is_string(v))
				return err_set(EINVAL, "%s: annotation '%s' is "
				    "not a string", what, k);
	}
	if ((a = json_object_get(d, "platform")) &&
	    platform_check_json(a) == -1)
		return err_wrap("%s: descriptor of '%s'", what, desc_digest(d));
	return 0;
}

const char *
desc_media_type(const json_t *d)
{
	return json_str(d, "mediaType");
}

const char *
desc_digest(const json_t *d)
{
	return json_str(d, "digest");
}

int64_t
desc_size(const json_t *d)
{
	return json_int(d, "size");
}

json_t *
desc_new(const char *media_type, const char *digest, int64_t size)
{
	json_t *d = json_object();

	json_object_set_new(d, "mediaType", json_string(media_type));
	json_object_set_new(d, "digest", json_string(digest));
	json_object_set_new(d, "size", json_integer(size));
	return d;
}

const char *
desc_annotation(const json_t *d, const char *key)
{
	return json_str(json_object_get(d, "annotations"), key);
}

void
desc_annotate(json_t *d, const char *key, const char *value)
{
	json_t *a = json_object_get(d, "annotations");

	if (!json_is_object(a)) {
		a = json_object();
		json_object_set_new(d, "annotations", a);
	}
	json_object_set_new(a, key, json_string(value));
}

int
record_write(FILE *f, const char *ref, const json_t *desc)
{
	struct buf line = BUF_INIT;
	struct stat st;
	json_t *rec = json_object();
	const char *k;
	json_t *v;
	int rc = 0;

	if (ref)
		json_object_set_new(rec, "ref", json_string(ref));
	json_object_foreach((json_t *)desc, k, v)
		if (strcmp(k, "ref") != 0)
			json_object_set(rec, k, v);
	json_dump_buf(rec, &line);
	buf_add(&line, "\n", 1);
	json_decref(rec);
	if (fwrite(line.data, 1, line.len, f) != line.len)
		rc = err_sys(errno ? errno : EIO, "cannot write a record");
	else if ((fstat(fileno(f), &st) == -1 || !S_ISREG(st.st_mode)) &&
	    fflush(f) == EOF)
		rc = err_sys(errno, "cannot write a record");
	buf_release(&line);
	return rc;
}

int
record_read(FILE *f, json_t **rec, unsigned *lineno)
{
	char *line = NULL, what[64];
	size_t cap = 0;
	ssize_t n;

	*rec = NULL;
	for (;;) {
		errno = 0;
		if ((n = getline(&line, &cap, f)) == -1) {
			int e = errno;

			free(line);
			if (e)
				return err_sys(e, "cannot read records");
			return 0;
		}
		(*lineno)++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n > 0)
			break;
	}
	snprintf(what, sizeof(what), "record on line %u", *lineno);
	*rec = json_parse(line, n, what);
	free(line);
	if (!*rec)
		return -1;
	if (!json_is_object(*rec)) {
		json_decref(*rec);
		*rec = NULL;
		return err_set(EINVAL, "%s is not an object", what);
	}
	return 1;
}
