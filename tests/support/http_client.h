/*
 * A small libcurl client for HTTP-level tests of the admin panel and the HTTP server:
 * one connection with an in-memory cookie jar (like one browser), requests return the
 * status, the headers and the body.
 */
#ifndef TGSHOP_TESTS_HTTP_CLIENT_H
#define TGSHOP_TESTS_HTTP_CLIENT_H

#include <stddef.h>

#include "core/buf.h"

struct test_client {
    void *curl;
    char *base_url;
    const char *extra_header; /* one "Name: value" header added to every request, or NULL;
                                 "Expect: 100-continue" makes curl wait for the server's
                                 go-ahead before sending a body, as for a refused big one */
};

struct test_response {
    long status;
    struct buf headers; /* the raw header block of the last response */
    struct buf body;
};

void test_client_init(struct test_client *c, const char *base_url);
void test_client_release(struct test_client *c);
/* Forgets every cookie (a new browser). */
void test_client_clear_cookies(struct test_client *c);
/* Puts a cookie name=value for the server's host into the jar, as if the server set it. */
void test_client_set_cookie(struct test_client *c, const char *name, const char *value);
/* The value of cookie name in the jar, in a static buffer, or NULL. */
const char *test_client_cookie(struct test_client *c, const char *name);

/* Each returns the status and fills out (released and refilled on every call). Fails the
 * test when the request cannot be made. method: "GET", "POST", "HEAD", ... */
long test_request(struct test_client *c, struct test_response *out, const char *method,
                  const char *path, const char *content_type, const char *body, size_t len);
long test_get(struct test_client *c, struct test_response *out, const char *path);
/* POST of an urlencoded form body like "a=1&b=2". */
long test_post_form(struct test_client *c, struct test_response *out, const char *path,
                    const char *form);

/* The value of a response header (first occurrence), in a static buffer, or NULL. */
const char *test_header(const struct test_response *r, const char *name);
/* How many times name occurs among the response headers. */
int test_header_count(const struct test_response *r, const char *name);
void test_response_release(struct test_response *r);
/* The value of the first form field named csrf in the body (the admin panel's token), in a
 * static buffer; fails the test when there is none. */
const char *test_form_csrf(const struct test_response *r);

#endif
