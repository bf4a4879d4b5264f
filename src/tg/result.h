/*
 * The outcome of one Bot API call, as one value the caller can act on.
 *
 * Every call on a tg_client (tg/client.h) records a struct tg_result and
 * returns tg_result_code() of it: 0 for TG_OK and TG_NOT_MODIFIED, a negative
 * ERR_* otherwise. The client never retries on its own: the caller picks the
 * policy from the kind (wait retry_after on TG_FLOOD, mark the customer as
 * blocked on TG_FORBIDDEN + TG_REASON_BLOCKED, retry TG_SERVER / TG_NETWORK /
 * TG_TIMEOUT with a backoff, give up on the rest).
 *
 * A timeout or network error after the request was sent does not tell whether
 * Telegram acted on it: a send may have been delivered.
 */
#ifndef TGSHOP_TG_RESULT_H
#define TGSHOP_TG_RESULT_H

#include <stdint.h>

#include <jansson.h>

enum tg_result_kind {
    TG_OK,
    TG_NOT_MODIFIED, /* 400 "message is not modified": the edit was a no-op; harmless */
    TG_INVALID,      /* refused by the client before sending (a limit, a bad argument) */
    TG_BAD_REQUEST,  /* 400, and any other 4xx without its own kind */
    TG_UNAUTHORIZED, /* 401: the bot token is wrong or revoked */
    TG_FORBIDDEN,    /* 403: see reason */
    TG_NOT_FOUND,    /* 404: unknown method, or a malformed token */
    TG_CONFLICT,     /* 409: another getUpdates is running, or a webhook is set */
    TG_FLOOD,        /* 429: wait retry_after seconds */
    TG_SERVER,       /* 5xx, or a reply that is not the Bot API's JSON */
    TG_NETWORK,      /* could not connect, or the connection broke */
    TG_TIMEOUT,      /* no complete reply within the client's timeout */
};

/* What exactly went wrong, for the errors a caller handles differently. */
enum tg_result_reason {
    TG_REASON_NONE,
    /* 403 */
    TG_REASON_BLOCKED,       /* the user blocked the bot */
    TG_REASON_KICKED,        /* the bot was kicked from the group or channel */
    TG_REASON_DEACTIVATED,   /* the user deleted their account */
    TG_REASON_CANT_INITIATE, /* the user never started the bot */
    TG_REASON_NOT_MEMBER,    /* the bot is not a member of the channel or supergroup */
    TG_REASON_BOT_RECIPIENT, /* bots cannot message other bots */
    /* 400 */
    TG_REASON_CHAT_NOT_FOUND,       /* chat/user not found, PEER_ID_INVALID, group deactivated */
    TG_REASON_MESSAGE_NOT_FOUND,    /* the message to edit, delete or reply to is gone */
    TG_REASON_MESSAGE_UNCHANGEABLE, /* the message can't be edited or deleted (any more) */
    TG_REASON_MEMBER_NOT_FOUND,     /* getChatMember: the user is not in the chat */
    TG_REASON_CHAT_MIGRATED,        /* group became a supergroup: see migrate_to_chat_id */
    TG_REASON_NO_RIGHTS,            /* the bot lacks a permission in the chat */
    TG_REASON_INVALID_FILE_ID,      /* a cached file_id no longer works: upload again */
    /* 409 */
    TG_REASON_OTHER_POLLER,   /* terminated by another getUpdates or a webhook */
    TG_REASON_WEBHOOK_ACTIVE, /* getUpdates while a webhook is set */
};

struct tg_result {
    enum tg_result_kind kind;
    enum tg_result_reason reason;
    int error_code;             /* the reply's error_code, else the HTTP status; 0 if none */
    int retry_after;            /* TG_FLOOD: seconds to wait, at least 1 */
    int64_t migrate_to_chat_id; /* TG_REASON_CHAT_MIGRATED: the new chat id */
    char description[256];      /* Telegram's description or the client's reason, cut to fit */
};

/* Classifies a reply from the Bot API: the HTTP status and the parsed body (NULL when the
 * body was not JSON). A body that is not {"ok":...} is classified by the status alone (a
 * proxy's HTML 502 is TG_SERVER). */
void tg_result_from_reply(struct tg_result *out, long http_status, const json_t *reply);
/* Sets out to kind with a formatted description and no reason. */
void tg_result_set(struct tg_result *out, enum tg_result_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* 0 for TG_OK and TG_NOT_MODIFIED; ERR_INVALID (invalid, bad request), ERR_FORBIDDEN
 * (unauthorized, forbidden), ERR_NOTFOUND, ERR_CONFLICT, ERR_FLOOD, ERR_NETWORK (server
 * error, network), ERR_TIMEOUT. */
int tg_result_code(const struct tg_result *r);

/* Short constant names for logs and tests: "flood", "blocked". */
const char *tg_result_kind_name(enum tg_result_kind kind);
const char *tg_result_reason_name(enum tg_result_reason reason);

#endif
