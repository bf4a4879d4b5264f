#include "bot/router.h"

#include <stdio.h>
#include <string.h>

#include "bot/checkout.h"
#include "bot/handlers.h"
#include "bot/ui.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "tg/limits.h"
#include "core/banned.h"

static int menu(struct bot_ctx *c, const int64_t *a)
{
    (void)a;
    return handlers_menu(c);
}

static int help(struct bot_ctx *c, const int64_t *a)
{
    (void)a;
    return handlers_help(c);
}

static int noop(struct bot_ctx *c, const int64_t *a)
{
    (void)c;
    (void)a;
    return 0; /* nothing to do but stop the spinner */
}

/* bot.c re-checked the channels before routing: they are all joined now */
static int subscribed(struct bot_ctx *c, const int64_t *a)
{
    (void)a;
    ui_answer_key(c, "gate_thanks", false);
    return handlers_menu(c);
}

static int catalog(struct bot_ctx *c, const int64_t *a)
{
    return handlers_catalog(c, a[0], a[1]);
}

static int product(struct bot_ctx *c, const int64_t *a)
{
    return handlers_product(c, a[0], a[1], a[2], a[3], false);
}

static int quantity(struct bot_ctx *c, const int64_t *a)
{
    return handlers_product(c, a[0], a[1], a[2], a[3], true);
}

static int add_to_cart(struct bot_ctx *c, const int64_t *a)
{
    return handlers_add_to_cart(c, a[0], a[1], a[2], a[3]);
}

static int cart(struct bot_ctx *c, const int64_t *a)
{
    return handlers_cart(c, a[0]);
}

static int cart_item(struct bot_ctx *c, const int64_t *a)
{
    return handlers_cart_item(c, a[0], a[1], a[2]);
}

static int cart_clear(struct bot_ctx *c, const int64_t *a)
{
    (void)a;
    return handlers_cart_clear(c);
}

static int checkout(struct bot_ctx *c, const int64_t *a)
{
    (void)a;
    return checkout_start(c);
}

static int orders(struct bot_ctx *c, const int64_t *a)
{
    return handlers_orders(c, a[0]);
}

static int order(struct bot_ctx *c, const int64_t *a)
{
    return handlers_order(c, a[0], a[1]);
}

static int pay(struct bot_ctx *c, const int64_t *a)
{
    return checkout_pay_again(c, a[0]);
}

static int cancel_order(struct bot_ctx *c, const int64_t *a)
{
    return handlers_cancel_order(c, a[0], a[1]);
}

static int faq(struct bot_ctx *c, const int64_t *a)
{
    return handlers_faq(c, a[0]);
}

static int faq_answer(struct bot_ctx *c, const int64_t *a)
{
    return handlers_faq_answer(c, a[0], a[1]);
}

static int checkout_action(struct bot_ctx *c, const int64_t *a)
{
    return checkout_button(c, a[0]);
}

static const struct route_def routes[] = {
    [ROUTE_MENU] = {"m", 0, menu},
    [ROUTE_HELP] = {"h", 0, help},
    [ROUTE_NOOP] = {"n", 0, noop},
    [ROUTE_SUBSCRIBED] = {"s", 0, subscribed},
    [ROUTE_CATALOG] = {"c", 2, catalog},
    [ROUTE_PRODUCT] = {"p", 4, product},
    [ROUTE_QUANTITY] = {"q", 4, quantity},
    [ROUTE_ADD_TO_CART] = {"a", 4, add_to_cart},
    [ROUTE_CART] = {"k", 1, cart},
    [ROUTE_CART_ITEM] = {"ki", 3, cart_item},
    [ROUTE_CART_CLEAR] = {"kc", 0, cart_clear},
    [ROUTE_CHECKOUT] = {"ko", 0, checkout},
    [ROUTE_ORDERS] = {"o", 1, orders},
    [ROUTE_ORDER] = {"od", 2, order},
    [ROUTE_PAY] = {"op", 1, pay},
    [ROUTE_CANCEL_ORDER] = {"ox", 2, cancel_order},
    [ROUTE_FAQ] = {"f", 1, faq},
    [ROUTE_FAQ_ANSWER] = {"fq", 2, faq_answer},
    [ROUTE_CHECKOUT_BUTTON] = {"x", 1, checkout_action},
};

_Static_assert(ARRAY_SIZE(routes) == ROUTE_COUNT, "every route has a line in the table");
_Static_assert(ROUTER_PREFIX_MAX + ROUTER_ARGS_MAX * (1 + ROUTER_BUILD_DIGITS) <=
                   TG_CALLBACK_DATA_MAX,
               "the longest callback data fits Telegram's limit");

const struct route_def *router_route(enum route r)
{
    if ((unsigned)r >= ROUTE_COUNT)
        BUG("no route %d", (int)r);
    return &routes[r];
}

const char *router_data(struct arena *a, enum route r, const int64_t *args, size_t n)
{
    const struct route_def *def = router_route(r);
    if (n != (size_t)def->args)
        BUG("route \"%s\" takes %d numbers, built with %zu", def->prefix, def->args, n);
    char out[TG_CALLBACK_DATA_MAX + 1];
    int len = snprintf(out, sizeof out, "%s", def->prefix);
    for (size_t i = 0; i < n; i++) {
        if (args[i] < 0 || args[i] > ROUTER_ARG_MAX) {
            log_warn("a \"%s\" button gets no action: number %lld is out of range", def->prefix,
                     (long long)args[i]);
            return routes[ROUTE_NOOP].prefix;
        }
        len += snprintf(out + len, sizeof out - (size_t)len, ":%lld", (long long)args[i]);
    }
    if ((size_t)len >= sizeof out)
        BUG("callback data of \"%s\" is %d bytes", def->prefix, len);
    return arena_strndup(a, out, (size_t)len);
}

/* Reads exactly n ":NUMBER" parts from p to the end of the string. */
static bool parse_numbers(const char *p, int64_t *out, int n)
{
    for (int i = 0; i < n; i++) {
        if (*p != ':')
            return false;
        p++;
        size_t len = strspn(p, "0123456789");
        if (!len || len > ROUTER_PARSE_DIGITS || parse_int64_n(p, len, &out[i]))
            return false;
        p += len;
    }
    return *p == '\0';
}

int router_parse(const char *data, enum route *out_route, int64_t out_args[ROUTER_ARGS_MAX])
{
    if (strnlen(data, TG_CALLBACK_DATA_MAX + 1) > TG_CALLBACK_DATA_MAX)
        return ERR_INVALID;
    size_t plen = strcspn(data, ":");
    for (size_t r = 0; r < ARRAY_SIZE(routes); r++) {
        if (strlen(routes[r].prefix) != plen || memcmp(data, routes[r].prefix, plen))
            continue;
        if (!parse_numbers(data + plen, out_args, routes[r].args))
            return ERR_INVALID;
        *out_route = (enum route)r;
        return 0;
    }
    return ERR_INVALID;
}

int router_callback(struct bot_ctx *c, const char *data)
{
    enum route r;
    int64_t args[ROUTER_ARGS_MAX];
    int rc = data ? router_parse(data, &r, args) : ERR_INVALID;
    if (rc == 0)
        rc = routes[r].handler(c, args);
    if (rc == ERR_INVALID) {
        /* forged or outdated: say so politely and offer the menu */
        ui_answer_key(c, "button_outdated", false);
        rc = handlers_menu(c);
    }
    ui_answer(c, NULL, false);
    return rc;
}
