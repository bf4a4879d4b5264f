/* Domain rules of src/shop on both backends: catalogue, cart, checkout, payments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/util.h"
#include "db/migrate.h"
#include "shop/cart.h"
#include "shop/catalog.h"
#include "shop/customer.h"
#include "shop/faq.h"
#include "shop/order.h"
#include "testdb.h"

static const char *backend;

struct fixture {
    struct db *db;
    struct arena a;
    int64_t root, teas, green, coffee, hidden; /* categories */
    int64_t sencha, matcha, espresso, secret;  /* products */
    int64_t ann, bob;                          /* customers */
};

static int64_t category(struct db *db, int64_t parent, const char *name, int64_t position)
{
    int64_t id;
    if (catalog_create_category(db, parent, name, "", position, &id))
        fail_msg("category %s: %s", name, db_errmsg(db));
    return id;
}

static int64_t product(struct db *db, int64_t category_id, const char *name, int64_t price,
                       int64_t stock)
{
    struct product p = {
        .category_id = category_id, .name = (char *)name, .price = price, .stock = stock};
    int64_t id;
    if (catalog_create_product(db, &p, 0, &id))
        fail_msg("product %s: %s", name, db_errmsg(db));
    return id;
}

static int64_t customer(struct db *db, struct arena *a, int64_t tg_id, const char *name)
{
    struct tg_profile p = {tg_id, NULL, name, NULL, "ru"};
    struct customer c;
    if (customer_touch(db, a, &p, &c))
        fail_msg("customer %s: %s", name, db_errmsg(db));
    return c.id;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->db = testdb_open(backend, true);
    arena_init(&f->a, 0);
    f->root = category(f->db, 0, "Напитки", 1);
    f->teas = category(f->db, f->root, "Чай", 1);
    f->green = category(f->db, f->teas, "Зелёный", 1);
    f->coffee = category(f->db, f->root, "Coffee", 2);
    f->hidden = category(f->db, 0, "Hidden", 3);
    db_exec(f->db, "UPDATE category SET is_active = 0 WHERE id = ?", DB_INT(f->hidden));
    f->sencha = product(f->db, f->green, "Зелёный чай Сенча", 45000, 10);
    f->matcha = product(f->db, f->green, "Matcha", 90000, 2);
    f->espresso = product(f->db, f->coffee, "Espresso beans", 120000, 0);
    f->secret = product(f->db, f->hidden, "Secret tea", 1000, 5);
    f->ann = customer(f->db, &f->a, 1001, "Ann");
    f->bob = customer(f->db, &f->a, 1002, "Bob");
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

static int64_t stock_of(struct db *db, int64_t product_id)
{
    int64_t v = -1;
    if (db_query_int(db, &v, "SELECT stock FROM product WHERE id = ?", DB_INT(product_id)))
        fail_msg("%s", db_errmsg(db));
    return v;
}

static void catalog_levels_list_categories_then_products(void **state)
{
    struct fixture *f = *state;
    struct catalog_entry *list;
    int n;
    int64_t total;
    assert_int_equal(catalog_level(f->db, &f->a, 0, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 1); /* "Hidden" is inactive */
    assert_string_equal(list[0].name, "Напитки");
    assert_int_equal(catalog_level(f->db, &f->a, f->root, 0, 10, &list, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].name, "Чай");
    assert_string_equal(list[1].name, "Coffee");
    /* a level with one subcategory and two products, paged by 2 */
    product(f->db, f->teas, "Black tea", 30000, 3);
    assert_int_equal(catalog_level(f->db, &f->a, f->teas, 0, 1, &list, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(n, 1);
    assert_int_equal(list[0].kind, CATALOG_CATEGORY);
    assert_int_equal(catalog_level(f->db, &f->a, f->teas, 1, 1, &list, &n, &total), 0);
    assert_int_equal(list[0].kind, CATALOG_PRODUCT);
    assert_string_equal(list[0].name, "Black tea");
    assert_int_equal(list[0].price, 30000);
    assert_int_equal(catalog_level(f->db, &f->a, f->teas, 5, 1, &list, &n, &total), 0);
    assert_int_equal(n, 0); /* past the end: empty, not an error */
    /* bad pages and hidden levels */
    assert_int_equal(catalog_level(f->db, &f->a, f->teas, -1, 1, &list, &n, &total), ERR_INVALID);
    assert_int_equal(catalog_level(f->db, &f->a, f->teas, 0, 0, &list, &n, &total), ERR_INVALID);
    assert_int_equal(catalog_level(f->db, &f->a, f->hidden, 0, 5, &list, &n, &total), ERR_NOTFOUND);
    assert_int_equal(catalog_level(f->db, &f->a, 987654, 0, 5, &list, &n, &total), ERR_NOTFOUND);
}

static void hidden_things_stay_hidden(void **state)
{
    struct fixture *f = *state;
    struct product p;
    struct category c;
    assert_int_equal(catalog_product(f->db, &f->a, f->sencha, &p), 0);
    assert_string_equal(p.name, "Зелёный чай Сенча");
    assert_int_equal(p.stock, 10);
    assert_int_equal(catalog_product(f->db, &f->a, f->secret, &p), ERR_NOTFOUND);
    /* deactivating a category hides its whole subtree */
    db_exec(f->db, "UPDATE category SET is_active = 0 WHERE id = ?", DB_INT(f->teas));
    assert_int_equal(catalog_product(f->db, &f->a, f->sencha, &p), ERR_NOTFOUND);
    assert_int_equal(catalog_category(f->db, &f->a, f->green, &c), ERR_NOTFOUND);
    struct catalog_entry *list;
    int n;
    int64_t total;
    assert_int_equal(catalog_level(f->db, &f->a, f->root, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 1);
    assert_int_equal(catalog_search(f->db, &f->a, "сенча", 0, 10, &list, &n), 0);
    assert_int_equal(n, 0);
    db_exec(f->db, "UPDATE category SET is_active = 1 WHERE id = ?", DB_INT(f->teas));
    /* a product taken off sale */
    struct product upd = p;
    assert_int_equal(catalog_product(f->db, &f->a, f->matcha, &upd), 0);
    assert_int_equal(catalog_update_product(f->db, &upd, false), 0);
    assert_int_equal(catalog_product(f->db, &f->a, f->matcha, &p), ERR_NOTFOUND);
}

static void search_ignores_case_and_yo(void **state)
{
    struct fixture *f = *state;
    struct catalog_entry *list;
    int n;
    assert_int_equal(catalog_search(f->db, &f->a, "ЗЕЛЕНЫЙ", 0, 10, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_string_equal(list[0].name, "Зелёный чай Сенча");
    assert_int_equal(catalog_search(f->db, &f->a, "  matCHA ", 0, 10, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(catalog_search(f->db, &f->a, "%", 0, 10, &list, &n), 0);
    assert_int_equal(n, 0); /* wildcards are literal */
    assert_int_equal(catalog_search(f->db, &f->a, "secret", 0, 10, &list, &n), 0);
    assert_int_equal(n, 0); /* in a hidden category */
    assert_int_equal(catalog_search(f->db, &f->a, "", 0, 10, &list, &n), 0);
    assert_int_equal(n, 0);
}

static void cart_quantities_never_exceed_stock(void **state)
{
    struct fixture *f = *state;
    int64_t q;
    bool limited;
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 3, &q, &limited), 0);
    assert_int_equal(q, 3);
    assert_false(limited);
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 9, &q, &limited), 0);
    assert_int_equal(q, 10); /* the stock */
    assert_true(limited);
    assert_int_equal(cart_change(f->db, f->ann, f->sencha, +1, &q, &limited), 0);
    assert_int_equal(q, 10);
    assert_true(limited);
    assert_int_equal(cart_change(f->db, f->ann, f->sencha, -1, &q, &limited), 0);
    assert_int_equal(q, 9);
    assert_int_equal(cart_add(f->db, f->ann, f->espresso, 1, &q, &limited), ERR_CONFLICT);
    assert_int_equal(cart_add(f->db, f->ann, f->secret, 1, &q, &limited), ERR_NOTFOUND);
    assert_int_equal(cart_add(f->db, f->ann, 424242, 1, &q, &limited), ERR_NOTFOUND);
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 0, &q, &limited), ERR_INVALID);
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 1000000, &q, &limited), ERR_INVALID);
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, -5, &q, &limited), ERR_INVALID);
    assert_int_equal(cart_set(f->db, f->ann, f->matcha, 2, &q, &limited), 0);

    /* the price went up since: both prices are there to show */
    db_exec(f->db, "UPDATE product SET price = 50000 WHERE id = ?", DB_INT(f->sencha));
    struct cart_line *lines;
    int n;
    struct cart_summary s;
    assert_int_equal(cart_read(f->db, &f->a, f->ann, &lines, &n, &s), 0);
    assert_int_equal(n, 2);
    assert_int_equal(lines[0].product_id, f->sencha);
    assert_int_equal(lines[0].price_at_add, 45000);
    assert_int_equal(lines[0].price, 50000);
    assert_true(lines[0].available);
    int64_t in_cart = -1;
    assert_int_equal(cart_quantity(f->db, f->ann, f->matcha, &in_cart), 0);
    assert_int_equal(in_cart, 2);
    assert_int_equal(cart_quantity(f->db, f->bob, f->matcha, &in_cart), 0);
    assert_int_equal(in_cart, 0); /* no line: zero, not an error */
    assert_int_equal(cart_summarize(f->db, f->ann, &s), 0);
    assert_int_equal(s.lines, 2);
    assert_int_equal(s.items, 11);
    assert_int_equal(s.total, 9 * 50000 + 2 * 90000);
    /* Bob's cart is his own */
    assert_int_equal(cart_summarize(f->db, f->bob, &s), 0);
    assert_int_equal(s.lines, 0);
    /* stock fell below the line: "−" still takes one off, "+" stays at the stock */
    db_exec(f->db, "UPDATE product SET stock = 3 WHERE id = ?", DB_INT(f->sencha));
    assert_int_equal(cart_change(f->db, f->ann, f->sencha, -1, &q, &limited), 0);
    assert_int_equal(q, 8);
    assert_false(limited);
    assert_int_equal(cart_change(f->db, f->ann, f->sencha, +1, &q, &limited), 0);
    assert_int_equal(q, 3);
    assert_true(limited);
    db_exec(f->db, "UPDATE product SET stock = 10 WHERE id = ?", DB_INT(f->sencha));
    assert_int_equal(cart_set(f->db, f->ann, f->sencha, 9, &q, &limited), 0);
    /* down to zero removes the line */
    assert_int_equal(cart_change(f->db, f->ann, f->matcha, -2, &q, &limited), 0);
    assert_int_equal(q, 0);
    assert_int_equal(cart_summarize(f->db, f->ann, &s), 0);
    assert_int_equal(s.lines, 1);
    assert_int_equal(cart_clear(f->db, f->ann), 0);
    assert_int_equal(cart_summarize(f->db, f->ann, &s), 0);
    assert_int_equal(s.lines, 0);
}

