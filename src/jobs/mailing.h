/*
 * Mass mailings through the queue (shop/mailing.h keeps the records; docs/jobs.md tells
 * the whole story). Two jobs:
 *
 *   mailing.fanout  on default, {"mailing_id":N}, unique key "mailing:N:fanout".
 *                   Enqueues the mailing's senders, then creates its delivery rows in
 *                   batches (mailing_fanout_step: a cursor in the mailing row, so a
 *                   re-delivered fan-out goes on where it was and adds nothing twice).
 *   mailing.send    on telegram_sending_queue, {"mailing_id":N,"sender":K} for K in
 *                   0..senders-1, unique key "mailing:N:send:K". Each sender claims chunks
 *                   of the mailing's pending deliveries (any of them: the senders share the
 *                   mailing rather than a range each) and sends them: text, or the photo
 *                   with the text as caption, and the URL button.
 *
 *   worker_register(w, MAILING_FANOUT_KIND, mailing_fanout_job, &jobs);  // default workers
 *   worker_register(w, MAILING_SEND_KIND, mailing_send_job, &jobs);      // senders
 *   mailing_dispatch(q, mailing_id);                                    // jobs/scheduler.c
 *
 * Contract refinement (MAILING_CONTRACT.md): mailing.send carries a sender number, not a
 * range of recipients, so that dispatching a mailing again (resume, lost work) enqueues
 * exactly the jobs that are missing.
 *
 * A sender records each delivery right after Telegram answers (mailing_record): sent; 403 →
 * blocked and the customer is_blocked; another 4xx → failed with Telegram's description; a
 * network error, a timeout or a 5xx → pending again with the attempt counted, retried after
 * a backoff, failed after max_attempts; a 429 → every sender of the process (and with Redis
 * every sender process: queue_rate_hold) waits retry_after, then the same message is sent
 * again (a 429 is not an attempt). A message that cannot go at all (the photo file is
 * missing; a wrong token: 401, 404) buries the job and leaves the deliveries pending.
 *
 * Every second at least a sender reports its counts and reads the mailing's state
 * (mailing_report_progress) and renews its claims: cancelled or paused → it gives its
 * unsent claims back and ends (done); the worker stopping → it hands the job back. A job
 * hands itself back after slice_ms too, so that other jobs (notifications, other mailings)
 * get their turn. The sender that finds nothing left to send ends the mailing
 * (mailing_finish_if_settled) and enqueues the report to ADMIN_CHAT_IDS.
 */
#ifndef TGSHOP_JOBS_MAILING_H
#define TGSHOP_JOBS_MAILING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "jobs/queue.h"
#include "jobs/worker.h"
#include "tg/flood.h"

#define MAILING_FANOUT_KIND "mailing.fanout"
#define MAILING_SEND_KIND   "mailing.send"

/* What both handlers share (one per process); zero fields take the defaults. */
struct mailing_jobs {
    double send_rate;           /* SEND_RATE, messages per second over every sender */
    struct tg_flood *flood;     /* the senders' clients' flood state (tg/flood.h): tells a
                                   429 from a wait for the pacer; NULL = every wait is a 429 */
    const int64_t *admin_chats; /* ADMIN_CHAT_IDS, for the end report; none = no report */
    size_t admin_chat_count;
    int senders;           /* mailing.send jobs per mailing; 0 = 8 */
    int batch;             /* delivery rows per fan-out step; 0 = 1000 */
    int chunk;             /* deliveries claimed at once; 0 = 50 */
    int max_attempts;      /* per delivery (network errors, 5xx); 0 = 5 */
    int64_t retry_base_ms; /* first retry after about this; doubles; 0 = 1000 */
    int64_t claim_ms;      /* a claim lasts this long unless renewed (every second, between
                              Bot API calls): longer than one call may take; 0 = 45000 */
    int64_t slice_ms;      /* a job's turn before it hands itself back; 0 = 10000 */
    /* the process's senders' 429 hold (clock_mono_ms), set by any of them */
    _Atomic int64_t hold_until_ms;
};

/* Enqueues the mailing's fan-out (a no-op while one is queued or running). Returns
 * queue_enqueue's result. */
int mailing_dispatch(struct queue *q, int64_t mailing_id);

/* The handlers; ctx is a struct mailing_jobs. */
enum job_result mailing_fanout_job(void *ctx, struct job_run *run, const struct job *job);
enum job_result mailing_send_job(void *ctx, struct job_run *run, const struct job *job);

#endif
