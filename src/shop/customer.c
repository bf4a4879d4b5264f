#include "shop/customer.h"

#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "shop/catalog.h"
#include "core/banned.h"

#define CUSTOMER_COLUMNS                                                                           \
    "id, tg_id, username, first_name, language_code, phone, is_banned, is_blocked, last_name, "    \
    "created_at, last_seen_at"

static void fill(void *item, struct db_rows *rows, struct arena *a)
{
    struct customer *out = item;
    out->id = db_int(rows, 0);
    out->tg_id = db_int(rows, 1);
    out->username = db_text_dup(rows, 2, a);
    out->first_name = db_text_dup(rows, 3, a);
    out->language_code = db_text_dup(rows, 4, a);
    out->phone = db_text_dup(rows, 5, a);
    out->is_banned = db_int(rows, 6) != 0;
    out->is_blocked = db_int(rows, 7) != 0;
    out->last_name = db_text_dup(rows, 8, a);
    out->created_at = db_int(rows, 9);
    out->last_seen_at = db_int(rows, 10);
}

/* The stored search key of a profile: "username first_name last_name", folded. */
static char *profile_key(struct arena *a, const struct tg_profile *p)
{
    const char *parts[] = {p->username, p->first_name, p->last_name};
    struct buf key = BUF_INIT;
    for (size_t i = 0; i < 3; i++) {
        if (i)
            buf_addc(&key, ' ');
        if (parts[i])
            utf8_search_key(&key, parts[i], strlen(parts[i]));
    }
    char *out = arena_memdup(a, key.data, key.len);
    buf_release(&key);
    return out;
}

/* Reads the one customer row of rows and frees them. */
static int one_customer(struct arena *a, struct db_rows *rows, struct customer *out)
{
    return listing_read_one(rows, a, out, fill);
}

int customer_touch(struct db *db, struct arena *a, const struct tg_profile *p, struct customer *out)
{
    if (p->tg_id <= 0)
        return ERR_INVALID;
    int64_t now = clock_now();
    struct db_rows *rows;
    int rc =
        db_query(db, &rows,
                 "INSERT INTO customer (tg_id, username, first_name, last_name, "
                 "language_code, created_at, last_seen_at, search_text) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                 "ON CONFLICT (tg_id) DO UPDATE SET username = excluded.username, "
                 "first_name = excluded.first_name, last_name = excluded.last_name, "
                 "language_code = excluded.language_code, "
                 "last_seen_at = excluded.last_seen_at, is_blocked = 0, "
                 "search_text = excluded.search_text "
                 "RETURNING " CUSTOMER_COLUMNS,
                 DB_INT(p->tg_id), DB_TEXT(p->username),
                 DB_TEXT(p->first_name ? p->first_name : ""), DB_TEXT(p->last_name),
                 DB_TEXT(p->language_code), DB_INT(now), DB_INT(now), DB_TEXT(profile_key(a, p)));
    return rc ? rc : one_customer(a, rows, out);
}

int customer_by_tg_id(struct db *db, struct arena *a, int64_t tg_id, struct customer *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT " CUSTOMER_COLUMNS " FROM customer WHERE tg_id = ?",
                      DB_INT(tg_id));
    return rc ? rc : one_customer(a, rows, out);
}

int customer_set_blocked(struct db *db, int64_t tg_id, bool blocked)
{
    return db_exec(db, "UPDATE customer SET is_blocked = ? WHERE tg_id = ?", DB_INT(blocked),
                   DB_INT(tg_id));
}

int customer_set_banned(struct db *db, int64_t customer_id, bool banned)
{
    int rc = db_exec(db, "UPDATE customer SET is_banned = ? WHERE id = ?", DB_INT(banned),
                     DB_INT(customer_id));
    return rc ? rc : db_changes(db) ? 0 : ERR_NOTFOUND;
}

int customer_set_phone(struct db *db, int64_t customer_id, const char *phone)
{
    return db_exec(db, "UPDATE customer SET phone = ? WHERE id = ?", DB_TEXT(phone),
                   DB_INT(customer_id));
}

int customer_get(struct db *db, struct arena *a, int64_t id, struct customer *out)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT " CUSTOMER_COLUMNS " FROM customer WHERE id = ?", DB_INT(id));
    return rc ? rc : one_customer(a, rows, out);
}

