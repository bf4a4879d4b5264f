/*
 * The audit log of the admin panel: who changed what, when and from where. Every action
 * of the panel writes one row; superusers read them on the audit log page. The username
 * is copied into the row, so the entry survives the account.
 */
#ifndef TGSHOP_SHOP_AUDIT_H
#define TGSHOP_SHOP_AUDIT_H

#include <stdint.h>

#include "db/db.h"

struct audit_entry {
    int64_t admin_user_id; /* 0 = none (the system, or a failed sign-in) */
    const char *username;
    const char *action;      /* "create", "update", "delete", "sign_in", ... */
    const char *object_type; /* "product", "admin_user", ... */
    int64_t object_id;       /* 0 = none */
    const char *details;     /* what changed, for people; NULL = "" */
    const char *ip;          /* NULL = unknown */
};

/* Appends one entry. Returns 0 or a negative ERR_* (db_errmsg tells why). */
int audit_write(struct db *db, const struct audit_entry *e);

#endif
