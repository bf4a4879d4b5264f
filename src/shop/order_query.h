/*
 * Orders as staff see them: the admin panel's order list and detail, and the
 * export. Read-only; changes go through shop/order.h.
 *
 *  - struct order_filter picks orders by status, creation date range and a
 *    search text; every function here takes one, so the list, its totals and
 *    the export of "what is on screen" always agree.
 *  - Order: newest first, (created_at, id) descending, so the order is stable
 *    when many orders share a second. Pages are keyset pages (a cursor, not an
 *    offset): every page costs the same on 100k orders, on both backends
 *    (migration 0003 indexes (status, created_at, id)).
 *  - order_query_each() walks the whole filtered set in batches with the
 *    items of each order, calling back once per order: memory stays flat
 *    whatever the count (the export streams from it).
 *
 * Search text: an order number (with or without '#') matches that order; any
 * text matches a substring of the contact name, the phone, or the customer's
 * first name, last name or username (a leading '@' is ignored). Letters
 * compare case-insensitively as the database's LIKE (SQLite) or ILIKE
 * (PostgreSQL) does: ASCII on SQLite and on a PostgreSQL with the C locale,
 * all letters of the locale on a PostgreSQL with a language locale.
 */
#ifndef TGSHOP_SHOP_ORDER_QUERY_H
#define TGSHOP_SHOP_ORDER_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"
#include "shop/order.h"

enum { ORDER_QUERY_PAGE = 100, ORDER_SEARCH_MAX = 200 };

struct order_filter {
    bool has_status;
    enum order_status status;
    int64_t created_from; /* UTC seconds, inclusive; 0 = no lower bound */
    int64_t created_to;   /* UTC seconds, inclusive; 0 = no upper bound */
    const char *search;   /* NULL or "" = everything; at most ORDER_SEARCH_MAX bytes */
};

/* Parses a filter date "YYYY-MM-DD" (a UTC day) into its first second, or its last second
 * when end_of_day (so that from..to includes both days). ERR_INVALID for anything else,
 * including impossible days ("2026-02-30"). */
int order_filter_parse_date(const char *s, bool end_of_day, int64_t *out);

/* One order with its customer. Strings live in the arena of the call (or, for
 * order_query_each, until the callback returns). */
struct order_record {
    int64_t id;
    enum order_status status;
    int64_t total;
    const char *currency;
    const char *contact_name, *phone, *address, *comment;
    const char *charge_id;          /* telegram_payment_charge_id, NULL until paid */
    const char *provider_charge_id; /* NULL when the provider gave none */
    int64_t created_at, updated_at;
    int64_t paid_at;        /* 0 when not paid */
    int64_t reserved_until; /* 0 when the order holds no reservation */
    int64_t customer_id, customer_tg_id;
    const char *customer_username;                        /* NULL when the user has none */
    const char *customer_first_name, *customer_last_name; /* last name may be NULL */
    const char *customer_phone;                           /* shared in the bot; may be NULL */
    int item_count;                                       /* lines; set everywhere */
    int64_t units;                  /* sum of the lines' quantities; set everywhere */
    const struct order_item *items; /* order_query_each and order_query_detail only */
};

struct order_currency_total {
    char currency[4];
    int64_t count, sum;
};

struct order_totals {
    int64_t count;                     /* all matching orders */
    struct order_currency_total *sums; /* per currency, by currency code */
    int currencies;
};

/* How many orders match and the sum of their totals per currency. Without a search, the whole
 * days of the range are read from the running totals per day (migration 0009), so the cost
 * does not grow with the number of orders. */
int order_query_totals(struct db *db, struct arena *a, const struct order_filter *f,
                       struct order_totals *out);

/* A position in the list: the (created_at, id) of an order shown on a page. */
struct order_cursor {
    int64_t created_at, id;
};

struct order_page {
    struct order_record *rows; /* without items */
    int count;
    bool has_newer, has_older; /* whether pages exist before the first / after the last row */
    struct order_cursor newest, oldest; /* of rows[0] and rows[count - 1] */
};

enum order_page_direction {
    ORDER_PAGE_FIRST, /* the newest orders; the cursor is ignored */
    ORDER_PAGE_OLDER, /* the orders right after the cursor */
    ORDER_PAGE_NEWER, /* the orders right before the cursor */
};

/* One page of at most limit (1..ORDER_PAGE_MAX) matching orders, newest first. A NEWER page
 * that would run past the newest order is the first page. */
int order_query_page(struct db *db, struct arena *a, const struct order_filter *f,
                     enum order_page_direction dir, const struct order_cursor *cursor, int limit,
                     struct order_page *out);

/* Called once per order, newest first; a non-zero return stops the walk and is returned. */
typedef int order_record_fn(const struct order_record *r, void *ctx);

/* Walks every matching order with its items. The record and its strings are valid during
 * the callback only. */
int order_query_each(struct db *db, const struct order_filter *f, order_record_fn *fn, void *ctx);

/* What happened to an order, oldest first. */
struct order_event {
    int64_t at;
    const char *what; /* "created", "paid", "status: shipped", or an audit log action */
    const char *who;  /* the admin's username; NULL for the customer or the system */
    const char *details;
};

struct order_detail {
    struct order_record order; /* with items */
    struct order_event *events;
    int event_count;
};

/* One order with items, customer and timeline (creation, payment, the admin panel's audit log
 * entries for it, and the latest status change when no entry tells it). ERR_NOTFOUND when
 * there is no such order. */
int order_query_detail(struct db *db, struct arena *a, int64_t order_id, struct order_detail *out);

#endif
