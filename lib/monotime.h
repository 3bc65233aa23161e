/* lib/monotime.h - milliseconds on the monotonic clock, for deadlines */
#ifndef MONOTIME_H
#define MONOTIME_H

#include <stdint.h>

/* CLOCK_MONOTONIC in ms: for deadlines and backoff, never for dates */
int64_t	monotime_ms(void);

#endif
