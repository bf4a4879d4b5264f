/* Staff accounts (superusers only): list, create, activate/deactivate, superuser flag,
 * password reset. */
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/parse.h"
#include "web/routes.h"
#include "core/banned.h"

static const struct web_column columns[] = {
    {"username", "Username", "lower(username)", false},
    {"role", "Role", "is_superuser", true},
    {"status", "Status", "is_active", true},
    {"last_login", "Last sign-in", "coalesce(last_login, 0)", true},
    {"created", "Created", "created_at", true},
};

void page_staff_list(struct web_page *p)
{
    struct web_list list;
    web_list_begin(p, &list, columns, sizeof columns / sizeof *columns, "username", "id");
    int64_t total = 0;
    if (db_query_int(p->db, &total, "SELECT count(*) FROM admin_user")) {
        web_db_error(p, "counting accounts");
        return;
    }
    struct buf sql = BUF_INIT;
    buf_addf(&sql,
             "SELECT id, username, is_superuser, is_active, last_login, created_at "
             "FROM admin_user%s",
             web_list_sql_tail(p, &list));
    struct db_rows *rows;
    int rc = db_query(p->db, &rows, sql.data);
    buf_release(&sql);
    if (rc) {
        web_db_error(p, "listing accounts");
        return;
    }
    json_t *out = json_array();
    while ((rc = db_next(rows)) > 0)
        json_array_append_new(
            out, json_pack("{s:I, s:o, s:b, s:b, s:o, s:o}", "id", (json_int_t)db_int(rows, 0),
                           "username", web_json_str(db_text(rows, 1)), "is_superuser",
                           db_int(rows, 2) != 0, "is_active", db_int(rows, 3) != 0, "last_login",
                           web_json_time(db_int(rows, 4)), "created_at",
                           web_json_time(db_int(rows, 5))));
    db_rows_free(rows);
    json_object_set_new(p->data, "rows", out);
    if (rc < 0) {
        web_db_error(p, "listing accounts");
        return;
    }
    web_list_finish(p, &list, total);
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "staff_list", "Staff accounts");
}

static void render_new(struct web_page *p)
{
    web_breadcrumb(p, "Staff", "/staff");
    web_render(p, "staff_new", "New account");
}

void page_staff_new_form(struct web_page *p)
{
    render_new(p);
}

/* Checks a new password and its repetition; errors go next to fields `field`/`field2`. */
static void check_password_pair(struct web_page *p, const char *username, const char *field,
                                const char *field2)
{
    const char *password = http_form(p->req, field);
    const char *again = http_form(p->req, field2);
    struct buf why = BUF_INIT;
    if (admin_password_check(username, password ? password : "", &why))
        web_field_error(p, field, "The %s.", why.data);
    else if (!again || strcmp(password, again))
        web_field_error(p, field2, "The two passwords differ.");
    buf_release(&why);
}

void page_staff_create(struct web_page *p)
{
    const char *username = web_form_text(p, "username");
    bool superuser = web_form_checked(p, "is_superuser");
    struct buf why = BUF_INIT;
    if (admin_username_check(username, &why))
        web_field_error(p, "username", "The %s.", why.data);
    buf_release(&why);
    check_password_pair(p, username, "password", "password2");
    int64_t id = 0;
    if (!web_has_errors(p)) {
        struct buf err = BUF_INIT;
        int rc =
            admin_user_create(p->db, username, http_form(p->req, "password"), superuser, &id, &err);
        if (rc == ERR_CONFLICT) {
            web_field_error(p, "username", "An account with this name already exists.");
        } else if (rc) {
            web_internal_error(p, err.data);
            buf_release(&err);
            return;
        }
        buf_release(&err);
    }
    if (web_has_errors(p)) {
        web_form_keep(p);
        p->res->status = 400;
        render_new(p);
        return;
    }
    web_audit(p, "create", "admin_user", id, "created %s account \"%s\"",
              superuser ? "superuser" : "staff", username);
    struct buf flash = BUF_INIT;
    buf_addf(&flash, "Account \"%s\" created.", username);
    web_redirect(p, "/staff", flash.data);
    buf_release(&flash);
}