static const struct order_contact contact = {"Ann Smith", "+79001234567", "Lenina 1", NULL};

static int64_t checkout(struct fixture *f, int64_t customer_id)
{
    struct buf why = BUF_INIT;
    int64_t order_id = 0;
    int rc = order_checkout(f->db, customer_id, &contact, "XTR", 1800, &order_id, &why, NULL);
    if (rc)
        fail_msg("checkout: %s", why.data);
    buf_release(&why);
    return order_id;
}

static void checkout_reserves_all_or_nothing(void **state)
{
    struct fixture *f = *state;
    struct buf why = BUF_INIT;
    int64_t id;
    assert_int_equal(order_checkout(f->db, f->ann, &contact, "XTR", 1800, &id, &why, NULL),
                     ERR_INVALID);
    assert_string_equal(why.data, "the cart is empty");
    int64_t q;
    bool limited;
    cart_add(f->db, f->ann, f->sencha, 4, &q, &limited);
    cart_add(f->db, f->ann, f->matcha, 2, &q, &limited);
    /* someone bought a matcha meanwhile: nothing may be reserved */
    db_exec(f->db, "UPDATE product SET stock = 1 WHERE id = ?", DB_INT(f->matcha));
    struct checkout_problem problem;
    assert_int_equal(order_checkout(f->db, f->ann, &contact, "XTR", 1800, &id, &why, &problem),
                     ERR_CONFLICT);
    assert_string_equal(why.data, "only 1 of \"Matcha\" left");
    assert_int_equal(problem.kind, CHECKOUT_SHORT);
    assert_string_equal(problem.product, "Matcha");
    assert_int_equal(problem.available, 1);
    assert_int_equal(stock_of(f->db, f->sencha), 10);
    assert_int_equal(stock_of(f->db, f->matcha), 1);
    int64_t orders = -1;
    db_query_int(f->db, &orders, "SELECT count(*) FROM orders");
    assert_int_equal(orders, 0);

    struct order_contact missing = contact;
    missing.phone = "";
    assert_int_equal(order_checkout(f->db, f->ann, &missing, "XTR", 1800, &id, &why, NULL),
                     ERR_INVALID);
    assert_string_equal(why.data, "the phone is missing");

    cart_set(f->db, f->ann, f->matcha, 1, &q, &limited);
    int64_t first = checkout(f, f->ann);
    assert_int_equal(stock_of(f->db, f->sencha), 6);
    assert_int_equal(stock_of(f->db, f->matcha), 0);
    struct order o;
    assert_int_equal(order_get(f->db, &f->a, first, f->ann, &o), 0);
    assert_int_equal(o.status, ORDER_AWAITING_PAYMENT);
    assert_int_equal(o.total, 4 * 45000 + 90000);
    assert_int_equal(o.item_count, 2);
    assert_string_equal(o.items[0].name, "Зелёный чай Сенча");
    assert_int_equal(o.items[0].price, 45000);
    assert_true(o.reserved_until > clock_now());
    /* snapshots: renaming the product later does not change the order */
    db_exec(f->db, "UPDATE product SET name = 'Renamed', price = 1 WHERE id = ?",
            DB_INT(f->sencha));
    assert_int_equal(order_get(f->db, &f->a, first, f->ann, &o), 0);
    assert_string_equal(o.items[0].name, "Зелёный чай Сенча");
    /* other customers cannot see it */
    assert_int_equal(order_get(f->db, &f->a, first, f->bob, &o), ERR_NOTFOUND);

    /* checking out again replaces the unpaid order and its reservation */
    db_exec(f->db, "UPDATE product SET price = 45000 WHERE id = ?", DB_INT(f->sencha));
    cart_remove(f->db, f->ann, f->matcha);
    int64_t second = checkout(f, f->ann);
    assert_int_equal(order_get(f->db, &f->a, first, f->ann, &o), 0);
    assert_int_equal(o.status, ORDER_CANCELLED);
    assert_int_equal(stock_of(f->db, f->matcha), 1);
    assert_int_equal(stock_of(f->db, f->sencha), 6);
    assert_int_equal(order_get(f->db, &f->a, second, f->ann, &o), 0);
    assert_int_equal(o.status, ORDER_AWAITING_PAYMENT);
    buf_release(&why);
}

