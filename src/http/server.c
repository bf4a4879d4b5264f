#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "http/urlencoded.h"
#include "core/banned.h"

enum {
    DEFAULT_MAX_BODY = 1 << 20,
    DEFAULT_MAX_UPLOAD = 10 << 20,
    POST_BUFFER = 16 * 1024,
    DISCARD_EXTRA = 1 << 20,
    DISCARD_MAX = 64 << 20,
    STREAM_BLOCK = 64 * 1024,
    /* what one form field or file costs beyond its name and value: its slot in the list
     * (twice, as the list doubles) and the NULs */
    ENTRY_COST = 2 * sizeof(struct http_field) + 2,
};

const char http_default_csp[] = "default-src 'self'; script-src 'self'; style-src 'self'; "
                                "img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                                "form-action 'self'; frame-ancestors 'none'";

struct http_server {
    struct http_options opt;
    struct MHD_Daemon *daemon;
    int port;
    char *url;
    char *upload_dir;
    char *csp;
};

/* One request in progress: created at the first callback, freed when it completes. */
struct request_state {
    uint64_t id; /* in log lines and the X-Request-Id header */
    struct arena arena;
    struct http_request req;
    struct MHD_PostProcessor *post;
    struct buf body;
    size_t received;
    size_t discard_limit; /* bytes read and dropped after a refusal, so the browser sees it */
    size_t cap;
    int error;               /* a status the server answers with instead of the handler */
    bool answer_now;         /* refused before the body: answer without reading it */
    const char *allow;       /* the methods of the path, for a 405 */
    struct http_field *open; /* the form field being received */
    struct buf field_value;
    struct http_upload *upload; /* the file being received */
    int upload_fd;
    size_t upload_cap; /* largest file; 0 = this route takes none */
    size_t upload_slots;
    const char *upload_dir;
    size_t entries;   /* form fields and files so far */
    size_t form_cost; /* their bytes in memory, held to max_body */
    size_t max_form;
};

/* ---- fields ---- */

void http_fields_add(struct http_fields *f, struct arena *a, const char *name, const char *value,
                     size_t len)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 8;
        struct http_field *items = arena_calloc(a, cap, sizeof *items);
        if (f->count)
            memcpy(items, f->items, f->count * sizeof *items);
        f->items = items;
        f->cap = cap;
    }
    struct http_field *field = &f->items[f->count++];
    field->name = arena_strdup(a, name);
    field->value = arena_memdup(a, value, len);
    ((char *)field->value)[len] = '\0';
    field->len = len;
}

const char *http_fields_get(const struct http_fields *f, const char *name)
{
    for (size_t i = f->count; i-- > 0;)
        if (!strcmp(f->items[i].name, name))
            return f->items[i].value;
    return NULL;
}

const char *http_header(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(const struct http_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, name);
}

const char *http_param(const struct http_request *req, const char *name)
{
    return http_fields_get(&req->params, name);
}

const char *http_query(const struct http_request *req, const char *name)
{
    return http_fields_get(&req->query, name);
}

const char *http_form(const struct http_request *req, const char *name)
{
    return http_fields_get(&req->form, name);
}

const struct http_upload *http_upload(const struct http_request *req, const char *field)
{
    for (size_t i = req->upload_count; i-- > 0;)
        if (!strcmp(req->uploads[i].field, field))
            return &req->uploads[i];
    return NULL;
}

int http_upload_read(const struct http_request *req, const struct http_upload *u, const char **out,
                     size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (u->too_big)
        return ERR_TOOBIG;
    char *data = arena_alloc(req->arena, (size_t)u->size + 1);
    const char *why = NULL;
    int fd = open(u->path, O_RDONLY | O_CLOEXEC);
    size_t done = 0;
    if (fd < 0)
        why = strerror(errno);
    while (!why && done < u->size) {
        ssize_t n = read(fd, data + done, (size_t)u->size - done);
        if (n < 0 && errno != EINTR)
            why = strerror(errno);
        else if (n == 0)
            why = "shorter than received";
        else if (n > 0)
            done += (size_t)n;
    }
    if (fd >= 0)
        close(fd);
    if (why) {
        log_error("cannot read the upload file %s: %s", u->path, why);
        return ERR_IO;
    }
    data[done] = '\0';
    *out = data;
    *out_len = done;
    return 0;
}