/* The account named by the path's {id}; answers 404 and returns false when there is none. */
static bool load_account(struct web_page *p, struct admin_user *out)
{
    int64_t id;
    int rc =
        parse_int64(http_param(p->req, "id"), &id) ? ERR_NOTFOUND : admin_user_get(p->db, id, out);
    if (rc == ERR_NOTFOUND) {
        web_error(p, 404, "There is no such account.");
        return false;
    }
    if (rc) {
        web_db_error(p, "loading an account");
        return false;
    }
    return true;
}

static void render_edit(struct web_page *p, const struct admin_user *u)
{
    json_object_set_new(p->data, "account",
                        json_pack("{s:I, s:o, s:b, s:b, s:o, s:o}", "id", (json_int_t)u->id,
                                  "username", web_json_str(u->username), "is_superuser",
                                  u->is_superuser, "is_active", u->is_active, "created_at",
                                  web_json_time(u->created_at), "last_login",
                                  web_json_time(u->last_login)));
    web_breadcrumb(p, "Staff", "/staff");
    web_render(p, "staff_edit", u->username);
}

void page_staff_edit(struct web_page *p)
{
    struct admin_user u;
    if (load_account(p, &u))
        render_edit(p, &u);
}

void page_staff_update(struct web_page *p)
{
    struct admin_user u;
    if (!load_account(p, &u))
        return;
    bool active = web_form_checked(p, "is_active");
    bool superuser = web_form_checked(p, "is_superuser");
    if (u.id == p->user->id && (!active || !superuser)) {
        web_field_error(p, "flags",
                        "You cannot deactivate your own account or take away your own "
                        "superuser rights: ask another superuser.");
        p->res->status = 400;
        render_edit(p, &u);
        return;
    }
    struct buf question = BUF_INIT;
    buf_addf(&question,
             "Deactivate \"%s\"? The account is signed out everywhere and cannot sign in until it "
             "is activated again.",
             u.username);
    bool confirmed =
        !(u.is_active && !active) || web_confirmed(p, question.data, "Deactivate", p->req->path);
    buf_release(&question);
    if (!confirmed)
        return;
    struct buf err = BUF_INIT;
    int rc = admin_user_set_flags(p->db, u.id, active, superuser, &err);
    if (rc) {
        web_internal_error(p, err.data);
        buf_release(&err);
        return;
    }
    buf_release(&err);
    web_audit(p, "update", "admin_user", u.id, "\"%s\": active %s -> %s, superuser %s -> %s",
              u.username, u.is_active ? "yes" : "no", active ? "yes" : "no",
              u.is_superuser ? "yes" : "no", superuser ? "yes" : "no");
    struct buf flash = BUF_INIT;
    buf_addf(&flash, "Account \"%s\" saved.", u.username);
    web_redirect(p, "/staff", flash.data);
    buf_release(&flash);
}

void page_staff_reset_password(struct web_page *p)
{
    struct admin_user u;
    if (!load_account(p, &u))
        return;
    check_password_pair(p, u.username, "password", "password2");
    if (web_has_errors(p)) {
        p->res->status = 400;
        render_edit(p, &u);
        return;
    }
    struct buf err = BUF_INIT;
    int rc = admin_user_set_password(p->db, u.username, http_form(p->req, "password"), &err);
    if (rc) {
        web_internal_error(p, err.data);
        buf_release(&err);
        return;
    }
    buf_release(&err);
    web_audit(p, "reset_password", "admin_user", u.id, "reset the password of \"%s\"", u.username);
    struct buf flash = BUF_INIT;
    buf_addf(&flash, "The password of \"%s\" was changed; the account was signed out everywhere.",
             u.username);
    /* resetting one's own password ended this session too */
    web_redirect(p, u.id == p->user->id ? "/login" : "/staff", flash.data);
    buf_release(&flash);
}
