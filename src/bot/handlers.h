/*
 * The customer's screens: main menu, help, catalogue levels, product cards,
 * cart, orders, FAQ, inline-mode search. Each turns an update into calls of
 * the shop's domain functions (src/shop) and a screen (ui.h); no business
 * rule lives here.
 *
 * Callback data (at most 64 bytes): a short prefix and colon-separated
 * numbers, parsed strictly; anything else — forged, outdated, another
 * user's order — gets a polite answer and the menu, never an error.
 *   m                       main menu            h             help
 *   c:CAT:PAGE              catalogue level      n             no-op (page indicator)
 *   p:PID:QTY:CAT:PAGE      product card         q:...         same, quantity changed
 *   a:PID:QTY:CAT:PAGE      add to cart
 *   k:PAGE  ki:PID:OP:PAGE  cart, +1/-1/remove (OP 1, 2, 3)   kc  clear   ko  checkout
 *   o:PAGE  od:OID:PAGE     orders, order        op:OID        pay again
 *   ox:OID:PAGE             cancel unpaid order
 *   f:PAGE  fq:ID:PAGE      FAQ, answer          s             re-check subscriptions
 *   x:1 / x:2 / x:3         checkout confirm / edit / cancel (checkout.h)
 */
#ifndef TGSHOP_BOT_HANDLERS_H
#define TGSHOP_BOT_HANDLERS_H

#include "bot/context.h"

/* A message that is not part of a checkout: commands, stray text. */
int handlers_message(struct bot_ctx *c, const struct tg_message *m);
/* A pressed button. */
int handlers_callback(struct bot_ctx *c, const char *data);
/* An inline query: FAQ entries and products matching the words. */
int handlers_inline(struct bot_ctx *c, const struct tg_inline_query *q);
/* The main menu, as a new message or in place of the pressed one. */
int handlers_menu(struct bot_ctx *c);

/* Parses "PREFIX:N1:N2..." with exactly n numbers, each >= 0; false otherwise. */
bool handlers_parse(const char *data, const char *prefix, int64_t *out, int n);

#endif
