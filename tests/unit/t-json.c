/* tests/unit/t-json.c - strict parsing, descriptors, records */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "desc.h"
#include "err.h"
#include "jsonio.h"
#include "record.h"
#include "tap.h"

#define D "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static int
parses(const char *s)
{
	json_t *j = jsonio_parse(s, strlen(s), "t");

	json_decref(j);
	return j != NULL;
}

int
main(void)
{
	struct buf b = BUF_INIT;
	unsigned line = 0;
	json_t *j, *d;
	FILE *f;
	char *out = NULL;
	size_t outlen = 0;

	ok(parses("{\"a\":1}"), "an object parses");
	ok(!parses("{\"a\":1,\"a\":2}"), "duplicate keys refused");
	ok(!parses("{\"a\":1} x"), "trailing data refused");
	ok(!parses("{\"a\":\"\\u0000\"}"), "NUL in a string refused");
	ok(!parses("{\"a\":\"\xff\"}"), "invalid UTF-8 refused");
	ok(!jsonio_parse("{\n\"a\":", 6, "doc.json") &&
	    strstr(err_msg(), "doc.json:2:") != NULL, "message names the line: %s",
	    err_msg());

	d = desc_new("application/x", D, 3);
	ok(desc_check(d, "t") == 0, "a new descriptor checks");
	desc_annotate(d, "k", "v");
	is(desc_annotation(d, "k"), "v", "annotation set and read");
	jsonio_dump(d, &b);
	is(b.data, "{\"mediaType\":\"application/x\",\"digest\":\"" D
	    "\",\"size\":3,\"annotations\":{\"k\":\"v\"}}",
	    "dump is compact, in insertion order");
	json_object_set_new(d, "size", json_integer(-1));
	ok(desc_check(d, "t") == -1, "negative size refused");
	json_object_set_new(d, "size", json_integer(3));
	json_object_set_new(d, "digest", json_string("sha256:../x"));
	ok(desc_check(d, "t") == -1, "bad digest refused");
	json_object_set_new(d, "digest", json_string(D));

	f = open_memstream(&out, &outlen);
	ok(record_write(f, "docker.io/library/x:1", d) == 0, "record written");
	ok(record_write(f, NULL, d) == 0, "unnamed record written");
	fclose(f);
	ok(strncmp(out, "{\"ref\":\"docker.io/library/x:1\",\"mediaType\"", 41) == 0,
	    "ref comes first");
	ok(strchr(out, '\n') && strchr(strchr(out, '\n') + 1, '\n'),
	    "one line per record");

	f = fmemopen(out, outlen, "r");
	ok(record_read(f, &j, &line) == 1 && !strcmp(jsonio_str(j, "ref"),
	    "docker.io/library/x:1"), "record read back");
	json_decref(j);
	ok(record_read(f, &j, &line) == 1 && !jsonio_str(j, "ref"),
	    "unnamed record read back");
	json_decref(j);
	ok(record_read(f, &j, &line) == 0 && line == 2, "end of records");
	fclose(f);
	f = fmemopen("\n[1]\n", 5, "r");
	line = 0;
	ok(record_read(f, &j, &line) == -1 && line == 2,
	    "a non-object record is refused, naming line 2");
	fclose(f);

	free(out);
	buf_release(&b);
	json_decref(d);
	return tap_done();
}
