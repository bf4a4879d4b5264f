/*
 * The sandbox's fault rules (struct sandbox_fault in sandbox.h) and flood
 * bans: which Bot API call gets an injected error or delay, the bans a 429
 * starts, and the calls that did not respect a ban ("flood violations").
 * Every function requires w->lock, as world.h says.
 */
#ifndef TGSHOP_SANDBOX_FAULTS_H
#define TGSHOP_SANDBOX_FAULTS_H

#include <jansson.h>

#include "core/buf.h"
#include "sandbox/world.h"

/* Sets one field of a rule from its text (key as in struct sandbox_fault). */
int fault_set_field(struct sandbox_fault *f, const char *key, const char *value, struct buf *err);
/* Replaces w's rules after checking every one; ERR_INVALID with one line in err. */
int faults_set(struct world *w, const struct sandbox_fault *rules, size_t count, struct buf *err);
/* The rules with their counters "matched" and "hits". New reference. */
json_t *faults_json(const struct world *w);

/* What the rules do to one call. */
struct fault_hit {
    int delay_ms;
    int status; /* 0 = serve the call */
    int retry_after;
    bool global;
    const char *description; /* borrowed from the rule, valid while w->lock is held */
};
/* Counts the call (method canonical, chat_id 0 = none) against every rule. */
void faults_draw(struct world *w, const char *method, int64_t chat_id, struct fault_hit *out);

/* Records a flood violation if the call comes before its chat's (chat may be
 * NULL) or the bot's ban has passed. */
void flood_check(struct world *w, const char *method, struct sb_chat *chat);
/* Bans calls to chat (NULL = the whole bot) for seconds from now. */
void flood_ban(struct world *w, struct sb_chat *chat, int seconds);
/* {"violations": N, "calls": [{method, chat_id, early_ms, global}...]}, the latest calls. */
json_t *flood_json(const struct world *w);

#endif
