/* SQLite backend: WAL, foreign keys on, busy timeout, a cache of prepared statements. */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/db_backend.h"
#include "core/banned.h"

enum { STMT_CACHE_SIZE = 64, BUSY_TIMEOUT_MS = 10000 };

struct cached_stmt {
    char *sql;
    sqlite3_stmt *stmt;
    unsigned long last_used;
    bool busy; /* handed to an open cursor */
};

struct sqlite_conn {
    sqlite3 *handle;
    int64_t busy_since_us; /* when the current wait for the write lock began */
    struct cached_stmt cache[STMT_CACHE_SIZE];
    unsigned long tick;
};

struct sqlite_rows {
    struct db_rows base;
    struct sqlite_conn *conn;
    sqlite3_stmt *stmt;
    struct cached_stmt *cached; /* NULL: stmt is ours to finalize */
    bool prefetched;            /* the first row was stepped by query() */
    bool done;
};

static const char *sqlstate_for(int code)
{
    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return "23505";
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return "23503";
    case SQLITE_CONSTRAINT_CHECK:
        return "23514";
    case SQLITE_CONSTRAINT_NOTNULL:
        return "23502";
    }
    switch (code & 0xff) {
    case SQLITE_CONSTRAINT:
        return "23000";
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return "55P03";
    case SQLITE_CANTOPEN:
        return "08006";
    case SQLITE_TOOBIG:
        return "54000";
    case SQLITE_FULL:
        return "53100";
    }
    return "";
}

static enum db_error_kind kind_for(int code)
{
    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return DB_E_UNIQUE;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return DB_E_FOREIGN_KEY;
    case SQLITE_CONSTRAINT_CHECK:
        return DB_E_CHECK;
    case SQLITE_CONSTRAINT_NOTNULL:
        return DB_E_NOT_NULL;
    }
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return DB_E_BUSY;
    case SQLITE_CANTOPEN:
        return DB_E_CONNECTION;
    case SQLITE_MISUSE:
    case SQLITE_RANGE:
        return DB_E_MISUSE;
    }
    return DB_E_OTHER;
}

static int fail_sqlite(struct db *db, struct sqlite_conn *c, int code)
{
    int ext = c && c->handle ? sqlite3_extended_errcode(c->handle) : code;
    if ((ext & 0xff) != (code & 0xff))
        ext = code;
    const char *msg = c && c->handle ? sqlite3_errmsg(c->handle) : sqlite3_errstr(code);
    /* ON DELETE RESTRICT is enforced by an internal trigger and reported as one */
    if (ext == SQLITE_CONSTRAINT_TRIGGER && !strncmp(msg, "FOREIGN KEY", 11))
        ext = SQLITE_CONSTRAINT_FOREIGNKEY;
    return db_fail(db, kind_for(ext), sqlstate_for(ext), ext, "%s", msg);
}

/* Waiting for another connection's write lock. SQLite's own busy timeout sleeps 1, 2, 5, 10,
 * ... 100 ms between tries: fine between processes, but threads of one process that each
 * write for a fraction of a millisecond then spend most of their time asleep. Poll fast at
 * first, slower the longer the wait, and give up after BUSY_TIMEOUT_MS. */
static int on_busy(void *arg, int count)
{
    struct sqlite_conn *c = arg;
    int64_t now = clock_mono_us();
    if (count == 0)
        c->busy_since_us = now;
    if (now - c->busy_since_us > (int64_t)BUSY_TIMEOUT_MS * 1000)
        return 0;
    int64_t pause_us = count < 10 ? 50 : count < 100 ? 200 : 1000;
    struct timespec ts = {0, (long)pause_us * 1000};
    nanosleep(&ts, NULL);
    return 1;
}

/* mkdir -p of path's directory, so "sqlite:data/tgshop.db" works in a fresh checkout. */
static int make_parent_dirs(const char *path)
{
    char *copy = xstrdup(path);
    int rc = 0;
    for (char *p = copy + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(copy, 0755) != 0 && errno != EEXIST)
            rc = -1;
        *p = '/';
    }
    free(copy);
    return rc;
}

static int pragma(struct db *db, struct sqlite_conn *c, const char *sql)
{
    /* switching to WAL needs a moment of exclusive access; a second process opening the same
     * fresh file at that instant gets SQLITE_BUSY without the busy handler, so retry */
    for (int attempt = 0;; attempt++) {
        int rc = sqlite3_exec(c->handle, sql, NULL, NULL, NULL);
        if (rc == SQLITE_OK)
            return 0;
        if ((rc & 0xff) != SQLITE_BUSY || attempt == 200)
            return fail_sqlite(db, c, rc);
        sqlite3_sleep(25);
    }
}