/* What the checkout summary shows (cart_read) and what the order costs agree, and checkout
 * refuses exactly when the summary has a line that is no longer on sale. */
static void summary_and_order_agree_when_products_go_off_sale(void **state)
{
    struct fixture *f = *state;
    int64_t latte = product(f->db, f->coffee, "Latte blend", 70000, 5);
    int64_t q;
    bool limited;
    assert_int_equal(cart_add(f->db, f->ann, f->sencha, 2, &q, &limited), 0);
    assert_int_equal(cart_add(f->db, f->ann, f->matcha, 1, &q, &limited), 0);
    assert_int_equal(cart_add(f->db, f->ann, latte, 3, &q, &limited), 0);
    struct cart_line *lines;
    int n;
    struct cart_summary s;
    assert_int_equal(cart_read(f->db, &f->a, f->ann, &lines, &n, &s), 0);
    assert_int_equal(s.total, 2 * 45000 + 90000 + 3 * 70000);
    assert_int_equal(s.unavailable, 0);

    struct {
        const char *what, *hide, *show;
        int64_t id;
        int64_t unavailable, total;
    } cases[] = {
        /* the product itself is taken off sale */
        {"inactive product", "UPDATE product SET is_active = 0 WHERE id = ?",
         "UPDATE product SET is_active = 1 WHERE id = ?", f->matcha, 1, 2 * 45000 + 3 * 70000},
        /* the category two levels up: its products are invisible though active */
        {"inactive ancestor", "UPDATE category SET is_active = 0 WHERE id = ?",
         "UPDATE category SET is_active = 1 WHERE id = ?", f->teas, 2, 3 * 70000},
        {"inactive category", "UPDATE category SET is_active = 0 WHERE id = ?",
         "UPDATE category SET is_active = 1 WHERE id = ?", f->coffee, 1, 2 * 45000 + 90000},
    };
    struct buf why = BUF_INIT;
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        assert_int_equal(db_exec(f->db, cases[i].hide, DB_INT(cases[i].id)), 0);
        struct cart_summary summary, alone;
        assert_int_equal(cart_read(f->db, &f->a, f->ann, &lines, &n, &summary), 0);
        assert_int_equal(cart_summarize(f->db, f->ann, &alone), 0);
        assert_memory_equal(&summary, &alone, sizeof summary);
        assert_int_equal(summary.lines, 3);
        assert_int_equal(summary.items, 6);
        if (summary.unavailable != cases[i].unavailable || summary.total != cases[i].total)
            fail_msg("%s: %lld unavailable, total %lld", cases[i].what,
                     (long long)summary.unavailable, (long long)summary.total);
        /* checkout refuses, naming a line the summary marks */
        struct checkout_problem problem;
        int64_t id = 0;
        assert_int_equal(order_checkout(f->db, f->ann, &contact, "XTR", 1800, &id, &why, &problem),
                         ERR_CONFLICT);
        assert_int_equal(problem.kind, CHECKOUT_OFF_SALE);
        bool marked = false;
        for (int l = 0; l < n; l++)
            marked = marked || (!lines[l].available && !strcmp(lines[l].name, problem.product));
        if (!marked)
            fail_msg("%s: checkout refused \"%s\", not marked in the summary", cases[i].what,
                     problem.product);
        assert_int_equal(stock_of(f->db, latte), 5); /* nothing reserved */
        assert_int_equal(db_exec(f->db, cases[i].show, DB_INT(cases[i].id)), 0);
    }
    buf_release(&why);

    /* the customer takes the matcha out after it went off sale: summary and order agree */
    assert_int_equal(
        db_exec(f->db, "UPDATE product SET is_active = 0 WHERE id = ?", DB_INT(f->matcha)), 0);
    assert_int_equal(cart_summarize(f->db, f->ann, &s), 0);
    assert_int_equal(s.unavailable, 1);
    assert_int_equal(s.total, 2 * 45000 + 3 * 70000);
    assert_int_equal(cart_remove(f->db, f->ann, f->matcha), 0);
    /* and the price went up between summary and order: both use today's price */
    assert_int_equal(db_exec(f->db, "UPDATE product SET price = 80000 WHERE id = ?", DB_INT(latte)),
                     0);
    assert_int_equal(cart_summarize(f->db, f->ann, &s), 0);
    assert_int_equal(s.unavailable, 0);
    int64_t order_id = checkout(f, f->ann);
    struct order o;
    assert_int_equal(order_get(f->db, &f->a, order_id, f->ann, &o), 0);
    assert_int_equal(o.total, s.total);
    assert_int_equal(o.total, 2 * 45000 + 3 * 80000);
}

