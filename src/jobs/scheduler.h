/*
 * The scheduler: a thread that wakes every interval and does the shop's timed duties:
 * it cancels unpaid orders whose reservation expired (returning their stock), starts the
 * mailings whose time has come and dispatches again those resumed or whose jobs were lost
 * (jobs/mailing.h), and sets the mailing progress gauge (core/metrics.h). It runs
 * in the default worker and in `tgshop run`; when several run at once, the one holding
 * the queue's "scheduler" lease (queue_lease: a row in the database, a key in Redis)
 * does the work and the others stand by, taking over when its lease runs out.
 *
 *   struct scheduler *s;
 *   if (scheduler_start(&s, &opt, &err)) ...
 *   scheduler_free(s);   // stops and joins
 */
#ifndef TGSHOP_JOBS_SCHEDULER_H
#define TGSHOP_JOBS_SCHEDULER_H

#include "db/db.h"
#include "jobs/queue.h"

struct scheduler_options {
    struct queue_config queue;
    const char *database_url;
    int64_t interval_ms; /* default 1000 */
};

struct scheduler;

/* One round: takes or renews the lease for holder (ttl_ms) and, holding it, does the
 * duties. Returns 1 when it did them, 0 when another scheduler holds the lease, or a
 * negative code. */
int scheduler_tick(struct db *db, struct queue *q, const char *holder, int64_t ttl_ms);

/* Opens its connections and starts the thread; err says why it could not. */
int scheduler_start(struct scheduler **out, const struct scheduler_options *opt, struct buf *err);
void scheduler_free(struct scheduler *s);

#endif
