/* Staff's view of orders (shop/order_query.h) on both backends: filters, totals, keyset pages,
 * search, the streaming walk and the detail with its timeline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "shop/customer.h"
#include "shop/order_query.h"
#include "testdb.h"

static const char *backend;

enum { DAY = 86400, DEC1 = 1764547200 /* 2025-12-01 00:00:00 UTC */ };

struct fixture {
    struct db *db;
    struct arena a;
    int64_t ann, bob;
};

static int64_t customer(struct fixture *f, int64_t tg_id, const char *username, const char *first,
                        const char *last)
{
    struct tg_profile p = {tg_id, username, first, last, "ru"};
    struct customer c;
    if (customer_touch(f->db, &f->a, &p, &c))
        fail_msg("customer %s: %s", first, db_errmsg(f->db));
    return c.id;
}

struct new_order {
    int64_t customer;
    const char *status;
    int64_t created_at;
    const char *currency;
    const char *contact, *phone;
    int64_t total;
};

static int64_t add_order(struct fixture *f, struct new_order o)
{
    static int charge;
    bool paid = !strcmp(o.status, "paid") || !strcmp(o.status, "shipped") ||
                !strcmp(o.status, "delivered") || !strcmp(o.status, "refunded");
    char charge_id[32];
    snprintf(charge_id, sizeof charge_id, "ch-%d", ++charge);
    int64_t id;
    if (db_query_int(f->db, &id,
                     "INSERT INTO orders (customer_id, status, contact_name, phone, total, "
                     "currency, telegram_payment_charge_id, created_at, updated_at, paid_at) "
                     "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                     DB_INT(o.customer), DB_TEXT(o.status), DB_TEXT(o.contact ? o.contact : "X"),
                     DB_TEXT(o.phone ? o.phone : "+100"), DB_INT(o.total),
                     DB_TEXT(o.currency ? o.currency : "RUB"), DB_TEXT(paid ? charge_id : NULL),
                     DB_INT(o.created_at), DB_INT(o.created_at),
                     DB_INT_OR_NULL(o.created_at + 60, paid)))
        fail_msg("order: %s", db_errmsg(f->db));
    return id;
}