static void pre_checkout_guards_the_money(void **state)
{
    struct fixture *f = *state;
    int64_t q;
    bool limited;
    struct buf why = BUF_INIT;
    cart_add(f->db, f->ann, f->sencha, 2, &q, &limited);
    int64_t id = checkout(f, f->ann);
    assert_int_equal(order_pre_checkout(f->db, id, 1001, "XTR", 90000, &why), 0);
    assert_int_equal(order_pre_checkout(f->db, id, 1002, "XTR", 90000, &why), ERR_NOTFOUND);
    assert_int_equal(order_pre_checkout(f->db, id, 1001, "XTR", 89999, &why), ERR_INVALID);
    assert_string_equal(why.data, "the amount does not match the order; please check out again");
    assert_int_equal(order_pre_checkout(f->db, id, 1001, "RUB", 90000, &why), ERR_INVALID);
    assert_int_equal(order_pre_checkout(f->db, 777777, 1001, "XTR", 90000, &why), ERR_NOTFOUND);
    db_exec(f->db, "UPDATE orders SET reserved_until = ? WHERE id = ?", DB_INT(clock_now() - 1),
            DB_INT(id));
    assert_int_equal(order_pre_checkout(f->db, id, 1001, "XTR", 90000, &why), ERR_TIMEOUT);
    assert_string_equal(why.data,
                        "the reservation of this order has expired; please check out again");
    buf_release(&why);
}

