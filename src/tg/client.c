#include "tg/client.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "tg/flood.h"
#include "tg/http.h"
#include "core/banned.h"

enum {
    DEFAULT_TIMEOUT_MS = 30000,
    DEFAULT_CONNECT_TIMEOUT_MS = 10000,
    DEFAULT_MAX_REPLY = 8 << 20,
    MAX_POLL_TIMEOUT_S = 3600,
};

/* The multipart field that carries an uploaded photo ("attach://photo" in InputMedia). */
#define UPLOAD_FIELD "photo"

struct tg_client {
    struct tg_http http;
    char *url_prefix; /* API_URL/bot<token>/ : never logged */
    struct buf url;   /* url_prefix + the current method */
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
    const atomic_bool *cancel;
    struct tg_flood *flood; /* shared; NULL = no flood control */
    int64_t deadline_us;    /* tg_client_set_deadline(); 0 = timeout_ms from each call */
    json_t *reply;          /* the last parsed reply, kept so results can be borrowed */
    struct arena arena;     /* objects returned by the last call */
    struct buf parse_error;
    struct tg_result result;
};

/* A request being built. Building never stops at a problem: the first one is kept in why
 * and the request is refused before anything is sent. */
struct request {
    const char *method;
    json_t *params;
    struct buf why;
    struct tg_http_part upload; /* a file to upload when upload.name is set */
    int64_t extra_timeout_ms;   /* getUpdates' long-poll wait */
};

static bool token_is_well_formed(const char *token)
{
    if (!token || !*token)
        return false;
    for (const char *p = token; *p; p++) {
        char ch = *p;
        bool ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                  (ch >= '0' && ch <= '9') || ch == ':' || ch == '_' || ch == '-';
        if (!ok)
            return false;
    }
    return true;
}

int tg_client_new(struct tg_client **out, const struct tg_client_options *opt, struct buf *err)
{
    const char *api_url = opt->api_url ? opt->api_url : TG_DEFAULT_API_URL;
    size_t url_len = strlen(api_url);
    *out = NULL;
    if (!token_is_well_formed(opt->token)) {
        buf_setf(err, "the bot token is missing or has characters other than A-Z a-z 0-9 : _ -");
        return ERR_INVALID;
    }
    if (strncmp(api_url, "http://", 7) && strncmp(api_url, "https://", 8)) {
        buf_setf(err, "the Bot API URL must start with http:// or https://, got \"%s\"", api_url);
        return ERR_INVALID;
    }
    while (url_len > 0 && api_url[url_len - 1] == '/')
        url_len--;

    struct tg_client *c = xcalloc(1, sizeof *c);
    if (tg_http_init(&c->http, opt->max_reply_bytes ? opt->max_reply_bytes : DEFAULT_MAX_REPLY)) {
        buf_setf(err, "%s", c->http.error);
        free(c);
        return ERR_INTERNAL;
    }
    log_add_secret(opt->token);
    struct buf prefix = BUF_INIT;
    buf_addf(&prefix, "%.*s/bot%s/", (int)url_len, api_url, opt->token);
    c->url_prefix = buf_detach(&prefix, NULL);
    c->timeout_ms = opt->timeout_ms > 0 ? opt->timeout_ms : DEFAULT_TIMEOUT_MS;
    c->cancel = opt->cancel;
    c->flood = opt->flood;
    c->connect_timeout_ms =
        opt->connect_timeout_ms > 0 ? opt->connect_timeout_ms : DEFAULT_CONNECT_TIMEOUT_MS;
    buf_init(&c->url, 0);
    buf_init(&c->parse_error, 0);
    arena_init(&c->arena, 0);
    *out = c;
    return 0;
}

void tg_client_free(struct tg_client *c)
{
    if (!c)
        return;
    tg_http_release(&c->http);
    free(c->url_prefix);
    buf_release(&c->url);
    buf_release(&c->parse_error);
    json_decref(c->reply);
    arena_release(&c->arena);
    free(c);
}

const struct tg_result *tg_client_result(const struct tg_client *c)
{
    return &c->result;
}

void tg_client_set_deadline(struct tg_client *c, int64_t mono_us)
{
    c->deadline_us = mono_us;
}

/* --- building requests --- */

static void request_init(struct request *r, const char *method)
{
    *r = (struct request){.method = method, .params = json_object(), .why = BUF_INIT};
    if (!r->params)
        die_oom(0);
}

static void request_release(struct request *r)
{
    json_decref(r->params);
    buf_release(&r->why);
}

static void problem(struct request *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void problem(struct request *r, const char *fmt, ...)
{
    if (r->why.len)
        return;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&r->why, fmt, ap);
    va_end(ap);
}

