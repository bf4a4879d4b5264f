#include "shop/mailing.h"

#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/tgtext.h"
#include "core/utf8.h"
#include "core/banned.h"

static const char *const status_names[] = {"draft", "scheduled", "sending", "done", "cancelled"};
static const char *const audience_names[] = {"all", "buyers", "non_buyers"};

#define COUNT_OF(a) (sizeof(a) / sizeof *(a))

const char *mailing_status_name(enum mailing_status status)
{
    return (unsigned)status < COUNT_OF(status_names) ? status_names[status] : "unknown";
}

int mailing_status_parse(const char *name, enum mailing_status *out)
{
    for (size_t i = 0; name && i < COUNT_OF(status_names); i++) {
        if (!strcmp(name, status_names[i])) {
            *out = (enum mailing_status)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

const char *mailing_audience_name(enum mailing_audience audience)
{
    return (unsigned)audience < COUNT_OF(audience_names) ? audience_names[audience] : "unknown";
}

int mailing_audience_parse(const char *name, enum mailing_audience *out)
{
    for (size_t i = 0; name && i < COUNT_OF(audience_names); i++) {
        if (!strcmp(name, audience_names[i])) {
            *out = (enum mailing_audience)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

bool mailing_transition_allowed(enum mailing_status from, enum mailing_status to)
{
    switch (to) {
    case MAILING_SCHEDULED:
        return from == MAILING_DRAFT;
    case MAILING_DRAFT:
        return from == MAILING_SCHEDULED;
    case MAILING_SENDING:
        return from == MAILING_SCHEDULED;
    case MAILING_DONE:
        return from == MAILING_SENDING;
    case MAILING_CANCELLED:
        return from == MAILING_DRAFT || from == MAILING_SCHEDULED || from == MAILING_SENDING;
    }
    return false;
}

#define MAILING_COLUMNS                                                                            \
    "id, text, photo_path, photo_file_id, button_text, button_url, audience, language, "           \
    "COALESCE(ordered_from, 0), COALESCE(ordered_to, 0), status, COALESCE(scheduled_at, 0), "      \
    "COALESCE(started_at, 0), COALESCE(finished_at, 0), total_count, sent_count, failed_count, "   \
    "blocked_count, COALESCE(created_by, 0), created_at, updated_at, COALESCE(paused_at, 0)"

static void fill(void *item, struct db_rows *rows, struct arena *a)
{
    struct mailing *m = item;
    m->id = db_int(rows, 0);
    m->text = db_text_dup(rows, 1, a);
    m->photo_path = db_text_dup(rows, 2, a);
    m->photo_file_id = db_text_dup(rows, 3, a);
    m->button_text = db_text_dup(rows, 4, a);
    m->button_url = db_text_dup(rows, 5, a);
    if (mailing_audience_parse(db_text(rows, 6), &m->audience))
        m->audience = MAILING_TO_ALL;
    m->language = db_text_dup(rows, 7, a);
    m->ordered_from = db_int(rows, 8);
    m->ordered_to = db_int(rows, 9);
    if (mailing_status_parse(db_text(rows, 10), &m->status))
        m->status = MAILING_CANCELLED;
    m->scheduled_at = db_int(rows, 11);
    m->started_at = db_int(rows, 12);
    m->finished_at = db_int(rows, 13);
    m->total = db_int(rows, 14);
    m->sent = db_int(rows, 15);
    m->failed = db_int(rows, 16);
    m->blocked = db_int(rows, 17);
    m->created_by = db_int(rows, 18);
    m->created_at = db_int(rows, 19);
    m->updated_at = db_int(rows, 20);
    m->paused_at = db_int(rows, 21);
    m->pending = m->total - m->sent - m->failed - m->blocked;
    if (m->pending < 0)
        m->pending = 0;
}

int mailing_get(struct db *db, struct arena *a, int64_t id, struct mailing *out)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT " MAILING_COLUMNS " FROM mailing WHERE id = ?", DB_INT(id));
    return rc ? rc : listing_read_one(rows, a, out, fill);
}

int mailing_list(struct db *db, struct arena *a, int64_t offset, int limit, struct mailing **out,
                 int *out_count, int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    if (!listing_page_valid(offset, limit))
        return ERR_INVALID;
    int rc = db_query_int(db, out_total, "SELECT count(*) FROM mailing");
    if (rc)
        return rc;
    struct db_rows *rows;
    if ((rc = db_query(db, &rows,
                       "SELECT " MAILING_COLUMNS
                       " FROM mailing ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                       DB_INT(limit), DB_INT(offset))))
        return rc;
    void *list;
    if ((rc = listing_read(rows, a, limit, sizeof **out, fill, &list, out_count)))
        return rc;
    *out = list;
    return 0;
}

static bool valid_url(const char *s)
{
    static const char *const schemes[] = {"https://", "http://", "tg://"};
    size_t len = strlen(s);
    if (len > MAILING_URL_MAX || !utf8_valid(s, len))
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7f || *p == '"' || *p == '<' || *p == '>')
            return false;
    for (size_t i = 0; i < COUNT_OF(schemes); i++) {
        size_t n = strlen(schemes[i]);
        if (len > n && !strncmp(s, schemes[i], n))
            return true;
    }
    return false;
}

static bool valid_language(const char *s)
{
    size_t len = strlen(s);
    return len >= 2 && len <= 8 && strspn(s, "abcdefghijklmnopqrstuvwxyz-") == len;
}

static int check_input(const struct mailing_input *in, struct listing_problem *why)
{
    struct buf msg = BUF_INIT;
    bool photo = in->photo_path != NULL;
    if (tg_check_text(photo ? "The text (a photo caption)" : "The text", in->text, TG_PARSE_HTML,
                      true, photo ? TG_CAPTION_MAX : TG_TEXT_MAX, &msg)) {
        int rc = listing_refuse(why, "text", "%s", msg.data);
        buf_release(&msg);
        return rc;
    }
    buf_release(&msg);
    int rc = listing_check_file_path(why, "photo", in->photo_path);
    if (rc)
        return rc;
    bool has_text = in->button_text && *in->button_text;
    bool has_url = in->button_url && *in->button_url;
    if (has_text != has_url)
        return listing_refuse(why, has_text ? "button_url" : "button_text",
                              "Give both the button's text and its address, or neither");
    if (has_text && (rc = listing_check_text(why, "button_text", "The button's text",
                                             in->button_text, true, MAILING_BUTTON_TEXT_MAX)))
        return rc;
    if (has_url && !valid_url(in->button_url))
        return listing_refuse(why, "button_url",
                              "The button's address must be an http://, https:// or tg:// link");
    if ((unsigned)in->audience >= COUNT_OF(audience_names))
        return listing_refuse(why, "audience", "Choose who receives the mailing");
    if (in->language && *in->language && !valid_language(in->language))
        return listing_refuse(why, "language", "A language is a code like \"ru\" or \"en\"");
    if (in->ordered_from < 0 || in->ordered_to < 0 ||
        (in->ordered_from && in->ordered_to && in->ordered_from >= in->ordered_to))
        return listing_refuse(why, "ordered_to", "The order dates must run forward");
    if ((in->ordered_from || in->ordered_to) && in->audience != MAILING_TO_BUYERS)
        return listing_refuse(why, "audience", "Order dates choose among buyers only");
    return 0;
}

int mailing_save(struct db *db, const struct mailing_input *in, int64_t *out_id,
                 struct listing_problem *why)
{
    int rc = check_input(in, why);
    if (rc)
        return rc;
    bool button = in->button_text && *in->button_text;
    const char *language = in->language && *in->language ? in->language : NULL;
    int64_t now = clock_now();
    if (!in->id) {
        return db_query_int(
            db, out_id,
            "INSERT INTO mailing (text, parse_mode, photo_path, button_text, button_url, "
            "audience, language, ordered_from, ordered_to, created_by, created_at, updated_at) "
            "VALUES (?, 'HTML', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            DB_TEXT(in->text), DB_TEXT(in->photo_path), DB_TEXT(button ? in->button_text : NULL),
            DB_TEXT(button ? in->button_url : NULL), DB_TEXT(audience_names[in->audience]),
            DB_TEXT(language), DB_INT_OR_NULL(in->ordered_from, in->ordered_from != 0),
            DB_INT_OR_NULL(in->ordered_to, in->ordered_to != 0),
            DB_INT_OR_NULL(in->created_by, in->created_by > 0), DB_INT(now), DB_INT(now));
    }
    /* a new photo forgets Telegram's file_id of the old one */
    rc = db_exec(db,
                 "UPDATE mailing SET text = ?, photo_file_id = CASE WHEN photo_path IS NOT "
                 "DISTINCT FROM ? THEN photo_file_id ELSE NULL END, photo_path = ?, "
                 "button_text = ?, button_url = ?, audience = ?, language = ?, ordered_from = ?, "
                 "ordered_to = ?, updated_at = ? WHERE id = ? AND status = 'draft'",
                 DB_TEXT(in->text), DB_TEXT(in->photo_path), DB_TEXT(in->photo_path),
                 DB_TEXT(button ? in->button_text : NULL), DB_TEXT(button ? in->button_url : NULL),
                 DB_TEXT(audience_names[in->audience]), DB_TEXT(language),
                 DB_INT_OR_NULL(in->ordered_from, in->ordered_from != 0),
                 DB_INT_OR_NULL(in->ordered_to, in->ordered_to != 0), DB_INT(now), DB_INT(in->id));
    if (rc)
        return rc;
    if (!db_changes(db)) {
        int64_t exists = 0;
        rc = db_query_int(db, &exists, "SELECT 1 FROM mailing WHERE id = ?", DB_INT(in->id));
        if (rc == ERR_NOTFOUND)
            return listing_refuse_code(why, rc, "", "No such mailing");
        return rc ? rc : listing_refuse_code(why, ERR_CONFLICT, "", "Only a draft can be edited");
    }
    if (out_id)
        *out_id = in->id;
    return 0;
}

/* Explains why a state change found the mailing in another state. */
static int refuse_move(struct db *db, int64_t id, enum mailing_status to,
                       struct listing_problem *why)
{
    struct arena a;
    arena_init(&a, 1024);
    struct mailing m;
    int rc = mailing_get(db, &a, id, &m);
    if (rc == ERR_NOTFOUND)
        rc = listing_refuse_code(why, rc, "", "No such mailing");
    else if (!rc)
        rc = listing_refuse_code(why, ERR_CONFLICT, "", "A %s mailing cannot become %s",
                                 mailing_status_name(m.status), mailing_status_name(to));
    arena_release(&a);
    return rc;
}

int mailing_delete(struct db *db, int64_t id, struct listing_problem *why)
{
    int rc =
        db_exec(db, "DELETE FROM mailing WHERE id = ? AND status NOT IN ('scheduled', 'sending')",
                DB_INT(id));
    if (rc || db_changes(db))
        return rc;
    rc = refuse_move(db, id, MAILING_CANCELLED, why);
    if (rc == ERR_CONFLICT)
        listing_refuse_code(why, rc, "", "Cancel the mailing before deleting it");
    return rc;
}

/* The audience's condition on customer c, for m. */
static void audience_where(struct listing_query *q, const struct mailing *m)
{
    listing_query_add(q, " WHERE c.is_blocked = 0 AND c.is_banned = 0");
    if (m->language)
        listing_query_add(q, " AND c.language_code = ?", DB_TEXT(m->language));
    if (m->audience == MAILING_TO_NON_BUYERS) {
        listing_query_add(q, " AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id"
                             " AND o.status IN ('paid', 'shipped', 'delivered'))");
    } else if (m->audience == MAILING_TO_BUYERS) {
        listing_query_add(q, " AND EXISTS (SELECT 1 FROM orders o WHERE o.customer_id = c.id"
                             " AND o.status IN ('paid', 'shipped', 'delivered')");
        if (m->ordered_from)
            listing_query_add(q, " AND o.created_at >= ?", DB_INT(m->ordered_from));
        if (m->ordered_to)
            listing_query_add(q, " AND o.created_at < ?", DB_INT(m->ordered_to));
        listing_query_add(q, ")");
    }
}

static int count_audience(struct db *db, const struct mailing *m, int64_t *out)
{
    struct listing_query q;
    listing_query_init(&q, "SELECT count(*) FROM customer c");
    audience_where(&q, m);
    int rc = listing_query_int(db, &q, out);
    listing_query_release(&q);
    return rc;
}

int mailing_audience_count(struct db *db, int64_t id, int64_t *out)
{
    struct arena a;
    arena_init(&a, 1024);
    struct mailing m;
    int rc = mailing_get(db, &a, id, &m);
    if (!rc)
        rc = count_audience(db, &m, out);
    arena_release(&a);
    return rc;
}

struct schedule {
    int64_t id, at;
    struct listing_problem *why;
};

static int apply_schedule(struct db *db, void *ctx)
{
    struct schedule *s = ctx;
    struct arena a;
    arena_init(&a, 1024);
    struct mailing m;
    int64_t total = 0;
    int rc = mailing_get(db, &a, s->id, &m);
    if (rc == ERR_NOTFOUND)
        rc = listing_refuse_code(s->why, rc, "", "No such mailing");
    if (!rc && !mailing_transition_allowed(m.status, MAILING_SCHEDULED))
        rc = listing_refuse_code(s->why, ERR_CONFLICT, "", "A %s mailing cannot become scheduled",
                                 mailing_status_name(m.status));
    if (!rc)
        rc = count_audience(db, &m, &total);
    if (!rc)
        rc = db_exec(db,
                     "UPDATE mailing SET status = 'scheduled', scheduled_at = ?, total_count = ?, "
                     "updated_at = ? WHERE id = ?",
                     DB_INT(s->at), DB_INT(total), DB_INT(clock_now()), DB_INT(s->id));
    arena_release(&a);
    return rc;
}

int mailing_schedule(struct db *db, int64_t id, int64_t at, int64_t now,
                     struct listing_problem *why)
{
    enum { SLACK = 60 };
    if (at && at < now - SLACK)
        return listing_refuse(why, "scheduled_at", "The time to send lies in the past");
    if (at > now + MAILING_SCHEDULE_AHEAD_MAX)
        return listing_refuse(why, "scheduled_at", "The time to send is more than a year ahead");
    struct schedule s = {id, at ? at : now, why};
    return db_transaction(db, apply_schedule, &s);
}

int mailing_unschedule(struct db *db, int64_t id, struct listing_problem *why)
{
    int rc = db_exec(db,
                     "UPDATE mailing SET status = 'draft', scheduled_at = NULL, total_count = 0, "
                     "updated_at = ? WHERE id = ? AND status = 'scheduled'",
                     DB_INT(clock_now()), DB_INT(id));
    if (rc || db_changes(db))
        return rc;
    return refuse_move(db, id, MAILING_DRAFT, why);
}

int mailing_cancel(struct db *db, int64_t id, int64_t now, struct listing_problem *why)
{
    int rc = db_exec(db,
                     "UPDATE mailing SET status = 'cancelled', finished_at = ?, updated_at = ? "
                     "WHERE id = ? AND status IN ('draft', 'scheduled', 'sending')",
                     DB_INT(now), DB_INT(now), DB_INT(id));
    if (rc || db_changes(db))
        return rc;
    return refuse_move(db, id, MAILING_CANCELLED, why);
}

int mailing_add_recipients(struct db *db, int64_t id, int64_t after, int batch, int64_t *out_last,
                           int64_t *out_added)
{
    *out_last = 0;
    *out_added = 0;
    if (batch < 1 || batch > MAILING_BATCH_MAX)
        return ERR_INVALID;
    struct arena a;
    arena_init(&a, 1024);
    struct mailing m;
    int rc = mailing_get(db, &a, id, &m);
    if (rc)
        goto done;
    struct listing_query q;
    listing_query_init(&q, "SELECT COALESCE(max(id), 0) FROM (SELECT c.id FROM customer c");
    audience_where(&q, &m);
    listing_query_add(&q, " AND c.id > ? ORDER BY c.id LIMIT ?) AS page", DB_INT(after),
                      DB_INT(batch));
    rc = listing_query_int(db, &q, out_last);
    listing_query_release(&q);
    if (rc || !*out_last)
        goto done;
    listing_query_init(&q, "");
    listing_query_add(&q,
                      "INSERT INTO mailing_delivery (mailing_id, customer_id) SELECT ?, c.id "
                      "FROM customer c",
                      DB_INT(id));
    audience_where(&q, &m);
    listing_query_add(&q, " AND c.id > ? AND c.id <= ? ON CONFLICT DO NOTHING", DB_INT(after),
                      DB_INT(*out_last));
    rc = db_execv(db, q.sql.data, q.params, q.count);
    listing_query_release(&q);
    if (!rc)
        *out_added = db_changes(db);
done:
    arena_release(&a);
    return rc;
}

/* Moves a sending mailing in or out of pause; refuses with a message otherwise. A resumed
 * mailing is dispatched again (dispatched_at NULL: jobs/scheduler.c). */
static int set_paused(struct db *db, int64_t id, int64_t now, bool pause,
                      struct listing_problem *why)
{
    int rc = pause ? db_exec(db,
                             "UPDATE mailing SET paused_at = ?, updated_at = ? WHERE id = ? AND "
                             "status = 'sending' AND paused_at IS NULL",
                             DB_INT(now), DB_INT(now), DB_INT(id))
                   : db_exec(db,
                             "UPDATE mailing SET paused_at = NULL, dispatched_at = NULL, "
                             "updated_at = ? WHERE id = ? AND status = 'sending' AND "
                             "paused_at IS NOT NULL",
                             DB_INT(now), DB_INT(id));
    if (rc || db_changes(db))
        return rc;
    struct arena a;
    arena_init(&a, 1024);
    struct mailing m;
    rc = mailing_get(db, &a, id, &m);
    if (rc == ERR_NOTFOUND)
        rc = listing_refuse_code(why, rc, "", "No such mailing");
    else if (!rc && m.status == MAILING_SENDING)
        rc = listing_refuse_code(why, ERR_CONFLICT, "",
                                 pause ? "The mailing is paused already"
                                       : "The mailing is not paused");
    else if (!rc)
        rc = listing_refuse_code(why, ERR_CONFLICT, "", "A %s mailing cannot be %s",
                                 mailing_status_name(m.status), pause ? "paused" : "resumed");
    arena_release(&a);
    return rc;
}

int mailing_pause(struct db *db, int64_t id, int64_t now, struct listing_problem *why)
{
    return set_paused(db, id, now, true, why);
}

int mailing_resume(struct db *db, int64_t id, int64_t now, struct listing_problem *why)
{
    return set_paused(db, id, now, false, why);
}

int mailing_errors(struct db *db, struct arena *a, int64_t id, int limit,
                   struct mailing_error_count **out, int *out_count)
{
    *out = NULL;
    *out_count = 0;
    if (limit < 1 || limit > LISTING_PAGE_MAX)
        return ERR_INVALID;
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT COALESCE(last_error, ''), count(*) FROM mailing_delivery WHERE "
                      "mailing_id = ? AND status IN ('failed', 'blocked') GROUP BY "
                      "COALESCE(last_error, '') ORDER BY count(*) DESC, 1 LIMIT ?",
                      DB_INT(id), DB_INT(limit));
    if (rc)
        return rc;
    struct mailing_error_count *list = arena_calloc(a, (size_t)limit, sizeof *list);
    while ((rc = db_next(rows)) > 0) {
        list[*out_count].error = db_text_dup(rows, 0, a);
        list[*out_count].count = db_int(rows, 1);
        (*out_count)++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    *out = list;
    return 0;
}

struct fanout_step {
    int64_t id, now, added;
    int batch;
    bool complete;
};

static int apply_fanout_step(struct db *db, void *ctx)
{
    struct fanout_step *f = ctx;
    f->added = 0;
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT fanout_cursor, fanout_done_at IS NOT NULL FROM mailing WHERE id = ?",
                      DB_INT(f->id));
    if (rc)
        return rc;
    int64_t cursor = 0;
    if ((rc = db_next(rows)) > 0) {
        cursor = db_int(rows, 0);
        f->complete = db_int(rows, 1) != 0;
    }
    db_rows_free(rows);
    if (rc <= 0)
        return rc ? rc : ERR_NOTFOUND;
    if (f->complete)
        return 0;
    int64_t last = 0;
    if ((rc = mailing_add_recipients(db, f->id, cursor, f->batch, &last, &f->added)))
        return rc;
    if (last)
        return db_exec(db, "UPDATE mailing SET fanout_cursor = ?, heartbeat_at = ? WHERE id = ?",
                       DB_INT(last), DB_INT(f->now), DB_INT(f->id));
    f->complete = true;
    return db_exec(db,
                   "UPDATE mailing SET fanout_done_at = ?, heartbeat_at = ?, total_count = "
                   "(SELECT count(*) FROM mailing_delivery WHERE mailing_id = ?) WHERE id = ?",
                   DB_INT(f->now), DB_INT(f->now), DB_INT(f->id), DB_INT(f->id));
}

int mailing_fanout_step(struct db *db, int64_t id, int batch, int64_t now, int64_t *out_added,
                        bool *out_complete)
{
    struct fanout_step f = {.id = id, .now = now, .batch = batch};
    int rc = db_transaction(db, apply_fanout_step, &f);
    *out_added = rc ? 0 : f.added;
    *out_complete = !rc && f.complete;
    return rc;
}

/* The ids an UPDATE ... RETURNING id gave, into *out (in a). */
static int returned_ids(struct db *db, struct arena *a, int limit, int64_t **out, int *out_count,
                        const char *sql, const struct db_param *params, size_t nparams)
{
    *out = arena_calloc(a, (size_t)(limit > 0 ? limit : 1), sizeof **out);
    *out_count = 0;
    struct db_rows *rows;
    int rc = db_queryv(db, &rows, sql, params, nparams);
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0)
        if (*out_count < limit)
            (*out)[(*out_count)++] = db_int(rows, 0);
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

int mailing_start_due(struct db *db, struct arena *a, int64_t now, int limit, int64_t **out,
                      int *out_count)
{
    return returned_ids(db, a, limit, out, out_count,
                        "UPDATE mailing SET status = 'sending', started_at = ?, dispatched_at = ?, "
                        "updated_at = ? WHERE id IN (SELECT id FROM mailing WHERE status = "
                        "'scheduled' AND scheduled_at <= ? ORDER BY scheduled_at, id LIMIT ?) AND "
                        "status = 'scheduled' RETURNING id",
                        DB_ARGS(DB_INT(now), DB_INT(now), DB_INT(now), DB_INT(now), DB_INT(limit)));
}

int mailing_redispatch_due(struct db *db, struct arena *a, int64_t now, int64_t stale, int limit,
                           int64_t **out, int *out_count)
{
    return returned_ids(
        db, a, limit, out, out_count,
        "UPDATE mailing SET dispatched_at = ? WHERE id IN (SELECT id FROM mailing "
        "WHERE status = 'sending' AND paused_at IS NULL AND (dispatched_at IS "
        "NULL OR (dispatched_at < ? AND COALESCE(heartbeat_at, 0) < ?)) ORDER BY "
        "id LIMIT ?) RETURNING id",
        DB_ARGS(DB_INT(now), DB_INT(now - stale), DB_INT(now - stale), DB_INT(limit)));
}

int mailing_report_progress(struct db *db, struct arena *a, int64_t id, int64_t now,
                            const struct mailing_progress *delta, struct mailing_state *out)
{
    memset(out, 0, sizeof *out);
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "UPDATE mailing SET heartbeat_at = ?, "
                      "sent_count = sent_count + CASE WHEN status = 'done' THEN 0 ELSE ? END, "
                      "failed_count = failed_count + CASE WHEN status = 'done' THEN 0 ELSE ? END, "
                      "blocked_count = blocked_count + CASE WHEN status = 'done' THEN 0 ELSE ? END "
                      "WHERE id = ? RETURNING status, paused_at IS NOT NULL, "
                      "fanout_done_at IS NOT NULL, photo_file_id",
                      DB_INT(now), DB_INT(delta->sent), DB_INT(delta->failed),
                      DB_INT(delta->blocked), DB_INT(id));
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0) {
        if (mailing_status_parse(db_text(rows, 0), &out->status))
            out->status = MAILING_CANCELLED;
        out->paused = db_int(rows, 1) != 0;
        out->fanout_complete = db_int(rows, 2) != 0;
        out->photo_file_id = db_text_dup(rows, 3, a);
    }
    db_rows_free(rows);
    return rc < 0 ? rc : rc ? 0 : ERR_NOTFOUND;
}

int mailing_set_photo_file_id(struct db *db, int64_t id, const char *old_file_id,
                              const char *new_file_id)
{
    return db_exec(db,
                   "UPDATE mailing SET photo_file_id = ? WHERE id = ? AND "
                   "photo_file_id IS NOT DISTINCT FROM ?",
                   DB_TEXT(new_file_id), DB_INT(id), DB_TEXT(old_file_id));
}

enum { CLAIM_MAX = 1000 };

int mailing_claim(struct db *db, int64_t id, const char *token, int64_t now_ms, int64_t until_ms,
                  int limit, struct mailing_recipient *out, int *out_count)
{
    *out_count = 0;
    if (limit < 1 || limit > CLAIM_MAX || !token || !*token)
        return ERR_INVALID;
    /* PostgreSQL: senders claiming at once skip each other's rows; SQLite runs the statement
     * under its write lock */
    static const char claim_sql[] =
        "UPDATE mailing_delivery SET claimed_by = ?, claimed_until = ? WHERE id IN (SELECT id "
        "FROM mailing_delivery WHERE mailing_id = ? AND status = 'pending' AND retry_at <= ? AND "
        "(claimed_until IS NULL OR claimed_until < ?) ORDER BY customer_id LIMIT ?%s) RETURNING "
        "id, (SELECT tg_id FROM customer WHERE customer.id = mailing_delivery.customer_id), "
        "attempts";
    char sql[sizeof claim_sql + 32];
    snprintf(sql, sizeof sql, claim_sql,
             db_kind(db) == DB_POSTGRES ? " FOR UPDATE SKIP LOCKED" : "");
    struct db_rows *rows;
    int rc = db_query(db, &rows, sql, DB_TEXT(token), DB_INT(until_ms), DB_INT(id), DB_INT(now_ms),
                      DB_INT(now_ms), DB_INT(limit));
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0 && *out_count < limit) {
        struct mailing_recipient *r = &out[(*out_count)++];
        r->delivery_id = db_int(rows, 0);
        r->chat_id = db_int(rows, 1);
        r->attempts = db_int(rows, 2);
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

int mailing_claim_renew(struct db *db, const char *token, int64_t until_ms)
{
    return db_exec(db,
                   "UPDATE mailing_delivery SET claimed_until = ? WHERE claimed_by = ? AND "
                   "status = 'pending'",
                   DB_INT(until_ms), DB_TEXT(token));
}

int mailing_claim_release(struct db *db, const char *token)
{
    return db_exec(db,
                   "UPDATE mailing_delivery SET claimed_by = NULL, claimed_until = NULL WHERE "
                   "claimed_by = ?",
                   DB_TEXT(token));
}

int mailing_unheld(struct db *db, int64_t id, int64_t held_until_ms, int64_t *out)
{
    return db_query_int(db, out,
                        "SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND status = "
                        "'pending' AND (claimed_until IS NULL OR claimed_until < ?)",
                        DB_INT(id), DB_INT(held_until_ms));
}

static const char *const delivery_status_names[] = {"pending", "sent", "failed", "blocked"};

struct record {
    int64_t delivery_id, now;
    const struct mailing_outcome *o;
    enum mailing_delivery_status recorded;
};

/* A final state, and for a block the customer's flag too. */
static int apply_final(struct db *db, void *ctx)
{
    struct record *r = ctx;
    const struct mailing_outcome *o = r->o;
    bool sent = o->status == MAILING_DELIVERY_SENT;
    r->recorded = MAILING_DELIVERY_PENDING;
    int rc = db_exec(db,
                     "UPDATE mailing_delivery SET status = ?, message_id = ?, sent_at = ?, "
                     "attempts = attempts + 1, last_error = ?, claimed_by = NULL, "
                     "claimed_until = NULL, updated_at = ? WHERE id = ? AND status = 'pending'",
                     DB_TEXT(delivery_status_names[o->status]), DB_INT_OR_NULL(o->message_id, sent),
                     DB_INT_OR_NULL(r->now, sent), DB_TEXT(sent ? NULL : o->error), DB_INT(r->now),
                     DB_INT(r->delivery_id));
    if (rc || !db_changes(db))
        return rc;
    r->recorded = o->status;
    if (o->status != MAILING_DELIVERY_BLOCKED)
        return 0;
    return db_exec(db,
                   "UPDATE customer SET is_blocked = 1 WHERE id = (SELECT customer_id FROM "
                   "mailing_delivery WHERE id = ?)",
                   DB_INT(r->delivery_id));
}

int mailing_record(struct db *db, int64_t delivery_id, const char *token, int64_t now,
                   const struct mailing_outcome *o, enum mailing_delivery_status *out)
{
    *out = MAILING_DELIVERY_PENDING;
    if ((unsigned)o->status >= COUNT_OF(delivery_status_names))
        return ERR_INVALID;
    struct record r = {.delivery_id = delivery_id, .now = now, .o = o};
    if (o->status == MAILING_DELIVERY_BLOCKED) {
        int rc = db_transaction(db, apply_final, &r);
        *out = rc ? MAILING_DELIVERY_PENDING : r.recorded;
        return rc;
    }
    if (o->status != MAILING_DELIVERY_PENDING) {
        int rc = apply_final(db, &r);
        *out = r.recorded;
        return rc;
    }
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "UPDATE mailing_delivery SET attempts = attempts + 1, last_error = ?, "
                      "retry_at = ?, claimed_by = NULL, claimed_until = NULL, updated_at = ?, "
                      "status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END "
                      "WHERE id = ? AND status = 'pending' AND claimed_by = ? RETURNING status",
                      DB_TEXT(o->error), DB_INT(o->retry_at_ms), DB_INT(now),
                      DB_INT(o->max_attempts), DB_INT(delivery_id), DB_TEXT(token));
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0 && !strcmp(db_text(rows, 0), "failed"))
        *out = MAILING_DELIVERY_FAILED;
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

int mailing_finish_if_settled(struct db *db, int64_t id, int64_t now, bool *out_finished)
{
    *out_finished = false;
    int rc = db_exec(
        db,
        "UPDATE mailing SET status = 'done', finished_at = ?, updated_at = ?, paused_at = NULL, "
        "sent_count = (SELECT count(*) FROM mailing_delivery WHERE mailing_id = mailing.id AND "
        "status = 'sent'), "
        "failed_count = (SELECT count(*) FROM mailing_delivery WHERE mailing_id = mailing.id AND "
        "status = 'failed'), "
        "blocked_count = (SELECT count(*) FROM mailing_delivery WHERE mailing_id = mailing.id AND "
        "status = 'blocked'), "
        "total_count = (SELECT count(*) FROM mailing_delivery WHERE mailing_id = mailing.id) "
        "WHERE id = ? AND status = 'sending' AND fanout_done_at IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM mailing_delivery WHERE mailing_id = ? AND status = 'pending')",
        DB_INT(now), DB_INT(now), DB_INT(id), DB_INT(id));
    if (!rc)
        *out_finished = db_changes(db) == 1;
    return rc;
}

int mailing_sending_totals(struct db *db, int64_t *out_total, struct mailing_progress *out)
{
    *out_total = 0;
    *out = (struct mailing_progress){0};
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT COALESCE(sum(total_count), 0), COALESCE(sum(sent_count), 0), "
                      "COALESCE(sum(failed_count), 0), COALESCE(sum(blocked_count), 0) FROM "
                      "mailing WHERE status = 'sending'");
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0) {
        *out_total = db_int(rows, 0);
        *out = (struct mailing_progress){db_int(rows, 1), db_int(rows, 2), db_int(rows, 3)};
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}
