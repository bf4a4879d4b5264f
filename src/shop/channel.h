/*
 * Mandatory channels: a customer must be a member of every active one to use
 * the bot (the subscription gate in src/bot checks membership).
 */
#ifndef TGSHOP_SHOP_CHANNEL_H
#define TGSHOP_SHOP_CHANNEL_H

#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

enum { CHANNEL_MAX = 20 };

struct channel {
    int64_t id;
    char *chat_ref; /* "-100123..." or "@name": what getChatMember takes as chat_id */
    char *title;
    char *invite_link; /* NULL: derived from an @name */
};

/* The active channels in their order (at most CHANNEL_MAX). */
int channel_list_active(struct db *db, struct arena *a, struct channel **out, int *out_count);
int channel_create(struct db *db, const char *chat_ref, const char *title, const char *invite_link,
                   int64_t *out_id);

#endif
