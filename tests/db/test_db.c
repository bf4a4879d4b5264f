/* The storage interface and the schema's constraints, run once per backend. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "db/db.h"
#include "db/migrate.h"
#include "testdb.h"

static const char *backend;

static int setup(void **state)
{
    *state = testdb_open(backend, true);
    return 0;
}

static int teardown(void **state)
{
    db_close(*state);
    return 0;
}

#define EXEC_OK(db, ...)                                                                           \
    do {                                                                                           \
        int rc_ = db_exec(db, __VA_ARGS__);                                                        \
        if (rc_)                                                                                   \
            fail_msg("%s: %s", #__VA_ARGS__, db_errmsg(db));                                       \
    } while (0)

static int64_t insert_id(struct db *db, const char *sql, const struct db_param *p, size_t n)
{
    int64_t id = 0;
    if (db_query_intv(db, &id, sql, p, n))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return id;
}
#define INSERT(db, sql, ...) insert_id(db, sql, DB_ARGS(__VA_ARGS__))

static int64_t count(struct db *db, const char *sql)
{
    int64_t n = -1;
    if (db_query_int(db, &n, sql))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return n;
}

/* {{BLOB}} is a migration placeholder; tests write the real type per backend. */
static const char *blob_type(struct db *db)
{
    return db_kind(db) == DB_POSTGRES ? "BYTEA" : "BLOB";
}

static void values_of_every_type(void **state)
{
    struct db *db = *state;
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE TABLE t (i BIGINT, s TEXT, b %s, n TEXT)", blob_type(db));
    EXEC_OK(db, sql);
    const unsigned char blob[] = {0, 1, 2, 0xff, 0, 'x'};
    const char *text = "Привет, \"мир\" 🛒 ' ; DROP TABLE t; --";
    EXEC_OK(db, "INSERT INTO t (i, s, b, n) VALUES (?, ?, ?, ?)", DB_INT(INT64_MIN), DB_TEXT(text),
            DB_BLOB(blob, sizeof blob), DB_NULL);
    EXEC_OK(db, "INSERT INTO t (i, s, b, n) VALUES (?, ?, ?, ?)", DB_INT(INT64_MAX),
            DB_TEXTN("abcdef", 3), DB_BLOB("", 0), DB_TEXT(NULL));
    assert_int_equal(db_changes(db), 1);

    struct db_rows *rows;
    assert_int_equal(db_query(db, &rows, "SELECT i, s, b, n FROM t ORDER BY i"), 0);
    assert_int_equal(db_columns(rows), 4);
    assert_int_equal(db_next(rows), 1);
    assert_true(db_int(rows, 0) == INT64_MIN);
    assert_string_equal(db_text(rows, 1), text);
    assert_int_equal(db_len(rows, 1), strlen(text));
    size_t len;
    const unsigned char *got = db_blob(rows, 2, &len);
    assert_int_equal(len, sizeof blob);
    assert_memory_equal(got, blob, sizeof blob);
    assert_true(db_is_null(rows, 3));
    assert_null(db_text(rows, 3));
    assert_int_equal(db_next(rows), 1);
    assert_true(db_int(rows, 0) == INT64_MAX);
    assert_string_equal(db_text(rows, 1), "abc");
    got = db_blob(rows, 2, &len);
    assert_non_null(got); /* empty, not NULL */
    assert_int_equal(len, 0);
    assert_false(db_is_null(rows, 2));
    assert_true(db_is_null(rows, 3));
    assert_true(db_is_null(rows, 99)); /* out of range reads as NULL, no crash */
    assert_int_equal(db_next(rows), 0);
    assert_int_equal(db_next(rows), 0);
    db_rows_free(rows);

    /* the injection attempt above was stored as text */
    assert_int_equal(count(db, "SELECT count(*) FROM t"), 2);
    /* booleans read as integers on both */
    int64_t truth = -1;
    assert_int_equal(db_query_int(db, &truth, "SELECT 2 > 1"), 0);
    assert_int_equal(truth, 1);
    assert_int_equal(db_query_int(db, &truth, "SELECT i FROM t WHERE i = 5"), ERR_NOTFOUND);
}