/* ---- responses ---- */

void http_response_header(struct http_response *res, const char *name, const char *value)
{
    http_fields_add(&res->headers, res->arena, name, value, strlen(value));
}

void http_response_redirect(struct http_response *res, const char *location)
{
    res->status = 303;
    http_response_header(res, "Location", location);
}

void http_response_text(struct http_response *res, int status, const char *text)
{
    res->status = status;
    res->content_type = "text/plain; charset=utf-8";
    buf_reset(&res->body);
    buf_adds(&res->body, text);
}

void http_response_stream(struct http_response *res, const char *content_type, http_stream_fn *fn,
                          void *ctx, void (*stream_free)(void *ctx))
{
    res->content_type = content_type;
    res->stream = fn;
    res->stream_ctx = ctx;
    res->stream_free = stream_free;
}

void http_response_cookie(struct http_response *res, const char *name, const char *value,
                          const struct http_cookie *opt)
{
    struct buf c = BUF_INIT;
    buf_addf(&c, "%s=%s; Path=%s", name, value, opt->path ? opt->path : "/");
    if (opt->max_age < 0)
        buf_adds(&c, "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT");
    else if (opt->max_age > 0)
        buf_addf(&c, "; Max-Age=%lld", (long long)opt->max_age);
    if (opt->http_only)
        buf_adds(&c, "; HttpOnly");
    if (opt->secure)
        buf_adds(&c, "; Secure");
    if (opt->same_site)
        buf_addf(&c, "; SameSite=%s", opt->same_site);
    http_response_header(res, "Set-Cookie", c.data);
    buf_release(&c);
}

const char *http_status_text(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 204:
        return "No Content";
    case 302:
        return "Found";
    case 303:
        return "See Other";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Request Entity Too Large";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return status >= 500 ? "Server Error" : status >= 400 ? "Client Error" : "OK";
    }
}

/* ---- routing ---- */

/* Matches path against pattern, collecting {name} and "*" captures into params. */
static bool pattern_match(const char *pattern, const char *path, struct http_fields *params,
                          struct arena *a)
{
    const char *p = pattern, *s = path;
    while (*p) {
        if (p[0] == '*' && !p[1]) {
            if (params)
                http_fields_add(params, a, "*", s, strlen(s));
            return true;
        }
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close)
                return false;
            size_t seg = strcspn(s, "/");
            if (!seg)
                return false;
            if (params) {
                char *name = arena_strndup(a, p + 1, (size_t)(close - p - 1));
                http_fields_add(params, a, name, s, seg);
            }
            p = close + 1;
            s += seg;
            continue;
        }
        if (*p != *s)
            return false;
        p++;
        s++;
    }
    return *s == '\0';
}

/* The route for method and path; *out_status 404 or 405 (with allow filled) when none. */
static const struct http_route *find_route(const struct http_server *srv, const char *method,
                                           const char *path, int *out_status, struct buf *allow)
{
    bool head = !strcmp(method, "HEAD");
    *out_status = 404;
    for (size_t i = 0; i < srv->opt.route_count; i++) {
        const struct http_route *r = &srv->opt.routes[i];
        if (!pattern_match(r->pattern, path, NULL, NULL))
            continue;
        if (!strcmp(r->method, method) || (head && !strcmp(r->method, "GET")))
            return r;
        *out_status = 405;
        if (!strstr(allow->data, r->method)) {
            if (allow->len)
                buf_adds(allow, ", ");
            buf_adds(allow, r->method);
        }
    }
    return NULL;
}

