/*
 * A signed-in staff member's browser for the admin panel's HTTP-level tests: one
 * test_client (tests/support/http_client.h) and its last response, with sign-in, form
 * posts that carry the page's CSRF token, redirects followed, and page assertions.
 */
#ifndef TGSHOP_TESTS_WEB_PANEL_CLIENT_H
#define TGSHOP_TESTS_WEB_PANEL_CLIENT_H

#include "http_client.h"

struct panel_client {
    struct test_client browser;
    struct test_response resp; /* the last answer */
};

void panel_client_init(struct panel_client *p, const char *base_url);
void panel_client_release(struct panel_client *p);
/* Signs in as username (forgetting earlier cookies, a fresh browser); fails the test unless
 * the panel accepts it. */
void panel_sign_in(struct panel_client *p, const char *username, const char *password);
/* GETs path; its status. */
long panel_get(struct panel_client *p, const char *path);
/* GETs `from` (200) for its form token, then POSTs fields ("a=1&b=2", or "") with it to
 * path; the status. */
long panel_post(struct panel_client *p, const char *from, const char *path, const char *fields);
/* GETs the Location of the last answer (a redirect); fails the test unless it answers 200. */
void panel_follow(struct panel_client *p);
/* Fail the test (showing the page) unless the last answer holds / lacks text. */
void panel_has(const struct panel_client *p, const char *text);
void panel_lacks(const struct panel_client *p, const char *text);

#endif
