#include "shop/order_query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/parse.h"
#include "core/banned.h"

/* Orders per query of order_query_each: small enough for PostgreSQL's materialised results
 * to stay small, large enough that the per-query cost disappears. */
enum { EACH_BATCH = 500, QUERY_PARAMS_MAX = 16 };

int order_filter_parse_date(const char *s, bool end_of_day, int64_t *out)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return ERR_INVALID;
    int64_t y, m, d;
    if (parse_int64_n(s, 4, &y) || parse_int64_n(s + 5, 2, &m) || parse_int64_n(s + 8, 2, &d))
        return ERR_INVALID;
    if (y < 1970 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31)
        return ERR_INVALID;
    struct tm tm = {.tm_year = (int)y - 1900, .tm_mon = (int)m - 1, .tm_mday = (int)d};
    time_t t = timegm(&tm);
    struct tm back;
    /* timegm normalises 2026-02-30 to March 2nd: a day that does not exist comes back changed */
    if (t == (time_t)-1 || !gmtime_r(&t, &back) || back.tm_mday != (int)d ||
        back.tm_mon != (int)m - 1)
        return ERR_INVALID;
    *out = (int64_t)t + (end_of_day ? 86399 : 0);
    return 0;
}

/* A statement being built: its SQL and its parameters (the search pattern lives here too,
 * since parameters point into it). */
struct query {
    struct buf sql;
    struct buf pattern;
    struct db_param params[QUERY_PARAMS_MAX];
    size_t n;
    int64_t id_match;
    const char *like; /* the case-insensitive LIKE of the backend */
};

static void query_init(struct query *q, const struct db *db)
{
    /* SQLite's LIKE ignores ASCII case already; PostgreSQL's ILIKE does what lower() would.
     * Neither lowers every row's text first, which made a search three times slower. */
    q->like = db_kind(db) == DB_POSTGRES ? "ILIKE" : "LIKE";
    buf_init(&q->sql, 0);
    buf_init(&q->pattern, 0);
    q->n = 0;
}

static void query_release(struct query *q)
{
    buf_release(&q->sql);
    buf_release(&q->pattern);
}

static void bind(struct query *q, struct db_param p)
{
    if (q->n < QUERY_PARAMS_MAX)
        q->params[q->n++] = p;
}

static bool has_search(const struct order_filter *f)
{
    return f->search && f->search[strspn(f->search, " \t")];
}

/* The search text without surrounding blanks and a leading '#' or '@', as a LIKE pattern
 * "%text%" with the pattern characters escaped. Returns whether the text is an order number. */
static bool build_pattern(struct query *q, const char *search)
{
    const char *s = search + strspn(search, " \t");
    size_t len = strlen(s);
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    if (len && (*s == '#' || *s == '@'))
        s++, len--;
    if (len > ORDER_SEARCH_MAX)
        len = ORDER_SEARCH_MAX;
    buf_addc(&q->pattern, '%');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '%' || s[i] == '_' || s[i] == '\\')
            buf_addc(&q->pattern, '\\');
        buf_addc(&q->pattern, s[i]);
    }
    buf_addc(&q->pattern, '%');
    return len && parse_int64_n(s, len, &q->id_match) == 0 && q->id_match > 0;
}

/* Appends the filter's conditions on orders `o`, each starting with " AND ". */
static void add_filter(struct query *q, const struct order_filter *f)
{
    if (f->has_status) {
        /* not "= ?": SQLite compares a bare parameter with the WHERE of the partial index
         * orders_reservation_idx and then prepares the statement again for every new value */
        buf_adds(&q->sql, " AND o.status = CAST(? AS TEXT)");
        bind(q, DB_TEXT(order_status_name(f->status)));
    }
    if (f->created_from) {
        buf_adds(&q->sql, " AND o.created_at >= ?");
        bind(q, DB_INT(f->created_from));
    }
    if (f->created_to) {
        buf_adds(&q->sql, " AND o.created_at <= ?");
        bind(q, DB_INT(f->created_to));
    }
    if (!has_search(f))
        return;
    bool is_id = build_pattern(q, f->search);
    struct db_param pattern = DB_TEXTN(q->pattern.data, q->pattern.len);
    buf_adds(&q->sql, " AND (");
    if (is_id) {
        buf_adds(&q->sql, "o.id = ? OR ");
        bind(q, DB_INT(q->id_match));
    }
    /* the customers who match are few and found once, not joined to every order */
    const char *like = q->like;
    buf_addf(&q->sql,
             "o.contact_name %s ? ESCAPE '\\' OR o.phone LIKE ? ESCAPE '\\' OR o.customer_id IN "
             "(SELECT m.id FROM customer m WHERE m.first_name || ' ' || COALESCE(m.last_name, '') "
             "%s ? ESCAPE '\\' OR COALESCE(m.username, '') %s ? ESCAPE '\\'))",
             like, like, like);
    for (int i = 0; i < 4; i++)
        bind(q, pattern);
}

