#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "core/xalloc.h"
#include "jobs/worker.h"
#include "core/banned.h"

#define MAX_HANDLERS 32

struct handler {
    const char *kind;
    job_handler_fn *fn;
    void *ctx;
};

struct worker_thread {
    struct worker *w;
    pthread_t thread;
    bool started;
    struct queue *queue;
    struct db *db;
    struct tg_client *tg;
};

struct worker {
    struct worker_options opt;
    struct handler handlers[MAX_HANDLERS];
    size_t handler_count;
    struct worker_thread *threads;
    int thread_count;
    atomic_bool stopping;
};

enum worker_state { ST_CLAIM, ST_RUN, ST_ACK, ST_RETRY, ST_BURY, ST_RELEASE, ST_STOP };

bool job_run_stopping(const struct job_run *run)
{
    return atomic_load(run->stopping);
}

struct worker *worker_new(const struct worker_options *opt)
{
    struct worker *w = xcalloc(1, sizeof *w);
    w->opt = *opt;
    if (w->opt.concurrency < 1)
        w->opt.concurrency = 1;
    if (!w->opt.lease_ms)
        w->opt.lease_ms = 60000;
    if (!w->opt.poll_ms)
        w->opt.poll_ms = 200;
    if (!w->opt.backoff_base_ms)
        w->opt.backoff_base_ms = 1000;
    if (!w->opt.backoff_max_ms)
        w->opt.backoff_max_ms = 3600 * 1000;
    atomic_init(&w->stopping, false);
    return w;
}

void worker_register(struct worker *w, const char *kind, job_handler_fn *fn, void *ctx)
{
    if (w->handler_count >= MAX_HANDLERS)
        BUG("more than %d job handlers", MAX_HANDLERS);
    w->handlers[w->handler_count++] = (struct handler){kind, fn, ctx};
}

static const struct handler *find_handler(const struct worker *w, const char *kind)
{
    for (size_t i = 0; i < w->handler_count; i++)
        if (!strcmp(w->handlers[i].kind, kind))
            return &w->handlers[i];
    return NULL;
}

static bool stopping(struct worker *w)
{
    return atomic_load(&w->stopping);
}

/* Sleeps up to ms, waking early when the worker stops. */
static void pause_unless_stopping(struct worker *w, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    int64_t left;
    while (!stopping(w) && (left = deadline - clock_mono_ms()) > 0)
        clock_sleep_ms(left < 50 ? left : 50);
}

static enum worker_state run_job(struct worker_thread *t, const struct job *job, struct arena *a,
                                 struct buf *error)
{
    const struct handler *h = find_handler(t->w, job->kind);
    if (!h) {
        buf_setf(error, "no handler for job kind \"%s\"", job->kind);
        return ST_BURY;
    }
    struct job_run run = {.db = t->db,
                          .tg = t->tg,
                          .queue = t->queue,
                          .arena = a,
                          .error = error,
                          .stopping = &t->w->stopping};
    switch (h->fn(h->ctx, &run, job)) {
    case JOB_DONE:
        return ST_ACK;
    case JOB_RETRY:
        return job->attempts >= job->max_attempts ? ST_BURY : ST_RETRY;
    case JOB_FAILED:
        return ST_BURY;
    case JOB_HAND_BACK:
        return ST_RELEASE;
    }
    BUG("unknown job result");
}

/* One settle step; on a server failure it is repeated after a backoff (ERR_NETWORK), on a
 * lost lease the job is someone else's now. Returns the next state. */
