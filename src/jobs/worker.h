/*
 * The job worker: N threads taking jobs from one or two named queues and running the
 * handler registered for each job's kind. Each thread is a small state machine
 * (STYLE lesson 8):
 *
 *   CLAIM --job--> RUN --done--> ACK ------------------------> CLAIM
 *     |             |--retry---> RETRY (backoff) or BURY ---> CLAIM
 *     | (error:     |--failed--> BURY (dead now, error kept)
 *     |  back off)  '--hand back (stopping)--> RELEASE -----> CLAIM / STOP
 *     '--stopping--> STOP
 *
 * A settle step that fails because the queue's server is down is repeated with a
 * backoff until it works or the worker stops (then the lease runs out and the job is
 * delivered again: at-least-once). worker_stop() lets every thread finish the job in
 * hand (a handler that sees job_run_stopping() may return JOB_HAND_BACK to give it back
 * untouched) and never drops one; a Bot API call in progress is finished, not cut off, so
 * that its outcome is known (a send cut off may have been delivered). A job of a kind with
 * no handler is buried at once.
 *
 *   struct worker *w = worker_new(&opt);
 *   worker_register(w, "mailing.send", mailing_send_job, ctx);
 *   if (worker_start(w, &err)) ...
 *   ... wait for SIGTERM ...
 *   worker_free(w);  // stops and joins first
 */
#ifndef TGSHOP_JOBS_WORKER_H
#define TGSHOP_JOBS_WORKER_H

#include <stdatomic.h>

#include "db/db.h"
#include "jobs/queue.h"
#include "tg/client.h"

enum job_result {
    JOB_DONE,      /* acked */
    JOB_RETRY,     /* again after a backoff, or dead when the attempts are used up */
    JOB_FAILED,    /* dead now: retrying cannot help */
    JOB_HAND_BACK, /* not started or stopped cleanly: back to the queue, attempt not counted */
};

/* What a handler gets besides its job: per-thread connections and scratch space. */
struct job_run {
    struct db *db;        /* this thread's database connection */
    struct tg_client *tg; /* this thread's Bot API client (NULL without options.token) */
    struct queue *queue;  /* this thread's queue handle: enqueue follow-up jobs */
    struct arena *arena;  /* reset after every job */
    struct buf *error;    /* the handler's reason for JOB_RETRY / JOB_FAILED */
    const atomic_bool *stopping;
};

/* true once the worker is asked to stop: long handlers end early and hand back. */
bool job_run_stopping(const struct job_run *run);

typedef enum job_result job_handler_fn(void *ctx, struct job_run *run, const struct job *job);

struct worker_options {
    struct queue_config queue;
    const char *database_url; /* the handlers' database */
    const char *api_url;      /* the handlers' Bot API (TELEGRAM_API_URL) */
    const char *token;        /* NULL: no Bot API client */
    struct tg_flood *flood;   /* the process's flood state for those clients (tg/flood.h) */
    const char *queues[2];    /* one or two queue names */
    size_t queue_count;
    int concurrency;         /* threads, default 1 */
    int64_t lease_ms;        /* default 60 s */
    int64_t poll_ms;         /* longest wait for a job per claim, default 200 ms */
    int64_t backoff_base_ms; /* first retry delay, default 1 s */
    int64_t backoff_max_ms;  /* default 1 h */
};

struct worker;

/* A worker with no handlers yet; copies the options (strings must outlive the worker). */
struct worker *worker_new(const struct worker_options *opt);
/* Adds a handler for kind (before worker_start). */
void worker_register(struct worker *w, const char *kind, job_handler_fn *fn, void *ctx);
/* Opens every thread's connections and starts the threads. On failure err says why and
 * worker_free() stops whatever started. */
int worker_start(struct worker *w, struct buf *err);
/* Asks the threads to stop after the job in hand; returns at once. */
void worker_request_stop(struct worker *w);
/* Stops (worker_request_stop), joins the threads and frees everything. NULL is fine. */
void worker_free(struct worker *w);

#endif