static int sqlite_open(struct db *db, const char *url)
{
    const char *path = url + strlen("sqlite:");
    bool memory = !strcmp(path, ":memory:");
    if (!*path)
        return db_fail(db, DB_E_MISUSE, "", 0, "sqlite: URL has no path");
    if (!memory && make_parent_dirs(path) != 0)
        return db_fail(db, DB_E_CONNECTION, "08006", 0, "cannot create the directory of %s: %s",
                       path, strerror(errno));
    struct sqlite_conn *c = xcalloc(1, sizeof *c);
    db->impl = c;
    int rc = sqlite3_open_v2(
        path, &c->handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        db_fail(db, DB_E_CONNECTION, "08006", rc, "cannot open %s: %s", path,
                c->handle ? sqlite3_errmsg(c->handle) : sqlite3_errstr(rc));
        return db->error.code;
    }
    sqlite3_extended_result_codes(c->handle, 1);
    sqlite3_busy_handler(c->handle, on_busy, c);
    if ((rc = pragma(db, c, memory ? "PRAGMA journal_mode=MEMORY" : "PRAGMA journal_mode=WAL")))
        return rc;
    if ((rc = pragma(db, c, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL")))
        return rc;
    return 0;
}

static void sqlite_close(struct db *db)
{
    struct sqlite_conn *c = db->impl;
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        sqlite3_finalize(c->cache[i].stmt);
        free(c->cache[i].sql);
    }
    sqlite3_close(c->handle);
    free(c);
    db->impl = NULL;
}

/* A prepared statement for sql, from the cache when a free one is there. */
static int get_stmt(struct db *db, const char *sql, sqlite3_stmt **out,
                    struct cached_stmt **out_cached)
{
    struct sqlite_conn *c = db->impl;
    struct cached_stmt *victim = NULL;
    c->tick++;
    for (int i = 0; i < STMT_CACHE_SIZE; i++) {
        struct cached_stmt *e = &c->cache[i];
        if (e->sql && !e->busy && !strcmp(e->sql, sql)) {
            e->busy = true;
            e->last_used = c->tick;
            *out = e->stmt;
            *out_cached = e;
            return 0;
        }
        if (!e->busy && (!victim || e->last_used < victim->last_used))
            victim = e;
    }
    sqlite3_stmt *stmt;
    const char *tail;
    int rc = sqlite3_prepare_v3(c->handle, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, &tail);
    if (rc != SQLITE_OK)
        return fail_sqlite(db, c, rc);
    if (!stmt)
        return db_fail(db, DB_E_MISUSE, "", 0, "empty SQL statement");
    while (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';')
        tail++;
    if (*tail) {
        sqlite3_finalize(stmt);
        return db_fail(db, DB_E_MISUSE, "", 0, "more than one statement; use db_exec_script");
    }
    *out = stmt;
    *out_cached = NULL;
    if (victim) {
        sqlite3_finalize(victim->stmt);
        free(victim->sql);
        victim->sql = xstrdup(sql);
        victim->stmt = stmt;
        victim->busy = true;
        victim->last_used = c->tick;
        *out_cached = victim;
    }
    return 0;
}

static void put_stmt(sqlite3_stmt *stmt, struct cached_stmt *cached)
{
    if (!cached) {
        sqlite3_finalize(stmt);
        return;
    }
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    cached->busy = false;
}

static int bind_all(struct db *db, sqlite3_stmt *stmt, const struct db_param *params, size_t n)
{
    int expected = sqlite3_bind_parameter_count(stmt);
    if ((size_t)expected != n)
        return db_fail(db, DB_E_MISUSE, "08P01", 0,
                       "statement has %d parameters, %zu values were given", expected, n);
    for (size_t i = 0; i < n; i++) {
        const struct db_param *p = &params[i];
        int at = (int)i + 1, rc = SQLITE_OK;
        size_t len;
        switch (p->type) {
        case DB_PARAM_INT:
            rc = sqlite3_bind_int64(stmt, at, p->i);
            break;
        case DB_PARAM_TEXT:
            if (!p->p) {
                rc = sqlite3_bind_null(stmt, at);
                break;
            }
            db_param_text(p, &len);
            rc = sqlite3_bind_text64(stmt, at, p->p, len, SQLITE_STATIC, SQLITE_UTF8);
            break;
        case DB_PARAM_BLOB:
            rc = p->p ? sqlite3_bind_blob64(stmt, at, p->len ? p->p : "", p->len, SQLITE_STATIC)
                      : sqlite3_bind_null(stmt, at);
            break;
        case DB_PARAM_NULL:
            rc = sqlite3_bind_null(stmt, at);
            break;
        case DB_PARAM_END:
            return db_fail(db, DB_E_MISUSE, "", 0, "bad parameter %zu", i + 1);
        }
        if (rc != SQLITE_OK)
            return fail_sqlite(db, db->impl, rc);
    }
    return 0;
}

static int prepare_bound(struct db *db, const char *sql, const struct db_param *params, size_t n,
                         sqlite3_stmt **stmt, struct cached_stmt **cached)
{
    int rc = get_stmt(db, sql, stmt, cached);
    if (rc)
        return rc;
    if ((rc = bind_all(db, *stmt, params, n))) {
        put_stmt(*stmt, *cached);
        return rc;
    }
    return 0;
}

static int sqlite_exec(struct db *db, const char *sql, const struct db_param *params, size_t n)
{
    struct sqlite_conn *c = db->impl;
    sqlite3_stmt *stmt;
    struct cached_stmt *cached;
    int rc = prepare_bound(db, sql, params, n, &stmt, &cached);
    if (rc)
        return rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
    }
    int result = 0;
    if (rc != SQLITE_DONE)
        result = fail_sqlite(db, c, rc);
    else
        db->changes = sqlite3_changes64(c->handle);
    put_stmt(stmt, cached);
    return result;
}

static int sqlite_exec_script(struct db *db, const char *sql)
{
    struct sqlite_conn *c = db->impl;
    int rc = sqlite3_exec(c->handle, sql, NULL, NULL, NULL);
    if (rc != SQLITE_OK)
        return fail_sqlite(db, c, rc);
    db->changes = sqlite3_changes64(c->handle);
    return 0;
}

static int sqlite_query(struct db *db, struct db_rows **out, const char *sql,
                        const struct db_param *params, size_t n)
{
    struct sqlite_conn *c = db->impl;
    sqlite3_stmt *stmt;
    struct cached_stmt *cached;
    int rc = prepare_bound(db, sql, params, n, &stmt, &cached);
    if (rc)
        return rc;
    /* step once now so that errors (a constraint hit by INSERT ... RETURNING) surface here */
    rc = sqlite3_step(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        int result = fail_sqlite(db, c, rc);
        put_stmt(stmt, cached);
        return result;
    }
    struct sqlite_rows *rows = xcalloc(1, sizeof *rows);
    rows->base.db = db;
    rows->base.ncols = sqlite3_column_count(stmt);
    rows->conn = c;
    rows->stmt = stmt;
    rows->cached = cached;
    rows->prefetched = rc == SQLITE_ROW;
    rows->done = rc == SQLITE_DONE;
    if (rows->done)
        db->changes = sqlite3_changes64(c->handle);
    *out = &rows->base;
    return 0;
}

static int sqlite_next(struct db_rows *base)
{
    struct sqlite_rows *rows = (struct sqlite_rows *)base;
    if (rows->prefetched) {
        rows->prefetched = false;
        return 1;
    }
    if (rows->done)
        return 0;
    int rc = sqlite3_step(rows->stmt);
    if (rc == SQLITE_ROW)
        return 1;
    rows->done = true;
    if (rc == SQLITE_DONE) {
        base->db->changes = sqlite3_changes64(rows->conn->handle);
        return 0;
    }
    return fail_sqlite(base->db, rows->conn, rc);
}

static void sqlite_rows_free(struct db_rows *base)
{
    struct sqlite_rows *rows = (struct sqlite_rows *)base;
    put_stmt(rows->stmt, rows->cached);
    free(rows);
}

static bool sqlite_is_null(const struct db_rows *base, int col)
{
    return sqlite3_column_type(((const struct sqlite_rows *)base)->stmt, col) == SQLITE_NULL;
}

static int64_t sqlite_get_int(const struct db_rows *base, int col)
{
    return sqlite3_column_int64(((const struct sqlite_rows *)base)->stmt, col);
}

static const char *sqlite_get_text(const struct db_rows *base, int col)
{
    return (const char *)sqlite3_column_text(((const struct sqlite_rows *)base)->stmt, col);
}

static size_t sqlite_get_len(const struct db_rows *base, int col)
{
    return (size_t)sqlite3_column_bytes(((const struct sqlite_rows *)base)->stmt, col);
}

static const void *sqlite_get_blob(const struct db_rows *base, int col, size_t *out_len)
{
    sqlite3_stmt *stmt = ((const struct sqlite_rows *)base)->stmt;
    const void *p = sqlite3_column_blob(stmt, col);
    *out_len = (size_t)sqlite3_column_bytes(stmt, col);
    if (!p && sqlite3_column_type(stmt, col) != SQLITE_NULL)
        p = ""; /* a zero-length blob is not NULL */
    return p;
}

const struct db_backend db_sqlite_backend = {
    .name = "sqlite",
    .kind = DB_SQLITE,
    .begin_sql = "BEGIN IMMEDIATE",
    .id_column = "INTEGER PRIMARY KEY AUTOINCREMENT",
    .blob_type = "BLOB",
    .now_expr = "(CAST(strftime('%s', 'now') AS INTEGER))",
    .open = sqlite_open,
    .close = sqlite_close,
    .exec = sqlite_exec,
    .exec_script = sqlite_exec_script,
    .query = sqlite_query,
    .next = sqlite_next,
    .rows_free = sqlite_rows_free,
    .is_null = sqlite_is_null,
    .get_int = sqlite_get_int,
    .get_text = sqlite_get_text,
    .get_len = sqlite_get_len,
    .get_blob = sqlite_get_blob,
};
