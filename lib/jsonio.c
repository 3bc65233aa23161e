/* lib/jsonio.c - strict JSON in, deterministic JSON out, typed getters */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fsutil.h"
#include "jsonio.h"

/*
 * Duplicate keys enable parser-differential attacks; NUL bytes and
 * trailing data are refused because jansson's defaults already do.
 */
#define PARSE_FLAGS	(JSON_REJECT_DUPLICATES)

json_t *
jsonio_parse(const void *buf, size_t len, const char *what)
{
	json_error_t e;
	json_t *j;

	if (len > JSONIO_MAX_DOC) {
		err_set(EFBIG, "%s: larger than %u bytes", what, JSONIO_MAX_DOC);
		return NULL;
	}
	if (!(j = json_loadb(buf, len, PARSE_FLAGS, &e))) {
		err_set(EINVAL, "%s:%d:%d: %s", what, e.line, e.column, e.text);
		return NULL;
	}
	return j;
}

json_t *
jsonio_load_path(const char *path)
{
	struct buf b = BUF_INIT;
	json_t *j = NULL;

	if (fs_read_path(path, JSONIO_MAX_DOC, &b) == 0)
		j = jsonio_parse(b.data, b.len, path);
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
jsonio_dump(const json_t *j, struct buf *out)
{
	/*
	 * jansson keeps insertion order; the tools insert keys in the order
	 * the specs list them, so the same input gives the same bytes.
	 */
	json_dump_callback(j, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY);
}

const char *
jsonio_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

json_t *
jsonio_obj(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_object(v) ? v : NULL;
}

json_t *
jsonio_arr(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_array(v) ? v : NULL;
}

int64_t
jsonio_int(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}
