/*
 * Customers: the Telegram users who talked to the bot. Registered or
 * refreshed on every contact (names and language change on Telegram's side),
 * marked blocked when they block the bot and unmarked when they return.
 * Staff list, search and ban them in the admin panel (customer_list).
 */
#ifndef TGSHOP_SHOP_CUSTOMER_H
#define TGSHOP_SHOP_CUSTOMER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/listing.h"

/* What Telegram tells about a user (any string may be NULL). */
struct tg_profile {
    int64_t tg_id;
    const char *username;
    const char *first_name;
    const char *last_name;
    const char *language_code;
};

struct customer {
    int64_t id;
    int64_t tg_id;
    char *username;
    char *first_name;
    char *last_name;
    char *language_code;
    char *phone;
    bool is_banned;
    bool is_blocked; /* the user blocked the bot, as far as we know */
    int64_t created_at, last_seen_at;
};

/* The sortable columns of the customer list. */
enum customer_sort {
    CUSTOMER_SORT_JOINED, /* created_at */
    CUSTOMER_SORT_SEEN,   /* last_seen_at */
    CUSTOMER_SORT_NAME,   /* first_name, last_name */
    CUSTOMER_SORT_USERNAME,
    CUSTOMER_SORT_TG_ID,
};

/* The staff's filters; zero values filter nothing. */
struct customer_filter {
    const char *query; /* part of the name or @username, a phone number's digits, a tg id */
    enum listing_flag blocked, banned;
    const char *language;           /* language_code, exactly */
    int64_t joined_from, joined_to; /* created_at in [from, to); 0 = open */
    enum customer_sort sort;
    bool descending;
};

/* Registers the user or refreshes the stored profile and last_seen_at; clears is_blocked
 * (a user who writes has unblocked the bot). Strings land in arena a. */
int customer_touch(struct db *db, struct arena *a, const struct tg_profile *profile,
                   struct customer *out);
/* The customer with this Telegram id, ERR_NOTFOUND if none. */
int customer_by_tg_id(struct db *db, struct arena *a, int64_t tg_id, struct customer *out);
/* Marks whether the user blocked the bot (my_chat_member, or a 403 on a send). Unknown
 * users are ignored: there is nobody to mark. */
int customer_set_blocked(struct db *db, int64_t tg_id, bool blocked);
/* Staff ban or unban a customer (the bot then ignores them). ERR_NOTFOUND if none. */
int customer_set_banned(struct db *db, int64_t customer_id, bool banned);
int customer_set_phone(struct db *db, int64_t customer_id, const char *phone);

/* The customer with this id, ERR_NOTFOUND if none. */
int customer_get(struct db *db, struct arena *a, int64_t id, struct customer *out);
/* A page of customers matching f in its order (listing.h for pages). */
int customer_list(struct db *db, struct arena *a, const struct customer_filter *f, int64_t offset,
                  int limit, struct customer **out, int *out_count, int64_t *out_total);
/* The distinct language codes of customers, sorted (at most 100), for the filter's choices. */
int customer_languages(struct db *db, struct arena *a, char ***out, int *out_count);

#endif
