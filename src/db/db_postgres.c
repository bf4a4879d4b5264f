/*
 * PostgreSQL backend on libpq. Statements are written with `?` placeholders
 * and rewritten to $1..$n here. Integers are sent typed (int8), text as
 * "unknown" so the server infers the column's type, blobs as binary bytea.
 * Results come back in text form.
 *
 * Reconnection: before each call a dropped connection is reset; a statement
 * outside a transaction that fails because the connection was lost is run
 * once more on a fresh connection (the server never saw it run to completion:
 * an administrator shutdown or a crash ends the session before the reply).
 */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "db/db_backend.h"
#include "core/banned.h"

enum { INT8_OID = 20, BYTEA_OID = 17 };

struct pg_conn {
    PGconn *conn;
};

struct pg_rows {
    struct db_rows base;
    PGresult *res;
    int row; /* current row, -1 before the first */
    int nrows;
    unsigned char *blob; /* the last db_blob() result, freed on the next call */
};

static void on_notice(void *arg, const char *message)
{
    (void)arg;
    log_debug("postgres: %s", message);
}

static int fail_conn(struct db *db, PGconn *conn, const char *what)
{
    return db_fail(db, DB_E_CONNECTION, "08006", 0, "%s: %s", what,
                   conn ? PQerrorMessage(conn) : "out of memory");
}

static int pg_open(struct db *db, const char *url)
{
    /* defaults first: values in the URL override them (expand_dbname) */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"5", "tgshop", url, NULL};
    struct pg_conn *c = xcalloc(1, sizeof *c);
    db->impl = c;
    c->conn = PQconnectdbParams(keys, values, 1);
    if (!c->conn || PQstatus(c->conn) != CONNECTION_OK)
        return fail_conn(db, c->conn, "cannot connect to PostgreSQL");
    PQsetNoticeProcessor(c->conn, on_notice, NULL);
    return 0;
}

static void pg_close(struct db *db)
{
    struct pg_conn *c = db->impl;
    PQfinish(c->conn);
    free(c);
    db->impl = NULL;
}

/* Reconnects a dropped connection. Returns 0 when the connection is usable. */
static int ensure_connected(struct db *db)
{
    struct pg_conn *c = db->impl;
    if (PQstatus(c->conn) == CONNECTION_OK)
        return 0;
    if (db->in_tx)
        return fail_conn(db, c->conn, "connection to PostgreSQL lost inside a transaction");
    PQreset(c->conn);
    if (PQstatus(c->conn) != CONNECTION_OK)
        return fail_conn(db, c->conn, "cannot reconnect to PostgreSQL");
    log_info("reconnected to PostgreSQL");
    return 0;
}

static enum db_error_kind kind_for(const char *state)
{
    static const struct {
        const char *state;
        enum db_error_kind kind;
    } map[] = {
        {"23505", DB_E_UNIQUE},     {"23503", DB_E_FOREIGN_KEY}, {"23514", DB_E_CHECK},
        {"23502", DB_E_NOT_NULL},   {"40001", DB_E_BUSY},        {"40P01", DB_E_BUSY},
        {"55P03", DB_E_BUSY},       {"25P02", DB_E_TX_ABORTED},  {"57P01", DB_E_CONNECTION},
        {"57P02", DB_E_CONNECTION}, {"57P03", DB_E_CONNECTION},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(state, map[i].state))
            return map[i].kind;
    if (!strncmp(state, "08", 2))
        return DB_E_CONNECTION;
    return DB_E_OTHER;
}

/* Records the failure of res (which may be NULL when libpq could not send). */
static int fail_result(struct db *db, PGresult *res)
{
    struct pg_conn *c = db->impl;
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    const char *msg = res ? PQresultErrorMessage(res) : "";
    if (!msg || !*msg)
        msg = PQerrorMessage(c->conn);
    enum db_error_kind kind = state ? kind_for(state) : DB_E_OTHER;
    if (PQstatus(c->conn) != CONNECTION_OK)
        kind = DB_E_CONNECTION;
    const char *detail = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
    if (detail)
        return db_fail(db, kind, state ? state : "08006", 0, "%s (constraint %s)", msg, detail);
    return db_fail(db, kind, state ? state : (kind == DB_E_CONNECTION ? "08006" : ""), 0, "%s",
                   msg);
}

