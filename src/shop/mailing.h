/*
 * Mass mailings: staff write a draft (Telegram HTML text, an optional photo,
 * an optional URL button, an audience), then schedule it for a time or for
 * now; the jobs layer sends it (issue 10), recording one mailing_delivery row
 * per recipient, and keeps the counters that the admin panel's progress bar
 * shows.
 *
 * States: draft -> scheduled -> sending -> done, and cancelled from any state
 * but done. Only a draft can be edited or scheduled; a scheduled mailing can
 * go back to draft until it starts; mailing_transition_allowed is the rule.
 * A sending mailing can be paused and resumed: it stays `sending` with paused_at
 * set (the admin panel shows it as paused); senders stop within about a second
 * and leave the rest pending until it is resumed.
 *
 * The text is checked with Telegram's own rules (core/tgtext.h): its HTML must
 * parse and it must fit a message (4096 characters) or, with a photo, a
 * caption (1024), as Telegram counts them.
 *
 * Audiences, always among customers who neither blocked the bot nor are
 * banned, optionally of one language only:
 *   all         every such customer
 *   buyers      those with a bought order (paid, shipped or delivered),
 *               optionally created in [ordered_from, ordered_to)
 *   non_buyers  those without one
 */
#ifndef TGSHOP_SHOP_MAILING_H
#define TGSHOP_SHOP_MAILING_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/listing.h"

enum mailing_status {
    MAILING_DRAFT,
    MAILING_SCHEDULED,
    MAILING_SENDING,
    MAILING_DONE,
    MAILING_CANCELLED,
};

enum mailing_audience { MAILING_TO_ALL, MAILING_TO_BUYERS, MAILING_TO_NON_BUYERS };

enum {
    MAILING_BUTTON_TEXT_MAX = 64, /* characters */
    MAILING_URL_MAX = 2048,       /* bytes */
    MAILING_BATCH_MAX = 10000,    /* recipients added by one mailing_add_recipients */
};
#define MAILING_SCHEDULE_AHEAD_MAX (INT64_C(366) * 86400) /* seconds */

const char *mailing_status_name(enum mailing_status status);
int mailing_status_parse(const char *name, enum mailing_status *out);
const char *mailing_audience_name(enum mailing_audience audience);
int mailing_audience_parse(const char *name, enum mailing_audience *out);
bool mailing_transition_allowed(enum mailing_status from, enum mailing_status to);

struct mailing {
    int64_t id;
    char *text; /* Telegram HTML */
    char *photo_path;
    char *photo_file_id;
    char *button_text, *button_url; /* both or neither (NULL) */
    enum mailing_audience audience;
    char *language;                   /* NULL: every language */
    int64_t ordered_from, ordered_to; /* buyers only; 0 = open */
    enum mailing_status status;
    int64_t scheduled_at, started_at, finished_at; /* 0 = not yet */
    int64_t total, sent, failed, blocked;          /* the progress counters */
    int64_t pending;                               /* total - sent - failed - blocked, >= 0 */
    int64_t paused_at;                             /* 0 = not paused */
    int64_t created_by;                            /* admin_user id, 0 = unknown */
    int64_t created_at, updated_at;
};

struct mailing_input {
    int64_t id; /* 0: a new draft */
    const char *text;
    const char *photo_path;  /* NULL: none */
    const char *button_text; /* NULL or "": no button */
    const char *button_url;
    enum mailing_audience audience;
    const char *language; /* NULL or "": every language */
    int64_t ordered_from, ordered_to;
    int64_t created_by; /* for a new draft */
};

/* Validates and creates or edits a draft. ERR_INVALID with the field in *why; ERR_CONFLICT
 * when the mailing is no longer a draft; ERR_NOTFOUND. */
int mailing_save(struct db *db, const struct mailing_input *in, int64_t *out_id,
                 struct listing_problem *why);
int mailing_get(struct db *db, struct arena *a, int64_t id, struct mailing *out);
/* A page of mailings, newest first (listing.h for pages). */
int mailing_list(struct db *db, struct arena *a, int64_t offset, int limit, struct mailing **out,
                 int *out_count, int64_t *out_total);
/* Deletes a mailing that is not scheduled or sending (cancel it first): ERR_CONFLICT. */
int mailing_delete(struct db *db, int64_t id, struct listing_problem *why);

/* How many customers the mailing's audience holds now. */
int mailing_audience_count(struct db *db, int64_t id, int64_t *out);

/* draft -> scheduled for time at (0: now); at may not lie in the past (a minute of slack) or
 * more than a year ahead. total is set to the audience's size at this moment. */
int mailing_schedule(struct db *db, int64_t id, int64_t at, int64_t now,
                     struct listing_problem *why);
/* scheduled -> draft, so that it can be edited again. */
int mailing_unschedule(struct db *db, int64_t id, struct listing_problem *why);
/* draft, scheduled or sending -> cancelled. Senders stop within about a second; the
 * deliveries not sent stay pending. */
int mailing_cancel(struct db *db, int64_t id, int64_t now, struct listing_problem *why);
/* sending -> paused (paused_at = now); ERR_CONFLICT when it is not sending or paused already. */
int mailing_pause(struct db *db, int64_t id, int64_t now, struct listing_problem *why);
/* paused -> sending; the scheduler dispatches it again within about a second, and senders go
 * on with the pending deliveries. ERR_CONFLICT when it is not paused. */
int mailing_resume(struct db *db, int64_t id, int64_t now, struct listing_problem *why);

/* The end report's error breakdown: the most common last_error texts of the failed and
 * blocked deliveries, most frequent first (strings in a), at most limit. */
