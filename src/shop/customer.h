/*
 * Customers: the Telegram users who talked to the bot. Registered or
 * refreshed on every contact (names and language change on Telegram's side),
 * marked blocked when they block the bot and unmarked when they return.
 */
#ifndef TGSHOP_SHOP_CUSTOMER_H
#define TGSHOP_SHOP_CUSTOMER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

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
    char *language_code;
    char *phone;
    bool is_banned;
    bool is_blocked; /* the user blocked the bot, as far as we know */
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
int customer_set_banned(struct db *db, int64_t customer_id, bool banned);
int customer_set_phone(struct db *db, int64_t customer_id, const char *phone);

#endif
