#include "web/page.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "shop/audit.h"
#include "shop/money.h"
#include "web/routes.h"
#include "web/web.h"
#include "core/banned.h"

enum { LOGIN_TOKEN_MAX_AGE_S = 7200 };

static const char SESSION_COOKIE[] = "tgshop_session";
static const char LOGIN_COOKIE[] = "tgshop_login";

static struct http_cookie cookie_options(const struct http_request *req, int64_t max_age)
{
    return (struct http_cookie){
        .max_age = max_age, .http_only = true, .secure = req->https, .same_site = "Strict"};
}

const char *web_session_cookie(const struct web_page *p)
{
    return http_cookie(p->req, SESSION_COOKIE);
}

void web_set_session_cookie(struct web_page *p, const char *cookie)
{
    struct http_cookie c = cookie_options(p->req, cookie ? SESSION_TTL_S : -1);
    http_response_cookie(p->res, SESSION_COOKIE, cookie ? cookie : "", &c);
}

const char *web_login_token(struct web_page *p)
{
    const char *have = http_cookie(p->req, LOGIN_COOKIE);
    if (have && strlen(have) == SESSION_TOKEN_LEN)
        return arena_strdup(p->arena, have);
    char *token = arena_alloc(p->arena, SESSION_TOKEN_LEN + 1);
    session_random_token(token);
    struct http_cookie c = cookie_options(p->req, LOGIN_TOKEN_MAX_AGE_S);
    http_response_cookie(p->res, LOGIN_COOKIE, token, &c);
    return token;
}

json_t *web_json_str(const char *s)
{
    json_t *v = json_string(s ? s : "");
    return v ? v : json_string("");
}

json_t *web_json_time(int64_t t)
{
    if (!t)
        return json_string("");
    time_t tt = (time_t)t;
    struct tm tm;
    char out[32];
    if (!gmtime_r(&tt, &tm) || !strftime(out, sizeof out, "%Y-%m-%d %H:%M", &tm))
        return json_string("");
    return json_string(out);
}

json_t *web_json_money(const struct web_page *p, int64_t amount)
{
    struct buf b = BUF_INIT;
    money_format(&b, amount, p->opt->currency ? p->opt->currency : "XTR");
    json_t *v = web_json_str(b.data);
    buf_release(&b);
    return v;
}

/* true when path is the nav route's page or below it. */
static bool nav_active(const char *pattern, const char *path)
{
    size_t n = strlen(pattern);
    if (!strcmp(pattern, "/"))
        return !strcmp(path, "/");
    return !strncmp(path, pattern, n) && (path[n] == '\0' || path[n] == '/');
}

static void add_layout(struct web_page *p, const char *title)
{
    json_t *d = p->data;
    json_object_set_new(d, "title", web_json_str(title));
    json_object_set_new(d, "csrf", web_json_str(p->csrf));
    if (p->opt->sandbox_url)
        json_object_set_new(d, "sandbox_url", web_json_str(p->opt->sandbox_url));
    if (p->user) {
        json_object_set_new(d, "user",
                            json_pack("{s:s, s:b}", "username", p->user->username, "is_superuser",
                                      p->user->is_superuser));
        json_t *nav = json_array();
        for (size_t i = 0; i < web_route_count; i++) {
            const struct web_route *r = &web_routes[i];
            if (!r->nav ||
                ((r->needs & WEB_SUPERUSER & ~(unsigned)WEB_LOGIN) && !p->user->is_superuser))
                continue;
            json_array_append_new(nav,
                                  json_pack("{s:s, s:s, s:b}", "label", r->nav, "href", r->pattern,
                                            "active", nav_active(r->pattern, p->req->path)));
        }
        json_object_set_new(d, "nav", nav);
    }
    if (p->session && p->session->flash)
        json_object_set_new(d, "flash", web_json_str(p->session->flash));
    json_t *crumbs = json_object_get(d, "breadcrumbs");
    if (crumbs && title)
        json_array_append_new(crumbs, json_pack("{s:s}", "label", title));
    if (crumbs)
        json_object_set_new(d, "has_breadcrumbs", json_true());
}

void web_render(struct web_page *p, const char *template_name, const char *title)
{
    add_layout(p, title);
    buf_reset(&p->res->body);
    p->res->content_type = "text/html; charset=utf-8";
    http_response_header(p->res, "Cache-Control", "no-store");
    int rc = tpl_render_with(p->templates, template_name, p->data, &p->prerendered, &p->res->body);
    if (rc) {
        log_error("admin: cannot render template %s: %s", template_name, err_str(rc));
        http_response_text(p->res, 500, "500 Internal Server Error\n");
    }
}

void web_json_reply(struct web_page *p, json_t *value)
{
    char *text = value ? json_dumps(value, JSON_COMPACT) : NULL;
    json_decref(value);
    if (!text) {
        web_internal_error(p, "cannot write a JSON answer");
        return;
    }
    buf_reset(&p->res->body);
    buf_adds(&p->res->body, text);
    free(text);
    p->res->content_type = "application/json";
    http_response_header(p->res, "Cache-Control", "no-store");
}