static void add_from(struct query *q, const struct order_filter *f)
{
    buf_adds(&q->sql, " FROM orders o WHERE 1 = 1");
    add_filter(q, f);
}

/* SQLite binds text without copying: q must outlive the rows, and the caller releases it
 * after them. On failure q is released here. */
static int run_query(struct db *db, struct query *q, struct db_rows **out)
{
    /* bind() ran out of room when all are taken */
    int rc =
        q->n == QUERY_PARAMS_MAX ? ERR_INTERNAL : db_queryv(db, out, q->sql.data, q->params, q->n);
    if (rc)
        query_release(q);
    return rc;
}

/* Adds count orders summing sum in currency code to *out, the currencies kept in order. */
static void add_total(struct arena *a, struct order_totals *out, int *cap, const char *code,
                      int64_t count, int64_t sum)
{
    int at = 0;
    while (at < out->currencies && strcmp(out->sums[at].currency, code) < 0)
        at++;
    if (at == out->currencies || strcmp(out->sums[at].currency, code)) {
        if (out->currencies == *cap) {
            *cap = *cap ? *cap * 2 : 4;
            struct order_currency_total *grown = arena_calloc(a, (size_t)*cap, sizeof *grown);
            if (out->currencies)
                memcpy(grown, out->sums, (size_t)out->currencies * sizeof *grown);
            out->sums = grown;
        }
        memmove(&out->sums[at + 1], &out->sums[at],
                (size_t)(out->currencies - at) * sizeof *out->sums);
        out->currencies++;
        out->sums[at] = (struct order_currency_total){0};
        snprintf(out->sums[at].currency, sizeof out->sums[at].currency, "%s", code);
    }
    out->sums[at].count += count;
    out->sums[at].sum += sum;
    out->count += count;
}

/* Runs q (rows of currency, count, sum) and adds its rows to *out; releases q. */
static int add_totals_of(struct db *db, struct query *q, struct arena *a, struct order_totals *out,
                         int *cap)
{
    struct db_rows *rows;
    int rc = run_query(db, q, &rows);
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0) {
        const char *code = db_text(rows, 0);
        add_total(a, out, cap, code ? code : "", db_int(rows, 1), db_int(rows, 2));
    }
    db_rows_free(rows);
    query_release(q); /* the parameters point into it until the rows are freed */
    return rc < 0 ? rc : 0;
}

/* The orders of f created in [from, to] (from <= to), counted one by one. */
static int add_orders_totals(struct db *db, struct arena *a, const struct order_filter *f,
                             int64_t from, int64_t to, struct order_totals *out, int *cap)
{
    struct query q;
    query_init(&q, db);
    buf_adds(&q.sql, "SELECT o.currency, count(*), COALESCE(sum(o.total), 0)");
    struct order_filter within = *f;
    within.created_from = within.created_to = 0;
    add_from(&q, &within);
    buf_adds(&q.sql, " AND o.created_at >= ? AND o.created_at <= ? GROUP BY o.currency");
    bind(&q, DB_INT(from));
    bind(&q, DB_INT(to));
    return add_totals_of(db, &q, a, out, cap);
}

/* Seconds of a UTC day; times beyond +-BOUND seconds (millions of years) are counted from the
 * orders, so that the day arithmetic cannot overflow. */
#define DAY   INT64_C(86400)
#define BOUND (INT64_C(1) << 50)

