/*
 * The HTTP transport of the Bot API client: POST requests over one libcurl
 * easy handle, so connections stay alive between calls (keep-alive, TLS
 * session reuse). A struct tg_http is used by one thread at a time.
 *
 * Bodies are JSON text or multipart/form-data (for file uploads). Replies are
 * read into a struct buf capped at max_reply bytes. No redirects are
 * followed, only http and https are spoken, and nothing is retried.
 */
#ifndef TGSHOP_TG_HTTP_H
#define TGSHOP_TG_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* One multipart field: a text value, a file read from path, or bytes from memory. */
struct tg_http_part {
    const char *name;
    const char *value; /* a text field when set */
    const char *path;  /* else a file field with the file's contents, when set */
    const void *data;  /* else a file field with these len bytes, named filename */
    size_t len;
    const char *filename;
};

struct tg_http_request {
    const char *url;
    const char *json; /* the JSON body; NULL to send parts as multipart/form-data */
    const struct tg_http_part *parts;
    size_t nparts;
    int64_t connect_timeout_ms;
    int64_t timeout_ms; /* the whole exchange */
    /* When set and it becomes true, the exchange is abandoned within about a second
     * (ERR_NETWORK, "cancelled"): lets a long poll end at once on shutdown. */
    const atomic_bool *cancel;
};

struct tg_http {
    CURL *curl;
    struct curl_slist *json_headers, *form_headers;
    struct buf reply;            /* the last reply's body */
    char error[CURL_ERROR_SIZE]; /* what went wrong with the last request */
};

/* Sets up h to read replies of at most max_reply bytes. 0, or ERR_INTERNAL when libcurl
 * cannot be initialised (h->error says why). */
int tg_http_init(struct tg_http *h, size_t max_reply);
void tg_http_release(struct tg_http *h);

/* Sends req and reads the reply into h->reply. Returns 0 with the HTTP status in *out_status,
 * or ERR_TIMEOUT, ERR_TOOBIG (reply over max_reply), ERR_NETWORK (anything else) with h->error
 * describing it. */
int tg_http_post(struct tg_http *h, long *out_status, const struct tg_http_request *req);

#endif
