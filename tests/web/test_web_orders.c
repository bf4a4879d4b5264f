/* The admin panel's order pages over real sockets, on SQLite and PostgreSQL: the list with
 * filters, search, totals and keyset pages; the detail; status changes (cancelling returns
 * stock); the CSV and XLSX downloads of the filtered list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "db/migrate.h"
#include "http_client.h"
#include "shop/admin_user.h"
#include "shop/cart.h"
#include "shop/catalog.h"
#include "shop/customer.h"
#include "shop/order.h"
#include "testdb.h"
#include "web/web.h"

static const char *backend;

enum { DEC1 = 1764547200 /* 2025-12-01 00:00:00 UTC */, BULK = 250 };

static const char PASSWORD[] = "Counter-shift-2026";

struct fixture {
    char *url;
    struct db *db;
    struct web *web;
    struct test_client browser;
    struct test_response resp;
    struct arena a;
    int64_t sencha, ann, bob;
    int64_t paid_order;     /* Ann's, paid, with two lines */
    int64_t reserved_order; /* Ann's, awaiting payment, holding 3 Sencha */
};

static int64_t insert_order(struct fixture *f, int64_t customer, const char *status,
                            int64_t created, const char *currency, int64_t total)
{
    int64_t id;
    bool paid = !strcmp(status, "paid");
    if (db_query_int(f->db, &id,
                     "INSERT INTO orders (customer_id, status, contact_name, phone, address, "
                     "total, currency, telegram_payment_charge_id, created_at, updated_at, "
                     "paid_at) VALUES (?, ?, 'Bob Brown', '+79990002222', 'Main st 1', ?, ?, ?, "
                     "?, ?, ?) RETURNING id",
                     DB_INT(customer), DB_TEXT(status), DB_INT(total), DB_TEXT(currency),
                     DB_TEXT(paid ? "tg-charge-77" : NULL), DB_INT(created), DB_INT(created),
                     DB_INT_OR_NULL(created + 60, paid)))
        fail_msg("order: %s", db_errmsg(f->db));
    return id;
}

