/* The staff side of the catalogue and of customers (src/shop/catalog.h, customer.h), on both
 * backends: the category tree and its rules, the product list and search, bulk actions,
 * and the customer list. */
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
#include "db/migrate.h"
#include "shop/cart.h"
#include "shop/catalog.h"
#include "shop/customer.h"
#include "testdb.h"

static const char *backend;

struct fixture {
    struct db *db;
    struct arena a;
    int64_t drinks, teas, green, coffee, misc; /* categories */
    int64_t sencha, matcha, espresso, mug;     /* products */
};

static int64_t category(struct db *db, int64_t parent, const char *name)
{
    struct category_input in = {.parent_id = parent, .name = name, .is_active = true};
    struct listing_problem why;
    int64_t id = 0;
    if (catalog_category_save(db, &in, &id, &why))
        fail_msg("category %s: %s %s", name, why.message, db_errmsg(db));
    return id;
}

static int64_t product(struct db *db, int64_t category_id, const char *name, int64_t price,
                       int64_t stock)
{
    struct product p = {.category_id = category_id,
                        .name = (char *)name,
                        .price = price,
                        .stock = stock,
                        .is_active = true};
    struct listing_problem why;
    int64_t id = 0;
    if (catalog_product_save(db, &p, &id, &why))
        fail_msg("product %s: %s %s", name, why.message, db_errmsg(db));
    return id;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->db = testdb_open(backend, true);
    arena_init(&f->a, 0);
    f->drinks = category(f->db, 0, "Напитки");
    f->teas = category(f->db, f->drinks, "Чай");
    f->green = category(f->db, f->teas, "Зелёный");
    f->coffee = category(f->db, f->drinks, "Coffee");
    f->misc = category(f->db, 0, "Misc");
    f->sencha = product(f->db, f->green, "Зелёный чай Сенча", 45000, 10);
    f->matcha = product(f->db, f->green, "Matcha 100% pure", 90000, 0);
    f->espresso = product(f->db, f->coffee, "Espresso beans", 120000, 3);
    f->mug = product(f->db, f->misc, "Tea mug", 5000, 7);
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

static int64_t count_of(struct db *db, const char *sql, int64_t id)
{
    int64_t n = -1;
    if (db_query_int(db, &n, sql, DB_INT(id)))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return n;
}

/* The tree as "depth:name" lines, for compact assertions. */
static const char *tree_text(struct fixture *f)
{
    struct category_node *nodes;
    int n;
    assert_int_equal(catalog_category_tree(f->db, &f->a, &nodes, &n), 0);
    struct buf out = BUF_INIT;
    for (int i = 0; i < n; i++)
        buf_addf(&out, "%s%d:%s", i ? " " : "", nodes[i].depth, nodes[i].name);
    char *s = arena_strdup(&f->a, out.data);
    buf_release(&out);
    return s;
}

static void tree_in_display_order_with_counts(void **state)
{
    struct fixture *f = *state;
    assert_string_equal(tree_text(f), "0:Напитки 1:Чай 2:Зелёный 1:Coffee 0:Misc");
    struct category_node *nodes;
    int n;
    assert_int_equal(catalog_category_tree(f->db, &f->a, &nodes, &n), 0);
    assert_int_equal(n, 5);
    assert_int_equal(nodes[0].child_count, 2);
    assert_int_equal(nodes[0].product_count, 0);
    assert_int_equal(nodes[0].subtree_product_count, 3);
    assert_int_equal(nodes[1].subtree_product_count, 2);
    assert_int_equal(nodes[2].product_count, 2);
    assert_int_equal(nodes[3].product_count, 1);
    assert_int_equal(nodes[4].subtree_product_count, 1);
    /* the outline: the same categories, order and depths, without counting products */
    struct category_node *outline;
    int outline_n;
    struct catalog_cache *cache = catalog_cache_new();
    assert_int_equal(catalog_category_outline(cache, f->db, &f->a, &outline, &outline_n, NULL), 0);
    catalog_cache_free(cache);
    assert_int_equal(outline_n, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(outline[i].id, nodes[i].id);
        assert_int_equal(outline[i].depth, nodes[i].depth);
        assert_int_equal(outline[i].child_count, nodes[i].child_count);
        assert_int_equal(outline[i].subtree_product_count, 0);
    }
    /* positions: Misc up before Напитки, Coffee before Чай */
    assert_int_equal(catalog_category_shift(f->db, f->misc, -1), 0);
    assert_int_equal(catalog_category_set_index(f->db, f->coffee, 0), 0);
    assert_string_equal(tree_text(f), "0:Misc 0:Напитки 1:Coffee 1:Чай 2:Зелёный");
    assert_int_equal(catalog_category_shift(f->db, f->misc, -1), 0); /* already first */
    assert_int_equal(catalog_category_shift(f->db, f->misc, 1), 0);
    assert_int_equal(catalog_category_set_index(f->db, f->coffee, 99), 0); /* clamped */
    assert_string_equal(tree_text(f), "0:Напитки 1:Чай 2:Зелёный 1:Coffee 0:Misc");
    assert_int_equal(catalog_category_shift(f->db, 999999, 1), ERR_NOTFOUND);
    /* an inactive category stays in the tree for staff, hidden from customers */
    assert_int_equal(catalog_category_set_active(f->db, f->teas, false), 0);
    struct category_node c;
    assert_int_equal(catalog_category_get(f->db, &f->a, f->teas, &c), 0);
    assert_false(c.is_active);
    struct category cc;
    assert_int_equal(catalog_category(f->db, &f->a, f->green, &cc), ERR_NOTFOUND);
    assert_int_equal(catalog_category_set_active(f->db, 999999, true), ERR_NOTFOUND);
}

/* The outline from the cache as "depth:name" (and "-" before an inactive one). */
static const char *outline_text(struct catalog_cache *cache, struct db *db, struct arena *a)
{
    struct category_node *nodes;
    int n;
    if (catalog_category_outline(cache, db, a, &nodes, &n, NULL))
        fail_msg("outline: %s", db_errmsg(db));
    struct buf out = BUF_INIT;
    for (int i = 0; i < n; i++)
        buf_addf(&out, "%s%s%d:%s", i ? " " : "", nodes[i].is_active ? "" : "-", nodes[i].depth,
                 nodes[i].name);
    char *s = arena_strdup(a, out.data);
    buf_release(&out);
    return s;
}

/* Two connections to one new database: this process's and, say, another process's. */
static void open_two(struct db **here, struct db **there)
{
    const char *url = testdb_new_migrated_url(backend);
    struct buf err = BUF_INIT;
    if (db_open(here, url, &err) || db_open(there, url, &err))
        fail_msg("db_open: %s", err.data);
    buf_release(&err);
}

static void exec_sql(struct db *db, const char *sql, int64_t id)
{
    if (db_exec(db, sql, DB_INT(id)))
        fail_msg("%s: %s", sql, db_errmsg(db));
}

/* The cached outline is the tree after every change, by the domain functions or by plain SQL,
 * on this connection or another (another process); unchanged, it is the copy. */
static void outline_cache_follows_every_change(void **state)
{
    (void)state;
    struct db *here, *there;
    open_two(&here, &there);
    struct arena a;
    arena_init(&a, 0);
    struct catalog_cache *cache = catalog_cache_new();
    assert_string_equal(outline_text(cache, here, &a), "");
    int64_t tea = category(here, 0, "Tea");
    assert_string_equal(outline_text(cache, here, &a), "0:Tea");
    int64_t green = category(there, tea, "Green");
    int64_t coffee = category(there, 0, "Coffee");
    assert_string_equal(outline_text(cache, here, &a), "0:Tea 1:Green 0:Coffee");
    exec_sql(there, "UPDATE category SET name = 'Black' WHERE id = ?", green);
    assert_string_equal(outline_text(cache, here, &a), "0:Tea 1:Black 0:Coffee");
    assert_int_equal(catalog_category_set_active(there, green, false), 0);
    assert_string_equal(outline_text(cache, here, &a), "0:Tea -1:Black 0:Coffee");
    assert_int_equal(catalog_category_shift(there, coffee, -1), 0);
    assert_string_equal(outline_text(cache, here, &a), "0:Coffee 0:Tea -1:Black");
    struct category_input move = {.id = green, .parent_id = coffee, .name = "Black"};
    struct listing_problem why;
    assert_int_equal(catalog_category_save(there, &move, NULL, &why), 0);
    assert_string_equal(outline_text(cache, here, &a), "0:Coffee -1:Black 0:Tea");
    exec_sql(there, "DELETE FROM category WHERE id = ?", green);
    assert_string_equal(outline_text(cache, here, &a), "0:Coffee 0:Tea");
    exec_sql(there, "INSERT INTO category (parent_id, name) VALUES (?, 'Oolong')", tea);
    assert_string_equal(outline_text(cache, here, &a), "0:Coffee 0:Tea 1:Oolong");

    /* unchanged, the copy is served: a rename hidden from the counter does not show */
    int64_t version = 0, later = 0;
    assert_int_equal(catalog_category_version(there, &version), 0);
    exec_sql(there, "UPDATE category SET name = 'Hidden' WHERE id = ?", tea);
    exec_sql(there, "UPDATE table_counter SET value = ? WHERE name = 'category_version'", version);
    assert_string_equal(outline_text(cache, here, &a), "0:Coffee 0:Tea 1:Oolong");
    struct category_node *nodes;
    int n;
    assert_int_equal(catalog_category_outline(cache, here, &a, &nodes, &n, &later), 0);
    assert_int_equal(later, version);
    exec_sql(there, "UPDATE category SET is_active = 1 WHERE id = ?", tea);
    assert_string_equal(outline_text(cache, here, &a), "0:Coffee 0:Hidden 1:Oolong");
    assert_int_equal(catalog_category_version(there, &later), 0);
    assert_true(later > version);

    catalog_cache_free(cache);
    arena_release(&a);
    db_close(here);
    db_close(there);
}

static void category_validation_errors(void **state)
{
    struct fixture *f = *state;
    struct listing_problem why;
    char long_name[CATALOG_NAME_MAX * 2 + 4];
    memset(long_name, 0, sizeof long_name);
    for (int i = 0; i < CATALOG_NAME_MAX + 1; i++)
        memcpy(long_name + 2 * i, "я", 2); /* 201 characters, 402 bytes */
    long_name[2 * (CATALOG_NAME_MAX + 1)] = '\0';
    struct {
        struct category_input in;
        int rc;
        const char *field, *message;
    } cases[] = {
        {{.name = ""}, ERR_INVALID, "name", "Name is empty"},
        {{.name = "  \t"}, ERR_INVALID, "name", "Name is empty"},
        {{.name = "bad \xff"}, ERR_INVALID, "name", "Name is not valid UTF-8 text"},
        {{.name = long_name},
         ERR_INVALID,
         "name",
         "Name is 201 characters long, at most 200 are allowed"},
        {{.name = "ok", .parent_id = 999999},
         ERR_INVALID,
         "parent_id",
         "The parent category does not exist"},
        {{.id = 999999, .name = "ok"}, ERR_NOTFOUND, "", "No such category"},
        {{.id = f->teas, .name = "Чай", .parent_id = f->teas},
         ERR_INVALID,
         "parent_id",
         "A category cannot move into itself or one of its subcategories"},
        {{.id = f->drinks, .name = "Напитки", .parent_id = f->green},
         ERR_INVALID,
         "parent_id",
         "A category cannot move into itself or one of its subcategories"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memset(&why, 0, sizeof why);
        assert_int_equal(catalog_category_save(f->db, &cases[i].in, NULL, &why), cases[i].rc);
        assert_string_equal(why.field, cases[i].field);
        assert_string_equal(why.message, cases[i].message);
    }
    char *long_description = arena_calloc(&f->a, CATALOG_CATEGORY_DESCRIPTION_MAX + 2, 1);
    memset(long_description, 'x', CATALOG_CATEGORY_DESCRIPTION_MAX + 1);
    struct category_input in = {.name = "ok", .description = long_description};
    assert_int_equal(catalog_category_save(f->db, &in, NULL, &why), ERR_INVALID);
    assert_string_equal(why.field, "description");
    /* nothing of it happened */
    assert_string_equal(tree_text(f), "0:Напитки 1:Чай 2:Зелёный 1:Coffee 0:Misc");

    /* a move to another parent goes to the end of its list; the whole subtree follows */
    in = (struct category_input){
        .id = f->teas, .parent_id = f->misc, .name = "Tea", .is_active = true};
    assert_int_equal(catalog_category_save(f->db, &in, NULL, &why), 0);
    assert_string_equal(tree_text(f), "0:Напитки 1:Coffee 0:Misc 1:Tea 2:Зелёный");

    /* depth limit */
    int64_t parent = f->green, deepest = 0;
    for (int level = 3; level < CATALOG_DEPTH_MAX; level++)
        parent = deepest = category(f->db, parent, "deep");
    in = (struct category_input){.parent_id = deepest, .name = "too deep"};
    assert_int_equal(catalog_category_save(f->db, &in, NULL, &why), ERR_INVALID);
    assert_string_equal(why.message, "The tree would be deeper than 32 levels there");
    /* and moving a subtree where it would be too deep */
    in = (struct category_input){.id = f->drinks, .parent_id = deepest, .name = "Напитки"};
    assert_int_equal(catalog_category_save(f->db, &in, NULL, &why), ERR_INVALID);
    assert_string_equal(why.field, "parent_id");
}

struct mover {
    const char *url;
    int64_t id, parent;
    int rc;
};

static void *move_under(void *arg)
{
    struct mover *m = arg;
    struct db *db;
    struct buf err = BUF_INIT;
    m->rc = db_open(&db, m->url, &err);
    buf_release(&err);
    if (m->rc)
        return NULL;
    struct category_input in = {.id = m->id, .parent_id = m->parent, .name = "x", .is_active = 1};
    struct listing_problem why;
    m->rc = catalog_category_save(db, &in, NULL, &why);
    db_close(db);
    return NULL;
}

static void concurrent_moves_never_make_a_cycle(void **state)
{
    (void)state;
    char url[1024];
    snprintf(url, sizeof url, "%s", testdb_new_url(backend));
    struct db *db;
    struct buf err = BUF_INIT;
    assert_int_equal(db_open(&db, url, &err), 0);
    assert_int_equal(migrate_apply(db, NULL, &err), 0);
    for (int round = 0; round < 10; round++) {
        int64_t a = category(db, 0, "a"), b = category(db, 0, "b");
        struct mover m[2] = {{url, a, b, 0}, {url, b, a, 0}};
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            assert_int_equal(pthread_create(&t[i], NULL, move_under, &m[i]), 0);
        for (int i = 0; i < 2; i++)
            pthread_join(t[i], NULL);
        /* exactly one wins, the other sees the cycle */
        assert_true((m[0].rc == 0) != (m[1].rc == 0));
        assert_int_equal(m[0].rc ? m[0].rc : m[1].rc, ERR_INVALID);
        int64_t roots = -1;
        assert_int_equal(db_query_int(db, &roots,
                                      "SELECT count(*) FROM category WHERE parent_id IS NULL "
                                      "AND id IN (?, ?)",
                                      DB_INT(a), DB_INT(b)),
                         0);
        assert_int_equal(roots, 1);
    }
    db_close(db);
    buf_release(&err);
}

static void deleting_a_category_asks_what_happens(void **state)
{
    struct fixture *f = *state;
    struct listing_problem why;
    struct category_removal how = {0};
    /* refusals change nothing */
    assert_int_equal(catalog_category_delete(f->db, f->teas, &how, &why), ERR_CONFLICT);
    assert_string_equal(why.field, "children");
    assert_string_equal(why.message,
                        "The category has 1 subcategories: choose what happens to them");
    assert_int_equal(catalog_category_delete(f->db, f->green, &how, &why), ERR_CONFLICT);
    assert_string_equal(why.field, "products");
    assert_string_equal(why.message, "The category has 2 products: choose what happens to them");
    how.products = CATEGORY_PRODUCTS_MOVE;
    how.target_id = f->green;
    assert_int_equal(catalog_category_delete(f->db, f->green, &how, &why), ERR_INVALID);
    assert_string_equal(why.field, "target_id");
    how.target_id = 999999;
    assert_int_equal(catalog_category_delete(f->db, f->green, &how, &why), ERR_INVALID);
    assert_string_equal(why.message, "Choose an existing category for the products");
    assert_int_equal(catalog_category_delete(f->db, 999999, &how, &why), ERR_NOTFOUND);
    assert_string_equal(tree_text(f), "0:Напитки 1:Чай 2:Зелёный 1:Coffee 0:Misc");

    /* move the products, off sale */
    how = (struct category_removal){CATEGORY_PRODUCTS_DEACTIVATE, f->misc, 0};
    assert_int_equal(catalog_category_delete(f->db, f->green, &how, &why), 0);
    struct product p;
    assert_int_equal(catalog_product_get(f->db, &f->a, f->sencha, &p), 0);
    assert_int_equal(p.category_id, f->misc);
    assert_false(p.is_active);
    assert_string_equal(tree_text(f), "0:Напитки 1:Чай 1:Coffee 0:Misc");

    /* lift the subcategories to the parent, at the end of its list */
    how = (struct category_removal){CATEGORY_PRODUCTS_REFUSE, 0, CATEGORY_CHILDREN_LIFT};
    assert_int_equal(catalog_category_delete(f->db, f->drinks, &how, &why), 0);
    assert_string_equal(tree_text(f), "0:Misc 0:Чай 0:Coffee");

    /* delete the products: order history keeps its snapshots */
    int64_t customer = 0;
    assert_int_equal(db_query_int(f->db, &customer,
                                  "INSERT INTO customer (tg_id, first_name) VALUES (77, 'Ann') "
                                  "RETURNING id"),
                     0);
    int64_t order = 0;
    assert_int_equal(db_query_int(f->db, &order,
                                  "INSERT INTO orders (customer_id, total, currency) "
                                  "VALUES (?, 120000, 'XTR') RETURNING id",
                                  DB_INT(customer)),
                     0);
    assert_int_equal(db_exec(f->db,
                             "INSERT INTO order_item (order_id, product_id, name, price, quantity) "
                             "VALUES (?, ?, 'Espresso beans', 120000, 1)",
                             DB_INT(order), DB_INT(f->espresso)),
                     0);
    how = (struct category_removal){CATEGORY_PRODUCTS_DELETE, 0, 0};
    assert_int_equal(catalog_category_delete(f->db, f->coffee, &how, &why), 0);
    assert_int_equal(catalog_product_get(f->db, &f->a, f->espresso, &p), ERR_NOTFOUND);
    assert_int_equal(count_of(f->db,
                              "SELECT count(*) FROM order_item WHERE order_id = ? AND "
                              "product_id IS NULL AND name = 'Espresso beans' AND price = 120000",
                              order),
                     1);
    /* an empty category just goes */
    how = (struct category_removal){0};
    assert_int_equal(catalog_category_delete(f->db, f->teas, &how, &why), 0);
    assert_string_equal(tree_text(f), "0:Misc");
}

static void product_validation_errors(void **state)
{
    struct fixture *f = *state;
    char *long_description = arena_calloc(&f->a, CATALOG_PRODUCT_DESCRIPTION_MAX + 2, 1);
    memset(long_description, 'd', CATALOG_PRODUCT_DESCRIPTION_MAX + 1);
    struct {
        struct product p;
        int rc;
        const char *field, *message;
    } cases[] = {
        {{.name = "", .category_id = f->misc}, ERR_INVALID, "name", "Name is empty"},
        {{.name = "x\xc3", .category_id = f->misc},
         ERR_INVALID,
         "name",
         "Name is not valid UTF-8 text"},
        {{.name = "x", .description = long_description, .category_id = f->misc},
         ERR_INVALID,
         "description",
         "Description is 801 characters long, at most 800 are allowed"},
        {{.name = "x", .price = -1, .category_id = f->misc},
         ERR_INVALID,
         "price",
         "The price must be between 0 and 1000000000000"},
        {{.name = "x", .price = CATALOG_PRICE_MAX + 1, .category_id = f->misc},
         ERR_INVALID,
         "price",
         "The price must be between 0 and 1000000000000"},
        {{.name = "x", .stock = -1, .category_id = f->misc},
         ERR_INVALID,
         "stock",
         "The stock must be between 0 and 1000000000"},
        {{.name = "x", .category_id = 999999},
         ERR_INVALID,
         "category_id",
         "Choose an existing category"},
        {{.name = "x", .category_id = 0},
         ERR_INVALID,
         "category_id",
         "Choose an existing category"},
        {{.name = "x", .category_id = f->misc, .photo_path = "../../etc/passwd"},
         ERR_INVALID,
         "photo",
         "The file name is not usable"},
        {{.id = 999999, .name = "x", .category_id = f->misc}, ERR_NOTFOUND, "", "No such product"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct listing_problem why = {0};
        assert_int_equal(catalog_product_save(f->db, &cases[i].p, NULL, &why), cases[i].rc);
        assert_string_equal(why.field, cases[i].field);
        assert_string_equal(why.message, cases[i].message);
    }
    assert_int_equal(count_of(f->db, "SELECT count(*) FROM product WHERE 0 = ?", 0), 4);
    /* the bounds themselves are fine */
    struct product edge = {.name = "Gold",
                           .price = CATALOG_PRICE_MAX,
                           .stock = CATALOG_STOCK_MAX,
                           .category_id = f->misc};
    int64_t id;
    struct listing_problem why;
    assert_int_equal(catalog_product_save(f->db, &edge, &id, &why), 0);
    struct product got;
    assert_int_equal(catalog_product_get(f->db, &f->a, id, &got), 0);
    assert_true(got.price == CATALOG_PRICE_MAX);
    assert_false(got.is_active); /* .is_active was false */
    /* an edit keeps the photo and renames for search */
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, id, "/media/gold.jpg", NULL, &why), 0);
    got.name = "Platinum";
    got.is_active = true;
    assert_int_equal(catalog_product_save(f->db, &got, NULL, &why), 0);
    assert_int_equal(catalog_product_get(f->db, &f->a, id, &got), 0);
    assert_string_equal(got.name, "Platinum");
    assert_string_equal(got.photo_path, "/media/gold.jpg");
    assert_true(got.is_active);
}

static void photo_replacement_forgets_the_telegram_file_id(void **state)
{
    struct fixture *f = *state;
    struct listing_problem why;
    char *old = (char *)"unset";
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, f->mug, "/m/a.jpg", &old, &why), 0);
    assert_null(old);
    assert_int_equal(catalog_set_photo_file_id(f->db, f->mug, "AgAD-cached"), 0);
    /* the same path keeps the cached id */
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, f->mug, "/m/a.jpg", &old, &why), 0);
    struct product p;
    assert_int_equal(catalog_product_get(f->db, &f->a, f->mug, &p), 0);
    assert_string_equal(p.photo_file_id, "AgAD-cached");
    /* a new one does not */
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, f->mug, "/m/b.jpg", &old, &why), 0);
    assert_string_equal(old, "/m/a.jpg");
    assert_int_equal(catalog_product_get(f->db, &f->a, f->mug, &p), 0);
    assert_string_equal(p.photo_path, "/m/b.jpg");
    assert_null(p.photo_file_id);
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, f->mug, NULL, &old, &why), 0);
    assert_string_equal(old, "/m/b.jpg");
    assert_int_equal(catalog_product_get(f->db, &f->a, f->mug, &p), 0);
    assert_null(p.photo_path);
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, 999999, "/m/c.jpg", &old, &why),
                     ERR_NOTFOUND);
    assert_int_equal(catalog_product_set_photo(f->db, &f->a, f->mug, "/m/../../x", &old, &why),
                     ERR_INVALID);
    assert_string_equal(why.field, "photo");
}

