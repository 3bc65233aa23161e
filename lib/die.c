/* lib/die.c - messages and exit codes; the only module that prints */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/*
 * Copy s to out as text a terminal shows as it is: control characters
 * (a registry's error body, a file name with a newline) become \xNN, so
 * no message can move the cursor, clear the screen or forge a line.
 * Returns the new length; out always has room for the newline.
 */
static size_t
escape_into(char *out, size_t n, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c;

	for (; (c = (unsigned char)*s) != '\0' && n + 5 < cap; s++) {
		if (c < 0x20 || c == 0x7f) {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		} else
			out[n++] = (char)c;
	}
	return n;
}

/* the attribute lets -Wformat-nonliteral (clang) see fmt is checked */
static void vmsg(const char *, va_list, const char *)
    __attribute__((format(printf, 1, 0)));

static void
vmsg(const char *fmt, va_list ap, const char *suffix)
{
	char text[4096], line[4096 * 2];
	size_t n;

	vsnprintf(text, sizeof(text), fmt, ap);
	n = escape_into(line, 0, sizeof(line), progname);
	n = escape_into(line, n, sizeof(line), ": ");
	n = escape_into(line, n, sizeof(line), text);
	if (suffix) {
		n = escape_into(line, n, sizeof(line), ": ");
		n = escape_into(line, n, sizeof(line), suffix);
	}
	line[n++] = '\n';
	/* one write per message, so lines from parallel tools do not mix */
	fflush(stderr);
	if (write(STDERR_FILENO, line, n) == -1)
		return;
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
exit_for_err(void)
{
	return (int)err_kind();
}

void
out_close(void)
{
	int bad = fflush(stdout) != 0 || ferror(stdout);

	if (fclose(stdout) != 0 || bad)
		die(EXIT_FAILURE, "cannot write to standard output: %s",
		    strerror(errno ? errno : EIO));
}
