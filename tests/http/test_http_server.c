/* The shared HTTP server over real sockets: routing, bodies, forms, uploads, caps,
 * headers, cookies, streaming and static files. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/embed.h"
#include "core/err.h"
#include "http/server.h"
#include "http/static.h"
#include "http_client.h"

static struct http_server *srv;
static struct test_client client;
static struct test_response resp;
static char media_dir[] = "/tmp/tgshop-http-test-XXXXXX";

static const struct embedded_file assets[] = {
    {"site.css", "body{color:red}", 15},
    {"secret.txt.bak", "nope", 4},
    {NULL, NULL, 0},
};

static void hello(struct http_request *req, struct http_response *res)
{
    const char *name = http_query(req, "name");
    buf_addf(&res->body, "hello %s", name ? name : "world");
}

static void item(struct http_request *req, struct http_response *res)
{
    buf_addf(&res->body, "item %s", http_param(req, "id"));
}

static void echo(struct http_request *req, struct http_response *res)
{
    res->content_type = "text/plain";
    for (size_t i = 0; i < req->form.count; i++)
        buf_addf(&res->body, "%s=%s;", req->form.items[i].name, req->form.items[i].value);
    if (req->body_len)
        buf_addf(&res->body, "body=%s", req->body);
    for (size_t i = 0; i < req->upload_count; i++) {
        const struct http_upload *u = &req->uploads[i];
        const char *data;
        size_t len;
        int rc = http_upload_read(req, u, &data, &len);
        assert_int_equal(rc, u->too_big ? ERR_TOOBIG : 0);
        assert_int_equal(len, u->too_big ? 0 : u->size);
        buf_addf(&res->body, "file %s %s %llu %s %.7s;", u->field, u->filename,
                 (unsigned long long)u->size, u->too_big ? "too-big" : "ok", rc ? "" : data);
    }
}

static void whoami(struct http_request *req, struct http_response *res)
{
    buf_adds(&res->body, req->client_ip);
}

static void tail(struct http_request *req, struct http_response *res)
{
    buf_addf(&res->body, "rest=%s", http_param(req, "*"));
}

static void cookies(struct http_request *req, struct http_response *res)
{
    const char *seen = http_cookie(req, "sid");
    buf_addf(&res->body, "sid=%s", seen ? seen : "-");
    http_response_cookie(
        res, "sid", "abc123",
        &(struct http_cookie){
            .http_only = true, .secure = req->https, .same_site = "Strict", .max_age = 3600});
}

struct counter {
    size_t left;
};

static ssize_t count_down(void *ctx, char *out, size_t max)
{
    struct counter *c = ctx;
    size_t n = c->left < max ? c->left : max;
    memset(out, 'x', n);
    c->left -= n;
    return (ssize_t)n;
}

static void stream(struct http_request *req, struct http_response *res)
{
    (void)req;
    struct counter *c = calloc(1, sizeof *c);
    c->left = 3 << 20;
    http_response_stream(res, "text/csv", count_down, c, free);
}

static void forbidden(struct http_request *req, struct http_response *res)
{
    (void)req;
    res->status = 403;
}

static void asset(struct http_request *req, struct http_response *res)
{
    http_serve_embedded(req, res, assets, http_param(req, "*"), 3600);
}

static void fresh_asset(struct http_request *req, struct http_response *res)
{
    http_serve_embedded(req, res, assets, http_param(req, "*"), 0);
}

static void media(struct http_request *req, struct http_response *res)
{
    http_serve_file(req, res, media_dir, http_param(req, "*"), 60);
}

/* A long poll: waits until /release is called (or 10 s pass). */
static pthread_mutex_t poll_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t poll_cond = PTHREAD_COND_INITIALIZER;
static bool released;
static int waiting; /* long polls in progress */

