/*
 * Showing screens: the bot edits the message whose button was pressed when
 * it can (the chat stays tidy, like a small app), and replaces it when
 * Telegram cannot edit it into the new screen. The kind of the pressed
 * message decides:
 *
 *   text  → text   editMessageText
 *   photo → photo  editMessageMedia (the photo and its caption)
 *   text  → photo  sendPhoto, then the old message is deleted
 *   photo → text   sendMessage, then the old message is deleted
 *   photo or text, same kind, in place (quantity buttons): editMessageCaption / editMessageText
 *
 * editMessageText is never sent to a photo. A message too old to edit is
 * replaced the same way. The new message becomes the screen for the rest of
 * the update.
 *
 * No edit is sent when nothing would change: each worker remembers what the
 * last screen of every chat shows (struct ui_screens, a hash of the text, the
 * photo and the keyboard) and compares before editing. Every send notices a
 * user who blocked the bot and marks them. Texts are HTML (see texts.h).
 */
#ifndef TGSHOP_BOT_UI_H
#define TGSHOP_BOT_UI_H

#include <stdbool.h>

#include "bot/context.h"
#include "tg/client.h"

/* What each chat's screen message shows, for one worker (the chats it serves). */
struct ui_screens;
struct ui_screens *ui_screens_new(void);
void ui_screens_free(struct ui_screens *s);

/* Shows a text screen in place of the pressed message, or as a new message. */
int ui_show(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb);
/* Edits the pressed message's text or caption and keyboard in place (quantity buttons),
 * falling back to ui_show. */
int ui_update(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb);
/* Shows a photo screen: the pressed photo's media edited, else a new photo message replacing
 * the pressed one. *out_file_id (may be NULL) gets the file_id Telegram gave the photo (in
 * c->arena). */
int ui_show_photo(struct bot_ctx *c, const struct tg_photo *photo, const char *caption_html,
                  const struct tg_keyboard *kb, const char **out_file_id);
/* Sends a new message (kb may be a reply keyboard). */
int ui_send(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb);
/* Answers the pressed button once (a toast, or an alert): later calls do nothing. An answer
 * held back by a 429 for more than a few seconds after the press is not sent. */
void ui_answer(struct bot_ctx *c, const char *text, bool alert);
/* Same with a text key of the user's language. */
void ui_answer_key(struct bot_ctx *c, const char *key, bool alert);

/* Calls to Telegram from now on wait for flood control (tg/flood.h) at most until ms after
 * the update came in, then fail at once with TG_FLOOD; 0 = back to the client's default (replies
 * wait as long as a call may take). */
void ui_deadline(struct bot_ctx *c, int64_t ms);

/* Notes the outcome of a call to Telegram: a 403 "blocked" marks the customer. Returns rc. */
int ui_check(struct bot_ctx *c, int rc);

#endif
