/* The scheduler on each queue backend: one holder at a time, expired reservations
 * cancelled with their stock returned. The redis run keeps the shop in SQLite. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "jobs/scheduler.h"
#include "testdb.h"

static const char *backend;
static char database_url[1024];
static char prefix[64];

static struct queue_config queue_config(void)
{
    if (!strcmp(backend, "redis"))
        return (struct queue_config){.redis_url = testdb_redis_url(), .redis_prefix = prefix};
    return (struct queue_config){.database_url = database_url};
}

static struct db *open_shop(void)
{
    snprintf(prefix, sizeof prefix, "s%ld:", (long)getpid());
    snprintf(database_url, sizeof database_url, "%s",
             testdb_new_migrated_url(strcmp(backend, "redis") ? backend : "sqlite"));
    struct db *db = NULL;
    struct buf err = BUF_INIT;
    if (db_open(&db, database_url, &err))
        fail_msg("test database: %s", err.data);
    buf_release(&err);
    return db;
}

static int64_t insert(struct db *db, const char *sql, const struct db_param *p, size_t n)
{
    int64_t id = 0;
    if (db_query_intv(db, &id, sql, p, n))
        fail_msg("%s: %s", sql, db_errmsg(db));
    return id;
}
#define INSERT(db, sql, ...) insert(db, sql, DB_ARGS(__VA_ARGS__))

static int64_t stock(struct db *db, int64_t product)
{
    int64_t n = -1;
    if (db_query_int(db, &n, "SELECT stock FROM product WHERE id = ?", DB_INT(product)))
        fail_msg("stock: %s", db_errmsg(db));
    return n;
}

static void test_expired_reservation_cancelled_by_one_scheduler(void **state)
{
    (void)state;
    struct db *db = open_shop();
    struct queue_config qc = queue_config();
    struct queue *q = NULL;
    struct buf err = BUF_INIT;
    if (queue_open(&q, &qc, &err))
        fail_msg("queue: %s", err.data);
    /* one holder at a time */
    assert_int_equal(scheduler_tick(db, q, "first", 3000), 1);
    assert_int_equal(scheduler_tick(db, q, "second", 3000), 0);

    int64_t customer = INSERT(db, "INSERT INTO customer (tg_id) VALUES (42) RETURNING id");
    int64_t category = INSERT(db, "INSERT INTO category (name) VALUES ('Tea') RETURNING id");
    int64_t product = INSERT(db,
                             "INSERT INTO product (category_id, name, price, stock)"
                             " VALUES (?, 'Oolong', 100, 7) RETURNING id",
                             DB_INT(category));
    int64_t order = INSERT(db,
                           "INSERT INTO orders (customer_id, status, total, currency,"
                           " reserved_until) VALUES (?, 'awaiting_payment', 300, 'XTR', ?)"
                           " RETURNING id",
                           DB_INT(customer), DB_INT(clock_now() - 5));
    INSERT(db,
           "INSERT INTO order_item (order_id, product_id, name, price, quantity)"
           " VALUES (?, ?, 'Oolong', 100, 3) RETURNING id",
           DB_INT(order), DB_INT(product));

    /* two schedulers running at once (two worker processes) */
    struct scheduler_options opt = {.queue = qc, .database_url = database_url, .interval_ms = 100};
    struct scheduler *a = NULL, *b = NULL;
    if (scheduler_start(&a, &opt, &err) || scheduler_start(&b, &opt, &err))
        fail_msg("scheduler_start: %s", err.data);
    int64_t deadline = clock_mono_ms() + 15000;
    while (stock(db, product) != 10 && clock_mono_ms() < deadline)
        clock_sleep_ms(20);
    scheduler_free(a);
    scheduler_free(b);
    assert_int_equal(stock(db, product), 10);
    int64_t cancelled = 0;
    assert_int_equal(
        db_query_int(db, &cancelled,
                     "SELECT count(*) FROM orders WHERE id = ? AND status = 'cancelled'",
                     DB_INT(order)),
        0);
    assert_int_equal(cancelled, 1);
    buf_release(&err);
    queue_close(q);
    db_close(db);
}

int main(int argc, char **argv)
{
    backend = testdb_queue_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expired_reservation_cancelled_by_one_scheduler),
    };
    int failed = _cmocka_run_group_tests(backend, tests, 1, NULL, NULL);
    testdb_cleanup();
    return failed;
}
