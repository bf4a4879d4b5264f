#include "db/db.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "db/db_backend.h"
#include "core/banned.h"

int db_fail(struct db *db, enum db_error_kind kind, const char *sqlstate, int native,
            const char *fmt, ...)
{
    struct db_error *e = &db->error;
    e->kind = kind;
    e->native = native;
    snprintf(e->sqlstate, sizeof e->sqlstate, "%s", sqlstate ? sqlstate : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    /* server messages end with a newline (libpq); one line reads better */
    size_t n = strlen(e->message);
    while (n && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
        e->message[--n] = '\0';
    switch (kind) {
    case DB_E_UNIQUE:
    case DB_E_FOREIGN_KEY:
    case DB_E_CHECK:
    case DB_E_NOT_NULL:
        e->code = ERR_CONFLICT;
        break;
    case DB_E_BUSY:
        e->code = ERR_TIMEOUT;
        break;
    case DB_E_CONNECTION:
        e->code = ERR_NETWORK;
        break;
    case DB_E_MISUSE:
        e->code = ERR_INVALID;
        break;
    case DB_E_NONE:
        e->code = 0;
        break;
    default:
        e->code = ERR_DB;
    }
    if (kind == DB_E_OTHER && !strncmp(e->sqlstate, "23", 2))
        e->code = ERR_CONFLICT; /* another integrity constraint */
    return e->code;
}

static void clear_error(struct db *db)
{
    memset(&db->error, 0, sizeof db->error);
}

const char *db_param_text(const struct db_param *p, size_t *out_len)
{
    *out_len = p->len == (size_t)-1 ? strlen(p->p) : p->len;
    return p->p;
}

int db_open(struct db **out, const char *url, struct buf *err)
{
    *out = NULL;
    const struct db_backend *backend;
    if (!strncmp(url, "sqlite:", 7))
        backend = &db_sqlite_backend;
    else if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
        backend = &db_postgres_backend;
    else {
        buf_setf(err, "unsupported database URL (expected sqlite:PATH or postgres://...)");
        return ERR_INVALID;
    }
    struct db *db = xcalloc(1, sizeof *db);
    db->backend = backend;
    int rc = backend->open(db, url);
    if (rc) {
        buf_setf(err, "%s", db->error.message);
        db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

void db_close(struct db *db)
{
    if (!db)
        return;
    if (db->impl) {
        if (db->in_tx && !db->tx_lost)
            db_rollback(db);
        db->backend->close(db);
    }
    free(db);
}

enum db_kind db_kind(const struct db *db)
{
    return db->backend->kind;
}

const struct db_error *db_error(const struct db *db)
{
    return &db->error;
}

const char *db_errmsg(const struct db *db)
{
    return db->error.message[0] ? db->error.message : "no error";
}

int64_t db_changes(const struct db *db)
{
    return db->changes;
}

/* Checks what both backends must refuse alike; returns 0 when the statement may run. */
static int precheck(struct db *db, const struct db_param *params, size_t n)
{
    clear_error(db);
    db->changes = 0;
    if (db->in_tx && db->tx_failed)
        return db_fail(db, DB_E_TX_ABORTED, "25P02", 0,
                       "current transaction is aborted by an earlier error; roll it back");
    for (size_t i = 0; i < n; i++) {
        if (params[i].type != DB_PARAM_TEXT || !params[i].p)
            continue;
        size_t len;
        const char *s = db_param_text(&params[i], &len);
        if (memchr(s, '\0', len))
            return db_fail(db, DB_E_MISUSE, "22021", 0, "text parameter %zu contains a NUL byte",
                           i + 1);
        if (!utf8_valid(s, len))
            return db_fail(db, DB_E_MISUSE, "22021", 0, "text parameter %zu is not valid UTF-8",
                           i + 1);
    }
    return 0;
}

/* A statement inside a transaction failed: the transaction is doomed (see db.h). */
static int note_failure(struct db *db, int rc)
{
    if (rc < 0 && db->in_tx) {
        db->tx_failed = true;
        if (db->error.kind == DB_E_CONNECTION)
            db->tx_lost = true;
    }
    return rc;
}

int db_execv(struct db *db, const char *sql, const struct db_param *params, size_t n)
{
    int rc = precheck(db, params, n);
    if (rc)
        return note_failure(db, rc);
    return note_failure(db, db->backend->exec(db, sql, params, n));
}

int db_exec_script(struct db *db, const char *sql)
{
    int rc = precheck(db, NULL, 0);
    if (rc)
        return note_failure(db, rc);
    return note_failure(db, db->backend->exec_script(db, sql));
}

int db_queryv(struct db *db, struct db_rows **out, const char *sql, const struct db_param *params,
              size_t n)
{
    *out = NULL;
    int rc = precheck(db, params, n);
    if (rc)
        return note_failure(db, rc);
    return note_failure(db, db->backend->query(db, out, sql, params, n));
}

int db_next(struct db_rows *rows)
{
    return note_failure(rows->db, rows->db->backend->next(rows));
}

void db_rows_free(struct db_rows *rows)
{
    if (rows)
        rows->db->backend->rows_free(rows);
}

int db_columns(const struct db_rows *rows)
{
    return rows->ncols;
}

static bool column_ok(const struct db_rows *rows, int col)
{
    return col >= 0 && col < rows->ncols;
}

bool db_is_null(const struct db_rows *rows, int col)
{
    return !column_ok(rows, col) || rows->db->backend->is_null(rows, col);
}

int64_t db_int(const struct db_rows *rows, int col)
{
    return column_ok(rows, col) ? rows->db->backend->get_int(rows, col) : 0;
}

const char *db_text(const struct db_rows *rows, int col)
{
    return column_ok(rows, col) ? rows->db->backend->get_text(rows, col) : NULL;
}

char *db_text_dup(const struct db_rows *rows, int col, struct arena *a)
{
    const char *s = db_text(rows, col);
    return s ? arena_memdup(a, s, db_len(rows, col)) : NULL;
}

size_t db_len(const struct db_rows *rows, int col)
{
    return column_ok(rows, col) ? rows->db->backend->get_len(rows, col) : 0;
}

const void *db_blob(const struct db_rows *rows, int col, size_t *out_len)
{
    *out_len = 0;
    return column_ok(rows, col) ? rows->db->backend->get_blob(rows, col, out_len) : NULL;
}

int db_query_intv(struct db *db, int64_t *out, const char *sql, const struct db_param *params,
                  size_t n)
{
    struct db_rows *rows;
    int rc = db_queryv(db, &rows, sql, params, n);
    if (rc)
        return rc;
    rc = db_next(rows);
    if (rc > 0) {
        *out = db_int(rows, 0);
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_NOTFOUND;
    }
    db_rows_free(rows);
    return rc;
}

int db_begin(struct db *db)
{
    if (db->in_tx) {
        clear_error(db);
        return db_fail(db, DB_E_MISUSE, "25001", 0, "a transaction is already open");
    }
    int rc = db_exec_script(db, db->backend->begin_sql);
    if (rc)
        return rc;
    db->in_tx = true;
    db->tx_failed = false;
    db->tx_lost = false;
    return 0;
}

static void end_transaction(struct db *db)
{
    db->in_tx = false;
    db->tx_failed = false;
    db->tx_lost = false;
}

int db_rollback(struct db *db)
{
    if (!db->in_tx) {
        clear_error(db);
        return db_fail(db, DB_E_MISUSE, "25P01", 0, "no transaction is open");
    }
    bool lost = db->tx_lost;
    end_transaction(db);
    if (lost)
        return 0; /* the server already discarded it with the connection */
    struct db_error saved = db->error;
    int rc = db->backend->exec_script(db, "ROLLBACK");
    if (rc == 0 || db->error.kind == DB_E_CONNECTION) {
        db->error = saved; /* keep the failure that made the caller roll back */
        return 0;
    }
    return rc;
}

int db_commit(struct db *db)
{
    if (!db->in_tx) {
        clear_error(db);
        return db_fail(db, DB_E_MISUSE, "25P01", 0, "no transaction is open");
    }
    if (db->tx_failed) {
        struct db_error failure = db->error;
        db_rollback(db);
        db->error = failure;
        if (db->error.kind != DB_E_TX_ABORTED)
            return db->error.code ? db->error.code : ERR_DB;
        return db_fail(db, DB_E_TX_ABORTED, "25P02", 0,
                       "transaction rolled back: a statement in it failed");
    }
    clear_error(db);
    int rc = db->backend->exec_script(db, "COMMIT");
    if (rc) {
        /* a failed COMMIT (deferred constraint, lost connection) ends the transaction too */
        struct db_error failure = db->error;
        if (db->error.kind != DB_E_CONNECTION)
            db->backend->exec_script(db, "ROLLBACK");
        end_transaction(db);
        db->error = failure;
        return rc;
    }
    end_transaction(db);
    return 0;
}

bool db_in_transaction(const struct db *db)
{
    return db->in_tx;
}

int db_transaction(struct db *db, int (*fn)(struct db *db, void *ctx), void *ctx)
{
    enum { ATTEMPTS = 5 };
    int rc = 0;
    for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
        bool commit_failed = false;
        rc = db_begin(db);
        if (rc == 0) {
            rc = fn(db, ctx);
            if (rc == 0 && db->tx_failed) /* fn ignored a failed statement */
                rc = db->error.code ? db->error.code : ERR_DB;
            if (rc == 0) {
                rc = db_commit(db);
                commit_failed = rc != 0;
            } else {
                struct db_error failure = db->error;
                db_rollback(db);
                db->error = failure;
            }
        }
        /* a connection lost during COMMIT may have committed: never run fn twice then */
        bool retryable =
            db->error.kind == DB_E_BUSY || (db->error.kind == DB_E_CONNECTION && !commit_failed);
        if (rc == 0 || !retryable || attempt == ATTEMPTS)
            break;
        clock_sleep_ms(10 * attempt * attempt); /* back off so the other writer finishes */
    }
    return rc;
}