/* ---- request bodies ---- */

static enum MHD_Result collect_value(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *value)
{
    (void)kind;
    struct request_state *st = cls;
    http_fields_add(&st->req.query, &st->arena, key, value ? value : "", value ? strlen(value) : 0);
    return MHD_YES;
}

static void close_upload(struct request_state *st)
{
    if (st->upload_fd >= 0)
        close(st->upload_fd);
    st->upload_fd = -1;
    st->upload = NULL;
}

static void close_field(struct request_state *st)
{
    if (st->open) {
        st->open->value = arena_memdup(&st->arena, st->field_value.data, st->field_value.len);
        ((char *)st->open->value)[st->field_value.len] = '\0';
        st->open->len = st->field_value.len;
    }
    st->open = NULL;
    buf_reset(&st->field_value);
}

static struct http_upload *add_upload(struct request_state *st, const char *key,
                                      const char *filename, const char *content_type)
{
    struct http_request *req = &st->req;
    if (req->upload_count == st->upload_slots) {
        st->upload_slots = st->upload_slots ? 2 * st->upload_slots : 4;
        struct http_upload *uploads = arena_calloc(&st->arena, st->upload_slots, sizeof *uploads);
        if (req->upload_count)
            memcpy(uploads, req->uploads, req->upload_count * sizeof *uploads);
        req->uploads = uploads;
    }
    struct http_upload *u = &req->uploads[req->upload_count];
    u->field = arena_strdup(&st->arena, key);
    u->filename = arena_strdup(&st->arena, filename);
    u->content_type = content_type ? arena_strdup(&st->arena, content_type) : NULL;
    char *path = arena_sprintf(&st->arena, "%s/tgshop-upload-XXXXXX", st->upload_dir);
    int fd = mkstemp(path);
    if (fd < 0) {
        log_error("cannot create an upload file in %s: %s", st->upload_dir, strerror(errno));
        return NULL;
    }
    u->path = path;
    req->upload_count++;
    st->upload_fd = fd;
    return u;
}

/* Refuses the request with 413 and a reason for people. */
static void refuse(struct request_state *st, const char *why)
{
    st->error = 413;
    st->req.refusal = why;
}

/* Counts bytes of form data held in memory; false (refused) past max_body. */
static bool charge(struct request_state *st, size_t bytes)
{
    st->form_cost += bytes;
    if (st->form_cost <= st->max_form)
        return true;
    refuse(st, "The form is too large.");
    return false;
}

/* Counts a new field or file named key; false (refused) past HTTP_MAX_FIELDS. */
static bool count_entry(struct request_state *st, const char *key)
{
    if (++st->entries > HTTP_MAX_FIELDS) {
        refuse(st, "The form has too many fields.");
        return false;
    }
    return charge(st, ENTRY_COST + strlen(key));
}

static enum MHD_Result post_iterator(void *cls, enum MHD_ValueKind kind, const char *key,
                                     const char *filename, const char *content_type,
                                     const char *transfer_encoding, const char *data, uint64_t off,
                                     size_t size)
{
    (void)kind, (void)transfer_encoding;
    struct request_state *st = cls;
    if (filename) {
        if (off == 0) {
            close_field(st);
            close_upload(st);
            if (!*filename)
                return MHD_YES; /* a file input left empty */
            if (!st->upload_cap) {
                refuse(st, "This page does not take file uploads.");
                return MHD_NO;
            }
            if (!count_entry(st, key) || !charge(st, strlen(filename)))
                return MHD_NO;
            st->upload = add_upload(st, key, filename, content_type);
            if (!st->upload) {
                st->error = 500;
                return MHD_NO;
            }
        }
        struct http_upload *u = st->upload;
        if (!u || u->too_big)
            return MHD_YES;
        if (u->size + size > st->upload_cap) {
            u->too_big = true;
            if (ftruncate(st->upload_fd, 0))
                log_warn("cannot empty an oversized upload: %s", strerror(errno));
            return MHD_YES;
        }
        for (size_t done = 0; done < size;) {
            ssize_t n = write(st->upload_fd, data + done, size - done);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                log_error("cannot write an upload file: %s", strerror(errno));
                st->error = 500;
                return MHD_NO;
            }
            done += (size_t)n;
        }
        u->size += size;
        return MHD_YES;
    }
    if (off == 0 || !st->open || strcmp(st->open->name, key)) {
        close_upload(st);
        close_field(st);
        if (!count_entry(st, key))
            return MHD_NO;
        http_fields_add(&st->req.form, &st->arena, key, "", 0);
        st->open = &st->req.form.items[st->req.form.count - 1];
    }
    if (!charge(st, size))
        return MHD_NO;
    if (buf_add(&st->field_value, data, size)) {
        refuse(st, "The form is too large.");
        return MHD_NO;
    }
    return MHD_YES;
}

