/*
 * The dashboard's figures, each from an indexed query. A sale is an order
 * that was paid and not refunded or cancelled (paid, shipped, delivered),
 * counted on the UTC day of its payment. Windows end at `now`: "today" starts
 * at 00:00 UTC, the 7- and 30-day windows at 00:00 UTC six and twenty-nine days
 * earlier, so they contain today.
 */
#ifndef TGSHOP_SHOP_STATS_H
#define TGSHOP_SHOP_STATS_H

#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/catalog.h"
#include "shop/customer.h"
#include "shop/order.h"

enum { STATS_DAYS = 30, STATS_LIST = 10 };

struct stats_sales {
    int64_t orders;
    int64_t revenue; /* minor units of the shop's currency */
};

struct stats_day {
    int64_t day; /* 00:00 UTC of the day, seconds */
    struct stats_sales sales;
};

struct stats_dashboard {
    struct stats_sales today, week, month;
    struct stats_day days[STATS_DAYS]; /* oldest first, the last is today; empty days too */
    int64_t to_ship;                   /* paid orders waiting to be shipped */
    int64_t awaiting_payment;
    struct order *oldest_to_ship; /* the oldest paid orders (without items) */
    int oldest_to_ship_count;
    struct customer *latest_customers; /* newest first */
    int latest_customer_count;
    struct product *low_stock; /* active products with stock below low_stock_below, least first */
    int low_stock_count;
};

/* Fills *out for the moment now (UTC seconds). Lists hold at most STATS_LIST entries. */
int stats_dashboard(struct db *db, struct arena *a, int64_t now, int64_t low_stock_below,
                    struct stats_dashboard *out);

#endif