/* Sets obj[key] = value, taking value; jansson fails here only when out of memory. */
static void set(json_t *obj, const char *key, json_t *value)
{
    if (!value || json_object_set_new(obj, key, value))
        die_oom(0);
}

static void put_int(struct request *r, const char *key, int64_t value)
{
    set(r->params, key, json_integer(value));
}

static void put_flag(json_t *obj, const char *key, bool flag)
{
    if (flag)
        set(obj, key, json_true());
}

/* Sets obj[key] to an optional string (NULL = left out) that must be valid UTF-8. */
static void put_string_in(struct request *r, json_t *obj, const char *key, const char *value)
{
    if (!value)
        return;
    json_t *s = json_string(value);
    if (!s)
        problem(r, "%s is not valid UTF-8", key);
    else
        set(obj, key, s);
}

/* A string that must be there and not empty. */
static void put_required_in(struct request *r, json_t *obj, const char *key, const char *value)
{
    if (!value || !*value)
        problem(r, "%s is missing", key);
    else
        put_string_in(r, obj, key, value);
}

/* A byte-counted string (tg/limits.h); a violation becomes the request's problem. */
static bool bytes_ok(struct request *r, const char *key, const char *s, size_t min, size_t max)
{
    struct buf why = BUF_INIT;
    bool ok = !tg_check_bytes(key, s, min, max, &why);
    if (!ok)
        problem(r, "%s", why.data);
    buf_release(&why);
    return ok;
}

/* A text counted as Telegram counts it (tg/limits.h); NULL is left out unless required. */
static void put_text_in(struct request *r, json_t *obj, const char *key, const char *text,
                        enum tg_parse_mode mode, bool required, size_t max)
{
    if (!text && !required)
        return;
    struct buf why = BUF_INIT;
    if (tg_check_text(key, text, mode, required, max, &why))
        problem(r, "%s", why.data);
    else
        put_string_in(r, obj, key, text);
    buf_release(&why);
}

static void put_parse_mode_in(json_t *obj, const char *key, enum tg_parse_mode mode)
{
    const char *name = tg_parse_mode_name(mode);
    if (name)
        set(obj, key, json_string(name));
}

static void put_markup_in(struct request *r, json_t *obj, const struct tg_keyboard *kb,
                          bool inline_only)
{
    if (!kb)
        return;
    const json_t *markup = tg_keyboard_markup(kb);
    if (!markup)
        problem(r, "%s", tg_keyboard_error(kb));
    else if (inline_only && !tg_keyboard_is_inline(kb))
        problem(r, "reply_markup must be an inline keyboard");
    else
        set(obj, "reply_markup", json_deep_copy(markup));
}

static void put_chat_id(struct request *r, int64_t chat_id)
{
    if (chat_id == 0)
        problem(r, "chat_id is missing");
    put_int(r, "chat_id", chat_id);
}

static void put_string_list(struct request *r, const char *key, const char *const *list)
{
    if (!list)
        return;
    json_t *array = json_array();
    if (!array)
        die_oom(0);
    for (; *list; list++) {
        json_t *item = json_string(*list);
        if (!item)
            problem(r, "%s: \"%s\" is not valid UTF-8", key, *list);
        else if (json_array_append_new(array, item))
            die_oom(0);
    }
    set(r->params, key, array);
}

static void put_target(struct request *r, const struct tg_target *target)
{
    if (target->inline_message_id) {
        put_required_in(r, r->params, "inline_message_id", target->inline_message_id);
        return;
    }
    put_chat_id(r, target->chat_id);
    if (target->message_id <= 0)
        problem(r, "message_id is missing");
    put_int(r, "message_id", target->message_id);
}

static void put_send_options(struct request *r, const struct tg_send_options *opt, bool inline_only)
{
    if (!opt)
        return;
    put_markup_in(r, r->params, opt->reply_markup, inline_only);
    put_flag(r->params, "disable_notification", opt->disable_notification);
    put_flag(r->params, "protect_content", opt->protect_content);
    if (opt->reply_to_message_id)
        set(r->params, "reply_parameters",
            json_pack("{s:I}", "message_id", (json_int_t)opt->reply_to_message_id));
}

static void put_link_preview(struct request *r, bool disabled)
{
    if (disabled)
        set(r->params, "link_preview_options", json_pack("{s:b}", "is_disabled", 1));
}

/* The photo as a string for the field key of obj (a file_id or URL), or, for an upload, the
 * file part plus attach_ref in that field (NULL: the field is the file part itself). */
