/*
 * Checkout as a conversation whose state lives in the database (fsm.h), so
 * it survives a restart of the bot:
 *
 *   co_name -> co_phone (share contact or type) -> co_address -> co_confirm
 *   -> order created with stock reserved, invoice sent (Telegram Payments:
 *   the provider token and currency, or Telegram Stars XTR)
 *
 * "Cancel" (button, /cancel, or the word) works at every step; text where a
 * button is expected gets a hint. Then the payment updates: a pre-checkout
 * query is answered at once from the order's state (Telegram waits 10 s), a
 * successful payment is applied exactly once and confirmed to the customer
 * and to every admin chat.
 */
#ifndef TGSHOP_BOT_CHECKOUT_H
#define TGSHOP_BOT_CHECKOUT_H

#include <stdbool.h>

#include "bot/context.h"

/* The buttons of the summary and the prompts ("x:ACTION"). */
enum checkout_action { CHECKOUT_CONFIRM = 1, CHECKOUT_EDIT = 2, CHECKOUT_CANCEL = 3 };

/* Starts a checkout from the cart. */
int checkout_start(struct bot_ctx *c);
/* A checkout button (enum checkout_action): ERR_INVALID for a button of a checkout that is
 * over, or another value. */
int checkout_button(struct bot_ctx *c, int64_t action);
/* Handles a message when the user is in a checkout; *out_consumed says whether it was
 * (false: not in a checkout, the message is for the other handlers). */
int checkout_message(struct bot_ctx *c, const struct tg_message *m, bool *out_consumed);
/* Sends the invoice of an order awaiting payment again. */
int checkout_pay_again(struct bot_ctx *c, int64_t order_id);

int payment_pre_checkout(struct bot_ctx *c, const struct tg_pre_checkout_query *q);
int payment_successful(struct bot_ctx *c, const struct tg_message *m);

/* True when text is a phone number: 7-15 digits, optionally a leading +, with spaces,
 * dashes and parentheses between. out (size >= 17) gets the normalized "+79001234567"
 * form (the + kept only when given). */
bool checkout_phone_valid(const char *text, char *out, size_t size);

#endif
