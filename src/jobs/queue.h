/*
 * The job queue: one interface, two backends behind a small vtable
 * (jobs/queue_backend.h): the database (SQLite or PostgreSQL, the `job` table)
 * and Redis (Streams with one consumer group per queue, delayed jobs in a
 * sorted set). docs/jobs.md describes both.
 *
 *   struct queue *q;
 *   struct queue_config cfg = {.database_url = url, .redis_url = getenv_or_null};
 *   if (queue_open(&q, &cfg, &err)) ...
 *   queue_enqueue(q, &(struct job_spec){.queue = "default", .kind = "mailing.fanout",
 *                                       .payload = "{\"mailing_id\":7}"}, NULL);
 *   struct job job;
 *   if (queue_claim(q, &job, arena, queues, 1, 60000, 200) == 1) {
 *       ... run it ...
 *       queue_ack(q, &job);          // or queue_retry / queue_bury / queue_release
 *   }
 *
 * Semantics: at-least-once. A claimed job carries a lease; a claimant that
 * neither acks nor hands it back before the lease ends (it crashed) loses it
 * and the job is delivered again, counting an attempt. Acks, retries and
 * releases only take effect while the caller still holds the lease, so two
 * claimants never both settle one job. Jobs of one queue are claimed in order
 * of due time, then of enqueueing. A job whose attempts are used up is dead:
 * kept with its last error until queue_dead_retry() or queue_dead_discard().
 *
 * A struct queue is one connection: use it from one thread at a time. Both
 * backends reconnect by themselves; a call that failed because the server
 * was unreachable returns ERR_NETWORK and can be repeated.
 */
#ifndef TGSHOP_JOBS_QUEUE_H
#define TGSHOP_JOBS_QUEUE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"

/* The two queues of DESIGN §8. */
#define QUEUE_DEFAULT "default"
#define QUEUE_SENDING "telegram_sending_queue"

struct queue;

struct queue_config {
    const char *database_url; /* used when redis_url is NULL */
    const char *redis_url;    /* redis://[:PASSWORD@]HOST[:PORT][/DB]; NULL = the database */
    const char *redis_prefix; /* key prefix, default "tgshop:" (tests isolate themselves) */
};

/* What to enqueue. */
struct job_spec {
    const char *queue;      /* QUEUE_DEFAULT or QUEUE_SENDING */
    const char *kind;       /* the handler's name, e.g. "mailing.send" */
    const char *payload;    /* JSON text; NULL = "{}" */
    int64_t run_at_ms;      /* UTC milliseconds; 0 = now */
    int max_attempts;       /* 0 = 5 */
    const char *unique_key; /* NULL = none; else at most one job with this key exists */
};

/* A claimed job, or a dead one from queue_dead_list(). Strings live in the caller's arena. */
struct job {
    int64_t id;
    char *queue;
    char *kind;
    char *payload;
    int attempts; /* including the one in hand */
    int max_attempts;
    char *last_error;   /* dead jobs: why; NULL otherwise */
    int64_t updated_ms; /* dead jobs: when they died */
    char *lease;        /* the backend's claim token */
};

/* true when name is one of the two queues. */
bool queue_name_valid(const char *name);

/* Opens the backend the configuration names. On failure *out is NULL and err says why. */
int queue_open(struct queue **out, const struct queue_config *cfg, struct buf *err);
void queue_close(struct queue *q);
/* "database" or "redis". */
const char *queue_backend_name(const struct queue *q);
/* The last failure's text. */
const char *queue_errmsg(const struct queue *q);

/* Returns 1 with *out_id (may be NULL) set when enqueued, 0 when a job with the same
 * unique_key exists already, or a negative code (ERR_INVALID for a bad spec). */
int queue_enqueue(struct queue *q, const struct job_spec *spec, int64_t *out_id);

/* Claims the next due job of any of the named queues for lease_ms, waiting up to wait_ms
 * for one. Returns 1 with *out filled (strings in a), 0 when none came, or a negative code. */
int queue_claim(struct queue *q, struct job *out, struct arena *a, const char *const *queues,
                size_t queue_count, int64_t lease_ms, int64_t wait_ms);
/* Settling a claimed job. Each returns 0, ERR_CONFLICT when the lease was lost (the job went
 * to another claimant), or another negative code. */
int queue_ack(struct queue *q, const struct job *job);
/* Due again at run_at_ms, the attempt counted, error kept. */
int queue_retry(struct queue *q, const struct job *job, int64_t run_at_ms, const char *error);
/* Dead now, error kept. */
int queue_bury(struct queue *q, const struct job *job, const char *error);
/* Handed back untouched (shutdown): due now, the attempt not counted. */
int queue_release(struct queue *q, const struct job *job);

/* The newest dead jobs, up to limit, into out[]; *out_count says how many. */
int queue_dead_list(struct queue *q, struct job *out, size_t limit, size_t *out_count,
                    struct arena *a);
/* Makes a dead job due now with fresh attempts; ERR_NOTFOUND when it is not dead. */
int queue_dead_retry(struct queue *q, int64_t id);
/* Deletes a dead job; ERR_NOTFOUND when it is not dead. */
int queue_dead_discard(struct queue *q, int64_t id);

/* Takes or renews the named lease for holder for ttl_ms: 1 = holder has it, 0 = someone
 * else holds it. For duties one process at a time should do (the scheduler). */
int queue_lease(struct queue *q, const char *name, const char *holder, int64_t ttl_ms);

/* The send rate shared by every sender process (DESIGN §8): a slot for one message at
 * per_second overall and at most one to chat_id (0 = no chat) every 1.2 s. Returns 0 with
 * *out_wait_ms 0 when the slot is taken, or with the milliseconds to wait before asking
 * again. With Redis the slots are shared by every process using that Redis; the database
 * backend has nothing to share (0 at once): there the process's flood state (tg/flood.h,
 * in every sender's client) paces the sends, so run one sender process. */
int queue_rate_take(struct queue *q, double per_second, int64_t chat_id, int64_t *out_wait_ms);
/* Pauses every sender process for ms (a 429's retry_after): queue_rate_take waits until it
 * ends (Redis; the database backend leaves holds to the process's flood state). */
int queue_rate_hold(struct queue *q, int64_t ms);
/* queue_rate_take until the slot is taken: 0, ERR_TIMEOUT when *stopping became true
 * first, or the queue's error. */
int queue_rate_wait(struct queue *q, double per_second, int64_t chat_id,
                    const atomic_bool *stopping);

/* Exponential backoff with jitter for the attempt that just failed (1 = first): a random
 * delay in [d/2, d] where d = base_ms * 2^(attempt-1), capped at max_ms. */
int64_t queue_backoff_ms(int attempt, int64_t base_ms, int64_t max_ms);

#endif