/* The names of a product page, joined by "|". */
static const char *names(struct fixture *f, const struct product_filter *filter, int64_t offset,
                         int limit, int64_t *out_total)
{
    struct product *list;
    int n;
    int64_t total;
    int rc = catalog_product_list(f->db, &f->a, filter, offset, limit, &list, &n, &total);
    if (rc)
        fail_msg("product list: %d %s", rc, db_errmsg(f->db));
    struct buf out = BUF_INIT;
    for (int i = 0; i < n; i++)
        buf_addf(&out, "%s%s", i ? "|" : "", list[i].name);
    if (out_total)
        *out_total = total;
    char *s = arena_strdup(&f->a, out.data);
    buf_release(&out);
    return s;
}

static void product_list_filters_sorts_and_pages(void **state)
{
    struct fixture *f = *state;
    int64_t total;
    struct product_filter all = {.sort = PRODUCT_SORT_PRICE};
    assert_string_equal(names(f, &all, 0, 100, &total),
                        "Tea mug|Зелёный чай Сенча|Matcha 100% pure|Espresso beans");
    assert_int_equal(total, 4);
    all.descending = true;
    assert_string_equal(names(f, &all, 1, 2, &total), "Matcha 100% pure|Зелёный чай Сенча");
    assert_int_equal(total, 4);
    struct product_filter by_stock = {.sort = PRODUCT_SORT_STOCK};
    assert_string_equal(names(f, &by_stock, 0, 1, NULL), "Matcha 100% pure");
    struct product_filter by_name = {.sort = PRODUCT_SORT_NAME};
    assert_string_equal(names(f, &by_name, 0, 100, NULL),
                        "Espresso beans|Matcha 100% pure|Tea mug|Зелёный чай Сенча");
    struct product_filter newest = {.sort = PRODUCT_SORT_CREATED, .descending = true};
    assert_string_equal(names(f, &newest, 0, 1, NULL), "Tea mug"); /* same second: by id */
    /* a category includes its subcategories */
    struct product_filter drinks = {.category_id = f->drinks, .sort = PRODUCT_SORT_NAME};
    assert_string_equal(names(f, &drinks, 0, 100, &total),
                        "Espresso beans|Matcha 100% pure|Зелёный чай Сенча");
    struct product_filter in_stock = {.category_id = f->teas, .in_stock = LISTING_YES};
    assert_string_equal(names(f, &in_stock, 0, 100, &total), "Зелёный чай Сенча");
    in_stock.in_stock = LISTING_NO;
    assert_string_equal(names(f, &in_stock, 0, 100, &total), "Matcha 100% pure");
    /* bulk actions */
    int64_t ids[] = {f->sencha, f->matcha, 999999}, changed = -1;
    assert_int_equal(catalog_products_set_active(f->db, ids, 3, false, &changed), 0);
    assert_int_equal(changed, 2);
    assert_int_equal(catalog_products_set_active(f->db, ids, 3, false, &changed), 0);
    assert_int_equal(changed, 0);
    struct product_filter inactive = {.active = LISTING_NO, .sort = PRODUCT_SORT_NAME};
    assert_string_equal(names(f, &inactive, 0, 100, &total), "Matcha 100% pure|Зелёный чай Сенча");
    inactive.active = LISTING_YES;
    assert_string_equal(names(f, &inactive, 0, 100, &total), "Espresso beans|Tea mug");
    assert_int_equal(catalog_products_set_active(f->db, ids, LISTING_BULK_MAX + 1, true, NULL),
                     ERR_INVALID);
    /* pages are checked */
    struct product *list;
    int n;
    assert_int_equal(catalog_product_list(f->db, &f->a, &all, -1, 10, &list, &n, &total),
                     ERR_INVALID);
    assert_int_equal(catalog_product_list(f->db, &f->a, &all, 0, 0, &list, &n, &total),
                     ERR_INVALID);
    struct product_filter bad = {.sort = (enum product_sort)99};
    assert_int_equal(catalog_product_list(f->db, &f->a, &bad, 0, 10, &list, &n, &total),
                     ERR_INVALID);
}

