/*
 * Notifications through the queue: one Telegram message (HTML) to one chat, sent by a
 * worker of telegram_sending_queue within the shared send rate (queue_rate_wait), so a
 * burst of order notes never trips Telegram's limits nor waits in a bot thread.
 *
 *   notify_enqueue(q, admin_chat, html, "order-paid:17:admin:42");  // producer side
 *   worker_register(w, NOTIFY_KIND, notify_message_job, &notify_ctx); // sender side
 *
 * Outcomes: sent → done; 429 → every sender pauses for retry_after and the job is retried;
 * network errors and 5xx → retried with a backoff; 403 (blocked) and other 4xx → the job
 * is dead with Telegram's description (nothing will change it).
 */
#ifndef TGSHOP_JOBS_NOTIFY_H
#define TGSHOP_JOBS_NOTIFY_H

#include "jobs/queue.h"
#include "jobs/worker.h"
#include "tg/result.h"

#define NOTIFY_KIND "notify.message"

/* What the sender needs besides the worker thread's Bot API client (worker_options.token). */
struct notify_ctx {
    double send_rate; /* SEND_RATE */
};

/* Enqueues one message; unique_key (NULL = none) makes a repeated call a no-op (a
 * re-delivered payment notifies once). Returns queue_enqueue's result. */
int notify_enqueue(struct queue *q, int64_t chat_id, const char *html, const char *unique_key);

/* The handler of NOTIFY_KIND; ctx is a struct notify_ctx. */
enum job_result notify_message_job(void *ctx, struct job_run *run, const struct job *job);

/* A Telegram outcome as a job result, with the reason in run->error: a 429 also holds every
 * sender (queue_rate_hold) for its retry_after. For every sender of the queue. */
enum job_result notify_result_of(struct job_run *run, const struct tg_result *r);

#endif
