/*
 * The queue's backend vtable (as libgit2's odb backends): one struct of function pointers
 * per backend, one file each (queue_db.c, queue_redis.c). queue.c checks arguments and
 * dispatches; the functions mean what the same-named ones of queue.h say.
 */
#ifndef TGSHOP_JOBS_QUEUE_BACKEND_H
#define TGSHOP_JOBS_QUEUE_BACKEND_H

#include "jobs/queue.h"

struct queue_ops {
    const char *name;
    int (*enqueue)(struct queue *q, const struct job_spec *spec, int64_t *out_id);
    int (*claim)(struct queue *q, struct job *out, struct arena *a, const char *const *queues,
                 size_t queue_count, int64_t lease_ms, int64_t wait_ms);
    int (*ack)(struct queue *q, const struct job *job);
    int (*retry)(struct queue *q, const struct job *job, int64_t run_at_ms, const char *error);
    int (*bury)(struct queue *q, const struct job *job, const char *error);
    int (*release)(struct queue *q, const struct job *job);
    int (*dead_list)(struct queue *q, struct job *out, size_t limit, size_t *out_count,
                     struct arena *a);
    int (*dead_retry)(struct queue *q, int64_t id);
    int (*dead_discard)(struct queue *q, int64_t id);
    int (*lease)(struct queue *q, const char *name, const char *holder, int64_t ttl_ms);
    int (*rate_take)(struct queue *q, double per_second, int64_t chat_id, int64_t *out_wait_ms);
    int (*rate_hold)(struct queue *q, int64_t ms);
    void (*close)(struct queue *q);
};

/* Every backend's handle starts with this. */
struct queue {
    const struct queue_ops *ops;
    char error[512];
};

/* Keeps a failure's text in q->error and returns code. */
int queue_fail(struct queue *q, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A random claim token (hex), for telling claimants apart. */
void queue_token(char *out, size_t size);

/* The gap between two messages to one chat: Telegram's 1 a second, with room for requests
 * that reach it sooner or later than they left. */
#define QUEUE_CHAT_GAP_MS 1200

int queue_db_open(struct queue **out, const char *database_url, struct buf *err);
int queue_redis_open(struct queue **out, const char *redis_url, const char *prefix,
                     struct buf *err);

#endif
