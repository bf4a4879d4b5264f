/*
 * Conversation state per Telegram user, stored in the database (fsm_state)
 * so that a checkout survives a restart of the bot: a state name and a JSON
 * object of what was collected so far.
 */
#ifndef TGSHOP_BOT_FSM_H
#define TGSHOP_BOT_FSM_H

#include <stdint.h>

#include <jansson.h>

#include "db/db.h"

/* The user's state name into state (size bytes; "" when none) and its data as a new JSON
 * object (never NULL, {} when none) for the caller to json_decref. */
int fsm_get(struct db *db, int64_t tg_user_id, char *state, size_t size, json_t **out_data);
/* Sets state and data (data NULL = {}). */
int fsm_set(struct db *db, int64_t tg_user_id, const char *state, const json_t *data);
int fsm_clear(struct db *db, int64_t tg_user_id);

#endif