static void payment_applies_exactly_once(void **state)
{
    struct fixture *f = *state;
    int64_t q;
    bool limited;
    struct buf why = BUF_INIT;
    cart_add(f->db, f->ann, f->sencha, 2, &q, &limited);
    cart_add(f->db, f->ann, f->matcha, 1, &q, &limited);
    int64_t id = checkout(f, f->ann);
    cart_add(f->db, f->ann, f->matcha, 1, &q, &limited); /* same product again: leaves with it */
    struct payment p = {id, 1001, "XTR", 2 * 45000 + 90000, "tg_charge_1", "prov_1"};
    enum payment_outcome outcome;
    assert_int_equal(order_apply_payment(f->db, &p, &outcome, &why), 0);
    assert_int_equal(outcome, PAYMENT_APPLIED);
    for (int i = 0; i < 3; i++) { /* Telegram re-delivers */
        assert_int_equal(order_apply_payment(f->db, &p, &outcome, &why), 0);
        assert_int_equal(outcome, PAYMENT_DUPLICATE);
    }
    struct order o;
    assert_int_equal(order_get(f->db, &f->a, id, 0, &o), 0);
    assert_int_equal(o.status, ORDER_PAID);
    assert_string_equal(o.charge_id, "tg_charge_1");
    assert_true(o.paid_at > 0);
    assert_int_equal(stock_of(f->db, f->sencha), 8); /* taken once */
    assert_int_equal(stock_of(f->db, f->matcha), 1);
    struct cart_summary s;
    cart_summarize(f->db, f->ann, &s);
    assert_int_equal(s.lines, 0);
    /* a second, different charge for the paid order is flagged, not applied */
    struct payment again = p;
    again.charge_id = "tg_charge_2";
    assert_int_equal(order_apply_payment(f->db, &again, &outcome, &why), ERR_CONFLICT);
    assert_non_null(strstr(why.data, "refund charge tg_charge_2"));
    /* the same charge id presented for another order */
    cart_add(f->db, f->bob, f->sencha, 1, &q, &limited);
    int64_t bobs = checkout(f, f->bob);
    struct payment forged = {bobs, 1002, "XTR", 45000, "tg_charge_1", NULL};
    assert_int_equal(order_apply_payment(f->db, &forged, &outcome, &why), ERR_CONFLICT);
    assert_int_equal(outcome, PAYMENT_DUPLICATE);
    assert_int_equal(order_get(f->db, &f->a, bobs, 0, &o), 0);
    assert_int_equal(o.status, ORDER_AWAITING_PAYMENT);
    buf_release(&why);
}