static void bulk_delete_keeps_order_history(void **state)
{
    struct fixture *f = *state;
    struct arena *a = &f->a;
    struct tg_profile profile = {501, "ann", "Ann", NULL, "en"};
    struct customer c;
    assert_int_equal(customer_touch(f->db, a, &profile, &c), 0);
    int64_t q;
    bool limited;
    assert_int_equal(cart_add(f->db, c.id, f->mug, 2, &q, &limited), 0);
    int64_t order = 0;
    assert_int_equal(db_query_int(f->db, &order,
                                  "INSERT INTO orders (customer_id, total, currency) "
                                  "VALUES (?, 5000, 'XTR') RETURNING id",
                                  DB_INT(c.id)),
                     0);
    assert_int_equal(db_exec(f->db,
                             "INSERT INTO order_item (order_id, product_id, name, price, quantity) "
                             "VALUES (?, ?, 'Tea mug', 5000, 1)",
                             DB_INT(order), DB_INT(f->mug)),
                     0);
    struct listing_problem why;
    assert_int_equal(catalog_product_set_photo(f->db, a, f->mug, "/m/mug.jpg", NULL, &why), 0);
    int64_t ids[] = {f->mug, f->espresso, 424242}, deleted = 0;
    char **photos;
    int photo_count;
    assert_int_equal(catalog_products_delete(f->db, a, ids, 3, &deleted, &photos, &photo_count), 0);
    assert_int_equal(deleted, 2);
    assert_int_equal(photo_count, 1);
    assert_string_equal(photos[0], "/m/mug.jpg");
    assert_int_equal(count_of(f->db, "SELECT count(*) FROM cart_item WHERE customer_id = ?", c.id),
                     0);
    assert_int_equal(count_of(f->db,
                              "SELECT count(*) FROM order_item WHERE order_id = ? AND "
                              "product_id IS NULL AND name = 'Tea mug' AND price = 5000",
                              order),
                     1);
    struct product_filter all = {0};
    int64_t total;
    names(f, &all, 0, 100, &total);
    assert_int_equal(total, 2);
}

