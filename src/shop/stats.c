#include "shop/stats.h"

#include <string.h>

#include "core/err.h"
#include "core/banned.h"

enum { DAY = 86400 };

#define SOLD "status IN ('paid', 'shipped', 'delivered')"

static int sales_since(struct db *db, int64_t from, int64_t now, struct stats_sales *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT count(*), COALESCE(sum(total), 0) FROM orders "
                      "WHERE paid_at IS NOT NULL AND paid_at >= ? AND paid_at <= ? AND " SOLD,
                      DB_INT(from), DB_INT(now));
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0) {
        out->orders = db_int(rows, 0);
        out->revenue = db_int(rows, 1);
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

static int per_day(struct db *db, int64_t first_day, int64_t now, struct stats_day *days)
{
    for (int i = 0; i < STATS_DAYS; i++)
        days[i] = (struct stats_day){first_day + (int64_t)i * DAY, {0, 0}};
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT (paid_at - ?) / ?, count(*), COALESCE(sum(total), 0) FROM orders "
                      "WHERE paid_at IS NOT NULL AND paid_at >= ? AND paid_at <= ? AND " SOLD
                      " GROUP BY 1",
                      DB_INT(first_day), DB_INT(DAY), DB_INT(first_day), DB_INT(now));
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0) {
        int64_t i = db_int(rows, 0);
        if (i >= 0 && i < STATS_DAYS)
            days[i].sales = (struct stats_sales){db_int(rows, 1), db_int(rows, 2)};
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

static int oldest_to_ship(struct db *db, struct arena *a, struct stats_dashboard *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT id, customer_id, contact_name, total, currency, created_at, "
                      "COALESCE(paid_at, 0) FROM orders WHERE status = 'paid' "
                      "ORDER BY created_at, id LIMIT ?",
                      DB_INT(STATS_LIST));
    if (rc)
        return rc;
    out->oldest_to_ship = arena_calloc(a, STATS_LIST, sizeof *out->oldest_to_ship);
    int n = 0;
    while (n < STATS_LIST && (rc = db_next(rows)) > 0) {
        struct order *o = &out->oldest_to_ship[n++];
        o->id = db_int(rows, 0);
        o->customer_id = db_int(rows, 1);
        o->status = ORDER_PAID;
        o->contact_name = db_text_dup(rows, 2, a);
        o->total = db_int(rows, 3);
        o->currency = db_text_dup(rows, 4, a);
        o->created_at = db_int(rows, 5);
        o->paid_at = db_int(rows, 6);
    }
    db_rows_free(rows);
    out->oldest_to_ship_count = n;
    return rc < 0 ? rc : 0;
}

int stats_dashboard(struct db *db, struct arena *a, int64_t now, int64_t low_stock_below,
                    struct stats_dashboard *out)
{
    memset(out, 0, sizeof *out);
    int64_t today = now - now % DAY;
    int rc;
    if ((rc = sales_since(db, today, now, &out->today)) ||
        (rc = sales_since(db, today - 6 * DAY, now, &out->week)) ||
        (rc = sales_since(db, today - (STATS_DAYS - 1) * DAY, now, &out->month)) ||
        (rc = per_day(db, today - (STATS_DAYS - 1) * DAY, now, out->days)))
        return rc;
    if ((rc = db_query_int(db, &out->to_ship, "SELECT count(*) FROM orders WHERE status = ?",
                           DB_TEXT("paid"))) ||
        (rc = db_query_int(db, &out->awaiting_payment,
                           "SELECT count(*) FROM orders WHERE status = ?",
                           DB_TEXT("awaiting_payment"))) ||
        (rc = oldest_to_ship(db, a, out)))
        return rc;
    int64_t total;
    struct customer_filter newest = {.sort = CUSTOMER_SORT_JOINED, .descending = true};
    if ((rc = customer_list(db, a, &newest, 0, STATS_LIST, &out->latest_customers,
                            &out->latest_customer_count, &total)))
        return rc;
    struct product_filter low = {
        .active = LISTING_YES, .stock_below = low_stock_below, .sort = PRODUCT_SORT_STOCK};
    if (low_stock_below > 0 &&
        (rc = catalog_product_list(db, a, &low, 0, STATS_LIST, &out->low_stock,
                                   &out->low_stock_count, &total)))
        return rc;
    return 0;
}
