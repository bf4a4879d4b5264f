/*
 * Callback data: every inline button the bot makes carries a route (a short
 * prefix) and the route's numbers, "PREFIX:N1:N2...". One table in router.c,
 * {prefix, args, handler}, is the only place that knows them: router_data()
 * builds the data of a button, router_parse() reads it back strictly and
 * router_callback() calls the route's handler.
 *
 *   m                       main menu            h             help
 *   n                       no-op (page indicator, a channel without a link)
 *   s                       re-check the mandatory channels (gate.h)
 *   c:CAT:PAGE              catalogue level
 *   p:PID:QTY:CAT:PAGE      product card         q:...         same, quantity changed
 *   a:PID:QTY:CAT:PAGE      add to cart
 *   k:PAGE  ki:PID:OP:PAGE  cart, +1/-1/remove (enum cart_op)   kc  clear   ko  checkout
 *   o:PAGE  od:OID:PAGE     orders, order        op:OID        pay again
 *   ox:OID:PAGE             cancel unpaid order
 *   f:PAGE  fq:ID:PAGE      FAQ, answer
 *   x:ACTION                checkout confirm / edit / cancel (enum checkout_action)
 *
 * Data stays within TG_CALLBACK_DATA_MAX (64) bytes: a prefix of at most 2
 * bytes and at most ROUTER_ARGS_MAX numbers of at most 14 digits (a unit test
 * checks the table). Anything else that comes back — forged, garbled,
 * outdated, another user's order — gets a polite answer and the menu, never
 * an error.
 *
 * To add a button: a ROUTE_ value here, a line in router.c's table, a handler.
 */
#ifndef TGSHOP_BOT_ROUTER_H
#define TGSHOP_BOT_ROUTER_H

#include <stddef.h>
#include <stdint.h>

#include "bot/context.h"
#include "core/util.h"

enum route {
    ROUTE_MENU,
    ROUTE_HELP,
    ROUTE_NOOP,
    ROUTE_SUBSCRIBED,
    ROUTE_CATALOG,
    ROUTE_PRODUCT,
    ROUTE_QUANTITY,
    ROUTE_ADD_TO_CART,
    ROUTE_CART,
    ROUTE_CART_ITEM,
    ROUTE_CART_CLEAR,
    ROUTE_CHECKOUT,
    ROUTE_ORDERS,
    ROUTE_ORDER,
    ROUTE_PAY,
    ROUTE_CANCEL_ORDER,
    ROUTE_FAQ,
    ROUTE_FAQ_ANSWER,
    ROUTE_CHECKOUT_BUTTON,
    ROUTE_COUNT
};

enum {
    ROUTER_ARGS_MAX = 4,
    ROUTER_PREFIX_MAX = 2,    /* bytes */
    ROUTER_BUILD_DIGITS = 14, /* the builder's numbers: 0..ROUTER_ARG_MAX */
    ROUTER_PARSE_DIGITS = 15, /* the parser also takes leading zeros */
};
#define ROUTER_ARG_MAX INT64_C(99999999999999)

struct route_def {
    const char *prefix;
    int args;
    int (*handler)(struct bot_ctx *c, const int64_t *args);
};

/* The table, indexed by enum route (for tests). */
const struct route_def *router_route(enum route r);

/* The callback data of route r with args (exactly as many as the route takes), in arena a.
 * An argument outside 0..ROUTER_ARG_MAX (an absurd id from the database) is logged and
 * gives the no-op button; a wrong count is a BUG(). */
const char *router_data(struct arena *a, enum route r, const int64_t *args, size_t n);
/* router_data with the arguments listed: ROUTE_DATA(c->arena, ROUTE_CATALOG, id, page). */
#define ROUTE_DATA(a, r, ...)                                                                      \
    router_data(a, r, (const int64_t[]){__VA_ARGS__}, ARRAY_SIZE(((const int64_t[]){__VA_ARGS__})))

/* Reads callback data: 0 with the route and its numbers (each >= 0), or ERR_INVALID for
 * anything that is not exactly a route's form. */
int router_parse(const char *data, enum route *out_route, int64_t out_args[ROUTER_ARGS_MAX]);

/* A pressed button: calls its route's handler; data that does not parse, and a handler's
 * ERR_INVALID (a button of a checkout that is over), get "this button is outdated" and the
 * menu. The button is always answered. */
int router_callback(struct bot_ctx *c, const char *data);

#endif
