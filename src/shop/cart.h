/*
 * The cart: one line per product per customer. Rules:
 *  - a quantity is 1..CART_QUANTITY_MAX and never more than the product's stock:
 *    asking for more sets the stock and says so (*out_limited);
 *  - a product that is gone or inactive cannot be added (ERR_NOTFOUND); one
 *    that is out of stock cannot be added (ERR_CONFLICT);
 *  - each line remembers the price when it was added, so a later price
 *    change can be shown to the customer.
 */
#ifndef TGSHOP_SHOP_CART_H
#define TGSHOP_SHOP_CART_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

enum {
    CART_QUANTITY_MAX = 999,
    CART_LINES_MAX = 100, /* different products a checkout takes */
};

struct cart_line {
    int64_t product_id;
    char *name;
    int64_t quantity;
    int64_t price;        /* the product's price now */
    int64_t price_at_add; /* what it cost when added */
    int64_t stock;
    bool available; /* on sale: the catalogue shows it (catalog_product) */
};

/* The cart priced: what the cart screen and the checkout summary show, what checkout_start
 * and order_checkout decide on and what the order costs all come from cart_read. */
struct cart_summary {
    int64_t lines;
    int64_t items;       /* sum of quantities */
    int64_t total;       /* at today's prices, available lines only */
    int64_t unavailable; /* lines whose product is no longer on sale */
    bool too_large;      /* the total does not fit 64 bits (total is then meaningless) */
};

/* Adds quantity to the line (creating it). *out_quantity gets the line's new quantity. */
int cart_add(struct db *db, int64_t customer_id, int64_t product_id, int64_t quantity,
             int64_t *out_quantity, bool *out_limited);
/* Sets the line's quantity; 0 removes the line. */
int cart_set(struct db *db, int64_t customer_id, int64_t product_id, int64_t quantity,
             int64_t *out_quantity, bool *out_limited);
/* Changes the quantity by delta (+1 / -1 buttons); reaching 0 removes the line. */
int cart_change(struct db *db, int64_t customer_id, int64_t product_id, int64_t delta,
                int64_t *out_quantity, bool *out_limited);
int cart_remove(struct db *db, int64_t customer_id, int64_t product_id);
int cart_clear(struct db *db, int64_t customer_id);
/* The quantity of product_id in the cart: 0 (and success) when it has no such line. */
int cart_quantity(struct db *db, int64_t customer_id, int64_t product_id, int64_t *out);
/* Every line in the order it was added (in arena a), and their summary. */
int cart_read(struct db *db, struct arena *a, int64_t customer_id, struct cart_line **out,
              int *out_count, struct cart_summary *out_summary);
/* The summary alone. */
int cart_summarize(struct db *db, int64_t customer_id, struct cart_summary *out);

#endif
