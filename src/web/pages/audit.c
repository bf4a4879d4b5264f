/* The audit log (superusers): who changed what, newest first, filtered by user, action
 * and object type. */
#include <string.h>

#include "web/routes.h"
#include "core/banned.h"

static const struct web_column columns[] = {
    {"time", "Time", "created_at", true},  {"user", "User", "lower(username)", false},
    {"action", "Action", "action", false}, {"object", "Object", "object_type", false},
    {"details", "Details", NULL, false},   {"ip", "Address", NULL, false},
};

void page_audit_log(struct web_page *p)
{
    struct web_list list;
    web_list_begin(p, &list, columns, sizeof columns / sizeof *columns, "time", "id");
    const char *user = http_query(p->req, "user"), *action = http_query(p->req, "action"),
               *object = http_query(p->req, "object");
    user = user && *user ? user : NULL;
    action = action && *action ? action : NULL;
    object = object && *object ? object : NULL;
    json_object_set_new(p->data, "filter",
                        json_pack("{s:o, s:o, s:o}", "user", web_json_str(user), "action",
                                  web_json_str(action), "object", web_json_str(object)));
    static const char where[] =
        " FROM audit_log WHERE (CAST(? AS TEXT) IS NULL OR lower(username) = lower(?)) "
        "AND (CAST(? AS TEXT) IS NULL OR action = ?) "
        "AND (CAST(? AS TEXT) IS NULL OR object_type = ?)";
#define FILTERS                                                                                    \
    DB_TEXT(user), DB_TEXT(user), DB_TEXT(action), DB_TEXT(action), DB_TEXT(object), DB_TEXT(object)
    int64_t total = 0;
    struct buf sql = BUF_INIT;
    buf_addf(&sql, "SELECT count(*)%s", where);
    int rc = db_query_int(p->db, &total, sql.data, FILTERS);
    struct db_rows *rows = NULL;
    if (!rc) {
        buf_reset(&sql);
        buf_addf(&sql,
                 "SELECT created_at, username, action, object_type, object_id, details, ip%s%s",
                 where, web_list_sql_tail(p, &list));
        rc = db_query(p->db, &rows, sql.data, FILTERS);
    }
#undef FILTERS
    buf_release(&sql);
    if (rc) {
        web_db_error(p, "reading the audit log");
        return;
    }
    json_t *out = json_array();
    while ((rc = db_next(rows)) > 0)
        json_array_append_new(
            out, json_pack("{s:o, s:o, s:o, s:o, s:I, s:o, s:o}", "created_at",
                           web_json_time(db_int(rows, 0)), "username",
                           web_json_str(db_text(rows, 1)), "action", web_json_str(db_text(rows, 2)),
                           "object_type", web_json_str(db_text(rows, 3)), "object_id",
                           (json_int_t)db_int(rows, 4), "details", web_json_str(db_text(rows, 5)),
                           "ip", web_json_str(db_text(rows, 6))));
    db_rows_free(rows);
    json_object_set_new(p->data, "rows", out);
    if (rc < 0) {
        web_db_error(p, "reading the audit log");
        return;
    }
    web_list_finish(p, &list, total);
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "audit", "Audit log");
}