static int64_t floor_div(int64_t x, int64_t d)
{
    return x / d - (x % d < 0);
}

/* The days from first to last (INT64_MIN / INT64_MAX: unbounded) from the running totals of
 * migration 0009. */
static int add_day_totals(struct db *db, struct arena *a, const struct order_filter *f,
                          int64_t first, int64_t last, struct order_totals *out, int *cap)
{
    struct query q;
    query_init(&q, db);
    buf_adds(&q.sql, "SELECT currency, sum(order_count), sum(total_sum) FROM order_day_total "
                     "WHERE 1 = 1");
    if (f->has_status) {
        buf_adds(&q.sql, " AND status = ?");
        bind(&q, DB_TEXT(order_status_name(f->status)));
    }
    if (first != INT64_MIN) {
        buf_adds(&q.sql, " AND day >= ?");
        bind(&q, DB_INT(first));
    }
    if (last != INT64_MAX) {
        buf_adds(&q.sql, " AND day <= ?");
        bind(&q, DB_INT(last));
    }
    buf_adds(&q.sql, " GROUP BY currency HAVING sum(order_count) > 0");
    return add_totals_of(db, &q, a, out, cap);
}

int order_query_totals(struct db *db, struct arena *a, const struct order_filter *f,
                       struct order_totals *out)
{
    *out = (struct order_totals){0};
    int cap = 0;
    int64_t from = f->created_from ? f->created_from : INT64_MIN;
    int64_t to = f->created_to ? f->created_to : INT64_MAX;
    bool odd = (from != INT64_MIN && (from < -BOUND || from > BOUND)) ||
               (to != INT64_MAX && (to < -BOUND || to > BOUND));
    /* the whole days of the range come from the running totals, the part days at its ends
     * and any search from the orders */
    int64_t first = from == INT64_MIN || odd ? INT64_MIN : floor_div(from - 1, DAY) + 1;
    /* (to - DAY + 1) / DAY, rounded down: the last day that ends by to */
    int64_t last = to == INT64_MAX || odd ? INT64_MAX : floor_div(to - DAY + 1, DAY);
    if (has_search(f) || odd || first > last) {
        struct query q;
        query_init(&q, db);
        buf_adds(&q.sql, "SELECT o.currency, count(*), COALESCE(sum(o.total), 0)");
        add_from(&q, f);
        buf_adds(&q.sql, " GROUP BY o.currency");
        return add_totals_of(db, &q, a, out, &cap);
    }
    int rc = add_day_totals(db, a, f, first, last, out, &cap);
    if (!rc && first != INT64_MIN && from < first * DAY)
        rc = add_orders_totals(db, a, f, from, first * DAY - 1, out, &cap);
    if (!rc && last != INT64_MAX && to > (last + 1) * DAY - 1)
        rc = add_orders_totals(db, a, f, (last + 1) * DAY, to, out, &cap);
    return rc;
}

/* The columns fill_record() reads, on orders `o` joined with customer `c`. */
#define RECORD_COLUMNS                                                                             \
    "o.id, o.status, o.total, o.currency, o.contact_name, o.phone, o.address, o.comment, "         \
    "o.telegram_payment_charge_id, o.provider_payment_charge_id, o.created_at, o.updated_at, "     \
    "COALESCE(o.paid_at, 0), COALESCE(o.reserved_until, 0), o.customer_id, c.tg_id, c.username, "  \
    "c.first_name, c.last_name, c.phone"
enum { RECORD_COLUMN_COUNT = 20 };