static void expired_reservations_return_stock(void **state)
{
    struct fixture *f = *state;
    int64_t q;
    bool limited;
    struct buf why = BUF_INIT;
    cart_add(f->db, f->ann, f->matcha, 2, &q, &limited);
    int64_t id = checkout(f, f->ann);
    assert_int_equal(stock_of(f->db, f->matcha), 0);
    int expired = -1;
    assert_int_equal(order_expire_reservations(f->db, clock_now(), &expired), 0);
    assert_int_equal(expired, 0); /* not yet */
    assert_int_equal(order_expire_reservations(f->db, clock_now() + 1801, &expired), 0);
    assert_int_equal(expired, 1);
    assert_int_equal(stock_of(f->db, f->matcha), 2);
    assert_int_equal(order_expire_reservations(f->db, clock_now() + 1801, &expired), 0);
    assert_int_equal(expired, 0); /* released once */
    assert_int_equal(stock_of(f->db, f->matcha), 2);

    /* the payment arrives after all (it was authorised in time): the order stands */
    struct payment p = {id, 1001, "XTR", 180000, "late_1", NULL};
    enum payment_outcome outcome;
    assert_int_equal(order_apply_payment(f->db, &p, &outcome, &why), 0);
    assert_int_equal(outcome, PAYMENT_APPLIED);
    assert_int_equal(stock_of(f->db, f->matcha), 0);

    /* ... and when the stock went to someone else, staff are told */
    cart_add(f->db, f->bob, f->sencha, 10, &q, &limited);
    int64_t bobs = checkout(f, f->bob);
    order_expire_reservations(f->db, clock_now() + 1801, &expired);
    db_exec(f->db, "UPDATE product SET stock = 3 WHERE id = ?", DB_INT(f->sencha));
    struct payment late = {bobs, 1002, "XTR", 450000, "late_2", NULL};
    assert_int_equal(order_apply_payment(f->db, &late, &outcome, &why), 0);
    assert_int_equal(outcome, PAYMENT_NEEDS_ATTENTION);
    assert_string_equal(why.data, "\"Зелёный чай Сенча\" is out of stock");
    assert_int_equal(stock_of(f->db, f->sencha), 3); /* never negative */
    buf_release(&why);
}