struct mailing_error_count {
    char *error;
    int64_t count;
};
int mailing_errors(struct db *db, struct arena *a, int64_t id, int limit,
                   struct mailing_error_count **out, int *out_count);

/*
 * The pipeline's side (jobs/mailing.c, jobs/scheduler.c; docs/jobs.md tells the whole
 * story). Times are UTC seconds, or milliseconds where the name ends in _ms.
 */

/* Adds up to batch pending deliveries for recipients with a customer id above after, in id
 * order, skipping those already added; *out_last gets the highest customer id looked at (0
 * when none is left) and *out_added how many rows were new. Calling it again from *out_last
 * until it returns 0 walks the whole audience. */
int mailing_add_recipients(struct db *db, int64_t id, int64_t after, int batch, int64_t *out_last,
                           int64_t *out_added);

/* One step of the fan-out, in one transaction: mailing_add_recipients from the mailing's
 * cursor, which moves on; when no recipient is left the fan-out is complete (fanout_done_at,
 * total = the delivery rows). *out_complete: complete now or before (then nothing is added).
 * A repeated step after a crash adds nothing twice. */
int mailing_fanout_step(struct db *db, int64_t id, int batch, int64_t now, int64_t *out_added,
                        bool *out_complete);

/* Scheduled mailings due at now become sending (started_at and dispatched_at = now): at most
 * limit, their ids into *out (in a). Each is returned by one call only. */
int mailing_start_due(struct db *db, struct arena *a, int64_t now, int limit, int64_t **out,
                      int *out_count);
/* Sending, unpaused mailings whose fan-out must be enqueued again: resumed ones, and those
 * neither dispatched nor heard from (heartbeat) in the last stale seconds (their jobs were
 * lost). Marked dispatched at now; at most limit, ids into *out. */
int mailing_redispatch_due(struct db *db, struct arena *a, int64_t now, int64_t stale, int limit,
                           int64_t **out, int *out_count);

/* What a sender reports every second (counts it recorded since its last report) and what it
 * learns back. */
struct mailing_progress {
    int64_t sent, failed, blocked;
};
struct mailing_state {
    enum mailing_status status;
    bool paused;
    bool fanout_complete;
    char *photo_file_id; /* in the caller's arena; NULL = none cached */
};
/* Adds delta to the counters (not once the mailing is done: its counters are exact), marks
 * the heartbeat and reads the state. ERR_NOTFOUND when the mailing is gone. */
int mailing_report_progress(struct db *db, struct arena *a, int64_t id, int64_t now,
                            const struct mailing_progress *delta, struct mailing_state *out);
/* Caches Telegram's file_id of the mailing's photo (once uploaded), or forgets file_id when
 * Telegram no longer knows it (new NULL). */
int mailing_set_photo_file_id(struct db *db, int64_t id, const char *old_file_id,
                              const char *new_file_id);

/* A delivery in a sender's hands. */
struct mailing_recipient {
    int64_t delivery_id;
    int64_t chat_id; /* the customer's tg_id */
    int64_t attempts;
};
/* Claims up to limit (1-1000) pending deliveries of mailing id for token until until_ms: those
 * due (not waiting for a retry at now_ms) and not claimed, or whose claim ended before now_ms,
 * in customer order (PostgreSQL skips rows another claim is taking). Into out[]. */
int mailing_claim(struct db *db, int64_t id, const char *token, int64_t now_ms, int64_t until_ms,
                  int limit, struct mailing_recipient *out, int *out_count);
/* Extends token's claims to until_ms. */
int mailing_claim_renew(struct db *db, const char *token, int64_t until_ms);
/* Gives token's pending rows back (unsent), for any sender to claim. */
int mailing_claim_release(struct db *db, const char *token);
/* How many pending deliveries of the mailing no sender holds firmly: unclaimed (waiting for a
 * sender or a retry) or claimed until before held_until_ms. 0 = the rest is in the hands of
 * senders that renew their claims. */
int mailing_unheld(struct db *db, int64_t id, int64_t held_until_ms, int64_t *out);

enum mailing_delivery_status {
    MAILING_DELIVERY_PENDING,
    MAILING_DELIVERY_SENT,
    MAILING_DELIVERY_FAILED,
    MAILING_DELIVERY_BLOCKED,
};
/* Telegram's answer to one delivery. */
struct mailing_outcome {
    enum mailing_delivery_status status; /* PENDING = try again (network, 5xx) */
    int64_t message_id;                  /* sent */
    const char *error;                   /* failed, blocked, pending: the reason */
    int64_t retry_at_ms;                 /* pending: not before */
    int max_attempts;                    /* pending: failed when this attempt was the last */
};
/* Records one delivery right after Telegram answered (the exactly-once record): sent (never
 * sent again), blocked (and the customer is_blocked), failed, or pending for a retry, the
 * attempt counted (failed after max_attempts). A retry is recorded only while token holds the
 * claim; a final state whoever holds it, if the row is still pending. *out: the state this
 * call recorded, PENDING when it recorded a retry or nothing (for the progress counts). */
int mailing_record(struct db *db, int64_t delivery_id, const char *token, int64_t now,
                   const struct mailing_outcome *o, enum mailing_delivery_status *out);

/* A sending mailing whose fan-out is complete and whose deliveries are all settled becomes
 * done: finished_at = now, the counters counted from the rows (exact). *out_finished: this
 * call made it done (one caller does). */
int mailing_finish_if_settled(struct db *db, int64_t id, int64_t now, bool *out_finished);

/* The counters of every sending mailing together (the metrics' mailing progress). */
int mailing_sending_totals(struct db *db, int64_t *out_total, struct mailing_progress *out);

#endif
