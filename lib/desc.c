/* lib/desc.c - OCI descriptors: checked, read and made */
#include <errno.h>
#include <string.h>

#include "desc.h"
#include "digest.h"
#include "err.h"
#include "jsonio.h"
#include "platform.h"

/*
 * A media type goes into Content-Type and Accept headers and into
 * messages: "type/subtype[;parameters]" of printable ASCII, at most 255
 * bytes, so no CR, LF or other control character ever leaves a document.
 */
static int
media_type_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > 255 || !strchr(s, '/') ||
	    !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') ||
	    (s[0] >= '0' && s[0] <= '9')))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return 0;
	return 1;
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
	if (!media_type_ok(desc_media_type(d)))
		return err_set(EINVAL, "%s: descriptor has a mediaType that is "
		    "not a media type", what);
	if ((a = json_object_get(d, "artifactType")) && (!json_is_string(a) ||
	    !media_type_ok(json_string_value(a))))
		return err_set(EINVAL, "%s: descriptor has an artifactType that "
		    "is not a media type", what);
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
	return jsonio_str(d, "mediaType");
}

const char *
desc_digest(const json_t *d)
{
	return jsonio_str(d, "digest");
}

int64_t
desc_size(const json_t *d)
{
	return jsonio_int(d, "size");
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
	return jsonio_str(json_object_get(d, "annotations"), key);
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