static void add_item(struct fixture *f, int64_t order, const char *name, int64_t price,
                     int64_t quantity)
{
    if (db_exec(f->db,
                "INSERT INTO order_item (order_id, name, price, quantity) VALUES (?, ?, ?, ?)",
                DB_INT(order), DB_TEXT(name), DB_INT(price), DB_INT(quantity)))
        fail_msg("item: %s", db_errmsg(f->db));
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->db = testdb_open(backend, true);
    arena_init(&f->a, 0);
    f->ann = customer(f, 501, "ann_b", "Анна", "Smith");
    f->bob = customer(f, 502, NULL, "Bob", NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    db_close(f->db);
    arena_release(&f->a);
    free(f);
    return 0;
}

static void filter_dates_are_utc_days(void **state)
{
    (void)state;
    int64_t t;
    assert_int_equal(order_filter_parse_date("2025-12-01", false, &t), 0);
    assert_int_equal(t, DEC1);
    assert_int_equal(order_filter_parse_date("2025-12-01", true, &t), 0);
    assert_int_equal(t, DEC1 + DAY - 1);
    assert_int_equal(order_filter_parse_date("2024-02-29", false, &t), 0);
    const char *bad[] = {"2025-02-29",    "2026-02-30", "2025-13-01", "2025-1-01",  "01.12.2025",
                         "2025-12-01T00", "",           "yesterday",  "1969-12-31", "2025-12-00"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(order_filter_parse_date(bad[i], false, &t), ERR_INVALID);
    assert_int_equal(order_filter_parse_date(NULL, false, &t), ERR_INVALID);
}

/* Five orders over three days in two currencies. */
static void five_orders(struct fixture *f, int64_t *ids)
{
    ids[0] = add_order(f, (struct new_order){f->ann, "paid", DEC1 + 10, "RUB", "Anna Smith",
                                             "+79990001111", 45000});
    ids[1] = add_order(f, (struct new_order){f->bob, "shipped", DEC1 + DAY - 1, "RUB", "Bob Brown",
                                             "+79990002222", 120000});
    ids[2] = add_order(f, (struct new_order){f->ann, "paid", DEC1 + DAY, "XTR", "Anna Smith",
                                             "+79990001111", 450});
    ids[3] = add_order(f, (struct new_order){f->bob, "cancelled", DEC1 + 2 * DAY + 5, "RUB",
                                             "100% Bob", "+79990002222", 1000});
    ids[4] = add_order(f, (struct new_order){f->bob, "new", DEC1 + 2 * DAY + 6, "XTR", "Bob_B",
                                             "+79990002222", 1});
}

static void totals_follow_the_filter(void **state)
{
    struct fixture *f = *state;
    int64_t ids[5];
    five_orders(f, ids);
    struct order_totals t;
    assert_int_equal(order_query_totals(f->db, &f->a, &(struct order_filter){0}, &t), 0);
    assert_int_equal(t.count, 5);
    assert_int_equal(t.currencies, 2);
    assert_string_equal(t.sums[0].currency, "RUB");
    assert_int_equal(t.sums[0].count, 3);
    assert_int_equal(t.sums[0].sum, 166000);
    assert_string_equal(t.sums[1].currency, "XTR");
    assert_int_equal(t.sums[1].sum, 451);

    /* status */
    struct order_filter paid = {.has_status = true, .status = ORDER_PAID};
    assert_int_equal(order_query_totals(f->db, &f->a, &paid, &t), 0);
    assert_int_equal(t.count, 2);
    assert_int_equal(t.currencies, 2);

    /* the first day, both ends inclusive: the order at 23:59:59 counts */
    struct order_filter day1 = {.created_from = DEC1, .created_to = DEC1 + DAY - 1};
    assert_int_equal(order_query_totals(f->db, &f->a, &day1, &t), 0);
    assert_int_equal(t.count, 2);
    assert_int_equal(t.currencies, 1);
    assert_int_equal(t.sums[0].sum, 165000);
    struct order_filter from_day2 = {.created_from = DEC1 + DAY};
    assert_int_equal(order_query_totals(f->db, &f->a, &from_day2, &t), 0);
    assert_int_equal(t.count, 3);

    /* nothing matches: zero, no currencies */
    struct order_filter none = {.has_status = true, .status = ORDER_REFUNDED};
    assert_int_equal(order_query_totals(f->db, &f->a, &none, &t), 0);
    assert_int_equal(t.count, 0);
    assert_int_equal(t.currencies, 0);
}

/* The totals as the plain query over the orders gives them: "RUB 3 166000, XTR 2 451". */
static const char *plain_totals(struct fixture *f, const struct order_filter *flt)
{
    const char *status = flt->has_status ? order_status_name(flt->status) : "";
    struct db_rows *rows;
    if (db_query(f->db, &rows,
                 "SELECT currency, count(*), sum(total) FROM orders WHERE (? = '' OR status = ?) "
                 "AND (? = 0 OR created_at >= ?) AND (? = 0 OR created_at <= ?) "
                 "GROUP BY currency ORDER BY currency",
                 DB_TEXT(status), DB_TEXT(status), DB_INT(flt->created_from),
                 DB_INT(flt->created_from), DB_INT(flt->created_to), DB_INT(flt->created_to)))
        fail_msg("plain totals: %s", db_errmsg(f->db));
    struct buf out = BUF_INIT;
    int rc;
    while ((rc = db_next(rows)) > 0)
        buf_addf(&out, "%s%s %lld %lld", out.len ? ", " : "", db_text(rows, 0),
                 (long long)db_int(rows, 1), (long long)db_int(rows, 2));
    db_rows_free(rows);
    assert_true(rc == 0);
    char *text = arena_strdup(&f->a, out.data);
    buf_release(&out);
    return text;
}

static const char *query_totals(struct fixture *f, const struct order_filter *flt)
{
    struct order_totals t;
    assert_int_equal(order_query_totals(f->db, &f->a, flt, &t), 0);
    struct buf out = BUF_INIT;
    int64_t count = 0;
    for (int i = 0; i < t.currencies; i++) {
        buf_addf(&out, "%s%s %lld %lld", i ? ", " : "", t.sums[i].currency,
                 (long long)t.sums[i].count, (long long)t.sums[i].sum);
        count += t.sums[i].count;
    }
    assert_int_equal(count, t.count);
    char *text = arena_strdup(&f->a, out.data);
    buf_release(&out);
    return text;
}

static int64_t pick(int64_t lo, int64_t hi)
{
    return lo + (int64_t)((uint64_t)rand() % (uint64_t)(hi - lo + 1));
}

static const char *const statuses[] = {"new",       "awaiting_payment", "paid",    "shipped",
                                       "delivered", "cancelled",        "refunded"};
static const char *const currencies[] = {"RUB", "XTR", "USD"};

/* A time within a few days of 2025-12-01, or near 1970-01-01 (on both sides), often on the
 * edge of a day. */
static int64_t some_time(void)
{
    int64_t base = rand() % 8 ? DEC1 : 0;
    int64_t t = base + pick(-4, 4) * DAY;
    switch (rand() % 4) {
    case 0:
        return t;
    case 1:
        return t - 1;
    default:
        return t + pick(0, DAY - 1);
    }
}

static int fail_after_update(struct db *db, void *ctx)
{
    int64_t *id = ctx;
    int rc = db_exec(db, "UPDATE orders SET total = total + 7, status = 'cancelled' WHERE id = ?",
                     DB_INT(*id));
    return rc ? rc : ERR_CONFLICT;
}

/* The running totals per day (migration 0009) give what counting the orders gives, for random
 * orders changed at random (status, total, currency, creation time, deleted, a change rolled
 * back) and random filters: whole days, part days, open ends, with and without a status. */
static void running_totals_match_the_orders(void **state)
{
    struct fixture *f = *state;
    for (unsigned seed = 1; seed <= 3; seed++) {
        srand(seed);
        assert_int_equal(db_exec(f->db, "DELETE FROM orders"), 0);
        enum { ORDERS = 150, CHANGES = 200, FILTERS = 150 };
        int64_t ids[ORDERS];
        for (int i = 0; i < ORDERS; i++)
            if (db_query_int(f->db, &ids[i],
                             "INSERT INTO orders (customer_id, status, total, currency, "
                             "telegram_payment_charge_id, created_at) VALUES (?, ?, ?, ?, ?, ?) "
                             "RETURNING id",
                             DB_INT(i % 2 ? f->ann : f->bob), DB_TEXT(statuses[rand() % 7]),
                             DB_INT(pick(0, 100000)), DB_TEXT(currencies[rand() % 3]),
                             DB_TEXT(arena_sprintf(&f->a, "s%u-%d", seed, i)), DB_INT(some_time())))
                fail_msg("order: %s", db_errmsg(f->db));
        for (int i = 0; i < CHANGES; i++) {
            int64_t id = ids[rand() % ORDERS];
            int rc;
            switch (rand() % 6) {
            case 0:
                rc = db_exec(f->db, "UPDATE orders SET status = ? WHERE id = ?",
                             DB_TEXT(statuses[rand() % 7]), DB_INT(id));
                break;
            case 1:
                rc = db_exec(f->db, "UPDATE orders SET total = ? WHERE id = ?",
                             DB_INT(pick(0, 100000)), DB_INT(id));
                break;
            case 2:
                rc = db_exec(f->db, "UPDATE orders SET currency = ? WHERE id = ?",
                             DB_TEXT(currencies[rand() % 3]), DB_INT(id));
                break;
            case 3:
                rc = db_exec(f->db, "UPDATE orders SET created_at = ?, status = ? WHERE id = ?",
                             DB_INT(some_time()), DB_TEXT(statuses[rand() % 7]), DB_INT(id));
                break;
            case 4:
                rc = db_exec(f->db, "DELETE FROM orders WHERE id = ?", DB_INT(id));
                break;
            default:
                rc = db_transaction(f->db, fail_after_update, &id) == ERR_CONFLICT ? 0 : -1;
            }
            if (rc)
                fail_msg("change %d: %s", i, db_errmsg(f->db));
        }
        for (int i = 0; i < FILTERS; i++) {
            struct order_filter flt = {0};
            if (rand() % 3) {
                flt.has_status = true;
                assert_int_equal(order_status_parse(statuses[rand() % 7], &flt.status), 0);
            }
            if (rand() % 4)
                flt.created_from = some_time();
            if (rand() % 4)
                flt.created_to = some_time() + (rand() % 2 ? DAY - 1 : 0);
            const char *want = plain_totals(f, &flt), *got = query_totals(f, &flt);
            if (strcmp(want, got))
                fail_msg("seed %u, status %s, from %lld, to %lld: the orders give \"%s\", the "
                         "totals \"%s\"",
                         seed, flt.has_status ? order_status_name(flt.status) : "any",
                         (long long)flt.created_from, (long long)flt.created_to, want, got);
        }
    }
}

static int64_t count_matching(struct fixture *f, const char *search)
{
    struct order_totals t;
    struct order_filter flt = {.search = search};
    assert_int_equal(order_query_totals(f->db, &f->a, &flt, &t), 0);
    /* the page agrees with the totals */
    struct order_page page;
    assert_int_equal(order_query_page(f->db, &f->a, &flt, ORDER_PAGE_FIRST, NULL, 100, &page), 0);
    assert_int_equal(page.count, t.count);
    return t.count;
}

static void search_finds_ids_names_phones_and_usernames(void **state)
{
    struct fixture *f = *state;
    int64_t ids[5];
    five_orders(f, ids);
    char id_text[32];
    snprintf(id_text, sizeof id_text, "#%lld", (long long)ids[3]);
    struct order_page page;
    struct order_filter by_id = {.search = id_text};
    assert_int_equal(order_query_page(f->db, &f->a, &by_id, ORDER_PAGE_FIRST, NULL, 10, &page), 0);
    bool found = false;
    for (int i = 0; i < page.count; i++)
        found = found || page.rows[i].id == ids[3];
    assert_true(found);

    assert_int_equal(count_matching(f, "anna"), 2);     /* contact name, any case */
    assert_int_equal(count_matching(f, "  SMITH "), 2); /* customer last name, trimmed */
    assert_int_equal(count_matching(f, "Анна"), 2);     /* customer first name */
    assert_int_equal(count_matching(f, "@ann_b"), 2);   /* username, with its '@' */
    assert_int_equal(count_matching(f, "0002222"), 3);  /* part of a phone */
    assert_int_equal(count_matching(f, "100%"), 1);     /* '%' is a character, no wildcard */
    assert_int_equal(count_matching(f, "b_b"), 1);      /* so is '_' */
    assert_int_equal(count_matching(f, "nobody here"), 0);
    assert_int_equal(count_matching(f, ""), 5);
    assert_int_equal(count_matching(f, "   "), 5);
    /* search and status together */
    struct order_totals t;
    struct order_filter both = {.has_status = true, .status = ORDER_PAID, .search = "bob"};
    assert_int_equal(order_query_totals(f->db, &f->a, &both, &t), 0);
    assert_int_equal(t.count, 0);
}

/* 250 orders, two per second: pages of 100 walk them all once, newest first, and back. */
static void pages_are_stable_keyset_pages(void **state)
{
    struct fixture *f = *state;
    enum { N = 250 };
    assert_int_equal(db_begin(f->db), 0);
    for (int i = 0; i < N; i++)
        add_order(f, (struct new_order){i % 2 ? f->ann : f->bob, "new", DEC1 + i / 2, "RUB", NULL,
                                        NULL, i});
    assert_int_equal(db_commit(f->db), 0);
    struct order_filter all = {0};
    struct order_page page;
    assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_FIRST, NULL, 100, &page), 0);
    assert_int_equal(page.count, 100);
    assert_false(page.has_newer);
    assert_true(page.has_older);
    int64_t prev_t = INT64_MAX, prev_id = INT64_MAX;
    int seen = 0;
    struct order_cursor pages[3];
    for (int p = 0;; p++) {
        pages[p] = page.newest;
        for (int i = 0; i < page.count; i++) {
            const struct order_record *r = &page.rows[i];
            /* strictly descending by (created_at, id): no repeats, stable ties */
            assert_true(r->created_at < prev_t || (r->created_at == prev_t && r->id < prev_id));
            prev_t = r->created_at;
            prev_id = r->id;
            seen++;
        }
        if (!page.has_older)
            break;
        struct order_cursor after = page.oldest;
        assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_OLDER, &after, 100, &page),
                         0);
        assert_true(page.has_newer);
    }
    assert_int_equal(seen, N);
    assert_int_equal(page.count, 50);
    /* back from the last page: the middle page again, then the first */
    struct order_cursor before = page.newest;
    assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_NEWER, &before, 100, &page),
                     0);
    assert_int_equal(page.count, 100);
    assert_int_equal(page.newest.id, pages[1].id);
    assert_true(page.has_newer);
    assert_true(page.has_older);
    before = page.newest;
    assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_NEWER, &before, 100, &page),
                     0);
    assert_int_equal(page.newest.id, pages[0].id);
    assert_false(page.has_newer);
    /* bad arguments */
    assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_OLDER, NULL, 100, &page),
                     ERR_INVALID);
    assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_FIRST, NULL, 0, &page),
                     ERR_INVALID);
    assert_int_equal(order_query_page(f->db, &f->a, &all, ORDER_PAGE_FIRST, NULL, 101, &page),
                     ERR_INVALID);
    /* an empty list is one empty first page */
    struct order_filter none = {.has_status = true, .status = ORDER_DELIVERED};
    assert_int_equal(order_query_page(f->db, &f->a, &none, ORDER_PAGE_FIRST, NULL, 100, &page), 0);
    assert_int_equal(page.count, 0);
    assert_false(page.has_older);
}