/* Rewrites `?` placeholders to $1..$n outside quotes and comments; *out_count gets n. */
static char *rewrite_placeholders(struct arena *a, const char *sql, size_t *out_count)
{
    struct buf out = BUF_INIT;
    int n = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '\'' || *p == '"') {
            const char *close = strchr(p + 1, *p);
            size_t len = close ? (size_t)(close - p + 1) : strlen(p);
            buf_add(&out, p, len);
            p += len - 1;
        } else if (p[0] == '-' && p[1] == '-') {
            const char *eol = strchr(p, '\n');
            size_t len = eol ? (size_t)(eol - p) : strlen(p);
            buf_add(&out, p, len);
            p += len - 1;
        } else if (*p == '?') {
            buf_addf(&out, "$%d", ++n);
        } else {
            buf_addc(&out, *p);
        }
    }
    char *copy = arena_memdup(a, out.data, out.len);
    buf_release(&out);
    *out_count = (size_t)n;
    return copy;
}

/* Runs one statement with parameters; retries once after a lost connection (see top). */
static int run(struct db *db, const char *sql, const struct db_param *params, size_t n,
               PGresult **out)
{
    struct pg_conn *c = db->impl;
    struct arena a;
    arena_init(&a, 1024);
    size_t placeholders;
    const char *text = rewrite_placeholders(&a, sql, &placeholders);
    const char **values = arena_calloc(&a, n ? n : 1, sizeof *values);
    int *lengths = arena_calloc(&a, n ? n : 1, sizeof *lengths);
    int *formats = arena_calloc(&a, n ? n : 1, sizeof *formats);
    Oid *types = arena_calloc(&a, n ? n : 1, sizeof *types);
    int rc = 0;
    /* PostgreSQL would accept unused typed parameters; refuse them as SQLite does */
    if (placeholders != n)
        rc = db_fail(db, DB_E_MISUSE, "08P01", 0,
                     "statement has %zu parameters, %zu values were given", placeholders, n);
    for (size_t i = 0; i < n && !rc; i++) {
        const struct db_param *p = &params[i];
        size_t len;
        switch (p->type) {
        case DB_PARAM_INT:
            values[i] = arena_sprintf(&a, "%lld", (long long)p->i);
            types[i] = INT8_OID;
            break;
        case DB_PARAM_TEXT:
            if (p->p) {
                const char *s = db_param_text(p, &len);
                values[i] = p->len == (size_t)-1 ? s : arena_memdup(&a, s, len);
            }
            break;
        case DB_PARAM_BLOB:
            if (p->len > 0x7fffffff) {
                rc = db_fail(db, DB_E_MISUSE, "54000", 0, "blob parameter too large");
                break;
            }
            values[i] = p->p ? (p->len ? p->p : "") : NULL;
            lengths[i] = (int)p->len;
            formats[i] = 1;
            types[i] = BYTEA_OID;
            break;
        case DB_PARAM_NULL:
            break;
        case DB_PARAM_END:
            rc = db_fail(db, DB_E_MISUSE, "", 0, "bad parameter %zu", i + 1);
        }
    }
    for (int attempt = 0; !rc; attempt++) {
        if ((rc = ensure_connected(db)))
            break;
        PGresult *res = PQexecParams(c->conn, text, (int)n, types, values, lengths, formats, 0);
        ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
            *out = res;
            break;
        }
        rc = fail_result(db, res);
        PQclear(res);
        if (db->error.kind == DB_E_CONNECTION && !db->in_tx && attempt == 0) {
            rc = 0; /* reconnect and run it again */
            continue;
        }
        if (!db->in_tx && PQtransactionStatus(c->conn) == PQTRANS_INERROR) {
            PGresult *r = PQexec(c->conn, "ROLLBACK"); /* never leave the session aborted */
            PQclear(r);
        }
    }
    arena_release(&a);
    return rc;
}

static void count_changes(struct db *db, PGresult *res)
{
    int64_t changes = 0;
    const char *tuples = PQcmdTuples(res);
    if (tuples && *tuples && parse_int64(tuples, &changes) == 0)
        db->changes = changes;
    else
        db->changes = 0;
}

static int pg_exec(struct db *db, const char *sql, const struct db_param *params, size_t n)
{
    PGresult *res;
    int rc = run(db, sql, params, n, &res);
    if (rc)
        return rc;
    count_changes(db, res);
    PQclear(res);
    return 0;
}

