/*
 * The audit log: who changed what in the admin panel. The web layer records
 * one entry per change that succeeded (after the domain function returned 0),
 * naming the staff account, the action ("product.update"), the kind and id of
 * the object and a short free-text detail; superusers read it newest first.
 * The username is copied so an entry outlives a deleted account.
 */
#ifndef TGSHOP_SHOP_AUDIT_H
#define TGSHOP_SHOP_AUDIT_H

#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

enum { AUDIT_DETAILS_MAX = 2000 }; /* bytes; longer details are cut on a character boundary */

/* Who did it. */
struct audit_actor {
    int64_t user_id;      /* admin_user.id */
    const char *username; /* kept as it was */
    const char *ip;       /* may be NULL */
};

struct audit_entry {
    int64_t id;
    int64_t user_id; /* 0 when the account was deleted since */
    char *username;
    char *action;
    char *object_type;
    int64_t object_id; /* 0 when the action concerns no single object */
    char *details;
    char *ip;
    int64_t created_at;
};

/* Appends an entry. action and object_type are constants of the caller ("product.delete",
 * "product"); details may be NULL. ERR_INVALID without an action or a username. */
int audit_record(struct db *db, const struct audit_actor *who, const char *action,
                 const char *object_type, int64_t object_id, const char *details);

/* What to list: everything (zero values), or the history of one object. */
struct audit_filter {
    const char *object_type;
    int64_t object_id; /* with object_type: only this object */
    int64_t user_id;   /* only this account's changes */
};
/* A page of entries, newest first (listing.h for pages). */
int audit_list(struct db *db, struct arena *a, const struct audit_filter *f, int64_t offset,
               int limit, struct audit_entry **out, int *out_count, int64_t *out_total);

#endif