struct walk {
    int orders, items, stop_after;
    int64_t prev_t, prev_id, units, sum;
};

static int on_order(const struct order_record *r, void *ctx)
{
    struct walk *w = ctx;
    assert_true(r->created_at < w->prev_t || (r->created_at == w->prev_t && r->id < w->prev_id));
    w->prev_t = r->created_at;
    w->prev_id = r->id;
    int64_t sum = 0;
    for (int i = 0; i < r->item_count; i++)
        sum += r->items[i].price * r->items[i].quantity;
    assert_int_equal(sum, r->total); /* the items belong to this order */
    assert_non_null(r->customer_first_name);
    w->orders++;
    w->items += r->item_count;
    w->units += r->units;
    return w->stop_after && w->orders == w->stop_after ? 42 : 0;
}

/* 1203 orders (more than two batches), each with its own lines; one with none. */
static void each_walks_every_order_with_its_items(void **state)
{
    struct fixture *f = *state;
    enum { N = 1203 };
    assert_int_equal(db_begin(f->db), 0);
    for (int i = 0; i < N; i++) {
        int lines = i % 3;
        int64_t id = add_order(f, (struct new_order){f->ann, "new", DEC1 + i / 3, "RUB", NULL, NULL,
                                                     lines * (100 + i)});
        for (int l = 0; l < lines; l++)
            add_item(f, id, l ? "Coffee" : "Чай", 100 + i, 1);
    }
    assert_int_equal(db_commit(f->db), 0);
    struct walk w = {.prev_t = INT64_MAX, .prev_id = INT64_MAX};
    assert_int_equal(order_query_each(f->db, &(struct order_filter){0}, on_order, &w), 0);
    assert_int_equal(w.orders, N);
    assert_int_equal(w.items, N); /* 0 + 1 + 2 lines per three orders */
    assert_int_equal(w.units, N);
    /* a filter applies */
    w = (struct walk){.prev_t = INT64_MAX, .prev_id = INT64_MAX};
    struct order_filter late = {.created_from = DEC1 + 300};
    assert_int_equal(order_query_each(f->db, &late, on_order, &w), 0);
    assert_int_equal(w.orders, N - 900);
    /* the callback stops the walk */
    w = (struct walk){.prev_t = INT64_MAX, .prev_id = INT64_MAX, .stop_after = 501};
    assert_int_equal(order_query_each(f->db, &(struct order_filter){0}, on_order, &w), 42);
    assert_int_equal(w.orders, 501);
    /* nothing matches: no call */
    w = (struct walk){.prev_t = INT64_MAX, .prev_id = INT64_MAX};
    struct order_filter none = {.search = "nobody"};
    assert_int_equal(order_query_each(f->db, &none, on_order, &w), 0);
    assert_int_equal(w.orders, 0);
}