static void fill_record(struct order_record *r, struct db_rows *rows, struct arena *a)
{
    *r = (struct order_record){0};
    r->id = db_int(rows, 0);
    if (order_status_parse(db_text(rows, 1), &r->status))
        r->status = ORDER_NEW; /* the schema's CHECK allows only known names */
    r->total = db_int(rows, 2);
    r->currency = db_text_dup(rows, 3, a);
    r->contact_name = db_text_dup(rows, 4, a);
    r->phone = db_text_dup(rows, 5, a);
    r->address = db_text_dup(rows, 6, a);
    r->comment = db_text_dup(rows, 7, a);
    r->charge_id = db_text_dup(rows, 8, a);
    r->provider_charge_id = db_text_dup(rows, 9, a);
    r->created_at = db_int(rows, 10);
    r->updated_at = db_int(rows, 11);
    r->paid_at = db_int(rows, 12);
    r->reserved_until = db_int(rows, 13);
    r->customer_id = db_int(rows, 14);
    r->customer_tg_id = db_int(rows, 15);
    r->customer_username = db_text_dup(rows, 16, a);
    r->customer_first_name = db_text_dup(rows, 17, a);
    r->customer_last_name = db_text_dup(rows, 18, a);
    r->customer_phone = db_text_dup(rows, 19, a);
}

/* Reads up to `want` matching orders on the side of the cursor ("<" older, ">" newer, NULL
 * from the newest), with their line and unit counts when with_counts. */
static int fetch_orders(struct db *db, struct arena *a, const struct order_filter *f,
                        const char *side, const struct order_cursor *cursor, int want,
                        bool with_counts, struct order_record *out, int *out_count)
{
    struct query q;
    query_init(&q, db);
    buf_adds(&q.sql, "SELECT " RECORD_COLUMNS);
    if (with_counts)
        buf_adds(&q.sql, ", (SELECT count(*) FROM order_item i WHERE i.order_id = o.id)"
                         ", (SELECT COALESCE(sum(i.quantity), 0) FROM order_item i"
                         " WHERE i.order_id = o.id)");
    buf_adds(&q.sql, " FROM orders o JOIN customer c ON c.id = o.customer_id WHERE 1 = 1");
    add_filter(&q, f);
    if (side) {
        buf_addf(&q.sql, " AND (o.created_at, o.id) %s (?, ?)", side);
        bind(&q, DB_INT(cursor->created_at));
        bind(&q, DB_INT(cursor->id));
    }
    const char *dir = side && *side == '>' ? "ASC" : "DESC";
    buf_addf(&q.sql, " ORDER BY o.created_at %s, o.id %s LIMIT ?", dir, dir);
    bind(&q, DB_INT(want));
    struct db_rows *rows;
    int rc = run_query(db, &q, &rows);
    if (rc)
        return rc;
    int n = 0;
    while (n < want && (rc = db_next(rows)) > 0) {
        fill_record(&out[n], rows, a);
        if (with_counts) {
            out[n].item_count = (int)db_int(rows, RECORD_COLUMN_COUNT);
            out[n].units = db_int(rows, RECORD_COLUMN_COUNT + 1);
        }
        n++;
    }
    db_rows_free(rows);
    query_release(&q); /* the parameters point into it until the rows are freed */
    *out_count = n;
    return rc < 0 ? rc : 0;
}

int order_query_page(struct db *db, struct arena *a, const struct order_filter *f,
                     enum order_page_direction dir, const struct order_cursor *cursor, int limit,
                     struct order_page *out)
{
    *out = (struct order_page){0};
    if (limit < 1 || limit > ORDER_PAGE_MAX || (dir != ORDER_PAGE_FIRST && !cursor))
        return ERR_INVALID;
    /* one row more than the page shows tells whether there is more beyond it */
    struct order_record *rows = arena_calloc(a, (size_t)limit + 1, sizeof *rows);
    int n = 0, rc;
    if (dir == ORDER_PAGE_NEWER) {
        if ((rc = fetch_orders(db, a, f, ">", cursor, limit + 1, true, rows, &n)))
            return rc;
        if (n <= limit) /* reaches the newest order: that is the first page */
            dir = ORDER_PAGE_FIRST;
        else {
            n = limit;
            for (int i = 0; i < n / 2; i++) { /* fetched oldest first: turn around */
                struct order_record t = rows[i];
                rows[i] = rows[n - 1 - i];
                rows[n - 1 - i] = t;
            }
            out->has_newer = true;
            out->has_older = true;
        }
    }
    if (dir != ORDER_PAGE_NEWER) {
        const char *side = dir == ORDER_PAGE_OLDER ? "<" : NULL;
        if ((rc = fetch_orders(db, a, f, side, cursor, limit + 1, true, rows, &n)))
            return rc;
        out->has_newer = dir == ORDER_PAGE_OLDER;
        out->has_older = n > limit;
        if (n > limit)
            n = limit;
    }
    out->rows = rows;
    out->count = n;
    if (n) {
        out->newest = (struct order_cursor){rows[0].created_at, rows[0].id};
        out->oldest = (struct order_cursor){rows[n - 1].created_at, rows[n - 1].id};
    }
    return 0;
}

