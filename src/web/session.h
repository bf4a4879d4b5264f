/*
 * Admin panel sessions (table admin_session) and CSRF tokens.
 *
 *  - A session id is 32 random bytes (libsodium) sent as the cookie's value (base64url);
 *    the table keeps only its BLAKE2b hash, so a leaked database holds no usable cookie.
 *  - Sessions are created only by a successful sign-in (so an id planted before sign-in
 *    is never accepted: no session fixation), last SESSION_TTL_S, and end at sign-out,
 *    on a password change and when the account is deactivated (rows deleted).
 *  - Each session has its own CSRF secret; every POST form carries it and it is compared
 *    in constant time. Before sign-in, the sign-in form is protected the same way by a
 *    random token in a short cookie (double submit).
 */
#ifndef TGSHOP_WEB_SESSION_H
#define TGSHOP_WEB_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/admin_user.h"

enum { SESSION_TTL_S = 12 * 3600, SESSION_TOKEN_LEN = 43 /* base64url of 32 bytes */ };

struct web_session {
    char hash[65]; /* hex id of the row */
    char csrf[SESSION_TOKEN_LEN + 1];
    int64_t expires_at;
    const char *flash; /* in the arena given to session_load; NULL = none */
    struct admin_user user;
};

/* A new random token (cookie values, CSRF secrets). */
void session_random_token(char out[SESSION_TOKEN_LEN + 1]);
/* Constant-time comparison of a received token with the expected one. */
bool session_token_equal(const char *expected, const char *given);

/* Creates a session for user_id; the cookie value goes to cookie. user_agent (may be NULL)
 * is kept cut to 300 bytes on a character boundary, or left empty when it is not UTF-8. */
int session_create(struct db *db, int64_t user_id, const char *ip, const char *user_agent,
                   char cookie[SESSION_TOKEN_LEN + 1]);
/* Loads the live session of cookie with its (active) account. ERR_NOTFOUND when the
 * cookie is unknown, expired or its account inactive. The flash message is read and
 * cleared. */
int session_load(struct db *db, const char *cookie, struct arena *a, struct web_session *out);
/* Deletes the session of cookie (sign-out). */
int session_destroy(struct db *db, const char *cookie);
/* Keeps a message to show on the next page of this session. */
int session_set_flash(struct db *db, const struct web_session *s, const char *text);
/* Deletes expired sessions; returns how many or a negative ERR_*. */
int64_t session_sweep(struct db *db);

#endif
