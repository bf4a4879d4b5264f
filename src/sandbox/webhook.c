#include "sandbox/webhook.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "sandbox/botapi.h"
#include "sandbox/form.h"
#include "core/banned.h"

enum {
    MAX_BACKOFF_MS = 60000,
    MAX_REPLY_BYTES = 1 << 20,
    DELIVERY_TIMEOUT_MS = 10000,
};

static size_t collect(char *data, size_t size, size_t count, void *reply)
{
    buf_add(reply, data, size * count);
    return size * count; /* a reply over the cap is cut, not an error */
}

/* Aborts a delivery in flight when the sandbox stops. */
static int check_stop(void *world, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                      curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    struct world *w = world;
    pthread_mutex_lock(&w->lock);
    bool stop = w->stopping;
    pthread_mutex_unlock(&w->lock);
    return stop;
}

/* POSTs body; returns the HTTP status, or 0 with a Telegram-like reason in error. */
static long post(CURL *curl, struct world *w, const char *url, const char *secret, const char *body,
                 struct buf *reply, struct buf *error)
{
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct buf secret_header = BUF_INIT;
    if (secret) {
        buf_addf(&secret_header, "X-Telegram-Bot-Api-Secret-Token: %s", secret);
        headers = curl_slist_append(headers, secret_header.data);
    }
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, reply);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)DELIVERY_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, check_stop);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, w);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    if (rc == CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    } else if (rc == CURLE_COULDNT_CONNECT) {
        buf_adds(error, "Connection refused");
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        buf_adds(error, "Read timeout expired");
    } else {
        buf_adds(error, curl_easy_strerror(rc));
    }
    curl_slist_free_all(headers);
    buf_release(&secret_header);
    return status;
}

/* Runs the method a bot put in its webhook answer; its result goes nowhere, as in Telegram. */
static void run_answered_method(struct world *w, const struct buf *reply)
{
    struct arena arena;
    arena_init(&arena, 0);
    struct form form;
    form_init(&form, &arena);
    struct buf err = BUF_INIT;
    const struct form_field *method;
    if (!form_parse_json(&form, reply->data, reply->len, &err) &&
        (method = form_get(&form, "method"))) {
        struct botapi_reply rep;
        botapi_reply_init(&rep);
        botapi_call(w, method->value, &form, &rep);
        if (rep.status != 200)
            log_info("sandbox: the method in a webhook answer failed: %s", rep.description.data);
        botapi_reply_release(&rep);
    }
    buf_release(&err);
    arena_release(&arena);
}

static void record_failure(struct world *w, long status, const struct buf *error)
{
    free(w->webhook_last_error);
    struct buf message = BUF_INIT;
    static const struct {
        long status;
        const char *reason;
    } reasons[] = {
        {400, "Bad Request"},         {401, "Unauthorized"},          {403, "Forbidden"},
        {404, "Not Found"},           {500, "Internal Server Error"}, {502, "Bad Gateway"},
        {503, "Service Unavailable"}, {504, "Gateway Timeout"}};
    if (status) {
        buf_addf(&message, "Wrong response from the webhook: %ld", status);
        for (size_t i = 0; i < sizeof reasons / sizeof *reasons; i++)
            if (reasons[i].status == status)
                buf_addf(&message, " %s", reasons[i].reason);
    } else {
        buf_adds(&message, error->data);
    }
    w->webhook_last_error = buf_detach(&message, NULL);
    w->webhook_last_error_date = clock_now();
    w->webhook_backoff_ms =
        w->webhook_backoff_ms ? w->webhook_backoff_ms * 2 : w->opt.webhook_retry_ms;
    if (w->webhook_backoff_ms > MAX_BACKOFF_MS)
        w->webhook_backoff_ms = MAX_BACKOFF_MS;
    w->webhook_retry_at_ms = clock_mono_ms() + w->webhook_backoff_ms;
}

static void wait_until(struct world *w, int64_t at_ms)
{
    struct timespec ts = {(time_t)(at_ms / 1000), (long)(at_ms % 1000) * 1000000L};
    pthread_cond_timedwait(&w->changed, &w->lock, &ts);
}

void *webhook_run(void *world)
{
    struct world *w = world;
    CURL *curl = curl_easy_init();
    pthread_mutex_lock(&w->lock);
    while (!w->stopping) {
        if (!w->webhook_url || !w->update_count) {
            pthread_cond_wait(&w->changed, &w->lock);
            continue;
        }
        if (w->webhook_retry_at_ms > clock_mono_ms()) {
            wait_until(w, w->webhook_retry_at_ms);
            continue;
        }
        char *url = xstrdup(w->webhook_url);
        char *secret = w->webhook_secret ? xstrdup(w->webhook_secret) : NULL;
        int64_t update_id = w->updates[0].id;
        char *body = json_dumps(w->updates[0].update, JSON_COMPACT);
        pthread_mutex_unlock(&w->lock);

        struct buf reply = BUF_INIT, error = BUF_INIT;
        reply.max = MAX_REPLY_BYTES;
        long status = curl ? post(curl, w, url, secret, body, &reply, &error) : 0;
        if (!curl)
            buf_adds(&error, "cannot initialise libcurl");

        pthread_mutex_lock(&w->lock);
        bool still_current = w->webhook_url && !strcmp(w->webhook_url, url) && w->update_count &&
                             w->updates[0].id == update_id;
        if (still_current && status >= 200 && status < 300) {
            json_decref(w->updates[0].update);
            memmove(w->updates, w->updates + 1, --w->update_count * sizeof *w->updates);
            w->webhook_backoff_ms = 0;
            if (!reply.overflow)
                run_answered_method(w, &reply);
        } else if (still_current && !w->stopping) {
            record_failure(w, status, &error);
        }
        buf_release(&reply);
        buf_release(&error);
        free(url);
        free(secret);
        free(body);
    }
    pthread_mutex_unlock(&w->lock);
    if (curl)
        curl_easy_cleanup(curl);
    return NULL;
}
