/* Plain HTTP handlers of the route table: the panel's own assets, product photos and
 * the Telegram webhook endpoint. */
#include <sodium.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "http/static.h"
#include "web/routes.h"
#include "web/web.h"
#include "core/banned.h"

extern const struct embedded_file web_static[];

void raw_static(struct http_request *req, struct http_response *res)
{
    http_serve_embedded(req, res, web_static, http_param(req, "*"), 3600);
}

void raw_media(struct http_request *req, struct http_response *res)
{
    const struct web_options *opt = web_options_of(req->ctx);
    if (!opt->media_dir) {
        res->status = 404;
        return;
    }
    http_serve_file(req, res, opt->media_dir, http_param(req, "*"), 86400);
}

/* POST /tg/webhook: Telegram's deliveries in webhook mode, authenticated by the secret
 * token Telegram echoes in a header (compared in constant time). */
void raw_webhook(struct http_request *req, struct http_response *res)
{
    const struct web_options *opt = web_options_of(req->ctx);
    if (!opt->webhook_secret || !opt->on_update) {
        res->status = 404;
        return;
    }
    const char *given = http_header(req, "X-Telegram-Bot-Api-Secret-Token");
    size_t len = strlen(opt->webhook_secret);
    if (!given || strlen(given) != len || sodium_memcmp(given, opt->webhook_secret, len)) {
        http_response_text(res, 401, "wrong secret token\n");
        return;
    }
    int rc = opt->on_update(opt->update_ctx, req->body, req->body_len);
    if (rc == ERR_INVALID) {
        http_response_text(res, 400, "not a Telegram update\n");
        return;
    }
    if (rc) {
        log_error("webhook: cannot queue an update: %s", err_str(rc));
        http_response_text(res, 503, "try again\n"); /* Telegram delivers it again */
        return;
    }
    res->content_type = "application/json";
    buf_adds(&res->body, "{\"ok\":true}");
}
