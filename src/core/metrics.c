#include "core/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/util.h"
#include "core/banned.h"

const char metrics_content_type[] = "text/plain; version=0.0.4; charset=utf-8";

/* Handler latencies: 1 ms to 10 s. */
static const double latency_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                         0.25,  0.5,    1,     2.5,  5,     10};

struct metric metric_build_info = {
    .name = "tgshop_build_info",
    .help = "Always 1; the version label says which tgshop runs.",
    .type = METRIC_GAUGE,
    .labels = {"version"},
};
struct metric metric_updates = {
    .name = "tgshop_updates_total",
    .help = "Telegram updates handled, by update type and result (ok, failed, duplicate: a "
            "re-delivery that was not handled again).",
    .type = METRIC_COUNTER,
    .labels = {"type", "result"},
};
struct metric metric_update_seconds = {
    .name = "tgshop_update_handler_seconds",
    .help = "Time to handle one Telegram update, from its dispatch to its last answer.",
    .type = METRIC_HISTOGRAM,
    .buckets = latency_buckets,
    .bucket_count = ARRAY_SIZE(latency_buckets),
};
struct metric metric_http_requests = {
    .name = "tgshop_http_requests_total",
    .help = "HTTP requests answered, by server (admin, ops, sandbox) and status code.",
    .type = METRIC_COUNTER,
    .labels = {"server", "status"},
};
struct metric metric_jobs = {
    .name = "tgshop_jobs_total",
    .help = "Jobs by queue and what became of them (done, retried, dead).",
    .type = METRIC_COUNTER,
    .labels = {"queue", "state"},
};
struct metric metric_messages = {
    .name = "tgshop_messages_total",
    .help = "Messages to Telegram users: sent, failed, or blocked (the user blocked the bot).",
    .type = METRIC_COUNTER,
    .labels = {"result"},
};
struct metric metric_telegram_429 = {
    .name = "tgshop_telegram_429_total",
    .help = "Too Many Requests answers from the Bot API (each pauses the sends for retry_after).",
    .type = METRIC_COUNTER,
};
struct metric metric_mailing_recipients = {
    .name = "tgshop_mailing_recipients",
    .help = "Recipients of the mailings being sent, by delivery state (pending, sent, failed, "
            "blocked).",
    .type = METRIC_GAUGE,
    .labels = {"state"},
};

static struct metric *const all[] = {
    &metric_build_info, &metric_updates,  &metric_update_seconds, &metric_http_requests,
    &metric_jobs,       &metric_messages, &metric_telegram_429,   &metric_mailing_recipients,
};

static pthread_mutex_t create_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *value_or_empty(const char *s)
{
    return s ? s : "";
}

static bool series_matches(const struct metric_series *s, const char *v1, const char *v2)
{
    return !strncmp(s->values[0], v1, METRIC_VALUE_MAX - 1) &&
           !strncmp(s->values[1], v2, METRIC_VALUE_MAX - 1);
}

static void copy_value(char *out, const char *v)
{
    size_t n = strnlen(v, METRIC_VALUE_MAX - 1);
    memcpy(out, v, n);
    out[n] = '\0';
}

/* The series of (v1, v2), made when new; the last slot holds "other". */
static struct metric_series *series_of(struct metric *m, const char *label1, const char *label2)
{
    const char *v1 = m->labels[0] ? value_or_empty(label1) : "";
    const char *v2 = m->labels[1] ? value_or_empty(label2) : "";
    size_t n = atomic_load(&m->series_count);
    for (size_t i = 0; i < n; i++)
        if (series_matches(&m->series[i], v1, v2))
            return &m->series[i];
    pthread_mutex_lock(&create_lock);
    n = atomic_load(&m->series_count);
    struct metric_series *s = NULL;
    for (size_t i = 0; i < n && !s; i++)
        if (series_matches(&m->series[i], v1, v2))
            s = &m->series[i];
    if (!s && n >= METRIC_SERIES_MAX - 1) {
        v1 = m->labels[0] ? "other" : "";
        v2 = m->labels[1] ? "other" : "";
        for (size_t i = 0; i < n && !s; i++)
            if (series_matches(&m->series[i], v1, v2))
                s = &m->series[i];
    }
    if (!s) {
        s = &m->series[n];
        copy_value(s->values[0], v1);
        copy_value(s->values[1], v2);
        atomic_store(&m->series_count, n + 1); /* published after the values are written */
    }
    pthread_mutex_unlock(&create_lock);
    return s;
}

void metric_add(struct metric *m, uint64_t n, const char *label1, const char *label2)
{
    atomic_fetch_add_explicit(&series_of(m, label1, label2)->count, n, memory_order_relaxed);
}