static void detail_shows_items_customer_payment_and_timeline(void **state)
{
    struct fixture *f = *state;
    int64_t id = add_order(
        f, (struct new_order){f->ann, "paid", DEC1, "RUB", "Anna Smith", "+79990001111", 210000});
    add_item(f, id, "Чай Сенча", 45000, 2);
    add_item(f, id, "Coffee", 120000, 1);
    assert_int_equal(db_exec(f->db,
                             "UPDATE orders SET status = 'shipped', updated_at = ?, "
                             "provider_payment_charge_id = 'prov-1' WHERE id = ?",
                             DB_INT(DEC1 + 3600), DB_INT(id)),
                     0);
    assert_int_equal(db_exec(f->db,
                             "INSERT INTO audit_log (username, action, object_type, object_id, "
                             "details, created_at) VALUES ('boss', 'order.status', 'order', ?, "
                             "'paid -> shipped', ?)",
                             DB_INT(id), DB_INT(DEC1 + 3600)),
                     0);
    struct order_detail d;
    assert_int_equal(order_query_detail(f->db, &f->a, id, &d), 0);
    assert_int_equal(d.order.status, ORDER_SHIPPED);
    assert_int_equal(d.order.item_count, 2);
    assert_int_equal(d.order.units, 3);
    assert_string_equal(d.order.items[0].name, "Чай Сенча");
    assert_int_equal(d.order.items[0].price, 45000);
    assert_int_equal(d.order.items[0].quantity, 2);
    assert_string_equal(d.order.customer_first_name, "Анна");
    assert_string_equal(d.order.customer_username, "ann_b");
    assert_int_equal(d.order.customer_tg_id, 501);
    assert_string_equal(d.order.contact_name, "Anna Smith");
    assert_non_null(d.order.charge_id);
    assert_string_equal(d.order.provider_charge_id, "prov-1");
    /* created, paid, the audit entry of the move to shipped */
    assert_int_equal(d.event_count, 3);
    assert_string_equal(d.events[0].what, "created");
    assert_int_equal(d.events[0].at, DEC1);
    assert_string_equal(d.events[1].what, "paid");
    assert_int_equal(d.events[1].at, DEC1 + 60);
    assert_string_equal(d.events[2].what, "order.status");
    assert_string_equal(d.events[2].who, "boss");
    assert_string_equal(d.events[2].details, "paid -> shipped");
    /* without an audit entry (a change from the shell, say) the columns tell it */
    assert_int_equal(db_exec(f->db, "DELETE FROM audit_log"), 0);
    assert_int_equal(order_query_detail(f->db, &f->a, id, &d), 0);
    assert_int_equal(d.event_count, 3);
    assert_string_equal(d.events[2].what, "status: shipped");
    assert_int_equal(d.events[2].at, DEC1 + 3600);
    assert_null(d.events[2].who);
    assert_int_equal(order_query_detail(f->db, &f->a, id + 1000, &d), ERR_NOTFOUND);
    /* an order without lines, with a long history */
    int64_t bare = add_order(f, (struct new_order){f->bob, "new", DEC1, "XTR", "Bob", "+1", 0});
    for (int i = 0; i < 20; i++)
        assert_int_equal(db_exec(f->db,
                                 "INSERT INTO audit_log (username, action, object_type, "
                                 "object_id, details, created_at) VALUES ('boss', 'note', "
                                 "'order', ?, ?, ?)",
                                 DB_INT(bare), DB_TEXT(i % 2 ? "odd" : "even"), DB_INT(DEC1 + i)),
                         0);
    assert_int_equal(order_query_detail(f->db, &f->a, bare, &d), 0);
    assert_int_equal(d.order.id, bare);
    assert_int_equal(d.order.item_count, 0);
    assert_int_equal(d.order.units, 0);
    assert_string_equal(d.order.contact_name, "Bob");
    assert_int_equal(d.event_count, 21);
    assert_string_equal(d.events[0].what, "created");
    assert_string_equal(d.events[20].details, "odd");
    assert_int_equal(d.events[20].at, DEC1 + 19);
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(filter_dates_are_utc_days),
        cmocka_unit_test_setup_teardown(totals_follow_the_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(running_totals_match_the_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(search_finds_ids_names_phones_and_usernames, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(pages_are_stable_keyset_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(each_walks_every_order_with_its_items, setup, teardown),
        cmocka_unit_test_setup_teardown(detail_shows_items_customer_payment_and_timeline, setup,
                                        teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