/* ---- the MHD callbacks ---- */

/* True for loopback and private addresses: where a proxy in front of us would be. */
static bool is_private_peer(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) {
        uint32_t ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
        return (ip >> 24) == 127 || (ip >> 24) == 10 || (ip >> 20) == 0xac1 /* 172.16/12 */ ||
               (ip >> 16) == 0xc0a8 /* 192.168/16 */;
    }
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            struct sockaddr_in v4 = {.sin_family = AF_INET};
            memcpy(&v4.sin_addr, a6->s6_addr + 12, 4);
            return is_private_peer((const struct sockaddr *)&v4);
        }
        return IN6_IS_ADDR_LOOPBACK(a6) || (a6->s6_addr[0] & 0xfe) == 0xfc; /* fc00::/7 */
    }
    return false;
}

/* The last address of an X-Forwarded-For list (the one the nearest proxy saw), if it is an
 * address. */
static const char *forwarded_for(const char *header, struct arena *a)
{
    const char *last = strrchr(header, ',');
    last = last ? last + 1 : header;
    while (*last == ' ' || *last == '\t')
        last++;
    size_t len = strcspn(last, " \t");
    char ip[INET6_ADDRSTRLEN];
    if (!len || len >= sizeof ip)
        return NULL;
    memcpy(ip, last, len);
    ip[len] = '\0';
    unsigned char bin[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, ip, bin) != 1 && inet_pton(AF_INET6, ip, bin) != 1)
        return NULL;
    return arena_strdup(a, ip);
}

/* The client's address: the peer's, or with trust_proxy, behind a proxy on a loopback or
 * private address, the one the proxy reports in X-Forwarded-For. */
static const char *client_ip(struct MHD_Connection *conn, bool trust_proxy, struct arena *a)
{
    const union MHD_ConnectionInfo *info =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    char host[NI_MAXHOST] = "";
    if (!info || !info->client_addr)
        return "";
    const struct sockaddr *sa = info->client_addr;
    const char *xff = trust_proxy && is_private_peer(sa)
                          ? MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-For")
                          : NULL;
    const char *forwarded = xff ? forwarded_for(xff, a) : NULL;
    if (forwarded)
        return forwarded;
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(sa, len, host, sizeof host, NULL, 0, NI_NUMERICHOST))
        return "";
    return arena_strdup(a, host);
}