/* Adds the search condition: a tg id, digits of a phone, or part of a name or username. */
static void add_search(struct listing_query *q, bool *started, struct arena *a, const char *query)
{
    while (*query == ' ' || *query == '@')
        query++;
    char *key = catalog_like_pattern(a, query);
    if (!key)
        return;
    /* the digits of a phone as typed ("+7 (912) 345") match however the phone was stored */
    struct buf digits = BUF_INIT;
    for (const char *p = query; *p; p++)
        if (*p >= '0' && *p <= '9')
            buf_addc(&digits, *p);
    bool numeric = digits.len > 0 && strspn(query, "0123456789+-() ") == strlen(query);
    if (numeric) {
        int64_t tg_id = 0;
        if (digits.len > 18 || parse_int64(digits.data, &tg_id))
            tg_id = -1;
        char *phone = arena_sprintf(a, "%%%s%%", digits.data);
        listing_query_and(q, started,
                          "(tg_id = ? OR replace(replace(replace(replace(replace(COALESCE(phone, "
                          "''), '+', ''), ' ', ''), '-', ''), '(', ''), ')', '') LIKE ? "
                          "OR search_text LIKE ? ESCAPE '\\')",
                          DB_INT(tg_id), DB_TEXT(phone), DB_TEXT(key));
    } else {
        listing_query_and(q, started, "search_text LIKE ? ESCAPE '\\'", DB_TEXT(key));
    }
    buf_release(&digits);
}

static void add_flag(struct listing_query *q, bool *started, enum listing_flag flag,
                     const char *yes, const char *no)
{
    if (flag == LISTING_YES)
        listing_query_and(q, started, yes);
    else if (flag == LISTING_NO)
        listing_query_and(q, started, no);
}

int customer_list(struct db *db, struct arena *a, const struct customer_filter *f, int64_t offset,
                  int limit, struct customer **out, int *out_count, int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    *out_total = 0;
    if (!listing_page_valid(offset, limit))
        return ERR_INVALID;
    /* ORDER BY [sort][descending]: constants, the id breaks ties */
    static const char *const order[][2] = {
        [CUSTOMER_SORT_JOINED] = {" ORDER BY created_at, id", " ORDER BY created_at DESC, id DESC"},
        [CUSTOMER_SORT_SEEN] = {" ORDER BY last_seen_at, id",
                                " ORDER BY last_seen_at DESC, id DESC"},
        [CUSTOMER_SORT_NAME] = {" ORDER BY first_name, COALESCE(last_name, ''), id",
                                " ORDER BY first_name DESC, COALESCE(last_name, '') DESC, id DESC"},
        [CUSTOMER_SORT_USERNAME] = {" ORDER BY COALESCE(username, ''), id",
                                    " ORDER BY COALESCE(username, '') DESC, id DESC"},
        [CUSTOMER_SORT_TG_ID] = {" ORDER BY tg_id", " ORDER BY tg_id DESC"},
    };
    if ((unsigned)f->sort >= sizeof order / sizeof *order)
        return ERR_INVALID;
    struct listing_query where;
    listing_query_init(&where, "");
    bool started = false;
    if (f->query)
        add_search(&where, &started, a, f->query);
    add_flag(&where, &started, f->blocked, "is_blocked = 1", "is_blocked = 0");
    add_flag(&where, &started, f->banned, "is_banned = 1", "is_banned = 0");
    if (f->language && *f->language)
        listing_query_and(&where, &started, "language_code = ?", DB_TEXT(f->language));
    if (f->joined_from)
        listing_query_and(&where, &started, "created_at >= ?", DB_INT(f->joined_from));
    if (f->joined_to)
        listing_query_and(&where, &started, "created_at < ?", DB_INT(f->joined_to));

    int rc = listing_count(db, "customer", &where, out_total);
    if (rc)
        goto done;
    struct db_rows *rows;
    rc = listing_page(db, "SELECT " CUSTOMER_COLUMNS " FROM customer", &where,
                      order[f->sort][f->descending], offset, limit, &rows);
    if (rc)
        goto done;
    void *list;
    if (!(rc = listing_read(rows, a, limit, sizeof **out, fill, &list, out_count)))
        *out = list;
done:
    listing_query_release(&where);
    return rc;
}

int customer_languages(struct db *db, struct arena *a, char ***out, int *out_count)
{
    enum { MAX = 100 };
    *out = NULL;
    *out_count = 0;
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT DISTINCT language_code FROM customer WHERE language_code IS NOT "
                      "NULL ORDER BY 1 LIMIT ?",
                      DB_INT(MAX));
    if (rc)
        return rc;
    char **list = arena_calloc(a, MAX, sizeof *list);
    int n = 0;
    while (n < MAX && (rc = db_next(rows)) > 0)
        list[n++] = db_text_dup(rows, 0, a);
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    *out = list;
    *out_count = n;
    return 0;
}