static void long_poll(struct http_request *req, struct http_response *res)
{
    (void)req;
    int64_t deadline = clock_mono_ms() + 10000;
    pthread_mutex_lock(&poll_lock);
    waiting++;
    while (!released && clock_mono_ms() < deadline) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 20 * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&poll_cond, &poll_lock, &ts);
    }
    buf_adds(&res->body, released ? "released" : "timed out");
    waiting--;
    pthread_mutex_unlock(&poll_lock);
}

static void release(struct http_request *req, struct http_response *res)
{
    (void)req;
    pthread_mutex_lock(&poll_lock);
    released = true;
    pthread_cond_broadcast(&poll_cond);
    pthread_mutex_unlock(&poll_lock);
    buf_adds(&res->body, "ok");
}

static void error_page(struct http_request *req, struct http_response *res)
{
    (void)req;
    buf_addf(&res->body, "<h1>custom %d</h1>", res->status);
}

static const struct http_route routes[] = {
    {"GET", "/hello", hello, 0, NULL},        {"GET", "/items/{id}", item, 0, NULL},
    {"DELETE", "/items/{id}", item, 0, NULL}, {"POST", "/echo", echo, 0, NULL},
    {"POST", "/bot*", tail, 0, NULL},         {"GET", "/cookie", cookies, 0, NULL},
    {"GET", "/stream", stream, 0, NULL},      {"GET", "/forbidden", forbidden, 0, NULL},
    {"GET", "/static/*", asset, 0, NULL},     {"GET", "/media/*", media, 0, NULL},
    {"GET", "/poll", long_poll, 0, NULL},     {"POST", "/release", release, 0, NULL},
    {"GET", "/ip", whoami, 0, NULL},          {"GET", "/fresh/*", fresh_asset, 0, NULL},
};

