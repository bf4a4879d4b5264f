/*
 * The HTTP server shared by the admin panel (web/) and the sandbox: libmicrohttpd with
 * one thread per connection, so a handler may block (a database query, a long poll).
 * See docs/http.md.
 *
 *   static const struct http_route routes[] = {
 *       {"GET", "/orders/{id}", order_page, 0, NULL},
 *       {"POST", "/bot*", bot_api, 0, NULL},     // "*" matches the rest: req->params["*"]
 *   };
 *   struct http_options opt = {.listen_host = "127.0.0.1", .listen_port = 8000,
 *                              .routes = routes, .route_count = 2, .ctx = app};
 *   http_server_start(&srv, &opt, &err);
 *
 * Rules:
 *  - Routes are data, tried in order. A pattern is a literal path where `{name}` matches
 *    one non-empty segment (without '/') and a trailing `*` matches the rest, possibly
 *    empty. A path that some route matches but not with this method gets 405 with Allow;
 *    a path no route matches gets 404. GET routes also answer HEAD.
 *  - Every request has its own arena (req->arena), freed when the response is sent:
 *    everything in the request and everything a handler allocates from it dies then.
 *  - Bodies are capped: max_body for JSON/raw bodies and urlencoded forms, max_upload for
 *    multipart ones on routes that take uploads (options.upload_limit says which; on the
 *    others a multipart body is held to max_body and a file part gets 413, never written).
 *    A bigger body gets 413: up to about twice the cap it is read and dropped first
 *    (browsers read the answer only after sending), beyond that the answer comes at once
 *    and the connection closes.
 *  - A form has at most HTTP_MAX_FIELDS fields and files, and what they take in memory
 *    (names, values, the list's slots) counts against max_body: past either, 413 with
 *    req->refusal saying which, before any handler runs.
 *  - urlencoded and multipart bodies are parsed (MHD_PostProcessor) into req->form; file
 *    parts stream into temporary files (req->uploads), removed after the response. A file
 *    part bigger than max_upload is marked too_big and its bytes are dropped. A form cut
 *    short or malformed is answered 400 before any handler runs. Any other body is kept
 *    as it is in req->body (JSON).
 *  - Every response carries the security headers (CSP without inline scripts or styles,
 *    X-Content-Type-Options, X-Frame-Options and frame-ancestors, Referrer-Policy).
 *  - Errors found by the server itself (404, 405, 413, 400 for a malformed form) go to
 *    options.on_error with res->status set, so the layer above answers in its own format
 *    (HTML pages, Telegram-style JSON); without it a short text answer is sent.
 */
#ifndef TGSHOP_HTTP_SERVER_H
#define TGSHOP_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/arena.h"
#include "core/buf.h"

struct http_server;
struct http_request;
struct http_response;

/* A handler fills res (status 200 and an empty text/html body when it sets nothing). */
typedef void http_handler(struct http_request *req, struct http_response *res);

struct http_route {
    const char *method;    /* "GET", "POST", ... */
    const char *pattern;   /* "/orders/{id}", "/static/{*}" style: see above */
    http_handler *handler; /* NULL is not allowed */
    unsigned flags;        /* free for the layer above (web: needs login, superuser) */
    const void *data;      /* free for the layer above */
};

struct http_options {
    const char *listen_host; /* NULL = "127.0.0.1" */
    int listen_port;         /* 0 = any free port (http_server_port tells which) */
    /* true: a peer on a loopback or private address is a proxy (nginx) and the client is
     * the last address of its X-Forwarded-For; false: the header is ignored and the client
     * is always the peer (anyone could send the header) */
    bool trust_proxy;
    const struct http_route *routes;
    size_t route_count;
    void *ctx;              /* handed to handlers as req->ctx */
    http_handler *on_error; /* answers 400/404/405/413 found by the server; NULL = text */
    size_t max_body;        /* 0 = 1 MiB */
    size_t max_upload;      /* largest multipart body and file; 0 = 10 MiB */
    /* The largest upload route takes (0 = none: its file parts get 413); NULL = max_upload
     * for every route. */
    size_t (*upload_limit)(const struct http_route *route);
    const char *upload_dir;    /* temporary files of uploads; NULL = $TMPDIR or /tmp */
    const char *csp;           /* Content-Security-Policy; NULL = the strict default below */
    unsigned connection_limit; /* 0 = 256 */
    unsigned per_ip_limit;     /* connections from one address; 0 = 64 */
    unsigned idle_timeout_s;   /* a silent connection is closed after; 0 = 30 */
    const char *name;          /* for log lines: "admin", "sandbox" */
};

/* The default CSP: only this origin's scripts, styles and images (plus data: images), no
 * inline code, no framing, forms post only here. */
extern const char http_default_csp[];

enum { HTTP_MAX_FIELDS = 1000 }; /* form fields and files of one request */

