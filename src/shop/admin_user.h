/*
 * Admin panel accounts (the seed's Django superuser and staff). Passwords are
 * stored only as libsodium argon2id hashes ("$argon2id$..." strings that
 * carry their own salt and cost). Usernames are unique regardless of case.
 * sodium_init() must have run before any of these is called.
 */
#ifndef TGSHOP_SHOP_ADMIN_USER_H
#define TGSHOP_SHOP_ADMIN_USER_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "db/db.h"

enum { ADMIN_PASSWORD_MIN_CHARS = 8, ADMIN_PASSWORD_MAX_BYTES = 1024 };

struct admin_user {
    int64_t id;
    char username[151];
    bool is_superuser;
    bool is_active;
    int64_t created_at;
    int64_t last_login; /* 0 = never */
};

/* 0 if name is a valid username (1-150 of A-Z a-z 0-9 @ . + - _), else ERR_INVALID + why. */
int admin_username_check(const char *name, struct buf *why);
/* 0 if password is acceptable for username, else ERR_INVALID + why: too short, only
 * digits, one repeated character, too close to the username, or a well-known password. */
int admin_password_check(const char *username, const char *password, struct buf *why);

/* Creates an account. ERR_INVALID (bad name or weak password) or ERR_CONFLICT (the name is
 * taken) come with a message in err. */
int admin_user_create(struct db *db, const char *username, const char *password, bool is_superuser,
                      int64_t *out_id, struct buf *err);
/* Replaces the password (same checks). ERR_NOTFOUND when there is no such user. */
int admin_user_set_password(struct db *db, const char *username, const char *password,
                            struct buf *err);
/* Calls fn for each account, ordered by username. */
int admin_user_list(struct db *db, int (*fn)(const struct admin_user *user, void *ctx), void *ctx,
                    struct buf *err);
/* The account with this id; ERR_NOTFOUND when there is none. */
int admin_user_get(struct db *db, int64_t id, struct admin_user *out);
/* Sets the active and superuser flags. Deactivating an account ends its sessions.
 * ERR_NOTFOUND when there is no such account. */
int admin_user_set_flags(struct db *db, int64_t id, bool is_active, bool is_superuser,
                         struct buf *err);
/* On a first run: when there is no account at all, creates the superuser "admin" with a
 * random password written to password (*out_created true; show it once). */
int admin_user_create_first(struct db *db, char password[21], bool *out_created, struct buf *err);
/* Checks a login. 0 and *out filled when the name and password match an active account;
 * ERR_FORBIDDEN otherwise (the time taken does not reveal whether the name exists). */
int admin_user_verify(struct db *db, const char *username, const char *password,
                      struct admin_user *out);

#endif