void metric_inc(struct metric *m, const char *label1, const char *label2)
{
    metric_add(m, 1, label1, label2);
}

void metric_set(struct metric *m, int64_t value, const char *label1, const char *label2)
{
    atomic_store_explicit(&series_of(m, label1, label2)->gauge, value, memory_order_relaxed);
}

void metric_gauge_add(struct metric *m, int64_t delta, const char *label1, const char *label2)
{
    atomic_fetch_add_explicit(&series_of(m, label1, label2)->gauge, delta, memory_order_relaxed);
}

void metric_observe(struct metric *m, double seconds, const char *label1, const char *label2)
{
    struct metric_series *s = series_of(m, label1, label2);
    if (!(seconds > 0)) /* also NaN */
        seconds = 0;
    for (size_t i = 0; i < m->bucket_count; i++)
        if (seconds <= m->buckets[i])
            atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
    uint64_t us = seconds < 1e9 ? (uint64_t)(seconds * 1e6 + 0.5) : UINT64_C(1000000000000000);
    atomic_fetch_add_explicit(&s->sum_us, us, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

static void add_escaped(struct buf *out, const char *v)
{
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            buf_addc(out, '\\');
        if (*v == '\n')
            buf_adds(out, "\\n");
        else
            buf_addc(out, *v);
    }
}

/* {a="x",b="y"} with an optional extra label (le for buckets); nothing when empty. */
static void add_labels(struct buf *out, const struct metric *m, const struct metric_series *s,
                       const char *extra_name, const char *extra_value)
{
    bool any = false;
    for (size_t i = 0; i < 2; i++) {
        if (!m->labels[i])
            continue;
        buf_adds(out, any ? "," : "{");
        buf_addf(out, "%s=\"", m->labels[i]);
        add_escaped(out, s->values[i]);
        buf_addc(out, '"');
        any = true;
    }
    if (extra_name) {
        buf_addf(out, "%s%s=\"%s\"", any ? "," : "{", extra_name, extra_value);
        any = true;
    }
    if (any)
        buf_addc(out, '}');
}

static void render_series(struct buf *out, const struct metric *m, const struct metric_series *s)
{
    if (m->type == METRIC_COUNTER) {
        buf_adds(out, m->name);
        add_labels(out, m, s, NULL, NULL);
        buf_addf(out, " %llu\n", (unsigned long long)atomic_load(&s->count));
        return;
    }
    if (m->type == METRIC_GAUGE) {
        buf_adds(out, m->name);
        add_labels(out, m, s, NULL, NULL);
        buf_addf(out, " %lld\n", (long long)atomic_load(&s->gauge));
        return;
    }
    /* the count first: buckets read after it never exceed it by much, and le="+Inf" is the
     * count itself, so the buckets a scraper sees stay monotonic */
    uint64_t count = atomic_load(&s->count);
    for (size_t i = 0; i < m->bucket_count; i++) {
        char le[32];
        uint64_t b = atomic_load(&s->buckets[i]);
        snprintf(le, sizeof le, "%g", m->buckets[i]);
        buf_addf(out, "%s_bucket", m->name);
        add_labels(out, m, s, "le", le);
        buf_addf(out, " %llu\n", (unsigned long long)(b < count ? b : count));
    }
    buf_addf(out, "%s_bucket", m->name);
    add_labels(out, m, s, "le", "+Inf");
    buf_addf(out, " %llu\n", (unsigned long long)count);
    buf_addf(out, "%s_sum", m->name);
    add_labels(out, m, s, NULL, NULL);
    uint64_t us = atomic_load(&s->sum_us);
    buf_addf(out, " %llu.%06llu\n", (unsigned long long)(us / 1000000),
             (unsigned long long)(us % 1000000));
    buf_addf(out, "%s_count", m->name);
    add_labels(out, m, s, NULL, NULL);
    buf_addf(out, " %llu\n", (unsigned long long)count);
}

void metrics_render(struct buf *out)
{
    static const char *const type_names[] = {"counter", "gauge", "histogram"};
    for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
        const struct metric *m = all[i];
        buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name,
                 type_names[m->type]);
        size_t n = atomic_load(&m->series_count);
        if (n == 0 && !m->labels[0]) { /* a metric without labels is 0 before its first use */
            struct metric_series zero = {0};
            render_series(out, m, &zero);
        }
        for (size_t j = 0; j < n; j++)
            render_series(out, m, &m->series[j]);
    }
}

void metrics_reset(void)
{
    pthread_mutex_lock(&create_lock);
    for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
        struct metric *m = all[i];
        atomic_store(&m->series_count, 0);
        memset(m->series, 0, sizeof m->series);
    }
    pthread_mutex_unlock(&create_lock);
}
