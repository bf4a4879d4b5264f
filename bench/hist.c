#include "hist.h"

#include "core/banned.h"

static unsigned bucket_of(int64_t us)
{
    if (us < HIST_SUB)
        return us < 0 ? 0 : (unsigned)us;
    unsigned e = 63u - (unsigned)__builtin_clzll((unsigned long long)us); /* >= 7 */
    unsigned sub = (unsigned)((uint64_t)us >> (e - 7)) & (HIST_SUB - 1);
    unsigned index = HIST_SUB * (e - 6) + sub;
    return index < HIST_BUCKETS ? index : HIST_BUCKETS - 1;
}

/* The middle of a bucket, in µs. */
static double bucket_value(unsigned index)
{
    if (index < HIST_SUB)
        return index;
    unsigned e = index / HIST_SUB + 6, sub = index % HIST_SUB;
    double width = (double)(1ull << (e - 7));
    return ((double)HIST_SUB + sub) * width + width / 2;
}

void hist_add(struct hist *h, int64_t us)
{
    if (us < 0)
        us = 0;
    h->count++;
    h->sum_us += (uint64_t)us;
    if (us > h->max_us)
        h->max_us = us;
    h->buckets[bucket_of(us)]++;
}

void hist_merge(struct hist *into, const struct hist *from)
{
    into->count += from->count;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
    for (unsigned i = 0; i < HIST_BUCKETS; i++)
        into->buckets[i] += from->buckets[i];
}

double hist_quantile_ms(const struct hist *h, double q)
{
    if (!h->count)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)h->count);
    if (rank >= h->count)
        rank = h->count - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->buckets[i];
        if (seen > rank) {
            double v = bucket_value(i);
            return (v > (double)h->max_us ? (double)h->max_us : v) / 1000.0;
        }
    }
    return (double)h->max_us / 1000.0;
}

double hist_mean_ms(const struct hist *h)
{
    return h->count ? (double)h->sum_us / (double)h->count / 1000.0 : 0;
}

double hist_max_ms(const struct hist *h)
{
    return (double)h->max_us / 1000.0;
}
