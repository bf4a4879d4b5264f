/*
 * Orders, checkout and payments: the rules that protect stock and money.
 *
 *  - Checkout turns the cart into an order awaiting payment and reserves its
 *    stock atomically (UPDATE ... SET stock = stock - q WHERE stock >= q); if
 *    any line cannot be reserved nothing is reserved. A customer has at most
 *    one order awaiting payment: a new checkout cancels the previous one and
 *    returns its stock.
 *  - A reservation lasts reserve_seconds; order_expire_reservations() cancels
 *    what was not paid in time and returns the stock.
 *  - order_pre_checkout() says whether Telegram may take the money: the order
 *    awaits payment, its reservation holds, and currency and amount match.
 *  - order_apply_payment() applies a successful payment exactly once (the
 *    charge id is unique): a re-delivered payment changes nothing. A payment
 *    that arrives after its reservation expired is still recorded (the money
 *    was taken): the stock is reserved again, and when it no longer can be the
 *    outcome asks staff to look.
 *  - Staff move orders along new -> awaiting_payment -> paid -> shipped ->
 *    delivered, or to cancelled / refunded (order_transition_allowed).
 *    Cancelling an order that holds stock returns it.
 */
#ifndef TGSHOP_SHOP_ORDER_H
#define TGSHOP_SHOP_ORDER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "db/db.h"

enum order_status {
    ORDER_NEW,
    ORDER_AWAITING_PAYMENT,
    ORDER_PAID,
    ORDER_SHIPPED,
    ORDER_DELIVERED,
    ORDER_CANCELLED,
    ORDER_REFUNDED,
};

enum { ORDER_PAGE_MAX = 100, ORDER_TEXT_MAX = 500 };

const char *order_status_name(enum order_status status);
int order_status_parse(const char *name, enum order_status *out);
bool order_transition_allowed(enum order_status from, enum order_status to);

struct order_contact {
    const char *name;
    const char *phone;
    const char *address;
    const char *comment; /* may be NULL */
};

struct order_item {
    int64_t product_id; /* 0 when the product was deleted since */
    char *name;
    int64_t price;
    int64_t quantity;
};

struct order {
    int64_t id;
    int64_t customer_id;
    enum order_status status;
    char *contact_name, *phone, *address, *comment;
    int64_t total;
    char *currency;
    char *charge_id; /* telegram_payment_charge_id, NULL until paid */
    int64_t reserved_until, created_at, paid_at;
    struct order_item *items; /* order_get only */
    int item_count;
};

/* Why a checkout was refused, so that the customer can be told in their language. */
struct checkout_problem {
    enum {
        CHECKOUT_FINE,
        CHECKOUT_BAD_CONTACT, /* a contact field is missing or too long */
        CHECKOUT_EMPTY_CART,
        CHECKOUT_TOO_MANY_LINES, /* more than 100 different products */
        CHECKOUT_TOO_LARGE,      /* the total does not fit */
        CHECKOUT_OFF_SALE,       /* product is no longer on sale */
        CHECKOUT_SHORT,          /* only `available` of product are left */
    } kind;
    char product[201];
    int64_t available;
};

/* Creates an order from the customer's cart at today's prices and reserves its stock.
 * ERR_INVALID: empty cart, contact fields missing or too long, absurd total.
 * ERR_CONFLICT: a product is short of stock or no longer on sale.
 * why gets the reason in English (for logs); *out_problem (may be NULL) the same as data. */
int order_checkout(struct db *db, int64_t customer_id, const struct order_contact *contact,
                   const char *currency, int64_t reserve_seconds, int64_t *out_order_id,
                   struct buf *why, struct checkout_problem *out_problem);

/* 0 when Telegram may charge tg_user_id `amount` in `currency` for the order; otherwise a
 * reason in why and ERR_NOTFOUND (no such order of this user), ERR_CONFLICT (already paid),
 * ERR_TIMEOUT (the reservation expired or the order was cancelled) or ERR_INVALID (the
 * amount or currency differ). */
int order_pre_checkout(struct db *db, int64_t order_id, int64_t tg_user_id, const char *currency,
                       int64_t amount, struct buf *why);

struct payment {
    int64_t order_id;
    int64_t tg_user_id;
    const char *currency;
    int64_t amount;
    const char *charge_id;          /* telegram_payment_charge_id */
    const char *provider_charge_id; /* may be NULL */
};

enum payment_outcome {
    PAYMENT_APPLIED,         /* the order is paid now */
    PAYMENT_DUPLICATE,       /* this charge was applied before: nothing changed */
    PAYMENT_NEEDS_ATTENTION, /* recorded, but staff must look (why says what) */
};

int order_apply_payment(struct db *db, const struct payment *p, enum payment_outcome *out,
                        struct buf *why);

/* Cancels unpaid orders whose reservation ended before now and returns their stock. */
int order_expire_reservations(struct db *db, int64_t now, int *out_expired);

/* Moves an order to a new status (staff, or the customer cancelling: customer_id != 0
 * restricts to that customer's orders awaiting payment). ERR_CONFLICT for a move the
 * rules do not allow. */
int order_set_status(struct db *db, int64_t order_id, int64_t customer_id, enum order_status to);

/* A page of the customer's orders, newest first (without items). */
int order_list(struct db *db, struct arena *a, int64_t customer_id, int64_t offset, int limit,
               struct order **out, int *out_count, int64_t *out_total);
/* One order with its items; customer_id != 0 makes another customer's order ERR_NOTFOUND. */
int order_get(struct db *db, struct arena *a, int64_t order_id, int64_t customer_id,
              struct order *out);

#endif