static void put_photo_in(struct request *r, json_t *obj, const char *key,
                         const struct tg_photo *photo, const char *attach_ref)
{
    switch (photo->kind) {
    case TG_PHOTO_FILE_ID:
    case TG_PHOTO_URL:
        put_required_in(r, obj, key, photo->ref);
        return;
    case TG_PHOTO_PATH:
        if (!photo->ref || access(photo->ref, R_OK)) {
            problem(r, "photo file %s: %s", photo->ref ? photo->ref : "(none)",
                    photo->ref ? strerror(errno) : "no path");
            return;
        }
        r->upload = (struct tg_http_part){.name = UPLOAD_FIELD, .path = photo->ref};
        break;
    case TG_PHOTO_BYTES:
        if (!photo->data || photo->len == 0) {
            problem(r, "photo has no bytes to upload");
            return;
        }
        r->upload =
            (struct tg_http_part){.name = UPLOAD_FIELD,
                                  .data = photo->data,
                                  .len = photo->len,
                                  .filename = photo->filename ? photo->filename : "photo.jpg"};
        break;
    default:
        problem(r, "photo has an unknown kind");
        return;
    }
    if (attach_ref)
        set(obj, key, json_string(attach_ref));
}

/* --- sending --- */

/* Every params value as a multipart text field: strings as they are, the rest as JSON. */
static struct tg_http_part *form_parts(struct tg_client *c, const struct request *r,
                                       size_t *out_count)
{
    size_t n = json_object_size(r->params);
    struct tg_http_part *parts = arena_calloc(&c->arena, n + 1, sizeof *parts);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(r->params, key, value)
    {
        parts[i].name = key;
        if (json_is_string(value)) {
            parts[i].value = json_string_value(value);
        } else {
            char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!text)
                die_oom(0);
            parts[i].value = arena_strdup(&c->arena, text);
            free(text);
        }
        i++;
    }
    parts[i++] = r->upload;
    *out_count = i;
    return parts;
}

/* New messages are what Telegram's per-chat and global limits count: the pacer spaces them.
 * Edits, deletions and answers are only held back by a 429. */
static enum tg_flood_use flood_use(const char *method)
{
    static const char *const messages[] = {"sendMessage", "sendPhoto", "sendInvoice"};
    for (size_t i = 0; i < sizeof messages / sizeof *messages; i++)
        if (!strcmp(method, messages[i]))
            return TG_FLOOD_MESSAGE;
    return TG_FLOOD_CALL;
}

/* The chat a request is for (0: none, e.g. an answer to a query or an inline message). */
static int64_t chat_of(const struct request *r)
{
    const json_t *id = json_object_get(r->params, "chat_id");
    return json_is_integer(id) ? json_integer_value(id) : 0;
}

/* Waits for flood control (tg/flood.h) before a call; false with the result recorded when the
 * call may not go before deadline_us. */
static bool flood_clear(struct tg_client *c, const struct request *r, int64_t chat,
                        int64_t deadline_us)
{
    int64_t wait_us = 0;
    int rc =
        tg_flood_acquire(c->flood, chat, flood_use(r->method), deadline_us, c->cancel, &wait_us);
    if (rc == ERR_TIMEOUT) {
        tg_result_set(&c->result, TG_TIMEOUT, "cancelled while held back by flood control");
    } else if (rc) {
        tg_result_set(&c->result, TG_FLOOD, "held back by flood control for %lld ms more",
                      (long long)(wait_us / 1000));
        c->result.error_code = 429;
        c->result.retry_after = (int)((wait_us + 999999) / 1000000);
    }
    if (rc)
        log_debug("telegram %s not sent: %s", r->method, c->result.description);
    return rc == 0;
}

/* One HTTP exchange for req; records the outcome in c->result and c->reply. */
static void exchange(struct tg_client *c, struct tg_http_request *req, const json_t **out_result)
{
    long status = 0;
    json_decref(c->reply);
    c->reply = NULL;
    int rc = tg_http_post(&c->http, &status, req);
    if (rc == ERR_TIMEOUT)
        tg_result_set(&c->result, TG_TIMEOUT, "%s", c->http.error);
    else if (rc == ERR_TOOBIG)
        tg_result_set(&c->result, TG_SERVER, "%s", c->http.error);
    else if (rc)
        tg_result_set(&c->result, TG_NETWORK, "%s", c->http.error);
    else {
        c->reply = json_loadb(c->http.reply.data, c->http.reply.len, 0, NULL);
        tg_result_from_reply(&c->result, status, c->reply);
        const json_t *result = json_object_get(c->reply, "result");
        if (c->result.kind == TG_OK && !result)
            tg_result_set(&c->result, TG_SERVER, "the reply has no result");
        if (out_result)
            *out_result = result;
    }
}

