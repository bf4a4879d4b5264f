#include "shop/admin_user.h"

#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "core/banned.h"

/* Passwords that pass the length rule but are the first ones an attacker tries. */
static const char *const common_passwords[] = {
    "password",  "password1",  "password123", "12345678", "123456789",     "1234567890", "qwertyui",
    "qwerty123", "qwertyuiop", "iloveyou",    "admin123", "administrator", "adminadmin", "welcome1",
    "sunshine",  "princess",   "football",    "baseball", "letmein1",      "trustno1",   "passw0rd",
    "abc12345",  "abcdefgh",   "11111111",    "00000000", "changeme",      "superuser",  "1q2w3e4r",
    "1qaz2wsx",  "zaq12wsx",   "qazwsxedc",   "asdfghjk", "zxcvbnm1",      "shop1234",   "telegram",
    "p@ssw0rd",  "secret123",  "computer",    "whatever", "dragon123",     "master123",  "starwars",
};

int admin_username_check(const char *name, struct buf *why)
{
    size_t n = strlen(name);
    if (n == 0 || n > 150) {
        buf_setf(why, "username must be 1-150 characters");
        return ERR_INVALID;
    }
    for (const char *p = name; *p; p++) {
        char c = *p;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '@' || c == '.' || c == '+' || c == '-' || c == '_';
        if (!ok) {
            buf_setf(why, "username may contain only letters, digits and @ . + - _");
            return ERR_INVALID;
        }
    }
    return 0;
}

static bool contains_ignoring_case(const char *haystack, const char *needle)
{
    size_t n = strlen(needle), h = strlen(haystack);
    for (size_t i = 0; n <= h && i <= h - n; i++)
        if (!strncasecmp(haystack + i, needle, n))
            return true;
    return false;
}

int admin_password_check(const char *username, const char *password, struct buf *why)
{
    size_t len = strlen(password);
    if (len == 0) {
        buf_setf(why, "password is empty");
        return ERR_INVALID;
    }
    if (len > ADMIN_PASSWORD_MAX_BYTES) {
        buf_setf(why, "password is longer than %d bytes", ADMIN_PASSWORD_MAX_BYTES);
        return ERR_INVALID;
    }
    if (!utf8_valid(password, len)) {
        buf_setf(why, "password is not valid UTF-8 text");
        return ERR_INVALID;
    }
    if (utf8_count(password, len) < ADMIN_PASSWORD_MIN_CHARS) {
        buf_setf(why, "password is too short: use at least %d characters",
                 ADMIN_PASSWORD_MIN_CHARS);
        return ERR_INVALID;
    }
    if (strspn(password, "0123456789") == len) {
        buf_setf(why, "password is entirely numeric");
        return ERR_INVALID;
    }
    bool one_char = true;
    for (size_t i = 1; i < len && one_char; i++)
        one_char = password[i] == password[0];
    if (one_char) {
        buf_setf(why, "password repeats a single character");
        return ERR_INVALID;
    }
    for (size_t i = 0; i < sizeof common_passwords / sizeof *common_passwords; i++) {
        if (!strcasecmp(password, common_passwords[i])) {
            buf_setf(why, "password is too common");
            return ERR_INVALID;
        }
    }
    if (username && *username &&
        (contains_ignoring_case(password, username) ||
         contains_ignoring_case(username, password))) {
        buf_setf(why, "password is too similar to the username");
        return ERR_INVALID;
    }
    return 0;
}

static int hash_password(const char *password, char out[crypto_pwhash_STRBYTES], struct buf *err)
{
    if (crypto_pwhash_str_alg(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        buf_setf(err, "cannot hash the password: out of memory");
        return ERR_INTERNAL;
    }
    return 0;
}

static int check_inputs(const char *username, const char *password, struct buf *err)
{
    int rc = admin_username_check(username, err);
    return rc ? rc : admin_password_check(username, password, err);
}

int admin_user_create(struct db *db, const char *username, const char *password, bool is_superuser,
                      int64_t *out_id, struct buf *err)
{
    int rc = check_inputs(username, password, err);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = hash_password(password, hash, err)))
        return rc;
    int64_t id = 0;
    rc = db_query_int(db, &id,
                      "INSERT INTO admin_user (username, password_hash, is_superuser) "
                      "VALUES (?, ?, ?) RETURNING id",
                      DB_TEXT(username), DB_TEXT(hash), DB_INT(is_superuser));
    sodium_memzero(hash, sizeof hash);
    if (rc == ERR_CONFLICT && db_error(db)->kind == DB_E_UNIQUE) {
        buf_setf(err, "a user named \"%s\" already exists", username);
        return ERR_CONFLICT;
    }
    if (rc) {
        buf_setf(err, "cannot create the user: %s", db_errmsg(db));
        return rc;
    }
    if (out_id)
        *out_id = id;
    return 0;
}