static void seed(struct fixture *f)
{
    int64_t cat, coffee;
    assert_int_equal(catalog_create_category(f->db, 0, "Чай", "", 1, &cat), 0);
    struct product p = {.category_id = cat, .name = "Sencha", .price = 45000, .stock = 10};
    assert_int_equal(catalog_create_product(f->db, &p, 0, &f->sencha), 0);
    p = (struct product){.category_id = cat, .name = "<b>Coffee</b>", .price = 120000, .stock = 5};
    assert_int_equal(catalog_create_product(f->db, &p, 0, &coffee), 0);
    struct customer c;
    struct tg_profile ann = {501, "ann_b", "Анна", "Smith", "ru"};
    assert_int_equal(customer_touch(f->db, &f->a, &ann, &c), 0);
    f->ann = c.id;
    struct tg_profile bob = {502, NULL, "Bob", NULL, "en"};
    assert_int_equal(customer_touch(f->db, &f->a, &bob, &c), 0);
    f->bob = c.id;
    /* Ann's paid order, through checkout and payment */
    struct order_contact contact = {"Anna Smith", "+79990001111", "Lenina 1", "call first"};
    struct buf why = BUF_INIT;
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 1, NULL, NULL), 0);
    assert_int_equal(cart_add(f->db, f->ann, coffee, 1, NULL, NULL), 0);
    assert_int_equal(
        order_checkout(f->db, f->ann, &contact, "RUB", 3600, &f->paid_order, &why, NULL), 0);
    struct payment pay = {f->paid_order, 501, "RUB", 165000, "tg-charge-1", "prov-1"};
    enum payment_outcome outcome;
    assert_int_equal(order_apply_payment(f->db, &pay, &outcome, &why), 0);
    /* Ann's second order holds three Sencha */
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 3, NULL, NULL), 0);
    assert_int_equal(
        order_checkout(f->db, f->ann, &contact, "RUB", 3600, &f->reserved_order, &why, NULL), 0);
    buf_release(&why);
    /* Bob's 250 new orders on 2025-12-01, two a second, and one in stars the next day */
    assert_int_equal(db_begin(f->db), 0);
    for (int i = 0; i < BULK; i++)
        insert_order(f, f->bob, "new", DEC1 + i / 2, "RUB", 100);
    insert_order(f, f->bob, "new", DEC1 + 86400, "XTR", 450);
    assert_int_equal(db_commit(f->db), 0);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->url = strdup(testdb_new_url(backend));
    struct buf err = BUF_INIT;
    if (db_open(&f->db, f->url, &err) || migrate_apply(f->db, NULL, &err))
        fail_msg("database: %s", err.data);
    assert_int_equal(admin_user_create(f->db, "clerk", PASSWORD, false, NULL, &err), 0);
    arena_init(&f->a, 0);
    seed(f);
    struct web_options opt = {.database_url = f->url, .currency = "RUB", .db_connections = 2};
    if (web_start(&f->web, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    test_client_init(&f->browser, web_url(f->web));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    test_response_release(&f->resp);
    test_client_release(&f->browser);
    web_stop(f->web);
    db_close(f->db);
    arena_release(&f->a);
    free(f->url);
    free(f);
    return 0;
}

static void sign_in(struct fixture *f)
{
    assert_int_equal(test_get(&f->browser, &f->resp, "/login"), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&username=clerk&password=%s", test_form_csrf(&f->resp), PASSWORD);
    assert_int_equal(test_post_form(&f->browser, &f->resp, "/login", form.data), 303);
    buf_release(&form);
}

static void page_has(const struct fixture *f, const char *text)
{
    if (!strstr(f->resp.body.data, text))
        fail_msg("the page lacks \"%s\":\n%.4000s", text, f->resp.body.data);
}

static void page_lacks(const struct fixture *f, const char *text)
{
    if (strstr(f->resp.body.data, text))
        fail_msg("the page has \"%s\"", text);
}

static int count_of(const struct fixture *f, const char *text)
{
    int n = 0;
    for (const char *p = f->resp.body.data; (p = strstr(p, text)); p += strlen(text))
        n++;
    return n;
}

/* The link rel=REL of the page ("next", "prev"), with &amp; decoded. */
static const char *link_of(const struct fixture *f, const char *rel)
{
    static char href[512];
    char key[32];
    snprintf(key, sizeof key, "\" rel=\"%s\"", rel);
    const char *end = strstr(f->resp.body.data, key);
    if (!end)
        return NULL;
    const char *start = end;
    while (start > f->resp.body.data && start[-1] != '"')
        start--;
    size_t n = 0;
    for (const char *p = start; p < end && n + 1 < sizeof href;)
        if (!strncmp(p, "&amp;", 5)) {
            href[n++] = '&';
            p += 5;
        } else {
            href[n++] = *p++;
        }
    href[n] = '\0';
    return href;
}

static void list_filters_searches_and_pages(void **state)
{
    struct fixture *f = *state;
    sign_in(f);
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders"), 200);
    page_has(f, "<strong>253</strong> order(s)");
    page_has(f, "450 ⭐ in 1"); /* totals per currency */
    page_has(f, "in 252");
    assert_int_equal(count_of(f, "<tr>\n  <td><a href=\"/orders/"), 100);
    assert_null(link_of(f, "prev"));
    page_has(f, "Anna Smith"); /* Ann's orders are today's: the newest */
    /* walk the pages: 100, 100, 53, and back */
    int rows = 100;
    const char *older;
    while ((older = link_of(f, "next"))) {
        assert_int_equal(test_get(&f->browser, &f->resp, older), 200);
        rows += count_of(f, "<tr>\n  <td><a href=\"/orders/");
        assert_non_null(link_of(f, "prev"));
    }
    assert_int_equal(rows, 253);
    assert_int_equal(test_get(&f->browser, &f->resp, link_of(f, "prev")), 200);
    assert_int_equal(count_of(f, "<tr>\n  <td><a href=\"/orders/"), 100);

    /* filters: status, a day, a search; the export links keep them */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?status=paid"), 200);
    page_has(f, "<strong>1</strong> order(s)");
    page_has(f, "1650.00 ₽");
    page_has(f, "<option value=\"paid\" selected>");
    page_has(f, "/orders/export?status=paid&amp;format=csv");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?from=2025-12-02&to=2025-12-02"), 200);
    page_has(f, "<strong>1</strong> order(s)");
    page_has(f, "450 ⭐");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?q=%40ann_b"), 200);
    page_has(f, "<strong>2</strong> order(s)");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?q=nobody"), 200);
    page_has(f, "No orders match.");
    /* bad filters: 400, a message next to the field, the input kept */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?from=2025-13-01"), 400);
    page_has(f, "A date like 2025-12-01.");
    page_has(f, "value=\"2025-13-01\"");
    page_lacks(f, "order(s)");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?status=lost"), 400);
    page_has(f, "Choose a status from the list.");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?from=2025-12-03&to=2025-12-01"), 400);
    page_has(f, "The end is before the start.");
    /* hostile search text is shown as text */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?q=%3Cscript%3E"), 200);
    page_has(f, "value=\"&lt;script&gt;\"");
    page_lacks(f, "<script>");
    /* a cursor that is not one is the first page */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders?before=x-y"), 200);
    assert_null(link_of(f, "prev"));
}

static void detail_shows_items_customer_payment_and_timeline(void **state)
{
    struct fixture *f = *state;
    sign_in(f);
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", (long long)f->paid_order);
    assert_int_equal(test_get(&f->browser, &f->resp, path), 200);
    page_has(f, "<span class=\"badge\">paid</span>");
    page_has(f, "<td>Sencha</td><td class=\"nowrap\">450.00 ₽</td><td>1</td>");
    page_has(f, "&lt;b&gt;Coffee&lt;/b&gt;"); /* a snapshot name, escaped */
    page_has(f, "<strong>1650.00 ₽</strong>");
    page_has(f, "Анна Smith · @ann_b · Telegram id 501");
    page_has(f, "Anna Smith · +79990001111");
    page_has(f, "Lenina 1");
    page_has(f, "call first");
    page_has(f, "Telegram charge id: tg-charge-1");
    page_has(f, "Provider charge id: prov-1");
    page_has(f, "</span> created</li>");
    page_has(f, "</span> paid</li>");
    /* the moves a paid order may make; never "paid" again */
    page_has(f, "<option value=\"shipped\">");
    page_has(f, "<option value=\"refunded\">");
    page_lacks(f, "<option value=\"delivered\">");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/999999"), 404);
    page_has(f, "There is no such order.");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/abc"), 404);
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/-1"), 404);
}

static long change_status(struct fixture *f, int64_t order, const char *fields)
{
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", (long long)order);
    assert_int_equal(test_get(&f->browser, &f->resp, path), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&%s", test_form_csrf(&f->resp), fields);
    snprintf(path, sizeof path, "/orders/%lld/status", (long long)order);
    long status = test_post_form(&f->browser, &f->resp, path, form.data);
    buf_release(&form);
    return status;
}

static const char *status_of(struct fixture *f, int64_t order)
{
    static char status[32];
    struct db_rows *rows;
    assert_int_equal(
        db_query(f->db, &rows, "SELECT status FROM orders WHERE id = ?", DB_INT(order)), 0);
    assert_int_equal(db_next(rows), 1);
    snprintf(status, sizeof status, "%s", db_text(rows, 0));
    db_rows_free(rows);
    return status;
}

static int64_t stock_of(struct fixture *f, int64_t product)
{
    int64_t v = -1;
    assert_int_equal(
        db_query_int(f->db, &v, "SELECT stock FROM product WHERE id = ?", DB_INT(product)), 0);
    return v;
}

static void status_changes_follow_the_rules(void **state)
{
    struct fixture *f = *state;
    sign_in(f);
    /* paid -> shipped: done, told, audited, on the timeline */
    assert_int_equal(change_status(f, f->paid_order, "status=shipped"), 303);
    assert_string_equal(status_of(f, f->paid_order), "shipped");
    char path[64];
    snprintf(path, sizeof path, "/orders/%lld", (long long)f->paid_order);
    assert_string_equal(test_header(&f->resp, "Location"), path);
    assert_int_equal(test_get(&f->browser, &f->resp, path), 200);
    page_has(f, "is shipped now.");
    page_has(f, "status · clerk · paid -&gt; shipped");
    int64_t audited = 0;
    assert_int_equal(db_query_int(f->db, &audited,
                                  "SELECT count(*) FROM audit_log WHERE object_type = 'order' "
                                  "AND object_id = ? AND username = 'clerk'",
                                  DB_INT(f->paid_order)),
                     0);
    assert_int_equal(audited, 1);
    /* a move the rules do not allow: 409 with the reason, nothing changes */
    assert_int_equal(change_status(f, f->paid_order, "status=new"), 409);
    page_has(f, "An order shipped cannot become new.");
    assert_string_equal(status_of(f, f->paid_order), "shipped");
    assert_int_equal(change_status(f, f->reserved_order, "status=paid"), 409);
    assert_string_equal(status_of(f, f->reserved_order), "awaiting_payment");
    assert_int_equal(change_status(f, f->reserved_order, "status="), 409);
    /* cancelling asks first, then returns the reserved stock */
    assert_int_equal(stock_of(f, f->sencha), 6);
    assert_int_equal(change_status(f, f->reserved_order, "status=cancelled"), 200);
    page_has(f, "The stock it holds goes back on sale.");
    assert_string_equal(status_of(f, f->reserved_order), "awaiting_payment");
    assert_int_equal(change_status(f, f->reserved_order, "status=cancelled&confirm=yes"), 303);
    assert_string_equal(status_of(f, f->reserved_order), "cancelled");
    assert_int_equal(stock_of(f, f->sencha), 9);
    /* a cancelled order moves no more */
    snprintf(path, sizeof path, "/orders/%lld", (long long)f->reserved_order);
    assert_int_equal(test_get(&f->browser, &f->resp, path), 200);
    page_has(f, "A cancelled order stays as it is.");
    /* without the form's token nothing happens */
    snprintf(path, sizeof path, "/orders/%lld/status", (long long)f->paid_order);
    assert_int_equal(test_post_form(&f->browser, &f->resp, path, "status=delivered"), 403);
    assert_string_equal(status_of(f, f->paid_order), "shipped");
}

static void export_downloads_the_filtered_list(void **state)
{
    struct fixture *f = *state;
    /* signed out: to the sign-in page */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/export?format=csv"), 303);
    sign_in(f);
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/export?status=new&format=csv&bom=1"),
                     200);
    assert_string_equal(test_header(&f->resp, "Content-Type"), "text/csv; charset=utf-8");
    assert_string_equal(test_header(&f->resp, "Content-Disposition"),
                        "attachment; filename=\"orders.csv\"");
    assert_memory_equal(f->resp.body.data, "\xEF\xBB\xBFOrder,Created (UTC),Status", 28);
    assert_int_equal(count_of(f, "\r\n"), 1 + BULK + 1); /* the header, Bob's new orders */
    assert_int_equal(count_of(f, ",new,"), BULK + 1);
    assert_int_equal(count_of(f, ",paid,"), 0);
    /* the search of the list applies too */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/export?q=ann_b&format=csv"), 200);
    assert_int_equal(count_of(f, "\r\n"), 3);
    page_has(f, "Sencha × 1 @ 450.00; <b>Coffee</b> × 1 @ 1200.00");
    /* XLSX: a zip, typed as a workbook */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/export?format=xlsx"), 200);
    assert_string_equal(test_header(&f->resp, "Content-Type"),
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert_true(f->resp.body.len > 4000);
    assert_memory_equal(f->resp.body.data, "PK\x03\x04", 4);
    /* bad requests */
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/export?format=pdf"), 400);
    page_has(f, "Choose CSV or XLSX.");
    assert_int_equal(test_get(&f->browser, &f->resp, "/orders/export?format=csv&from=soon"), 400);
    /* each download is in the audit log */
    int64_t exports = 0;
    assert_int_equal(
        db_query_int(f->db, &exports, "SELECT count(*) FROM audit_log WHERE action = 'export'"), 0);
    assert_int_equal(exports, 3);
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(list_filters_searches_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(detail_shows_items_customer_payment_and_timeline, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(status_changes_follow_the_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(export_downloads_the_filtered_list, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
