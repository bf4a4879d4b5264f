#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/xalloc.h"
#include "jobs/mailing.h"
#include "jobs/queue_backend.h"
#include "jobs/scheduler.h"
#include "shop/mailing.h"
#include "shop/order.h"
#include "core/banned.h"

struct scheduler {
    struct scheduler_options opt;
    struct db *db;
    struct queue *queue;
    char holder[33];
    pthread_t thread;
    atomic_bool stopping;
};

enum {
    MAILINGS_PER_TICK = 50,
    MAILING_STALE_S = 10, /* no dispatch and no sign of life this long: dispatch again */
};

/* Enqueues the fan-outs of the mailings in ids; started ones are logged (a dispatch again is
 * routine: a resume, or a mailing waiting behind another for a sender). */
static int dispatch_all(struct queue *q, const int64_t *ids, int n, bool started)
{
    for (int i = 0; i < n; i++) {
        if (mailing_dispatch(q, ids[i]) < 0)
            return ERR_NETWORK; /* dispatched again once stale */
        if (started)
            log_info("mailing %lld: sending", (long long)ids[i]);
        else
            log_debug("mailing %lld: dispatched again", (long long)ids[i]);
    }
    return 0;
}

/* Starts the mailings whose time has come, dispatches again those resumed or whose work was
 * lost, and shows their progress in the metrics. */
static int tick_mailings(struct db *db, struct queue *q)
{
    struct arena a;
    arena_init(&a, 1024);
    int64_t now = clock_now(), *ids, total = 0;
    int n = 0;
    struct mailing_progress p;
    int rc = mailing_start_due(db, &a, now, MAILINGS_PER_TICK, &ids, &n);
    if (!rc && (rc = dispatch_all(q, ids, n, true)))
        goto done;
    if (!rc)
        rc = mailing_redispatch_due(db, &a, now, MAILING_STALE_S, MAILINGS_PER_TICK, &ids, &n);
    if (!rc && (rc = dispatch_all(q, ids, n, false)))
        goto done;
    if (!rc)
        rc = mailing_sending_totals(db, &total, &p);
    if (rc) {
        rc = queue_fail(q, rc, "mailings: %s", db_errmsg(db));
        goto done;
    }
    int64_t pending = total - p.sent - p.failed - p.blocked;
    metric_set(&metric_mailing_recipients, pending > 0 ? pending : 0, "pending", NULL);
    metric_set(&metric_mailing_recipients, p.sent, "sent", NULL);
    metric_set(&metric_mailing_recipients, p.failed, "failed", NULL);
    metric_set(&metric_mailing_recipients, p.blocked, "blocked", NULL);
done:
    arena_release(&a);
    return rc;
}

int scheduler_tick(struct db *db, struct queue *q, const char *holder, int64_t ttl_ms)
{
    int held = queue_lease(q, "scheduler", holder, ttl_ms);
    if (held <= 0)
        return held;
    int expired = 0;
    int rc = order_expire_reservations(db, clock_now(), &expired);
    if (rc)
        return queue_fail(q, rc, "reservation expiry: %s", db_errmsg(db));
    if (expired)
        log_info("%d unpaid order%s expired; stock returned", expired, expired == 1 ? "" : "s");
    return (rc = tick_mailings(db, q)) ? rc : 1;
}

static void *scheduler_main(void *arg)
{
    struct scheduler *s = arg;
    int64_t ttl = s->opt.interval_ms * 3 < 3000 ? 3000 : s->opt.interval_ms * 3;
    bool failing = false;
    while (!atomic_load(&s->stopping)) {
        int rc = scheduler_tick(s->db, s->queue, s->holder, ttl);
        if (rc < 0 && !failing)
            log_warn("scheduler: %s", queue_errmsg(s->queue));
        failing = rc < 0;
        int64_t deadline = clock_mono_ms() + s->opt.interval_ms, left;
        while (!atomic_load(&s->stopping) && (left = deadline - clock_mono_ms()) > 0)
            clock_sleep_ms(left < 50 ? left : 50);
    }
    return NULL;
}

int scheduler_start(struct scheduler **out, const struct scheduler_options *opt, struct buf *err)
{
    *out = NULL;
    struct scheduler *s = xcalloc(1, sizeof *s);
    s->opt = *opt;
    if (s->opt.interval_ms <= 0)
        s->opt.interval_ms = 1000;
    atomic_init(&s->stopping, false);
    queue_token(s->holder, sizeof s->holder);
    int rc = db_open(&s->db, opt->database_url, err);
    if (!rc)
        rc = queue_open(&s->queue, &opt->queue, err);
    if (!rc && pthread_create(&s->thread, NULL, scheduler_main, s)) {
        buf_setf(err, "cannot start the scheduler thread");
        rc = ERR_INTERNAL;
    }
    if (rc) {
        queue_close(s->queue);
        db_close(s->db);
        free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void scheduler_free(struct scheduler *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    pthread_join(s->thread, NULL);
    queue_close(s->queue);
    db_close(s->db);
    free(s);
}
