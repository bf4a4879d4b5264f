/* The dashboard: sales today / 7 / 30 days, a chart per day, what waits for staff. A
 * handful of indexed queries, whatever the number of orders:
 *  - the 29 days before today are kept in memory per database; each visit asks only
 *    which of those days had an order created or changed (updated_at) since the last
 *    visit, and counts those days again; today is always counted live;
 *  - three short lists from their indexes. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/xalloc.h"
#include "web/routes.h"
#include "web/web.h"
#include "core/banned.h"

enum {
    DAYS = 30,
    LIST_LEN = 8,
    LOW_STOCK = 5,
    CHART_W = 720,
    CHART_H = 180,
    CHART_TOP = 10,
    CHART_BOTTOM = 20,
    CHART_PAD = 16
};

#define PAID_STATUSES "('paid', 'shipped', 'delivered')"

struct day {
    int64_t orders, paid, revenue;
};

/* Counts the orders created in [from, to) into days[(created_at - first_day) / 86400]
 * (orders_sales_idx covers the query). */
static int count_days(struct db *db, int64_t first_day, int64_t from, int64_t to,
                      struct day days[DAYS])
{
    for (int64_t t = from; t < to; t += 86400)
        days[(t - first_day) / 86400] = (struct day){0, 0, 0};
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT (created_at - ?) / 86400, "
                      "sum(CASE WHEN status <> 'cancelled' THEN 1 ELSE 0 END), "
                      "sum(CASE WHEN status IN " PAID_STATUSES " THEN 1 ELSE 0 END), "
                      "sum(CASE WHEN status IN " PAID_STATUSES " THEN total ELSE 0 END) "
                      "FROM orders WHERE created_at >= ? AND created_at < ? GROUP BY 1",
                      DB_INT(first_day), DB_INT(from), DB_INT(to));
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0) {
        int64_t d = db_int(rows, 0);
        if (d >= 0 && d < DAYS)
            days[d] = (struct day){db_int(rows, 1), db_int(rows, 2), db_int(rows, 3)};
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

/* The past days' figures, shared by the requests of this process (one database). */
static struct {
    pthread_mutex_t lock;
    char *database_url;
    int64_t first_day;  /* of the cached window; 0 = nothing cached */
    int64_t checked_at; /* changes from this second on are not counted yet */
    struct day days[DAYS];
} past = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Brings past.days[0 .. DAYS-2] up to date (under past.lock). A change is looked for
 * from a minute before the last look: a transaction that stamped updated_at before then
 * but committed after it is not missed. */
static int refresh_past(struct db *db, const char *url, int64_t first_day, int64_t today)
{
    int64_t started = clock_now() - 60;
    if (past.first_day != first_day || !past.database_url || strcmp(past.database_url, url)) {
        past.first_day = 0;
        int rc = count_days(db, first_day, first_day, today, past.days);
        if (rc)
            return rc;
        free(past.database_url);
        past.database_url = xstrdup(url);
    } else {
        /* by updated_at alone, so that its index is the one used */
        struct db_rows *rows;
        int rc = db_query(db, &rows,
                          "SELECT DISTINCT (created_at - ?) / 86400 FROM orders "
                          "WHERE updated_at >= ?",
                          DB_INT(first_day), DB_INT(past.checked_at));
        if (rc)
            return rc;
        bool stale[DAYS - 1] = {false};
        while ((rc = db_next(rows)) > 0) {
            int64_t d = db_int(rows, 0);
            if (d >= 0 && d < DAYS - 1)
                stale[d] = true;
        }
        db_rows_free(rows);
        for (int d = 0; d < DAYS - 1 && rc >= 0; d++)
            if (stale[d])
                rc = count_days(db, first_day, first_day + d * 86400LL,
                                first_day + (d + 1) * 86400LL, past.days);
        if (rc < 0)
            return rc;
    }
    past.first_day = first_day;
    past.checked_at = started;
    return 0;
}

static int load_days(struct web_page *p, int64_t first_day, int64_t today, struct day days[DAYS])
{
    pthread_mutex_lock(&past.lock);
    int rc = refresh_past(p->db, p->opt->database_url, first_day, today);
    if (rc)
        past.first_day = 0;
    else
        memcpy(days, past.days, (DAYS - 1) * sizeof *days);
    pthread_mutex_unlock(&past.lock);
    return rc ? rc : count_days(p->db, first_day, today, today + 86400, days);
}

static json_t *period(struct web_page *p, const char *label, const struct day *days, int n)
{
    struct day sum = {0};
    for (int i = DAYS - n; i < DAYS; i++) {
        sum.orders += days[i].orders;
        sum.paid += days[i].paid;
        sum.revenue += days[i].revenue;
    }
    return json_pack("{s:s, s:o, s:I, s:I}", "label", label, "revenue",
                     web_json_money(p, sum.revenue), "orders", (json_int_t)sum.orders, "paid",
                     (json_int_t)sum.paid);
}

static json_t *chart(struct web_page *p, const struct day *days, int64_t first_day)
{
    int64_t max = 0;
    for (int i = 0; i < DAYS; i++)
        if (days[i].revenue > max)
            max = days[i].revenue;
    int slot = CHART_W / DAYS, bar_w = slot - 4;
    int plot_h = CHART_H - CHART_TOP - CHART_BOTTOM, base = CHART_H - CHART_BOTTOM;
    json_t *bars = json_array(), *ticks = json_array();
    for (int i = 0; i < DAYS; i++) {
        int h = max ? (int)((double)days[i].revenue / (double)max * plot_h) : 0;
        if (days[i].revenue && h < 2)
            h = 2;
        time_t t = (time_t)(first_day + (int64_t)i * 86400);
        struct tm tm;
        char day[16] = "", tick[8] = "";
        if (gmtime_r(&t, &tm)) {
            strftime(day, sizeof day, "%Y-%m-%d", &tm);
            strftime(tick, sizeof tick, "%d.%m", &tm);
        }
        json_array_append_new(bars,
                              json_pack("{s:i, s:i, s:i, s:i, s:s, s:o, s:I, s:b}", "x",
                                        i * slot + 2, "y", base - h, "w", bar_w, "h", h, "day", day,
                                        "amount", web_json_money(p, days[i].revenue), "count",
                                        (json_int_t)days[i].orders, "today", i == DAYS - 1));
        if (i % 5 == 4 || i == 0)
            json_array_append_new(ticks, json_pack("{s:i, s:i, s:s}", "x", i * slot + slot / 2, "y",
                                                   CHART_H - 5, "label", tick));
    }
    /* room on both sides for the first and last day's labels */
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:o}", "width", CHART_W, "view_x",
                     -CHART_PAD, "view_width", CHART_W + 2 * CHART_PAD, "height", CHART_H, "base",
                     base, "bars", bars, "ticks", ticks, "max_amount", web_json_money(p, max));
}