/* Starts a server with opt and a client for it. */
static void start_server(struct http_server **out, struct test_client *c,
                         const struct http_options *opt)
{
    struct buf err = BUF_INIT;
    if (http_server_start(out, opt, &err))
        fail_msg("http_server_start: %s", err.data);
    buf_release(&err);
    test_client_init(c, http_server_url(*out));
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(media_dir));
    char path[256];
    snprintf(path, sizeof path, "%s/p1.png", media_dir);
    FILE *f = fopen(path, "w");
    fputs("\x89PNG fake", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/page.html", media_dir);
    f = fopen(path, "w");
    fputs("<script>alert(1)</script>", f);
    fclose(f);
    struct http_options opt = {
        .routes = routes,
        .route_count = sizeof routes / sizeof *routes,
        .on_error = error_page,
        .max_body = 4096,
        .max_upload = 64 * 1024,
        .idle_timeout_s = 1,
        .name = "test",
    };
    start_server(&srv, &client, &opt);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    test_response_release(&resp);
    test_client_release(&client);
    http_server_stop(srv);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", media_dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static void routes_and_queries(void **state)
{
    (void)state;
    assert_int_equal(test_get(&client, &resp, "/hello?name=J%C3%BCrgen+K"), 200);
    assert_string_equal(resp.body.data, "hello Jürgen K");
    assert_int_equal(test_get(&client, &resp, "/items/42"), 200);
    assert_string_equal(resp.body.data, "item 42");
    assert_int_equal(test_post_form(&client, &resp, "/bot123:abc/sendMessage", "x=1"), 200);
    assert_string_equal(resp.body.data, "rest=123:abc/sendMessage");
    assert_int_equal(test_request(&client, &resp, "HEAD", "/hello", NULL, NULL, 0), 200);
    assert_int_equal(resp.body.len, 0);
}

static void unknown_paths_and_methods(void **state)
{
    (void)state;
    assert_int_equal(test_get(&client, &resp, "/nothing"), 404);
    assert_string_equal(resp.body.data, "<h1>custom 404</h1>");
    assert_int_equal(test_get(&client, &resp, "/items/"), 404);
    assert_int_equal(test_get(&client, &resp, "/items/1/more"), 404);
    assert_int_equal(test_post_form(&client, &resp, "/items/7", "a=b"), 405);
    assert_string_equal(test_header(&resp, "Allow"), "GET, DELETE");
    assert_string_equal(resp.body.data, "<h1>custom 405</h1>");
    assert_int_equal(test_get(&client, &resp, "/echo"), 405);
    /* a handler's error status with no body gets the error page too */
    assert_int_equal(test_get(&client, &resp, "/forbidden"), 403);
    assert_string_equal(resp.body.data, "<h1>custom 403</h1>");
}

/* Only a server told it sits behind a proxy believes X-Forwarded-For (from a proxy on this
 * machine or a private network); any other takes the peer's address, whatever it is told. */
static void client_address_behind_a_proxy(void **state)
{
    (void)state;
    assert_int_equal(test_get(&client, &resp, "/ip"), 200);
    assert_string_equal(resp.body.data, "127.0.0.1");
    client.extra_header = "X-Forwarded-For: 198.51.100.7, 203.0.113.9";
    test_get(&client, &resp, "/ip");
    assert_string_equal(resp.body.data, "127.0.0.1");
    client.extra_header = NULL;

    static const struct http_route ip_route[] = {{"GET", "/ip", whoami, 0, NULL}};
    struct http_options opt = {.routes = ip_route, .route_count = 1, .trust_proxy = true};
    struct http_server *proxied;
    struct test_client c;
    start_server(&proxied, &c, &opt);
    assert_int_equal(test_get(&c, &resp, "/ip"), 200);
    assert_string_equal(resp.body.data, "127.0.0.1");
    c.extra_header = "X-Forwarded-For: 198.51.100.7, 203.0.113.9";
    test_get(&c, &resp, "/ip");
    assert_string_equal(resp.body.data, "203.0.113.9");
    c.extra_header = "X-Forwarded-For: not-an-address";
    test_get(&c, &resp, "/ip");
    assert_string_equal(resp.body.data, "127.0.0.1");
    test_client_release(&c);
    http_server_stop(proxied);
}

static void security_headers_everywhere(void **state)
{
    (void)state;
    const char *paths[] = {"/hello", "/nothing", "/static/site.css", "/stream"};
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        test_get(&client, &resp, paths[i]);
        const char *csp = test_header(&resp, "Content-Security-Policy");
        assert_non_null(csp);
        assert_non_null(strstr(csp, "frame-ancestors 'none'"));
        assert_null(strstr(csp, "unsafe-inline"));
        assert_string_equal(test_header(&resp, "X-Content-Type-Options"), "nosniff");
        assert_string_equal(test_header(&resp, "X-Frame-Options"), "DENY");
        assert_non_null(test_header(&resp, "Referrer-Policy"));
    }
}

static void forms_and_json(void **state)
{
    (void)state;
    assert_int_equal(test_post_form(&client, &resp, "/echo", "a=1&mid=&b=x+y%26z&a=2&empty="), 200);
    assert_string_equal(resp.body.data, "a=1;mid=;b=x y&z;a=2;empty=;");
    const char json[] = "{\"chat_id\":1}";
    assert_int_equal(
        test_request(&client, &resp, "POST", "/echo", "application/json", json, strlen(json)), 200);
    assert_string_equal(resp.body.data, "body={\"chat_id\":1}");
}

static void build_multipart(struct buf *b, const char *file_body, size_t file_len)
{
    buf_adds(b, "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nTea\r\n"
                "--XyZ\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.png\"\r\n"
                "Content-Type: image/png\r\n\r\n");
    buf_add(b, file_body, file_len);
    buf_adds(b, "\r\n--XyZ\r\nContent-Disposition: form-data; name=\"empty\"; filename=\"\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n\r\n--XyZ--\r\n");
}

