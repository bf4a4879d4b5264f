#include "testdb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "db/migrate.h"

static char sqlite_dir[256];
static char url[1024];
static int counter;

const char *testdb_state_dir(void)
{
    const char *dir = getenv("TGSHOP_TEST_STATE");
    return dir && *dir ? dir : ".";
}

static const char *fixture_backend;

const char *testdb_backend(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "sqlite") && strcmp(argv[1], "postgres"))) {
        fprintf(stderr, "usage: %s sqlite|postgres\n", argv[0]);
        exit(2);
    }
    return fixture_backend = argv[1];
}

int testdb_fixture_setup(void **state)
{
    struct testdb_fixture *f = xcalloc(1, sizeof *f);
    f->db = testdb_open(fixture_backend, true);
    arena_init(&f->a, 0);
    *state = f;
    return 0;
}

int testdb_fixture_teardown(void **state)
{
    struct testdb_fixture *f = *state;
    db_close(f->db);
    arena_release(&f->a);
    free(f);
    return 0;
}

/* KEY=VALUE from a fixture's env file in the state directory; exits when missing. */
static void read_fixture_value(const char *file, const char *key, char *out, size_t size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", testdb_state_dir(), file);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "testdb: %s missing: is the fixture running?\n", path);
        exit(1);
    }
    char line[512];
    size_t key_len = strlen(key);
    out[0] = '\0';
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, key_len) && line[key_len] == '=') {
            line[strcspn(line, "\n")] = '\0';
            snprintf(out, size, "%s", line + key_len + 1);
        }
    }
    fclose(f);
    if (!out[0]) {
        fprintf(stderr, "testdb: no %s in %s\n", key, path);
        exit(1);
    }
}

static void read_pg_url(char *out, size_t size)
{
    read_fixture_value("pg.env", "PG_URL", out, size);
}

const char *testdb_redis_url(void)
{
    static char redis_url[256];
    read_fixture_value("redis.env", "REDIS_URL", redis_url, sizeof redis_url);
    return redis_url;
}

int testdb_redis_script(const char *action)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s '%s' >/dev/null", TGSHOP_REDIS_SCRIPT, action,
             testdb_state_dir());
    return system(cmd);
}

const char *testdb_new_url(const char *backend)
{
    counter++;
    if (!strcmp(backend, "sqlite")) {
        if (!sqlite_dir[0]) {
            const char *tmp = getenv("TMPDIR");
            snprintf(sqlite_dir, sizeof sqlite_dir, "%s/tgshop-test.XXXXXX", tmp ? tmp : "/tmp");
            if (!mkdtemp(sqlite_dir)) {
                perror("testdb: mkdtemp");
                exit(1);
            }
        }
        snprintf(url, sizeof url, "sqlite:%s/db%d.sqlite", sqlite_dir, counter);
        return url;
    }
    char admin_url[512];
    read_pg_url(admin_url, sizeof admin_url);
    struct db *admin;
    struct buf err = BUF_INIT;
    if (db_open(&admin, admin_url, &err)) {
        fprintf(stderr, "testdb: cannot reach the test PostgreSQL: %s\n", err.data);
        exit(1);
    }
    char name[64];
    snprintf(name, sizeof name, "t_%ld_%d", (long)getpid(), counter);
    char sql[128];
    /* CREATE DATABASE takes no parameters; the name is generated above, never input */
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s; ", name);
    db_exec_script(admin, sql);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
    if (db_exec_script(admin, sql)) {
        fprintf(stderr, "testdb: %s: %s\n", sql, db_errmsg(admin));
        exit(1);
    }
    db_close(admin);
    buf_release(&err);
    /* same server, the new database */
    char *slash = strrchr(admin_url, '/');
    *slash = '\0';
    snprintf(url, sizeof url, "%s/%s", admin_url, name);
    return url;
}

const char *testdb_new_migrated_url(const char *backend)
{
    struct db *db = testdb_open(backend, true);
    db_close(db);
    return url;
}

const char *testdb_queue_backend(int argc, char **argv)
{
    if (argc < 2 ||
        (strcmp(argv[1], "sqlite") && strcmp(argv[1], "postgres") && strcmp(argv[1], "redis"))) {
        fprintf(stderr, "usage: %s sqlite|postgres|redis\n", argv[0]);
        exit(2);
    }
    return argv[1];
}

struct db *testdb_open(const char *backend, bool migrated)
{
    const char *u = testdb_new_url(backend);
    struct db *db;
    struct buf err = BUF_INIT;
    if (db_open(&db, u, &err)) {
        fprintf(stderr, "testdb: cannot open %s: %s\n", u, err.data);
        exit(1);
    }
    if (migrated && migrate_apply(db, NULL, &err)) {
        fprintf(stderr, "testdb: migrations failed: %s\n", err.data);
        exit(1);
    }
    buf_release(&err);
    return db;
}

int testdb_pg_script(const char *action, const char *state_dir)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' %s '%s' >/dev/null", TGSHOP_PG_SCRIPT, action, state_dir);
    return system(cmd);
}

void testdb_cleanup(void)
{
    if (!sqlite_dir[0])
        return;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", sqlite_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "testdb: could not remove %s\n", sqlite_dir);
    sqlite_dir[0] = '\0';
}
