/*
 * The Telegram Bot API client: TELEGRAM_API_URL/bot<token>/<method> over
 * HTTP with JSON bodies (multipart when a photo is uploaded), one typed
 * function per method tgshop uses, and a raw call for anything else.
 *
 *   struct tg_client *c;
 *   if (tg_client_new(&c, &(struct tg_client_options){.api_url = url, .token = token}, &err))
 *       ...
 *   const struct tg_message *sent;
 *   if (tg_send_message(c, &sent, chat_id, "Hello", NULL)) {
 *       const struct tg_result *r = tg_client_result(c);
 *       if (r->kind == TG_FLOOD) retry_in(r->retry_after);
 *       if (r->kind == TG_FORBIDDEN && r->reason == TG_REASON_BLOCKED) mark_blocked();
 *   }
 *
 * Threads: a client keeps one connection (one libcurl handle) and per-call
 * state, so it is used by one thread at a time; give each sending thread its
 * own client.
 *
 * Results: every function returns tg_result_code() of the call's outcome (0
 * on success and for a harmless "message is not modified") and records the
 * full struct tg_result, read with tg_client_result() until the next call.
 * Objects a call returns through `out` (which may be NULL) live in the
 * client's per-call arena: valid until the next call on the client. Copy what
 * must outlive it (a photo's file_id to cache).
 *
 * Limits (tg/limits.h) and argument rules are checked before anything is
 * sent: a violation is TG_INVALID (ERR_INVALID) with a message naming the
 * field, and no request is made.
 *
 * Flood control: with options.flood (one struct tg_flood shared by every
 * client of the process), a call first waits while a 429 holds its chat or
 * the bot back, a new message (sendMessage, sendPhoto, sendInvoice) also for the pacer (about 1/s
 * per chat, SEND_RATE overall); a 429 is reported to the shared state and the call sent again when
 * the hold is over: the only retry the client makes, safe because Telegram did nothing with a call
 * it answered 429. Waiting ends at the call's deadline (tg_client_set_deadline, else timeout_ms):
 * then the call fails with TG_FLOOD without being sent. Without options.flood, nothing waits and
 * nothing is retried. getUpdates only reports its 429s (a bot-wide hold); the poller backs off on
 * its own.
 *
 * Timeouts: each call may take timeout_ms; getUpdates gets its long-poll
 * timeout on top of that.
 */
#ifndef TGSHOP_TG_CLIENT_H
#define TGSHOP_TG_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "tg/keyboard.h"
#include "tg/limits.h"
#include "tg/result.h"
#include "tg/update.h"

#define TG_DEFAULT_API_URL "https://api.telegram.org"

struct tg_client;
struct tg_flood;

struct tg_client_options {
    const char *api_url;        /* TELEGRAM_API_URL; NULL = TG_DEFAULT_API_URL */
    const char *token;          /* the bot token "123456:AAE..."; registered as a log secret */
    int64_t timeout_ms;         /* one call, connection included; 0 = 30000 */
    int64_t connect_timeout_ms; /* 0 = 10000 */
    size_t max_reply_bytes;     /* larger replies fail as TG_SERVER; 0 = 8 MiB */
    const atomic_bool *cancel;  /* NULL, or a flag that ends calls in progress when set */
    struct tg_flood *flood;     /* flood control shared by the process's clients (tg/flood.h);
                                   NULL = none */
};

/* Creates a client (no connection is made yet). ERR_INVALID with one line in err for a
 * missing or malformed token or URL. */
int tg_client_new(struct tg_client **out, const struct tg_client_options *opt, struct buf *err);
void tg_client_free(struct tg_client *c);

/* The outcome of the last call on c. */
const struct tg_result *tg_client_result(const struct tg_client *c);

/* The latest time (clock_mono_us) the next calls on c may wait for flood control; a call that
 * could not go by then fails at once with TG_FLOOD (retry_after: the seconds still to wait).
 * 0 (the default) = timeout_ms from the start of each call. For answers that are worthless
 * when late (a callback query's, a pre-checkout query's). */
void tg_client_set_deadline(struct tg_client *c, int64_t mono_us);

/* Calls any method with params (a JSON object, NULL for none). On success *out (if not
 * NULL) is a new reference to the reply's "result" for the caller to json_decref. No
 * limits are checked: this is the way to send what the typed functions refuse. */