static void multipart_uploads(void **state)
{
    (void)state;
    struct buf body = BUF_INIT;
    char file[20000];
    memset(file, 'p', sizeof file);
    memcpy(file, "PNGDATA", 7);
    build_multipart(&body, file, sizeof file);
    assert_int_equal(test_request(&client, &resp, "POST", "/echo",
                                  "multipart/form-data; boundary=XyZ", body.data, body.len),
                     200);
    assert_string_equal(resp.body.data, "title=Tea;file photo a.png 20000 ok PNGDATA;");

    /* a body cut short or malformed never reaches the handler */
    buf_truncate(&body, body.len - 10);
    assert_int_equal(test_request(&client, &resp, "POST", "/echo",
                                  "multipart/form-data; boundary=XyZ", body.data, body.len),
                     400);
    assert_string_equal(resp.body.data, "<h1>custom 400</h1>");
    assert_int_equal(test_request(&client, &resp, "POST", "/echo",
                                  "multipart/form-data; boundary=XX", "--XX\r\nbroken", 13),
                     400);
    buf_release(&body);
}

static void body_caps(void **state)
{
    (void)state;
    struct buf big = BUF_INIT;
    buf_adds(&big, "a=");
    for (int i = 0; i < 5000; i++)
        buf_addc(&big, 'z');
    /* refused from the Content-Length, before the body: curl waits for that answer */
    client.extra_header = "Expect: 100-continue";
    assert_int_equal(test_post_form(&client, &resp, "/echo", big.data), 413);
    client.extra_header = NULL;
    /* as a browser sends it: the body goes out whole, then the answer is read */
    assert_int_equal(test_post_form(&client, &resp, "/echo", big.data), 413);
    assert_string_equal(resp.body.data, "<h1>custom 413</h1>");
    client.extra_header = "Expect: 100-continue";
    assert_string_equal(resp.body.data, "<h1>custom 413</h1>");
    buf_release(&big);
    /* a multipart body may be bigger, up to max_upload */
    char file[70000];
    memset(file, 'q', sizeof file);
    struct buf body = BUF_INIT;
    build_multipart(&body, file, 30000);
    assert_int_equal(test_request(&client, &resp, "POST", "/echo",
                                  "multipart/form-data; boundary=XyZ", body.data, body.len),
                     200);
    buf_reset(&body);
    build_multipart(&body, file, sizeof file);
    assert_int_equal(test_request(&client, &resp, "POST", "/echo",
                                  "multipart/form-data; boundary=XyZ", body.data, body.len),
                     413);
    client.extra_header = NULL;
    buf_release(&body);
    /* the server still serves after refusing */
    assert_int_equal(test_get(&client, &resp, "/hello"), 200);
}

static size_t only_upload_route(const struct http_route *route)
{
    return !strcmp(route->pattern, "/upload") ? 64 * 1024 : 0;
}

/* A form of many tiny fields costs more memory than its bytes: the count of fields is capped
 * and their bookkeeping counts against max_body; only routes that say so take files. */
