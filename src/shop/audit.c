#include "shop/audit.h"

#include "core/banned.h"

int audit_write(struct db *db, const struct audit_entry *e)
{
    return db_exec(db,
                   "INSERT INTO audit_log (admin_user_id, username, action, object_type, "
                   "object_id, details, ip) VALUES (?, ?, ?, ?, ?, ?, ?)",
                   DB_INT_OR_NULL(e->admin_user_id, e->admin_user_id > 0), DB_TEXT(e->username),
                   DB_TEXT(e->action), DB_TEXT(e->object_type),
                   DB_INT_OR_NULL(e->object_id, e->object_id > 0),
                   DB_TEXT(e->details ? e->details : ""), DB_TEXT(e->ip));
}
