/*
 * The one database interface used by all higher code. Two backends behind a
 * small vtable (db_backend.h): SQLite (embedded default) and PostgreSQL.
 *
 *   struct db *db;
 *   if (db_open(&db, "sqlite:data/tgshop.db", &err)) ...   // or postgres://...
 *   db_exec(db, "UPDATE product SET stock = stock - ? WHERE id = ? AND stock >= ?",
 *           DB_INT(q), DB_INT(id), DB_INT(q));
 *   struct db_rows *rows;
 *   if (db_query(db, &rows, "SELECT id, name FROM product WHERE category_id = ?", DB_INT(c)))
 *       ...
 *   while ((rc = db_next(rows)) > 0)
 *       use(db_int(rows, 0), db_text(rows, 1));
 *   db_rows_free(rows);
 *
 * SQL is written once for both backends with `?` placeholders (the
 * PostgreSQL backend rewrites them to $1..$n). Every value goes through a
 * bound parameter; there is no string interpolation API on purpose.
 *
 * Errors: functions return 0 (or a count) on success and a negative ERR_*
 * code on failure; db_error() describes the last failure: a kind that
 * tells constraint violations apart, the SQLSTATE (SQLite errors are mapped to
 * the matching SQLSTATE so callers test one thing), the native code and a
 * message. Constraint violations return ERR_CONFLICT, a lost connection
 * ERR_NETWORK, lock timeouts ERR_TIMEOUT, anything else ERR_DB.
 *
 * Transactions: db_begin / db_commit / db_rollback, not nested. SQLite
 * begins with BEGIN IMMEDIATE (writers queue up front instead of failing at
 * their first write). On both backends a failed statement dooms the
 * transaction: later statements fail with DB_E_TX_ABORTED without running
 * and db_commit rolls back and reports the failure, so both backends behave
 * the same. db_transaction() wraps a function and retries it on serialization
 * failures, deadlocks and lock timeouts.
 *
 * A struct db is one connection: use it from one thread at a time (one per
 * thread). The PostgreSQL backend reconnects by itself: when the server
 * restarted or the connection dropped, the next call reconnects; a statement
 * outside a transaction that failed because the connection was lost before it
 * ran is retried once on the new connection.
 */
#ifndef TGSHOP_DB_DB_H
#define TGSHOP_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"

struct db;
struct db_rows;

enum db_kind { DB_SQLITE, DB_POSTGRES };

enum db_param_type { DB_PARAM_END, DB_PARAM_NULL, DB_PARAM_INT, DB_PARAM_TEXT, DB_PARAM_BLOB };

struct db_param {
    enum db_param_type type;
    int64_t i;
    const void *p; /* text or blob */
    size_t len;    /* blob length; for text (size_t)-1 means "up to the NUL" */
};

#define DB_NULL   ((struct db_param){.type = DB_PARAM_NULL})
#define DB_INT(v) ((struct db_param){.type = DB_PARAM_INT, .i = (int64_t)(v)})
/* A NULL pointer binds SQL NULL. */
#define DB_TEXT(s)      ((struct db_param){.type = DB_PARAM_TEXT, .p = (s), .len = (size_t)-1})
#define DB_TEXTN(s, n)  ((struct db_param){.type = DB_PARAM_TEXT, .p = (s), .len = (n)})
#define DB_BLOB(ptr, n) ((struct db_param){.type = DB_PARAM_BLOB, .p = (ptr), .len = (n)})
/* DB_INT or DB_NULL: for optional ids. */
#define DB_INT_OR_NULL(v, present) ((present) ? DB_INT(v) : DB_NULL)

/* Turns a macro argument list into (array, count); works with no arguments. */
#define DB_ARGS(...)                                                                               \
    ((const struct db_param[]){{.type = DB_PARAM_END}, __VA_ARGS__} + 1),                          \
        (sizeof((const struct db_param[]){{.type = DB_PARAM_END}, __VA_ARGS__}) /                  \
             sizeof(struct db_param) -                                                             \
         1)

