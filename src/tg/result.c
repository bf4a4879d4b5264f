/* strcasestr */
#define _GNU_SOURCE
#include "tg/result.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/banned.h"

/* Descriptions that carry a reason, matched as case-insensitive substrings, first hit wins.
 * Telegram's wording is stable but its prefixes vary ("[Error]: Bad Request: ..."). */
static const struct {
    enum tg_result_kind kind;
    const char *text;
    enum tg_result_reason reason;
} reason_table[] = {
    {TG_FORBIDDEN, "blocked by the user", TG_REASON_BLOCKED},
    {TG_FORBIDDEN, "was kicked", TG_REASON_KICKED},
    {TG_FORBIDDEN, "user is deactivated", TG_REASON_DEACTIVATED},
    {TG_FORBIDDEN, "can't initiate conversation", TG_REASON_CANT_INITIATE},
    {TG_FORBIDDEN, "is not a member", TG_REASON_NOT_MEMBER},
    {TG_FORBIDDEN, "can't send messages to bots", TG_REASON_BOT_RECIPIENT},
    {TG_BAD_REQUEST, "chat not found", TG_REASON_CHAT_NOT_FOUND},
    {TG_BAD_REQUEST, "user not found", TG_REASON_CHAT_NOT_FOUND},
    {TG_BAD_REQUEST, "PEER_ID_INVALID", TG_REASON_CHAT_NOT_FOUND},
    {TG_BAD_REQUEST, "group is deactivated", TG_REASON_CHAT_NOT_FOUND},
    {TG_BAD_REQUEST, "message to edit not found", TG_REASON_MESSAGE_NOT_FOUND},
    {TG_BAD_REQUEST, "message to delete not found", TG_REASON_MESSAGE_NOT_FOUND},
    {TG_BAD_REQUEST, "reply message not found", TG_REASON_MESSAGE_NOT_FOUND},
    {TG_BAD_REQUEST, "message to be replied not found", TG_REASON_MESSAGE_NOT_FOUND},
    {TG_BAD_REQUEST, "message can't be edited", TG_REASON_MESSAGE_UNCHANGEABLE},
    {TG_BAD_REQUEST, "message can't be deleted", TG_REASON_MESSAGE_UNCHANGEABLE},
    {TG_BAD_REQUEST, "member not found", TG_REASON_MEMBER_NOT_FOUND},
    {TG_BAD_REQUEST, "migrated to a supergroup", TG_REASON_CHAT_MIGRATED},
    {TG_BAD_REQUEST, "not enough rights", TG_REASON_NO_RIGHTS},
    {TG_BAD_REQUEST, "invalid file id", TG_REASON_INVALID_FILE_ID},
    {TG_BAD_REQUEST, "wrong file identifier", TG_REASON_INVALID_FILE_ID},
    {TG_CONFLICT, "terminated by other", TG_REASON_OTHER_POLLER},
    {TG_CONFLICT, "webhook is active", TG_REASON_WEBHOOK_ACTIVE},
};

static void set_description(struct tg_result *out, const char *text)
{
    size_t len = strlen(text);
    if (len >= sizeof out->description)
        len = utf8_prefix_bytes(text, len, sizeof out->description - 1);
    memcpy(out->description, text, len);
    out->description[len] = '\0';
}

void tg_result_set(struct tg_result *out, enum tg_result_kind kind, const char *fmt, ...)
{
    char text[sizeof out->description];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    *out = (struct tg_result){.kind = kind};
    set_description(out, text);
}

static enum tg_result_kind kind_of_code(long code)
{
    switch (code) {
    case 400:
        return TG_BAD_REQUEST;
    case 401:
        return TG_UNAUTHORIZED;
    case 403:
        return TG_FORBIDDEN;
    case 404:
        return TG_NOT_FOUND;
    case 409:
        return TG_CONFLICT;
    case 429:
        return TG_FLOOD;
    }
    if (code >= 400 && code < 500)
        return TG_BAD_REQUEST;
    return TG_SERVER;
}

/* "Too Many Requests: retry after 35" when parameters.retry_after is missing. */
static int retry_after_from_text(const char *description)
{
    const char *p = strcasestr(description, "retry after ");
    int seconds = 0;
    if (!p)
        return 0;
    for (p += strlen("retry after "); *p >= '0' && *p <= '9' && seconds < 1000000; p++)
        seconds = seconds * 10 + (*p - '0');
    return seconds;
}

