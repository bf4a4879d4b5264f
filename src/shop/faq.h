/*
 * FAQ entries: a paginated list in the bot and a search for inline mode.
 * The search key (utf8_search_key of question and answer) is kept in step by
 * faq_create / faq_update; search matches every word of the query.
 */
#ifndef TGSHOP_SHOP_FAQ_H
#define TGSHOP_SHOP_FAQ_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

enum { FAQ_PAGE_MAX = 100, FAQ_SEARCH_WORDS = 8 };

struct faq {
    int64_t id;
    char *question;
    char *answer;
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

#endif