static struct request_state *request_begin(struct http_server *srv, struct MHD_Connection *conn,
                                           const char *path, const char *method)
{
    static _Atomic uint64_t last_id;
    struct request_state *st = xcalloc(1, sizeof *st);
    st->id = atomic_fetch_add(&last_id, 1) + 1;
    arena_init(&st->arena, 0);
    st->upload_fd = -1;
    struct http_request *req = &st->req;
    req->arena = &st->arena;
    req->ctx = srv->opt.ctx;
    req->conn = conn;
    req->method = arena_strdup(&st->arena, method);
    req->path = arena_strdup(&st->arena, path);
    req->client_ip = client_ip(conn, srv->opt.trust_proxy, &st->arena);
    req->body = "";
    const char *proto = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Forwarded-Proto");
    req->https = proto && !strcasecmp(proto, "https");
    req->content_type =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
    MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_value, st);

    struct buf allow = BUF_INIT;
    int status;
    req->route = find_route(srv, method, path, &status, &allow);
    if (!req->route) {
        st->error = status;
        st->allow = allow.len ? arena_strdup(&st->arena, allow.data) : NULL;
        buf_release(&allow);
        return st;
    }
    buf_release(&allow);
    pattern_match(req->route->pattern, path, &req->params, &st->arena);

    const char *type = req->content_type ? req->content_type : "";
    bool multipart = !strncasecmp(type, "multipart/form-data", 19);
    bool urlencoded = !strncasecmp(type, "application/x-www-form-urlencoded", 33);
    st->upload_cap =
        srv->opt.upload_limit ? srv->opt.upload_limit(req->route) : srv->opt.max_upload;
    st->cap = multipart && st->upload_cap ? st->upload_cap : srv->opt.max_body;
    st->max_form = srv->opt.max_body;
    st->upload_dir = srv->upload_dir;
    const char *length = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
    int64_t declared = 0;
    st->discard_limit = 2 * st->cap + DISCARD_EXTRA;
    if (st->discard_limit > DISCARD_MAX)
        st->discard_limit = DISCARD_MAX;
    if (length && !parse_int64(length, &declared) && declared > (int64_t)st->cap) {
        /* a browser does not read an answer before it has sent its body: for a body not
         * much bigger than the cap, read and drop it first; a far bigger one is cut off */
        st->error = 413;
        st->answer_now = declared > (int64_t)st->discard_limit;
        return st;
    }
    buf_init(&st->body, st->cap);
    buf_init(&st->field_value, srv->opt.max_body);
    if (multipart || urlencoded) {
        st->post = MHD_create_post_processor(conn, POST_BUFFER, post_iterator, st);
        if (!st->post)
            st->error = 400;
    }
    return st;
}

static void add_security_headers(const struct http_server *srv, struct MHD_Response *response)
{
    MHD_add_response_header(response, "Content-Security-Policy", srv->csp);
    MHD_add_response_header(response, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(response, "X-Frame-Options", "DENY");
    MHD_add_response_header(response, "Referrer-Policy", "same-origin");
    MHD_add_response_header(response, "Cross-Origin-Opener-Policy", "same-origin");
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct http_response *res = cls;
    ssize_t n = res->stream(res->stream_ctx, buf, max);
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return n < 0 ? MHD_CONTENT_READER_END_WITH_ERROR : n;
}

static void stream_done(void *cls)
{
    struct http_response *res = cls;
    if (res->stream_free)
        res->stream_free(res->stream_ctx);
    buf_release(&res->body);
    free(res);
}

static enum MHD_Result send_response(struct http_server *srv, struct MHD_Connection *conn,
                                     struct http_response *res)
{
    struct MHD_Response *response;
    if (res->stream) {
        /* the reader outlives this call: it owns res from here on */
        response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, STREAM_BLOCK, stream_reader,
                                                     res, stream_done);
        if (!response)
            stream_done(res);
    } else if (res->fd >= 0) {
        response = MHD_create_response_from_fd64(res->fd_size, res->fd);
        if (!response)
            close(res->fd);
    } else {
        size_t len;
        char *data = buf_detach(&res->body, &len);
        response = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
        if (!response)
            free(data);
    }
    if (!response)
        return MHD_NO;
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
                            res->content_type ? res->content_type : "text/html; charset=utf-8");
    add_security_headers(srv, response);
    for (size_t i = 0; i < res->headers.count; i++)
        MHD_add_response_header(response, res->headers.items[i].name, res->headers.items[i].value);
    enum MHD_Result rc = MHD_queue_response(conn, (unsigned)res->status, response);
    MHD_destroy_response(response);
    return rc;
}

