/*
 * The shop's texts for customers in Russian and English, from the locale files
 * src/shop/locales/<lang>.json embedded in the binary: the bot's words, and the
 * messages the admin panel sends to customers (an order's new status), so both say
 * the same. A text may hold {name} placeholders and HTML markup (messages are
 * sent with parse mode HTML); values put into placeholders are HTML-escaped, so
 * text from users and staff can never inject markup.
 *
 * texts_init() loads and checks the files once (every locale must have every
 * key of every other, and every placeholder it uses); afterwards everything
 * is read-only and thread-safe.
 */
#ifndef TGSHOP_SHOP_TEXTS_H
#define TGSHOP_SHOP_TEXTS_H

#include "core/buf.h"
#include "shop/order.h"

/* Loads the locales; ERR_INVALID with a message when a file is broken. Idempotent. */
int texts_init(struct buf *err);

/* The locale for a Telegram language_code ("ru", "en-US", ...): its language when there is
 * a locale for it, else default_lang. */
const char *texts_lang(const char *language_code, const char *default_lang);

/* The raw text (no substitution); the key itself when missing, so a gap shows, not crashes. */
const char *text_get(const char *lang, const char *key);

/* Appends the text with {name} placeholders replaced. The arguments after key are pairs of
 * (name, value) strings ending with NULL; values are HTML-escaped. A placeholder without a
 * value is left as it is. */
void text_render(struct buf *out, const char *lang, const char *key, ...) __attribute__((sentinel));

/* An order status in words ("shipped", "отправлен"): the text "status_<name>". */
const char *text_order_status(const char *lang, enum order_status status);

#endif