struct http_field {
    const char *name;
    const char *value; /* NUL-terminated; len excludes the NUL */
    size_t len;
};

/* A list of name/value pairs in the request's arena; a name may repeat (checkboxes). */
struct http_fields {
    struct http_field *items;
    size_t count, cap;
};

/* The last value of name, or NULL. */
const char *http_fields_get(const struct http_fields *f, const char *name);
/* Appends a copy of name and value (arena a). */
void http_fields_add(struct http_fields *f, struct arena *a, const char *name, const char *value,
                     size_t len);

struct http_upload {
    const char *field;        /* the form field's name */
    const char *filename;     /* as the browser sent it: never use it as a path */
    const char *content_type; /* as the browser sent it; may be NULL */
    const char *path;         /* the temporary file; removed after the response */
    uint64_t size;
    bool too_big; /* passed max_upload: the file holds nothing */
};

struct http_request {
    struct arena *arena;
    void *ctx;
    const struct http_route *route;
    const char *method;        /* "HEAD" requests run GET routes with this set to "HEAD" */
    const char *path;          /* decoded, without the query string */
    const char *client_ip;     /* "127.0.0.1", "::1"; see options.trust_proxy */
    bool https;                /* X-Forwarded-Proto: https (a proxy in front terminates TLS) */
    struct http_fields params; /* from the pattern: {name} segments and "*" */
    struct http_fields query;
    struct http_fields form; /* urlencoded or multipart fields (not files) */
    struct http_upload *uploads;
    size_t upload_count;
    const char *content_type; /* may be NULL */
    const char *body;         /* raw body of other content types ("" when none) */
    size_t body_len;
    const char *refusal;         /* with a 413 found by the server: why, for people, or NULL */
    struct MHD_Connection *conn; /* private */
};

/* Request helpers: values or NULL. */
const char *http_header(const struct http_request *req, const char *name);
const char *http_cookie(const struct http_request *req, const char *name);
const char *http_param(const struct http_request *req, const char *name);
const char *http_query(const struct http_request *req, const char *name);
const char *http_form(const struct http_request *req, const char *name);
const struct http_upload *http_upload(const struct http_request *req, const char *field);
/* Reads an upload's bytes into the request's arena (NUL-terminated, *out_len bytes) for code
 * that wants them in memory (a picture to decode, the sandbox's sendPhoto). Returns 0,
 * ERR_TOOBIG when it passed max_upload, or ERR_IO (logged) when its file cannot be read. */
int http_upload_read(const struct http_request *req, const struct http_upload *u, const char **out,
                     size_t *out_len);

/* Streams a body: fill out with up to max bytes and return how many; 0 ends the body,
 * a negative value aborts the connection (the client sees a cut response). */
typedef ssize_t http_stream_fn(void *ctx, char *out, size_t max);

struct http_response {
    int status;
    const char *content_type; /* NULL = "text/html; charset=utf-8" */
    struct buf body;
    struct http_fields headers; /* extra headers (Set-Cookie may repeat) */
    struct arena *arena;        /* the request's */
    /* set by http_response_stream / http_response_file instead of body */
    http_stream_fn *stream;
    void *stream_ctx;
    void (*stream_free)(void *ctx);
    int fd;
    uint64_t fd_size;
};

void http_response_header(struct http_response *res, const char *name, const char *value);
/* 303 See Other to location (a path on this site or a full URL). */
void http_response_redirect(struct http_response *res, const char *location);
/* Sets status, a text/plain content type and the body. */
void http_response_text(struct http_response *res, int status, const char *text);
/* Streams the body from fn; stream_free (may be NULL) runs when the response is done or
 * the client went away. */
void http_response_stream(struct http_response *res, const char *content_type, http_stream_fn *fn,
                          void *ctx, void (*stream_free)(void *ctx));

struct http_cookie {
    const char *path; /* NULL = "/" */
    int64_t max_age;  /* seconds; 0 = until the browser closes; < 0 = delete now */
    bool http_only;
    bool secure;
    const char *same_site; /* "Strict", "Lax" or NULL */
};
/* Adds a Set-Cookie header. name and value must be cookie-safe (the caller's tokens). */
void http_response_cookie(struct http_response *res, const char *name, const char *value,
                          const struct http_cookie *opt);

/* Starts listening. On failure returns a negative ERR_* with one line in err. */
int http_server_start(struct http_server **out, const struct http_options *opt, struct buf *err);
/* Stops accepting, waits for the requests in progress and frees everything. NULL is fine. */
void http_server_stop(struct http_server *srv);
int http_server_port(const struct http_server *srv);
/* "http://HOST:PORT" (owned by srv). */
const char *http_server_url(const struct http_server *srv);

/* The status line's text for a code ("Not Found"). */
const char *http_status_text(int status);

#endif
