#include "sandbox/botapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/image.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "http/server.h"
#include "sandbox/faults.h"
#include "sandbox/markup.h"
#include "core/banned.h"

enum {
    MAX_TEXT = 4096,
    MAX_CAPTION = 1024,
    MAX_CALLBACK_DATA = 64,
    MAX_CALLBACK_TEXT = 200,
    MAX_INVOICE_TITLE = 32,
    MAX_INVOICE_DESCRIPTION = 255,
    MAX_INVOICE_PAYLOAD = 128,
    MAX_INLINE_RESULTS = 50,
    MAX_NEXT_OFFSET = 64,
    MAX_PHOTO_BYTES = 10 << 20,
    MAX_POLL_SECONDS = 50,
    DELETE_WINDOW_S = 48 * 3600,
};

static const char QUERY_TOO_OLD[] =
    "Bad Request: query is too old and response timeout expired or query ID is invalid";

/* One method call in progress. */
struct call {
    struct world *w;
    const struct form *f;
    struct botapi_reply *rep;
};

void botapi_reply_init(struct botapi_reply *rep)
{
    rep->status = 200;
    rep->result = NULL;
    buf_init(&rep->description, 0);
    rep->retry_after = 0;
}

void botapi_reply_release(struct botapi_reply *rep)
{
    json_decref(rep->result);
    buf_release(&rep->description);
    botapi_reply_init(rep);
}

void botapi_fail(struct botapi_reply *rep, int status, const char *description)
{
    json_decref(rep->result);
    rep->result = NULL;
    rep->status = status;
    buf_reset(&rep->description);
    buf_adds(&rep->description, description);
}

static int fail(struct call *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct call *c, int status, const char *fmt, ...)
{
    botapi_fail(c->rep, status, "");
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&c->rep->description, fmt, ap);
    va_end(ap);
    return -1;
}

static int succeed(struct call *c, json_t *result)
{
    c->rep->status = 200;
    c->rep->result = result;
    return 0;
}

/* ---- parameters ---------------------------------------------------------------------- */

/* A non-empty parameter, or NULL. */
static const char *param(struct call *c, const char *name)
{
    const struct form_field *field = form_get(c->f, name);
    return field && field->len ? field->value : NULL;
}

static size_t param_len(struct call *c, const char *name)
{
    const struct form_field *field = form_get(c->f, name);
    return field ? field->len : 0;
}

static bool param_bool(struct call *c, const char *name)
{
    const char *v = param(c, name);
    bool value = false;
    return v && !parse_bool(v, &value) && value;
}

/* An optional integer parameter: 0 absent (out = fallback), 1 present, -1 malformed (reported). */
static int param_int(struct call *c, const char *name, int64_t fallback, int64_t *out)
{
    const char *v = param(c, name);
    *out = fallback;
    if (!v)
        return 0;
    if (parse_int64(v, out))
        return fail(c, 400, "Bad Request: invalid %s specified", name);
    return 1;
}

/* A JSON parameter (objects and arrays arrive serialized), or NULL with *bad set. */
static json_t *param_json(struct call *c, const char *name, bool *bad)
{
    const char *v = param(c, name);
    *bad = false;
    if (!v)
        return NULL;
    json_t *value = json_loadb(v, param_len(c, name), 0, NULL);
    *bad = value == NULL;
    return value;
}

static bool valid_utf8(struct call *c, const char *name)
{
    const char *v = param(c, name);
    if (v && !utf8_valid(v, param_len(c, name))) {
        fail(c, 400, "Bad Request: strings must be encoded in UTF-8");
        return false;
    }
    return true;
}

/* ---- chats and access ---------------------------------------------------------------- */

/* The chat named by chat_id (a number or a channel's @username), or NULL. */
static struct sb_chat *find_chat(struct call *c)
{
    const char *id = param(c, "chat_id");
    int64_t chat_id;
    if (!id)
        return NULL;
    if (id[0] == '@')
        return world_chat_by_username(c->w, id);
    return parse_int64(id, &chat_id) ? NULL : world_chat(c->w, chat_id);
}

static struct sb_chat *resolve_chat(struct call *c)
{
    if (!param(c, "chat_id")) {
        fail(c, 400, "Bad Request: chat_id is empty");
        return NULL;
    }
    struct sb_chat *chat = find_chat(c);
    if (!chat)
        fail(c, 400, "Bad Request: chat not found");
    return chat;
}

enum access { ACCESS_SEND_TEXT, ACCESS_SEND_PHOTO, ACCESS_MODIFY };

/* Whether the bot may act in the chat; reports Telegram's refusal otherwise. */
static bool may_act(struct call *c, struct sb_chat *chat, enum access what)
{
    if (chat->is_channel) {
        if (chat->bot_status == MEMBER_LEFT || chat->bot_status == MEMBER_KICKED) {
            fail(c, 403, "Forbidden: bot is not a member of the channel chat");
        } else if (chat->bot_status != MEMBER_ADMINISTRATOR && chat->bot_status != MEMBER_CREATOR) {
            fail(c, 400, "Bad Request: %s",
                 what == ACCESS_SEND_PHOTO ? "not enough rights to send photos to the chat"
                 : what == ACCESS_MODIFY   ? "need administrator rights in the channel chat"
                                           : "not enough rights to send text messages to the chat");
        } else {
            return true;
        }
        return false;
    }
    struct sb_user *u = world_user(c->w, chat->id);
    if (u->is_bot)
        fail(c, 403, "Forbidden: bot can't send messages to bots");
    else if (u->deactivated)
        fail(c, 403, "Forbidden: user is deactivated");
    else if (u->blocked)
        fail(c, 403, "Forbidden: bot was blocked by the user");
    else if (!u->started && what != ACCESS_MODIFY)
        fail(c, 403, "Forbidden: bot can't initiate conversation with a user");
    else
        return true;
    chat->forbidden++;
    return false;
}

/* ---- content validation -------------------------------------------------------------- */

static bool url_allowed(const char *url)
{
    return !strncmp(url, "https://", 8) || !strncmp(url, "http://", 7) || !strncmp(url, "tg://", 5);
}