/* Answers an error status with the layer above's page, or a short text. */
static void fill_error(struct http_server *srv, struct http_request *req, struct http_response *res,
                       int status)
{
    res->status = status;
    buf_reset(&res->body);
    if (srv->opt.on_error)
        srv->opt.on_error(req, res);
    res->status = status;
    if (!res->body.len && !res->stream) {
        struct buf text = BUF_INIT;
        buf_addf(&text, "%d %s\n", status, http_status_text(status));
        if (req->refusal)
            buf_addf(&text, "%s\n", req->refusal);
        http_response_text(res, status, text.data);
        buf_release(&text);
    }
}

static enum MHD_Result respond(struct http_server *srv, struct request_state *st)
{
    struct http_request *req = &st->req;
    /* heap, not arena: a streamed response outlives the request's arena bookkeeping */
    struct http_response *res = xcalloc(1, sizeof *res);
    res->status = 200;
    res->fd = -1;
    res->arena = &st->arena;
    buf_init(&res->body, 0);
    if (st->error) {
        if (st->allow)
            http_response_header(res, "Allow", st->allow);
        fill_error(srv, req, res, st->error);
    } else {
        req->body = st->body.data;
        req->body_len = st->body.len;
        log_set_ids(st->id, 0);
        req->route->handler(req, res);
        if (res->status >= 400 && !res->body.len && !res->stream && res->fd < 0)
            fill_error(srv, req, res, res->status);
    }
    bool streamed = res->stream != NULL;
    const char *name = srv->opt.name ? srv->opt.name : "http";
    char status[16], id[24];
    snprintf(status, sizeof status, "%d", res->status);
    snprintf(id, sizeof id, "%llu", (unsigned long long)st->id);
    http_response_header(res, "X-Request-Id", id);
    metric_inc(&metric_http_requests, name, status);
    log_debug("%s http: %s %s %s -> %d", name, req->client_ip, req->method, req->path, res->status);
    log_set_ids(0, 0);
    enum MHD_Result rc = send_response(srv, req->conn, res);
    if (!streamed) {
        buf_release(&res->body);
        free(res);
    }
    return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *path,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct http_server *srv = cls;
    struct request_state *st = *con_cls;
    if (!st) {
        st = *con_cls = request_begin(srv, conn, path, method);
        /* refused before the body: answer now, MHD closes the connection unread */
        bool refused = st->error && (st->answer_now || st->error != 413);
        return refused ? respond(srv, st) : MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        st->received += n;
        if (!st->error && st->received > st->cap)
            st->error = 413;
        if (st->error) /* drop the rest; past the limit, close the connection */
            return st->received > st->discard_limit ? MHD_NO : MHD_YES;
        if (st->post) {
            if (MHD_post_process(st->post, upload_data, n) != MHD_YES && !st->error)
                st->error = 400;
        } else {
            buf_add(&st->body, upload_data, n);
        }
        return MHD_YES;
    }
    if (st->post) {
        /* the end of the body: the post processor hands over what it still holds, and a
         * form cut short or malformed ("--XX\r\nbroken") is refused with 400 */
        if (MHD_destroy_post_processor(st->post) != MHD_YES && !st->error)
            st->error = 400;
        st->post = NULL;
        close_field(st);
        close_upload(st);
    }
    return respond(srv, st);
}

static void request_done(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode code)
{
    (void)cls, (void)conn, (void)code;
    struct request_state *st = *con_cls;
    if (!st)
        return;
    if (st->post)
        MHD_destroy_post_processor(st->post);
    close_upload(st);
    for (size_t i = 0; i < st->req.upload_count; i++)
        if (unlink(st->req.uploads[i].path) && errno != ENOENT)
            log_warn("cannot remove the upload file %s: %s", st->req.uploads[i].path,
                     strerror(errno));
    buf_release(&st->body);
    buf_release(&st->field_value);
    arena_release(&st->arena);
    free(st);
    *con_cls = NULL;
}

