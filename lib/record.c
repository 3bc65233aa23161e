/* lib/record.c - the records tools exchange on pipes */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jsonio.h"
#include "record.h"

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
	jsonio_dump(rec, &line);
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

/*
 * The next line of f into b, without its end of line, reading at most
 * RECORD_MAX bytes of it: 1, 0 at the end of input, -1 when too long.
 */
static int
read_line(FILE *f, struct buf *b)
{
	int c;

	buf_reset(b);
	while ((c = getc(f)) != EOF && c != '\n') {
		if (b->len == RECORD_MAX)
			return -1;
		buf_add(b, &(char){ (char)c }, 1);
	}
	if (c == EOF && b->len == 0)
		return 0;
	while (b->len > 0 && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
	return 1;
}

int
record_read(FILE *f, json_t **rec, unsigned *lineno)
{
	struct buf line = BUF_INIT;
	char what[64];
	int r;

	*rec = NULL;
	errno = 0;
	do {
		if ((r = read_line(f, &line)) == -1) {
			buf_release(&line);
			return err_set(EFBIG, "record on line %u: longer than "
			    "%u bytes", *lineno + 1, RECORD_MAX);
		}
		if (r == 0) {
			buf_release(&line);
			if (ferror(f))
				return err_sys(errno ? errno : EIO,
				    "cannot read records");
			return 0;
		}
		(*lineno)++;
	} while (line.len == 0);
	snprintf(what, sizeof(what), "record on line %u", *lineno);
	*rec = jsonio_parse(line.data, line.len, what);
	buf_release(&line);
	if (!*rec)
		return -1;
	if (!json_is_object(*rec)) {
		json_decref(*rec);
		*rec = NULL;
		return err_set(EINVAL, "%s is not an object", what);
	}
	return 1;
}