int tg_call(struct tg_client *c, json_t **out, const char *method, const json_t *params);

/* getMe */
int tg_get_me(struct tg_client *c, const struct tg_user **out);

/* getUpdates. The updates are left as JSON so each can be parsed into its own arena
 * (tg_update_from_json) and handed to another thread. */
struct tg_get_updates {
    int64_t offset; /* confirms every update below it; 0 = the oldest kept */
    int limit;      /* 1-100; 0 = 100 */
    int timeout_s;  /* seconds to wait for an update (long polling); 0 = answer at once */
    const char *const *allowed_updates; /* NULL-terminated; NULL = Telegram's default */
};
struct tg_updates {
    json_t *items;       /* the result array (owned): one Update object per element */
    int64_t next_offset; /* highest update_id + 1, the offset that confirms them all; the
                            request's offset when there are none */
};
int tg_get_updates(struct tg_client *c, struct tg_updates *out, const struct tg_get_updates *req);
void tg_updates_release(struct tg_updates *u);

/* setWebhook / deleteWebhook / getWebhookInfo */
struct tg_webhook {
    const char *url;          /* https URL Telegram posts updates to */
    const char *secret_token; /* NULL = none; 1-256 of A-Z a-z 0-9 _ - */
    int max_connections;      /* 1-100; 0 = Telegram's default (40) */
    bool drop_pending_updates;
    const char *const *allowed_updates; /* NULL-terminated; NULL = Telegram's default */
};
int tg_set_webhook(struct tg_client *c, const struct tg_webhook *webhook);
int tg_delete_webhook(struct tg_client *c, bool drop_pending_updates);
int tg_get_webhook_info(struct tg_client *c, const struct tg_webhook_info **out);

/* setMyCommands: the command menu, for users whose language is language_code (NULL = all). */
struct tg_command {
    const char *command;     /* 1-32 of a-z 0-9 _, without the slash */
    const char *description; /* 1-256 characters */
};
int tg_set_my_commands(struct tg_client *c, const struct tg_command *commands, size_t count,
                       const char *language_code);

/* Optional parameters of the send methods; NULL = all defaults. */
struct tg_send_options {
    enum tg_parse_mode parse_mode;
    const struct tg_keyboard *reply_markup; /* any kind (sendInvoice: inline only) */
    bool disable_notification;
    bool protect_content;
    bool disable_link_preview;
    int64_t reply_to_message_id; /* 0 = not a reply */
};

/* sendMessage: text is 1-4096 characters. */
int tg_send_message(struct tg_client *c, const struct tg_message **out, int64_t chat_id,
                    const char *text, const struct tg_send_options *opt);

/* A photo to send: a file_id Telegram already has (the cheap way), a URL Telegram fetches,
 * or an upload of a file or of bytes in memory. */
enum tg_photo_kind { TG_PHOTO_FILE_ID, TG_PHOTO_URL, TG_PHOTO_PATH, TG_PHOTO_BYTES };
struct tg_photo {
    enum tg_photo_kind kind;
    const char *ref;  /* the file_id, URL or file path */
    const void *data; /* TG_PHOTO_BYTES: the image */
    size_t len;
    const char *filename; /* TG_PHOTO_BYTES: the name to upload it under; NULL = "photo.jpg" */
};

/* sendPhoto: caption (NULL = none) is at most 1024 characters. (*out)->photo_file_id is the
 * file_id to cache for sending the same picture again. */
int tg_send_photo(struct tg_client *c, const struct tg_message **out, int64_t chat_id,
                  const struct tg_photo *photo, const char *caption,
                  const struct tg_send_options *opt);

/* The message an edit applies to: a chat's message, or a message sent in inline mode. */
struct tg_target {
    int64_t chat_id;
    int64_t message_id;
    const char *inline_message_id; /* when set, chat_id and message_id are not used */
};

/* Optional parameters of the edit methods; NULL = defaults (an edit without reply_markup
 * removes the inline keyboard, as in Telegram). */
struct tg_edit_options {
    enum tg_parse_mode parse_mode;
    const struct tg_keyboard *reply_markup; /* inline keyboards only */
    bool disable_link_preview;
};

/* The edit methods. Editing to identical content returns 0 with tg_client_result() of kind
 * TG_NOT_MODIFIED. *out is the edited message, NULL for inline-mode messages (Telegram
 * returns only true for those). */
