/*
 * The Bot API's size limits, checked before a request is sent so the caller
 * gets a clear ERR_INVALID with a message instead of a 400 from Telegram.
 *
 * Telegram counts "characters" in UTF-16 code units, after entity parsing:
 * with parse_mode HTML the tags are not counted and an entity like &amp;
 * counts as the one character it stands for. MarkdownV2 text is counted raw,
 * an upper bound of what Telegram counts. Sizes given in bytes (callback
 * data, invoice payload, inline next_offset) are UTF-8 bytes.
 */
#ifndef TGSHOP_TG_LIMITS_H
#define TGSHOP_TG_LIMITS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

enum {
    TG_TEXT_MAX = 4096,               /* message text, characters */
    TG_CAPTION_MAX = 1024,            /* photo caption, characters */
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

/* How Telegram parses a text for formatting. */
enum tg_parse_mode { TG_PARSE_NONE, TG_PARSE_HTML, TG_PARSE_MARKDOWN_V2 };

/* The Bot API's name of a parse mode ("HTML", "MarkdownV2"), NULL for none. */
const char *tg_parse_mode_name(enum tg_parse_mode mode);

/* Characters (UTF-16 code units) Telegram counts in valid UTF-8 text after parsing it with
 * mode; *out_blank tells whether none of them is visible (empty or only white space). */
size_t tg_text_length(const char *text, size_t len, enum tg_parse_mode mode, bool *out_blank);

/* Checks a text for a field called what: valid UTF-8, at most max characters as Telegram
 * counts them, and not blank when required. 0, or ERR_INVALID with one line in why. */
int tg_check_text(const char *what, const char *text, enum tg_parse_mode mode, bool required,
                  size_t max, struct buf *why);
/* Checks a byte-counted string: valid UTF-8 and min..max bytes. */
int tg_check_bytes(const char *what, const char *s, size_t min, size_t max, struct buf *why);

#endif