/* Attaches to each of orders[0..n) its lines (name and price snapshots, quantity), read in one
 * query, and sets item_count and units. The lines live in arena a. */
static int attach_items(struct db *db, struct arena *a, struct order_record *orders, int n)
{
    if (n == 0)
        return 0;
    struct buf sql = BUF_INIT;
    struct db_param *params = arena_calloc(a, (size_t)n, sizeof *params);
    buf_adds(&sql, "SELECT order_id, name, price, quantity, COALESCE(product_id, 0) "
                   "FROM order_item WHERE order_id IN (");
    for (int i = 0; i < n; i++) {
        buf_adds(&sql, i ? ", ?" : "?");
        params[i] = DB_INT(orders[i].id);
    }
    buf_adds(&sql, ") ORDER BY order_id, id");
    struct db_rows *rows;
    int rc = db_queryv(db, &rows, sql.data, params, (size_t)n);
    buf_release(&sql);
    if (rc)
        return rc;
    /* the lines, by order id: grown by doubling in the arena */
    int count = 0, cap = 0;
    struct order_item *items = NULL;
    int64_t *owner = NULL;
    while ((rc = db_next(rows)) > 0) {
        if (count == cap) {
            cap = cap ? cap * 2 : 2 * n;
            struct order_item *grown = arena_calloc(a, (size_t)cap, sizeof *grown);
            int64_t *grown_owner = arena_calloc(a, (size_t)cap, sizeof *grown_owner);
            if (count) {
                memcpy(grown, items, (size_t)count * sizeof *items);
                memcpy(grown_owner, owner, (size_t)count * sizeof *owner);
            }
            items = grown;
            owner = grown_owner;
        }
        owner[count] = db_int(rows, 0);
        items[count] = (struct order_item){.name = db_text_dup(rows, 1, a),
                                           .price = db_int(rows, 2),
                                           .quantity = db_int(rows, 3),
                                           .product_id = db_int(rows, 4)};
        count++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        struct order_record *r = &orders[i];
        int lo = 0, hi = count; /* the first line of order r->id */
        while (lo < hi) {
            int mid = lo + (hi - lo) / 2;
            if (owner[mid] < r->id)
                lo = mid + 1;
            else
                hi = mid;
        }
        r->items = items ? &items[lo] : NULL;
        r->item_count = 0;
        r->units = 0;
        for (int k = lo; k < count && owner[k] == r->id; k++) {
            r->item_count++;
            r->units += items[k].quantity;
        }
    }
    return 0;
}

int order_query_each(struct db *db, const struct order_filter *f, order_record_fn *fn, void *ctx)
{
    /* a batch at a time: its orders, then their lines, then the calls */
    struct arena a;
    arena_init(&a, 256 * 1024);
    struct order_cursor cursor = {0, 0};
    int rc = 0, n = EACH_BATCH;
    for (bool first = true; rc == 0 && n == EACH_BATCH; first = false) {
        struct order_record *batch = arena_calloc(&a, EACH_BATCH, sizeof *batch);
        rc = fetch_orders(db, &a, f, first ? NULL : "<", &cursor, EACH_BATCH, false, batch, &n);
        if (rc == 0)
            rc = attach_items(db, &a, batch, n);
        for (int i = 0; rc == 0 && i < n; i++)
            rc = fn(&batch[i], ctx);
        if (n)
            cursor = (struct order_cursor){batch[n - 1].created_at, batch[n - 1].id};
        arena_reset(&a);
    }
    arena_release(&a);
    return rc;
}

