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

#include <stdbool.h>
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

/* Fault injection for Bot API calls (never for the user API): a list of rules.
 * A call matches a rule when its method (case-insensitive; "" = any) and its
 * chat_id (0 = any; also calls without a chat) match. A matching call is hit
 * when it is one of the rule's first `first` matching calls (first > 0), else
 * for `share` of the matching calls, deterministically (0.25 = exactly every
 * 4th; 0 or 1 = every call). A hit waits delay_ms, then is answered with
 * `status` (0 = served as usual after the delay). Every matching rule counts
 * the call; the first hit rule with a status answers it. A 429 carries
 * parameters.retry_after and starts a flood ban: of the call's chat, or of the
 * whole bot when `global` is set or the call names no chat. */
struct sandbox_fault {
    char method[40];       /* "" = every method */
    long long chat_id;     /* 0 = every chat */
    int status;            /* 400-599, 0 = no error (delay only) */
    char description[128]; /* "" = Telegram's for status ("Internal Server Error", ...) */
    int retry_after;       /* 429: seconds, 0 = 1 */
    bool global;           /* 429: ban the whole bot, not only the chat */
    int first;             /* > 0: hit only the first N matching calls */
    double share;          /* 0..1 of matching calls; 0 = every call */
    int delay_ms;          /* 0..60000 */
};
enum { SANDBOX_MAX_FAULTS = 32 };

/* Fills out from "key=value,key=value" (the keys of struct sandbox_fault, as
 * in the user API: method=getMe,status=500,first=2). ERR_INVALID with one
 * line in err for an unknown key or a bad value. */
int sandbox_fault_parse(struct sandbox_fault *out, const char *spec, struct buf *err);
/* Replaces the rules (count 0 = none) and their counters. ERR_INVALID with one
 * line in err (err may be NULL; nothing changed) for a bad rule or more than
 * SANDBOX_MAX_FAULTS. */
int sandbox_set_faults(struct sandbox *sb, const struct sandbox_fault *rules, size_t count,
                       struct buf *err);

/* Changes the rate limits (messages/s; 0 = unlimited; bursts as in the options). */
void sandbox_set_rate_limits(struct sandbox *sb, double global_rate, double per_chat_rate);

/* Calls the user API in-process, exactly as over HTTP: http_method "GET" or
 * "POST", path like "/sandbox/api/users", json_body NULL or a JSON object.
 * Returns the HTTP status; the JSON answer is appended to out. */
int sandbox_user_api(struct sandbox *sb, const char *http_method, const char *path,
                     const char *json_body, struct buf *out);

#endif
