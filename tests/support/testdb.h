/*
 * Test databases on both backends. Test programs that touch the database
 * take the backend as argv[1] ("sqlite" or "postgres"); ctest runs each of
 * them once per backend (tests/CMakeLists.txt: tgshop_add_db_test).
 *
 * PostgreSQL comes from the cluster tests/support/pg.sh started for the
 * run (its URL is in $TGSHOP_TEST_STATE/pg.env); each call creates a fresh,
 * empty database in it. SQLite databases are files in a fresh temporary
 * directory, removed by testdb_cleanup().
 */
#ifndef TGSHOP_TESTS_TESTDB_H
#define TGSHOP_TESTS_TESTDB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "db/db.h"

/* The backend named by the test's argv[1]; exits 2 when it is missing or unknown. */
const char *testdb_backend(int argc, char **argv);
/* The plainest cmocka fixture: a migrated database of the backend testdb_backend() returned
 * last, and an arena; for cmocka_unit_test_setup_teardown(test, testdb_fixture_setup,
 * testdb_fixture_teardown), the test gets it as *state. */
struct testdb_fixture {
    struct db *db;
    struct arena a;
};
int testdb_fixture_setup(void **state);
int testdb_fixture_teardown(void **state);
/* The URL of a new, empty database of that backend (a static buffer, valid until the next call). */
const char *testdb_new_url(const char *backend);
/* The same, migrated; aborts the test on failure. */
const char *testdb_new_migrated_url(const char *backend);
/* For the job queue tests (tgshop_add_queue_test): "sqlite", "postgres" or "redis" from
 * argv[1]; exits 2 when it is missing or unknown. */
const char *testdb_queue_backend(int argc, char **argv);
/* Opens a new empty database, migrated when `migrated`; aborts the test on failure. */
struct db *testdb_open(const char *backend, bool migrated);
/* The state directory of this test run (pg.env lives there). */
const char *testdb_state_dir(void);
/* Runs tests/support/pg.sh ACTION STATE_DIR (start, stop, restart): tests that restart a
 * server use a private cluster in their own state directory. Returns 0 on success. */
int testdb_pg_script(const char *action, const char *state_dir);
/* The URL of the Redis the "redis" fixture started (tests/support/redis.sh; AOF on). */
const char *testdb_redis_url(void);
/* Runs tests/support/redis.sh ACTION on that Redis (restart: same port, data kept). */
int testdb_redis_script(const char *action);
/* Removes the SQLite files made by this process. */
void testdb_cleanup(void);

#endif
