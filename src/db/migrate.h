/*
 * Schema migrations: SQL files under src/db/migrations/, named
 * NNNN_description.sql, embedded in the binary at build time
 * (cmake/embed.cmake) and applied in order. Each runs in its own transaction
 * and is recorded in schema_migrations, so applying is idempotent.
 *
 * Concurrency: two processes migrating one database at the same moment
 * queue behind a lock (PostgreSQL: a transaction-scoped advisory lock;
 * SQLite: BEGIN IMMEDIATE, the database's write lock) and each re-checks
 * schema_migrations under it, so every migration runs exactly once.
 *
 * One text serves both backends; three placeholders stand for what differs:
 *   {{ID}}    the auto-increment 64-bit primary key column type
 *   {{BLOB}}  the binary type
 *   {{NOW}}   the current UTC time in seconds, for DEFAULT clauses
 * and two section markers for what only one backend has (full-text indexes):
 *   {{SQLITE}} ... {{END}}    kept on SQLite only
 *   {{POSTGRES}} ... {{END}}  kept on PostgreSQL only
 * Everything else is SQL both understand: BIGINT for integers, TEXT, CHECK
 * constraints, partial and expression indexes, ON CONFLICT, RETURNING.
 */
#ifndef TGSHOP_DB_MIGRATE_H
#define TGSHOP_DB_MIGRATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/embed.h"
#include "db/db.h"

/* The migrations built into this binary, sorted, ending with {NULL, NULL}. */
extern const struct embedded_file db_migrations[];

struct migration_status {
    int64_t version;
    const char *name; /* the file name */
    bool applied;
    int64_t applied_at; /* UTC seconds, 0 when not applied */
};

/* Applies what is missing. *out_applied (may be NULL) gets how many ran now.
 * On failure nothing of the failing migration stays and err says which one failed. */
int migrate_apply(struct db *db, int *out_applied, struct buf *err);

/* Fills out (an array of migrate_count() entries) with each migration's state. */
int migrate_status(struct db *db, struct migration_status *out, struct buf *err);
int migrate_count(void);

/* Expands the placeholders for db's backend; the caller frees the result. */
char *migrate_expand(const struct db *db, const char *sql);

#endif
