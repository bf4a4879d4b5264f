/*
 * A latency histogram for the benchmark: microsecond values in log-linear
 * buckets (exact below 128 µs, then 128 buckets per power of two, so any
 * quantile is off by less than 1 %). Fixed size, no allocation; not
 * thread-safe: keep one per thread and merge, or guard it.
 */
#ifndef TGSHOP_BENCH_HIST_H
#define TGSHOP_BENCH_HIST_H

#include <stdint.h>

enum { HIST_SUB = 128, HIST_BUCKETS = HIST_SUB * 40 };

struct hist {
    uint64_t count;
    uint64_t sum_us;
    int64_t max_us;
    uint64_t buckets[HIST_BUCKETS];
};

void hist_add(struct hist *h, int64_t us);
void hist_merge(struct hist *into, const struct hist *from);
/* The q-quantile (0..1) in milliseconds; 0 when empty. */
double hist_quantile_ms(const struct hist *h, double q);
double hist_mean_ms(const struct hist *h);
double hist_max_ms(const struct hist *h);

#endif