static void forms_are_bounded(void **state)
{
    (void)state;
    static const struct http_route bounded[] = {
        {"POST", "/echo", echo, 0, NULL},
        {"POST", "/upload", echo, 0, NULL},
    };
    char dir[] = "/tmp/tgshop-uploads-XXXXXX";
    assert_non_null(mkdtemp(dir));
    struct http_options opt = {
        .routes = bounded,
        .route_count = 2,
        .max_body = 64 * 1024,
        .max_upload = 64 * 1024,
        .upload_limit = only_upload_route,
        .upload_dir = dir,
        .name = "bounded",
    };
    struct http_server *own;
    struct test_client c;
    start_server(&own, &c, &opt);

    struct buf form = BUF_INIT;
    for (int i = 0; i < HTTP_MAX_FIELDS; i++)
        buf_adds(&form, i ? "&a=" : "a=");
    assert_int_equal(test_post_form(&c, &resp, "/echo", form.data), 200);
    buf_adds(&form, "&a=");
    assert_int_equal(test_post_form(&c, &resp, "/echo", form.data), 413);
    assert_non_null(strstr(resp.body.data, "too many fields"));
    /* 500 fields of 120 bytes fit the 64 KiB body, not with what each field costs besides */
    buf_reset(&form);
    char value[121];
    memset(value, 'v', sizeof value - 1);
    value[sizeof value - 1] = '\0';
    for (int i = 0; i < 500; i++)
        buf_addf(&form, "%sf=%s", i ? "&" : "", value);
    assert_true(form.len < opt.max_body);
    assert_int_equal(test_post_form(&c, &resp, "/echo", form.data), 413);
    assert_non_null(strstr(resp.body.data, "The form is too large."));
    buf_release(&form);

    /* a file part where none is taken is refused and never written */
    struct buf body = BUF_INIT;
    build_multipart(&body, "PNGDATA", 7);
    assert_int_equal(test_request(&c, &resp, "POST", "/echo", "multipart/form-data; boundary=XyZ",
                                  body.data, body.len),
                     413);
    assert_non_null(strstr(resp.body.data, "does not take file uploads"));
    assert_int_equal(test_request(&c, &resp, "POST", "/upload", "multipart/form-data; boundary=XyZ",
                                  body.data, body.len),
                     200);
    assert_string_equal(resp.body.data, "title=Tea;file photo a.png 7 ok PNGDATA;");
    /* a multipart form without files is fine anywhere */
    const char plain[] = "--XyZ\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nTea\r\n"
                         "--XyZ--\r\n";
    assert_int_equal(test_request(&c, &resp, "POST", "/echo", "multipart/form-data; boundary=XyZ",
                                  plain, strlen(plain)),
                     200);
    assert_string_equal(resp.body.data, "title=Tea;");
    buf_release(&body);
    test_client_release(&c);
    http_server_stop(own);
    assert_int_equal(rmdir(dir), 0); /* empty: every upload file was removed */
}

static void cookies_round_trip(void **state)
{
    (void)state;
    test_client_clear_cookies(&client);
    assert_int_equal(test_get(&client, &resp, "/cookie"), 200);
    assert_string_equal(resp.body.data, "sid=-");
    assert_string_equal(test_header(&resp, "Set-Cookie"),
                        "sid=abc123; Path=/; Max-Age=3600; HttpOnly; SameSite=Strict");
    assert_int_equal(test_get(&client, &resp, "/cookie"), 200);
    assert_string_equal(resp.body.data, "sid=abc123");
    client.extra_header = "X-Forwarded-Proto: https";
    test_get(&client, &resp, "/cookie");
    client.extra_header = NULL;
    assert_non_null(strstr(test_header(&resp, "Set-Cookie"), "; Secure"));
}

static void streamed_body(void **state)
{
    (void)state;
    assert_int_equal(test_get(&client, &resp, "/stream"), 200);
    assert_int_equal(resp.body.len, 3 << 20);
    assert_string_equal(test_header(&resp, "Content-Type"), "text/csv");
}

static void static_assets(void **state)
{
    (void)state;
    assert_int_equal(test_get(&client, &resp, "/static/site.css"), 200);
    assert_string_equal(resp.body.data, "body{color:red}");
    assert_string_equal(test_header(&resp, "Content-Type"), "text/css; charset=utf-8");
    assert_string_equal(test_header(&resp, "Cache-Control"), "public, max-age=3600");
    char etag[64];
    snprintf(etag, sizeof etag, "If-None-Match: %s", test_header(&resp, "ETag"));
    client.extra_header = etag;
    assert_int_equal(test_get(&client, &resp, "/static/site.css"), 304);
    assert_int_equal(resp.body.len, 0);
    /* max-age 0: never used unchecked, revalidated with the same ETag */
    assert_int_equal(test_get(&client, &resp, "/fresh/site.css"), 304);
    assert_string_equal(test_header(&resp, "Cache-Control"), "no-cache");
    client.extra_header = NULL;
    assert_int_equal(test_get(&client, &resp, "/fresh/site.css"), 200);
    assert_string_equal(test_header(&resp, "Cache-Control"), "no-cache");
    assert_int_equal(test_get(&client, &resp, "/static/missing.css"), 404);
    assert_int_equal(test_get(&client, &resp, "/static/secret.txt.bak"), 404); /* unknown type */

    assert_int_equal(test_get(&client, &resp, "/media/p1.png"), 200);
    assert_string_equal(test_header(&resp, "Content-Type"), "image/png");
    assert_non_null(test_header(&resp, "ETag"));
    /* uploads are never served as HTML */
    assert_int_equal(test_get(&client, &resp, "/media/page.html"), 404);
}

