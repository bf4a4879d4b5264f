#include "shop/customer.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/banned.h"

#define CUSTOMER_COLUMNS                                                                           \
    "id, tg_id, username, first_name, language_code, phone, is_banned, is_blocked"

static void fill(struct customer *out, struct db_rows *rows, struct arena *a)
{
    out->id = db_int(rows, 0);
    out->tg_id = db_int(rows, 1);
    out->username = db_text_dup(rows, 2, a);
    out->first_name = db_text_dup(rows, 3, a);
    out->language_code = db_text_dup(rows, 4, a);
    out->phone = db_text_dup(rows, 5, a);
    out->is_banned = db_int(rows, 6) != 0;
    out->is_blocked = db_int(rows, 7) != 0;
}

/* Reads the one customer row of rows and frees them. */
static int one_customer(struct arena *a, struct db_rows *rows, struct customer *out)
{
    int rc = db_next(rows);
    if (rc > 0) {
        fill(out, rows, a);
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_NOTFOUND;
    }
    db_rows_free(rows);
    return rc;
}

int customer_touch(struct db *db, struct arena *a, const struct tg_profile *p, struct customer *out)
{
    if (p->tg_id <= 0)
        return ERR_INVALID;
    int64_t now = clock_now();
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "INSERT INTO customer (tg_id, username, first_name, last_name, "
                      "language_code, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                      "ON CONFLICT (tg_id) DO UPDATE SET username = excluded.username, "
                      "first_name = excluded.first_name, last_name = excluded.last_name, "
                      "language_code = excluded.language_code, "
                      "last_seen_at = excluded.last_seen_at, is_blocked = 0 "
                      "RETURNING " CUSTOMER_COLUMNS,
                      DB_INT(p->tg_id), DB_TEXT(p->username),
                      DB_TEXT(p->first_name ? p->first_name : ""), DB_TEXT(p->last_name),
                      DB_TEXT(p->language_code), DB_INT(now), DB_INT(now));
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
