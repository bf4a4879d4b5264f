/*
 * Telegram objects as C structs, parsed from the Bot API's JSON: updates (from
 * getUpdates or a webhook body), and the messages, users and chat members the
 * methods return.
 *
 * Everything a parse produces is allocated from the arena the caller passes
 * (one per update is the natural choice) and lives until the arena is
 * released. Strings are NUL-terminated UTF-8 (jansson rejects invalid UTF-8
 * and NUL bytes); optional strings and objects that are absent are NULL,
 * absent numbers 0.
 *
 * Parsing is strict about what tgshop reads and lenient about the rest:
 * unknown fields are ignored, but a required field that is missing or any
 * read field of the wrong type fails the parse with ERR_INVALID and a message
 * naming the field ("message.chat.id: expected an integer"). Update types
 * tgshop does not handle (edited_message, channel_post, ...) parse fine as
 * TG_UPDATE_UNKNOWN with their name, so the caller can confirm them.
 */
#ifndef TGSHOP_TG_UPDATE_H
#define TGSHOP_TG_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/arena.h"
#include "core/buf.h"

struct tg_user {
    int64_t id;
    bool is_bot;
    const char *first_name;
    const char *last_name;
    const char *username;
    const char *language_code;
};

struct tg_chat {
    int64_t id;
    const char *type; /* "private", "group", "supergroup" or "channel" */
    const char *title;
    const char *username;
};

/* A formatting or command span of a text; offset and length in UTF-16 code units. */
struct tg_entity {
    const char *type; /* "bot_command", "url", "bold", ... */
    int64_t offset;
    int64_t length;
};

struct tg_contact {
    const char *phone_number;
    const char *first_name;
    const char *last_name;
    int64_t user_id; /* 0 when the contact is not a Telegram user */
};

struct tg_successful_payment {
    const char *currency;
    int64_t total_amount; /* minor units */
    const char *invoice_payload;
    const char *telegram_payment_charge_id;
    const char *provider_payment_charge_id;
};

struct tg_message {
    int64_t message_id;
    int64_t date; /* 0 for a message the bot can no longer access */
    struct tg_chat chat;
    const struct tg_user *from; /* NULL in channels */
    const char *text;
    const char *caption;
    const struct tg_entity *entities; /* of text, or of caption for media */
    size_t entity_count;
    /* A bot_command entity at the start of text: "/start", the bot it was addressed to
     * ("/start@shop_bot" → "shop_bot", else NULL) and the rest of the text after blanks
     * ("" when none). All NULL without a leading command. */
    const char *command;
    const char *command_bot;
    const char *command_args;
    const char *photo_file_id; /* the largest size of a photo message */
    const struct tg_contact *contact;
    const struct tg_successful_payment *successful_payment;
};

struct tg_callback_query {
    const char *id;
    struct tg_user from;
    const struct tg_message *message; /* NULL for buttons of inline-mode messages */
    const char *inline_message_id;    /* set for those instead */
    const char *data;                 /* NULL for game buttons */
};

struct tg_inline_query {
    const char *id;
    struct tg_user from;
    const char *query;
    const char *offset;
};

struct tg_pre_checkout_query {
    const char *id;
    struct tg_user from;
    const char *currency;
    int64_t total_amount;
    const char *invoice_payload;
};

enum tg_member_status {
    TG_MEMBER_UNKNOWN,
    TG_MEMBER_CREATOR,
    TG_MEMBER_ADMINISTRATOR,
    TG_MEMBER_MEMBER,
    TG_MEMBER_RESTRICTED,
    TG_MEMBER_LEFT,
    TG_MEMBER_KICKED,
};

struct tg_chat_member {
    enum tg_member_status status;
    struct tg_user user;
    bool is_member; /* restricted members: still in the chat */
};

/* True when the member is in the chat: creator, administrator, member, or restricted and
 * still a member. */
bool tg_chat_member_is_present(const struct tg_chat_member *m);

struct tg_chat_member_updated {
    struct tg_chat chat;
    struct tg_user from;
    int64_t date;
    struct tg_chat_member old_member;
    struct tg_chat_member new_member;
};

struct tg_webhook_info {
    const char *url; /* "" when no webhook is set */
    int64_t pending_update_count;
    int64_t last_error_date; /* 0 when deliveries never failed */
    const char *last_error_message;
    int64_t max_connections;
};

enum tg_update_type {
    TG_UPDATE_UNKNOWN, /* a kind tgshop does not handle: see type_name */
    TG_UPDATE_MESSAGE,
    TG_UPDATE_CALLBACK_QUERY,
    TG_UPDATE_INLINE_QUERY,
    TG_UPDATE_PRE_CHECKOUT_QUERY,
    TG_UPDATE_MY_CHAT_MEMBER,
};

struct tg_update {
    int64_t update_id;
    enum tg_update_type type;
    const char *type_name; /* the update's field name: "message", "edited_message", ... */
    /* Exactly the one matching type is set. */
    const struct tg_message *message;
    const struct tg_callback_query *callback_query;
    const struct tg_inline_query *inline_query;
    const struct tg_pre_checkout_query *pre_checkout_query;
    const struct tg_chat_member_updated *my_chat_member;
};

/* Parses an Update from JSON text (a webhook body). On ERR_INVALID, err has one line and
 * out->update_id is still set when the text had a readable one (so the update can be
 * confirmed and skipped); otherwise it is 0. */
int tg_update_parse(struct tg_update *out, struct arena *a, const char *json, size_t len,
                    struct buf *err);
/* The same from an already parsed element of getUpdates' result. */
int tg_update_from_json(struct tg_update *out, struct arena *a, const json_t *update,
                        struct buf *err);

/* Parses the objects the methods return. */
int tg_message_from_json(struct tg_message *out, struct arena *a, const json_t *message,
                         struct buf *err);
int tg_user_from_json(struct tg_user *out, struct arena *a, const json_t *user, struct buf *err);
int tg_chat_member_from_json(struct tg_chat_member *out, struct arena *a, const json_t *member,
                             struct buf *err);
int tg_webhook_info_from_json(struct tg_webhook_info *out, struct arena *a, const json_t *info,
                              struct buf *err);

/* The name of a status as the Bot API spells it ("member"); "unknown" for others. */
const char *tg_member_status_name(enum tg_member_status status);

#endif
