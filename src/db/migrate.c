#include "db/migrate.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "core/parse.h"
#include "db/db_backend.h"
#include "core/banned.h"

/* Any constant, as long as nothing else in the database uses it: "tgshop" in ASCII. */
#define MIGRATION_LOCK_KEY 0x746773686f70LL

static const char create_table_sql[] = "CREATE TABLE IF NOT EXISTS schema_migrations ("
                                       " version BIGINT PRIMARY KEY,"
                                       " name TEXT NOT NULL,"
                                       " applied_at BIGINT NOT NULL)";

int migrate_count(void)
{
    int n = 0;
    while (db_migrations[n].name)
        n++;
    return n;
}

static int64_t version_of(const char *name)
{
    size_t digits = strspn(name, "0123456789");
    int64_t v = 0;
    if (!digits || parse_int64_n(name, digits, &v))
        return -1;
    return v;
}

/* The backend sections: text between a start marker and {{END}} is kept only on that backend. */
static const char *const section_names[] = {"{{SQLITE}}", "{{POSTGRES}}"};
static const enum db_kind section_kinds[] = {DB_SQLITE, DB_POSTGRES};

char *migrate_expand(const struct db *db, const char *sql)
{
    static const char *const names[] = {"{{ID}}", "{{BLOB}}", "{{NOW}}"};
    const char *values[] = {db->backend->id_column, db->backend->blob_type, db->backend->now_expr};
    struct buf out = BUF_INIT;
    const char *p = sql;
    bool skipping = false;
    while (*p) {
        bool replaced = false;
        if (p[0] == '{' && p[1] == '{') {
            for (size_t i = 0; i < 2 && !replaced; i++) {
                size_t n = strlen(section_names[i]);
                if (!strncmp(p, section_names[i], n)) {
                    skipping = db_kind(db) != section_kinds[i];
                    p += n;
                    replaced = true;
                }
            }
            if (!replaced && !strncmp(p, "{{END}}", 7)) {
                skipping = false;
                p += 7;
                replaced = true;
            }
            for (size_t i = 0; i < 3 && !replaced; i++) {
                size_t n = strlen(names[i]);
                if (!strncmp(p, names[i], n)) {
                    if (!skipping)
                        buf_adds(&out, values[i]);
                    p += n;
                    replaced = true;
                }
            }
        }
        if (!replaced) {
            if (!skipping)
                buf_addc(&out, *p);
            p++;
        }
    }
    return buf_detach(&out, NULL);
}

/* Takes the migration lock for this transaction and makes sure the bookkeeping table exists. */
static int lock_and_prepare(struct db *db)
{
    int rc = 0;
    if (db_kind(db) == DB_POSTGRES) {
        int64_t ignored;
        rc = db_query_int(db, &ignored, "SELECT 1 FROM (SELECT pg_advisory_xact_lock(?)) AS l",
                          DB_INT(MIGRATION_LOCK_KEY));
    }
    /* SQLite: BEGIN IMMEDIATE already holds the write lock */
    return rc ? rc : db_exec(db, create_table_sql);
}

struct apply_one {
    const struct embedded_file *file;
    int64_t version;
    bool ran;
};

static int apply_one(struct db *db, void *ctx)
{
    struct apply_one *m = ctx;
    m->ran = false;
    int rc = lock_and_prepare(db);
    if (rc)
        return rc;
    int64_t found;
    rc = db_query_int(db, &found, "SELECT version FROM schema_migrations WHERE version = ?",
                      DB_INT(m->version));
    if (rc == 0)
        return 0; /* another process applied it while we waited for the lock */
    if (rc != ERR_NOTFOUND)
        return rc;
    char *sql = migrate_expand(db, m->file->text);
    rc = db_exec_script(db, sql);
    free(sql);
    if (rc)
        return rc;
    rc = db_exec(db,
                 "INSERT INTO schema_migrations (version, name, applied_at) "
                 "VALUES (?, ?, ?)",
                 DB_INT(m->version), DB_TEXT(m->file->name), DB_INT(clock_now()));
    m->ran = rc == 0;
    return rc;
}

/* How many of the built-in migrations are recorded as applied, or -1 when the table does
 * not exist yet. Neither the highest version nor a plain row count: a migration numbered
 * below one already applied (work merged from a parallel branch), or a database that also
 * records a version this binary does not know, must still have its missing ones applied. */
static int applied_count(struct db *db)
{
    struct db_rows *rows;
    if (db_query(db, &rows, "SELECT version FROM schema_migrations"))
        return -1;
    int n = migrate_count(), found = 0, rc;
    bool *seen = xcalloc((size_t)n + 1, sizeof *seen);
    while ((rc = db_next(rows)) > 0) {
        for (int i = 0; i < n; i++) {
            if (!seen[i] && version_of(db_migrations[i].name) == db_int(rows, 0)) {
                seen[i] = true;
                found++;
            }
        }
    }
    db_rows_free(rows);
    free(seen);
    return rc < 0 ? -1 : found;
}

int migrate_apply(struct db *db, int *out_applied, struct buf *err)
{
    int applied = 0;
    if (out_applied)
        *out_applied = 0;
    int n = migrate_count();
    /* the common case, an up-to-date database, takes no lock */
    if (applied_count(db) >= n)
        return 0;
    for (int i = 0; i < n; i++) {
        struct apply_one m = {&db_migrations[i], version_of(db_migrations[i].name), false};
        if (m.version < 0) {
            buf_setf(err, "migration %s: name does not start with a version number", m.file->name);
            return ERR_INTERNAL;
        }
        int rc = db_transaction(db, apply_one, &m);
        if (rc) {
            buf_setf(err, "migration %s failed: %s", m.file->name, db_errmsg(db));
            return rc;
        }
        if (m.ran) {
            applied++;
            log_info("applied migration %s", m.file->name);
        }
    }
    if (out_applied)
        *out_applied = applied;
    return 0;
}

int migrate_status(struct db *db, struct migration_status *out, struct buf *err)
{
    int n = migrate_count();
    for (int i = 0; i < n; i++) {
        out[i].version = version_of(db_migrations[i].name);
        out[i].name = db_migrations[i].name;
        out[i].applied = false;
        out[i].applied_at = 0;
    }
    if (applied_count(db) < 0)
        return 0; /* nothing applied yet */
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT version, applied_at FROM schema_migrations");
    if (rc) {
        buf_setf(err, "cannot read schema_migrations: %s", db_errmsg(db));
        return rc;
    }
    while ((rc = db_next(rows)) > 0) {
        for (int i = 0; i < n; i++) {
            if (out[i].version == db_int(rows, 0)) {
                out[i].applied = true;
                out[i].applied_at = db_int(rows, 1);
            }
        }
    }
    db_rows_free(rows);
    if (rc < 0) {
        buf_setf(err, "cannot read schema_migrations: %s", db_errmsg(db));
        return rc;
    }
    return 0;
}
