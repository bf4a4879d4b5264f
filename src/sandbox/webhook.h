/*
 * Webhook delivery: while a webhook is set, one thread POSTs the oldest
 * pending update to its URL (JSON body, X-Telegram-Bot-Api-Secret-Token when
 * a secret is set), one at a time and in order, as Telegram does. A 2xx
 * answer confirms the update; anything else is recorded for getWebhookInfo
 * (last_error_date, last_error_message) and retried after a pause that
 * doubles from opt.webhook_retry_ms up to 60 s. A 2xx answer whose body is a
 * JSON object with "method" runs that Bot API method, as Telegram allows.
 */
#ifndef TGSHOP_SANDBOX_WEBHOOK_H
#define TGSHOP_SANDBOX_WEBHOOK_H

#include "sandbox/world.h"

/* The thread's body: runs until w->stopping. Takes w->lock itself. */
void *webhook_run(void *world);

#endif