static int load_lists(struct web_page *p)
{
    json_t *d = p->data;
    int64_t awaiting = 0;
    int rc = db_query_int(p->db, &awaiting, "SELECT count(*) FROM orders WHERE status = 'paid'");
    if (rc)
        return rc;
    json_object_set_new(d, "awaiting_count", json_integer(awaiting));
    struct db_rows *rows;
    if ((rc = db_query(p->db, &rows,
                       "SELECT id, contact_name, total, created_at FROM orders "
                       "WHERE status = 'paid' ORDER BY created_at, id LIMIT ?",
                       DB_INT(LIST_LEN))))
        return rc;
    json_t *list = json_array();
    while ((rc = db_next(rows)) > 0)
        json_array_append_new(list,
                              json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)db_int(rows, 0),
                                        "name", web_json_str(db_text(rows, 1)), "total",
                                        web_json_money(p, db_int(rows, 2)), "created_at",
                                        web_json_time(db_int(rows, 3))));
    db_rows_free(rows);
    json_object_set_new(d, "awaiting", list);
    if (rc < 0)
        return rc;

    if ((rc = db_query(p->db, &rows,
                       "SELECT id, first_name, last_name, username, created_at FROM customer "
                       "ORDER BY created_at DESC, id DESC LIMIT ?",
                       DB_INT(LIST_LEN))))
        return rc;
    list = json_array();
    while ((rc = db_next(rows)) > 0) {
        struct buf name = BUF_INIT;
        buf_adds(&name, db_text(rows, 1) ? db_text(rows, 1) : "");
        if (db_text(rows, 2) && *db_text(rows, 2))
            buf_addf(&name, " %s", db_text(rows, 2));
        json_array_append_new(
            list, json_pack("{s:I, s:o, s:o, s:o}", "id", (json_int_t)db_int(rows, 0), "name",
                            web_json_str(name.data), "username", web_json_str(db_text(rows, 3)),
                            "created_at", web_json_time(db_int(rows, 4))));
        buf_release(&name);
    }
    db_rows_free(rows);
    json_object_set_new(d, "customers", list);
    if (rc < 0)
        return rc;

    if ((rc = db_query(p->db, &rows,
                       "SELECT id, name, stock FROM product WHERE is_active = 1 AND stock <= ? "
                       "ORDER BY stock, id LIMIT ?",
                       DB_INT(LOW_STOCK), DB_INT(LIST_LEN))))
        return rc;
    list = json_array();
    while ((rc = db_next(rows)) > 0)
        json_array_append_new(list, json_pack("{s:I, s:o, s:I}", "id", (json_int_t)db_int(rows, 0),
                                              "name", web_json_str(db_text(rows, 1)), "stock",
                                              (json_int_t)db_int(rows, 2)));
    db_rows_free(rows);
    json_object_set_new(d, "low_stock", list);
    json_object_set_new(d, "low_stock_limit", json_integer(LOW_STOCK));
    return rc < 0 ? rc : 0;
}

void page_dashboard(struct web_page *p)
{
    int64_t today = clock_now() / 86400 * 86400;
    int64_t first_day = today - (DAYS - 1) * 86400LL;
    struct day days[DAYS];
    memset(days, 0, sizeof days);
    if (load_days(p, first_day, today, days) || load_lists(p)) {
        web_db_error(p, "loading the dashboard");
        return;
    }
    json_t *periods = json_array();
    json_array_append_new(periods, period(p, "Today", days, 1));
    json_array_append_new(periods, period(p, "Last 7 days", days, 7));
    json_array_append_new(periods, period(p, "Last 30 days", days, 30));
    json_object_set_new(p->data, "periods", periods);
    json_object_set_new(p->data, "chart", chart(p, days, first_day));
    web_render(p, "dashboard", "Dashboard");
}
