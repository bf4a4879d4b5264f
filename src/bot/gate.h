/*
 * The middlewares that run before any handler, with their per-worker memory.
 * A user's updates always go to the same worker (bot.c), so this memory needs
 * no locks and a user's state is never split between workers.
 *
 *  - anti-flood: a token bucket per user (burst 8, 3 updates/s); beyond it
 *    updates are dropped, with one "slow down" toast for buttons;
 *  - ban: a banned customer gets one polite message per 10 minutes, nothing else;
 *  - subscription: with active mandatory channels, a customer who is not a
 *    member of all of them sees the channels and an "I have subscribed"
 *    button. Membership is cached per user for gate_cache_seconds once
 *    subscribed; until then every update checks again. A channel the bot cannot check (not
 *    an admin there, chat not found) is logged and does not lock anyone out.
 * The memory is a fixed-size table (users hash to slots; a collision only
 * forgets the older user's counters), so it cannot grow without bound.
 */
#ifndef TGSHOP_BOT_GATE_H
#define TGSHOP_BOT_GATE_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/context.h"

struct gate;

struct gate *gate_new(void);
void gate_free(struct gate *g);

enum gate_flood {
    GATE_PASS,      /* handle the update */
    GATE_DROP_WARN, /* over the limit for the first time in this burst: drop, say "slow down" */
    GATE_DROP,      /* over the limit: drop silently */
};
enum gate_flood gate_flood(struct gate *g, int64_t user_id, int64_t now_ms);
/* Whether the customer's stored profile should be refreshed now: true when the profile
 * (hash of names and language) changed or a minute has passed since the last refresh (and
 * records it). Between refreshes a read is enough: most updates then write nothing. */
bool gate_touch_due(struct gate *g, int64_t user_id, uint64_t profile_hash, int64_t now_ms);
/* Forgets the last refresh (the user blocked or unblocked the bot). */
void gate_forget_touch(struct gate *g, int64_t user_id);
/* For a banned customer: true when the polite message is due (and records it). */
bool gate_ban_notice_due(struct gate *g, int64_t user_id, int64_t now_ms);
/* Checks the mandatory channels (fresh when `recheck`). True when the user may go on; when
 * not, the channel list has been shown. */
bool gate_subscribed(struct gate *g, struct bot_ctx *c, bool recheck);

#endif
