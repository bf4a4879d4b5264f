/*
 * The database queue backend: the `job` table on SQLite or PostgreSQL.
 *
 * A claim is one statement: UPDATE the oldest due queued row to running, with a random
 * claim token in locked_by and the lease's end in locked_until, RETURNING it. PostgreSQL
 * picks the row with FOR UPDATE SKIP LOCKED, so concurrent claimers pass each other;
 * SQLite runs the statement under its single write lock, which is atomic by itself.
 * Settling a job checks the token, so a claimant whose lease ran out changes nothing.
 * At most once a second a handle hands expired leases back (or buries a job whose last
 * attempt expired). Acked jobs are deleted. Times in the table are UTC seconds.
 */
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "jobs/queue_backend.h"
#include "core/banned.h"

struct queue_db {
    struct queue base;
    struct db *db;
    int64_t next_expiry_sweep_ms;
};

static struct queue_db *as_db(struct queue *q)
{
    return (struct queue_db *)q;
}

static int db_failed(struct queue_db *d, int rc)
{
    return queue_fail(&d->base, rc, "%s", db_errmsg(d->db));
}

static int64_t seconds_up(int64_t ms)
{
    return (ms + 999) / 1000;
}

static int db_enqueue(struct queue *q, const struct job_spec *s, int64_t *out_id)
{
    struct queue_db *d = as_db(q);
    int64_t now = clock_now();
    int64_t run_at = s->run_at_ms ? seconds_up(s->run_at_ms) : now;
    int64_t id = 0;
    int rc = db_query_int(d->db, &id,
                          "INSERT INTO job (queue, kind, payload, max_attempts, run_at, unique_key,"
                          " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                          " ON CONFLICT (unique_key) DO NOTHING RETURNING id",
                          DB_TEXT(s->queue), DB_TEXT(s->kind), DB_TEXT(s->payload),
                          DB_INT(s->max_attempts), DB_INT(run_at), DB_TEXT(s->unique_key),
                          DB_INT(now), DB_INT(now));
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return db_failed(d, rc);
    if (out_id)
        *out_id = id;
    return 1;
}

/* Leases that ran out: the job is due again, or dead when that was its last attempt. */
static int sweep_expired(struct queue_db *d)
{
    int64_t now_ms = clock_now_ms();
    if (now_ms < d->next_expiry_sweep_ms)
        return 0;
    d->next_expiry_sweep_ms = now_ms + 1000;
    int64_t now = now_ms / 1000;
    int rc = db_exec(d->db,
                     "UPDATE job SET status = CASE WHEN attempts >= max_attempts THEN 'dead'"
                     " ELSE 'queued' END, last_error = 'lease expired: the worker stopped"
                     " without an answer', locked_by = NULL, locked_until = NULL, updated_at = ?"
                     " WHERE status = 'running' AND locked_until <= ?",
                     DB_INT(now), DB_INT(now));
    return rc ? db_failed(d, rc) : 0;
}

static const char claim_sqlite[] =
    "UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = ?,"
    " locked_until = ?, updated_at = ? WHERE id = (SELECT id FROM job WHERE status = 'queued'"
    " AND queue IN (?, ?) AND run_at <= ? ORDER BY run_at, id LIMIT 1)"
    " RETURNING id, queue, kind, payload, attempts, max_attempts";
static const char claim_postgres[] =
    "UPDATE job SET status = 'running', attempts = attempts + 1, locked_by = ?,"
    " locked_until = ?, updated_at = ? WHERE id = (SELECT id FROM job WHERE status = 'queued'"
    " AND queue IN (?, ?) AND run_at <= ? ORDER BY run_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)"
    " RETURNING id, queue, kind, payload, attempts, max_attempts";