static int pg_exec_script(struct db *db, const char *sql)
{
    struct pg_conn *c = db->impl;
    int rc = ensure_connected(db);
    if (rc)
        return rc;
    PGresult *res = PQexec(c->conn, sql);
    ExecStatusType status = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        rc = fail_result(db, res);
        PQclear(res);
        if (!db->in_tx && PQstatus(c->conn) == CONNECTION_OK &&
            PQtransactionStatus(c->conn) == PQTRANS_INERROR) {
            res = PQexec(c->conn, "ROLLBACK");
            PQclear(res);
        }
        return rc;
    }
    count_changes(db, res);
    PQclear(res);
    return 0;
}

static int pg_query(struct db *db, struct db_rows **out, const char *sql,
                    const struct db_param *params, size_t n)
{
    PGresult *res;
    int rc = run(db, sql, params, n, &res);
    if (rc)
        return rc;
    count_changes(db, res);
    struct pg_rows *rows = xcalloc(1, sizeof *rows);
    rows->base.db = db;
    rows->base.ncols = PQnfields(res);
    rows->res = res;
    rows->row = -1;
    rows->nrows = PQntuples(res);
    *out = &rows->base;
    return 0;
}

static int pg_next(struct db_rows *base)
{
    struct pg_rows *rows = (struct pg_rows *)base;
    if (rows->row + 1 >= rows->nrows) {
        rows->row = rows->nrows;
        return 0;
    }
    rows->row++;
    return 1;
}

static void pg_rows_free(struct db_rows *base)
{
    struct pg_rows *rows = (struct pg_rows *)base;
    PQclear(rows->res);
    PQfreemem(rows->blob);
    free(rows);
}

static bool on_row(const struct pg_rows *rows)
{
    return rows->row >= 0 && rows->row < rows->nrows;
}

static bool pg_is_null(const struct db_rows *base, int col)
{
    const struct pg_rows *rows = (const struct pg_rows *)base;
    return !on_row(rows) || PQgetisnull(rows->res, rows->row, col);
}

static const char *pg_get_text(const struct db_rows *base, int col)
{
    const struct pg_rows *rows = (const struct pg_rows *)base;
    if (pg_is_null(base, col))
        return NULL;
    return PQgetvalue(rows->res, rows->row, col);
}

static int64_t pg_get_int(const struct db_rows *base, int col)
{
    const char *v = pg_get_text(base, col);
    int64_t out;
    if (!v)
        return 0;
    if (!strcmp(v, "t"))
        return 1;
    if (!strcmp(v, "f"))
        return 0;
    return parse_int64(v, &out) == 0 ? out : 0;
}

static size_t pg_get_len(const struct db_rows *base, int col)
{
    const struct pg_rows *rows = (const struct pg_rows *)base;
    if (pg_is_null(base, col))
        return 0;
    if (PQftype(rows->res, col) == BYTEA_OID) {
        size_t len;
        db_blob(base, col, &len);
        return len;
    }
    return (size_t)PQgetlength(rows->res, rows->row, col);
}

static const void *pg_get_blob(const struct db_rows *base, int col, size_t *out_len)
{
    struct pg_rows *rows = (struct pg_rows *)base;
    const char *text = pg_get_text(base, col);
    if (!text)
        return NULL;
    if (PQftype(rows->res, col) != BYTEA_OID) {
        *out_len = (size_t)PQgetlength(rows->res, rows->row, col);
        return text;
    }
    PQfreemem(rows->blob);
    rows->blob = PQunescapeBytea((const unsigned char *)text, out_len);
    if (!rows->blob)
        die_oom(strlen(text));
    return rows->blob;
}

const struct db_backend db_postgres_backend = {
    .name = "postgres",
    .kind = DB_POSTGRES,
    .begin_sql = "BEGIN",
    .id_column = "BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
    .blob_type = "BYTEA",
    .now_expr = "(CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))",
    .open = pg_open,
    .close = pg_close,
    .exec = pg_exec,
    .exec_script = pg_exec_script,
    .query = pg_query,
    .next = pg_next,
    .rows_free = pg_rows_free,
    .is_null = pg_is_null,
    .get_int = pg_get_int,
    .get_text = pg_get_text,
    .get_len = pg_get_len,
    .get_blob = pg_get_blob,
};
