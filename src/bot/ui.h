/*
 * Showing screens: the bot edits the message whose button was pressed when
 * it can (the chat stays tidy, like a small app), and sends a new message
 * when it cannot (a text screen after a photo card, a message too old to
 * edit). Every send notices a user who blocked the bot and marks them.
 * Texts are HTML (see texts.h).
 */
#ifndef TGSHOP_BOT_UI_H
#define TGSHOP_BOT_UI_H

#include <stdbool.h>

#include "bot/context.h"
#include "tg/client.h"

/* Shows a text screen in place of the pressed message, or as a new message. */
int ui_show(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb);
/* Edits the pressed message's text or caption and keyboard in place (quantity buttons),
 * falling back to ui_show. */
int ui_update(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb);
/* Shows a photo screen: a new photo message replacing the pressed one. *out_file_id (may be
 * NULL) gets the file_id Telegram gave the photo (in c->arena). */
int ui_show_photo(struct bot_ctx *c, const struct tg_photo *photo, const char *caption_html,
                  const struct tg_keyboard *kb, const char **out_file_id);
/* Sends a new message (kb may be a reply keyboard). */
int ui_send(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb);
/* Answers the pressed button once (a toast, or an alert): later calls do nothing. */
void ui_answer(struct bot_ctx *c, const char *text, bool alert);
/* Same with a text key of the user's language. */
void ui_answer_key(struct bot_ctx *c, const char *key, bool alert);

/* Notes the outcome of a call to Telegram: a 403 "blocked" marks the customer. Returns rc. */
int ui_check(struct bot_ctx *c, int rc);

#endif
