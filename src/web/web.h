/*
 * The admin panel: server-rendered HTML pages on the shared HTTP server (http/), with
 * sessions, CSRF checks, templates and the Telegram webhook endpoint. docs/admin.md lists
 * every page; routes.h says how to add one.
 *
 * web_start() compiles every template (a broken template fails the start), loads the
 * customers' texts (shop/texts.h), opens a small pool of database connections and the job
 * queue handle on first use and serves until web_stop().
 */
#ifndef TGSHOP_WEB_WEB_H
#define TGSHOP_WEB_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "web/throttle.h"

struct web;
struct queue_config;

/* Hands one Telegram update (the JSON of an Update) to the bot: 0, or ERR_INVALID when it
 * is not an update. Set by src/cmd/, so web/ does not depend on bot/. */
typedef int web_update_fn(void *ctx, const char *json, size_t len);

struct web_options {
    const char *database_url;
    const char *listen_host;      /* NULL = 127.0.0.1 */
    int listen_port;              /* 0 = any free port */
    bool trust_proxy;             /* http_options.trust_proxy: behind nginx (TRUST_PROXY) */
    const char *media_dir;        /* product photos, served under /media/ */
    const char *currency;         /* for amounts on the dashboard */
    const char *sandbox_url;      /* the sandbox's web chat, linked from every page; NULL = none */
    const char *webhook_secret;   /* POST /tg/webhook needs this X-Telegram-Bot-Api-Secret-Token;
                                     NULL = the endpoint answers 404 */
    const char *telegram_api_url; /* the Bot API the bot talks to (the sandbox's, or NULL:
                                     Telegram's) */
    const char *bot_token;        /* for the channel check and a mailing's test message;
                                     NULL = those buttons say Telegram is not configured */
    const struct queue_config *queue; /* the job queue (order notes to customers, the dead jobs
                                         page); NULL = the database's (database_url) */
    const char *default_language;     /* customers' messages when their language has no locale;
                                         NULL = "ru" (DEFAULT_LANGUAGE) */
    web_update_fn *on_update;
    void *update_ctx;
    int db_connections;              /* pool size; 0 = 8 */
    struct throttle_limits throttle; /* sign-in limits; zeros = defaults */
};

int web_start(struct web **out, const struct web_options *opt, struct buf *err);
/* Stops serving, waits for requests in progress, frees everything. NULL is fine. */
void web_stop(struct web *w);
/* The options of the panel serving a request (req->ctx of the HTTP server), for the
 * plain HTTP handlers of the route table. */
const struct web_options *web_options_of(const void *http_ctx);
/* "http://HOST:PORT" (owned by w). */
const char *web_url(const struct web *w);
int web_port(const struct web *w);

#endif
