#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "jobs/queue_backend.h"
#include "core/banned.h"

bool queue_name_valid(const char *name)
{
    return name && (!strcmp(name, QUEUE_DEFAULT) || !strcmp(name, QUEUE_SENDING));
}

int queue_fail(struct queue *q, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->error, sizeof q->error, fmt, ap);
    va_end(ap);
    return code;
}

void queue_token(char *out, size_t size)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i + 1 < size; i++)
        out[i] = hex[arc4random_uniform(16)];
    if (size)
        out[size - 1] = '\0';
}

int queue_open(struct queue **out, const struct queue_config *cfg, struct buf *err)
{
    *out = NULL;
    if (cfg->redis_url)
        return queue_redis_open(out, cfg->redis_url,
                                cfg->redis_prefix ? cfg->redis_prefix : "tgshop:", err);
    if (!cfg->database_url) {
        buf_setf(err, "no database URL for the job queue");
        return ERR_INVALID;
    }
    return queue_db_open(out, cfg->database_url, err);
}

void queue_close(struct queue *q)
{
    if (q)
        q->ops->close(q);
}

const char *queue_backend_name(const struct queue *q)
{
    return q->ops->name;
}

const char *queue_errmsg(const struct queue *q)
{
    return q->error;
}

int queue_enqueue(struct queue *q, const struct job_spec *spec, int64_t *out_id)
{
    if (!queue_name_valid(spec->queue))
        return queue_fail(q, ERR_INVALID, "unknown queue \"%s\"", spec->queue ? spec->queue : "");
    if (!spec->kind || !*spec->kind)
        return queue_fail(q, ERR_INVALID, "a job needs a kind");
    if (spec->max_attempts < 0 || spec->run_at_ms < 0)
        return queue_fail(q, ERR_INVALID, "negative max_attempts or run_at");
    struct job_spec s = *spec;
    if (!s.payload)
        s.payload = "{}";
    if (!s.max_attempts)
        s.max_attempts = 5;
    if (s.unique_key && !*s.unique_key)
        s.unique_key = NULL;
    return q->ops->enqueue(q, &s, out_id);
}

int queue_claim(struct queue *q, struct job *out, struct arena *a, const char *const *queues,
                size_t queue_count, int64_t lease_ms, int64_t wait_ms)
{
    if (!queue_count || queue_count > 2)
        return queue_fail(q, ERR_INVALID, "claim from one or two queues");
    for (size_t i = 0; i < queue_count; i++)
        if (!queue_name_valid(queues[i]))
            return queue_fail(q, ERR_INVALID, "unknown queue \"%s\"", queues[i]);
    if (lease_ms < 1000)
        lease_ms = 1000;
    memset(out, 0, sizeof *out);
    return q->ops->claim(q, out, a, queues, queue_count, lease_ms, wait_ms < 0 ? 0 : wait_ms);
}

int queue_ack(struct queue *q, const struct job *job)
{
    return q->ops->ack(q, job);
}

int queue_retry(struct queue *q, const struct job *job, int64_t run_at_ms, const char *error)
{
    return q->ops->retry(q, job, run_at_ms, error ? error : "");
}

int queue_bury(struct queue *q, const struct job *job, const char *error)
{
    return q->ops->bury(q, job, error ? error : "");
}

int queue_release(struct queue *q, const struct job *job)
{
    return q->ops->release(q, job);
}

int queue_dead_list(struct queue *q, struct job *out, size_t limit, size_t *out_count,
                    struct arena *a)
{
    *out_count = 0;
    return limit ? q->ops->dead_list(q, out, limit, out_count, a) : 0;
}

int queue_dead_retry(struct queue *q, int64_t id)
{
    return q->ops->dead_retry(q, id);
}

int queue_dead_discard(struct queue *q, int64_t id)
{
    return q->ops->dead_discard(q, id);
}

int queue_lease(struct queue *q, const char *name, const char *holder, int64_t ttl_ms)
{
    return q->ops->lease(q, name, holder, ttl_ms);
}

int queue_rate_take(struct queue *q, double per_second, int64_t chat_id, int64_t *out_wait_ms)
{
    *out_wait_ms = 0;
    if (per_second <= 0)
        return queue_fail(q, ERR_INVALID, "the send rate must be positive");
    return q->ops->rate_take(q, per_second, chat_id, out_wait_ms);
}

int queue_rate_hold(struct queue *q, int64_t ms)
{
    return ms > 0 ? q->ops->rate_hold(q, ms) : 0;
}

int queue_rate_wait(struct queue *q, double per_second, int64_t chat_id,
                    const atomic_bool *stopping)
{
    for (;;) {
        int64_t wait = 0;
        int rc = queue_rate_take(q, per_second, chat_id, &wait);
        if (rc || !wait)
            return rc;
        if (stopping && atomic_load(stopping))
            return queue_fail(q, ERR_TIMEOUT, "stopped while waiting to send");
        clock_sleep_ms(wait < 50 ? wait : 50);
    }
}

int64_t queue_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms)
{
    int64_t d = base_ms > 0 ? base_ms : 1;
    for (int i = 1; i < attempt && d < max_ms; i++)
        d *= 2;
    if (d > max_ms)
        d = max_ms;
    int64_t half = d / 2;
    uint32_t span = (uint32_t)(d - half < UINT32_MAX ? d - half : UINT32_MAX);
    return half + (int64_t)arc4random_uniform(span + 1);
}