void web_redirect(struct web_page *p, const char *location, const char *flash)
{
    if (flash && p->session && session_set_flash(p->db, p->session, flash))
        log_warn("admin: cannot keep a flash message: %s", db_errmsg(p->db));
    http_response_redirect(p->res, location);
}

void web_error(struct web_page *p, int status, const char *message)
{
    p->res->status = status;
    json_object_set_new(p->data, "status", json_integer(status));
    json_object_set_new(p->data, "message", web_json_str(message));
    web_render(p, "error", http_status_text(status));
    p->res->status = status;
}

void web_db_error(struct web_page *p, const char *doing)
{
    struct buf msg = BUF_INIT;
    buf_addf(&msg, "database error while %s: %s", doing, db_errmsg(p->db));
    web_internal_error(p, msg.data);
    buf_release(&msg);
}

void web_internal_error(struct web_page *p, const char *message)
{
    log_error("admin: %s %s: %s", p->req->method, p->req->path, message);
    web_error(p, 500, "Something went wrong on our side; nothing was changed. Try again.");
}

void web_breadcrumb(struct web_page *p, const char *label, const char *href)
{
    json_t *crumbs = json_object_get(p->data, "breadcrumbs");
    if (!crumbs) {
        crumbs = json_array();
        json_object_set_new(p->data, "breadcrumbs", crumbs);
    }
    json_t *c = json_pack("{s:s}", "label", label);
    if (href)
        json_object_set_new(c, "href", web_json_str(href));
    json_array_append_new(crumbs, c);
}

/* ---- forms ---- */

const char *web_form_text(struct web_page *p, const char *name)
{
    const char *v = http_form(p->req, name);
    if (!v)
        return "";
    while (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n')
        v++;
    size_t len = strlen(v);
    while (len &&
           (v[len - 1] == ' ' || v[len - 1] == '\t' || v[len - 1] == '\r' || v[len - 1] == '\n'))
        len--;
    return arena_strndup(p->arena, v, len);
}

bool web_form_checked(struct web_page *p, const char *name)
{
    const char *v = http_form(p->req, name);
    return v && *v && strcmp(v, "0");
}

void web_form_keep(struct web_page *p)
{
    json_t *form = json_object();
    for (size_t i = 0; i < p->req->form.count; i++) {
        const struct http_field *f = &p->req->form.items[i];
        if (strstr(f->name, "password") || !strcmp(f->name, "csrf"))
            continue;
        json_t *v = json_stringn(f->value, f->len); /* NULL for invalid UTF-8 */
        json_object_set_new(form, f->name, v ? v : json_string(""));
    }
    json_object_set_new(p->data, "form", form);
}

void web_field_error(struct web_page *p, const char *field, const char *fmt, ...)
{
    json_t *errors = json_object_get(p->data, "errors");
    if (!errors) {
        errors = json_object();
        json_object_set_new(p->data, "errors", errors);
    }
    struct buf msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);
    if (!json_object_get(errors, field))
        json_object_set_new(errors, field, web_json_str(msg.data));
    buf_release(&msg);
    json_object_set_new(p->data, "has_errors", json_true());
}

bool web_has_errors(const struct web_page *p)
{
    return json_object_get(p->data, "has_errors") != NULL;
}

bool web_confirmed(struct web_page *p, const char *question, const char *button,
                   const char *cancel_href)
{
    const char *confirm = http_form(p->req, "confirm");
    if (confirm && !strcmp(confirm, "yes"))
        return true;
    json_t *fields = json_array();
    for (size_t i = 0; i < p->req->form.count; i++) {
        const struct http_field *f = &p->req->form.items[i];
        if (!strcmp(f->name, "csrf") || !strcmp(f->name, "confirm"))
            continue;
        json_array_append_new(fields,
                              json_pack("{s:s, s:s%}", "name", f->name, "value", f->value, f->len));
    }
    json_object_set_new(p->data, "confirm",
                        json_pack("{s:s, s:s, s:s, s:s, s:o}", "question", question, "button",
                                  button, "action", p->req->path, "cancel", cancel_href, "fields",
                                  fields));
    web_render(p, "confirm", "Please confirm");
    return false;
}

/* ---- lists ---- */

void web_list_begin(struct web_page *p, struct web_list *l, const struct web_column *columns,
                    size_t column_count, const char *default_sort, const char *tiebreak)
{
    memset(l, 0, sizeof *l);
    l->columns = columns;
    l->column_count = column_count;
    l->per_page = WEB_PAGE_SIZE;
    l->tiebreak = tiebreak;
    const char *sort = http_query(p->req, "sort");
    const char *dir = http_query(p->req, "dir");
    for (size_t i = 0; i < column_count; i++) {
        if (columns[i].sql && sort && !strcmp(columns[i].key, sort))
            l->sort = &columns[i];
    }
    if (!l->sort) {
        for (size_t i = 0; i < column_count; i++)
            if (columns[i].sql && (!strcmp(columns[i].key, default_sort) || !l->sort))
                l->sort = &columns[i];
        dir = NULL;
    }
    l->desc = dir ? !strcmp(dir, "desc") : l->sort->desc_first;
    int64_t page = 1;
    const char *page_text = http_query(p->req, "page");
    if (page_text && !parse_int64(page_text, &page) && page >= 1 && page <= 10000000)
        l->page = page;
    else
        l->page = 1;
}