/* Sends r, records the outcome and releases r. On success *out_result (if not NULL) borrows
 * the reply's "result" until the next call.
 *
 * With flood control, the call first waits for its chat's and the bot's holds and, for a
 * message, for the pacer; a 429 is reported and the call sent again once the hold is over
 * (a 429 means Telegram did nothing, so this is the one retry that cannot duplicate), as long
 * as that is before the deadline. getUpdates reports its 429 (it holds back the bot) but
 * neither waits nor retries: its poller has its own backoff, and fetching sends nothing. */
static int perform(struct tg_client *c, struct request *r, const json_t **out_result)
{
    char *json = NULL;

    json_decref(c->reply);
    c->reply = NULL;
    arena_reset(&c->arena);
    if (out_result)
        *out_result = NULL;
    if (r->why.len) {
        tg_result_set(&c->result, TG_INVALID, "%s: %s", r->method, r->why.data);
        log_debug("telegram %s refused: %s", r->method, r->why.data);
        request_release(r);
        return tg_result_code(&c->result);
    }

    struct tg_http_request req = {
        .connect_timeout_ms = c->connect_timeout_ms,
        .timeout_ms = c->timeout_ms + r->extra_timeout_ms,
        .cancel = c->cancel,
    };
    buf_reset(&c->url);
    buf_addf(&c->url, "%s%s", c->url_prefix, r->method);
    req.url = c->url.data;
    if (r->upload.name) {
        req.parts = form_parts(c, r, &req.nparts);
    } else {
        json = json_dumps(r->params, JSON_COMPACT);
        if (!json)
            die_oom(0);
        req.json = json;
    }

    int64_t started = clock_mono_ms();
    bool waits = c->flood && strcmp(r->method, "getUpdates");
    int64_t chat = chat_of(r);
    int64_t deadline_us = c->deadline_us ? c->deadline_us : clock_mono_us() + c->timeout_ms * 1000;
    for (;;) {
        if (waits && !flood_clear(c, r, chat, deadline_us))
            break;
        exchange(c, &req, out_result);
        if (!c->flood || c->result.kind != TG_FLOOD)
            break;
        tg_flood_report(c->flood, chat, c->result.retry_after, clock_mono_us());
        log_debug("telegram %s: 429 for %s, retry after %d s", r->method,
                  chat ? "the chat" : "the bot", c->result.retry_after);
        if (!waits)
            break;
    }
    if (c->result.kind != TG_OK)
        log_debug("telegram %s: %s after %lld ms: %s", r->method,
                  tg_result_kind_name(c->result.kind), (long long)(clock_mono_ms() - started),
                  c->result.description);
    free(json);
    request_release(r);
    return tg_result_code(&c->result);
}

/* Records a result that is not what the Bot API documents (parse_error says how). */
static int malformed(struct tg_client *c)
{
    tg_result_set(&c->result, TG_SERVER, "malformed result: %s", c->parse_error.data);
    return tg_result_code(&c->result);
}

/* Sends r and returns the result parsed as a Message through out (NULL when the result is
 * not an object, as for edits of inline-mode messages). */
static int perform_for_message(struct tg_client *c, struct request *r,
                               const struct tg_message **out)
{
    const json_t *result;
    int rc = perform(c, r, &result);
    if (out)
        *out = NULL;
    if (rc || !out || !json_is_object(result))
        return rc;
    struct tg_message *m = arena_alloc(&c->arena, sizeof *m);
    if (tg_message_from_json(m, &c->arena, result, &c->parse_error))
        return malformed(c);
    *out = m;
    return 0;
}

int tg_call(struct tg_client *c, json_t **out, const char *method, const json_t *params)
{
    struct request r;
    const json_t *result;
    request_init(&r, method ? method : "");
    if (out)
        *out = NULL;
    if (!method || !*method)
        problem(&r, "no method");
    if (params && !json_is_object(params)) {
        problem(&r, "params must be a JSON object");
    } else if (params) {
        json_decref(r.params);
        r.params = json_deep_copy(params);
        if (!r.params)
            die_oom(0);
    }
    int rc = perform(c, &r, &result);
    if (!rc && out)
        *out = json_incref((json_t *)result);
    return rc;
}

/* --- the methods --- */

int tg_get_me(struct tg_client *c, const struct tg_user **out)
{
    struct request r;
    const json_t *result;
    request_init(&r, "getMe");
    int rc = perform(c, &r, &result);
    if (out)
        *out = NULL;
    if (rc || !out)
        return rc;
    struct tg_user *user = arena_alloc(&c->arena, sizeof *user);
    if (tg_user_from_json(user, &c->arena, result, &c->parse_error))
        return malformed(c);
    *out = user;
    return 0;
}