static enum worker_state settle(struct worker_thread *t, enum worker_state state,
                                const struct job *job, const char *error, int *failures)
{
    struct worker *w = t->w;
    int rc;
    if (state == ST_ACK) {
        rc = queue_ack(t->queue, job);
    } else if (state == ST_RETRY) {
        int64_t delay =
            queue_backoff_ms(job->attempts, w->opt.backoff_base_ms, w->opt.backoff_max_ms);
        rc = queue_retry(t->queue, job, clock_now_ms() + delay, error);
        if (!rc)
            log_info("job %lld (%s) attempt %d/%d failed, again in %lld ms: %s", (long long)job->id,
                     job->kind, job->attempts, job->max_attempts, (long long)delay, error);
    } else if (state == ST_BURY) {
        rc = queue_bury(t->queue, job, error);
        if (!rc)
            log_warn("job %lld (%s) is dead after %d attempt%s: %s", (long long)job->id, job->kind,
                     job->attempts, job->attempts == 1 ? "" : "s", error);
    } else {
        rc = queue_release(t->queue, job);
    }
    if (!rc) {
        static const char *const counted[] = {
            [ST_ACK] = "done", [ST_RETRY] = "retried", [ST_BURY] = "dead"};
        if (state != ST_RELEASE)
            metric_inc(&metric_jobs, job->queue, counted[state]);
        *failures = 0;
        return ST_CLAIM;
    }
    if (rc == ERR_CONFLICT) {
        log_warn("job %lld (%s): %s (it ran longer than its lease)", (long long)job->id, job->kind,
                 queue_errmsg(t->queue));
        *failures = 0;
        return ST_CLAIM;
    }
    if (stopping(w)) {
        log_warn("job %lld (%s) not settled at shutdown (%s); it is delivered again after its "
                 "lease",
                 (long long)job->id, job->kind, queue_errmsg(t->queue));
        return ST_STOP;
    }
    if (*failures == 0)
        log_warn("job queue: %s; retrying", queue_errmsg(t->queue));
    (*failures)++;
    pause_unless_stopping(w, *failures < 6 ? 100LL << *failures : 5000);
    return state;
}

static void *thread_main(void *arg)
{
    struct worker_thread *t = arg;
    struct worker *w = t->w;
    struct arena arena;
    arena_init(&arena, 0);
    struct buf error = BUF_INIT;
    buf_init(&error, 2000);
    struct job job;
    enum worker_state state = ST_CLAIM;
    int failures = 0;
    while (state != ST_STOP) {
        switch (state) {
        case ST_CLAIM: {
            if (stopping(w)) {
                state = ST_STOP;
                break;
            }
            arena_reset(&arena);
            buf_reset(&error);
            int rc = queue_claim(t->queue, &job, &arena, w->opt.queues, w->opt.queue_count,
                                 w->opt.lease_ms, w->opt.poll_ms);
            if (rc == 1) {
                failures = 0;
                state = ST_RUN;
            } else if (rc < 0) {
                if (failures++ == 0)
                    log_warn("job queue: %s; retrying", queue_errmsg(t->queue));
                pause_unless_stopping(w, failures < 6 ? 100LL << failures : 5000);
            } else if (failures) {
                log_info("job queue reachable again");
                failures = 0;
            }
            break;
        }
        case ST_RUN:
            state = run_job(t, &job, &arena, &error);
            break;
        case ST_ACK:
        case ST_RETRY:
        case ST_BURY:
        case ST_RELEASE:
            state = settle(t, state, &job, error.data, &failures);
            break;
        case ST_STOP:
            break;
        }
    }
    buf_release(&error);
    arena_release(&arena);
    return NULL;
}

int worker_start(struct worker *w, struct buf *err)
{
    int n = w->opt.concurrency;
    w->threads = xcalloc((size_t)n, sizeof *w->threads);
    w->thread_count = n;
    for (int i = 0; i < n; i++) {
        struct worker_thread *t = &w->threads[i];
        t->w = w;
        if (queue_open(&t->queue, &w->opt.queue, err))
            return ERR_NETWORK;
        if (w->opt.database_url && db_open(&t->db, w->opt.database_url, err))
            return ERR_DB;
        /* no cancel flag: a call in progress at shutdown is finished, not cut off, so its
         * outcome is known and recorded (an aborted send may have been delivered) */
        struct tg_client_options copt = {
            .api_url = w->opt.api_url, .token = w->opt.token, .flood = w->opt.flood};
        if (w->opt.token && tg_client_new(&t->tg, &copt, err))
            return ERR_INVALID;
    }
    for (int i = 0; i < n; i++) {
        struct worker_thread *t = &w->threads[i];
        if (pthread_create(&t->thread, NULL, thread_main, t)) {
            buf_setf(err, "cannot start a worker thread");
            return ERR_INTERNAL;
        }
        t->started = true;
    }
    return 0;
}

void worker_request_stop(struct worker *w)
{
    if (w)
        atomic_store(&w->stopping, true);
}

void worker_free(struct worker *w)
{
    if (!w)
        return;
    worker_request_stop(w);
    for (int i = 0; i < w->thread_count; i++) {
        struct worker_thread *t = &w->threads[i];
        if (t->started)
            pthread_join(t->thread, NULL);
        queue_close(t->queue);
        db_close(t->db);
        tg_client_free(t->tg);
    }
    free(w->threads);
    free(w);
}
