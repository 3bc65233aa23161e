/* lib/err.h - the message and kind a failing library call leaves for its caller
 *
 * Library functions never print. On failure they return -1 and describe
 * what failed with one of the functions below; the tool shows the message
 * with die_err() or warnmsg_err() and exits with the kind (die.h's
 * exit_for_err()). The kind says what the caller may do about it: a
 * "not found" lets a Makefile build what is absent, anything else is a
 * failure. Later calls overwrite both.
 *
 * The kind is stated where the condition is known, never guessed later
 * from errno: a cache file that vanished under us (ENOENT from open) is a
 * failure, a name that is not in the cache is "not found".
 */
#ifndef ERR_H
#define ERR_H

/* Kinds; the values are the suite's exit statuses (ocikit(7)). */
enum err_kind {
	ERR_FAILURE = 1,	/* I/O, network, bad input, digest mismatch */
	ERR_USAGE = 2,		/* a bad option or operand reached the library */
	ERR_NOTFOUND = 3	/* the ref, tag, platform or blob does not exist */
};

/*
 * All return -1, for `return err_set(...)`, and set errno:
 * err_set() to errnum, with kind "not found" when errnum is ENOENT;
 * err_sys() to errnum with ": strerror(errnum)" appended, always a failure;
 * err_notfound() to ENOENT, kind "not found";
 * err_usage() to EINVAL, kind "usage".
 */
int	err_set(int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	err_sys(int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	err_notfound(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int	err_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* prefix the current message with "fmt: ", keeping errno and the kind */
int	err_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Restate the kind of the current failure, keeping its message: a layer
 * for which a lower layer's "not found" is a failure (an extra source that
 * is not in git makes the package bad, not absent) says so here.
 */
int	err_as(enum err_kind kind);
/* the last message; strerror(errno) when none was set since err_clear() */
const char *err_msg(void);
/* the kind of the last failure; ERR_FAILURE when none was stated */
enum err_kind err_kind(void);
void	err_clear(void);

#endif
