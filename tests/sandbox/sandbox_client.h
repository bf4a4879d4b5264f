/*
 * Test helpers: a started sandbox and small HTTP calls to it with libcurl
 * (the Bot API over real HTTP) or in-process (the user API).
 */
#ifndef TGSHOP_TESTS_SANDBOX_CLIENT_H
#define TGSHOP_TESTS_SANDBOX_CLIENT_H

#include <jansson.h>
#include <stddef.h>

#include "sandbox/sandbox.h"

extern struct sandbox *test_sb;
extern const char TEST_TOKEN[];

/* Starts test_sb with opt (token and port filled in); asserts success. */
void test_start(struct sandbox_options *opt);
void test_stop(void);
/* cmocka fixtures: test_stop(), and a reset of the sandbox (state, rate limits, faults). */
int test_teardown(void **state);
int test_reset(void **state);

/* POSTs body with content_type to url; returns the parsed JSON answer (or NULL) and the status. */
json_t *test_http(const char *url, const char *content_type, const char *body, size_t len,
                  long *status);
/* Calls a Bot API method with a JSON body (printf-style). */
json_t *test_bot(long *status, const char *method, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Calls the user API in-process; returns the answer's "result" (new reference) and the status. */
json_t *test_user(int *status, const char *http_method, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The sandbox's base URL plus a path. */
char *test_url(const char *path);

/* Creates a user who has started the bot. */
void test_create_user(long long id, const char *first_name);

#endif
