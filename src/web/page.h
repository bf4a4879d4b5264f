/*
 * What every admin page uses: one struct web_page per request, and helpers to render a
 * template inside the layout, redirect with a flash message, keep a form's input and
 * show errors next to its fields, confirm destructive actions, page and sort lists, and
 * write the audit log.
 *
 * A page handler reads p->req (http/server.h: query, form, params), queries p->db (a
 * pooled connection, only for this request), fills p->data (a jansson object: the
 * template's values) and ends with exactly one of web_render, web_redirect or web_error.
 * Every value reaches HTML through templates, escaped (web/template.h).
 */
#ifndef TGSHOP_WEB_PAGE_H
#define TGSHOP_WEB_PAGE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "http/server.h"
#include "web/session.h"
#include "web/template.h"
#include "web/throttle.h"

struct catalog_cache;
struct queue;
struct web_options;
struct web_queue;
struct web_route;

struct web_page {
    struct http_request *req;
    struct http_response *res;
    struct arena *arena; /* the request's */
    struct db *db;
    const struct web_options *opt;
    const struct tpl_set *templates;
    struct throttle *throttle;
    struct web_cache *cache;
    const struct web_route *route;
    struct web_session *session;   /* NULL when not signed in */
    const struct admin_user *user; /* &session->user, or NULL */
    const char *csrf;              /* the token forms of this page must carry */
    struct web_queue *queue;       /* the panel's job queue handle: web_queue_lock */
    bool queue_locked;
    json_t *data;                       /* the template's values (owned; freed after the request) */
    struct tpl_prerendered prerendered; /* a partial the page rendered ahead (web_render) */
};

typedef void web_page_fn(struct web_page *p);

/* What the panel keeps between requests, shared by the request threads (web.c owns it). */
struct web_cache {
    struct catalog_cache *catalog; /* the category tree, search matches (shop/catalog.h) */
    pthread_mutex_t lock;          /* for the members below */
    char *options;                 /* the category_options partial with none
                                      selected, rendered from the outline of
                                      options_version; NULL: none yet */
    size_t options_len;
    int64_t options_version;
};

/* Renders template with p->data inside the layout (title, navigation, breadcrumbs, flash
 * message, the user's menu, the CSRF token as `csrf`). Status stays as set (200). */
void web_render(struct web_page *p, const char *template_name, const char *title);
/* 303 to location; flash (may be NULL) is shown once on the next page. */
void web_redirect(struct web_page *p, const char *location, const char *flash);
/* An error page (400, 403, 404, 409, 500) with a message for people; never internals. */
void web_error(struct web_page *p, int status, const char *message);
/* Logs a database failure with what was being done and answers 500. */
void web_db_error(struct web_page *p, const char *doing);
/* Logs message (a domain function's error text) and answers 500. */
void web_internal_error(struct web_page *p, const char *message);
/* Adds a breadcrumb before the page's own title (href NULL = plain text). */
void web_breadcrumb(struct web_page *p, const char *label, const char *href);

/* Answers value (taken) as JSON (application/json, no-store): small endpoints polled by
 * the panel's scripts. */
void web_json_reply(struct web_page *p, json_t *value);

/* The panel's job queue (jobs/queue.h), held by this request until web_queue_unlock (the
 * dispatcher unlocks it after the page too). NULL with *problem (for people) when it cannot
 * be opened; unlock then as well. Hold it only around queue calls. */
struct queue *web_queue_lock(struct web_page *p, const char **problem);
void web_queue_unlock(struct web_page *p);

/* ---- the session cookie ---- */
/* The session cookie's value as the browser sent it, or NULL. */
const char *web_session_cookie(const struct web_page *p);
/* Sets the session cookie (HttpOnly, SameSite=Strict, Secure over https), or deletes it
 * when cookie is NULL. */
void web_set_session_cookie(struct web_page *p, const char *cookie);
/* The CSRF token of a visitor without a session (the sign-in form), from its own cookie,
 * set now when missing. */
const char *web_login_token(struct web_page *p);

/* ---- forms ---- */
/* The trimmed value of a form field ("" when absent), in the arena. */
const char *web_form_text(struct web_page *p, const char *name);
/* True when the checkbox name was ticked. */
bool web_form_checked(struct web_page *p, const char *name);
/* Puts the posted fields into data.form so the form shows them again (fields whose name
 * contains "password" and the csrf token are never echoed). */
void web_form_keep(struct web_page *p);
/* Adds a message shown next to field (data.errors.FIELD) and sets data.has_errors. */
void web_field_error(struct web_page *p, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
bool web_has_errors(const struct web_page *p);
/* For destructive POST actions: true when the form carries confirm=yes; otherwise renders
 * a confirmation page with question that posts the same fields again plus confirm=yes
 * (or goes back to cancel_href) and returns false. */
bool web_confirmed(struct web_page *p, const char *question, const char *button,
                   const char *cancel_href);

/* ---- lists: 100 rows a page, sortable columns, links that keep the filters ---- */
struct web_column {
    const char *key;   /* ?sort=KEY */
    const char *label; /* header text */
    const char *sql;   /* ORDER BY expression (a constant of the page, never input); NULL =
                          not sortable */
    bool desc_first;   /* the first click sorts descending (dates, amounts) */
};

struct web_list {
    const struct web_column *columns;
    size_t column_count;
    const struct web_column *sort;
    bool desc;
    int64_t page, per_page, total;
    const char *tiebreak; /* unique column for a stable order: "id" */
};

enum { WEB_PAGE_SIZE = 100 };

/* Reads ?page, ?sort, ?dir (unknown values fall back to default_sort, its own direction).
 * At least one column must be sortable. */
void web_list_begin(struct web_page *p, struct web_list *l, const struct web_column *columns,
                    size_t column_count, const char *default_sort, const char *tiebreak);
/* " ORDER BY <sort> <dir>, <tiebreak> <dir> LIMIT <n> OFFSET <m>" for the query. */
const char *web_list_sql_tail(struct web_page *p, const struct web_list *l);
/* Fills data.list: columns with sort links, total, shown range, page links (all links
 * keep the other query parameters: the filters). */
void web_list_finish(struct web_page *p, struct web_list *l, int64_t total);

/* ---- the audit log ---- */
/* Writes who (the signed-in user, or username when NULL user) did action on object. */
void web_audit(struct web_page *p, const char *action, const char *object_type, int64_t object_id,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* ---- values for templates ---- */
/* "2026-12-03 14:05" (UTC), or "" for 0. */
json_t *web_json_time(int64_t t);
/* An amount in the shop's currency: "1290.00 ₽". */
json_t *web_json_money(const struct web_page *p, int64_t amount);
/* A string (NULL becomes ""). */
json_t *web_json_str(const char *s);

#endif
