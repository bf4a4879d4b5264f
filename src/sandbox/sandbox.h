/*
 * The sandbox: an in-process emulator of the Telegram Bot API (the methods
 * tgshop uses) plus a user-side JSON API to play the customers. See
 * docs/sandbox.md for both HTTP APIs.
 *
 * Rules:
 *  - sandbox_start() listens on listen_host:listen_port (port 0 = a free
 *    port, read back with sandbox_port()) and serves until sandbox_stop().
 *    Point a Bot API client at sandbox_url() as TELEGRAM_API_URL; it serves
 *    /bot<token>/<method> and the user API under /sandbox/api/.
 *  - Everything is thread-safe; every setter takes effect for the next request.
 *  - Answers have Telegram's shapes and descriptions: {"ok":true,"result":...}
 *    or {"ok":false,"error_code":N,"description":"...","parameters":{...}}.
 *  - Memory is bounded by the max_* options: the oldest history, updates and
 *    file bytes are dropped first.
 */
#ifndef TGSHOP_SANDBOX_SANDBOX_H
#define TGSHOP_SANDBOX_SANDBOX_H

#include <stddef.h>

#include "core/buf.h"

struct sandbox;

struct sandbox_options {
    const char *listen_host;      /* NULL = "127.0.0.1" */
    int listen_port;              /* 0 = any free port */
    const char *bot_token;        /* required: "<bot id>:<secret>", the bot's id comes first */
    const char *bot_username;     /* NULL = "sandbox_bot" */
    const char *bot_first_name;   /* NULL = "Sandbox Bot" */
    double global_rate;           /* messages/s to all chats together; 0 = unlimited */
    double global_burst;          /* messages allowed at once; 0 = max(1, global_rate) */
    double per_chat_rate;         /* messages/s to one chat; 0 = unlimited */
    double per_chat_burst;        /* 0 = max(1, per_chat_rate) */
    int precheckout_timeout_ms;   /* the bot's time to answer a pre_checkout_query; 0 = 10000 */
    int webhook_retry_ms;         /* first pause after a failed webhook delivery (doubles up to
                                     60 s); 0 = 1000 */
    size_t max_body;              /* largest request body in bytes; 0 = 20 MiB */
    size_t max_messages_per_chat; /* chat history kept; 0 = 1000 */
    size_t max_updates;           /* unconfirmed updates kept; 0 = 10000 */
    size_t max_file_bytes;        /* uploaded photo bytes kept in memory; 0 = 64 MiB */
};

/* Starts the server. On failure returns a negative ERR_* with one line in err. */
int sandbox_start(struct sandbox **out, const struct sandbox_options *opt, struct buf *err);
/* Stops serving (open long polls are answered first) and frees everything. NULL is fine. */
void sandbox_stop(struct sandbox *sb);

/* The port actually listened on. */
int sandbox_port(const struct sandbox *sb);
/* "http://HOST:PORT", the base URL to use as TELEGRAM_API_URL. Owned by sb. */
const char *sandbox_url(const struct sandbox *sb);

/* Fault injection for Bot API calls (never for the user API). Shares are
 * applied deterministically: a share of 0.25 hits exactly every 4th call. */
struct sandbox_faults {
    double error_share; /* 0..1 of calls answered with error_code instead of being served */
    int error_code;     /* 500, 502, 503 or 504; 0 = 500 */
    double slow_share;  /* 0..1 of calls answered slow_ms late */
    int slow_ms;
};
void sandbox_set_faults(struct sandbox *sb, const struct sandbox_faults *faults);

/* Changes the rate limits (messages/s; 0 = unlimited; bursts as in the options). */
void sandbox_set_rate_limits(struct sandbox *sb, double global_rate, double per_chat_rate);

/* Calls the user API in-process, exactly as over HTTP: http_method "GET" or
 * "POST", path like "/sandbox/api/users", json_body NULL or a JSON object.
 * Returns the HTTP status; the JSON answer is appended to out. */
int sandbox_user_api(struct sandbox *sb, const char *http_method, const char *path,
                     const char *json_body, struct buf *out);

#endif