static void classify_error(struct tg_result *out, long http_status, const json_t *reply)
{
    const json_t *code = json_object_get(reply, "error_code");
    const json_t *description = json_object_get(reply, "description");
    const json_t *parameters = json_object_get(reply, "parameters");
    long error_code = http_status;
    if (json_is_integer(code) && json_integer_value(code) >= 100 && json_integer_value(code) <= 599)
        error_code = (long)json_integer_value(code);

    *out = (struct tg_result){.kind = kind_of_code(error_code), .error_code = (int)error_code};
    set_description(out, json_is_string(description) ? json_string_value(description) : "");
    if (out->kind == TG_BAD_REQUEST && strcasestr(out->description, "message is not modified")) {
        out->kind = TG_NOT_MODIFIED;
        return;
    }
    for (size_t i = 0; i < sizeof reason_table / sizeof reason_table[0]; i++) {
        if (reason_table[i].kind == out->kind &&
            strcasestr(out->description, reason_table[i].text)) {
            out->reason = reason_table[i].reason;
            break;
        }
    }
    const json_t *migrate = json_object_get(parameters, "migrate_to_chat_id");
    if (json_is_integer(migrate)) {
        out->migrate_to_chat_id = json_integer_value(migrate);
        out->reason = TG_REASON_CHAT_MIGRATED;
    }
    if (out->kind == TG_FLOOD) {
        const json_t *retry = json_object_get(parameters, "retry_after");
        json_int_t seconds = json_is_integer(retry) ? json_integer_value(retry)
                                                    : retry_after_from_text(out->description);
        out->retry_after = seconds < 1 ? 1 : seconds > 86400 ? 86400 : (int)seconds;
    }
}

void tg_result_from_reply(struct tg_result *out, long http_status, const json_t *reply)
{
    const json_t *ok = json_object_get(reply, "ok");
    if (json_is_true(ok) && http_status >= 200 && http_status < 300)
        *out = (struct tg_result){.kind = TG_OK};
    else if (json_is_false(ok))
        classify_error(out, http_status, reply);
    else if (http_status >= 200 && http_status < 300)
        tg_result_set(out, TG_SERVER, "HTTP %ld with a reply that is not Bot API JSON",
                      http_status);
    else {
        tg_result_set(out, kind_of_code(http_status), "HTTP %ld", http_status);
        out->error_code = (int)http_status;
        if (out->kind == TG_FLOOD)
            out->retry_after = 1;
    }
}

int tg_result_code(const struct tg_result *r)
{
    switch (r->kind) {
    case TG_OK:
    case TG_NOT_MODIFIED:
        return 0;
    case TG_INVALID:
    case TG_BAD_REQUEST:
        return ERR_INVALID;
    case TG_UNAUTHORIZED:
    case TG_FORBIDDEN:
        return ERR_FORBIDDEN;
    case TG_NOT_FOUND:
        return ERR_NOTFOUND;
    case TG_CONFLICT:
        return ERR_CONFLICT;
    case TG_FLOOD:
        return ERR_FLOOD;
    case TG_SERVER:
    case TG_NETWORK:
        return ERR_NETWORK;
    case TG_TIMEOUT:
        return ERR_TIMEOUT;
    }
    return ERR_INTERNAL;
}

const char *tg_result_kind_name(enum tg_result_kind kind)
{
    switch (kind) {
    case TG_OK:
        return "ok";
    case TG_NOT_MODIFIED:
        return "not modified";
    case TG_INVALID:
        return "invalid";
    case TG_BAD_REQUEST:
        return "bad request";
    case TG_UNAUTHORIZED:
        return "unauthorized";
    case TG_FORBIDDEN:
        return "forbidden";
    case TG_NOT_FOUND:
        return "not found";
    case TG_CONFLICT:
        return "conflict";
    case TG_FLOOD:
        return "flood";
    case TG_SERVER:
        return "server error";
    case TG_NETWORK:
        return "network error";
    case TG_TIMEOUT:
        return "timeout";
    }
    return "unknown";
}

const char *tg_result_reason_name(enum tg_result_reason reason)
{
    switch (reason) {
    case TG_REASON_NONE:
        return "none";
    case TG_REASON_BLOCKED:
        return "blocked";
    case TG_REASON_KICKED:
        return "kicked";
    case TG_REASON_DEACTIVATED:
        return "deactivated";
    case TG_REASON_CANT_INITIATE:
        return "can't initiate";
    case TG_REASON_NOT_MEMBER:
        return "not a member";
    case TG_REASON_BOT_RECIPIENT:
        return "bot recipient";
    case TG_REASON_CHAT_NOT_FOUND:
        return "chat not found";
    case TG_REASON_MESSAGE_NOT_FOUND:
        return "message not found";
    case TG_REASON_MESSAGE_UNCHANGEABLE:
        return "message unchangeable";
    case TG_REASON_MEMBER_NOT_FOUND:
        return "member not found";
    case TG_REASON_CHAT_MIGRATED:
        return "chat migrated";
    case TG_REASON_NO_RIGHTS:
        return "no rights";
    case TG_REASON_INVALID_FILE_ID:
        return "invalid file id";
    case TG_REASON_OTHER_POLLER:
        return "other poller";
    case TG_REASON_WEBHOOK_ACTIVE:
        return "webhook active";
    }
    return "unknown";
}