int tg_get_updates(struct tg_client *c, struct tg_updates *out, const struct tg_get_updates *req)
{
    struct request r;
    const json_t *result;
    request_init(&r, "getUpdates");
    *out = (struct tg_updates){.next_offset = req->offset};
    if (req->limit < 0 || req->limit > TG_UPDATES_LIMIT_MAX)
        problem(&r, "limit must be 1-%d", TG_UPDATES_LIMIT_MAX);
    if (req->timeout_s < 0 || req->timeout_s > MAX_POLL_TIMEOUT_S)
        problem(&r, "timeout must be 0-%d seconds", MAX_POLL_TIMEOUT_S);
    if (req->offset)
        put_int(&r, "offset", req->offset);
    put_int(&r, "limit", req->limit ? req->limit : TG_UPDATES_LIMIT_MAX);
    put_int(&r, "timeout", req->timeout_s);
    put_string_list(&r, "allowed_updates", req->allowed_updates);
    r.extra_timeout_ms = (int64_t)req->timeout_s * 1000;
    int rc = perform(c, &r, &result);
    if (rc)
        return rc;
    if (!json_is_array(result)) {
        tg_result_set(&c->result, TG_SERVER, "malformed result: expected an array of updates");
        return tg_result_code(&c->result);
    }
    out->items = json_incref((json_t *)result);
    for (size_t i = 0; i < json_array_size(result); i++) {
        const json_t *id = json_object_get(json_array_get(result, i), "update_id");
        if (json_is_integer(id) && json_integer_value(id) >= out->next_offset)
            out->next_offset = json_integer_value(id) + 1;
    }
    return 0;
}

void tg_updates_release(struct tg_updates *u)
{
    json_decref(u->items);
    u->items = NULL;
}

static bool is_identifier_char(char ch, const char *extra)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch && strchr(extra, ch));
}

/* True when s is 1..max characters from a-z 0-9 and extra. */
static bool is_identifier(const char *s, size_t max, const char *extra)
{
    size_t len = s ? strlen(s) : 0;
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!is_identifier_char(s[i], extra))
            return false;
    return true;
}

int tg_set_webhook(struct tg_client *c, const struct tg_webhook *webhook)
{
    struct request r;
    request_init(&r, "setWebhook");
    put_required_in(&r, r.params, "url", webhook->url);
    if (webhook->secret_token) {
        if (!is_identifier(webhook->secret_token, TG_SECRET_TOKEN_MAX,
                           "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-"))
            problem(&r, "secret_token must be 1-%d of A-Z a-z 0-9 _ -", TG_SECRET_TOKEN_MAX);
        put_string_in(&r, r.params, "secret_token", webhook->secret_token);
    }
    if (webhook->max_connections < 0 || webhook->max_connections > 100)
        problem(&r, "max_connections must be 1-100");
    if (webhook->max_connections)
        put_int(&r, "max_connections", webhook->max_connections);
    put_flag(r.params, "drop_pending_updates", webhook->drop_pending_updates);
    put_string_list(&r, "allowed_updates", webhook->allowed_updates);
    return perform(c, &r, NULL);
}

int tg_delete_webhook(struct tg_client *c, bool drop_pending_updates)
{
    struct request r;
    request_init(&r, "deleteWebhook");
    put_flag(r.params, "drop_pending_updates", drop_pending_updates);
    return perform(c, &r, NULL);
}

int tg_get_webhook_info(struct tg_client *c, const struct tg_webhook_info **out)
{
    struct request r;
    const json_t *result;
    request_init(&r, "getWebhookInfo");
    int rc = perform(c, &r, &result);
    if (out)
        *out = NULL;
    if (rc || !out)
        return rc;
    struct tg_webhook_info *info = arena_alloc(&c->arena, sizeof *info);
    if (tg_webhook_info_from_json(info, &c->arena, result, &c->parse_error))
        return malformed(c);
    *out = info;
    return 0;
}

int tg_set_my_commands(struct tg_client *c, const struct tg_command *commands, size_t count,
                       const char *language_code)
{
    struct request r;
    request_init(&r, "setMyCommands");
    json_t *list = json_array();
    if (!list)
        die_oom(0);
    if (count > TG_COMMANDS_MAX)
        problem(&r, "%zu commands, the limit is %d", count, TG_COMMANDS_MAX);
    for (size_t i = 0; i < count; i++) {
        json_t *command = json_object();
        if (!command || json_array_append_new(list, command))
            die_oom(0);
        if (!is_identifier(commands[i].command, TG_COMMAND_MAX, "_"))
            problem(&r, "command \"%s\" must be 1-%d of a-z 0-9 _",
                    commands[i].command ? commands[i].command : "", TG_COMMAND_MAX);
        put_string_in(&r, command, "command", commands[i].command);
        put_text_in(&r, command, "description", commands[i].description, TG_PARSE_NONE, true,
                    TG_COMMAND_DESCRIPTION_MAX);
    }
    set(r.params, "commands", list);
    put_string_in(&r, r.params, "language_code", language_code);
    return perform(c, &r, NULL);
}

