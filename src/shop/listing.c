#include "shop/listing.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "core/banned.h"

static int refuse_v(struct listing_problem *out, int code, const char *field, const char *fmt,
                    va_list ap)
{
    if (out) {
        out->field = field;
        struct buf msg = BUF_INIT;
        buf_vaddf(&msg, fmt, ap);
        size_t n = utf8_prefix_bytes(msg.data, msg.len, sizeof out->message - 1);
        memcpy(out->message, msg.data, n);
        out->message[n] = '\0';
        buf_release(&msg);
    }
    return code;
}

int listing_refuse(struct listing_problem *out, const char *field, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = refuse_v(out, ERR_INVALID, field, fmt, ap);
    va_end(ap);
    return rc;
}

int listing_refuse_code(struct listing_problem *out, int code, const char *field, const char *fmt,
                        ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = refuse_v(out, code, field, fmt, ap);
    va_end(ap);
    return rc;
}

int listing_check_text(struct listing_problem *out, const char *field, const char *label,
                       const char *text, bool required, size_t max_chars)
{
    const char *s = text ? text : "";
    size_t len = strlen(s);
    if (!utf8_valid(s, len))
        return listing_refuse(out, field, "%s is not valid UTF-8 text", label);
    if (required && strspn(s, " \t\r\n") == len)
        return listing_refuse(out, field, "%s is empty", label);
    size_t chars = utf8_count(s, len);
    if (chars > max_chars)
        return listing_refuse(out, field, "%s is %zu characters long, at most %zu are allowed",
                              label, chars, max_chars);
    return 0;
}

