/* tests/unit/tap.c - TAP output for the C unit tests, read by prove */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int n, failed;

static int report(int, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static int
report(int cond, const char *fmt, va_list ap)
{
	n++;
	if (!cond)
		failed++;
	printf("%sok %d - ", cond ? "" : "not ", n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

int
ok(int cond, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is(const char *got, const char *want, const char *fmt, ...)
{
	int cond = got && want ? strcmp(got, want) == 0 : got == want;
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got:  '%s'\n#   want: '%s'\n",
		    got ? got : "(null)", want ? want : "(null)");
	return cond;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	int cond = got == want;
	va_list ap;

	va_start(ap, fmt);
	report(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got:  %lld\n#   want: %lld\n", got, want);
	return cond;
}

void
diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int
tap_done(void)
{
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
