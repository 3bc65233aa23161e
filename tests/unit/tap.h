/* tests/unit/tap.h - the smallest TAP producer that does the job */
#ifndef TAP_H
#define TAP_H

/* one test: prints "ok N - name" or "not ok N - name"; returns cond */
int	ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* string equality, showing both sides on failure */
int	is(const char *got, const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* integer equality */
int	is_int(long long got, long long want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* a diagnostic line ("# ...") */
void	diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* prints the plan "1..N"; the exit status: 0 when every test passed */
int	tap_done(void);

#endif