int tg_send_message(struct tg_client *c, const struct tg_message **out, int64_t chat_id,
                    const char *text, const struct tg_send_options *opt)
{
    struct request r;
    enum tg_parse_mode mode = opt ? opt->parse_mode : TG_PARSE_NONE;
    request_init(&r, "sendMessage");
    put_chat_id(&r, chat_id);
    put_text_in(&r, r.params, "text", text, mode, true, TG_TEXT_MAX);
    put_parse_mode_in(r.params, "parse_mode", mode);
    put_link_preview(&r, opt && opt->disable_link_preview);
    put_send_options(&r, opt, false);
    return perform_for_message(c, &r, out);
}

int tg_send_photo(struct tg_client *c, const struct tg_message **out, int64_t chat_id,
                  const struct tg_photo *photo, const char *caption,
                  const struct tg_send_options *opt)
{
    struct request r;
    enum tg_parse_mode mode = opt ? opt->parse_mode : TG_PARSE_NONE;
    request_init(&r, "sendPhoto");
    put_chat_id(&r, chat_id);
    put_photo_in(&r, r.params, "photo", photo, NULL);
    put_text_in(&r, r.params, "caption", caption, mode, false, TG_CAPTION_MAX);
    put_parse_mode_in(r.params, "parse_mode", mode);
    put_send_options(&r, opt, false);
    return perform_for_message(c, &r, out);
}

static void put_edit_options(struct request *r, const struct tg_edit_options *opt)
{
    if (opt)
        put_markup_in(r, r->params, opt->reply_markup, true);
}

int tg_edit_message_text(struct tg_client *c, const struct tg_message **out,
                         const struct tg_target *target, const char *text,
                         const struct tg_edit_options *opt)
{
    struct request r;
    enum tg_parse_mode mode = opt ? opt->parse_mode : TG_PARSE_NONE;
    request_init(&r, "editMessageText");
    put_target(&r, target);
    put_text_in(&r, r.params, "text", text, mode, true, TG_TEXT_MAX);
    put_parse_mode_in(r.params, "parse_mode", mode);
    put_link_preview(&r, opt && opt->disable_link_preview);
    put_edit_options(&r, opt);
    return perform_for_message(c, &r, out);
}

int tg_edit_message_caption(struct tg_client *c, const struct tg_message **out,
                            const struct tg_target *target, const char *caption,
                            const struct tg_edit_options *opt)
{
    struct request r;
    enum tg_parse_mode mode = opt ? opt->parse_mode : TG_PARSE_NONE;
    request_init(&r, "editMessageCaption");
    put_target(&r, target);
    put_text_in(&r, r.params, "caption", caption, mode, false, TG_CAPTION_MAX);
    put_parse_mode_in(r.params, "parse_mode", mode);
    put_edit_options(&r, opt);
    return perform_for_message(c, &r, out);
}

int tg_edit_message_media(struct tg_client *c, const struct tg_message **out,
                          const struct tg_target *target, const struct tg_photo *photo,
                          const char *caption, const struct tg_edit_options *opt)
{
    struct request r;
    enum tg_parse_mode mode = opt ? opt->parse_mode : TG_PARSE_NONE;
    json_t *media = json_pack("{s:s}", "type", "photo");
    if (!media)
        die_oom(0);
    request_init(&r, "editMessageMedia");
    put_target(&r, target);
    put_photo_in(&r, media, "media", photo, "attach://" UPLOAD_FIELD);
    put_text_in(&r, media, "caption", caption, mode, false, TG_CAPTION_MAX);
    put_parse_mode_in(media, "parse_mode", mode);
    set(r.params, "media", media);
    put_edit_options(&r, opt);
    return perform_for_message(c, &r, out);
}

int tg_edit_message_reply_markup(struct tg_client *c, const struct tg_message **out,
                                 const struct tg_target *target, const struct tg_keyboard *keyboard)
{
    struct request r;
    request_init(&r, "editMessageReplyMarkup");
    put_target(&r, target);
    put_markup_in(&r, r.params, keyboard, true);
    return perform_for_message(c, &r, out);
}