/* The searches and how they follow changes; with a cache, a list of the same words as the one
 * before (and nothing changed) is served from it. */
static void check_search(struct fixture *f, struct catalog_cache *cache)
{
    int64_t total;
    struct product_filter s = {.query = "СЕНЧА", .sort = PRODUCT_SORT_NAME, .cache = cache};
    assert_string_equal(names(f, &s, 0, 100, &total), "Зелёный чай Сенча");
    s.query = "зеленыи"; /* no such word */
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    s.query = "зеленый ЧАЙ"; /* ё folded into е, every word must occur */
    assert_string_equal(names(f, &s, 0, 100, &total), "Зелёный чай Сенча");
    s.query = "tea beans";
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    s.query = "ea"; /* shorter than a trigram */
    assert_string_equal(names(f, &s, 0, 100, &total), "Espresso beans|Tea mug");
    assert_int_equal(total, 2);
    s.query = "100%"; /* LIKE wildcards are plain characters */
    assert_string_equal(names(f, &s, 0, 100, &total), "Matcha 100% pure");
    s.query = "0%";
    assert_string_equal(names(f, &s, 0, 100, &total), "Matcha 100% pure");
    s.query = "\"mug\""; /* quotes cannot break out of the FTS phrase */
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    s.query = "   ";
    names(f, &s, 0, 100, &total); /* blank: no search */
    assert_int_equal(total, 4);
    /* renamed and deleted products follow */
    struct product p;
    assert_int_equal(catalog_product_get(f->db, &f->a, f->mug, &p), 0);
    p.name = "Coffee cup";
    struct listing_problem why;
    assert_int_equal(catalog_product_save(f->db, &p, NULL, &why), 0);
    s.query = "mug";
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    s.query = "cup";
    assert_string_equal(names(f, &s, 0, 100, &total), "Coffee cup");
    int64_t ids[] = {f->mug};
    assert_int_equal(catalog_products_delete(f->db, &f->a, ids, 1, NULL, NULL, NULL), 0);
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    /* search combines with filters */
    s = (struct product_filter){.query = "beans", .category_id = f->teas, .cache = cache};
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    s.category_id = f->drinks;
    assert_string_equal(names(f, &s, 0, 100, &total), "Espresso beans");
    s.category_id = 0;
    s.in_stock = LISTING_NO;
    assert_string_equal(names(f, &s, 0, 100, &total), "");
    assert_int_equal(total, 0);
}

