/*
 * Messages to staff (ADMIN_CHAT_IDS): new paid orders and payments that need a look.
 * They go through the job queue (jobs/notify.h), sent by a telegram_sending_queue
 * worker within the shop's send rate, so a bot thread never waits on them and a
 * burst of orders never trips Telegram's limits. Each bot worker thread has its own
 * queue handle (bot_ctx.queue).
 */
#ifndef TGSHOP_BOT_STAFF_H
#define TGSHOP_BOT_STAFF_H

#include <stdint.h>

#include "bot/context.h"
#include "core/buf.h"

/* A queue handle for one bot thread, from the settings' queue configuration. */
int staff_queue_open(struct queue **out, const struct bot_settings *settings, struct buf *err);
void staff_queue_close(struct queue *q);

/* Queues html for chat_id; the same key (e.g. "order-paid:17") for a repeated event
 * notifies once per chat. A failure is logged and returned. */
int staff_notify(struct bot_ctx *c, int64_t chat_id, const char *html, const char *key);

#endif
