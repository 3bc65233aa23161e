/* lib/progress.c - one updating progress line on a terminal */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "monotime.h"
#include "progress.h"

#define REDRAW_MS	100	/* ten lines a second is smooth and cheap */
#define WHAT_MAX	48	/* the name shown; the rest of the line is numbers */

static struct {
	pthread_mutex_t	 mu;
	int		 on, active;
	char		 what[WHAT_MAX + 1];
	int64_t		 total, done, start_ms, drawn_ms;
} p = { PTHREAD_MUTEX_INITIALIZER, 0, 0, "", 0, 0, 0, 0 };

static void
human(char *out, size_t n, double bytes)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, n, u ? "%.1f %s" : "%.0f %s", bytes, unit[u]);
}

/* the line, with \r first and the rest of the old line cleared */
static void
draw(int64_t now, const char *end)
{
	char line[256], done[32], total[32], rate[32];
	double secs = (double)(now - p.start_ms) / 1000;
	int n;

	human(done, sizeof(done), (double)p.done);
	human(total, sizeof(total), (double)p.total);
	human(rate, sizeof(rate), secs > 0 ? (double)p.done / secs : 0);
	if (p.total > 0)
		n = snprintf(line, sizeof(line), "\r%s: %s / %s, %s/s\033[K%s",
		    p.what, done, total, rate, end);
	else
		n = snprintf(line, sizeof(line), "\r%s: %s, %s/s\033[K%s",
		    p.what, done, rate, end);
	if (n > 0 && write(STDERR_FILENO, line, (size_t)n < sizeof(line) ?
	    (size_t)n : sizeof(line) - 1) == -1)
		p.on = 0;
	p.drawn_ms = now;
}

void
progress_enable(int on)
{
	p.on = on;
}

void
progress_begin(const char *what, int64_t total)
{
	size_t i;

	if (!p.on)
		return;
	pthread_mutex_lock(&p.mu);
	snprintf(p.what, sizeof(p.what), "%s", what);
	/* the name comes from the command line or a registry: no escapes */
	for (i = 0; p.what[i]; i++)
		if ((unsigned char)p.what[i] < 0x20 || p.what[i] == 0x7f)
			p.what[i] = '?';
	p.total = total > 0 ? total : 0;
	p.done = 0;
	p.start_ms = monotime_ms();
	p.drawn_ms = 0;
	p.active = 1;
	pthread_mutex_unlock(&p.mu);
}

void
progress_total(int64_t n)
{
	if (!p.on)
		return;
	pthread_mutex_lock(&p.mu);
	p.total += n;
	pthread_mutex_unlock(&p.mu);
}

void
progress_done(int64_t n)
{
	int64_t now;

	if (!p.on)
		return;
	pthread_mutex_lock(&p.mu);
	p.done += n;
	now = monotime_ms();
	if (p.active && now - p.drawn_ms >= REDRAW_MS)
		draw(now, "");
	pthread_mutex_unlock(&p.mu);
}

void
progress_end(void)
{
	if (!p.on)
		return;
	pthread_mutex_lock(&p.mu);
	if (p.active)
		draw(monotime_ms(), "\n");
	p.active = 0;
	pthread_mutex_unlock(&p.mu);
}
