/* The admin panel's shop sections over real sockets (libcurl as the browser), on SQLite and
 * PostgreSQL: customers, categories, products, FAQ, channels and mailings — lists, forms
 * with their validation messages, and every action. */
#define _XOPEN_SOURCE 700 /* nftw */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <ftw.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "db/migrate.h"
#include "http_client.h"
#include "shop/admin_user.h"
#include "shop/catalog.h"
#include "shop/customer.h"
#include "testdb.h"
#include "sandbox/sandbox.h"
#include "web/web.h"

static const char *backend;
static struct db *db;
static struct web *web;
static struct test_client browser;
static struct test_response resp;
static char *db_url;

static const char PASSWORD[] = "Correct-horse-7";
static char media_dir[256];

static int setup(void **state)
{
    (void)state;
    db_url = strdup(testdb_new_url(backend));
    struct buf err = BUF_INIT;
    if (db_open(&db, db_url, &err) || migrate_apply(db, NULL, &err))
        fail_msg("database: %s", err.data);
    assert_int_equal(admin_user_create(db, "clerk", PASSWORD, false, NULL, &err), 0);
    snprintf(media_dir, sizeof media_dir, "%s/tgshop-media.XXXXXX", testdb_state_dir());
    if (!mkdtemp(media_dir))
        fail_msg("mkdtemp %s", media_dir);
    struct web_options opt = {
        .database_url = db_url,
        .currency = "RUB",
        .media_dir = media_dir,
        .db_connections = 2,
    };
    if (web_start(&web, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    test_client_init(&browser, web_url(web));
    return 0;
}

static struct sandbox *sandbox;
static const char BOT_TOKEN[] = "777000:sandbox-secret";

/* The panel with Telegram: an in-process sandbox as the Bot API. */
static int setup_telegram(void **state)
{
    (void)state;
    struct buf err = BUF_INIT;
    if (sandbox_start(&sandbox, &(struct sandbox_options){.bot_token = BOT_TOKEN}, &err))
        fail_msg("sandbox: %s", err.data);
    db_url = strdup(testdb_new_url(backend));
    if (db_open(&db, db_url, &err) || migrate_apply(db, NULL, &err))
        fail_msg("database: %s", err.data);
    assert_int_equal(admin_user_create(db, "clerk", PASSWORD, false, NULL, &err), 0);
    struct web_options opt = {.database_url = db_url,
                              .currency = "RUB",
                              .telegram_api_url = sandbox_url(sandbox),
                              .bot_token = BOT_TOKEN,
                              .db_connections = 2};
    if (web_start(&web, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    test_client_init(&browser, web_url(web));
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
    (void)st;
    (void)type;
    (void)ftw;
    return remove(path);
}

static int teardown(void **state)
{
    (void)state;
    test_response_release(&resp);
    test_client_release(&browser);
    web_stop(web);
    db_close(db);
    free(db_url);
    sandbox_stop(sandbox);
    sandbox = NULL;
    if (media_dir[0])
        nftw(media_dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
    media_dir[0] = '\0';
    testdb_cleanup();
    return 0;
}

static void contains(const char *text)
{
    if (!strstr(resp.body.data, text))
        fail_msg("the page lacks \"%s\":\n%.4000s", text,
                 strstr(resp.body.data, "<h1>") ? strstr(resp.body.data, "<h1>") : resp.body.data);
}

static void lacks(const char *text)
{
    if (strstr(resp.body.data, text))
        fail_msg("the page has \"%s\"", text);
}

/* The CSRF token of the last page's forms. */
static const char *csrf(void)
{
    static char token[64];
    const char *at = strstr(resp.body.data, "name=\"csrf\" value=\"");
    assert_non_null(at);
    at += strlen("name=\"csrf\" value=\"");
    size_t n = strcspn(at, "\"");
    assert_true(n < sizeof token);
    memcpy(token, at, n);
    token[n] = '\0';
    return token;
}

static void sign_in(void)
{
    test_client_clear_cookies(&browser);
    assert_int_equal(test_get(&browser, &resp, "/login"), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s&username=clerk&password=%s", csrf(), PASSWORD);
    assert_int_equal(test_post_form(&browser, &resp, "/login", form.data), 303);
    buf_release(&form);
}

/* POSTs form (urlencoded, without the token) to path with the token of the page at from;
 * returns the status, and follows a redirect to show the page it leads to. */
static long post(const char *from, const char *path, const char *form)
{
    assert_int_equal(test_get(&browser, &resp, from), 200);
    struct buf body = BUF_INIT;
    buf_addf(&body, "csrf=%s%s%s", csrf(), *form ? "&" : "", form);
    long status = test_post_form(&browser, &resp, path, body.data);
    buf_release(&body);
    if (status == 303) {
        char location[256];
        snprintf(location, sizeof location, "%s", test_header(&resp, "Location"));
        assert_int_equal(test_get(&browser, &resp, location), 200);
    }
    return status;
}

static int64_t query_int(const char *sql, int64_t arg)
{
    int64_t v = -1;
    if (db_query_int(db, &v, sql, DB_INT(arg)))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return v;
}

static void customers_list_filter_and_ban(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct tg_profile people[] = {{7001, "annie", "Анна", "Каренина", "ru"},
                                  {7002, "bob", "Bob", "<b>Builder</b>", "en"}};
    struct customer c[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(customer_touch(db, &a, &people[i], &c[i]), 0);
    assert_int_equal(db_exec(db,
                             "INSERT INTO orders (customer_id, total, currency, contact_name) "
                             "VALUES (?, 45000, 'RUB', 'Anna')",
                             DB_INT(c[0].id)),
                     0);
    sign_in();
    assert_int_equal(test_get(&browser, &resp, "/customers"), 200);
    contains("Анна Каренина");
    contains("Bob &lt;b&gt;Builder&lt;/b&gt;"); /* escaped */
    contains("1–2 of 2");
    assert_int_equal(test_get(&browser, &resp, "/customers?q=%D0%BA%D0%B0%D1%80%D0%B5%D0%BD"), 200);
    contains("Анна");
    lacks("Bob");
    assert_int_equal(test_get(&browser, &resp, "/customers?language=en&sort=tg_id&dir=desc"), 200);
    contains("Bob");
    lacks("Анна");
    assert_int_equal(test_get(&browser, &resp, "/customers?joined_from=yesterday"), 200);
    contains("Give a date as YYYY-MM-DD.");
    assert_int_equal(
        test_get(&browser, &resp, "/customers?joined_from=2000-01-01&joined_to=2000-12-31"), 200);
    contains("Nothing to show");
    /* the customer's page lists their orders and links to them */
    char path[64];
    snprintf(path, sizeof path, "/customers/%lld", (long long)c[0].id);
    assert_int_equal(test_get(&browser, &resp, path), 200);
    contains("href=\"/orders/");
    contains("450.00 ₽");
    assert_int_equal(test_get(&browser, &resp, "/customers/999999"), 404);
    /* ban asks first, then bans; unban */
    char action[80];
    snprintf(action, sizeof action, "%s/ban", path);
    assert_int_equal(post(path, action, ""), 200);
    contains("The bot will ignore them until unbanned.");
    assert_int_equal(query_int("SELECT is_banned FROM customer WHERE id = ?", c[0].id), 0);
    assert_int_equal(post(path, action, "confirm=yes"), 303);
    contains("The customer is banned.");
    assert_int_equal(query_int("SELECT is_banned FROM customer WHERE id = ?", c[0].id), 1);
    assert_int_equal(test_get(&browser, &resp, "/customers?banned=yes"), 200);
    contains("1–1 of 1");
    snprintf(action, sizeof action, "%s/unban", path);
    assert_int_equal(post(path, action, ""), 303);
    assert_int_equal(query_int("SELECT is_banned FROM customer WHERE id = ?", c[0].id), 0);
    assert_int_equal(query_int("SELECT count(*) FROM audit_log WHERE object_type = 'customer' "
                               "AND object_id = ?",
                               c[0].id),
                     2);
    arena_release(&a);
}

static int64_t category_named(const char *name)
{
    int64_t id = 0;
    if (db_query_int(db, &id, "SELECT id FROM category WHERE name = ?", DB_TEXT(name)))
        fail_msg("no category %s", name);
    return id;
}

static void categories_tree_forms_and_delete(void **state)
{
    (void)state;
    sign_in();
    assert_int_equal(post("/categories/new", "/categories/new", "name=Tea&is_active=1"), 303);
    contains("The category is created.");
    int64_t tea = category_named("Tea");
    char form[256];
    snprintf(form, sizeof form, "name=Green&parent_id=%lld&is_active=1", (long long)tea);
    assert_int_equal(post("/categories/new", "/categories/new", form), 303);
    int64_t green = category_named("Green");
    assert_int_equal(post("/categories/new", "/categories/new", "name=Coffee&is_active=1"), 303);
    assert_int_equal(test_get(&browser, &resp, "/categories"), 200);
    contains("<span class=\"indent\">— </span><a href=\"/categories/");
    /* validation: messages next to the fields, the input kept */
    assert_int_equal(post("/categories/new", "/categories/new", "name=&description=kept+text"),
                     400);
    contains("Name is empty.");
    contains("kept text");
    /* a cycle is refused; the parent list leaves out the subtree */
    char path[64];
    snprintf(path, sizeof path, "/categories/%lld", (long long)tea);
    snprintf(form, sizeof form, "name=Tea&parent_id=%lld&is_active=1", (long long)green);
    assert_int_equal(post(path, path, form), 400);
    contains("A category cannot move into itself or one of its subcategories.");
    assert_int_equal(test_get(&browser, &resp, path), 200);
    snprintf(form, sizeof form, "<option value=\"%lld\"", (long long)green);
    lacks(form);
    /* positions and activation */
    int64_t coffee = category_named("Coffee");
    snprintf(path, sizeof path, "/categories/%lld/move", (long long)coffee);
    assert_int_equal(post("/categories", path, "dir=up"), 303);
    assert_true(strstr(resp.body.data, ">Coffee<") < strstr(resp.body.data, ">Tea<"));
    snprintf(path, sizeof path, "/categories/%lld/active", (long long)coffee);
    assert_int_equal(post("/categories", path, "active=0"), 303);
    contains("hidden from customers");
    assert_int_equal(query_int("SELECT is_active FROM category WHERE id = ?", coffee), 0);
    /* delete: refusing with products and subcategories asks again, saying why */
    struct product p = {.category_id = green, .name = "Sencha", .price = 100, .stock = 1};
    int64_t sencha;
    assert_int_equal(catalog_create_product(db, &p, 0, &sencha), 0);
    snprintf(path, sizeof path, "/categories/%lld/delete", (long long)tea);
    assert_int_equal(test_get(&browser, &resp, path), 200);
    contains("It holds 0 product(s) and 1 subcategorie(s).");
    assert_int_equal(post(path, path, "products=refuse&children=refuse"), 400);
    contains("The category has 1 subcategories: choose what happens to them.");
    snprintf(path, sizeof path, "/categories/%lld/delete", (long long)green);
    assert_int_equal(post(path, path, "products=move&target_id=0"), 400);
    contains("Choose an existing category for the products.");
    snprintf(form, sizeof form, "products=deactivate&target_id=%lld", (long long)coffee);
    assert_int_equal(post(path, path, form), 303);
    contains("The category is deleted.");
    assert_int_equal(query_int("SELECT category_id FROM product WHERE id = ?", sencha), coffee);
    assert_int_equal(query_int("SELECT is_active FROM product WHERE id = ?", sencha), 0);
    assert_int_equal(test_get(&browser, &resp, "/categories/999999/delete"), 404);
}

/* A 1 × 1 PNG. */
static const unsigned char PNG[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0xda, 0x63, 0x64, 0xf8, 0xcf, 0x50, 0x0f, 0x00, 0x03, 0x86, 0x01, 0x80, 0x5a, 0x34,
    0x7d, 0x6b, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

/* POSTs the product form at path as multipart with data as the photo file. */
static long upload(const char *path, const char *data, size_t len)
{
    assert_int_equal(test_get(&browser, &resp, path), 200);
    static const char boundary[] = "tgshopBoundary7";
    struct buf body = BUF_INIT;
    const char *fields[][2] = {{"csrf", csrf()}, {"name", "Sencha"},    {"price", "450.50"},
                               {"stock", "10"},  {"category_id", NULL}, {"is_active", "1"}};
    char category[32];
    int64_t green = 0;
    assert_int_equal(
        db_query_int(db, &green, "SELECT category_id FROM product WHERE name = 'Sencha'"), 0);
    snprintf(category, sizeof category, "%lld", (long long)green);
    fields[4][1] = category;
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
        buf_addf(&body, "--%s\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
                 boundary, fields[i][0], fields[i][1]);
    buf_addf(&body,
             "--%s\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"p.jpg\"\r\n"
             "Content-Type: image/jpeg\r\n\r\n",
             boundary);
    buf_add(&body, data, len);
    buf_addf(&body, "\r\n--%s--\r\n", boundary);
    char type[96];
    snprintf(type, sizeof type, "multipart/form-data; boundary=%s", boundary);
    long status = test_request(&browser, &resp, "POST", path, type, body.data, body.len);
    buf_release(&body);
    return status;
}

static void products_list_form_and_bulk(void **state)
{
    (void)state;
    int64_t tea = 0, green = 0;
    assert_int_equal(catalog_create_category(db, 0, "Tea", "", 1, &tea), 0);
    assert_int_equal(catalog_create_category(db, tea, "Green", "", 1, &green), 0);
    sign_in();
    char form[512];
    snprintf(form, sizeof form,
             "name=Sencha&price=450.50&stock=10&category_id=%lld&is_active=1&description=Fresh",
             (long long)green);
    assert_int_equal(post("/products/new", "/products/new", form), 303);
    contains("The product is created.");
    assert_int_equal(query_int("SELECT price FROM product WHERE stock = ?", 10), 45050);
    /* every validation error comes back next to its field with the input kept */
    struct {
        const char *form, *message;
    } bad[] = {
        {"name=&price=1&stock=1", "Name is empty."},
        {"name=X&price=abc&stock=1", "Give the price as a number like 1290.50."},
        {"name=X&price=1.234&stock=1", "Give the price as a number like 1290.50."},
        {"name=X&price=99999999999&stock=1", "The price must be between 0 and 1000000000000."},
        {"name=X&price=1&stock=-1", "The stock must be between 0 and 1000000000."},
        {"name=X&price=1&stock=many", "The stock must be a whole number."},
        {"name=X&price=1&stock=1&category_id=999999", "Choose an existing category."},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char body[256];
        /* the last value of a field counts: the case's own category_id wins */
        snprintf(body, sizeof body, "category_id=%lld&%s", (long long)green, bad[i].form);
        assert_int_equal(post("/products/new", "/products/new", body), 400);
        contains(bad[i].message);
    }
    assert_int_equal(post("/products/new", "/products/new",
                          "name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&price=oops&stock=1"),
                     400);
    contains("value=\"&lt;script&gt;alert(1)&lt;/script&gt;\"");
    lacks("<script>alert(1)");
    for (int i = 0; i < 3; i++) {
        snprintf(form, sizeof form, "name=Oolong+%d&price=%d&stock=%d&category_id=%lld&is_active=1",
                 i, 100 + i, i, (long long)tea);
        assert_int_equal(post("/products/new", "/products/new", form), 303);
    }
    /* list: search, category with subcategories, filters, sort */
    assert_int_equal(test_get(&browser, &resp, "/products?q=OOLONG&sort=price&dir=desc"), 200);
    contains("1–3 of 3");
    assert_true(strstr(resp.body.data, "Oolong 2") < strstr(resp.body.data, "Oolong 0"));
    snprintf(form, sizeof form, "/products?category=%lld", (long long)tea);
    assert_int_equal(test_get(&browser, &resp, form), 200);
    contains("1–4 of 4");
    assert_int_equal(test_get(&browser, &resp, "/products?in_stock=no"), 200);
    contains("1–1 of 1");
    contains("Oolong 0");
    /* edit keeps and shows the values */
    int64_t sencha = 0;
    assert_int_equal(db_query_int(db, &sencha, "SELECT id FROM product WHERE name = 'Sencha'"), 0);
    struct arena a;
    arena_init(&a, 0);
    struct listing_problem why;
    char photo[512];
    snprintf(photo, sizeof photo, "%s/p/s 1.jpg", media_dir);
    assert_int_equal(catalog_product_set_photo(db, &a, sencha, photo, NULL, &why), 0);
    arena_release(&a);
    char path[64];
    snprintf(path, sizeof path, "/products/%lld", (long long)sencha);
    assert_int_equal(test_get(&browser, &resp, path), 200);
    contains("value=\"450.50\"");
    contains("src=\"/media/p/s%201.jpg\"");
    assert_int_equal(test_get(&browser, &resp, "/products"), 200);
    contains("class=\"thumb\" src=\"/media/p/s%201.jpg\"");
    assert_int_equal(test_get(&browser, &resp, "/products/999999"), 404);
    /* a photo upload: checked by content, stored re-encoded, the cached file_id forgotten */
    assert_int_equal(catalog_set_photo_file_id(db, sencha, "AgAD-old"), 0);
    assert_int_equal(upload(path, "not a picture", 13), 400);
    contains("Not stored: ");
    contains("value=\"Sencha\""); /* the input kept */
    assert_int_equal(upload(path, (const char *)PNG, sizeof PNG), 303);
    arena_init(&a, 0);
    struct product got;
    assert_int_equal(catalog_product_get(db, &a, sencha, &got), 0);
    assert_true(strncmp(got.photo_path, media_dir, strlen(media_dir)) == 0);
    assert_non_null(strstr(got.photo_path, "/products/"));
    assert_null(got.photo_file_id);
    FILE *stored = fopen(got.photo_path, "rb");
    assert_non_null(stored);
    unsigned char magic[3] = {0};
    assert_int_equal(fread(magic, 1, 3, stored), 3);
    fclose(stored);
    assert_memory_equal(magic, "\xff\xd8\xff", 3); /* re-encoded as JPEG */
    arena_release(&a);
    /* bulk actions */
    snprintf(form, sizeof form, "action=deactivate&id=%lld", (long long)sencha);
    assert_int_equal(post("/products", "/products/bulk", form), 303);
    contains("1 product(s) changed.");
    assert_int_equal(query_int("SELECT is_active FROM product WHERE id = ?", sencha), 0);
    snprintf(form, sizeof form, "action=delete&id=%lld", (long long)sencha);
    assert_int_equal(post("/products", "/products/bulk", form), 200);
    contains("Delete 1 product(s)?");
    snprintf(form, sizeof form, "action=delete&id=%lld&confirm=yes", (long long)sencha);
    assert_int_equal(post("/products", "/products/bulk", form), 303);
    assert_int_equal(query_int("SELECT count(*) FROM product WHERE id = ?", sencha), 0);
    assert_int_equal(post("/products", "/products/bulk", "action=delete"), 303);
    contains("Tick the products first.");
}

static int64_t id_of(const char *sql)
{
    int64_t id = 0;
    if (db_query_int(db, &id, sql))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return id;
}

static void exec_sql(const char *sql, int64_t id)
{
    if (db_exec(db, sql, DB_INT(id)))
        fail_msg("%s: %s", sql, db_errmsg(db));
}

/* The product list keeps the category options and counts products between requests; a change
 * made elsewhere (here: plain SQL on the test's own connection, as another process would)
 * shows on the next page. */
static void product_list_follows_changes_made_elsewhere(void **state)
{
    (void)state;
    int64_t tea = 0, green = 0;
    assert_int_equal(catalog_create_category(db, 0, "Tea", "", 1, &tea), 0);
    assert_int_equal(catalog_create_category(db, tea, "Green", "", 1, &green), 0);
    exec_sql("INSERT INTO product (category_id, name, price, stock) VALUES (?, 'Sencha', 1, 1)",
             green);
    sign_in();
    assert_int_equal(test_get(&browser, &resp, "/products"), 200);
    contains(">Tea</option>");
    contains(">— Green</option>");
    contains("1–1 of 1");
    exec_sql("UPDATE category SET name = 'Black' WHERE id = ?", tea);
    exec_sql("INSERT INTO product (category_id, name, price, stock) VALUES (?, 'Gyokuro', 1, 1)",
             green);
    assert_int_equal(test_get(&browser, &resp, "/products"), 200);
    contains(">Black</option>");
    lacks(">Tea</option>");
    contains("1–2 of 2");
    /* a selected category is marked on its own page only */
    char path[64], option[64];
    snprintf(path, sizeof path, "/products?category=%lld", (long long)green);
    snprintf(option, sizeof option, "<option value=\"%lld\" selected>", (long long)green);
    assert_int_equal(test_get(&browser, &resp, path), 200);
    contains(option);
    assert_int_equal(test_get(&browser, &resp, "/products"), 200);
    lacks(option);
    exec_sql("DELETE FROM product WHERE category_id = ?", green);
    exec_sql("DELETE FROM category WHERE id = ?", green);
    exec_sql("INSERT INTO category (parent_id, name) VALUES (?, 'Oolong')", tea);
    assert_int_equal(test_get(&browser, &resp, "/products"), 200);
    lacks("Green</option>");
    contains(">— Oolong</option>");
    contains("Nothing to show");
}

static void faq_pages(void **state)
{
    (void)state;
    sign_in();
    assert_int_equal(
        post("/faq/new", "/faq/new", "question=How+to+pay%3F&answer=Stars&is_active=1"), 303);
    contains("The question is added.");
    assert_int_equal(post("/faq/new", "/faq/new", "question=Delivery%3F&answer=Soon"), 303);
    contains("hidden");
    assert_int_equal(post("/faq/new", "/faq/new", "question=&answer=kept+answer"), 400);
    contains("Question is empty.");
    contains("kept answer");
    int64_t delivery = id_of("SELECT id FROM faq WHERE question = 'Delivery?'");
    char path[64];
    snprintf(path, sizeof path, "/faq/%lld/move", (long long)delivery);
    assert_int_equal(post("/faq", path, "dir=up"), 303);
    assert_true(strstr(resp.body.data, "Delivery?") < strstr(resp.body.data, "How to pay?"));
    snprintf(path, sizeof path, "/faq/%lld/active", (long long)delivery);
    assert_int_equal(post("/faq", path, "active=1"), 303);
    contains("The question is shown in the bot.");
    snprintf(path, sizeof path, "/faq/%lld", (long long)delivery);
    assert_int_equal(post(path, path, "question=Delivery+times%3F&answer=2-5+days&is_active=1"),
                     303);
    assert_int_equal(test_get(&browser, &resp, "/faq"), 200);
    contains("Delivery times?");
    snprintf(path, sizeof path, "/faq/%lld/delete", (long long)delivery);
    assert_int_equal(post("/faq", path, ""), 200);
    contains("Delete this question?");
    assert_int_equal(post("/faq", path, "confirm=yes"), 303);
    lacks("Delivery times?");
    assert_int_equal(test_get(&browser, &resp, "/faq/999999"), 404);
}

static void channel_pages(void **state)
{
    (void)state;
    sign_in();
    assert_int_equal(
        post("/channels/new", "/channels/new", "chat_ref=%40tea_news&title=Tea+news&is_active=1"),
        303);
    contains("The channel is added.");
    struct {
        const char *form, *message;
    } bad[] = {
        {"chat_ref=tea&title=T", "Give the channel&#39;s chat id (-100...) or its @username"},
        {"chat_ref=%40tea_news&title=Again", "This channel is in the list already."},
        {"chat_ref=%40other_news&title=", "Title is empty."},
        {"chat_ref=-1001234&title=Club", "A channel named by its chat id needs an invite link."},
        {"chat_ref=-1001234&title=Club&invite_link=javascript%3Ax",
         "The invite link must be a https://t.me/... address."},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        assert_int_equal(post("/channels/new", "/channels/new", bad[i].form), 400);
        contains(bad[i].message);
    }
    int64_t id = id_of("SELECT id FROM channel WHERE chat_ref = '@tea_news'");
    char path[64];
    snprintf(path, sizeof path, "/channels/%lld/check", (long long)id);
    assert_int_equal(post("/channels", path, ""), 303);
    contains("Telegram is not configured here (no bot token).");
    snprintf(path, sizeof path, "/channels/%lld/active", (long long)id);
    assert_int_equal(post("/channels", path, "active=0"), 303);
    contains("The channel is no longer required.");
    snprintf(path, sizeof path, "/channels/%lld", (long long)id);
    assert_int_equal(post(path, path,
                          "chat_ref=%40tea_news&title=Tea+%26+news&invite_link="
                          "https%3A%2F%2Ft.me%2Ftea_news"),
                     303);
    contains("Tea &amp; news");
    snprintf(path, sizeof path, "/channels/%lld/delete", (long long)id);
    assert_int_equal(post("/channels", path, "confirm=yes"), 303);
    contains("No mandatory channels");
}

static void mailing_pages(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct tg_profile people[] = {{8001, NULL, "Ann", NULL, "ru"}, {8002, NULL, "Bob", NULL, "en"}};
    struct customer c;
    for (int i = 0; i < 2; i++)
        assert_int_equal(customer_touch(db, &a, &people[i], &c), 0);
    arena_release(&a);
    sign_in();
    /* validation with Telegram's parser, the input kept */
    assert_int_equal(post("/mailings/new", "/mailings/new", "text=%3Cb%3ESale&audience=all"), 400);
    contains("The text: can&#39;t parse entities: Can&#39;t find end tag corresponding to start "
             "tag &quot;b&quot;.");
    contains("&lt;b&gt;Sale</textarea>");
    assert_int_equal(
        post("/mailings/new", "/mailings/new", "text=Hi&audience=all&button_text=Shop"), 400);
    contains("Give both the button&#39;s text and its address, or neither.");
    assert_int_equal(post("/mailings/new", "/mailings/new", "text=Hi&audience=everyone"), 400);
    contains("Choose who receives the mailing.");
    assert_int_equal(
        post("/mailings/new", "/mailings/new", "text=Hi&audience=buyers&ordered_from=soon"), 400);
    contains("Give a date as YYYY-MM-DD.");
    /* a draft, its preview and audience */
    assert_int_equal(post("/mailings/new", "/mailings/new",
                          "text=%3Cb%3ESale%3C%2Fb%3E+today&audience=all&language=ru&button_text="
                          "Open&button_url=https%3A%2F%2Ft.me%2Fshop_bot"),
                     303);
    contains("The draft is saved.");
    contains("&lt;b&gt;Sale&lt;/b&gt; today"); /* the source */
    contains("<div class=\"preview\"><span class=\"fmt-b\">Sale</span><span class=\"\"> "
             "today</span></div>");
    contains("<strong>1</strong> customer(s) now.");
    contains("href=\"https://t.me/shop_bot\"");
    int64_t id = id_of("SELECT max(id) FROM mailing");
    char path[64], from[64];
    snprintf(from, sizeof from, "/mailings/%lld", (long long)id);
    snprintf(path, sizeof path, "/mailings/%lld/test", (long long)id);
    assert_int_equal(post(from, path, "tg_id=8001"), 303);
    contains("Telegram is not configured here (no bot token).");
    assert_int_equal(post(from, path, "tg_id=me"), 303);
    contains("Give your Telegram id");
    /* the preview maps formats to classes and never lets markup through */
    snprintf(path, sizeof path, "/mailings/%lld/edit", (long long)id);
    assert_int_equal(post(path, path,
                          "text=%3Ci%3E%3Ca+href%3D%22javascript%3Aalert(1)%22%3Ex%3C%2Fa%3E+%3Ca+"
                          "href%3D%22https%3A%2F%2Fa.b%2F%22%3Elink%3C%2Fa%3E%3C%2Fi%3E+%26lt%3B"
                          "script%26gt%3B&audience=all"),
                     303);
    contains("<span class=\"fmt-i fmt-link\">x</span><span class=\"fmt-i\"> </span><a "
             "class=\"fmt-i fmt-link\" href=\"https://a.b/\"");
    contains("<span class=\"\"> &lt;script&gt;</span>");
    lacks("javascript:alert(1)\"");
    /* edit, then send at a time in the past: refused; now: scheduled */
    snprintf(path, sizeof path, "/mailings/%lld/edit", (long long)id);
    assert_int_equal(post(path, path, "text=Hello&audience=all"), 303);
    contains("<strong>2</strong> customer(s) now.");
    snprintf(path, sizeof path, "/mailings/%lld/schedule", (long long)id);
    assert_int_equal(post(from, path, "at=2001-01-01T10%3A00"), 303);
    contains("The time to send lies in the past.");
    assert_int_equal(post(from, path, "at=tomorrow"), 303);
    contains("Give the time as YYYY-MM-DDTHH:MM (UTC).");
    assert_int_equal(post(from, path, "now=1"), 303);
    contains("The mailing is queued to be sent now.");
    contains("<span data-count=\"sent\">0</span> sent · <span data-count=\"failed\">0</span> "
             "failed · <span data-count=\"blocked\">0</span> blocked · <span "
             "data-count=\"pending\">2</span> pending of <span data-count=\"total\">2</span>");
    contains("<span class=\"badge\">scheduled</span>");
    assert_int_equal(query_int("SELECT total_count FROM mailing WHERE id = ?", id), 2);
    /* a scheduled mailing is not edited; back to draft, then cancel */
    snprintf(path, sizeof path, "/mailings/%lld/edit", (long long)id);
    assert_int_equal(post(from, path, "text=Changed&audience=all"), 409);
    snprintf(path, sizeof path, "/mailings/%lld/unschedule", (long long)id);
    assert_int_equal(post(from, path, ""), 303);
    contains("The mailing is a draft again.");
    snprintf(path, sizeof path, "/mailings/%lld/cancel", (long long)id);
    assert_int_equal(post(from, path, "confirm=yes"), 303);
    contains("The mailing is cancelled.");
    assert_int_equal(test_get(&browser, &resp, "/mailings"), 200);
    contains("<span class=\"badge\">cancelled</span>");
    contains("pending of <span data-count=\"total\">0</span>"); /* back to draft forgot it */
    snprintf(path, sizeof path, "/mailings/%lld/delete", (long long)id);
    assert_int_equal(post(from, path, "confirm=yes"), 303);
    contains("The mailing is deleted.");
    assert_int_equal(test_get(&browser, &resp, from), 404);
}

/* Calls the sandbox's user API; returns its JSON answer (static, until the next call). */
static const char *sandbox_call(const char *method, const char *path, const char *body)
{
    static struct buf out;
    buf_reset(&out);
    int status = sandbox_user_api(sandbox, method, path, body, &out);
    if (status != 200)
        fail_msg("sandbox %s %s: %d %s", method, path, status, out.data);
    return out.data;
}

static void telegram_check_and_test_message(void **state)
{
    (void)state;
    sandbox_call("POST", "/sandbox/api/channels",
                 "{\"title\":\"News\",\"username\":\"shop_news\"}");
    sandbox_call("POST", "/sandbox/api/channels",
                 "{\"title\":\"Quiet\",\"username\":\"quiet_news\",\"bot_status\":\"member\"}");
    sandbox_call("POST", "/sandbox/api/users",
                 "{\"id\":4242,\"first_name\":\"Me\",\"started\":true}");
    sign_in();
    assert_int_equal(
        post("/channels/new", "/channels/new", "chat_ref=%40shop_news&title=News&is_active=1"),
        303);
    assert_int_equal(post("/channels/new", "/channels/new", "chat_ref=%40quiet_news&title=Quiet"),
                     303);
    assert_int_equal(post("/channels/new", "/channels/new", "chat_ref=%40no_such_chan&title=Gone"),
                     303);
    const char *refs[] = {"@shop_news", "@quiet_news", "@no_such_chan"};
    const char *answers[] = {
        "The bot is an administrator of @shop_news: the check works.",
        "The bot is not an administrator of @quiet_news: make it one, or the bot cannot see who "
        "joined.",
        "Telegram refused the check of @no_such_chan: Bad Request: chat not found."};
    for (int i = 0; i < 3; i++) {
        int64_t id = 0;
        assert_int_equal(
            db_query_int(db, &id, "SELECT id FROM channel WHERE chat_ref = ?", DB_TEXT(refs[i])),
            0);
        char path[64];
        snprintf(path, sizeof path, "/channels/%lld/check", (long long)id);
        assert_int_equal(post("/channels", path, ""), 303);
        contains(answers[i]);
    }
    /* the test message arrives as recipients will get it: formatted, with its button */
    assert_int_equal(post("/mailings/new", "/mailings/new",
                          "text=%3Cb%3EBig%3C%2Fb%3E+sale&audience=all&button_text=Open&button_url="
                          "https%3A%2F%2Ft.me%2Fshop_bot"),
                     303);
    int64_t id = id_of("SELECT max(id) FROM mailing");
    char from[64], path[64];
    snprintf(from, sizeof from, "/mailings/%lld", (long long)id);
    snprintf(path, sizeof path, "/mailings/%lld/test", (long long)id);
    assert_int_equal(post(from, path, "tg_id=4242"), 303);
    contains("The test message is sent: look in your Telegram.");
    const char *chat = sandbox_call("GET", "/sandbox/api/chats/4242", NULL);
    if (!strstr(chat, "\"Big sale\"") || !strstr(chat, "\"bold\"") ||
        !strstr(chat, "https://t.me/shop_bot"))
        fail_msg("the test message is not as sent: %s", chat);
    assert_int_equal(post(from, path, "tg_id=999"), 303);
    contains("Telegram did not take the test message:");
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(customers_list_filter_and_ban, setup, teardown),
        cmocka_unit_test_setup_teardown(categories_tree_forms_and_delete, setup, teardown),
        cmocka_unit_test_setup_teardown(products_list_form_and_bulk, setup, teardown),
        cmocka_unit_test_setup_teardown(product_list_follows_changes_made_elsewhere, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(faq_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(channel_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(mailing_pages, setup, teardown),
        cmocka_unit_test_setup_teardown(telegram_check_and_test_message, setup_telegram, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
