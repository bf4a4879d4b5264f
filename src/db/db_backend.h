/*
 * What a database backend implements (internal to src/db). A backend fills
 * db->error through db_fail() and never touches the transaction flags; the
 * generic layer (db.c) keeps those, so both backends share one set of
 * transaction rules.
 */
#ifndef TGSHOP_DB_BACKEND_H
#define TGSHOP_DB_BACKEND_H

#include "db/db.h"

struct db_backend {
    const char *name;
    enum db_kind kind;
    const char *begin_sql;
    /* SQL fragments migrations are written with (see migrate.h) */
    const char *id_column, *blob_type, *now_expr;
    int (*open)(struct db *db, const char *url);
    void (*close)(struct db *db);
    int (*exec)(struct db *db, const char *sql, const struct db_param *params, size_t n);
    int (*exec_script)(struct db *db, const char *sql);
    int (*query)(struct db *db, struct db_rows **out, const char *sql,
                 const struct db_param *params, size_t n);
    int (*next)(struct db_rows *rows);
    void (*rows_free)(struct db_rows *rows);
    bool (*is_null)(const struct db_rows *rows, int col);
    int64_t (*get_int)(const struct db_rows *rows, int col);
    const char *(*get_text)(const struct db_rows *rows, int col);
    size_t (*get_len)(const struct db_rows *rows, int col);
    const void *(*get_blob)(const struct db_rows *rows, int col, size_t *out_len);
};

struct db {
    const struct db_backend *backend;
    void *impl;
    struct db_error error;
    int64_t changes;
    bool in_tx;
    bool tx_failed;
    bool tx_lost; /* the connection dropped inside the transaction: nothing to roll back */
};

/* Every backend's row cursor starts with this. */
struct db_rows {
    struct db *db;
    int ncols;
};

extern const struct db_backend db_sqlite_backend;
extern const struct db_backend db_postgres_backend;

/* Records a failure in db->error and returns the ERR_* code for kind. */
int db_fail(struct db *db, enum db_error_kind kind, const char *sqlstate, int native,
            const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The text of a text parameter and its length. */
const char *db_param_text(const struct db_param *p, size_t *out_len);

#endif