int listing_check_file_path(struct listing_problem *out, const char *field, const char *path)
{
    enum { PATH_MAX_BYTES = 1024 };
    if (!path)
        return 0;
    size_t len = strlen(path);
    if (!len || len > PATH_MAX_BYTES || !utf8_valid(path, len))
        return listing_refuse(out, field, "The file name is not usable");
    /* a path component ".." could point outside the media directory */
    for (const char *p = path; (p = strstr(p, "..")); p += 2)
        if ((p == path || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
            return listing_refuse(out, field, "The file name is not usable");
    return 0;
}

bool listing_page_valid(int64_t offset, int limit)
{
    return offset >= 0 && limit >= 1 && limit <= LISTING_PAGE_MAX;
}

void listing_query_init(struct listing_query *q, const char *head)
{
    buf_init(&q->sql, 0);
    buf_adds(&q->sql, head);
    q->count = 0;
    q->overflow = false;
}

void listing_query_release(struct listing_query *q)
{
    buf_release(&q->sql);
    q->count = 0;
}

void listing_query_addv(struct listing_query *q, const char *fragment,
                        const struct db_param *params, size_t count)
{
    if (q->count + count > LISTING_PARAMS_MAX) {
        q->overflow = true; /* a caller bug: the fragments are constants */
        return;
    }
    buf_adds(&q->sql, fragment);
    if (count)
        memcpy(q->params + q->count, params, count * sizeof *params);
    q->count += count;
}

void listing_query_where(struct listing_query *q, bool *started, const char *condition,
                         const struct db_param *params, size_t count)
{
    buf_adds(&q->sql, *started ? " AND " : " WHERE ");
    *started = true;
    listing_query_addv(q, condition, params, count);
}

int listing_query_run(struct db *db, struct listing_query *q, struct db_rows **out)
{
    if (q->overflow)
        return ERR_INTERNAL;
    return db_queryv(db, out, q->sql.data, q->params, q->count);
}

int listing_query_int(struct db *db, struct listing_query *q, int64_t *out)
{
    if (q->overflow)
        return ERR_INTERNAL;
    return db_query_intv(db, out, q->sql.data, q->params, q->count);
}

int listing_count(struct db *db, const char *from, const struct listing_query *where, int64_t *out)
{
    struct listing_query q;
    listing_query_init(&q, "SELECT count(*) FROM (SELECT 1 FROM ");
    listing_query_addv(&q, from, NULL, 0);
    listing_query_addv(&q, where->sql.data, where->params, where->count);
    listing_query_add(&q, " LIMIT ?) AS capped", DB_INT(LISTING_COUNT_MAX + 1));
    q.overflow |= where->overflow;
    int rc = listing_query_int(db, &q, out);
    listing_query_release(&q);
    return rc;
}

int listing_page(struct db *db, const char *head, const struct listing_query *where,
                 const char *order, int64_t offset, int limit, struct db_rows **out)
{
    struct listing_query q;
    listing_query_init(&q, head);
    listing_query_addv(&q, where->sql.data, where->params, where->count);
    listing_query_addv(&q, order, NULL, 0);
    listing_query_add(&q, " LIMIT ? OFFSET ?", DB_INT(limit), DB_INT(offset));
    q.overflow |= where->overflow;
    int rc = listing_query_run(db, &q, out);
    listing_query_release(&q);
    return rc;
}

int listing_read(struct db_rows *rows, struct arena *a, int limit, size_t item_size,
                 listing_fill_fn *fill, void **out, int *out_count)
{
    char *list = arena_calloc(a, (size_t)limit, item_size);
    int n = 0, rc = 0;
    while (n < limit && (rc = db_next(rows)) > 0)
        fill(list + (size_t)n++ * item_size, rows, a);
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    *out = list;
    *out_count = n;
    return 0;
}

int listing_read_one(struct db_rows *rows, struct arena *a, void *item, listing_fill_fn *fill)
{
    int rc = db_next(rows);
    if (rc > 0) {
        fill(item, rows, a);
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_NOTFOUND;
    }
    db_rows_free(rows);
    return rc;
}

struct move {
    const char *table, *scope;
    int64_t id, to_index;
    int64_t *ids;
    size_t count, cap;
};

/* Reads the ids of row id's siblings in their order into m->ids (grown with xrealloc). */
static int load_siblings(struct db *db, struct move *m)
{
    struct buf sql = BUF_INIT;
    int64_t scope_value = 0;
    int rc = 0;
    if (m->scope) {
        buf_setf(&sql, "SELECT COALESCE(%s, 0) FROM %s WHERE id = ?", m->scope, m->table);
        rc = db_query_int(db, &scope_value, sql.data, DB_INT(m->id));
        buf_reset(&sql);
    } else {
        buf_setf(&sql, "SELECT id FROM %s WHERE id = ?", m->table);
        int64_t ignored;
        rc = db_query_int(db, &ignored, sql.data, DB_INT(m->id));
        buf_reset(&sql);
    }
    if (rc)
        goto done;
    if (m->scope)
        buf_setf(&sql, "SELECT id FROM %s WHERE COALESCE(%s, 0) = ? ORDER BY position, id",
                 m->table, m->scope);
    else
        buf_setf(&sql, "SELECT id FROM %s WHERE 0 = ? ORDER BY position, id", m->table);
    struct db_rows *rows;
    if ((rc = db_query(db, &rows, sql.data, DB_INT(scope_value))))
        goto done;
    m->count = 0;
    while ((rc = db_next(rows)) > 0) {
        if (m->count == m->cap) {
            m->cap = m->cap ? 2 * m->cap : 64;
            m->ids = xreallocarray(m->ids, m->cap, sizeof *m->ids);
        }
        m->ids[m->count++] = db_int(rows, 0);
    }
    db_rows_free(rows);
done:
    buf_release(&sql);
    return rc < 0 ? rc : 0;
}

static int apply_move(struct db *db, void *ctx)
{
    struct move *m = ctx;
    int rc = load_siblings(db, m);
    if (rc)
        return rc;
    size_t from = 0;
    while (from < m->count && m->ids[from] != m->id)
        from++;
    if (from == m->count)
        return ERR_NOTFOUND;
    size_t to = m->to_index < 0 ? 0 : (size_t)m->to_index;
    if (to >= m->count)
        to = m->count - 1;
    int64_t moved = m->ids[from];
    if (to > from)
        memmove(m->ids + from, m->ids + from + 1, (to - from) * sizeof *m->ids);
    else
        memmove(m->ids + to + 1, m->ids + to, (from - to) * sizeof *m->ids);
    m->ids[to] = moved;
    struct buf sql = BUF_INIT;
    buf_setf(&sql, "UPDATE %s SET position = ? WHERE id = ? AND position <> ?", m->table);
    for (size_t i = 0; i < m->count && !rc; i++)
        rc = db_exec(db, sql.data, DB_INT(i + 1), DB_INT(m->ids[i]), DB_INT(i + 1));
    buf_release(&sql);
    return rc;
}

int listing_move(struct db *db, const char *table, const char *scope, int64_t id, int64_t to_index)
{
    struct move m = {.table = table, .scope = scope, .id = id, .to_index = to_index};
    int rc = db_in_transaction(db) ? apply_move(db, &m) : db_transaction(db, apply_move, &m);
    free(m.ids);
    return rc;
}

int listing_shift(struct db *db, const char *table, const char *scope, int64_t id, int delta)
{
    struct move m = {.table = table, .scope = scope, .id = id};
    int rc = load_siblings(db, &m);
    size_t i = 0;
    while (!rc && i < m.count && m.ids[i] != id)
        i++;
    if (!rc && i == m.count)
        rc = ERR_NOTFOUND;
    free(m.ids);
    if (rc || (int64_t)i + delta < 0)
        return rc;
    return listing_move(db, table, scope, id, (int64_t)i + delta);
}
