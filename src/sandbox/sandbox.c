#include "sandbox/sandbox.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sandbox/botapi.h"
#include "sandbox/faults.h"
#include "sandbox/form.h"
#include "sandbox/userapi.h"
#include "sandbox/webchat.h"
#include "sandbox/webhook.h"
#include "sandbox/world.h"
#include "core/banned.h"

enum { CONNECTION_LIMIT = 512, IDLE_TIMEOUT_S = 120 };

struct sandbox {
    struct world world;
    struct MHD_Daemon *daemon;
    int port;
    char *url;
    pthread_t webhook_thread, timer_thread;
    bool threads_started;
};

/* One HTTP request being received. */
struct request_state {
    struct buf body;
};

static enum MHD_Result send_reply(struct MHD_Connection *conn, int status, const char *body,
                                  size_t len, const char *content_type, const char *location)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (location)
        MHD_add_response_header(response, MHD_HTTP_HEADER_LOCATION, location);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)status, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *conn, int status, const char *description)
{
    struct botapi_reply rep;
    botapi_reply_init(&rep);
    botapi_fail(&rep, status, description);
    struct buf out = BUF_INIT;
    botapi_reply_json(&rep, &out);
    enum MHD_Result rc = send_reply(conn, status, out.data, out.len, "application/json", NULL);
    buf_release(&out);
    botapi_reply_release(&rep);
    return rc;
}

static enum MHD_Result add_query_arg(void *form, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    form_add(form, key, value ? value : "", value ? strlen(value) : 0);
    return MHD_YES;
}

static enum MHD_Result serve_bot_api(struct sandbox *sb, struct MHD_Connection *conn,
                                     const char *path, struct request_state *state)
{
    struct world *w = &sb->world;
    const char *rest = path + 4; /* after "/bot" */
    const char *slash = strchr(rest, '/');
    size_t token_len = slash ? (size_t)(slash - rest) : strlen(rest);
    if (token_len != strlen(w->token) || memcmp(rest, w->token, token_len))
        return send_error(conn, 401, "Unauthorized");
    if (!slash || !slash[1] || strchr(slash + 1, '/'))
        return send_error(conn, 404, "Not Found");
    const char *method = slash + 1;
    if (state->body.overflow)
        return send_error(conn, 413, "Request Entity Too Large");

    struct arena arena;
    arena_init(&arena, 0);
    struct form form;
    form_init(&form, &arena);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &form);
    const char *content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    struct botapi_reply rep;
    botapi_reply_init(&rep);
    struct buf out = BUF_INIT;
    if (form_parse_body(&form, content_type, state->body.data, state->body.len, &rep.description)) {
        rep.status = 400;
        botapi_reply_json(&rep, &out);
    } else {
        pthread_mutex_lock(&w->lock);
        botapi_call(w, method, &form, &rep);
        botapi_reply_json(&rep, &out); /* under the lock: the result may share stored objects */
        pthread_mutex_unlock(&w->lock);
    }
    enum MHD_Result rc = send_reply(conn, rep.status, out.data, out.len, "application/json", NULL);
    buf_release(&out);
    botapi_reply_release(&rep);
    arena_release(&arena);
    return rc;
}

static enum MHD_Result serve_user_api(struct sandbox *sb, struct MHD_Connection *conn,
                                      const char *path, const char *method,
                                      struct request_state *state)
{
    if (state->body.overflow)
        return send_error(conn, 413, "Request Entity Too Large");
    struct arena arena;
    arena_init(&arena, 0);
    struct form query;
    form_init(&query, &arena);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, add_query_arg, &query);
    struct userapi_reply rep;
    userapi_reply_init(&rep);
    userapi_handle(&sb->world, method, path, &query, state->body.data, state->body.len, &rep);
    enum MHD_Result rc =
        send_reply(conn, rep.status, rep.body.data, rep.body.len, rep.content_type, rep.location);
    userapi_reply_release(&rep);
    arena_release(&arena);
    return rc;
}

