/*
 * Process metrics in the Prometheus text format (GET /metrics on every role; the list and
 * their meaning: docs/operations.md).
 *
 * Every metric of tgshop is declared below and defined in one table in metrics.c, so one
 * place lists them all with their help texts. A metric has up to two labels; a series (one
 * combination of label values) is made on first use, up to METRIC_SERIES_MAX per metric;
 * further combinations are counted under the values "other". Updates are atomic adds
 * without a lock; only making a new series takes a mutex, once per series.
 *
 *   metric_inc(&metric_http_requests, "admin", "200");
 *   metric_observe(&metric_update_seconds, 0.012, NULL, NULL);
 *
 * Label values are copied (at most METRIC_VALUE_MAX - 1 bytes) and escaped on output; pass
 * NULL for the labels a metric does not have.
 */
#ifndef TGSHOP_CORE_METRICS_H
#define TGSHOP_CORE_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

enum { METRIC_SERIES_MAX = 32, METRIC_BUCKETS_MAX = 16, METRIC_VALUE_MAX = 40 };

struct metric_series {
    char values[2][METRIC_VALUE_MAX];
    _Atomic uint64_t count;                       /* counter value; histogram count */
    _Atomic int64_t gauge;                        /* gauge value */
    _Atomic uint64_t buckets[METRIC_BUCKETS_MAX]; /* histogram: observations <= bound */
    _Atomic uint64_t sum_us;                      /* histogram: sum in microseconds */
};

struct metric {
    const char *name;
    const char *help;
    enum metric_type type;
    const char *labels[2]; /* label names; NULL for fewer */
    const double *buckets; /* histograms: upper bounds in seconds, ascending */
    size_t bucket_count;   /* at most METRIC_BUCKETS_MAX */
    struct metric_series series[METRIC_SERIES_MAX];
    _Atomic size_t series_count;
};

/* The metrics (names in metrics.c and docs/operations.md). */
extern struct metric metric_build_info;         /* gauge {version} = 1 */
extern struct metric metric_updates;            /* counter {type, result}: updates handled */
extern struct metric metric_update_seconds;     /* histogram: time to handle one update */
extern struct metric metric_http_requests;      /* counter {server, status} */
extern struct metric metric_jobs;               /* counter {queue, state} */
extern struct metric metric_messages;           /* counter {result}: sent, failed, blocked */
extern struct metric metric_telegram_429;       /* counter: Too Many Requests answers */
extern struct metric metric_mailing_recipients; /* gauge {state}: the running mailings' */

void metric_add(struct metric *m, uint64_t n, const char *label1, const char *label2);
void metric_inc(struct metric *m, const char *label1, const char *label2);
/* Gauges. */
void metric_set(struct metric *m, int64_t value, const char *label1, const char *label2);
void metric_gauge_add(struct metric *m, int64_t delta, const char *label1, const char *label2);
/* Histograms: one observation of seconds (negative counts as 0). */
void metric_observe(struct metric *m, double seconds, const char *label1, const char *label2);

/* Appends every metric in the Prometheus text format (version 0.0.4). */
void metrics_render(struct buf *out);
/* The Content-Type of metrics_render's output. */
extern const char metrics_content_type[];
/* Forgets every series (tests). */
void metrics_reset(void);

#endif