static void read_job(struct job *out, struct db_rows *rows, struct arena *a)
{
    out->id = db_int(rows, 0);
    out->queue = db_text_dup(rows, 1, a);
    out->kind = db_text_dup(rows, 2, a);
    out->payload = db_text_dup(rows, 3, a);
    out->attempts = (int)db_int(rows, 4);
    out->max_attempts = (int)db_int(rows, 5);
}

static int db_claim(struct queue *q, struct job *out, struct arena *a, const char *const *queues,
                    size_t queue_count, int64_t lease_ms, int64_t wait_ms)
{
    struct queue_db *d = as_db(q);
    int rc = sweep_expired(d);
    if (rc)
        return rc;
    char token[33];
    queue_token(token, sizeof token);
    int64_t now_ms = clock_now_ms();
    struct db_rows *rows = NULL;
    rc = db_query(d->db, &rows, db_kind(d->db) == DB_POSTGRES ? claim_postgres : claim_sqlite,
                  DB_TEXT(token), DB_INT(seconds_up(now_ms + lease_ms)), DB_INT(now_ms / 1000),
                  DB_TEXT(queues[0]), DB_TEXT(queues[queue_count > 1 ? 1 : 0]),
                  DB_INT(now_ms / 1000));
    if (rc)
        return db_failed(d, rc);
    int got = db_next(rows);
    if (got > 0) {
        read_job(out, rows, a);
        out->lease = arena_strdup(a, token);
    }
    db_rows_free(rows);
    if (got < 0)
        return db_failed(d, got);
    if (!got && wait_ms)
        clock_sleep_ms(wait_ms);
    return got;
}

/* Runs a settling statement whose last two parameters are the job's id and token. */
static int settle(struct queue_db *d, const char *sql, const struct db_param *params, size_t n)
{
    int rc = db_execv(d->db, sql, params, n);
    if (rc)
        return db_failed(d, rc);
    if (db_changes(d->db) != 1)
        return queue_fail(&d->base, ERR_CONFLICT, "the job's lease was lost");
    return 0;
}

static int db_ack(struct queue *q, const struct job *job)
{
    return settle(as_db(q), "DELETE FROM job WHERE status = 'running' AND id = ? AND locked_by = ?",
                  DB_ARGS(DB_INT(job->id), DB_TEXT(job->lease)));
}

static int db_retry(struct queue *q, const struct job *job, int64_t run_at_ms, const char *error)
{
    return settle(as_db(q),
                  "UPDATE job SET status = 'queued', run_at = ?, last_error = ?, locked_by = NULL,"
                  " locked_until = NULL, updated_at = ? WHERE status = 'running' AND id = ?"
                  " AND locked_by = ?",
                  DB_ARGS(DB_INT(seconds_up(run_at_ms)), DB_TEXT(error), DB_INT(clock_now()),
                          DB_INT(job->id), DB_TEXT(job->lease)));
}

static int db_bury(struct queue *q, const struct job *job, const char *error)
{
    return settle(
        as_db(q),
        "UPDATE job SET status = 'dead', last_error = ?, locked_by = NULL,"
        " locked_until = NULL, updated_at = ? WHERE status = 'running' AND id = ?"
        " AND locked_by = ?",
        DB_ARGS(DB_TEXT(error), DB_INT(clock_now()), DB_INT(job->id), DB_TEXT(job->lease)));
}

static int db_release(struct queue *q, const struct job *job)
{
    int64_t now = clock_now();
    return settle(as_db(q),
                  "UPDATE job SET status = 'queued', attempts = attempts - 1, locked_by = NULL,"
                  " locked_until = NULL, run_at = ?, updated_at = ? WHERE status = 'running'"
                  " AND id = ? AND locked_by = ?",
                  DB_ARGS(DB_INT(now), DB_INT(now), DB_INT(job->id), DB_TEXT(job->lease)));
}

