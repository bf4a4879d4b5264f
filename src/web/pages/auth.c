/* Signing in and out, and changing one's own password. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "web/routes.h"
#include "core/banned.h"

static const char WRONG_LOGIN[] = "Wrong username or password.";

/* next= must be a path on this site: it starts with one "/", and nowhere holds a backslash,
 * a control character, a space or DEL: browsers drop tabs and newlines from a Location and
 * read a backslash as "/", so "/<TAB>/host" or "/\host" would lead to //host. */
static const char *safe_next(const char *next)
{
    if (!next || next[0] != '/' || next[1] == '/')
        return "/";
    for (const unsigned char *c = (const unsigned char *)next; *c; c++)
        if (*c < 0x21 || *c == 0x7f || *c == '\\')
            return "/";
    return next;
}

static void render_login(struct web_page *p)
{
    web_render(p, "login", "Sign in");
}

void page_login_form(struct web_page *p)
{
    if (p->user) {
        web_redirect(p, safe_next(http_query(p->req, "next")), NULL);
        return;
    }
    json_object_set_new(p->data, "form",
                        json_pack("{s:o}", "next", web_json_str(http_query(p->req, "next"))));
    if (http_query(p->req, "bye"))
        json_object_set_new(p->data, "bye", json_true());
    render_login(p);
}

static void throttled(struct web_page *p, int64_t wait_s)
{
    int64_t minutes = (wait_s + 59) / 60;
    web_form_keep(p);
    web_field_error(p, "login",
                    "Too many failed sign-in attempts. Sign-in is paused for this account or "
                    "address; try again in %lld minute%s.",
                    (long long)minutes, minutes == 1 ? "" : "s");
    p->res->status = 429;
    render_login(p);
}

void page_login(struct web_page *p)
{
    const char *username = web_form_text(p, "username");
    const char *password = http_form(p->req, "password");
    if (!password)
        password = "";
    int64_t wait_s = throttle_check(p->throttle, username, p->req->client_ip);
    if (wait_s > 0) {
        throttled(p, wait_s);
        return;
    }
    struct admin_user user;
    int rc = *username && *password ? admin_user_verify(p->db, username, password, &user)
                                    : ERR_FORBIDDEN;
    if (rc == ERR_FORBIDDEN) {
        throttle_failure(p->throttle, username, p->req->client_ip);
        struct buf why = BUF_INIT;
        bool known_shape = admin_username_check(username, &why) == 0;
        buf_release(&why);
        web_audit(p, "sign_in_failed", "admin_user", 0, "username \"%s\"",
                  known_shape ? username : "(not a valid username)");
        web_form_keep(p);
        web_field_error(p, "login", "%s", WRONG_LOGIN);
        p->res->status = 401;
        render_login(p);
        return;
    }
    if (rc) {
        web_db_error(p, "checking a sign-in");
        return;
    }
    throttle_success(p->throttle, username);
    /* a new id at every sign-in: whatever cookie came before is ended, never reused */
    char cookie[SESSION_TOKEN_LEN + 1];
    if (session_destroy(p->db, web_session_cookie(p)) || session_sweep(p->db) < 0 ||
        session_create(p->db, user.id, p->req->client_ip, http_header(p->req, "User-Agent"),
                       cookie)) {
        web_db_error(p, "creating a session");
        return;
    }
    web_set_session_cookie(p, cookie);
    struct admin_user *signed_in = arena_calloc(p->arena, 1, sizeof *signed_in);
    *signed_in = user;
    p->user = signed_in;
    web_audit(p, "sign_in", "admin_user", user.id, "signed in");
    log_info("admin: %s signed in from %s", user.username, p->req->client_ip);
    web_redirect(p, safe_next(http_form(p->req, "next")), NULL);
}

void page_logout(struct web_page *p)
{
    if (session_destroy(p->db, web_session_cookie(p))) {
        web_db_error(p, "ending a session");
        return;
    }
    web_audit(p, "sign_out", "admin_user", p->user->id, "signed out");
    web_set_session_cookie(p, NULL);
    web_redirect(p, "/login?bye=1", NULL);
}

static void render_password(struct web_page *p)
{
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "password", "Change your password");
}

void page_password_form(struct web_page *p)
{
    render_password(p);
}

void page_password(struct web_page *p)
{
    const char *current = http_form(p->req, "current_password");
    const char *fresh = http_form(p->req, "new_password");
    const char *again = http_form(p->req, "new_password2");
    const char *name = p->user->username;
    int64_t wait_s = throttle_check(p->throttle, name, p->req->client_ip);
    if (wait_s > 0) {
        web_field_error(p, "current_password",
                        "Too many wrong passwords; try again in %lld minutes.",
                        (long long)(wait_s + 59) / 60);
        p->res->status = 429;
        render_password(p);
        return;
    }
    struct admin_user check;
    int rc = current && *current ? admin_user_verify(p->db, name, current, &check) : ERR_FORBIDDEN;
    if (rc && rc != ERR_FORBIDDEN) {
        web_db_error(p, "checking a password");
        return;
    }
    if (rc == ERR_FORBIDDEN) {
        throttle_failure(p->throttle, name, p->req->client_ip);
        web_field_error(p, "current_password", "This is not your current password.");
    }
    struct buf why = BUF_INIT;
    if (admin_password_check(name, fresh ? fresh : "", &why))
        web_field_error(p, "new_password", "The new %s.", why.data);
    else if (!again || strcmp(fresh, again))
        web_field_error(p, "new_password2", "The two new passwords differ.");
    buf_release(&why);
    if (web_has_errors(p)) {
        p->res->status = 400;
        render_password(p);
        return;
    }
    struct buf err = BUF_INIT;
    rc = admin_user_set_password(p->db, name, fresh, &err);
    if (rc) {
        web_internal_error(p, err.data);
        buf_release(&err);
        return;
    }
    buf_release(&err);
    /* the change ended every session of the account, this one too: start a fresh one */
    char cookie[SESSION_TOKEN_LEN + 1];
    struct web_session fresh_session;
    if (session_create(p->db, p->user->id, p->req->client_ip, http_header(p->req, "User-Agent"),
                       cookie) ||
        session_load(p->db, cookie, p->arena, &fresh_session) ||
        session_set_flash(p->db, &fresh_session, "Your password was changed.")) {
        web_db_error(p, "renewing the session");
        return;
    }
    web_set_session_cookie(p, cookie);
    web_audit(p, "change_password", "admin_user", p->user->id, "changed own password");
    p->session = NULL; /* gone: the flash went to the new one */
    web_redirect(p, "/", NULL);
}
