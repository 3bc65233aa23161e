/* lib/err.c - the library's last error message */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"

static char msg[1024];

int
err_set(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	errno = errnum;
	return -1;
}

int
err_sys(int errnum, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(errnum));
	errno = errnum;
	return -1;
}

int
err_wrap(const char *fmt, ...)
{
	char old[sizeof(msg)];
	int saved = errno;
	va_list ap;
	size_t n;

	memcpy(old, err_msg(), sizeof(old));
	old[sizeof(old) - 1] = '\0';
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	snprintf(msg + n, sizeof(msg) - n, ": %s", old);
	errno = saved;
	return -1;
}

const char *
err_msg(void)
{
	if (msg[0] == '\0')
		return strerror(errno);
	return msg;
}

void
err_clear(void)
{
	msg[0] = '\0';
}
