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
/* draft, scheduled or sending -> cancelled. */
int mailing_cancel(struct db *db, int64_t id, int64_t now, struct listing_problem *why);

/* For the sender (issue 10): adds up to batch pending deliveries for recipients with a
 * customer id above after, in id order, skipping those already added; *out_last gets the
 * highest customer id looked at (0 when none is left) and *out_added how many rows were new.
 * Calling it again from *out_last until it returns 0 walks the whole audience. */
int mailing_add_recipients(struct db *db, int64_t id, int64_t after, int batch, int64_t *out_last,
                           int64_t *out_added);

#endif