int tg_edit_message_text(struct tg_client *c, const struct tg_message **out,
                         const struct tg_target *target, const char *text,
                         const struct tg_edit_options *opt);
int tg_edit_message_caption(struct tg_client *c, const struct tg_message **out,
                            const struct tg_target *target, const char *caption,
                            const struct tg_edit_options *opt);
/* Replaces a message's photo (and caption); (*out)->photo_file_id is the new photo's. */
int tg_edit_message_media(struct tg_client *c, const struct tg_message **out,
                          const struct tg_target *target, const struct tg_photo *photo,
                          const char *caption, const struct tg_edit_options *opt);
/* keyboard NULL removes the inline keyboard. */
int tg_edit_message_reply_markup(struct tg_client *c, const struct tg_message **out,
                                 const struct tg_target *target,
                                 const struct tg_keyboard *keyboard);

/* deleteMessage */
int tg_delete_message(struct tg_client *c, int64_t chat_id, int64_t message_id);

/* answerCallbackQuery; answer NULL just stops the button's spinner. */
struct tg_callback_answer {
    const char *text; /* 0-200 characters; a toast, or an alert when show_alert */
    bool show_alert;
    const char *url;
    int cache_time; /* seconds */
};
int tg_answer_callback_query(struct tg_client *c, const char *callback_query_id,
                             const struct tg_callback_answer *answer);

/* answerInlineQuery: at most 50 results. */
enum tg_inline_result_type { TG_INLINE_ARTICLE, TG_INLINE_PHOTO };
struct tg_inline_result {
    enum tg_inline_result_type type;
    const char *id;    /* 1-64 bytes, unique within the answer */
    const char *title; /* required for articles */
    const char *description;
    const char *thumbnail_url;
    enum tg_parse_mode parse_mode;          /* of message_text or caption */
    const struct tg_keyboard *reply_markup; /* inline only */
    /* TG_INLINE_ARTICLE: the message sent when the user picks it (1-4096 characters) */
    const char *message_text;
    /* TG_INLINE_PHOTO: a cached file_id, else photo_url (then thumbnail_url is required) */
    const char *photo_file_id;
    const char *photo_url;
    const char *caption;
};
struct tg_inline_answer {
    int cache_time;          /* seconds; 0 = Telegram's default (300) */
    bool is_personal;        /* cache per user */
    const char *next_offset; /* NULL or "" = no more results; at most 64 bytes */
};
int tg_answer_inline_query(struct tg_client *c, const char *inline_query_id,
                           const struct tg_inline_result *results, size_t count,
                           const struct tg_inline_answer *opt);

/* sendInvoice. Telegram Stars: currency "XTR", no provider token, exactly one price. */
struct tg_price {
    const char *label;
    int64_t amount; /* minor units */
};
struct tg_invoice {
    const char *title;          /* 1-32 characters */
    const char *description;    /* 1-255 characters */
    const char *payload;        /* 1-128 bytes, returned in the payment updates */
    const char *provider_token; /* NULL or "" for Telegram Stars */
    const char *currency;       /* ISO 4217 code or XTR */
    const struct tg_price *prices;
    size_t price_count;
    const char *photo_url;
    bool need_name;
    bool need_phone_number;
    bool need_shipping_address;
};
int tg_send_invoice(struct tg_client *c, const struct tg_message **out, int64_t chat_id,
                    const struct tg_invoice *invoice, const struct tg_send_options *opt);

/* answerPreCheckoutQuery: ok, or a refusal with the error_message shown to the user. Telegram
 * waits 10 seconds for it. */
int tg_answer_pre_checkout_query(struct tg_client *c, const char *pre_checkout_query_id, bool ok,
                                 const char *error_message);

/* getChatMember: chat is a numeric id ("-1001234") or a public "@username". */
int tg_get_chat_member(struct tg_client *c, const struct tg_chat_member **out, const char *chat,
                       int64_t user_id);

/* sendChatAction: "typing…" and friends for about 5 seconds. */
enum tg_chat_action {
    TG_ACTION_TYPING,
    TG_ACTION_UPLOAD_PHOTO,
    TG_ACTION_UPLOAD_DOCUMENT,
    TG_ACTION_FIND_LOCATION,
};
int tg_send_chat_action(struct tg_client *c, int64_t chat_id, enum tg_chat_action action);

#endif