int admin_user_set_password(struct db *db, const char *username, const char *password,
                            struct buf *err)
{
    int rc = admin_password_check(username, password, err);
    if (rc)
        return rc;
    char hash[crypto_pwhash_STRBYTES];
    if ((rc = hash_password(password, hash, err)))
        return rc;
    /* a new password also ends every session of the account */
    rc = db_exec(db, "UPDATE admin_user SET password_hash = ? WHERE lower(username) = lower(?)",
                 DB_TEXT(hash), DB_TEXT(username));
    sodium_memzero(hash, sizeof hash);
    if (rc) {
        buf_setf(err, "cannot change the password: %s", db_errmsg(db));
        return rc;
    }
    if (db_changes(db) == 0) {
        buf_setf(err, "no user named \"%s\"", username);
        return ERR_NOTFOUND;
    }
    if (db_exec(db,
                "DELETE FROM admin_session WHERE user_id IN "
                "(SELECT id FROM admin_user WHERE lower(username) = lower(?))",
                DB_TEXT(username))) {
        buf_setf(err, "password changed, but old sessions could not be ended: %s", db_errmsg(db));
        return ERR_DB;
    }
    return 0;
}

static void fill_user(struct admin_user *u, struct db_rows *rows)
{
    u->id = db_int(rows, 0);
    snprintf(u->username, sizeof u->username, "%s", db_text(rows, 1) ? db_text(rows, 1) : "");
    u->is_superuser = db_int(rows, 2) != 0;
    u->is_active = db_int(rows, 3) != 0;
    u->created_at = db_int(rows, 4);
    u->last_login = db_int(rows, 5);
}

#define USER_COLUMNS "id, username, is_superuser, is_active, created_at, last_login"

int admin_user_list(struct db *db, int (*fn)(const struct admin_user *user, void *ctx), void *ctx,
                    struct buf *err)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT " USER_COLUMNS " FROM admin_user ORDER BY lower(username)");
    if (rc) {
        buf_setf(err, "cannot list users: %s", db_errmsg(db));
        return rc;
    }
    while ((rc = db_next(rows)) > 0) {
        struct admin_user u;
        fill_user(&u, rows);
        if ((rc = fn(&u, ctx)))
            break;
    }
    if (rc < 0)
        buf_setf(err, "cannot list users: %s", db_errmsg(db));
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

int admin_user_get(struct db *db, int64_t id, struct admin_user *out)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT " USER_COLUMNS " FROM admin_user WHERE id = ?", DB_INT(id));
    if (rc)
        return rc;
    rc = db_next(rows);
    if (rc > 0)
        fill_user(out, rows);
    db_rows_free(rows);
    return rc > 0 ? 0 : rc == 0 ? ERR_NOTFOUND : rc;
}

int admin_user_set_flags(struct db *db, int64_t id, bool is_active, bool is_superuser,
                         struct buf *err)
{
    int rc = db_exec(db, "UPDATE admin_user SET is_active = ?, is_superuser = ? WHERE id = ?",
                     DB_INT(is_active), DB_INT(is_superuser), DB_INT(id));
    if (rc) {
        buf_setf(err, "cannot change the account: %s", db_errmsg(db));
        return rc;
    }
    if (db_changes(db) == 0) {
        buf_setf(err, "no such account");
        return ERR_NOTFOUND;
    }
    if (!is_active && db_exec(db, "DELETE FROM admin_session WHERE user_id = ?", DB_INT(id))) {
        buf_setf(err, "account deactivated, but its sessions could not be ended: %s",
                 db_errmsg(db));
        return ERR_DB;
    }
    return 0;
}

int admin_user_create_first(struct db *db, char password[21], bool *out_created, struct buf *err)
{
    static const char alphabet[] = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    *out_created = false;
    int64_t count = 0;
    int rc = db_query_int(db, &count, "SELECT count(*) FROM admin_user");
    if (rc) {
        buf_setf(err, "cannot count accounts: %s", db_errmsg(db));
        return rc;
    }
    if (count)
        return 0;
    for (int i = 0; i < 20; i++)
        password[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    password[20] = '\0';
    rc = admin_user_create(db, "admin", password, true, NULL, err);
    if (rc == ERR_CONFLICT)
        return 0; /* another process made it just now */
    *out_created = rc == 0;
    return rc;
}

/* A hash of a random password, verified when the user does not exist, so that a wrong name
 * costs as much time as a wrong password. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void make_dummy_hash(void)
{
    char random_password[32];
    randombytes_buf(random_password, sizeof random_password);
    if (crypto_pwhash_str_alg(dummy_hash, random_password, sizeof random_password,
                              crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
        die_oom(crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

int admin_user_verify(struct db *db, const char *username, const char *password,
                      struct admin_user *out)
{
    pthread_once(&dummy_once, make_dummy_hash);
    struct db_rows *rows;
    if (db_query(db, &rows,
                 "SELECT " USER_COLUMNS ", password_hash FROM admin_user "
                 "WHERE lower(username) = lower(?)",
                 DB_TEXT(username)))
        return ERR_DB;
    bool found = db_next(rows) > 0;
    const char *hash = found ? db_text(rows, 6) : dummy_hash;
    bool match = crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
    if (found)
        fill_user(out, rows);
    db_rows_free(rows);
    if (!found || !match || !out->is_active)
        return ERR_FORBIDDEN;
    db_exec(db, "UPDATE admin_user SET last_login = ? WHERE id = ?", DB_INT(clock_now()),
            DB_INT(out->id));
    return 0;
}
