/* lib/progress.h - one updating progress line on a terminal
 *
 * Large transfers (a fetch, a push, an import, an export) report their
 * bytes here; when the tool enabled it (stderr is a terminal and -q was
 * not given), one line on stderr shows the bytes done, the total when
 * known, and the rate, redrawn at most ten times a second, and ends with
 * a last line when the work is done. Otherwise every call is a no-op, so
 * pipes and logs see nothing. Like lib/die, the only other module that
 * writes to stderr, it is safe to call from several threads.
 */
#ifndef PROGRESS_H
#define PROGRESS_H

#include <stdint.h>

/* turn the line on, for stderr being a terminal and verbosity >= 0 */
void	progress_enable(int on);
/* a new piece of work: what it is (an image name), its total or -1 */
void	progress_begin(const char *what, int64_t total);
/* more bytes to do (a blob discovered), or bytes done */
void	progress_total(int64_t n);
void	progress_done(int64_t n);
/* the last line, and the line is free for messages again */
void	progress_end(void);

#endif