static void path_traversal_refused(void **state)
{
    (void)state;
    const char *paths[] = {
        "/media/../media/p1.png", "/media/%2e%2e/etc/passwd", "/media/..%2fetc%2fpasswd",
        "/media//etc/passwd",     "/media/.hidden.png",       "/static/..%2fserver.h",
        "/media/p1.png/",         "/media/%2fetc%2fhostname", "/media/p1.png%00.png",
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        long status = test_get(&client, &resp, paths[i]);
        if (status != 404 && status != 400)
            fail_msg("%s answered %ld", paths[i], status);
    }
    assert_true(http_safe_relpath("a/b.png"));
    assert_false(http_safe_relpath("a/../b.png"));
    assert_false(http_safe_relpath("/etc/passwd"));
    assert_false(http_safe_relpath("a//b.png"));
    assert_false(http_safe_relpath(""));
}

static void *poll_thread(void *out)
{
    struct test_client c;
    test_client_init(&c, http_server_url(srv));
    struct test_response r = {0};
    test_get(&c, &r, "/poll");
    buf_adds(out, r.body.data);
    test_response_release(&r);
    test_client_release(&c);
    return NULL;
}

/* A handler may block (long polling) while other requests are served. */
static void blocking_handlers_do_not_block_others(void **state)
{
    (void)state;
    struct buf answer = BUF_INIT;
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, poll_thread, &answer), 0);
    int64_t deadline = clock_mono_ms() + 10000;
    int in_progress = 0;
    while (!in_progress && clock_mono_ms() < deadline) {
        pthread_mutex_lock(&poll_lock);
        in_progress = waiting;
        pthread_mutex_unlock(&poll_lock);
        if (!in_progress)
            clock_sleep_ms(5);
    }
    assert_int_equal(in_progress, 1);
    assert_int_equal(test_get(&client, &resp, "/hello"), 200);
    assert_int_equal(test_post_form(&client, &resp, "/release", "x=1"), 200);
    pthread_join(t, NULL);
    assert_string_equal(answer.data, "released");
    buf_release(&answer);
}

/* A client that sends half a request and stalls is disconnected after the idle timeout. */
static void stalled_connections_are_closed(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)http_server_port(srv))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    const char partial[] = "GET /hello HTTP/1.1\r\nHost: x\r\n";
    assert_int_equal(write(fd, partial, sizeof partial - 1), (ssize_t)(sizeof partial - 1));
    int64_t started = clock_mono_ms();
    char byte;
    ssize_t n = 1;
    while (n > 0 && clock_mono_ms() - started < 10000) {
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 100) > 0)
            n = read(fd, &byte, 1);
    }
    close(fd);
    assert_true(n <= 0); /* the server hung up (or reset) */
    assert_true(clock_mono_ms() - started < 10000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(routes_and_queries),
        cmocka_unit_test(unknown_paths_and_methods),
        cmocka_unit_test(client_address_behind_a_proxy),
        cmocka_unit_test(security_headers_everywhere),
        cmocka_unit_test(forms_and_json),
        cmocka_unit_test(multipart_uploads),
        cmocka_unit_test(body_caps),
        cmocka_unit_test(forms_are_bounded),
        cmocka_unit_test(cookies_round_trip),
        cmocka_unit_test(streamed_body),
        cmocka_unit_test(static_assets),
        cmocka_unit_test(path_traversal_refused),
        cmocka_unit_test(blocking_handlers_do_not_block_others),
        cmocka_unit_test(stalled_connections_are_closed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