/* Decodes %XX in place (the path, query names and values), except %00: a NUL would cut
 * the string short of what a later check looks at, so it stays as the three characters. */
static size_t unescape(void *cls, struct MHD_Connection *conn, char *s)
{
    (void)cls, (void)conn;
    return http_url_decode(s, s, strlen(s), false);
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    const struct http_server *srv = cls;
    struct buf line = BUF_INIT;
    buf_vaddf(&line, fmt, ap);
    while (line.len && line.data[line.len - 1] == '\n')
        buf_truncate(&line, line.len - 1);
    log_debug("%s http: %s", srv->opt.name ? srv->opt.name : "", line.data);
    buf_release(&line);
}

static int resolve(const char *host, int port, struct sockaddr_storage *out, struct buf *err)
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

int http_server_start(struct http_server **out, const struct http_options *opt, struct buf *err)
{
    *out = NULL;
    const char *host = opt->listen_host ? opt->listen_host : "127.0.0.1";
    if (opt->listen_port < 0 || opt->listen_port > 65535) {
        buf_addf(err, "the listen port must be 0-65535, got %d", opt->listen_port);
        return ERR_INVALID;
    }
    for (size_t i = 0; i < opt->route_count; i++) {
        if (!opt->routes[i].handler || !opt->routes[i].method || !opt->routes[i].pattern ||
            opt->routes[i].pattern[0] != '/') {
            buf_addf(err, "route %zu is incomplete", i);
            return ERR_INVALID;
        }
    }
    struct sockaddr_storage addr;
    if (resolve(host, opt->listen_port, &addr, err))
        return ERR_INVALID;
    struct http_server *srv = xcalloc(1, sizeof *srv);
    srv->opt = *opt;
    if (!srv->opt.max_body)
        srv->opt.max_body = DEFAULT_MAX_BODY;
    if (!srv->opt.max_upload)
        srv->opt.max_upload = DEFAULT_MAX_UPLOAD;
    const char *tmp = getenv("TMPDIR");
    srv->upload_dir = xstrdup(opt->upload_dir ? opt->upload_dir : tmp && *tmp ? tmp : "/tmp");
    srv->csp = xstrdup(opt->csp ? opt->csp : http_default_csp);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_ERROR_LOG | (addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0);
    srv->daemon = MHD_start_daemon(
        flags, (uint16_t)opt->listen_port, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR, &addr,
        MHD_OPTION_CONNECTION_LIMIT, opt->connection_limit ? opt->connection_limit : 256u,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, opt->per_ip_limit ? opt->per_ip_limit : 64u,
        MHD_OPTION_CONNECTION_TIMEOUT, opt->idle_timeout_s ? opt->idle_timeout_s : 30u,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, srv, MHD_OPTION_EXTERNAL_LOGGER, log_mhd, srv,
        MHD_OPTION_UNESCAPE_CALLBACK, unescape, srv, MHD_OPTION_END);
    if (!srv->daemon) {
        buf_addf(err, "cannot listen on %s:%d (in use, or not an address of this machine)", host,
                 opt->listen_port);
        http_server_stop(srv);
        return ERR_IO;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info ? info->port : opt->listen_port;
    struct buf url = BUF_INIT;
    bool v6 = strchr(host, ':') != NULL;
    buf_addf(&url, "http://%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", srv->port);
    srv->url = buf_detach(&url, NULL);
    *out = srv;
    return 0;
}

void http_server_stop(struct http_server *srv)
{
    if (!srv)
        return;
    if (srv->daemon)
        MHD_stop_daemon(srv->daemon);
    free(srv->url);
    free(srv->upload_dir);
    free(srv->csp);
    free(srv);
}

int http_server_port(const struct http_server *srv)
{
    return srv->port;
}

const char *http_server_url(const struct http_server *srv)
{
    return srv->url;
}
