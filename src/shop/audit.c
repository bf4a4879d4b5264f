#include "shop/audit.h"

#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "shop/listing.h"
#include "core/banned.h"

int audit_record(struct db *db, const struct audit_actor *who, const char *action,
                 const char *object_type, int64_t object_id, const char *details)
{
    if (!action || !*action || !who || !who->username || !*who->username)
        return ERR_INVALID;
    const char *text = details ? details : "";
    size_t len = utf8_prefix_bytes(text, strlen(text), AUDIT_DETAILS_MAX);
    return db_exec(db,
                   "INSERT INTO audit_log (admin_user_id, username, action, object_type, "
                   "object_id, details, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   DB_INT_OR_NULL(who->user_id, who->user_id > 0), DB_TEXT(who->username),
                   DB_TEXT(action), DB_TEXT(object_type ? object_type : ""),
                   DB_INT_OR_NULL(object_id, object_id != 0), DB_TEXTN(text, len), DB_TEXT(who->ip),
                   DB_INT(clock_now()));
}

int audit_list(struct db *db, struct arena *a, const struct audit_filter *f, int64_t offset,
               int limit, struct audit_entry **out, int *out_count, int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    *out_total = 0;
    if (!listing_page_valid(offset, limit))
        return ERR_INVALID;
    struct listing_query where;
    listing_query_init(&where, "");
    bool started = false;
    if (f && f->object_type && *f->object_type) {
        listing_query_and(&where, &started, "object_type = ?", DB_TEXT(f->object_type));
        if (f->object_id)
            listing_query_and(&where, &started, "object_id = ?", DB_INT(f->object_id));
    }
    if (f && f->user_id)
        listing_query_and(&where, &started, "admin_user_id = ?", DB_INT(f->user_id));
    int rc = listing_count(db, "audit_log", &where, out_total);
    if (rc)
        goto done;
    struct db_rows *rows;
    rc = listing_page(db,
                      "SELECT id, COALESCE(admin_user_id, 0), username, action, object_type, "
                      "COALESCE(object_id, 0), details, ip, created_at FROM audit_log",
                      &where, " ORDER BY created_at DESC, id DESC", offset, limit, &rows);
    if (rc)
        goto done;
    struct audit_entry *list = arena_calloc(a, (size_t)limit, sizeof *list);
    int n = 0;
    while (n < limit && (rc = db_next(rows)) > 0) {
        struct audit_entry *e = &list[n++];
        e->id = db_int(rows, 0);
        e->user_id = db_int(rows, 1);
        e->username = db_text_dup(rows, 2, a);
        e->action = db_text_dup(rows, 3, a);
        e->object_type = db_text_dup(rows, 4, a);
        e->object_id = db_int(rows, 5);
        e->details = db_text_dup(rows, 6, a);
        e->ip = db_text_dup(rows, 7, a);
        e->created_at = db_int(rows, 8);
    }
    db_rows_free(rows);
    if (rc < 0)
        goto done;
    rc = 0;
    *out = list;
    *out_count = n;
done:
    listing_query_release(&where);
    return rc;
}
