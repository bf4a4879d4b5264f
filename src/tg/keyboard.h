/*
 * Keyboards attached to messages (reply_markup), built row by row:
 *
 *   struct tg_keyboard *kb = tg_keyboard_inline();
 *   tg_keyboard_callback(kb, "◀", "cat:3:p1");
 *   tg_keyboard_callback(kb, "▶", "cat:3:p3");
 *   tg_keyboard_row(kb);                          // next buttons go on a new row
 *   tg_keyboard_url(kb, "Site", "https://example.com");
 *   tg_send_message(c, NULL, chat, "Pick one", &(struct tg_send_options){.reply_markup = kb});
 *   tg_keyboard_free(kb);
 *
 * Errors are sticky, like struct buf's overflow: a button that breaks a rule
 * (empty text, callback_data outside 1-64 bytes, a button kind the keyboard
 * type does not allow) is not added, the keyboard remembers the first
 * problem, and every request carrying it is refused with TG_INVALID and that
 * message. So building code need not check each call; tg_keyboard_error()
 * tells it when it wants to know. Empty rows are dropped.
 */
#ifndef TGSHOP_TG_KEYBOARD_H
#define TGSHOP_TG_KEYBOARD_H

#include <stdbool.h>

#include <jansson.h>

struct tg_keyboard;

/* An inline keyboard (buttons under the message). */
struct tg_keyboard *tg_keyboard_inline(void);
/* A reply keyboard (replaces the user's keyboard): resize fits it to its buttons, one_time
 * hides it after a press. */
struct tg_keyboard *tg_keyboard_reply(bool resize, bool one_time);
/* Removes the reply keyboard the user has (no buttons can be added). */
struct tg_keyboard *tg_keyboard_remove(void);
void tg_keyboard_free(struct tg_keyboard *kb);

/* Starts a new row. */
void tg_keyboard_row(struct tg_keyboard *kb);

/* Inline buttons. */
void tg_keyboard_callback(struct tg_keyboard *kb, const char *text, const char *data);
void tg_keyboard_url(struct tg_keyboard *kb, const char *text, const char *url);
/* Puts "@bot query" into the user's input field in the same chat (inline mode). */
void tg_keyboard_switch_inline(struct tg_keyboard *kb, const char *text, const char *query);
/* The Pay button of an invoice: must be the first button of the first row. */
void tg_keyboard_pay(struct tg_keyboard *kb, const char *text);

/* Reply buttons: plain text (pressing sends the text) and the share-contact button. */
void tg_keyboard_text(struct tg_keyboard *kb, const char *text);
void tg_keyboard_contact(struct tg_keyboard *kb, const char *text);

/* The first problem met while building, or NULL. */
const char *tg_keyboard_error(const struct tg_keyboard *kb);
/* True for inline keyboards (the only kind the edit methods and invoices accept). */
bool tg_keyboard_is_inline(const struct tg_keyboard *kb);
/* The reply_markup object (borrowed; valid while kb lives), NULL when kb has an error. */
const json_t *tg_keyboard_markup(const struct tg_keyboard *kb);

#endif
