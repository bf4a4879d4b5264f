#include "http_client.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/xalloc.h"

static size_t collect(char *data, size_t size, size_t count, void *out)
{
    buf_add(out, data, size * count);
    return size * count;
}

void test_client_init(struct test_client *c, const char *base_url)
{
    c->curl = curl_easy_init();
    assert_non_null(c->curl);
    c->base_url = xstrdup(base_url);
    c->extra_header = NULL;
    curl_easy_setopt(c->curl, CURLOPT_COOKIEFILE, ""); /* the in-memory cookie engine */
}

void test_client_release(struct test_client *c)
{
    curl_easy_cleanup(c->curl);
    free(c->base_url);
    c->curl = NULL;
    c->base_url = NULL;
}

void test_client_clear_cookies(struct test_client *c)
{
    curl_easy_setopt(c->curl, CURLOPT_COOKIELIST, "ALL");
}

void test_client_set_cookie(struct test_client *c, const char *name, const char *value)
{
    struct buf line = BUF_INIT;
    buf_addf(&line, "Set-Cookie: %s=%s; Path=/", name, value);
    curl_easy_setopt(c->curl, CURLOPT_COOKIELIST, line.data);
    buf_release(&line);
}

const char *test_client_cookie(struct test_client *c, const char *name)
{
    static char value[512];
    struct curl_slist *cookies = NULL;
    const char *found = NULL;
    curl_easy_getinfo(c->curl, CURLINFO_COOKIELIST, &cookies);
    /* Netscape format: domain, flag, path, secure, expiry, name, value (tab separated) */
    for (struct curl_slist *l = cookies; l && !found; l = l->next) {
        const char *field = l->data;
        for (int i = 0; i < 5 && field; i++) {
            field = strchr(field, '\t');
            field = field ? field + 1 : NULL;
        }
        size_t n = strlen(name);
        if (field && !strncmp(field, name, n) && field[n] == '\t') {
            snprintf(value, sizeof value, "%s", field + n + 1);
            found = value;
        }
    }
    curl_slist_free_all(cookies);
    return found;
}

void test_response_release(struct test_response *r)
{
    buf_release(&r->headers);
    buf_release(&r->body);
    r->status = 0;
}

long test_request(struct test_client *c, struct test_response *out, const char *method,
                  const char *path, const char *content_type, const char *body, size_t len)
{
    CURL *curl = c->curl;
    test_response_release(out);
    struct buf url = BUF_INIT, type = BUF_INIT;
    buf_addf(&url, "%s%s", c->base_url, path);
    /* no "Expect: 100-continue" unless the test asks for it (bodies over a cap) */
    bool expect = c->extra_header && !strncasecmp(c->extra_header, "Expect:", 7);
    struct curl_slist *headers = expect ? NULL : curl_slist_append(NULL, "Expect:");
    if (content_type) {
        buf_addf(&type, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, type.data);
    }
    if (c->extra_header)
        headers = curl_slist_append(headers, c->extra_header);
    curl_easy_setopt(curl, CURLOPT_URL, url.data);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L); /* send ../ as it is: traversal tests */
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L); /* resets NOBODY: set it after */
        curl_easy_setopt(curl, CURLOPT_NOBODY, !strcmp(method, "HEAD") ? 1L : 0L);
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, NULL);
    } else {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 0L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, strcmp(method, "POST") ? method : NULL);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out->body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &out->headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 60L);
    CURLcode rc = curl_easy_perform(curl);
    if (rc != CURLE_OK)
        fail_msg("%s %s: %s", method, url.data, curl_easy_strerror(rc));
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
    curl_slist_free_all(headers);
    buf_release(&url);
    buf_release(&type);
    return out->status;
}

long test_get(struct test_client *c, struct test_response *out, const char *path)
{
    return test_request(c, out, "GET", path, NULL, NULL, 0);
}

long test_post_form(struct test_client *c, struct test_response *out, const char *path,
                    const char *form)
{
    return test_request(c, out, "POST", path, "application/x-www-form-urlencoded", form,
                        strlen(form));
}

/* The n-th value of header name (n < 0: none, only count them); *count = how many there are. */
static const char *nth_header(const struct test_response *r, const char *name, int n, int *count)
{
    static char value[8192];
    size_t nlen = strlen(name);
    const char *p = r->headers.data;
    *count = 0;
    while (*p) {
        const char *eol = strstr(p, "\r\n");
        size_t len = eol ? (size_t)(eol - p) : strlen(p);
        if (len > nlen && !strncasecmp(p, name, nlen) && p[nlen] == ':') {
            if ((*count)++ == n) {
                const char *v = p + nlen + 1;
                while (*v == ' ')
                    v++;
                size_t vlen = len - (size_t)(v - p);
                if (vlen >= sizeof value)
                    vlen = sizeof value - 1;
                memcpy(value, v, vlen);
                value[vlen] = '\0';
                return value;
            }
        }
        p += len + (eol ? 2 : 0);
    }
    return NULL;
}

const char *test_header(const struct test_response *r, const char *name)
{
    int count;
    return nth_header(r, name, 0, &count);
}

int test_header_count(const struct test_response *r, const char *name)
{
    int count;
    nth_header(r, name, -1, &count);
    return count;
}

const char *test_form_csrf(const struct test_response *r)
{
    static char token[128];
    static const char field[] = "name=\"csrf\" value=\"";
    const char *at = strstr(r->body.data, field);
    if (!at)
        fail_msg("no csrf field in:\n%.2000s", r->body.data);
    at += strlen(field);
    size_t n = strcspn(at, "\"");
    if (n >= sizeof token)
        fail_msg("a csrf token of %zu bytes", n);
    memcpy(token, at, n);
    token[n] = '\0';
    return token;
}