static void misuse_is_refused_alike(void **state)
{
    struct db *db = *state;
    int64_t v;
    assert_int_equal(db_query_int(db, &v, "SELECT ?", DB_INT(1), DB_INT(2)), ERR_INVALID);
    assert_int_equal(db_query_int(db, &v, "SELECT ? + ?", DB_INT(1)), ERR_INVALID);
    assert_int_equal(db_query_int(db, &v, "SELECT '?' = ?", DB_TEXT("?")), 0);
    assert_int_equal(v, 1);
    assert_int_equal(db_query_int(db, &v, "SELECT ?", DB_TEXT("\xff\xfe")), ERR_INVALID);
    assert_int_equal(db_error(db)->kind, DB_E_MISUSE);
    assert_non_null(strstr(db_errmsg(db), "not valid UTF-8"));
    assert_int_equal(db_query_int(db, &v, "SELECT ?", DB_TEXTN("a\0b", 3)), ERR_INVALID);
    assert_int_equal(db_exec(db, "SELEC nonsense"), ERR_DB);
    assert_int_equal(db_error(db)->kind, DB_E_OTHER);
    assert_int_equal(db_exec(db, "SELECT * FROM no_such_table"), ERR_DB);
    assert_int_equal(db_commit(db), ERR_INVALID); /* no transaction */
    assert_int_equal(db_rollback(db), ERR_INVALID);
    /* after all that the connection works */
    assert_int_equal(db_query_int(db, &v, "SELECT ?", DB_INT(7)), 0);
    assert_int_equal(v, 7);
}

/* Fixtures for the constraint tests: one of everything, returning the ids. */
struct ids {
    int64_t customer, category, product, order;
};

static struct ids seed(struct db *db)
{
    struct ids ids;
    ids.customer = INSERT(db, "INSERT INTO customer (tg_id, first_name) VALUES (?, ?) RETURNING id",
                          DB_INT(1001), DB_TEXT("Ann"));
    ids.category =
        INSERT(db, "INSERT INTO category (name) VALUES (?) RETURNING id", DB_TEXT("Tea"));
    ids.product = INSERT(db,
                         "INSERT INTO product (category_id, name, price, stock) "
                         "VALUES (?, ?, ?, ?) RETURNING id",
                         DB_INT(ids.category), DB_TEXT("Green tea"), DB_INT(45000), DB_INT(10));
    ids.order = INSERT(db,
                       "INSERT INTO orders (customer_id, total, currency) VALUES (?, ?, ?) "
                       "RETURNING id",
                       DB_INT(ids.customer), DB_INT(45000), DB_TEXT("XTR"));
    return ids;
}

struct violation {
    const char *what;
    const char *sql;
    enum db_error_kind kind;
    const char *sqlstate;
};

