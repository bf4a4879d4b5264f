/*
 * The bot runtime: a long-polling loop (or updates handed in from a webhook)
 * feeding a small pool of workers. One user's updates always go to the same
 * worker and are handled in order; different users are handled in parallel. A
 * worker takes first the updates of chats the pacer lets through now, so a chat
 * waiting for its turn holds back the worker's other chats as little as it can.
 * Each worker owns a database connection, a Telegram client, an arena freed
 * after each update and its middleware memory (gate.h).
 *
 * The polling loop is a small state machine: fetch updates, store them in the
 * inbox (the update_inbox table), hand them to the workers, fetch again while
 * they work, and back off after errors (a 429's retry_after, 1..30 s for
 * network and server errors). Each fetch confirms the previous ones to
 * Telegram, so every update is fetched once; the inbox keeps an update until
 * it is handled, and a bot stopped in the middle (a crash) handles what the
 * inbox still holds when it starts again. The processed_update table makes an
 * update that was handled after all harmless. Successful payments are
 * idempotent by their charge id instead, and retried when the database fails.
 *
 * Every Telegram client of the bot shares one flood-control state (tg/flood.h):
 * a 429 for a chat holds back every call to it, a 429 without a chat holds back
 * the bot, new messages are paced to about 1/s per chat and SEND_RATE overall.
 * Replies wait for that and go once; answers to queries give up when they
 * would come too late to matter.
 *
 * A background thread forgets processed updates older than two days. (Unpaid
 * reservations are expired by the scheduler of the default job worker: jobs/scheduler.h.)
 */
#ifndef TGSHOP_BOT_BOT_H
#define TGSHOP_BOT_BOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bot/context.h"
#include "core/buf.h"
#include "tg/flood.h"

struct bot;

struct bot_options {
    const char *database_url;
    const char *api_url; /* TELEGRAM_API_URL */
    const char *token;
    struct bot_settings settings; /* bot_username is filled from getMe */
    int workers;                  /* 0 = 8 */
    bool long_polling;            /* false: updates arrive through bot_submit() */
    const char *webhook_url;      /* without long_polling: registered at start (setWebhook) */
    const char *webhook_secret;   /* its secret_token, which Telegram sends with every update */
    int poll_timeout_s;           /* getUpdates long-poll timeout; 0 = 25 */
    int expiry_interval_s;        /* how often old update ids are swept; 0 = 30 */
    double send_rate;             /* SEND_RATE: messages/s over all chats; 0 = 30 */
    struct tg_flood *flood;       /* flood control shared with other senders of the process
                                     (tg/flood.h); NULL = the bot's own, from send_rate */
    bool (*stop_requested)(void); /* NULL, or true when start-up should give up (Ctrl-C) */
};

/* Connects, starts the workers and, with long_polling, the loop. The start-up calls are
 * split by purpose: getMe and (long polling) deleteWebhook are needed, so network errors,
 * 5xx and 429 (after its retry_after) are logged, one line each, and retried with a
 * backoff (1 s doubling to 30 s) until they succeed or stop_requested() says so; a 401
 * (wrong token) or another refusal fails at once. setMyCommands is cosmetic: a failure is a
 * warning and it is retried in the background (backoff up to 5 minutes) while the bot
 * serves updates. On failure returns a negative ERR_* with one line in err (a wrong token:
 * ERR_FORBIDDEN, "Telegram refused the bot token ..."). */
int bot_start(struct bot **out, const struct bot_options *opt, struct buf *err);
/* Finishes the updates in hand, stops every thread and frees everything. NULL is fine. */
void bot_stop(struct bot *b);

/* Queues one update (the JSON of an Update object) for its user's worker. ERR_INVALID when
 * it is not an Update. */
int bot_submit(struct bot *b, const char *json, size_t len);

/* Waits until every queued update has been handled (tests, benchmarks), at most timeout_ms.
 * Returns 0, or ERR_TIMEOUT. */
int bot_drain(struct bot *b, int64_t timeout_ms);

struct bot_stats {
    uint64_t updates;              /* handled */
    uint64_t failures;             /* handlers that returned an error */
    uint64_t duplicates;           /* re-delivered updates skipped */
    double p50_ms, p99_ms, max_ms; /* from receipt to the handler's return */
};
void bot_get_stats(struct bot *b, struct bot_stats *out);

/* The bot's @username (from getMe). */
const char *bot_username(const struct bot *b);

#endif