/* Appends an event, growing the list in arena a (*cap: its room). */
static struct order_event *add_event(struct order_detail *d, struct arena *a, int *cap, int64_t at,
                                     const char *what)
{
    if (d->event_count == *cap) {
        *cap = *cap ? *cap * 2 : 8;
        struct order_event *grown = arena_calloc(a, (size_t)*cap, sizeof *grown);
        if (d->event_count)
            memcpy(grown, d->events, (size_t)d->event_count * sizeof *grown);
        d->events = grown;
    }
    struct order_event *e = &d->events[d->event_count++];
    *e = (struct order_event){.at = at, .what = what};
    return e;
}

/* Oldest first; a stable insertion sort (the list is short, and equal times keep the order
 * they were added in: "created" before the audit entries of that second). */
static void sort_events(struct order_event *e, int n)
{
    for (int i = 1; i < n; i++) {
        struct order_event t = e[i];
        int j = i;
        for (; j > 0 && e[j - 1].at > t.at; j--)
            e[j] = e[j - 1];
        e[j] = t;
    }
}

/* The order's own times (created, paid, the latest status change when the columns show one)
 * and the admin panel's audit log entries about it. */
static int read_timeline(struct db *db, struct arena *a, struct order_detail *out)
{
    const struct order_record *r = &out->order;
    int cap = 0;
    add_event(out, a, &cap, r->created_at, "created");
    if (r->paid_at)
        add_event(out, a, &cap, r->paid_at, "paid");
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT created_at, action, username, details FROM audit_log "
                      "WHERE object_type = 'order' AND object_id = ? ORDER BY created_at, id",
                      DB_INT(r->id));
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0) {
        struct order_event *e = add_event(out, a, &cap, db_int(rows, 0), db_text_dup(rows, 1, a));
        e->who = db_text_dup(rows, 2, a);
        e->details = db_text_dup(rows, 3, a);
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    /* the latest status change, unless an audit entry of that moment tells it; new,
     * awaiting_payment and paid are told by the events above */
    bool changed_later = r->updated_at != r->created_at && r->updated_at != r->paid_at;
    for (int i = 0; changed_later && i < out->event_count; i++)
        changed_later = out->events[i].at != r->updated_at;
    if (changed_later && r->status != ORDER_NEW && r->status != ORDER_AWAITING_PAYMENT &&
        r->status != ORDER_PAID)
        add_event(out, a, &cap, r->updated_at,
                  arena_sprintf(a, "status: %s", order_status_name(r->status)));
    sort_events(out->events, out->event_count);
    return 0;
}

/* The order and its lines come in one query (a row per line, or one row without lines), so
 * that the detail costs two round trips to the database with its timeline. */
int order_query_detail(struct db *db, struct arena *a, int64_t order_id, struct order_detail *out)
{
    *out = (struct order_detail){0};
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT " RECORD_COLUMNS ", COALESCE(i.id, 0), i.name, i.price, i.quantity, "
                      "COALESCE(i.product_id, 0) FROM orders o "
                      "JOIN customer c ON c.id = o.customer_id "
                      "LEFT JOIN order_item i ON i.order_id = o.id WHERE o.id = ? ORDER BY i.id",
                      DB_INT(order_id));
    if (rc)
        return rc;
    struct order_record *r = &out->order;
    struct order_item *items = NULL;
    int count = 0, cap = 0;
    while ((rc = db_next(rows)) > 0) {
        if (!r->id)
            fill_record(r, rows, a);
        if (!db_int(rows, RECORD_COLUMN_COUNT))
            continue;
        if (count == cap) {
            cap = cap ? cap * 2 : 4;
            struct order_item *grown = arena_calloc(a, (size_t)cap, sizeof *grown);
            if (count)
                memcpy(grown, items, (size_t)count * sizeof *items);
            items = grown;
        }
        items[count++] = (struct order_item){.name = db_text_dup(rows, RECORD_COLUMN_COUNT + 1, a),
                                             .price = db_int(rows, RECORD_COLUMN_COUNT + 2),
                                             .quantity = db_int(rows, RECORD_COLUMN_COUNT + 3),
                                             .product_id = db_int(rows, RECORD_COLUMN_COUNT + 4)};
        r->units += items[count - 1].quantity;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    if (!r->id)
        return ERR_NOTFOUND;
    r->items = items;
    r->item_count = count;
    return read_timeline(db, a, out);
}