int tg_delete_message(struct tg_client *c, int64_t chat_id, int64_t message_id)
{
    struct request r;
    request_init(&r, "deleteMessage");
    put_target(&r, &(struct tg_target){.chat_id = chat_id, .message_id = message_id});
    return perform(c, &r, NULL);
}

int tg_answer_callback_query(struct tg_client *c, const char *callback_query_id,
                             const struct tg_callback_answer *answer)
{
    struct request r;
    request_init(&r, "answerCallbackQuery");
    put_required_in(&r, r.params, "callback_query_id", callback_query_id);
    if (answer) {
        put_text_in(&r, r.params, "text", answer->text, TG_PARSE_NONE, false,
                    TG_CALLBACK_ANSWER_MAX);
        put_flag(r.params, "show_alert", answer->show_alert);
        put_string_in(&r, r.params, "url", answer->url);
        if (answer->cache_time < 0)
            problem(&r, "cache_time is negative");
        if (answer->cache_time)
            put_int(&r, "cache_time", answer->cache_time);
    }
    return perform(c, &r, NULL);
}

static json_t *inline_result(struct request *r, const struct tg_inline_result *in)
{
    json_t *out = json_object();
    if (!out)
        die_oom(0);
    if (bytes_ok(r, "result id", in->id, 1, TG_INLINE_RESULT_ID_MAX))
        put_string_in(r, out, "id", in->id);
    put_string_in(r, out, "description", in->description);
    put_string_in(r, out, "thumbnail_url", in->thumbnail_url);
    put_markup_in(r, out, in->reply_markup, true);
    switch (in->type) {
    case TG_INLINE_ARTICLE: {
        json_t *content = json_object();
        if (!content)
            die_oom(0);
        set(out, "type", json_string("article"));
        put_text_in(r, out, "title", in->title, TG_PARSE_NONE, true, TG_TEXT_MAX);
        put_text_in(r, content, "message_text", in->message_text, in->parse_mode, true,
                    TG_TEXT_MAX);
        put_parse_mode_in(content, "parse_mode", in->parse_mode);
        set(out, "input_message_content", content);
        break;
    }
    case TG_INLINE_PHOTO:
        set(out, "type", json_string("photo"));
        if (in->photo_file_id) {
            put_required_in(r, out, "photo_file_id", in->photo_file_id);
        } else {
            put_required_in(r, out, "photo_url", in->photo_url);
            put_required_in(r, out, "thumbnail_url", in->thumbnail_url);
        }
        put_string_in(r, out, "title", in->title);
        put_text_in(r, out, "caption", in->caption, in->parse_mode, false, TG_CAPTION_MAX);
        put_parse_mode_in(out, "parse_mode", in->parse_mode);
        break;
    default:
        problem(r, "inline result %s has an unknown type", in->id ? in->id : "");
        break;
    }
    return out;
}

int tg_answer_inline_query(struct tg_client *c, const char *inline_query_id,
                           const struct tg_inline_result *results, size_t count,
                           const struct tg_inline_answer *opt)
{
    struct request r;
    json_t *list = json_array();
    if (!list)
        die_oom(0);
    request_init(&r, "answerInlineQuery");
    put_required_in(&r, r.params, "inline_query_id", inline_query_id);
    if (count > TG_INLINE_RESULTS_MAX)
        problem(&r, "%zu results, the limit is %d", count, TG_INLINE_RESULTS_MAX);
    for (size_t i = 0; i < count; i++) {
        for (size_t j = 0; j < i; j++)
            if (results[i].id && results[j].id && !strcmp(results[i].id, results[j].id))
                problem(&r, "result id \"%s\" is used twice", results[i].id);
        if (json_array_append_new(list, inline_result(&r, &results[i])))
            die_oom(0);
    }
    set(r.params, "results", list);
    if (opt) {
        if (opt->next_offset &&
            bytes_ok(&r, "next_offset", opt->next_offset, 0, TG_INLINE_OFFSET_MAX))
            put_string_in(&r, r.params, "next_offset", opt->next_offset);
        if (opt->cache_time < 0)
            problem(&r, "cache_time is negative");
        if (opt->cache_time)
            put_int(&r, "cache_time", opt->cache_time);
        put_flag(r.params, "is_personal", opt->is_personal);
    }
    return perform(c, &r, NULL);
}

