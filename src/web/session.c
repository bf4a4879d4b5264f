#include "web/session.h"

#include <sodium.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/banned.h"

enum { USER_AGENT_MAX = 300 }; /* bytes of the User-Agent kept with a session */

void session_random_token(char out[SESSION_TOKEN_LEN + 1])
{
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    sodium_bin2base64(out, SESSION_TOKEN_LEN + 1, bytes, sizeof bytes,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

bool session_token_equal(const char *expected, const char *given)
{
    if (!expected || !given || strlen(expected) != SESSION_TOKEN_LEN ||
        strlen(given) != SESSION_TOKEN_LEN)
        return false;
    return sodium_memcmp(expected, given, SESSION_TOKEN_LEN) == 0;
}

/* The table's key for a cookie value: hex BLAKE2b-256. */
static void cookie_hash(const char *cookie, char out[65])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)cookie, strlen(cookie), NULL, 0);
    sodium_bin2hex(out, 65, h, sizeof h);
}

int session_create(struct db *db, int64_t user_id, const char *ip, const char *user_agent,
                   char cookie[SESSION_TOKEN_LEN + 1])
{
    char hash[65], csrf[SESSION_TOKEN_LEN + 1];
    session_random_token(cookie);
    session_random_token(csrf);
    cookie_hash(cookie, hash);
    int64_t now = clock_now();
    /* kept for the superuser's eyes only: cut on a character boundary, and dropped when it
     * is not text at all (the database takes only UTF-8) */
    if (!user_agent)
        user_agent = "";
    size_t agent_len = utf8_prefix_bytes(user_agent, strlen(user_agent), USER_AGENT_MAX);
    if (!utf8_valid(user_agent, agent_len))
        agent_len = 0;
    return db_exec(db,
                   "INSERT INTO admin_session (id, user_id, csrf_secret, created_at, expires_at, "
                   "last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   DB_TEXT(hash), DB_INT(user_id), DB_TEXT(csrf), DB_INT(now),
                   DB_INT(now + SESSION_TTL_S), DB_INT(now), DB_TEXT(ip),
                   DB_TEXTN(user_agent, agent_len));
}

int session_load(struct db *db, const char *cookie, struct arena *a, struct web_session *out)
{
    if (!cookie || strlen(cookie) != SESSION_TOKEN_LEN)
        return ERR_NOTFOUND;
    memset(out, 0, sizeof *out);
    cookie_hash(cookie, out->hash);
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT s.csrf_secret, s.expires_at, s.flash, u.id, u.username, "
                      "u.is_superuser, u.created_at, u.last_login FROM admin_session s "
                      "JOIN admin_user u ON u.id = s.user_id "
                      "WHERE s.id = ? AND s.expires_at > ? AND u.is_active = 1",
                      DB_TEXT(out->hash), DB_INT(clock_now()));
    if (rc)
        return rc;
    rc = db_next(rows);
    if (rc > 0) {
        const char *csrf = db_text(rows, 0);
        if (csrf && strlen(csrf) == SESSION_TOKEN_LEN)
            memcpy(out->csrf, csrf, SESSION_TOKEN_LEN + 1);
        out->expires_at = db_int(rows, 1);
        out->flash = db_text_dup(rows, 2, a);
        out->user.id = db_int(rows, 3);
        const char *name = db_text(rows, 4);
        size_t len = strlen(name);
        if (len >= sizeof out->user.username)
            len = sizeof out->user.username - 1;
        memcpy(out->user.username, name, len);
        out->user.username[len] = '\0';
        out->user.is_superuser = db_int(rows, 5) != 0;
        out->user.is_active = true;
        out->user.created_at = db_int(rows, 6);
        out->user.last_login = db_int(rows, 7);
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    if (rc == 0)
        return ERR_NOTFOUND;
    if (out->flash)
        return db_exec(db, "UPDATE admin_session SET flash = NULL WHERE id = ?",
                       DB_TEXT(out->hash));
    return 0;
}

int session_destroy(struct db *db, const char *cookie)
{
    if (!cookie || strlen(cookie) != SESSION_TOKEN_LEN)
        return 0;
    char hash[65];
    cookie_hash(cookie, hash);
    return db_exec(db, "DELETE FROM admin_session WHERE id = ?", DB_TEXT(hash));
}

int session_set_flash(struct db *db, const struct web_session *s, const char *text)
{
    return db_exec(db, "UPDATE admin_session SET flash = ? WHERE id = ?", DB_TEXT(text),
                   DB_TEXT(s->hash));
}

int64_t session_sweep(struct db *db)
{
    int rc = db_exec(db, "DELETE FROM admin_session WHERE expires_at <= ?", DB_INT(clock_now()));
    return rc ? rc : db_changes(db);
}