static void search_uses_the_index_and_keeps_in_step(void **state)
{
    check_search(*state, NULL);
}

/* With the matches kept between lists (SQLite), every change of the products shows at once,
 * made here or on another connection (another process); unchanged, the kept copy serves. */
static void search_cache_follows_every_change(void **state)
{
    struct fixture *f = *state;
    struct catalog_cache *cache = catalog_cache_new();
    check_search(f, cache);
    struct db *here, *there;
    open_two(&here, &there);
    struct fixture g = {.db = here, .a = f->a};
    int64_t tea = category(here, 0, "Tea");
    struct product_filter s = {.query = "oolong", .sort = PRODUCT_SORT_NAME, .cache = cache};
    int64_t total;
    assert_string_equal(names(&g, &s, 0, 100, &total), "");
    int64_t milk = product(there, tea, "Milk oolong", 100, 1);
    assert_string_equal(names(&g, &s, 0, 100, &total), "Milk oolong");
    exec_sql(there,
             "INSERT INTO product (category_id, name, search_text, price, stock) "
             "VALUES (?, 'Dark Oolong', 'dark oolong', 1, 1)",
             tea);
    assert_string_equal(names(&g, &s, 0, 100, &total), "Dark Oolong|Milk oolong");
    exec_sql(there, "UPDATE product SET name = 'Milk tea', search_text = 'milk tea' WHERE id = ?",
             milk);
    assert_string_equal(names(&g, &s, 0, 100, &total), "Dark Oolong");
    exec_sql(there, "UPDATE product SET stock = 0, price = 5 WHERE id = ?", milk);
    s.query = "milk";
    assert_string_equal(names(&g, &s, 0, 100, &total), "Milk tea");
    exec_sql(there, "DELETE FROM product WHERE id = ?", milk);
    assert_string_equal(names(&g, &s, 0, 100, &total), "");
    if (!strcmp(backend, "sqlite")) {
        /* unchanged, the kept matches serve: a rename hidden from the counter does not show */
        s.query = "dark";
        assert_string_equal(names(&g, &s, 0, 100, &total), "Dark Oolong");
        int64_t version = 0;
        assert_int_equal(db_query_int(there, &version,
                                      "SELECT value FROM table_counter WHERE name = "
                                      "'product_search_version'"),
                         0);
        exec_sql(there, "UPDATE product SET search_text = 'light oolong' WHERE category_id = ?",
                 tea);
        exec_sql(there, "UPDATE table_counter SET value = ? WHERE name = 'product_search_version'",
                 version);
        assert_string_equal(names(&g, &s, 0, 100, &total), "Dark Oolong");
        exec_sql(there, "UPDATE product SET search_text = 'light  oolong' WHERE category_id = ?",
                 tea);
        assert_string_equal(names(&g, &s, 0, 100, &total), "");
    }
    f->a = g.a;
    catalog_cache_free(cache);
    db_close(here);
    db_close(there);
}

