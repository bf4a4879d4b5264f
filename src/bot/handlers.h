/*
 * The customer's screens: main menu, help, catalogue levels, product cards,
 * cart, orders, FAQ, inline-mode search. Each turns an update into calls of
 * the shop's domain functions (src/shop) and a screen (ui.h); no business
 * rule lives here. Buttons reach these through the router (router.h), whose
 * table says which callback data calls which screen with which numbers.
 */
#ifndef TGSHOP_BOT_HANDLERS_H
#define TGSHOP_BOT_HANDLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "bot/context.h"

/* What a cart line's buttons do (the OP of "ki:PID:OP:PAGE"). */
enum cart_op { CART_OP_MORE = 1, CART_OP_LESS = 2, CART_OP_REMOVE = 3 };

/* A message that is not part of a checkout: commands, stray text. */
int handlers_message(struct bot_ctx *c, const struct tg_message *m);
/* An inline query: FAQ entries and products matching the words. */
int handlers_inline(struct bot_ctx *c, const struct tg_inline_query *q);

/* The screens, as a new message or in place of the pressed one. A page past the end of a
 * list shows its last page; a thing that is gone (category, product, order, FAQ entry) is
 * said so and the list it was in is shown. */
int handlers_menu(struct bot_ctx *c);
int handlers_help(struct bot_ctx *c);
int handlers_catalog(struct bot_ctx *c, int64_t category_id, int64_t page);
/* A product card showing quantity qty; cat and page say where "Back" goes. update_only
 * edits the pressed card in place (the quantity buttons). */
int handlers_product(struct bot_ctx *c, int64_t id, int64_t qty, int64_t cat, int64_t page,
                     bool update_only);
int handlers_add_to_cart(struct bot_ctx *c, int64_t id, int64_t qty, int64_t cat, int64_t page);
int handlers_cart(struct bot_ctx *c, int64_t page);
/* A cart line's button (enum cart_op; another value is ERR_INVALID). */
int handlers_cart_item(struct bot_ctx *c, int64_t product_id, int64_t op, int64_t page);
int handlers_cart_clear(struct bot_ctx *c);
int handlers_orders(struct bot_ctx *c, int64_t page);
int handlers_order(struct bot_ctx *c, int64_t id, int64_t page);
/* The customer cancels an order awaiting payment (its stock goes back). */
int handlers_cancel_order(struct bot_ctx *c, int64_t id, int64_t page);
int handlers_faq(struct bot_ctx *c, int64_t page);
int handlers_faq_answer(struct bot_ctx *c, int64_t id, int64_t page);

#endif
