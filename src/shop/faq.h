/*
 * FAQ entries: a paginated list in the bot and a search for inline mode.
 * The search key (utf8_search_key of question and answer) is kept in step by
 * faq_create / faq_update; search matches every word of the query.
 * Staff see and edit every entry, active or not (faq_admin_list, faq_save).
 */
#ifndef TGSHOP_SHOP_FAQ_H
#define TGSHOP_SHOP_FAQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/listing.h"

enum {
    FAQ_PAGE_MAX = 100,
    FAQ_SEARCH_WORDS = 8,
    FAQ_QUESTION_MAX = 500, /* characters: the schema's bound */
    FAQ_ANSWER_MAX = 3500,  /* characters: question and answer fit one Telegram message */
};

struct faq {
    int64_t id;
    char *question;
    char *answer;
    int64_t position;
    bool is_active;
};

/* A page of active entries in their order; *out_total counts them all. */
int faq_list(struct db *db, struct arena *a, int64_t offset, int limit, struct faq **out,
             int *out_count, int64_t *out_total);
/* An active entry, else ERR_NOTFOUND. */
int faq_get(struct db *db, struct arena *a, int64_t id, struct faq *out);
/* Active entries containing every word of query (case-insensitive), in FAQ order. An empty
 * query lists the first entries. */
int faq_search(struct db *db, struct arena *a, const char *query, int64_t offset, int limit,
               struct faq **out, int *out_count);

int faq_create(struct db *db, const char *question, const char *answer, int64_t position,
               int64_t *out_id);
int faq_update(struct db *db, int64_t id, const char *question, const char *answer,
               int64_t position, bool is_active);

/* Staff side: a page of all entries, active or not, in their order. */
int faq_admin_list(struct db *db, struct arena *a, int64_t offset, int limit, struct faq **out,
                   int *out_count, int64_t *out_total);
/* One entry, active or not. */
int faq_admin_get(struct db *db, struct arena *a, int64_t id, struct faq *out);
/* Validates and creates (id 0, at the end of the list) or edits an entry, keeping its place.
 * ERR_INVALID (question 1-500, answer 1-3500 characters) or ERR_NOTFOUND, with *why. */
int faq_save(struct db *db, int64_t id, const char *question, const char *answer, bool is_active,
             int64_t *out_id, struct listing_problem *why);
int faq_set_active(struct db *db, int64_t id, bool active);
int faq_delete(struct db *db, int64_t id);
/* Moves an entry up (delta < 0) or down the list. */
int faq_shift(struct db *db, int64_t id, int delta);

#endif
