#include "sandbox/sandbox.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/arena.h"
#include "core/embed.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "core/xalloc.h"
#include "http/server.h"
#include "http/static.h"
#include "http/urlencoded.h"
#include "sandbox/botapi.h"
#include "sandbox/faults.h"
#include "sandbox/form.h"
#include "sandbox/userapi.h"
#include "sandbox/webhook.h"
#include "sandbox/world.h"
#include "core/banned.h"

enum { CONNECTION_LIMIT = 512, IDLE_TIMEOUT_S = 120 };

/* The web chat page's files (src/sandbox/webchat/), built into the binary. */
extern const struct embedded_file webchat_files[];

/* Photos may come from anywhere (a URL the bot sent); nothing else does. */
static const char webchat_csp[] = "default-src 'self'; img-src * data:; frame-ancestors 'none'";

struct sandbox {
    struct world world;
    struct http_server *http;
    pthread_t webhook_thread, timer_thread;
    bool webhook_started, timer_started;
};

/* A Telegram-shaped error answer: {"ok":false,"error_code":status,"description":...}. */
static void reply_error(struct http_response *res, int status, const char *description)
{
    struct botapi_reply rep;
    botapi_reply_init(&rep);
    botapi_fail(&rep, status, description);
    res->status = status;
    res->content_type = "application/json";
    buf_reset(&res->body);
    botapi_reply_json(&rep, &res->body);
    botapi_reply_release(&rep);
}

/* The errors the HTTP server finds itself (404, 405, 413, a broken form), as Telegram
 * answers them. */
static void answer_error(struct http_request *req, struct http_response *res)
{
    const char *type = req->content_type ? req->content_type : "";
    if (res->status == 400 && !strncasecmp(type, "multipart/form-data", 19))
        reply_error(res, 400, "Bad Request: can't parse multipart/form-data request");
    else
        reply_error(res, res->status, http_status_text(res->status));
}

static void add_fields(struct form *f, const struct http_fields *fields)
{
    for (size_t i = 0; i < fields->count; i++)
        form_add(f, fields->items[i].name, fields->items[i].value, fields->items[i].len);
}

/* The Bot API call's parameters: the query, then the form and its files or a JSON body.
 * Returns 0, or the HTTP status to answer with and the description in rep. */
static int read_params(struct form *f, const struct http_request *req, struct botapi_reply *rep)
{
    add_fields(f, &req->query);
    add_fields(f, &req->form);
    for (size_t i = 0; i < req->upload_count; i++) {
        const struct http_upload *u = &req->uploads[i];
        const char *data;
        size_t len;
        int rc = http_upload_read(req, u, &data, &len);
        if (rc) {
            buf_adds(&rep->description, http_status_text(rc == ERR_TOOBIG ? 413 : 500));
            return rc == ERR_TOOBIG ? 413 : 500;
        }
        form_add_file(f, u->field, data, len, u->filename, u->content_type);
    }
    const char *type = req->content_type ? req->content_type : "";
    size_t type_len = strcspn(type, "; ");
    if (type_len == 16 && !strncasecmp(type, "application/json", 16))
        return form_parse_json(f, req->body, req->body_len, &rep->description) ? 400 : 0;
    if (req->body_len) {
        buf_adds(&rep->description, "Bad Request: unsupported Content-Type of the request body");
        return 400;
    }
    return 0;
}

/* /bot<token>/<method> */
static void serve_bot_api(struct http_request *req, struct http_response *res)
{
    struct sandbox *sb = req->ctx;
    struct world *w = &sb->world;
    const char *rest = http_param(req, "*");
    const char *slash = strchr(rest, '/');
    size_t token_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (token_len != strlen(w->token) || memcmp(rest, w->token, token_len)) {
        reply_error(res, 401, "Unauthorized");
        return;
    }
    if (!slash || !slash[1] || strchr(slash + 1, '/')) {
        reply_error(res, 404, "Not Found");
        return;
    }
    struct form form;
    form_init(&form, req->arena);
    struct botapi_reply rep;
    botapi_reply_init(&rep);
    int status = read_params(&form, req, &rep);
    res->content_type = "application/json";
    if (status) {
        rep.status = status;
        botapi_reply_json(&rep, &res->body);
    } else {
        pthread_mutex_lock(&w->lock);
        botapi_call(w, slash + 1, &form, &rep);
        botapi_reply_json(&rep, &res->body); /* under the lock: the result may share objects */
        pthread_mutex_unlock(&w->lock);
    }
    res->status = rep.status;
    botapi_reply_release(&rep);
}

/* /sandbox/api/... (docs/sandbox.md) */
static void serve_user_api(struct http_request *req, struct http_response *res)
{
    struct sandbox *sb = req->ctx;
    struct form query;
    form_init(&query, req->arena);
    add_fields(&query, &req->query);
    struct userapi_reply rep;
    userapi_reply_init(&rep);
    userapi_handle(&sb->world, req->method, req->path, &query, req->body, req->body_len, &rep);
    res->status = rep.status;
    res->content_type = rep.content_type;
    buf_add(&res->body, rep.body.data, rep.body.len);
    if (rep.location)
        http_response_header(res, "Location", rep.location);
    userapi_reply_release(&rep);
}

/* The web chat at "/", "/chat" and "/webchat/<file>", revalidated on every use so a rebuilt
 * sandbox serves its new page. */
