/*
 * What a handler works with while it handles one update: the worker's own
 * database connection and Telegram client (a worker handles one update at a
 * time, so nothing here is shared), an arena freed when the update is done,
 * the update, who sent it, in which language to answer, and the shop's
 * settings.
 */
#ifndef TGSHOP_BOT_CONTEXT_H
#define TGSHOP_BOT_CONTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/customer.h"
#include "tg/client.h"

struct queue;
struct queue_config;

struct bot_settings {
    const char *currency;
    const char *provider_token; /* NULL: Telegram Stars */
    const int64_t *admin_chat_ids;
    size_t admin_chat_count;
    const char *default_language;
    int page_size;
    int64_t reserve_seconds;
    int gate_cache_seconds;
    const char *bot_username;         /* from getMe, for inline-mode hints */
    const struct queue_config *queue; /* the job queue of staff notes (bot/staff.h) */
};

struct bot_ctx {
    struct db *db;
    struct tg_client *tg;
    struct queue *queue; /* this thread's job queue handle (staff notes) */
    struct arena *arena;
    const struct bot_settings *settings;
    const struct tg_update *update;
    const struct tg_user *from; /* the user behind the update */
    int64_t chat_id;            /* where to answer: the user's private chat */
    const char *lang;
    struct customer customer; /* filled by the customer middleware */
    /* the message a callback button belongs to, for editing in place (0 = none) */
    int64_t message_id;
    bool message_has_photo;
    const char *callback_id;    /* answered once: bot_answer_callback() clears it */
    struct ui_screens *screens; /* the worker's memory of what screens show (bot/ui.h) */
    int64_t received_us;        /* when the update came in (clock_mono_us), for answer deadlines */
};

#endif
