/* lib/die.c - messages and exit codes; the only module that prints */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "die.h"
#include "err.h"

const char *progname = "ocikit";
int verbosity;

void
die_init(const char *argv0)
{
	const char *p;

	if (argv0 && *argv0)
		progname = (p = strrchr(argv0, '/')) ? p + 1 : argv0;
}

/* the attribute lets -Wformat-nonliteral (clang) see fmt is checked */
static void vmsg(const char *, va_list, const char *)
    __attribute__((format(printf, 1, 0)));

static void
vmsg(const char *fmt, va_list ap, const char *suffix)
{
	char line[4096];
	int n;

	/* one write per message, so lines from parallel tools do not mix */
	n = snprintf(line, sizeof(line), "%s: ", progname);
	n += vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	if (n < (int)sizeof(line) && suffix)
		n += snprintf(line + n, sizeof(line) - n, ": %s", suffix);
	if (n >= (int)sizeof(line) - 1)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
}

void
die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, NULL);
	va_end(ap);
	exit(status);
}

void
die_err(int status, const char *fmt, ...)
{
	va_list ap;
	const char *m = err_msg();

	va_start(ap, fmt);
	vmsg(fmt, ap, m);
	va_end(ap);
	exit(status);
}

void
warnmsg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg(fmt, ap, NULL);
	va_end(ap);
}

void
warnmsg_err(const char *fmt, ...)
{
	va_list ap;
	const char *m = err_msg();

	va_start(ap, fmt);
	vmsg(fmt, ap, m);
	va_end(ap);
}

void
note(const char *fmt, ...)
{
	va_list ap;

	if (verbosity <= 0)
		return;
	va_start(ap, fmt);
	vmsg(fmt, ap, NULL);
	va_end(ap);
}

void
msglog(void *arg, int level, const char *msg)
{
	if (level == 0 && verbosity >= 0)
		warnmsg("%s", msg);
	else if (level == 1 && verbosity > 0)
		note("%s", msg);
	else if (level >= 2 && verbosity > 1)
		note("%s", msg);
}

static int
rank(int status)
{
	switch (status) {
	case EXIT_SUCCESS:	return 0;
	case EXIT_NOTFOUND:	return 1;
	default:		return 2;
	}
}

int
exit_worst(int a, int b)
{
	return rank(b) > rank(a) ? b : a;
}

int
exit_for_errno(void)
{
	return errno == ENOENT ? EXIT_NOTFOUND : EXIT_FAILURE;
}

void
out_close(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0 || bad)
		die(EXIT_FAILURE, "cannot write to standard output: %s",
		    strerror(errno ? errno : EIO));
}