enum db_error_kind {
    DB_E_NONE,
    DB_E_UNIQUE,      /* 23505 */
    DB_E_FOREIGN_KEY, /* 23503 */
    DB_E_CHECK,       /* 23514 */
    DB_E_NOT_NULL,    /* 23502 */
    DB_E_BUSY,        /* lock timeout, serialization failure, deadlock: retry may work */
    DB_E_CONNECTION,  /* cannot connect or the connection was lost */
    DB_E_TX_ABORTED,  /* a statement inside this transaction failed earlier */
    DB_E_MISUSE,      /* wrong use of the API (nested begin, bad URL, bad parameter) */
    DB_E_OTHER,       /* syntax errors, missing tables, I/O errors, ... */
};

struct db_error {
    int code; /* the ERR_* value returned */
    enum db_error_kind kind;
    char sqlstate[6];  /* "23505"; SQLite errors are mapped; "" when unknown */
    int native;        /* SQLite extended result code, 0 for PostgreSQL */
    char message[512]; /* the server's text (never contains a password) */
};

/* Opens a connection: "sqlite:PATH" (parent directories are created;
 * "sqlite::memory:" for a private in-memory database) or "postgres://..." /
 * "postgresql://..." (libpq URL; connect_timeout defaults to 5 s). On failure
 * returns a negative code, *out is NULL and err holds one line. */
int db_open(struct db **out, const char *url, struct buf *err);
void db_close(struct db *db);

enum db_kind db_kind(const struct db *db);
const struct db_error *db_error(const struct db *db);
/* "kind: message" of the last failure, for logs and CLI messages. */
const char *db_errmsg(const struct db *db);

/* Runs one statement. Returns 0 or a negative code; db_changes() tells how many rows it
 * changed. */
int db_execv(struct db *db, const char *sql, const struct db_param *params, size_t nparams);
#define db_exec(db, sql, ...) db_execv(db, sql, DB_ARGS(__VA_ARGS__))
int64_t db_changes(const struct db *db);

/* Runs several statements without parameters (migrations). */
int db_exec_script(struct db *db, const char *sql);

/* Runs a query. On success *out is a row cursor to free with db_rows_free(). */
int db_queryv(struct db *db, struct db_rows **out, const char *sql, const struct db_param *params,
              size_t nparams);
#define db_query(db, out, sql, ...) db_queryv(db, out, sql, DB_ARGS(__VA_ARGS__))
/* Moves to the next row: 1 = a row is there, 0 = no more rows, < 0 = error. */
int db_next(struct db_rows *rows);
void db_rows_free(struct db_rows *rows);
int db_columns(const struct db_rows *rows);
bool db_is_null(const struct db_rows *rows, int col);
/* An integer column (0 for NULL; PostgreSQL booleans read as 1/0). */
int64_t db_int(const struct db_rows *rows, int col);
/* A text column, valid until the next db_next/db_rows_free; NULL for SQL NULL. */
const char *db_text(const struct db_rows *rows, int col);
/* Byte length of a text or blob column. */
size_t db_len(const struct db_rows *rows, int col);
/* A copy of a text column in arena a; NULL for SQL NULL. */
char *db_text_dup(const struct db_rows *rows, int col, struct arena *a);
/* A blob column, valid until the next db_next/db_rows_free; NULL for SQL NULL. */
const void *db_blob(const struct db_rows *rows, int col, size_t *out_len);

/* First column of the first row as an integer: the usual "INSERT ... RETURNING id" and
 * "SELECT count(*)". ERR_NOTFOUND when there is no row. */
int db_query_intv(struct db *db, int64_t *out, const char *sql, const struct db_param *params,
                  size_t nparams);
#define db_query_int(db, out, sql, ...) db_query_intv(db, out, sql, DB_ARGS(__VA_ARGS__))

int db_begin(struct db *db);
int db_commit(struct db *db);
int db_rollback(struct db *db);
bool db_in_transaction(const struct db *db);
/* Runs fn inside a transaction: commits when it returns 0, rolls back otherwise, and runs
 * it again (up to a few times, with a short backoff) when the database reports a
 * serialization failure, deadlock or lock timeout. Returns fn's result or the commit's. */
int db_transaction(struct db *db, int (*fn)(struct db *db, void *ctx), void *ctx);

#endif
