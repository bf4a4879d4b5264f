#include "tg/http.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/banned.h"

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_status;

/* libcurl's global setup is not thread-safe on every build: do it once, first. */
static void global_init(void)
{
    global_status = curl_global_init(CURL_GLOBAL_DEFAULT);
}

int tg_http_init(struct tg_http *h, size_t max_reply)
{
    *h = (struct tg_http){0};
    buf_init(&h->reply, max_reply);
    pthread_once(&global_once, global_init);
    if (global_status != CURLE_OK) {
        snprintf(h->error, sizeof h->error, "libcurl: %s", curl_easy_strerror(global_status));
        return ERR_INTERNAL;
    }
    /* No "Expect: 100-continue" round trip before large bodies. */
    h->json_headers = curl_slist_append(NULL, "Content-Type: application/json");
    struct curl_slist *json_all =
        h->json_headers ? curl_slist_append(h->json_headers, "Expect:") : NULL;
    h->form_headers = curl_slist_append(NULL, "Expect:");
    h->curl = curl_easy_init();
    if (!h->curl || !json_all || !h->form_headers) {
        snprintf(h->error, sizeof h->error, "libcurl: cannot create a handle");
        tg_http_release(h);
        return ERR_INTERNAL;
    }
    return 0;
}

void tg_http_release(struct tg_http *h)
{
    curl_easy_cleanup(h->curl);
    curl_slist_free_all(h->json_headers);
    curl_slist_free_all(h->form_headers);
    h->curl = NULL;
    h->json_headers = NULL;
    h->form_headers = NULL;
    buf_release(&h->reply);
}

static size_t on_reply_data(char *data, size_t size, size_t count, void *ctx)
{
    struct buf *reply = ctx;
    /* a short count makes libcurl stop with CURLE_WRITE_ERROR */
    return buf_add(reply, data, size * count) ? 0 : size * count;
}

static curl_mime *build_form(CURL *curl, const struct tg_http_request *req)
{
    curl_mime *form = curl_mime_init(curl);
    bool bad = !form;
    for (size_t i = 0; i < req->nparts && !bad; i++) {
        const struct tg_http_part *part = &req->parts[i];
        curl_mimepart *field = curl_mime_addpart(form);
        bad = !field || curl_mime_name(field, part->name) != CURLE_OK;
        if (bad)
            break;
        if (part->value)
            bad = curl_mime_data(field, part->value, CURL_ZERO_TERMINATED) != CURLE_OK;
        else if (part->path)
            bad = curl_mime_filedata(field, part->path) != CURLE_OK;
        else
            bad = curl_mime_data(field, part->data, part->len) != CURLE_OK ||
                  curl_mime_filename(field, part->filename ? part->filename : "file") != CURLE_OK;
    }
    if (bad) {
        curl_mime_free(form);
        return NULL;
    }
    return form;
}

/* libcurl calls this about once a second, and on every chunk: a non-zero answer aborts. */
static int on_progress(void *cancel, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    return atomic_load((const atomic_bool *)cancel) ? 1 : 0;
}

int tg_http_post(struct tg_http *h, long *out_status, const struct tg_http_request *req)
{
    CURL *curl = h->curl;
    curl_mime *form = NULL;
    int rc = 0;
    bool bad = false;

    *out_status = 0;
    h->error[0] = '\0';
    buf_reset(&h->reply);
    /* A reset drops the previous request's options but keeps the live connections. */
    curl_easy_reset(curl);
    bad |= curl_easy_setopt(curl, CURLOPT_URL, req->url) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_USERAGENT, "tgshop/" TGSHOP_VERSION) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)req->connect_timeout_ms) !=
           CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_reply_data) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_WRITEDATA, &h->reply) != CURLE_OK;
    bad |= curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, h->error) != CURLE_OK;
    if (req->cancel) {
        bad |= curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress) != CURLE_OK;
        bad |= curl_easy_setopt(curl, CURLOPT_XFERINFODATA, (void *)req->cancel) != CURLE_OK;
        bad |= curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L) != CURLE_OK;
    }
    if (req->json) {
        bad |= curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h->json_headers) != CURLE_OK;
        bad |= curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req->json) != CURLE_OK;
        bad |= curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req->json)) !=
               CURLE_OK;
    } else {
        form = build_form(curl, req);
        bad |= !form;
        bad |= curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h->form_headers) != CURLE_OK;
        bad |= curl_easy_setopt(curl, CURLOPT_MIMEPOST, form) != CURLE_OK;
    }
    if (bad) {
        snprintf(h->error, sizeof h->error, "libcurl refused an option");
        rc = ERR_NETWORK;
        goto done;
    }

    CURLcode cc = curl_easy_perform(curl);
    if (cc == CURLE_OK) {
        if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, out_status) != CURLE_OK) {
            snprintf(h->error, sizeof h->error, "libcurl lost the HTTP status");
            rc = ERR_NETWORK;
        }
        goto done;
    }
    if (cc == CURLE_WRITE_ERROR && h->reply.overflow) {
        snprintf(h->error, sizeof h->error, "the reply is larger than %zu bytes", h->reply.max);
        rc = ERR_TOOBIG;
    } else {
        if (cc == CURLE_ABORTED_BY_CALLBACK)
            snprintf(h->error, sizeof h->error, "cancelled");
        else if (!h->error[0])
            snprintf(h->error, sizeof h->error, "%s", curl_easy_strerror(cc));
        rc = cc == CURLE_OPERATION_TIMEDOUT ? ERR_TIMEOUT : ERR_NETWORK;
    }

done:
    /* The error buffer must not outlive this call: h may move. */
    if (curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, NULL) != CURLE_OK && !rc)
        rc = ERR_NETWORK;
    curl_mime_free(form);
    return rc;
}