const char *web_list_sql_tail(struct web_page *p, const struct web_list *l)
{
    const char *dir = l->desc ? "DESC" : "ASC";
    return arena_sprintf(p->arena, " ORDER BY %s %s, %s %s LIMIT %lld OFFSET %lld", l->sort->sql,
                         dir, l->tiebreak, dir, (long long)l->per_page,
                         (long long)((l->page - 1) * l->per_page));
}

/* The page's path with its query, with sort/dir/page replaced (NULL = left out). */
static json_t *list_link(struct web_page *p, const char *sort, const char *dir, int64_t page)
{
    struct buf url = BUF_INIT;
    buf_adds(&url, p->req->path);
    char sep = '?';
    for (size_t i = 0; i < p->req->query.count; i++) {
        const struct http_field *f = &p->req->query.items[i];
        if (!strcmp(f->name, "sort") || !strcmp(f->name, "dir") || !strcmp(f->name, "page") ||
            !f->len)
            continue;
        buf_addc(&url, sep);
        buf_add_url_encoded(&url, f->name, strlen(f->name));
        buf_addc(&url, '=');
        buf_add_url_encoded(&url, f->value, f->len);
        sep = '&';
    }
    if (sort) {
        buf_addf(&url, "%csort=%s&dir=%s", sep, sort, dir);
        sep = '&';
    }
    if (page > 1)
        buf_addf(&url, "%cpage=%lld", sep, (long long)page);
    json_t *v = web_json_str(url.data);
    buf_release(&url);
    return v;
}

void web_list_finish(struct web_page *p, struct web_list *l, int64_t total)
{
    l->total = total;
    int64_t pages = total ? (total + l->per_page - 1) / l->per_page : 1;
    const char *sort = l->sort->key, *dir = l->desc ? "desc" : "asc";
    json_t *columns = json_array();
    for (size_t i = 0; i < l->column_count; i++) {
        const struct web_column *c = &l->columns[i];
        json_t *col = json_pack("{s:s}", "label", c->label);
        if (c->sql) {
            bool sorted = c == l->sort;
            const char *next = sorted ? (l->desc ? "asc" : "desc") : c->desc_first ? "desc" : "asc";
            json_object_set_new(col, "href", list_link(p, c->key, next, 1));
            if (sorted)
                json_object_set_new(col, "arrow", json_string(l->desc ? "▼" : "▲"));
        }
        json_array_append_new(columns, col);
    }
    int64_t from = total ? (l->page - 1) * l->per_page + 1 : 0;
    int64_t to = l->page * l->per_page < total ? l->page * l->per_page : total;
    if (from > total)
        from = to = 0;
    json_t *list = json_pack("{s:o, s:I, s:I, s:I, s:I, s:I}", "columns", columns, "total",
                             (json_int_t)total, "from", (json_int_t)from, "to", (json_int_t)to,
                             "page", (json_int_t)l->page, "pages", (json_int_t)pages);
    if (l->page > 1)
        json_object_set_new(list, "prev", list_link(p, sort, dir, l->page - 1));
    if (l->page < pages)
        json_object_set_new(list, "next", list_link(p, sort, dir, l->page + 1));
    json_t *links = json_array();
    int64_t last_shown = 0;
    for (int64_t n = 1; n <= pages; n++) {
        bool near = n == 1 || n == pages || (n >= l->page - 2 && n <= l->page + 2);
        if (!near)
            continue;
        if (last_shown && n > last_shown + 1)
            json_array_append_new(links, json_pack("{s:b}", "gap", 1));
        json_t *link = json_pack("{s:I, s:b}", "number", (json_int_t)n, "current", n == l->page);
        json_object_set_new(link, "href", list_link(p, sort, dir, n));
        json_array_append_new(links, link);
        last_shown = n;
        if (n == 1 && l->page - 2 > 2)
            n = l->page - 3;
        else if (n >= l->page + 2 && n < pages - 1)
            n = pages - 1;
    }
    if (pages > 1)
        json_object_set_new(list, "links", links);
    else
        json_decref(links);
    json_object_set_new(p->data, "list", list);
}

/* ---- audit ---- */

void web_audit(struct web_page *p, const char *action, const char *object_type, int64_t object_id,
               const char *fmt, ...)
{
    struct buf details = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&details, fmt, ap);
    va_end(ap);
    struct audit_entry e = {
        .admin_user_id = p->user ? p->user->id : 0,
        .username = p->user ? p->user->username : "",
        .action = action,
        .object_type = object_type,
        .object_id = object_id,
        .details = details.data,
        .ip = p->req->client_ip,
    };
    if (audit_write(p->db, &e))
        log_error("admin: cannot write the audit log (%s %s %lld): %s", action, object_type,
                  (long long)object_id, db_errmsg(p->db));
    buf_release(&details);
}
