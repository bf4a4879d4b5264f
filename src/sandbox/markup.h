/*
 * Message formatting as Telegram applies it: text with a parse_mode becomes
 * plain text plus MessageEntity objects, offsets and lengths counted in UTF-16
 * code units. "HTML" is parsed with Telegram's tag set and error messages;
 * "Markdown" and "MarkdownV2" are accepted but kept as plain text (see
 * docs/sandbox.md). Users' texts get bot_command entities for "/commands".
 */
#ifndef TGSHOP_SANDBOX_MARKUP_H
#define TGSHOP_SANDBOX_MARKUP_H

#include <jansson.h>
#include <stddef.h>

#include "core/buf.h"

/* Parses text; parse_mode NULL or "" means none. Appends the plain text to
 * out_text and sets *out_entities to a new array (maybe empty). On bad markup
 * returns ERR_INVALID with Telegram's description in err. */
int markup_parse(const char *text, size_t len, const char *parse_mode, struct buf *out_text,
                 json_t **out_entities, struct buf *err);

/* The bot_command entities of a user's text ("/start", "/help@shop_bot"), as
 * a new array, or NULL when there are none. */
json_t *markup_commands(const char *text, size_t len);

#endif