/* The web chat's files, never cached so a rebuilt sandbox serves its new page. */
static enum MHD_Result serve_webchat(struct MHD_Connection *conn, const struct webchat_asset *asset)
{
    struct MHD_Response *response =
        MHD_create_response_from_buffer(asset->len, (void *)asset->data, MHD_RESPMEM_PERSISTENT);
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, asset->content_type);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "Content-Security-Policy",
                            "default-src 'self'; img-src * data:; frame-ancestors 'none'");
    enum MHD_Result rc = MHD_queue_response(conn, MHD_HTTP_OK, response);
    MHD_destroy_response(response);
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *path,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct sandbox *sb = cls;
    struct request_state *state = *con_cls;
    if (!state) {
        state = xcalloc(1, sizeof *state);
        buf_init(&state->body, sb->world.opt.max_body);
        *con_cls = state;
        return MHD_YES;
    }
    if (*upload_data_size) {
        buf_add(&state->body, upload_data, *upload_data_size); /* over the cap sets overflow */
        *upload_data_size = 0;
        return MHD_YES;
    }
    if (strcmp(method, "GET") && strcmp(method, "POST"))
        return send_error(conn, 405, "Method Not Allowed");
    if (!strncmp(path, "/bot", 4))
        return serve_bot_api(sb, conn, path, state);
    if (!strncmp(path, "/sandbox/api/", 13))
        return serve_user_api(sb, conn, path, method, state);
    struct webchat_asset asset;
    if (!strcmp(method, "GET") && webchat_find(path, &asset))
        return serve_webchat(conn, &asset);
    return send_error(conn, 404, "Not Found");
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    struct request_state *state = *con_cls;
    if (state) {
        buf_release(&state->body);
        free(state);
        *con_cls = NULL;
    }
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    struct buf line = BUF_INIT;
    buf_vaddf(&line, fmt, ap);
    while (line.len && line.data[line.len - 1] == '\n')
        buf_truncate(&line, line.len - 1);
    log_debug("sandbox http: %s", line.data);
    buf_release(&line);
}

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

static int resolve_listen_address(const char *host, int port, struct sockaddr_storage *out,
                                  struct buf *err)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc || !res) {
        buf_addf(err, "cannot resolve the listen address %s: %s", host, gai_strerror(rc));
        return ERR_INVALID;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return 0;
}

int sandbox_start(struct sandbox **out, const struct sandbox_options *opt, struct buf *err)
{
    *out = NULL;
    const char *host = opt->listen_host ? opt->listen_host : "127.0.0.1";
    if (opt->listen_port < 0 || opt->listen_port > 65535) {
        buf_addf(err, "the listen port must be 0-65535, got %d", opt->listen_port);
        return ERR_INVALID;
    }
    struct sockaddr_storage addr;
    if (resolve_listen_address(host, opt->listen_port, &addr, err))
        return ERR_INVALID;
    struct sandbox *sb = xcalloc(1, sizeof *sb);
    int rc = world_init(&sb->world, opt, err);
    if (rc) {
        free(sb);
        return rc;
    }
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    sb->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->listen_port, NULL, NULL, handle, sb, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)IDLE_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED, request_done, sb,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, sb, MHD_OPTION_END);
    if (!sb->daemon) {
        buf_addf(err, "cannot listen on %s:%d (in use, or not an address of this machine)", host,
                 opt->listen_port);
        world_release(&sb->world);
        free(sb);
        return ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(sb->daemon, MHD_DAEMON_INFO_BIND_PORT);
    sb->port = info ? info->port : opt->listen_port;
    struct buf url = BUF_INIT;
    bool v6 = strchr(host, ':') != NULL;
    buf_addf(&url, "http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", sb->port);
    sb->url = buf_detach(&url, NULL);
    pthread_create(&sb->webhook_thread, NULL, webhook_run, &sb->world);
    pthread_create(&sb->timer_thread, NULL, run_timer, &sb->world);
    sb->threads_started = true;
    *out = sb;
    return 0;
}

void sandbox_stop(struct sandbox *sb)
{
    if (!sb)
        return;
    pthread_mutex_lock(&sb->world.lock);
    sb->world.stopping = true;
    pthread_cond_broadcast(&sb->world.changed);
    pthread_mutex_unlock(&sb->world.lock);
    MHD_stop_daemon(sb->daemon);
    if (sb->threads_started) {
        pthread_join(sb->webhook_thread, NULL);
        pthread_join(sb->timer_thread, NULL);
    }
    world_release(&sb->world);
    free(sb->url);
    free(sb);
}

int sandbox_port(const struct sandbox *sb)
{
    return sb->port;
}

const char *sandbox_url(const struct sandbox *sb)
{
    return sb->url;
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
    struct form query;
    form_init(&query, &arena);
    const char *question = strchr(path, '?');
    char *bare_path =
        arena_strndup(&arena, path, question ? (size_t)(question - path) : strlen(path));
    struct buf ignored = BUF_INIT;
    if (question)
        form_parse_body(&query, "application/x-www-form-urlencoded", question + 1,
                        strlen(question + 1), &ignored);
    buf_release(&ignored);
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