static int check_inline_button(struct call *c, json_t *button)
{
    static const char *const actions[] = {"url",
                                          "callback_data",
                                          "switch_inline_query",
                                          "switch_inline_query_current_chat",
                                          "pay",
                                          "login_url",
                                          "web_app",
                                          "switch_inline_query_chosen_chat",
                                          "callback_game",
                                          "copy_text"};
    if (!json_is_object(button))
        return fail(c, 400,
                    "Bad Request: can't parse inline keyboard button: "
                    "InlineKeyboardButton must be an Object");
    if (!json_is_string(json_object_get(button, "text")))
        return fail(c, 400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Field \"text\" must be of type String");
    int count = 0;
    for (size_t i = 0; i < sizeof actions / sizeof *actions; i++)
        count += json_object_get(button, actions[i]) != NULL;
    if (!count)
        return fail(c, 400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard");
    json_t *data = json_object_get(button, "callback_data");
    if (data) {
        if (!json_is_string(data))
            return fail(c, 400,
                        "Bad Request: can't parse inline keyboard button: "
                        "Field \"callback_data\" must be of type String");
        size_t len = json_string_length(data);
        if (len < 1 || len > MAX_CALLBACK_DATA)
            return fail(c, 400, "Bad Request: BUTTON_DATA_INVALID");
    }
    json_t *url = json_object_get(button, "url");
    if (url && (!json_is_string(url) || !url_allowed(json_string_value(url))))
        return fail(c, 400, "Bad Request: BUTTON_URL_INVALID");
    return 0;
}

/* Checks that rows is an array of arrays and each button passes check. */
static int check_rows(struct call *c, json_t *rows, const char *field, const char *type,
                      int (*check)(struct call *, json_t *))
{
    size_t i, k;
    json_t *row, *button;
    if (!json_is_array(rows))
        return fail(c, 400, "Bad Request: field \"%s\" of the %s should be an Array of Arrays",
                    field, type);
    json_array_foreach(rows, i, row)
    {
        if (!json_is_array(row))
            return fail(c, 400, "Bad Request: field \"%s\" of the %s should be an Array of Arrays",
                        field, type);
        json_array_foreach(row, k, button)
        {
            if (check(c, button))
                return -1;
        }
    }
    return 0;
}

static int check_reply_button(struct call *c, json_t *button)
{
    if (json_is_string(button) ||
        (json_is_object(button) && json_is_string(json_object_get(button, "text"))))
        return 0;
    return fail(c, 400,
                "Bad Request: can't parse keyboard button: "
                "Field \"text\" must be of type String");
}

/* The reply_markup parameter: *out is NULL when absent, else the validated object. */
static int parse_markup(struct call *c, json_t **out, bool inline_only)
{
    bool bad;
    json_t *markup = param_json(c, "reply_markup", &bad);
    *out = NULL;
    if (!markup && !bad)
        return 0;
    int rc = 0;
    json_t *rows;
    if (!json_is_object(markup))
        rc = fail(c, 400, "Bad Request: can't parse reply keyboard markup JSON object");
    else if ((rows = json_object_get(markup, "inline_keyboard")))
        rc = check_rows(c, rows, "inline_keyboard", "InlineKeyboardMarkup", check_inline_button);
    else if (inline_only)
        rc = fail(c, 400, "Bad Request: inline keyboard expected");
    else if ((rows = json_object_get(markup, "keyboard")))
        rc = check_rows(c, rows, "keyboard", "ReplyKeyboardMarkup", check_reply_button);
    else if (!json_is_true(json_object_get(markup, "remove_keyboard")) &&
             !json_is_true(json_object_get(markup, "force_reply")))
        rc = fail(c, 400, "Bad Request: can't parse reply keyboard markup JSON object");
    if (rc) {
        json_decref(markup);
        return rc;
    }
    *out = markup;
    return 0;
}

/* Text or caption with its parse_mode / entities into msg[field] and msg[entities_field]. */
static int format_text(struct call *c, json_t *msg, const char *name, const char *mode_name,
                       const char *entities_name, const char *field, const char *entities_field,
                       size_t max_units)
{
    if (!valid_utf8(c, name))
        return -1;
    const char *raw = param(c, name);
    if (!raw)
        return 0;
    struct buf text = BUF_INIT, err = BUF_INIT;
    json_t *entities = NULL;
    bool bad;
    json_t *given = param_json(c, entities_name, &bad);
    int rc = 0;
    if (bad || (given && !json_is_array(given))) {
        rc = fail(c, 400, "Bad Request: can't parse entities JSON object");
    } else if (given) {
        buf_add(&text, raw, param_len(c, name));
        entities = json_incref(given);
    } else if (markup_parse(raw, param_len(c, name), param(c, mode_name), &text, &entities, &err)) {
        rc = fail(c, 400, "%s", err.data);
    }
    if (!rc && utf8_utf16_units(text.data, text.len) > max_units)
        rc = fail(c, 400, "Bad Request: %s",
                  max_units == MAX_TEXT ? "message is too long" : "message caption is too long");
    if (!rc && text.len) {
        json_object_set_new(msg, field, json_stringn(text.data, text.len));
        if (json_array_size(entities))
            json_object_set(msg, entities_field, entities);
    }
    json_decref(given);
    json_decref(entities);
    buf_release(&text);
    buf_release(&err);
    return rc;
}

static bool blank(const char *s)
{
    for (; s && *s; s++)
        if (!strchr(" \t\r\n", *s))
            return false;
    return true;
}

/* ---- photos ---------------------------------------------------------------------------- */

/* Resolves a photo given as an upload, "attach://name", an http(s) URL or a file_id. */
static struct sb_photo *resolve_photo(struct call *c, const char *value, const char *upload_name)
{
    const struct form_field *upload = upload_name ? form_file(c->f, upload_name) : NULL;
    if (!upload && value && !strncmp(value, "attach://", 9))
        upload = form_file(c->f, value + 9);
    if (upload) {
        struct image_info info;
        if (!upload->len) {
            fail(c, 400, "Bad Request: file must be non-empty");
        } else if (upload->len > MAX_PHOTO_BYTES) {
            fail(c, 400, "Bad Request: file is too big");
        } else if (image_sniff((const unsigned char *)upload->value, upload->len, &info)) {
            fail(c, 400, "Bad Request: IMAGE_PROCESS_FAILED");
        } else {
            return world_add_photo(c->w, info.width, info.height, upload->value, upload->len,
                                   info.mime, NULL);
        }
        return NULL;
    }
    if (!value || !strncmp(value, "attach://", 9)) {
        fail(c, 400, "Bad Request: there is no photo in the request");
        return NULL;
    }
    if (!strncmp(value, "http://", 7) || !strncmp(value, "https://", 8))
        return world_add_photo(c->w, 800, 800, NULL, 0, NULL, value);
    struct sb_photo *photo = world_photo_by_file_id(c->w, value);
    if (!photo) {
        size_t id_chars = strspn(value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789-_");
        fail(c, 400, "Bad Request: %s",
             id_chars == strlen(value) && id_chars >= 20
                 ? "invalid file id"
                 : "wrong file identifier/HTTP URL specified");
    }
    return photo;
}

/* ---- sending --------------------------------------------------------------------------- */

static json_t *new_bot_message(struct call *c, struct sb_chat *chat)
{
    json_t *msg = json_object();
    if (chat->is_channel)
        json_object_set_new(msg, "sender_chat", world_chat_json(c->w, chat));
    else
        json_object_set_new(msg, "from", world_bot_json(c->w, false));
    json_object_set_new(msg, "chat", world_chat_json(c->w, chat));
    return msg;
}

static int add_reply_to(struct call *c, struct sb_chat *chat, json_t *msg)
{
    int64_t reply_to = 0;
    bool bad;
    json_t *params = param_json(c, "reply_parameters", &bad);
    if (json_is_object(params))
        reply_to = json_integer_value(json_object_get(params, "message_id"));
    json_decref(params);
    if (!reply_to && param_int(c, "reply_to_message_id", 0, &reply_to) < 0)
        return -1;
    if (!reply_to)
        return 0;
    json_t *target = world_message(chat, reply_to);
    if (!target)
        return fail(c, 400, "Bad Request: message to be replied not found");
    json_t *copy = world_message_view(target);
    json_t *shallow = json_copy(copy);
    json_decref(copy);
    json_object_del(shallow, "reply_to_message");
    json_object_set_new(msg, "reply_to_message", shallow);
    return 0;
}

/* The common end of every send: rate limit, markup, store, count. */
static int deliver(struct call *c, struct sb_chat *chat, json_t *msg, json_t *markup)
{
    int retry_after = world_rate_take(c->w, chat);
    if (retry_after) {
        chat->rate_limited++;
        json_decref(msg);
        json_decref(markup);
        flood_ban(c->w, chat, retry_after);
        c->rep->retry_after = retry_after;
        return fail(c, 429, "Too Many Requests: retry after %d", retry_after);
    }
    if (markup && json_object_get(markup, "inline_keyboard")) {
        json_object_set_new(msg, "reply_markup", markup);
    } else if (markup && !chat->is_channel) {
        json_decref(chat->reply_keyboard);
        chat->reply_keyboard = json_object_get(markup, "keyboard") ? markup : NULL;
        if (!chat->reply_keyboard)
            json_decref(markup);
    } else {
        json_decref(markup);
    }
    json_t *stored = world_add_message(c->w, chat, msg);
    chat->delivered++;
    world_note_delivery(chat);
    return succeed(c, world_message_view(stored));
}

static int send_message(struct call *c)
{
    struct sb_chat *chat = resolve_chat(c);
    if (!chat || !may_act(c, chat, ACCESS_SEND_TEXT))
        return -1;
    const char *text = param(c, "text");
    if (blank(text))
        return fail(c, 400, "Bad Request: message text is empty");
    json_t *msg = new_bot_message(c, chat), *markup = NULL;
    if (format_text(c, msg, "text", "parse_mode", "entities", "text", "entities", MAX_TEXT) ||
        add_reply_to(c, chat, msg) || parse_markup(c, &markup, false)) {
        json_decref(msg);
        return -1;
    }
    if (blank(json_string_value(json_object_get(msg, "text")))) {
        json_decref(msg);
        json_decref(markup);
        return fail(c, 400, "Bad Request: message text is empty");
    }
    return deliver(c, chat, msg, markup);
}

static int send_photo(struct call *c)
{
    struct sb_chat *chat = resolve_chat(c);
    if (!chat || !may_act(c, chat, ACCESS_SEND_PHOTO))
        return -1;
    json_t *msg = new_bot_message(c, chat), *markup = NULL;
    struct sb_photo *photo = NULL;
    if (format_text(c, msg, "caption", "parse_mode", "caption_entities", "caption",
                    "caption_entities", MAX_CAPTION) ||
        add_reply_to(c, chat, msg) || parse_markup(c, &markup, false) ||
        !(photo = resolve_photo(c, param(c, "photo"), "photo"))) {
        json_decref(msg);
        json_decref(markup);
        return -1;
    }
    json_object_set(msg, "photo", photo->sizes);
    return deliver(c, chat, msg, markup);
}

static int check_length(struct call *c, const char *name, size_t max, bool bytes, const char *error)
{
    const char *v = param(c, name);
    if (!v)
        return fail(c, 400, "Bad Request: parameter \"%s\" is required", name);
    size_t len = bytes ? param_len(c, name) : utf8_utf16_units(v, param_len(c, name));
    if (len > max)
        return fail(c, 400, "Bad Request: %s", error);
    return 0;
}

static int parse_prices(struct call *c, json_int_t *total, size_t *count)
{
    bool bad;
    json_t *prices = param_json(c, "prices", &bad);
    if (!prices && !bad)
        return fail(c, 400, "Bad Request: parameter \"prices\" is required");
    int rc = json_is_array(prices) ? 0 : -1;
    size_t i;
    json_t *price;
    *total = 0;
    json_array_foreach(prices, i, price)
    {
        if (!json_is_object(price) || !json_is_string(json_object_get(price, "label")) ||
            !json_is_integer(json_object_get(price, "amount")))
            rc = -1;
        else
            *total += json_integer_value(json_object_get(price, "amount"));
    }
    *count = json_array_size(prices);
    json_decref(prices);
    if (rc)
        return fail(c, 400, "Bad Request: can't parse prices JSON object");
    if (!*count || *total <= 0)
        return fail(c, 400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID");
    return 0;
}

static int send_invoice(struct call *c)
{
    struct sb_chat *chat = resolve_chat(c);
    if (!chat || !may_act(c, chat, ACCESS_SEND_TEXT))
        return -1;
    if (!valid_utf8(c, "title") || !valid_utf8(c, "description") ||
        check_length(c, "title", MAX_INVOICE_TITLE, false, "INVOICE_TITLE_INVALID") ||
        check_length(c, "description", MAX_INVOICE_DESCRIPTION, false,
                     "INVOICE_DESCRIPTION_INVALID") ||
        check_length(c, "payload", MAX_INVOICE_PAYLOAD, true, "INVOICE_PAYLOAD_INVALID") ||
        check_length(c, "currency", 3, true, "CURRENCY_INVALID"))
        return -1;
    const char *currency = param(c, "currency");
    if (strlen(currency) != 3 || strspn(currency, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != 3)
        return fail(c, 400, "Bad Request: CURRENCY_INVALID");
    json_int_t total = 0;
    size_t price_count = 0; /* set by parse_prices; zeroed for the optimiser */
    if (parse_prices(c, &total, &price_count))
        return -1;
    bool stars = !strcmp(currency, "XTR");
    const char *provider = param(c, "provider_token");
    if (stars && (provider || price_count != 1))
        return fail(c, 400, "Bad Request: STARS_INVOICE_INVALID");
    if (!stars && !provider)
        return fail(c, 400, "Bad Request: PAYMENT_PROVIDER_INVALID");
    json_t *markup = NULL;
    if (parse_markup(c, &markup, true))
        return -1;
    json_t *msg = new_bot_message(c, chat);
    const char *start = param(c, "start_parameter");
    json_object_set_new(msg, "invoice",
                        json_pack("{s:s, s:s, s:s, s:s, s:I}", "title", param(c, "title"),
                                  "description", param(c, "description"), "start_parameter",
                                  start ? start : "", "currency", currency, "total_amount", total));
    bool bad;
    json_t *prices = param_json(c, "prices", &bad);
    json_object_set_new(msg, WORLD_PRIVATE_INVOICE,
                        json_pack("{s:s%, s:s, s:o}", "payload", param(c, "payload"),
                                  param_len(c, "payload"), "provider_token",
                                  provider ? provider : "", "prices", prices));
    if (add_reply_to(c, chat, msg)) {
        json_decref(msg);
        json_decref(markup);
        return -1;
    }
    return deliver(c, chat, msg, markup);
}

/* ---- editing --------------------------------------------------------------------------- */

/* The bot's own message named by chat_id + message_id, ready to edit. */
static json_t *message_to_edit(struct call *c, struct sb_chat **out_chat)
{
    if (param(c, "inline_message_id")) {
        fail(c, 400, "Bad Request: MESSAGE_ID_INVALID");
        return NULL;
    }
    struct sb_chat *chat = resolve_chat(c);
    if (!chat || !may_act(c, chat, ACCESS_MODIFY))
        return NULL;
    int64_t id;
    if (param_int(c, "message_id", 0, &id) < 0)
        return NULL;
    if (!id) {
        fail(c, 400, "Bad Request: message identifier is not specified");
        return NULL;
    }
    json_t *msg = world_message(chat, id);
    if (!msg) {
        fail(c, 400, "Bad Request: message to edit not found");
        return NULL;
    }
    json_t *from = json_object_get(msg, "from");
    if (from && json_integer_value(json_object_get(from, "id")) != c->w->bot_id) {
        fail(c, 400, "Bad Request: message can't be edited");
        return NULL;
    }
    *out_chat = chat;
    return msg;
}

/* Replaces msg's keys in `keys` by those of edited (absent = removed) unless
 * nothing changes, which is Telegram's "message is not modified". */
static int apply_edit(struct call *c, struct sb_chat *chat, json_t *msg, json_t *edited,
                      const char *const *keys)
{
    bool same = true;
    for (const char *const *k = keys; *k; k++) {
        json_t *old = json_object_get(msg, *k), *new = json_object_get(edited, *k);
        if (!(old == new || (old && new &&json_equal(old, new))))
            same = false;
    }
    if (same) {
        json_decref(edited);
        c->w->edits_not_modified++;
        return fail(c, 400,
                    "Bad Request: message is not modified: specified new message content "
                    "and reply markup are exactly the same as a current content and "
                    "reply markup of the message");
    }
    for (const char *const *k = keys; *k; k++) {
        json_t *new = json_object_get(edited, *k);
        if (new)
            json_object_set(msg, *k, new);
        else
            json_object_del(msg, *k);
    }
    json_decref(edited);
    json_object_set_new(msg, "edit_date", json_integer(clock_now()));
    json_t *view = world_message_view(msg);
    world_push_event(c->w, chat->id, "edited_message",
                     json_pack("{s:o}", "message", json_deep_copy(view)));
    return succeed(c, view);
}

static int edit_message_text(struct call *c)
{
    static const char *const keys[] = {"text", "entities", "reply_markup", NULL};
    struct sb_chat *chat = NULL;
    json_t *msg = message_to_edit(c, &chat);
    if (!msg)
        return -1;
    if (!json_object_get(msg, "text")) {
        c->w->edits_no_text++;
        return fail(c, 400, "Bad Request: there is no text in the message to edit");
    }
    json_t *edited = json_object(), *markup = NULL;
    if (format_text(c, edited, "text", "parse_mode", "entities", "text", "entities", MAX_TEXT) ||
        parse_markup(c, &markup, true)) {
        json_decref(edited);
        return -1;
    }
    if (blank(json_string_value(json_object_get(edited, "text")))) {
        json_decref(edited);
        json_decref(markup);
        return fail(c, 400, "Bad Request: message text is empty");
    }
    if (markup)
        json_object_set_new(edited, "reply_markup", markup);
    return apply_edit(c, chat, msg, edited, keys);
}

static int edit_message_caption(struct call *c)
{
    static const char *const keys[] = {"caption", "caption_entities", "reply_markup", NULL};
    struct sb_chat *chat = NULL;
    json_t *msg = message_to_edit(c, &chat);
    if (!msg)
        return -1;
    if (!json_object_get(msg, "photo")) {
        c->w->edits_no_caption++;
        return fail(c, 400, "Bad Request: there is no caption in the message to edit");
    }
    json_t *edited = json_object(), *markup = NULL;
    if (format_text(c, edited, "caption", "parse_mode", "caption_entities", "caption",
                    "caption_entities", MAX_CAPTION) ||
        parse_markup(c, &markup, true)) {
        json_decref(edited);
        return -1;
    }
    if (markup)
        json_object_set_new(edited, "reply_markup", markup);
    return apply_edit(c, chat, msg, edited, keys);
}

static int edit_message_media(struct call *c)
{
    static const char *const keys[] = {"photo", "caption", "caption_entities", "reply_markup",
                                       NULL};
    struct sb_chat *chat = NULL;
    json_t *msg = message_to_edit(c, &chat);
    if (!msg)
        return -1;
    if (!json_object_get(msg, "photo"))
        return fail(c, 400, "Bad Request: there is no media in the message to edit");
    bool bad;
    json_t *media = param_json(c, "media", &bad);
    if (!media && !bad)
        return fail(c, 400, "Bad Request: parameter \"media\" is required");
    if (!json_is_object(media) || !json_is_string(json_object_get(media, "type")) ||
        !json_is_string(json_object_get(media, "media"))) {
        json_decref(media);
        return fail(c, 400, "Bad Request: can't parse InputMedia JSON object");
    }
    if (strcmp(json_string_value(json_object_get(media, "type")), "photo")) {
        json_decref(media);
        return fail(c, 400, "Bad Request: the sandbox emulates photo media only");
    }
    struct sb_photo *photo =
        resolve_photo(c, json_string_value(json_object_get(media, "media")), NULL);
    json_t *edited = json_object(), *markup = NULL;
    int rc = photo ? 0 : -1;
    if (!rc) {
        json_object_set(edited, "photo", photo->sizes);
        json_t *caption = json_object_get(media, "caption");
        if (json_is_string(caption) && json_string_length(caption)) {
            struct buf text = BUF_INIT, err = BUF_INIT;
            json_t *entities = NULL;
            json_t *mode = json_object_get(media, "parse_mode");
            if (markup_parse(json_string_value(caption), json_string_length(caption),
                             json_string_value(mode), &text, &entities, &err))
                rc = fail(c, 400, "%s", err.data);
            else if (utf8_utf16_units(text.data, text.len) > MAX_CAPTION)
                rc = fail(c, 400, "Bad Request: message caption is too long");
            else
                json_object_set_new(edited, "caption", json_stringn(text.data, text.len));
            if (!rc && json_array_size(entities))
                json_object_set(edited, "caption_entities", entities);
            json_decref(entities);
            buf_release(&text);
            buf_release(&err);
        }
    }
    json_decref(media);
    if (!rc)
        rc = parse_markup(c, &markup, true);
    if (rc) {
        json_decref(edited);
        return -1;
    }
    if (markup)
        json_object_set_new(edited, "reply_markup", markup);
    return apply_edit(c, chat, msg, edited, keys);
}

static int edit_message_reply_markup(struct call *c)
{
    static const char *const keys[] = {"reply_markup", NULL};
    struct sb_chat *chat = NULL;
    json_t *msg = message_to_edit(c, &chat);
    if (!msg)
        return -1;
    json_t *markup = NULL;
    if (parse_markup(c, &markup, true))
        return -1;
    json_t *edited = json_object();
    if (markup)
        json_object_set_new(edited, "reply_markup", markup);
    return apply_edit(c, chat, msg, edited, keys);
}

static int delete_message(struct call *c)
{
    struct sb_chat *chat = resolve_chat(c);
    if (!chat || !may_act(c, chat, ACCESS_MODIFY))
        return -1;
    int64_t id;
    if (param_int(c, "message_id", 0, &id) < 0)
        return -1;
    if (!id)
        return fail(c, 400, "Bad Request: message identifier is not specified");
    json_t *msg = world_message(chat, id);
    if (!msg)
        return fail(c, 400, "Bad Request: message to delete not found");
    if (clock_now() - json_integer_value(json_object_get(msg, "date")) > DELETE_WINDOW_S)
        return fail(c, 400, "Bad Request: message can't be deleted");
    world_delete_message(c->w, chat, id);
    return succeed(c, json_true());
}

/* ---- queries --------------------------------------------------------------------------- */

static struct sb_query *pending_query(struct call *c, const char *param_name, enum query_kind kind)
{
    const char *id = param(c, param_name);
    if (!id) {
        fail(c, 400, "Bad Request: parameter \"%s\" is required", param_name);
        return NULL;
    }
    world_expire_queries(c->w);
    struct sb_query *q = world_query(c->w, id);
    if (!q || q->kind != kind || strcmp(q->status, "pending")) {
        fail(c, 400, "%s", QUERY_TOO_OLD);
        return NULL;
    }
    return q;
}

static int answer_callback_query(struct call *c)
{
    struct sb_query *q = pending_query(c, "callback_query_id", QUERY_CALLBACK);
    if (!q || !valid_utf8(c, "text"))
        return -1;
    const char *text = param(c, "text");
    if (text && utf8_utf16_units(text, param_len(c, "text")) > MAX_CALLBACK_TEXT)
        return fail(c, 400, "Bad Request: MESSAGE_TOO_LONG");
    const char *url = param(c, "url");
    if (url && !url_allowed(url))
        return fail(c, 400, "Bad Request: URL_INVALID");
    q->status = "answered";
    q->answer = json_pack("{s:s, s:b}", "text", text ? text : "", "show_alert",
                          param_bool(c, "show_alert"));
    if (url)
        json_object_set_new(q->answer, "url", json_string(url));
    json_t *event = json_pack("{s:s, s:I}", "callback_query_id", q->id, "message_id",
                              (json_int_t)q->message_id);
    json_object_update(event, q->answer);
    world_push_event(c->w, q->user_id, "callback_answer", event);
    return succeed(c, json_true());
}

static int check_inline_results(struct call *c, json_t *results)
{
    if (!json_is_array(results))
        return fail(c, 400, "Bad Request: can't parse inline query results JSON object");
    if (json_array_size(results) > MAX_INLINE_RESULTS)
        return fail(c, 400, "Bad Request: RESULTS_TOO_MUCH");
    size_t i, k;
    json_t *r, *other;
    json_array_foreach(results, i, r)
    {
        json_t *id = json_object_get(r, "id");
        if (!json_is_object(r) || !json_is_string(json_object_get(r, "type")))
            return fail(c, 400, "Bad Request: can't parse inline query result");
        if (!json_is_string(id) || !json_string_length(id) || json_string_length(id) > 64)
            return fail(c, 400, "Bad Request: RESULT_ID_INVALID");
        json_array_foreach(results, k, other)
        {
            if (k < i && json_equal(json_object_get(other, "id"), id))
                return fail(c, 400, "Bad Request: RESULT_ID_DUPLICATE");
        }
    }
    return 0;
}

static int answer_inline_query(struct call *c)
{
    struct sb_query *q = pending_query(c, "inline_query_id", QUERY_INLINE);
    if (!q)
        return -1;
    bool bad;
    json_t *results = param_json(c, "results", &bad);
    if (!results && !bad)
        return fail(c, 400, "Bad Request: parameter \"results\" is required");
    if (check_inline_results(c, results)) {
        json_decref(results);
        return -1;
    }
    const char *next_offset = param(c, "next_offset");
    if (next_offset && strlen(next_offset) > MAX_NEXT_OFFSET) {
        json_decref(results);
        return fail(c, 400, "Bad Request: NEXT_OFFSET_INVALID");
    }
    q->status = "answered";
    q->answer =
        json_pack("{s:o, s:s}", "results", results, "next_offset", next_offset ? next_offset : "");
    json_t *button = param_json(c, "button", &bad);
    if (button)
        json_object_set_new(q->answer, "button", button);
    json_t *event = json_pack("{s:s}", "inline_query_id", q->id);
    json_object_update(event, q->answer);
    world_push_event(c->w, q->user_id, "inline_results", event);
    return succeed(c, json_true());
}

static int answer_pre_checkout_query(struct call *c)
{
    struct sb_query *q = pending_query(c, "pre_checkout_query_id", QUERY_PRE_CHECKOUT);
    if (!q)
        return -1;
    if (!param(c, "ok"))
        return fail(c, 400, "Bad Request: parameter \"ok\" is required");
    bool ok = param_bool(c, "ok");
    const char *error_message = param(c, "error_message");
    if (!ok && !error_message)
        return fail(c, 400, "Bad Request: error_message is empty");
    json_t *event = json_pack("{s:s}", "pre_checkout_query_id", q->id);
    if (!ok) {
        q->status = "declined";
        q->answer = json_pack("{s:b, s:s}", "ok", 0, "error_message", error_message);
        json_object_set_new(event, "status", json_string("declined"));
        json_object_set_new(event, "error_message", json_string(error_message));
        world_push_event(c->w, q->user_id, "payment", event);
        return succeed(c, json_true());
    }
    q->status = "paid";
    q->answer = json_pack("{s:b}", "ok", 1);
    struct sb_user *u = world_user(c->w, q->user_id);
    struct sb_chat *chat = world_chat(c->w, q->user_id);
    unsigned long long n = c->w->next_charge++;
    char telegram_id[48], provider_id[48];
    bool stars = !strcmp(json_string_value(json_object_get(q->invoice, "currency")), "XTR");
    snprintf(telegram_id, sizeof telegram_id, "%s%llu%lld", stars ? "stxSandbox" : "sandbox_tg_", n,
             (long long)clock_now());
    snprintf(provider_id, sizeof provider_id, "%s%llu", stars ? "" : "sandbox_provider_", n);
    json_t *payment =
        json_pack("{s:O, s:O, s:O, s:s, s:s}", "currency", json_object_get(q->invoice, "currency"),
                  "total_amount", json_object_get(q->invoice, "total_amount"), "invoice_payload",
                  json_object_get(q->invoice, "invoice_payload"), "telegram_payment_charge_id",
                  telegram_id, "provider_payment_charge_id", stars ? "" : provider_id);
    json_t *msg = json_pack("{s:o, s:o, s:o}", "from", world_user_json(u), "chat",
                            world_chat_json(c->w, chat), "successful_payment", payment);
    json_t *stored = world_add_message(c->w, chat, msg);
    world_push_update(c->w, "message", json_deep_copy(stored));
    json_object_set_new(event, "status", json_string("paid"));
    json_object_set(event, "successful_payment", payment);
    world_push_event(c->w, q->user_id, "payment", event);
    return succeed(c, json_true());
}

/* ---- members, actions, commands, bot ------------------------------------------------- */

static int get_chat_member(struct call *c)
{
    struct sb_chat *chat = resolve_chat(c);
    if (!chat)
        return -1;
    int64_t user_id;
    int rc = param_int(c, "user_id", 0, &user_id);
    if (rc < 0)
        return -1;
    if (!rc || user_id <= 0)
        return fail(c, 400, "Bad Request: invalid user_id specified");
    if (chat->is_channel) {
        if (chat->bot_status == MEMBER_LEFT || chat->bot_status == MEMBER_KICKED)
            return fail(c, 403, "Forbidden: bot is not a member of the channel chat");
        if (user_id == c->w->bot_id)
            return succeed(c, world_member_json(world_bot_json(c->w, false), chat->bot_status));
        if (chat->bot_status != MEMBER_ADMINISTRATOR && chat->bot_status != MEMBER_CREATOR)
            return fail(c, 400, "Bad Request: member list is inaccessible");
        struct sb_user *u = world_user(c->w, user_id);
        if (!u)
            return fail(c, 400, "Bad Request: user not found");
        return succeed(c,
                       world_member_json(world_user_json(u), world_member_status(chat, user_id)));
    }
    struct sb_user *owner = world_user(c->w, chat->id);
    if (user_id == chat->id)
        return succeed(c, world_member_json(world_user_json(owner), MEMBER_MEMBER));
    if (user_id == c->w->bot_id)
        return succeed(c, world_member_json(world_bot_json(c->w, false),
                                            owner->blocked ? MEMBER_KICKED : MEMBER_MEMBER));
    return fail(c, 400, "Bad Request: member not found");
}

static int send_chat_action(struct call *c)
{
    static const char *const actions[] = {
        "typing",        "upload_photo",      "record_video",     "upload_video",
        "record_voice",  "upload_voice",      "upload_document",  "choose_sticker",
        "find_location", "record_video_note", "upload_video_note"};
    struct sb_chat *chat = resolve_chat(c);
    if (!chat || !may_act(c, chat, ACCESS_SEND_TEXT))
        return -1;
    const char *action = param(c, "action");
    for (size_t i = 0; action && i < sizeof actions / sizeof *actions; i++) {
        if (!strcmp(actions[i], action)) {
            world_push_event(c->w, chat->id, "chat_action", json_pack("{s:s}", "action", action));
            return succeed(c, json_true());
        }
    }
    return fail(c, 400, "Bad Request: wrong parameter action in request");
}

/* The commands list key: the scope's type and the language code. */
static char *commands_key(struct call *c)
{
    bool bad;
    json_t *scope = param_json(c, "scope", &bad);
    const char *type = json_string_value(json_object_get(scope, "type"));
    const char *lang = param(c, "language_code");
    struct buf key = BUF_INIT;
    buf_addf(&key, "%s/%s", type ? type : "default", lang ? lang : "");
    json_decref(scope);
    return buf_detach(&key, NULL);
}

static int set_my_commands(struct call *c)
{
    bool bad;
    json_t *commands = param_json(c, "commands", &bad);
    if (!commands && !bad)
        return fail(c, 400, "Bad Request: parameter \"commands\" is required");
    int rc =
        json_is_array(commands) ? 0 : fail(c, 400, "Bad Request: can't parse commands JSON object");
    size_t i;
    json_t *cmd;
    if (!rc && json_array_size(commands) > 100)
        rc = fail(c, 400, "Bad Request: too many commands");
    json_array_foreach(commands, i, cmd)
    {
        if (rc)
            break;
        const char *name = json_string_value(json_object_get(cmd, "command"));
        const char *description = json_string_value(json_object_get(cmd, "description"));
        if (!name || !description)
            rc = fail(c, 400,
                      "Bad Request: can't parse BotCommand: Field \"%s\" must be of type String",
                      name ? "description" : "command");
        else if (!*name || strlen(name) > 32 ||
                 strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != strlen(name))
            rc = fail(c, 400, "Bad Request: BOT_COMMAND_INVALID");
        else if (!*description || utf8_utf16_units(description, strlen(description)) > 256)
            rc = fail(c, 400, "Bad Request: command description must be non-empty");
    }
    if (rc) {
        json_decref(commands);
        return -1;
    }
    char *key = commands_key(c);
    if (!json_is_object(c->w->commands)) {
        json_decref(c->w->commands);
        c->w->commands = json_object();
    }
    json_object_set_new(c->w->commands, key, commands);
    free(key);
    return succeed(c, json_true());
}

static int get_my_commands(struct call *c)
{
    char *key = commands_key(c);
    json_t *commands = json_object_get(c->w->commands, key);
    free(key);
    return succeed(c, commands ? json_incref(commands) : json_array());
}

static int delete_my_commands(struct call *c)
{
    char *key = commands_key(c);
    json_object_del(c->w->commands, key);
    free(key);
    return succeed(c, json_true());
}

static int get_me(struct call *c)
{
    return succeed(c, world_bot_json(c->w, true));
}

/* ---- updates and webhooks ------------------------------------------------------------ */

static void drop_updates_before(struct world *w, size_t keep_from)
{
    if (!keep_from)
        return; /* also when there are none: updates may be NULL */
    for (size_t i = 0; i < keep_from; i++)
        json_decref(w->updates[i].update);
    memmove(w->updates, w->updates + keep_from, (w->update_count - keep_from) * sizeof *w->updates);
    w->update_count -= keep_from;
}

static int set_allowed_updates(struct call *c)
{
    bool bad;
    json_t *allowed = param_json(c, "allowed_updates", &bad);
    if (bad || (allowed && !json_is_array(allowed))) {
        json_decref(allowed);
        return fail(c, 400, "Bad Request: can't parse allowed updates JSON object");
    }
    if (allowed) {
        json_decref(c->w->allowed_updates);
        c->w->allowed_updates = allowed;
    }
    return 0;
}

static int get_updates(struct call *c)
{
    struct world *w = c->w;
    if (w->webhook_url)
        return fail(c, 409,
                    "Conflict: can't use getUpdates method while webhook is active; use "
                    "deleteWebhook to delete the webhook first");
    int64_t offset, limit, timeout;
    if (param_int(c, "offset", 0, &offset) < 0 || param_int(c, "limit", 100, &limit) < 0 ||
        param_int(c, "timeout", 0, &timeout) < 0 || set_allowed_updates(c))
        return -1;
    if (offset < 0) {
        size_t keep =
            (size_t)(-offset < (int64_t)w->update_count ? -offset : (int64_t)w->update_count);
        drop_updates_before(w, w->update_count - keep);
    } else if (offset > 0) {
        size_t first = 0;
        while (first < w->update_count && w->updates[first].id < offset)
            first++;
        drop_updates_before(w, first);
    }
    limit = limit < 1 ? 1 : limit > 100 ? 100 : limit;
    timeout = timeout < 0 ? 0 : timeout > MAX_POLL_SECONDS ? MAX_POLL_SECONDS : timeout;
    uint64_t generation = ++w->poll_generation;
    pthread_cond_broadcast(&w->changed);
    int64_t deadline = clock_mono_ms() + timeout * 1000;
    while (!w->update_count && !w->stopping && clock_mono_ms() < deadline) {
        if (w->poll_generation != generation)
            return fail(c, 409, "Conflict: terminated by other long poll or webhook");
        int64_t at = deadline;
        struct timespec ts = {(time_t)(at / 1000), (long)(at % 1000) * 1000000L};
        pthread_cond_timedwait(&w->changed, &w->lock, &ts);
    }
    if (w->poll_generation != generation)
        return fail(c, 409, "Conflict: terminated by other long poll or webhook");
    json_t *result = json_array();
    for (size_t i = 0; i < w->update_count && (int64_t)i < limit; i++) {
        json_array_append(result, w->updates[i].update);
        if (w->updates[i].fetched++)
            w->updates_refetched++;
    }
    return succeed(c, result);
}

static int describe(struct call *c, json_t *result, const char *description)
{
    buf_reset(&c->rep->description);
    buf_adds(&c->rep->description, description);
    return succeed(c, result);
}

static int remove_webhook(struct call *c)
{
    struct world *w = c->w;
    bool had = w->webhook_url != NULL;
    free(w->webhook_url);
    free(w->webhook_secret);
    w->webhook_url = w->webhook_secret = NULL;
    if (param_bool(c, "drop_pending_updates"))
        drop_updates_before(w, w->update_count);
    pthread_cond_broadcast(&w->changed);
    return describe(c, json_true(), had ? "Webhook was deleted" : "Webhook is already deleted");
}

static int set_webhook(struct call *c)
{
    struct world *w = c->w;
    const char *url = param(c, "url");
    if (!url)
        return remove_webhook(c);
    if (strncmp(url, "https://", 8) && strncmp(url, "http://", 7))
        return fail(c, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
    const char *secret = param(c, "secret_token");
    if (secret && (strlen(secret) > 256 ||
                   strspn(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                  "0123456789_-") != strlen(secret)))
        return fail(c, 400, "Bad Request: secret token contains unallowed characters");
    int64_t max_connections;
    if (param_int(c, "max_connections", 40, &max_connections) < 0 || set_allowed_updates(c))
        return -1;
    if (max_connections < 1 || max_connections > 100)
        return fail(c, 400, "Bad Request: invalid max_connections specified");
    bool same = w->webhook_url && !strcmp(w->webhook_url, url) &&
                !strcmp(w->webhook_secret ? w->webhook_secret : "", secret ? secret : "");
    free(w->webhook_url);
    free(w->webhook_secret);
    w->webhook_url = xstrdup(url);
    w->webhook_secret = secret ? xstrdup(secret) : NULL;
    w->webhook_max_connections = (int)max_connections;
    w->webhook_retry_at_ms = 0;
    w->webhook_backoff_ms = 0;
    if (param_bool(c, "drop_pending_updates"))
        drop_updates_before(w, w->update_count);
    w->poll_generation++;
    pthread_cond_broadcast(&w->changed);
    return describe(c, json_true(), same ? "Webhook is already set" : "Webhook was set");
}

static int delete_webhook(struct call *c)
{
    return remove_webhook(c);
}

static int get_webhook_info(struct call *c)
{
    struct world *w = c->w;
    json_t *info =
        json_pack("{s:s, s:b, s:I}", "url", w->webhook_url ? w->webhook_url : "",
                  "has_custom_certificate", 0, "pending_update_count", (json_int_t)w->update_count);
    if (w->webhook_url)
        json_object_set_new(info, "max_connections", json_integer(w->webhook_max_connections));
    if (w->webhook_last_error_date) {
        json_object_set_new(info, "last_error_date", json_integer(w->webhook_last_error_date));
        json_object_set_new(info, "last_error_message", json_string(w->webhook_last_error));
    }
    if (json_array_size(w->allowed_updates))
        json_object_set(info, "allowed_updates", w->allowed_updates);
    return succeed(c, info);
}

/* ---- dispatch -------------------------------------------------------------------------- */

static const struct method {
    const char *name;
    int (*fn)(struct call *c);
} methods[] = {
    {"getMe", get_me},
    {"getUpdates", get_updates},
    {"setWebhook", set_webhook},
    {"deleteWebhook", delete_webhook},
    {"getWebhookInfo", get_webhook_info},
    {"setMyCommands", set_my_commands},
    {"getMyCommands", get_my_commands},
    {"deleteMyCommands", delete_my_commands},
    {"sendMessage", send_message},
    {"sendPhoto", send_photo},
    {"sendInvoice", send_invoice},
    {"sendChatAction", send_chat_action},
    {"editMessageText", edit_message_text},
    {"editMessageCaption", edit_message_caption},
    {"editMessageMedia", edit_message_media},
    {"editMessageReplyMarkup", edit_message_reply_markup},
    {"deleteMessage", delete_message},
    {"answerCallbackQuery", answer_callback_query},
    {"answerInlineQuery", answer_inline_query},
    {"answerPreCheckoutQuery", answer_pre_checkout_query},
    {"getChatMember", get_chat_member},
};

/* Waits ms with w->lock released (the world may change meanwhile); ends early on stop. */
static void wait_unlocked(struct world *w, int ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    while (!w->stopping && clock_mono_ms() < deadline) {
        struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
        pthread_cond_timedwait(&w->changed, &w->lock, &ts);
    }
}

/* Notes flood violations and applies the fault rules; returns true when a
 * fault answered the call. */
static bool inject_faults(struct call *c, const char *method)
{
    struct sb_chat *chat = find_chat(c);
    const char *id = param(c, "chat_id");
    int64_t chat_id = 0;
    if (chat)
        chat_id = chat->id;
    else if (id && parse_int64(id, &chat_id))
        chat_id = 0;
    flood_check(c->w, method, chat);
    struct fault_hit hit;
    faults_draw(c->w, method, chat_id, &hit);
    char description[160]; /* kept now: the rules may change while waiting */
    if (hit.description)
        snprintf(description, sizeof description, "%s", hit.description);
    else if (hit.status == 429)
        snprintf(description, sizeof description, "Too Many Requests: retry after %d",
                 hit.retry_after);
    else
        snprintf(description, sizeof description, "%s", http_status_text(hit.status));
    if (hit.delay_ms)
        wait_unlocked(c->w, hit.delay_ms);
    if (!hit.status)
        return false;
    botapi_fail(c->rep, hit.status, description);
    if (hit.status == 429) {
        flood_ban(c->w, hit.global ? NULL : find_chat(c), hit.retry_after);
        c->rep->retry_after = hit.retry_after;
    }
    return true;
}

void botapi_call(struct world *w, const char *method, const struct form *params,
                 struct botapi_reply *rep)
{
    struct call c = {w, params, rep};
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++) {
        if (!strcasecmp(methods[i].name, method)) {
            if (!inject_faults(&c, methods[i].name))
                methods[i].fn(&c);
            world_count(w, methods[i].name, rep->status);
            return;
        }
    }
    botapi_fail(rep, 404, "Not Found");
}

const char *botapi_method_name(const char *method)
{
    for (size_t i = 0; i < sizeof methods / sizeof *methods; i++)
        if (!strcasecmp(methods[i].name, method))
            return methods[i].name;
    return "unknown";
}

void botapi_reply_json(const struct botapi_reply *rep, struct buf *out)
{
    json_t *body;
    if (rep->status == 200) {
        body = json_pack("{s:b, s:O}", "ok", 1, "result", rep->result ? rep->result : json_true());
        if (rep->description.len)
            json_object_set_new(body, "description", json_string(rep->description.data));
    } else {
        body = json_pack("{s:b, s:i, s:s}", "ok", 0, "error_code", rep->status, "description",
                         rep->description.data);
        if (rep->retry_after)
            json_object_set_new(body, "parameters",
                                json_pack("{s:i}", "retry_after", rep->retry_after));
    }
    char *text = json_dumps(body, JSON_COMPACT);
    buf_adds(out, text);
    free(text);
    json_decref(body);
}
