/* lib/err.c - the library's last error message and its kind */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static char msg[1024];
static enum err_kind kind = ERR_FAILURE;

/* add s to msg, cut at its end: the start of a message matters most */
static void
append(const char *s)
{
	size_t n = strlen(msg), k = strlen(s);

	if (k > sizeof(msg) - 1 - n)
		k = sizeof(msg) - 1 - n;
	memcpy(msg + n, s, k);
	msg[n + k] = '\0';
}

static int vset(int, enum err_kind, const char *, va_list)
    __attribute__((format(printf, 3, 0)));

static int
vset(int errnum, enum err_kind k, const char *fmt, va_list ap)
{
	vsnprintf(msg, sizeof(msg), fmt, ap);
	kind = k;
	errno = errnum;
	return -1;
}

int
err_set(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(errnum, errnum == ENOENT ? ERR_NOTFOUND : ERR_FAILURE, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_notfound(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(ENOENT, ERR_NOTFOUND, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(EINVAL, ERR_USAGE, fmt, ap);
	va_end(ap);
	return -1;
}

int
err_sys(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(errnum, ERR_FAILURE, fmt, ap);
	va_end(ap);
	append(": ");
	append(strerror(errnum));
	errno = errnum;
	return -1;
}

int
err_wrap(const char *fmt, ...)
{
	char old[sizeof(msg)];
	int saved = errno;
	va_list ap;

	/* err_msg() may be strerror()'s buffer, shorter than msg */
	snprintf(old, sizeof(old), "%s", err_msg());
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	append(": ");
	append(old);
	errno = saved;
	return -1;
}

int
err_as(enum err_kind k)
{
	kind = k;
	if (k != ERR_NOTFOUND && errno == ENOENT)
		errno = EINVAL;
	return -1;
}

const char *
err_msg(void)
{
	if (msg[0] == '\0')
		return strerror(errno);
	return msg;
}

enum err_kind
err_kind(void)
{
	return kind;
}

void
err_clear(void)
{
	msg[0] = '\0';
	kind = ERR_FAILURE;
}
