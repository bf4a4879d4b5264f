#include "web/web.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "jobs/queue.h"
#include "shop/catalog.h"
#include "shop/texts.h"
#include "web/routes.h"
#include "core/banned.h"

extern const struct embedded_file web_templates[];

/* Database connections shared by the request threads: taken for one request, then put
 * back. Opened on first use, at most `size`. */
struct pool {
    pthread_mutex_t lock;
    pthread_cond_t returned;
    struct db **idle;
    size_t idle_count, open_count, size;
    const char *url;
};

/* The job queue of the pages: one handle, opened on first use, used under a mutex. A struct
 * queue is one connection for one thread at a time; the panel calls it rarely and briefly
 * (one enqueue per order status change, the dead jobs page and its buttons), so one shared
 * connection behind a lock makes nobody wait noticeably, where a handle per request would
 * open a connection each time (a PostgreSQL login, a Redis handshake) and a pool would
 * keep idle connections for nothing. A handle that failed to open is tried again by the
 * next page that needs it; once open, both backends reconnect by themselves. */
struct web_queue {
    pthread_mutex_t lock;
    struct queue_config cfg;
    struct queue *q;
};

struct web {
    struct web_options opt;
    struct http_server *http;
    struct http_route *http_routes;
    struct tpl_set *templates;
    struct throttle *throttle;
    struct web_cache cache;
    struct pool pool;
    struct web_queue queue;
};

struct queue *web_queue_lock(struct web_page *p, const char **problem)
{
    struct web_queue *wq = p->queue;
    pthread_mutex_lock(&wq->lock);
    p->queue_locked = true;
    if (!wq->q) {
        struct buf err = BUF_INIT;
        if (queue_open(&wq->q, &wq->cfg, &err)) {
            log_error("admin: cannot open the job queue: %s", err.data);
            *problem = arena_sprintf(p->arena, "the job queue is not reachable (%s)", err.data);
            buf_release(&err);
            return NULL;
        }
        buf_release(&err);
    }
    return wq->q;
}

void web_queue_unlock(struct web_page *p)
{
    if (p->queue_locked)
        pthread_mutex_unlock(&p->queue->lock);
    p->queue_locked = false;
}

static struct db *pool_take(struct pool *pool, struct buf *err)
{
    pthread_mutex_lock(&pool->lock);
    while (!pool->idle_count && pool->open_count == pool->size)
        pthread_cond_wait(&pool->returned, &pool->lock);
    struct db *db = NULL;
    if (pool->idle_count) {
        db = pool->idle[--pool->idle_count];
        pthread_mutex_unlock(&pool->lock);
        return db;
    }
    pool->open_count++;
    pthread_mutex_unlock(&pool->lock);
    if (db_open(&db, pool->url, err)) {
        pthread_mutex_lock(&pool->lock);
        pool->open_count--;
        pthread_cond_signal(&pool->returned);
        pthread_mutex_unlock(&pool->lock);
        return NULL;
    }
    return db;
}

static void pool_put(struct pool *pool, struct db *db)
{
    if (db_in_transaction(db))
        db_rollback(db);
    pthread_mutex_lock(&pool->lock);
    pool->idle[pool->idle_count++] = db;
    pthread_cond_signal(&pool->returned);
    pthread_mutex_unlock(&pool->lock);
}

static void pool_release(struct pool *pool)
{
    for (size_t i = 0; i < pool->idle_count; i++)
        db_close(pool->idle[i]);
    free(pool->idle);
    pthread_mutex_destroy(&pool->lock);
    pthread_cond_destroy(&pool->returned);
}

static struct web_page page_for(struct web *app, struct http_request *req,
                                struct http_response *res)
{
    return (struct web_page){
        .req = req,
        .res = res,
        .arena = req->arena,
        .opt = &app->opt,
        .templates = app->templates,
        .throttle = app->throttle,
        .cache = &app->cache,
        .queue = &app->queue,
        .data = json_object(),
    };
}

/* True when every name and value of f is UTF-8: the database takes nothing else, and a
 * page should not have to check. */
static bool fields_are_text(const struct http_fields *f)
{
    for (size_t i = 0; i < f->count; i++)
        if (!utf8_valid(f->items[i].name, strlen(f->items[i].name)) ||
            !utf8_valid(f->items[i].value, f->items[i].len))
            return false;
    return true;
}

static void dispatch(struct http_request *req, struct http_response *res)
{
    struct web *app = req->ctx;
    const struct web_route *route = req->route->data;
    if (route->raw) {
        route->raw(req, res);
        return;
    }
    struct web_page page = page_for(app, req, res);
    struct web_page *p = &page;
    p->route = route;
    if (!fields_are_text(&req->params) || !fields_are_text(&req->query) ||
        !fields_are_text(&req->form)) {
        web_error(p, 400,
                  "The request holds text that is not valid UTF-8. Retype it in the form and "
                  "send it again.");
        json_decref(p->data);
        return;
    }
    struct buf err = BUF_INIT;
    p->db = pool_take(&app->pool, &err);
    if (!p->db) {
        log_error("admin: cannot open the database: %s", err.data);
        buf_release(&err);
        web_error(p, 503, "The database is not reachable. Try again in a moment.");
        json_decref(p->data);
        return;
    }
    buf_release(&err);
    struct web_session *session = arena_calloc(p->arena, 1, sizeof *session);
    int rc = session_load(p->db, web_session_cookie(p), p->arena, session);
    if (rc == 0) {
        p->session = session;
        p->user = &session->user;
        p->csrf = session->csrf;
    } else if (rc != ERR_NOTFOUND) {
        web_db_error(p, "loading the session");
        goto done;
    }
    if (!p->session)
        p->csrf = web_login_token(p);
    bool post = !strcmp(req->method, "POST");
    if ((route->needs & WEB_LOGIN) && !p->user) {
        struct buf to = BUF_INIT;
        buf_adds(&to, "/login?next=");
        buf_add_url_encoded(&to, req->path, strlen(req->path));
        web_redirect(p, post ? "/login" : to.data, NULL);
        buf_release(&to);
        goto done;
    }
    if ((route->needs & WEB_SUPERUSER & ~(unsigned)WEB_LOGIN) && !p->user->is_superuser) {
        web_error(p, 403, "This page is for superusers only.");
        goto done;
    }
    if (post && (route->needs & WEB_CSRF) &&
        !session_token_equal(p->csrf, http_form(req, "csrf"))) {
        web_error(p, 403,
                  "This form has expired or did not come from this site. Go back, reload the "
                  "page and try again.");
        goto done;
    }
    route->page(p);
done:
    web_queue_unlock(p); /* in case a page returned early holding it */
    pool_put(&app->pool, p->db);
    json_decref(p->data);
}

