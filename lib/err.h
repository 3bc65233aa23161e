/* lib/err.h - the message a failing library call leaves for its caller
 *
 * Library functions never print. On failure they return -1 with errno set
 * (ENOENT means "not found") and describe what failed with err_set(); the
 * tool shows it with die_err() or warnmsg_err(). Later calls overwrite it.
 */
#ifndef ERR_H
#define ERR_H

/* set errno to errnum and the message; returns -1 for `return err_set(...)` */
int	err_set(int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* like err_set(), with ": strerror(errnum)" appended */
int	err_sys(int errnum, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* prefix the current message with "fmt: ", keeping errno */
int	err_wrap(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the last message; strerror(errno) when none was set since err_clear() */
const char *err_msg(void);
void	err_clear(void);

#endif
