/* Time helpers. All stored times are UTC seconds since the epoch (int64). */
#ifndef TGSHOP_CORE_CLOCK_H
#define TGSHOP_CORE_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Wall clock, UTC seconds. */
int64_t clock_now(void);
/* Wall clock, UTC milliseconds. */
int64_t clock_now_ms(void);
/* Monotonic milliseconds: for deadlines and durations, never for storage. */
int64_t clock_mono_ms(void);
/* Monotonic microseconds: for measuring short work. */
int64_t clock_mono_us(void);
/* Formats t (UTC seconds) as "2026-11-25T17:56:04Z" into out (at least 21 bytes). */
void clock_format_iso(int64_t t, char *out, size_t size);
/* Sleeps ms milliseconds (restarts after signals until the time is up). */
void clock_sleep_ms(int64_t ms);

#endif