static void status_moves_follow_the_rules(void **state)
{
    struct fixture *f = *state;
    int64_t q;
    bool limited;
    struct buf why = BUF_INIT;
    assert_true(order_transition_allowed(ORDER_PAID, ORDER_SHIPPED));
    assert_false(order_transition_allowed(ORDER_DELIVERED, ORDER_PAID));
    assert_false(order_transition_allowed(ORDER_CANCELLED, ORDER_PAID));
    enum order_status s;
    assert_int_equal(order_status_parse("shipped", &s), 0);
    assert_int_equal(s, ORDER_SHIPPED);
    assert_int_equal(order_status_parse("lost", &s), ERR_INVALID);

    cart_add(f->db, f->ann, f->matcha, 1, &q, &limited);
    int64_t id = checkout(f, f->ann);
    /* Bob cannot cancel Ann's order; Ann cannot ship it; staff cannot mark it paid */
    assert_int_equal(order_set_status(f->db, id, f->bob, ORDER_CANCELLED), ERR_NOTFOUND);
    assert_int_equal(order_set_status(f->db, id, f->ann, ORDER_SHIPPED), ERR_CONFLICT);
    assert_int_equal(order_set_status(f->db, id, 0, ORDER_PAID), ERR_CONFLICT);
    assert_int_equal(order_set_status(f->db, id, f->ann, ORDER_CANCELLED), 0);
    assert_int_equal(stock_of(f->db, f->matcha), 2);
    assert_int_equal(order_set_status(f->db, id, f->ann, ORDER_CANCELLED), ERR_CONFLICT);

    cart_set(f->db, f->ann, f->matcha, 1, &q, &limited); /* still in the cart: not paid */
    id = checkout(f, f->ann);
    struct payment p = {id, 1001, "XTR", 90000, "c1", NULL};
    enum payment_outcome outcome;
    assert_int_equal(order_apply_payment(f->db, &p, &outcome, &why), 0);
    assert_int_equal(order_set_status(f->db, id, f->ann, ORDER_CANCELLED), ERR_CONFLICT);
    assert_int_equal(order_set_status(f->db, id, 0, ORDER_SHIPPED), 0);
    assert_int_equal(order_set_status(f->db, id, 0, ORDER_DELIVERED), 0);
    assert_int_equal(order_set_status(f->db, id, 0, ORDER_SHIPPED), ERR_CONFLICT);
    assert_int_equal(stock_of(f->db, f->matcha), 1);

    struct order *list;
    int n;
    int64_t total;
    assert_int_equal(order_list(f->db, &f->a, f->ann, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 2);
    assert_int_equal(list[0].id, id); /* newest first */
    assert_int_equal(list[0].status, ORDER_DELIVERED);
    assert_int_equal(order_list(f->db, &f->a, f->bob, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 0);
    buf_release(&why);
}

static void customers_and_faq(void **state)
{
    struct fixture *f = *state;
    struct tg_profile p = {1001, "ann_s", "Anna", "Smith", "en"};
    struct customer c;
    assert_int_equal(customer_touch(f->db, &f->a, &p, &c), 0);
    assert_int_equal(c.id, f->ann); /* refreshed, not duplicated */
    assert_string_equal(c.first_name, "Anna");
    assert_string_equal(c.language_code, "en");
    assert_int_equal(customer_set_blocked(f->db, 1001, true), 0);
    int64_t blocked = -1;
    db_query_int(f->db, &blocked, "SELECT is_blocked FROM customer WHERE tg_id = 1001");
    assert_int_equal(blocked, 1);
    assert_int_equal(customer_touch(f->db, &f->a, &p, &c), 0); /* came back */
    db_query_int(f->db, &blocked, "SELECT is_blocked FROM customer WHERE tg_id = 1001");
    assert_int_equal(blocked, 0);
    struct tg_profile bad = {0, NULL, NULL, NULL, NULL};
    assert_int_equal(customer_touch(f->db, &f->a, &bad, &c), ERR_INVALID);
    assert_int_equal(customer_by_tg_id(f->db, &f->a, 5555, &c), ERR_NOTFOUND);

    int64_t id;
    assert_int_equal(faq_create(f->db, "Как оплатить заказ?", "Звёздами Telegram.", 1, &id), 0);
    assert_int_equal(faq_create(f->db, "Delivery times?", "Two to five days.", 2, &id), 0);
    assert_int_equal(faq_create(f->db, "Returns", "Within 14 days.", 3, &id), 0);
    struct faq *list;
    int n;
    int64_t total;
    assert_int_equal(faq_list(f->db, &f->a, 0, 2, &list, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_int_equal(n, 2);
    assert_string_equal(list[0].question, "Как оплатить заказ?");
    assert_int_equal(faq_search(f->db, &f->a, "ОПЛАТИТЬ звездами", 0, 50, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(faq_search(f->db, &f->a, "days", 0, 50, &list, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(faq_search(f->db, &f->a, "days two", 0, 50, &list, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(faq_search(f->db, &f->a, "", 0, 50, &list, &n), 0);
    assert_int_equal(n, 3);
    assert_int_equal(faq_update(f->db, id, "Returns", "Within 14 days.", 3, false), 0);
    assert_int_equal(faq_get(f->db, &f->a, id, &list[0]), ERR_NOTFOUND);
    assert_int_equal(faq_list(f->db, &f->a, 0, 10, &list, &n, &total), 0);
    assert_int_equal(total, 2);
}

/* 50 customers race for the last 10 units: exactly 10 paid orders, stock 0, never below. */
struct racer {
    const char *url;
    int64_t product_id;
    int64_t tg_id;
    int paid;
    int refused;
    int failed;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct db *db;
    struct buf err = BUF_INIT;
    if (db_open(&db, r->url, &err)) {
        r->failed = 1;
        buf_release(&err);
        return NULL;
    }
    struct arena a;
    arena_init(&a, 0);
    struct tg_profile p = {r->tg_id, NULL, "racer", NULL, NULL};
    struct customer c;
    int64_t q, order_id;
    bool limited;
    struct buf why = BUF_INIT;
    if (customer_touch(db, &a, &p, &c) || cart_add(db, c.id, r->product_id, 1, &q, &limited)) {
        /* the cart refuses when stock already ran out: a fair loss, not a failure */
        r->refused = db_error(db)->kind == DB_E_NONE;
        r->failed = !r->refused;
    } else {
        int rc = order_checkout(db, c.id, &contact, "XTR", 600, &order_id, &why, NULL);
        if (rc == ERR_CONFLICT) {
            r->refused = 1;
        } else if (rc) {
            r->failed = 1;
            fprintf(stderr, "checkout failed: %s\n", why.data);
        } else {
            char charge[32];
            snprintf(charge, sizeof charge, "race_%lld", (long long)r->tg_id);
            struct payment pay = {order_id, r->tg_id, "XTR", 45000, charge, NULL};
            enum payment_outcome outcome;
            if (order_pre_checkout(db, order_id, r->tg_id, "XTR", 45000, &why) == 0 &&
                order_apply_payment(db, &pay, &outcome, &why) == 0 && outcome == PAYMENT_APPLIED)
                r->paid = 1;
            else
                r->failed = 1;
        }
    }
    buf_release(&why);
    buf_release(&err);
    arena_release(&a);
    db_close(db);
    return NULL;
}

static void fifty_customers_race_for_ten_units(void **state)
{
    (void)state;
    enum { RACERS = 50 };
    const char *shared = testdb_new_url(backend);
    char url[1024];
    snprintf(url, sizeof url, "%s", shared);
    struct db *db;
    struct buf err = BUF_INIT;
    assert_int_equal(db_open(&db, url, &err), 0);
    assert_int_equal(migrate_apply(db, NULL, &err), 0);
    int64_t cat = category(db, 0, "Last", 1);
    int64_t item = product(db, cat, "Last units", 45000, 10);
    pthread_t threads[RACERS];
    struct racer racers[RACERS];
    for (int i = 0; i < RACERS; i++) {
        racers[i] = (struct racer){url, item, 5000 + i, 0, 0, 0};
        assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
    }
    int paid = 0, refused = 0, failed = 0;
    for (int i = 0; i < RACERS; i++) {
        pthread_join(threads[i], NULL);
        paid += racers[i].paid;
        refused += racers[i].refused;
        failed += racers[i].failed;
    }
    assert_int_equal(failed, 0);
    assert_int_equal(paid, 10);
    assert_int_equal(refused, RACERS - 10);
    assert_int_equal(stock_of(db, item), 0);
    int64_t orders = -1, units = -1;
    db_query_int(db, &orders, "SELECT count(*) FROM orders WHERE status = 'paid'");
    db_query_int(db, &units,
                 "SELECT sum(quantity) FROM order_item i JOIN orders o "
                 "ON o.id = i.order_id WHERE o.status = 'paid'");
    assert_int_equal(orders, 10);
    assert_int_equal(units, 10);
    db_query_int(db, &orders, "SELECT count(*) FROM orders WHERE status <> 'paid'");
    assert_int_equal(orders, 0); /* nobody holds a dangling reservation */
    db_close(db);
    buf_release(&err);
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(catalog_levels_list_categories_then_products, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(hidden_things_stay_hidden, setup, teardown),
        cmocka_unit_test_setup_teardown(search_ignores_case_and_yo, setup, teardown),
        cmocka_unit_test_setup_teardown(cart_quantities_never_exceed_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(checkout_reserves_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(summary_and_order_agree_when_products_go_off_sale, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(pre_checkout_guards_the_money, setup, teardown),
        cmocka_unit_test_setup_teardown(payment_applies_exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(expired_reservations_return_stock, setup, teardown),
        cmocka_unit_test_setup_teardown(status_moves_follow_the_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(customers_and_faq, setup, teardown),
        cmocka_unit_test(fifty_customers_race_for_ten_units),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