static void serve_webchat(struct http_request *req, struct http_response *res)
{
    const char *name = http_param(req, "name");
    http_serve_embedded(req, res, webchat_files, name ? name : "index.html", 0);
}

static const struct http_route routes[] = {
    {"GET", "/bot*", serve_bot_api, 0, NULL},
    {"POST", "/bot*", serve_bot_api, 0, NULL},
    {"GET", "/sandbox/api/*", serve_user_api, 0, NULL},
    {"POST", "/sandbox/api/*", serve_user_api, 0, NULL},
    {"GET", "/", serve_webchat, 0, NULL},
    {"GET", "/chat", serve_webchat, 0, NULL},
    {"GET", "/webchat/{name}", serve_webchat, 0, NULL},
};

/* Expires pre-checkout queries at their deadline, so users see the timeout. */
static void *run_timer(void *world)
{
    struct world *w = world;
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        int64_t next = world_expire_queries(w);
        if (next) {
            struct timespec ts = {(time_t)(next / 1000), (long)(next % 1000) * 1000000L};
            pthread_cond_timedwait(&w->changed, &w->lock, &ts);
        } else {
            pthread_cond_wait(&w->changed, &w->lock);
        }
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

int sandbox_start(struct sandbox **out, const struct sandbox_options *opt, struct buf *err)
{
    *out = NULL;
    struct sandbox *sb = xcalloc(1, sizeof *sb);
    int rc = world_init(&sb->world, opt, err);
    if (rc) {
        free(sb);
        return rc;
    }
    struct http_options http = {
        .listen_host = opt->listen_host,
        .listen_port = opt->listen_port,
        .routes = routes,
        .route_count = ARRAY_SIZE(routes),
        .ctx = sb,
        .on_error = answer_error,
        .max_body = sb->world.opt.max_body,
        .max_upload = sb->world.opt.max_body,
        .csp = webchat_csp,
        .connection_limit = CONNECTION_LIMIT,
        .per_ip_limit = CONNECTION_LIMIT, /* the bot and every test client share one address */
        .idle_timeout_s = IDLE_TIMEOUT_S,
        .name = "sandbox",
    };
    if ((rc = http_server_start(&sb->http, &http, err)))
        goto fail;
    if ((rc = pthread_create(&sb->webhook_thread, NULL, webhook_run, &sb->world))) {
        buf_addf(err, "cannot start the sandbox's webhook thread: %s", strerror(rc));
        rc = ERR_INTERNAL;
        goto fail;
    }
    sb->webhook_started = true;
    if ((rc = pthread_create(&sb->timer_thread, NULL, run_timer, &sb->world))) {
        buf_addf(err, "cannot start the sandbox's timer thread: %s", strerror(rc));
        rc = ERR_INTERNAL;
        goto fail;
    }
    sb->timer_started = true;
    *out = sb;
    return 0;
fail:
    sandbox_stop(sb);
    return rc;
}

void sandbox_stop(struct sandbox *sb)
{
    if (!sb)
        return;
    pthread_mutex_lock(&sb->world.lock);
    sb->world.stopping = true;
    pthread_cond_broadcast(&sb->world.changed);
    pthread_mutex_unlock(&sb->world.lock);
    http_server_stop(sb->http);
    if (sb->webhook_started)
        pthread_join(sb->webhook_thread, NULL);
    if (sb->timer_started)
        pthread_join(sb->timer_thread, NULL);
    world_release(&sb->world);
    free(sb);
}

int sandbox_port(const struct sandbox *sb)
{
    return http_server_port(sb->http);
}

const char *sandbox_url(const struct sandbox *sb)
{
    return http_server_url(sb->http);
}

int sandbox_set_faults(struct sandbox *sb, const struct sandbox_fault *rules, size_t count,
                       struct buf *err)
{
    struct buf ignored = BUF_INIT;
    pthread_mutex_lock(&sb->world.lock);
    int rc = faults_set(&sb->world, rules, count, err ? err : &ignored);
    pthread_mutex_unlock(&sb->world.lock);
    buf_release(&ignored);
    return rc;
}

void sandbox_set_rate_limits(struct sandbox *sb, double global_rate, double per_chat_rate)
{
    pthread_mutex_lock(&sb->world.lock);
    sb->world.opt.global_rate = global_rate;
    sb->world.opt.per_chat_rate = per_chat_rate;
    sb->world.global_bucket.last_ms = 0;
    for (size_t i = 0; i < sb->world.chat_count; i++)
        sb->world.chats[i]->bucket.last_ms = 0;
    pthread_mutex_unlock(&sb->world.lock);
}

int sandbox_user_api(struct sandbox *sb, const char *http_method, const char *path,
                     const char *json_body, struct buf *out)
{
    struct arena arena;
    arena_init(&arena, 0);
    const char *question = strchr(path, '?');
    char *bare_path =
        arena_strndup(&arena, path, question ? (size_t)(question - path) : strlen(path));
    struct http_fields fields = {0};
    if (question)
        http_urlencoded_parse(&fields, &arena, question + 1, strlen(question + 1));
    struct form query;
    form_init(&query, &arena);
    add_fields(&query, &fields);
    struct userapi_reply rep;
    userapi_reply_init(&rep);
    userapi_handle(&sb->world, http_method, bare_path, &query, json_body ? json_body : "",
                   json_body ? strlen(json_body) : 0, &rep);
    buf_add(out, rep.body.data, rep.body.len);
    int status = rep.status;
    userapi_reply_release(&rep);
    arena_release(&arena);
    return status;
}
