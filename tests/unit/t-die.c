/* tests/unit/t-die.c - exit codes, library messages, allocation helpers */
#include <errno.h>
#include <string.h>

#include "die.h"
#include "err.h"
#include "tap.h"
#include "xalloc.h"

int
main(void)
{
	struct buf b = BUF_INIT;
	char *s;
	size_t n;

	ok(exit_worst(0, 3) == 3, "not found beats success");
	ok(exit_worst(3, 1) == 1, "failure beats not found");
	ok(exit_worst(1, 3) == 1, "failure stays");
	ok(exit_worst(2, 0) == 2, "usage counts as a failure");
	err_notfound("'%s' is not in the cache", "x");
	ok(exit_for_err() == EXIT_NOTFOUND && errno == ENOENT,
	    "not found is exit 3");
	err_wrap("cannot pull '%s'", "x");
	ok(exit_for_err() == EXIT_NOTFOUND, "err_wrap keeps the kind");
	err_as(ERR_FAILURE);
	ok(exit_for_err() == EXIT_FAILURE && errno != ENOENT,
	    "err_as restates the kind");
	is(err_msg(), "cannot pull 'x': 'x' is not in the cache",
	    "err_as keeps the message");
	err_sys(ENOENT, "cannot open '%s'", "index.json");
	ok(exit_for_err() == EXIT_FAILURE,
	    "a system ENOENT is a failure, not \"not found\"");
	err_usage("bad platform '%s'", "x");
	ok(exit_for_err() == EXIT_USAGE, "usage is exit 2");
	err_set(EIO, "broken");
	ok(exit_for_err() == EXIT_FAILURE, "anything else is exit 1");
	err_set(ENOENT, "gone");
	ok(exit_for_err() == EXIT_NOTFOUND, "err_set(ENOENT) states not found");

	ok(err_set(EINVAL, "bad '%s'", "x") == -1 && errno == EINVAL,
	    "err_set returns -1 and sets errno");
	is(err_msg(), "bad 'x'", "err_set message");
	err_wrap("reading '%s'", "f");
	is(err_msg(), "reading 'f': bad 'x'", "err_wrap prefixes, keeps errno");
	ok(errno == EINVAL, "errno kept by err_wrap");
	err_sys(ENOENT, "cannot open '%s'", "y");
	is(err_msg(), "cannot open 'y': No such file or directory", "err_sys");
	err_clear();
	errno = EACCES;
	is(err_msg(), strerror(EACCES), "no message: strerror(errno)");

	buf_adds(&b, "ab");
	buf_add(&b, "cd", 2);
	buf_addf(&b, "%d", 42);
	is(b.data, "abcd42", "buf appends");
	ok(b.len == 6 && b.data[b.len] == '\0', "buf is NUL-terminated");
	buf_reset(&b);
	ok(b.len == 0 && b.data[0] == '\0', "buf_reset empties");
	for (n = 0; n < 10000; n++)
		buf_add(&b, "x", 1);
	ok(b.len == 10000, "buf grows");
	s = buf_detach(&b, &n);
	ok(n == 10000 && b.data == buf_slop && b.len == 0,
	    "buf_detach hands over and leaves an empty string");
	ok(*b.data == '\0', "an empty buffer is an empty string");
	free(s);
	s = xasprintf("%s-%03d", "v", 7);
	is(s, "v-007", "xasprintf");
	free(s);
	s = xstrndup("abcdef", 3);
	is(s, "abc", "xstrndup");
	free(s);
	buf_release(&b);
	ok(b.data == buf_slop && b.cap == 0, "buf_release leaves an empty string");
	buf_reset(&b);
	ok(*buf_slop == '\0', "buf_reset never writes the shared empty string");
	s = buf_detach(&b, &n);
	ok(s != buf_slop && n == 0 && *s == '\0', "detaching nothing allocates");
	free(s);
	return tap_done();
}
