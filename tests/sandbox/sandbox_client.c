#include "sandbox_client.h"

#include <curl/curl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"

struct sandbox *test_sb;
const char TEST_TOKEN[] = "123456789:TEST-token_ok";

void test_start(struct sandbox_options *opt)
{
    struct buf err = BUF_INIT;
    opt->bot_token = TEST_TOKEN;
    opt->listen_port = 0;
    int rc = sandbox_start(&test_sb, opt, &err);
    if (rc)
        fail_msg("sandbox_start: %s", err.data);
    buf_release(&err);
}

void test_stop(void)
{
    sandbox_stop(test_sb);
    test_sb = NULL;
}

static size_t collect(char *data, size_t size, size_t count, void *out)
{
    buf_add(out, data, size * count);
    return size * count;
}

json_t *test_http(const char *url, const char *content_type, const char *body, size_t len,
                  long *status)
{
    CURL *curl = curl_easy_init();
    assert_non_null(curl);
    struct buf reply = BUF_INIT;
    struct buf header = BUF_INIT;
    struct curl_slist *headers = NULL;
    if (content_type) {
        buf_addf(&header, "Content-Type: %s", content_type);
        headers = curl_slist_append(headers, header.data);
    }
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (body) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
    CURLcode rc = curl_easy_perform(curl);
    assert_int_equal(rc, CURLE_OK);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    json_t *answer = json_loadb(reply.data, reply.len, 0, NULL);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    buf_release(&reply);
    buf_release(&header);
    return answer;
}

char *test_url(const char *path)
{
    struct buf url = BUF_INIT;
    buf_addf(&url, "%s%s", sandbox_url(test_sb), path);
    return buf_detach(&url, NULL);
}

json_t *test_bot(long *status, const char *method, const char *fmt, ...)
{
    struct buf body = BUF_INIT, path = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&body, fmt, ap);
    va_end(ap);
    buf_addf(&path, "/bot%s/%s", TEST_TOKEN, method);
    char *url = test_url(path.data);
    json_t *answer = test_http(url, "application/json", body.data, body.len, status);
    assert_non_null(answer);
    assert_int_equal(json_is_true(json_object_get(answer, "ok")), *status == 200);
    free(url);
    buf_release(&body);
    buf_release(&path);
    return answer;
}

json_t *test_user(int *status, const char *http_method, const char *path, const char *fmt, ...)
{
    struct buf body = BUF_INIT, out = BUF_INIT;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        buf_vaddf(&body, fmt, ap);
        va_end(ap);
    }
    *status = sandbox_user_api(test_sb, http_method, path, body.len ? body.data : NULL, &out);
    json_t *answer = json_loadb(out.data, out.len, 0, NULL);
    assert_non_null(answer);
    json_t *result = json_incref(json_object_get(answer, "result"));
    if (!result)
        result = json_incref(answer);
    json_decref(answer);
    buf_release(&body);
    buf_release(&out);
    return result;
}

void test_create_user(long long id, const char *first_name)
{
    int status;
    json_t *u = test_user(&status, "POST", "/sandbox/api/users",
                          "{\"id\":%lld,\"first_name\":\"%s\",\"started\":true}", id, first_name);
    assert_int_equal(status, 200);
    json_decref(u);
}

int test_teardown(void **state)
{
    (void)state;
    test_stop();
    return 0;
}

int test_reset(void **state)
{
    (void)state;
    int status;
    json_decref(test_user(&status, "POST", "/sandbox/api/reset", "{}"));
    assert_int_equal(status, 200);
    sandbox_set_rate_limits(test_sb, 0, 0);
    assert_int_equal(sandbox_set_faults(test_sb, NULL, 0, NULL), 0);
    return 0;
}