static void put_invoice(struct request *r, const struct tg_invoice *inv)
{
    const char *token = inv->provider_token ? inv->provider_token : "";
    bool stars = inv->currency && !strcmp(inv->currency, "XTR");
    put_text_in(r, r->params, "title", inv->title, TG_PARSE_NONE, true, TG_INVOICE_TITLE_MAX);
    put_text_in(r, r->params, "description", inv->description, TG_PARSE_NONE, true,
                TG_INVOICE_DESCRIPTION_MAX);
    if (bytes_ok(r, "payload", inv->payload, 1, TG_INVOICE_PAYLOAD_MAX))
        put_string_in(r, r->params, "payload", inv->payload);
    if (!inv->currency || strlen(inv->currency) != 3 ||
        strspn(inv->currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
        problem(r, "currency must be a three-letter code such as XTR or EUR");
    put_string_in(r, r->params, "currency", inv->currency);
    if (stars && *token)
        problem(r, "payments in Telegram Stars (XTR) take no provider token");
    if (!stars && !*token)
        problem(r, "currency %s needs a payment provider token", inv->currency);
    if (stars && inv->price_count != 1)
        problem(r, "payments in Telegram Stars (XTR) take exactly one price");
    put_string_in(r, r->params, "provider_token", token);

    json_t *prices = json_array();
    int64_t total = 0;
    if (!prices)
        die_oom(0);
    if (inv->price_count == 0)
        problem(r, "prices are missing");
    for (size_t i = 0; i < inv->price_count; i++) {
        json_t *price = json_object();
        if (!price || json_array_append_new(prices, price))
            die_oom(0);
        put_required_in(r, price, "label", inv->prices[i].label);
        set(price, "amount", json_integer(inv->prices[i].amount));
        if (__builtin_add_overflow(total, inv->prices[i].amount, &total))
            problem(r, "the prices overflow");
    }
    if (inv->price_count > 0 && total <= 0)
        problem(r, "the total price must be positive");
    set(r->params, "prices", prices);
    put_string_in(r, r->params, "photo_url", inv->photo_url);
    put_flag(r->params, "need_name", inv->need_name);
    put_flag(r->params, "need_phone_number", inv->need_phone_number);
    put_flag(r->params, "need_shipping_address", inv->need_shipping_address);
}

int tg_send_invoice(struct tg_client *c, const struct tg_message **out, int64_t chat_id,
                    const struct tg_invoice *invoice, const struct tg_send_options *opt)
{
    struct request r;
    request_init(&r, "sendInvoice");
    put_chat_id(&r, chat_id);
    put_invoice(&r, invoice);
    put_send_options(&r, opt, true);
    return perform_for_message(c, &r, out);
}

int tg_answer_pre_checkout_query(struct tg_client *c, const char *pre_checkout_query_id, bool ok,
                                 const char *error_message)
{
    struct request r;
    request_init(&r, "answerPreCheckoutQuery");
    put_required_in(&r, r.params, "pre_checkout_query_id", pre_checkout_query_id);
    set(r.params, "ok", json_boolean(ok));
    if (!ok)
        put_text_in(&r, r.params, "error_message", error_message, TG_PARSE_NONE, true, TG_TEXT_MAX);
    return perform(c, &r, NULL);
}

int tg_get_chat_member(struct tg_client *c, const struct tg_chat_member **out, const char *chat,
                       int64_t user_id)
{
    struct request r;
    const json_t *result;
    int64_t chat_id;
    request_init(&r, "getChatMember");
    if (chat && !parse_int64(chat, &chat_id))
        put_chat_id(&r, chat_id);
    else if (chat && chat[0] == '@' && is_identifier(chat + 1, 64, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_"))
        put_string_in(&r, r.params, "chat_id", chat);
    else
        problem(&r, "chat must be a numeric chat id or an @username");
    if (user_id <= 0)
        problem(&r, "user_id is missing");
    put_int(&r, "user_id", user_id);
    int rc = perform(c, &r, &result);
    if (out)
        *out = NULL;
    if (rc || !out)
        return rc;
    struct tg_chat_member *member = arena_alloc(&c->arena, sizeof *member);
    if (tg_chat_member_from_json(member, &c->arena, result, &c->parse_error))
        return malformed(c);
    *out = member;
    return 0;
}

int tg_send_chat_action(struct tg_client *c, int64_t chat_id, enum tg_chat_action action)
{
    static const char *const names[] = {
        [TG_ACTION_TYPING] = "typing",
        [TG_ACTION_UPLOAD_PHOTO] = "upload_photo",
        [TG_ACTION_UPLOAD_DOCUMENT] = "upload_document",
        [TG_ACTION_FIND_LOCATION] = "find_location",
    };
    struct request r;
    request_init(&r, "sendChatAction");
    put_chat_id(&r, chat_id);
    if ((size_t)action >= sizeof names / sizeof names[0])
        problem(&r, "unknown chat action %d", (int)action);
    else
        set(r.params, "action", json_string(names[action]));
    return perform(c, &r, NULL);
}