static void every_constraint_rejects_bad_data(void **state)
{
    struct db *db = *state;
    struct ids ids = seed(db);
    EXEC_OK(db, "INSERT INTO admin_user (username, password_hash) VALUES ('boss', '$argon2id$v')");
    EXEC_OK(db, "INSERT INTO channel (chat_ref, title) VALUES ('@news', 'News')");
    EXEC_OK(db, "INSERT INTO mailing (text) VALUES ('hi')");
    EXEC_OK(db, "INSERT INTO mailing_delivery (mailing_id, customer_id) VALUES (1, 1)");
    EXEC_OK(db, "UPDATE orders SET telegram_payment_charge_id = 'ch_1', status = 'paid'");
    EXEC_OK(db, "INSERT INTO cart_item (customer_id, product_id, quantity, price_at_add) "
                "VALUES (1, 1, 1, 45000)");
    EXEC_OK(db, "INSERT INTO job (queue, kind, unique_key) VALUES ('default', 'x', 'k1')");
    (void)ids;
    static const struct violation cases[] = {
        {"negative stock", "UPDATE product SET stock = -1", DB_E_CHECK, "23514"},
        {"stock taken below zero", "UPDATE product SET stock = stock - 11", DB_E_CHECK, "23514"},
        {"negative price", "UPDATE product SET price = -5", DB_E_CHECK, "23514"},
        {"absurd price (sums could overflow)", "UPDATE product SET price = 1000000000001",
         DB_E_CHECK, "23514"},
        {"absurd cart quantity", "UPDATE cart_item SET quantity = 1000", DB_E_CHECK, "23514"},
        {"empty product name", "UPDATE product SET name = ''", DB_E_CHECK, "23514"},
        {"product in no category",
         "INSERT INTO product (category_id, name, price) VALUES (999, 'x', 1)", DB_E_FOREIGN_KEY,
         "23503"},
        {"product without price", "INSERT INTO product (category_id, name) VALUES (1, 'x')",
         DB_E_NOT_NULL, "23502"},
        {"zero quantity in cart", "UPDATE cart_item SET quantity = 0", DB_E_CHECK, "23514"},
        {"same product twice in a cart",
         "INSERT INTO cart_item (customer_id, product_id, quantity, price_at_add) VALUES (1, 1, 2, "
         "1)",
         DB_E_UNIQUE, "23505"},
        {"negative order item quantity",
         "INSERT INTO order_item (order_id, name, price, quantity) VALUES (1, 'x', 1, -1)",
         DB_E_CHECK, "23514"},
        {"unknown order status", "UPDATE orders SET status = 'lost'", DB_E_CHECK, "23514"},
        {"paid without a charge", "UPDATE orders SET telegram_payment_charge_id = NULL", DB_E_CHECK,
         "23514"},
        {"payment applied twice",
         "INSERT INTO orders (customer_id, total, currency, telegram_payment_charge_id) "
         "VALUES (1, 1, 'XTR', 'ch_1')",
         DB_E_UNIQUE, "23505"},
        {"negative total", "UPDATE orders SET total = -1", DB_E_CHECK, "23514"},
        {"bad currency", "UPDATE orders SET currency = 'RUBLES'", DB_E_CHECK, "23514"},
        {"customer twice", "INSERT INTO customer (tg_id) VALUES (1001)", DB_E_UNIQUE, "23505"},
        {"deleting a customer with orders", "DELETE FROM customer", DB_E_FOREIGN_KEY, "23503"},
        {"deleting a category with products", "DELETE FROM category", DB_E_FOREIGN_KEY, "23503"},
        {"category its own parent", "UPDATE category SET parent_id = id", DB_E_CHECK, "23514"},
        {"username differing in case",
         "INSERT INTO admin_user (username, password_hash) VALUES ('BOSS', '$argon2id$w')",
         DB_E_UNIQUE, "23505"},
        {"plain-text password", "UPDATE admin_user SET password_hash = 'hunter2'", DB_E_CHECK,
         "23514"},
        {"channel twice", "INSERT INTO channel (chat_ref, title) VALUES ('@news', 'Again')",
         DB_E_UNIQUE, "23505"},
        {"unknown mailing status", "UPDATE mailing SET status = 'sent'", DB_E_CHECK, "23514"},
        {"scheduled without a time", "UPDATE mailing SET status = 'scheduled'", DB_E_CHECK,
         "23514"},
        {"button text without url", "UPDATE mailing SET button_text = 'Go'", DB_E_CHECK, "23514"},
        {"negative mailing counter", "UPDATE mailing SET sent_count = -1", DB_E_CHECK, "23514"},
        {"second delivery to one recipient",
         "INSERT INTO mailing_delivery (mailing_id, customer_id) VALUES (1, 1)", DB_E_UNIQUE,
         "23505"},
        {"unknown delivery status", "UPDATE mailing_delivery SET status = 'lost'", DB_E_CHECK,
         "23514"},
        {"unknown queue", "INSERT INTO job (queue, kind) VALUES ('celery', 'x')", DB_E_CHECK,
         "23514"},
        {"unknown job status", "UPDATE job SET status = 'zombie'", DB_E_CHECK, "23514"},
        {"same job key twice",
         "INSERT INTO job (queue, kind, unique_key) VALUES ('default', 'x', 'k1')", DB_E_UNIQUE,
         "23505"},
        {"update processed twice", "INSERT INTO processed_update (update_id) VALUES (5), (5)",
         DB_E_UNIQUE, "23505"},
        {"flag outside 0/1", "UPDATE customer SET is_banned = 2", DB_E_CHECK, "23514"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int rc = db_exec(db, cases[i].sql);
        if (rc != ERR_CONFLICT || db_error(db)->kind != cases[i].kind ||
            strcmp(db_error(db)->sqlstate, cases[i].sqlstate))
            fail_msg("%s: expected %s, got rc %d kind %d sqlstate %s: %s", cases[i].what,
                     cases[i].sqlstate, rc, db_error(db)->kind, db_error(db)->sqlstate,
                     db_errmsg(db));
    }
    /* nothing of the bad data got in */
    assert_int_equal(count(db, "SELECT stock FROM product"), 10);
    assert_int_equal(count(db, "SELECT count(*) FROM customer"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM processed_update"), 0);
}

static void reservation_never_goes_negative(void **state)
{
    struct db *db = *state;
    struct ids ids = seed(db);
    int reserved = 0;
    for (int i = 0; i < 7; i++) {
        EXEC_OK(db, "UPDATE product SET stock = stock - ? WHERE id = ? AND stock >= ?", DB_INT(3),
                DB_INT(ids.product), DB_INT(3));
        reserved += (int)db_changes(db);
    }
    assert_int_equal(reserved, 3); /* 10 units: three orders of 3 */
    assert_int_equal(count(db, "SELECT stock FROM product"), 1);
}

static void rollback_discards_and_commit_keeps(void **state)
{
    struct db *db = *state;
    seed(db);
    assert_int_equal(db_begin(db), 0);
    assert_true(db_in_transaction(db));
    assert_int_equal(db_begin(db), ERR_INVALID); /* not nested */
    EXEC_OK(db, "UPDATE product SET stock = 3");
    EXEC_OK(db, "INSERT INTO faq (question, answer) VALUES ('Q?', 'A.')");
    assert_int_equal(db_rollback(db), 0);
    assert_false(db_in_transaction(db));
    assert_int_equal(count(db, "SELECT stock FROM product"), 10);
    assert_int_equal(count(db, "SELECT count(*) FROM faq"), 0);

    assert_int_equal(db_begin(db), 0);
    EXEC_OK(db, "UPDATE product SET stock = 4");
    assert_int_equal(db_commit(db), 0);
    assert_int_equal(count(db, "SELECT stock FROM product"), 4);
}

static void a_failed_statement_dooms_the_transaction(void **state)
{
    struct db *db = *state;
    seed(db);
    assert_int_equal(db_begin(db), 0);
    EXEC_OK(db, "UPDATE product SET stock = 2");
    assert_int_equal(db_exec(db, "UPDATE product SET stock = -1"), ERR_CONFLICT);
    /* the same on both backends: nothing more runs, commit rolls back */
    assert_int_equal(db_exec(db, "UPDATE product SET stock = 5"), ERR_DB);
    assert_int_equal(db_error(db)->kind, DB_E_TX_ABORTED);
    assert_int_equal(db_commit(db), ERR_DB);
    assert_false(db_in_transaction(db));
    assert_int_equal(count(db, "SELECT stock FROM product"), 10);
    /* the connection is healthy, not left in a failed transaction */
    EXEC_OK(db, "UPDATE product SET stock = 6");
    assert_int_equal(count(db, "SELECT stock FROM product"), 6);
}

static int reserve_two(struct db *db, void *ctx)
{
    int *calls = ctx;
    (*calls)++;
    int rc = db_exec(db, "UPDATE product SET stock = stock - 2 WHERE id = 1 AND stock >= 2");
    if (rc)
        return rc;
    if (db_changes(db) == 0)
        return ERR_CONFLICT; /* out of stock: a domain failure, not retried */
    return db_exec(db, "INSERT INTO order_item (order_id, name, price, quantity) "
                       "VALUES (1, 'Green tea', 45000, 2)");
}

static void transaction_helper_commits_or_rolls_back(void **state)
{
    struct db *db = *state;
    seed(db);
    EXEC_OK(db, "UPDATE product SET stock = 3");
    int calls = 0;
    assert_int_equal(db_transaction(db, reserve_two, &calls), 0);
    assert_int_equal(db_transaction(db, reserve_two, &calls), ERR_CONFLICT);
    assert_int_equal(calls, 2);
    assert_int_equal(count(db, "SELECT stock FROM product"), 1);
    assert_int_equal(count(db, "SELECT count(*) FROM order_item"), 1);
}

static void migrations_are_idempotent_and_listed(void **state)
{
    struct db *db = *state;
    struct buf err = BUF_INIT;
    int applied = -1;
    assert_int_equal(migrate_apply(db, &applied, &err), 0);
    assert_int_equal(applied, 0);
    int n = migrate_count();
    assert_true(n >= 1);
    assert_int_equal(count(db, "SELECT count(*) FROM schema_migrations"), n);
    struct migration_status list[64];
    assert_true(n <= 64);
    assert_int_equal(migrate_status(db, list, &err), 0);
    for (int i = 0; i < n; i++) {
        assert_true(list[i].applied);
        assert_true(list[i].applied_at > 1700000000);
    }
    assert_int_equal(list[0].version, 1);
    /* every table of DESIGN §6 exists */
    static const char *const tables[] = {
        "admin_user", "admin_session",    "customer", "category",  "product", "cart_item",
        "orders",     "order_item",       "faq",      "channel",   "mailing", "mailing_delivery",
        "fsm_state",  "processed_update", "job",      "audit_log",
    };
    for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) {
        char sql[96];
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", tables[i]);
        int64_t rows = -1;
        if (db_query_int(db, &rows, sql))
            fail_msg("table %s: %s", tables[i], db_errmsg(db));
        assert_int_equal(rows, 0);
    }
    buf_release(&err);
}

static void fresh_database_lists_pending(void **state)
{
    (void)state;
    struct db *db = testdb_open(backend, false);
    struct migration_status list[64];
    struct buf err = BUF_INIT;
    assert_int_equal(migrate_status(db, list, &err), 0);
    assert_false(list[0].applied);
    int applied = 0;
    assert_int_equal(migrate_apply(db, &applied, &err), 0);
    assert_int_equal(applied, migrate_count());
    db_close(db);
    buf_release(&err);
}

/* A migration merged from a parallel branch can be numbered below one already applied, and a
 * database may record a version this binary does not know: the missing one is still applied. */
static void a_missing_lower_migration_is_applied(void **state)
{
    struct db *db = *state;
    struct buf err = BUF_INIT;
    assert_int_equal(db_exec(db, "DROP TABLE update_inbox"), 0);
    assert_int_equal(db_exec(db, "DELETE FROM schema_migrations WHERE version = 6"), 0);
    assert_int_equal(db_exec(db, "INSERT INTO schema_migrations (version, name, applied_at) "
                                 "VALUES (9999, '9999_from_elsewhere.sql', 0)"),
                     0);
    int applied = -1;
    assert_int_equal(migrate_apply(db, &applied, &err), 0);
    assert_int_equal(applied, 1);
    assert_int_equal(count(db, "SELECT count(*) FROM update_inbox"), 0);
    assert_int_equal(db_exec(db, "DELETE FROM schema_migrations WHERE version = 9999"), 0);
    buf_release(&err);
}

static void unreachable_server_is_a_clear_error(void **state)
{
    (void)state;
    struct db *db;
    struct buf err = BUF_INIT;
    if (!strcmp(backend, "postgres")) {
        /* a loopback port nobody listens on: refused at once */
        assert_int_equal(db_open(&db, "postgres://u:secretpw@127.0.0.1:1/x", &err), ERR_NETWORK);
        assert_non_null(strstr(err.data, "cannot connect to PostgreSQL"));
        assert_null(strstr(err.data, "secretpw"));
    } else {
        assert_int_equal(db_open(&db, "sqlite:/proc/no/such/dir/x.db", &err), ERR_NETWORK);
        assert_true(err.len > 0);
    }
    assert_null(db);
    assert_int_equal(db_open(&db, "mysql://x", &err), ERR_INVALID);
    buf_release(&err);
}

/* PostgreSQL restarts under an open connection: the next call reconnects by itself. */
static void survives_a_server_restart(void **state)
{
    (void)state;
    if (strcmp(backend, "postgres"))
        skip();
    char dir[256];
    snprintf(dir, sizeof dir, "%s/restart-%ld", testdb_state_dir(), (long)getpid());
    assert_int_equal(testdb_pg_script("start", dir), 0);
    char path[300], url[256] = "";
    snprintf(path, sizeof path, "%s/pg.env", dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[300];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "PG_URL=", 7))
            snprintf(url, sizeof url, "%.*s", (int)strcspn(line + 7, "\n"), line + 7);
    fclose(f);
    struct db *db;
    struct buf err = BUF_INIT;
    assert_int_equal(db_open(&db, url, &err), 0);
    EXEC_OK(db, "CREATE TABLE r (v BIGINT)");
    EXEC_OK(db, "INSERT INTO r VALUES (1)");

    assert_int_equal(testdb_pg_script("restart", dir), 0);
    /* the same connection object, no reopen */
    EXEC_OK(db, "INSERT INTO r VALUES (2)");
    assert_int_equal(count(db, "SELECT count(*) FROM r"), 2);

    /* a restart inside a transaction loses it, clearly, and the connection comes back */
    assert_int_equal(db_begin(db), 0);
    EXEC_OK(db, "INSERT INTO r VALUES (3)");
    assert_int_equal(testdb_pg_script("restart", dir), 0);
    assert_int_equal(db_exec(db, "INSERT INTO r VALUES (4)"), ERR_NETWORK);
    assert_int_equal(db_error(db)->kind, DB_E_CONNECTION);
    assert_true(db_commit(db) < 0);
    assert_false(db_in_transaction(db));
    assert_int_equal(count(db, "SELECT count(*) FROM r"), 2);

    /* server down: a clear error, not a hang */
    assert_int_equal(testdb_pg_script("stop", dir), 0);
    assert_int_equal(db_exec(db, "INSERT INTO r VALUES (5)"), ERR_NETWORK);
    db_close(db);
    buf_release(&err);
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(values_of_every_type, setup, teardown),
        cmocka_unit_test_setup_teardown(misuse_is_refused_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(every_constraint_rejects_bad_data, setup, teardown),
        cmocka_unit_test_setup_teardown(reservation_never_goes_negative, setup, teardown),
        cmocka_unit_test_setup_teardown(rollback_discards_and_commit_keeps, setup, teardown),
        cmocka_unit_test_setup_teardown(a_failed_statement_dooms_the_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(transaction_helper_commits_or_rolls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(migrations_are_idempotent_and_listed, setup, teardown),
        cmocka_unit_test(fresh_database_lists_pending),
        cmocka_unit_test_setup_teardown(a_missing_lower_migration_is_applied, setup, teardown),
        cmocka_unit_test(unreachable_server_is_a_clear_error),
        cmocka_unit_test(survives_a_server_restart),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