/* Only routes that say WEB_UPLOAD (the product photo) take files; elsewhere a file part is
 * refused before anything is written. */
static size_t upload_limit(const struct http_route *route)
{
    return route->flags & WEB_UPLOAD ? WEB_MAX_UPLOAD : 0;
}

static void error_page(struct http_request *req, struct http_response *res)
{
    struct web *app = req->ctx;
    struct web_page page = page_for(app, req, res);
    const char *message = res->status == 404   ? "There is no such page."
                          : res->status == 405 ? "This page does not accept that request."
                          : req->refusal       ? req->refusal
                          : res->status == 413 ? "The request is too large."
                                               : "The request could not be handled.";
    web_error(&page, res->status, message);
    json_decref(page.data);
}

int web_start(struct web **out, const struct web_options *opt, struct buf *err)
{
    *out = NULL;
    for (size_t i = 0; i < web_route_count; i++) {
        const struct web_route *r = &web_routes[i];
        if (!strcmp(r->method, "POST") && !(r->needs & (WEB_CSRF | WEB_OWN_AUTH))) {
            buf_addf(err, "route POST %s does not check a CSRF token", r->pattern);
            return ERR_INVALID;
        }
        if (!r->page == !r->raw) {
            buf_addf(err, "route %s %s needs exactly one handler", r->method, r->pattern);
            return ERR_INVALID;
        }
        if (r->raw && (r->needs & (WEB_LOGIN | WEB_CSRF))) {
            buf_addf(err, "route %s %s: a plain handler gets no session, login or CSRF check",
                     r->method, r->pattern);
            return ERR_INVALID;
        }
    }
    int rc = texts_init(err);
    if (rc)
        return rc;
    struct web *app = xcalloc(1, sizeof *app);
    app->opt = *opt;
    if (!app->opt.default_language)
        app->opt.default_language = "ru";
    rc = tpl_set_compile(&app->templates, web_templates, err);
    if (rc) {
        free(app);
        return rc;
    }
    pthread_mutex_init(&app->queue.lock, NULL);
    app->queue.cfg =
        opt->queue ? *opt->queue : (struct queue_config){.database_url = opt->database_url};
    app->throttle = throttle_new(&opt->throttle);
    app->cache.catalog = catalog_cache_new();
    pthread_mutex_init(&app->cache.lock, NULL);
    pthread_mutex_init(&app->pool.lock, NULL);
    pthread_cond_init(&app->pool.returned, NULL);
    app->pool.size = opt->db_connections > 0 ? (size_t)opt->db_connections : 8;
    app->pool.idle = xcalloc(app->pool.size, sizeof *app->pool.idle);
    app->pool.url = opt->database_url;
    app->http_routes = xcalloc(web_route_count, sizeof *app->http_routes);
    for (size_t i = 0; i < web_route_count; i++)
        app->http_routes[i] = (struct http_route){web_routes[i].method, web_routes[i].pattern,
                                                  dispatch, web_routes[i].needs, &web_routes[i]};
    struct http_options hopt = {
        .listen_host = opt->listen_host,
        .listen_port = opt->listen_port,
        .trust_proxy = opt->trust_proxy,
        .routes = app->http_routes,
        .route_count = web_route_count,
        .ctx = app,
        .on_error = error_page,
        .max_body = 1 << 20,
        .max_upload = WEB_MAX_UPLOAD,
        .upload_limit = upload_limit,
        .name = "admin",
    };
    rc = http_server_start(&app->http, &hopt, err);
    if (rc) {
        web_stop(app);
        return rc;
    }
    *out = app;
    return 0;
}

void web_stop(struct web *w)
{
    if (!w)
        return;
    http_server_stop(w->http);
    pool_release(&w->pool);
    queue_close(w->queue.q);
    pthread_mutex_destroy(&w->queue.lock);
    throttle_free(w->throttle);
    catalog_cache_free(w->cache.catalog);
    free(w->cache.options);
    pthread_mutex_destroy(&w->cache.lock);
    tpl_set_free(w->templates);
    free(w->http_routes);
    free(w);
}

const struct web_options *web_options_of(const void *http_ctx)
{
    return &((const struct web *)http_ctx)->opt;
}

const char *web_url(const struct web *w)
{
    return http_server_url(w->http);
}

int web_port(const struct web *w)
{
    return http_server_port(w->http);
}