static int db_dead_list(struct queue *q, struct job *out, size_t limit, size_t *out_count,
                        struct arena *a)
{
    struct queue_db *d = as_db(q);
    struct db_rows *rows = NULL;
    int rc = db_query(d->db, &rows,
                      "SELECT id, queue, kind, payload, attempts, max_attempts, last_error,"
                      " updated_at FROM job WHERE status = 'dead' ORDER BY updated_at DESC,"
                      " id DESC LIMIT ?",
                      DB_INT(limit));
    if (rc)
        return db_failed(d, rc);
    while (*out_count < limit && (rc = db_next(rows)) > 0) {
        struct job *j = &out[(*out_count)++];
        memset(j, 0, sizeof *j);
        read_job(j, rows, a);
        j->last_error = db_text_dup(rows, 6, a);
        j->updated_ms = db_int(rows, 7) * 1000;
    }
    db_rows_free(rows);
    return rc < 0 ? db_failed(d, rc) : 0;
}

static int dead_change(struct queue_db *d, const char *sql, const struct db_param *params, size_t n)
{
    int rc = db_execv(d->db, sql, params, n);
    if (rc)
        return db_failed(d, rc);
    return db_changes(d->db) == 1 ? 0 : queue_fail(&d->base, ERR_NOTFOUND, "no such dead job");
}

static int db_dead_retry(struct queue *q, int64_t id)
{
    int64_t now = clock_now();
    return dead_change(as_db(q),
                       "UPDATE job SET status = 'queued', attempts = 0, run_at = ?, updated_at = ?"
                       " WHERE status = 'dead' AND id = ?",
                       DB_ARGS(DB_INT(now), DB_INT(now), DB_INT(id)));
}

static int db_dead_discard(struct queue *q, int64_t id)
{
    return dead_change(as_db(q), "DELETE FROM job WHERE status = 'dead' AND id = ?",
                       DB_ARGS(DB_INT(id)));
}

static int db_lease(struct queue *q, const char *name, const char *holder, int64_t ttl_ms)
{
    struct queue_db *d = as_db(q);
    int64_t now_ms = clock_now_ms();
    int rc = db_exec(d->db,
                     "INSERT INTO job_lease (name, holder, expires_ms) VALUES (?, ?, ?)"
                     " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
                     " expires_ms = excluded.expires_ms WHERE job_lease.holder = excluded.holder"
                     " OR job_lease.expires_ms < ?",
                     DB_TEXT(name), DB_TEXT(holder), DB_INT(now_ms + ttl_ms), DB_INT(now_ms));
    if (rc)
        return db_failed(d, rc);
    return db_changes(d->db) == 1;
}

/* Nothing to share between processes: the process's flood state (tg/flood.h, in every
 * sender's Bot API client) paces the sends and keeps the 429 holds. */
static int db_rate_take(struct queue *q, double per_second, int64_t chat_id, int64_t *out_wait_ms)
{
    (void)q;
    (void)per_second;
    (void)chat_id;
    *out_wait_ms = 0;
    return 0;
}

static int db_rate_hold(struct queue *q, int64_t ms)
{
    (void)q;
    (void)ms;
    return 0;
}

static void db_queue_close(struct queue *q)
{
    db_close(as_db(q)->db);
    free(q);
}

static const struct queue_ops db_ops = {
    .name = "database",
    .enqueue = db_enqueue,
    .claim = db_claim,
    .ack = db_ack,
    .retry = db_retry,
    .bury = db_bury,
    .release = db_release,
    .dead_list = db_dead_list,
    .dead_retry = db_dead_retry,
    .dead_discard = db_dead_discard,
    .lease = db_lease,
    .rate_take = db_rate_take,
    .rate_hold = db_rate_hold,
    .close = db_queue_close,
};

int queue_db_open(struct queue **out, const char *database_url, struct buf *err)
{
    struct db *db = NULL;
    int rc = db_open(&db, database_url, err);
    if (rc)
        return rc;
    struct queue_db *d = xcalloc(1, sizeof *d);
    d->base.ops = &db_ops;
    d->db = db;
    *out = &d->base;
    return 0;
}
