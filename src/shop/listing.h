/*
 * What the staff side of the domain shares: the lists of the admin panel
 * (pages, queries assembled from constant fragments, positions) and the way a
 * form's input is refused (which field, and why, for people).
 *
 * Lists: every admin list pages with offset >= 0 and 1 <= limit <= LISTING_PAGE_MAX,
 * orders by a whitelisted column with the id as tie-breaker (a stable order),
 * and counts the filtered set up to LISTING_COUNT_MAX: a larger set reports
 * LISTING_COUNT_MAX + 1 ("more than 10,000"), so that counting a huge set
 * never costs more than the page itself. Sort orders and filters are enums and
 * values, never SQL: listing_query only takes constant fragments, and every
 * value goes through a bound parameter.
 */
#ifndef TGSHOP_SHOP_LISTING_H
#define TGSHOP_SHOP_LISTING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"

enum {
    LISTING_PAGE_MAX = 500,
    LISTING_PARAMS_MAX = 32,
    LISTING_BULK_MAX = 1000,
    LISTING_COUNT_MAX = 10000, /* lists count this far exactly; more shows as "10000+" */
};

/* A yes/no filter of a list: zero means "either". */
enum listing_flag { LISTING_ANY, LISTING_YES, LISTING_NO };

/* Why input was refused: the form field it belongs to and a sentence for the form. */
struct listing_problem {
    const char *field; /* "name", "price", ...; "" when it concerns the whole form */
    char message[256];
};

/* Fills *out (may be NULL) and returns ERR_INVALID. */
int listing_refuse(struct listing_problem *out, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Like listing_refuse with another code (ERR_NOTFOUND, ERR_CONFLICT). */
int listing_refuse_code(struct listing_problem *out, int code, const char *field, const char *fmt,
                        ...) __attribute__((format(printf, 4, 5)));

/* Checks a text field: valid UTF-8, at most max_chars characters, and when required not
 * blank. label names the field in the message ("Name is empty"). */
int listing_check_text(struct listing_problem *out, const char *field, const char *label,
                       const char *text, bool required, size_t max_chars);

/* Checks the path of a stored file (a photo under MEDIA_DIR): 1-1024 bytes of UTF-8 and no
 * ".." component. NULL is fine (no file). */
int listing_check_file_path(struct listing_problem *out, const char *field, const char *path);

bool listing_page_valid(int64_t offset, int limit);

/* A statement assembled from constant fragments and their bound values. */
struct listing_query {
    struct buf sql;
    struct db_param params[LISTING_PARAMS_MAX];
    size_t count;
    bool overflow; /* more than LISTING_PARAMS_MAX values: running it fails (ERR_INTERNAL) */
};

void listing_query_init(struct listing_query *q, const char *head);
void listing_query_release(struct listing_query *q);
/* Appends a constant fragment and the values of its placeholders. */
void listing_query_addv(struct listing_query *q, const char *fragment,
                        const struct db_param *params, size_t count);
#define listing_query_add(q, fragment, ...) listing_query_addv(q, fragment, DB_ARGS(__VA_ARGS__))
/* Appends " WHERE " before the first condition and " AND " before the others. */
void listing_query_where(struct listing_query *q, bool *started, const char *condition,
                         const struct db_param *params, size_t count);
#define listing_query_and(q, started, condition, ...)                                              \
    listing_query_where(q, started, condition, DB_ARGS(__VA_ARGS__))
int listing_query_run(struct db *db, struct listing_query *q, struct db_rows **out);
/* Counts the rows of `from` (a constant: "product") matching where, up to
 * LISTING_COUNT_MAX + 1. */
int listing_count(struct db *db, const char *from, const struct listing_query *where, int64_t *out);
/* Runs head + where + order + " LIMIT ? OFFSET ?": one page of a list. */
int listing_page(struct db *db, const char *head, const struct listing_query *where,
                 const char *order, int64_t offset, int limit, struct db_rows **out);
int listing_query_int(struct db *db, struct listing_query *q, int64_t *out);

/* Fills one item (a struct customer, a struct product, ...) from the current row. */
typedef void listing_fill_fn(void *item, struct db_rows *rows, struct arena *a);
/* Reads up to limit rows into a new array of item_size items in a (*out), and frees rows. */
int listing_read(struct db_rows *rows, struct arena *a, int limit, size_t item_size,
                 listing_fill_fn *fill, void **out, int *out_count);
/* Reads the one row of rows into item, ERR_NOTFOUND when there is none, and frees rows. */
int listing_read_one(struct db_rows *rows, struct arena *a, void *item, listing_fill_fn *fill);

/* Moves row id of table to index to_index (0-based, clamped) among its siblings — the rows
 * with the same scope column value (scope NULL: the whole table) — and renumbers their
 * positions 1..n. table and scope are constants of the caller. ERR_NOTFOUND when id is not
 * there. Runs in its own transaction unless the caller holds one. */
int listing_move(struct db *db, const char *table, const char *scope, int64_t id, int64_t to_index);
/* Moves row id up (delta < 0) or down among its siblings; past either end it stays. */
int listing_shift(struct db *db, const char *table, const char *scope, int64_t id, int delta);

#endif
