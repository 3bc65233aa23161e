/* lib/die.h - program name, messages on stderr, the suite's exit codes */
#ifndef DIE_H
#define DIE_H

#include <stdlib.h>

/* EXIT_SUCCESS (0) and EXIT_FAILURE (1) come from <stdlib.h>. */
#define EXIT_USAGE	2	/* bad options or operands */
#define EXIT_NOTFOUND	3	/* ref, tag, platform or blob absent; nothing else wrong */

extern const char *progname;
extern int verbosity;		/* 0 default, <0 quiet (-q), >0 verbose (-v) */

void	die_init(const char *argv0);
void	die(int status, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
/* die() with ": " and the library's last message (err_msg()) appended */
void	die_err(int status, const char *fmt, ...)
	    __attribute__((noreturn, format(printf, 2, 3)));
void	warnmsg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* warnmsg() with the library's message; silent under -q for "not found" */
void	warnmsg_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* the expected "not found" behind an exit 3: a message -q hides */
void	notfound_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* only with -v */
void	note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * Shows a library's log line by its level: 0 a warning (hidden by -q),
 * 1 a note (-v), 2 debugging (-vv). Fits the log hook of lib/http.
 */
void	msglog(void *arg, int level, const char *msg);
/* 1 > 3 > 0: the status to exit with after several operands */
int	exit_worst(int a, int b);
/* the status for the library's last failure: its kind (lib/err.h) */
int	exit_for_err(void);
/* flush and close stdout; a failed write there is exit 1 */
void	out_close(void);

#endif
