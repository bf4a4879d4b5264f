/*
 * The Bot API's size limits, checked before a request is sent so the caller
 * gets a clear ERR_INVALID with a message instead of a 400 from Telegram.
 *
 * How Telegram parses and counts texts (parse modes, TG_TEXT_MAX,
 * TG_CAPTION_MAX, tg_check_text) is in core/tgtext.h, shared with the domain.
 * Sizes given in bytes (callback data, invoice payload, inline next_offset)
 * are UTF-8 bytes.
 */
#ifndef TGSHOP_TG_LIMITS_H
#define TGSHOP_TG_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"
#include "core/tgtext.h"

enum {
    TG_CALLBACK_DATA_MAX = 64,        /* callback_data, bytes (at least 1) */
    TG_INVOICE_TITLE_MAX = 32,        /* characters (at least 1) */
    TG_INVOICE_DESCRIPTION_MAX = 255, /* characters (at least 1) */
    TG_INVOICE_PAYLOAD_MAX = 128,     /* bytes (at least 1) */
    TG_CALLBACK_ANSWER_MAX = 200,     /* answerCallbackQuery text, characters */
    TG_INLINE_RESULTS_MAX = 50,       /* results of one answerInlineQuery */
    TG_INLINE_RESULT_ID_MAX = 64,     /* bytes (at least 1) */
    TG_INLINE_OFFSET_MAX = 64,        /* next_offset, bytes */
    TG_COMMAND_MAX = 32,              /* setMyCommands command, [a-z0-9_] */
    TG_COMMAND_DESCRIPTION_MAX = 256, /* characters (at least 1) */
    TG_COMMANDS_MAX = 100,            /* commands in one setMyCommands */
    TG_SECRET_TOKEN_MAX = 256,        /* setWebhook secret_token, [A-Za-z0-9_-] */
    TG_UPDATES_LIMIT_MAX = 100,       /* getUpdates limit */
};

/* Checks a byte-counted string: valid UTF-8 and min..max bytes. */
int tg_check_bytes(const char *what, const char *s, size_t min, size_t max, struct buf *why);

#endif
