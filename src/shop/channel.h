/*
 * Mandatory channels: a customer must be a member of every active one to use
 * the bot (the subscription gate in src/bot checks membership). Staff keep the
 * list in the admin panel: a channel is named by its chat id ("-100123...") or
 * its public @username, has a title shown to customers and optionally an
 * invite link (a private channel needs one). At most CHANNEL_MAX are active.
 */
#ifndef TGSHOP_SHOP_CHANNEL_H
#define TGSHOP_SHOP_CHANNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/listing.h"

enum {
    CHANNEL_MAX = 20,        /* active channels */
    CHANNEL_ADMIN_MAX = 200, /* channels in the list, active or not */
    CHANNEL_TITLE_MAX = 128, /* characters */
    CHANNEL_LINK_MAX = 512,  /* bytes */
};

struct channel {
    int64_t id;
    char *chat_ref; /* "-100123..." or "@name": what getChatMember takes as chat_id */
    char *title;
    char *invite_link; /* NULL: derived from an @name */
    int64_t position;
    bool is_active;
    int64_t created_at;
};

/* The active channels in their order (at most CHANNEL_MAX). */
int channel_list_active(struct db *db, struct arena *a, struct channel **out, int *out_count);
int channel_create(struct db *db, const char *chat_ref, const char *title, const char *invite_link,
                   int64_t *out_id);

/* Staff side: every channel, active or not, in order (at most CHANNEL_ADMIN_MAX). */
int channel_list_all(struct db *db, struct arena *a, struct channel **out, int *out_count);
int channel_get(struct db *db, struct arena *a, int64_t id, struct channel *out);

struct channel_input {
    int64_t id; /* 0: create */
    const char *chat_ref;
    const char *title;
    const char *invite_link; /* NULL or "": none */
    bool is_active;
};
/* Validates and creates or edits a channel. ERR_INVALID (a chat_ref that is neither a chat id
 * nor an @username of 5-32 letters, digits and _; a title of 1-128 characters; a link that is
 * not https://t.me/...), ERR_CONFLICT (the channel is listed already, or CHANNEL_MAX are
 * active), ERR_NOTFOUND; with *why. */
int channel_save(struct db *db, const struct channel_input *in, int64_t *out_id,
                 struct listing_problem *why);
int channel_set_active(struct db *db, int64_t id, bool active, struct listing_problem *why);
int channel_delete(struct db *db, int64_t id);
/* Moves a channel up (delta < 0) or down the list. */
int channel_shift(struct db *db, int64_t id, int delta);

#endif
