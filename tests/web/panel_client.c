#include "panel_client.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

void panel_client_init(struct panel_client *p, const char *base_url)
{
    *p = (struct panel_client){0};
    test_client_init(&p->browser, base_url);
}

void panel_client_release(struct panel_client *p)
{
    test_response_release(&p->resp);
    test_client_release(&p->browser);
}

long panel_get(struct panel_client *p, const char *path)
{
    return test_get(&p->browser, &p->resp, path);
}

long panel_post(struct panel_client *p, const char *from, const char *path, const char *fields)
{
    assert_int_equal(panel_get(p, from), 200);
    struct buf form = BUF_INIT;
    buf_addf(&form, "csrf=%s%s%s", test_form_csrf(&p->resp), *fields ? "&" : "", fields);
    long status = test_post_form(&p->browser, &p->resp, path, form.data);
    buf_release(&form);
    return status;
}

void panel_sign_in(struct panel_client *p, const char *username, const char *password)
{
    test_client_clear_cookies(&p->browser);
    char fields[256];
    snprintf(fields, sizeof fields, "username=%s&password=%s", username, password);
    assert_int_equal(panel_post(p, "/login", "/login", fields), 303);
}

void panel_follow(struct panel_client *p)
{
    const char *location = test_header(&p->resp, "Location");
    if (!location)
        fail_msg("the answer (%ld) is no redirect", p->resp.status);
    char path[512];
    snprintf(path, sizeof path, "%s", location);
    assert_int_equal(panel_get(p, path), 200);
}

void panel_has(const struct panel_client *p, const char *text)
{
    if (!strstr(p->resp.body.data, text))
        fail_msg("the page lacks \"%s\":\n%.6000s", text, p->resp.body.data);
}

void panel_lacks(const struct panel_client *p, const char *text)
{
    if (strstr(p->resp.body.data, text))
        fail_msg("the page has \"%s\"", text);
}