static void customers_list_search_and_ban(void **state)
{
    struct fixture *f = *state;
    struct arena *a = &f->a;
    struct tg_profile people[] = {
        {1001, "annie", "Анна", "Каренина", "ru"},
        {1002, "bob_b", "Bob", "Builder", "en"},
        {5550123, NULL, "Carl", NULL, "en"},
        {1004, "dora", "Дора", NULL, NULL},
    };
    struct customer c;
    int64_t ids[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(customer_touch(f->db, a, &people[i], &c), 0);
        ids[i] = c.id;
    }
    assert_int_equal(customer_set_phone(f->db, ids[1], "+7 (912) 345-67-89"), 0);
    assert_int_equal(customer_set_blocked(f->db, 1004, true), 0);
    assert_int_equal(customer_set_banned(f->db, ids[2], true), 0);
    assert_int_equal(customer_set_banned(f->db, 999999, true), ERR_NOTFOUND);
    assert_int_equal(
        db_exec(f->db, "UPDATE customer SET created_at = 1000 WHERE id = ?", DB_INT(ids[0])), 0);

    struct {
        struct customer_filter filter;
        const char *expect; /* first names in order */
        int64_t total;
    } cases[] = {
        {{.sort = CUSTOMER_SORT_NAME}, "Bob Carl Анна Дора", 4},
        {{.sort = CUSTOMER_SORT_NAME, .descending = true}, "Дора Анна Carl Bob", 4},
        {{.query = "КАРЕН"}, "Анна", 1},
        {{.query = "@Bob_"}, "Bob", 1},
        {{.query = "5550123"}, "Carl", 1}, /* tg id */
        {{.query = "912 345"}, "Bob", 1},  /* phone digits as typed */
        {{.query = "89123456789"}, "", 0}, /* no such number */
        {{.query = "9123456789"}, "Bob", 1},
        {{.query = "%"}, "", 0},
        {{.blocked = LISTING_YES}, "Дора", 1},
        {{.banned = LISTING_YES}, "Carl", 1},
        {{.banned = LISTING_NO, .blocked = LISTING_NO, .sort = CUSTOMER_SORT_TG_ID}, "Анна Bob", 2},
        {{.language = "en", .sort = CUSTOMER_SORT_TG_ID}, "Bob Carl", 2},
        {{.joined_to = 2000}, "Анна", 1},
        {{.joined_from = 2000, .sort = CUSTOMER_SORT_USERNAME}, "Carl Bob Дора", 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct customer *list;
        int n;
        int64_t total;
        assert_int_equal(customer_list(f->db, a, &cases[i].filter, 0, 100, &list, &n, &total), 0);
        struct buf got = BUF_INIT;
        for (int k = 0; k < n; k++)
            buf_addf(&got, "%s%s", k ? " " : "", list[k].first_name);
        if (strcmp(got.data, cases[i].expect) || total != cases[i].total)
            fail_msg("case %zu: got \"%s\" (%lld), expected \"%s\" (%lld)", i, got.data,
                     (long long)total, cases[i].expect, (long long)cases[i].total);
        buf_release(&got);
    }
    /* pages: stable and counted */
    struct customer_filter by_seen = {.sort = CUSTOMER_SORT_SEEN};
    struct customer *list;
    int n;
    int64_t total;
    assert_int_equal(customer_list(f->db, a, &by_seen, 2, 2, &list, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 4);
    assert_int_equal(list[0].id, ids[2]);
    assert_int_equal(customer_list(f->db, a, &by_seen, 0, LISTING_PAGE_MAX + 1, &list, &n, &total),
                     ERR_INVALID);
    struct customer one;
    assert_int_equal(customer_get(f->db, a, ids[0], &one), 0);
    assert_string_equal(one.last_name, "Каренина");
    assert_int_equal(one.created_at, 1000);
    assert_int_equal(customer_get(f->db, a, 999999, &one), ERR_NOTFOUND);
    char **languages;
    assert_int_equal(customer_languages(f->db, a, &languages, &n), 0);
    assert_int_equal(n, 2);
    assert_string_equal(languages[0], "en");
    assert_string_equal(languages[1], "ru");
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(tree_in_display_order_with_counts, setup, teardown),
        cmocka_unit_test(outline_cache_follows_every_change),
        cmocka_unit_test_setup_teardown(category_validation_errors, setup, teardown),
        cmocka_unit_test(concurrent_moves_never_make_a_cycle),
        cmocka_unit_test_setup_teardown(deleting_a_category_asks_what_happens, setup, teardown),
        cmocka_unit_test_setup_teardown(product_validation_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(photo_replacement_forgets_the_telegram_file_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(product_list_filters_sorts_and_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(bulk_delete_keeps_order_history, setup, teardown),
        cmocka_unit_test_setup_teardown(search_uses_the_index_and_keeps_in_step, setup, teardown),
        cmocka_unit_test_setup_teardown(search_cache_follows_every_change, setup, teardown),
        cmocka_unit_test_setup_teardown(customers_list_search_and_ban, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
