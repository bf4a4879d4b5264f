#include "sandbox/userapi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "sandbox/faults.h"
#include "sandbox/markup.h"
#include "core/banned.h"

enum { MAX_TEXT = 4096, MAX_POLL_SECONDS = 60 };

struct request {
    struct world *w;
    const char *method;
    const char *const *parts; /* path segments after /sandbox/api/ */
    size_t part_count;
    const struct form *query;
    json_t *body; /* always an object */
    struct userapi_reply *rep;
};

void userapi_reply_init(struct userapi_reply *rep)
{
    rep->status = 200;
    buf_init(&rep->body, 0);
    rep->content_type = "application/json";
    rep->location = NULL;
}

void userapi_reply_release(struct userapi_reply *rep)
{
    buf_release(&rep->body);
    free(rep->location);
    userapi_reply_init(rep);
}

static void reply_json(struct request *r, int status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    r->rep->status = status;
    buf_reset(&r->rep->body);
    buf_adds(&r->rep->body, text);
    free(text);
    json_decref(body);
}

static int ok(struct request *r, json_t *result)
{
    reply_json(r, 200, json_pack("{s:b, s:o}", "ok", 1, "result", result));
    return 0;
}

static int fail(struct request *r, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct request *r, int status, const char *fmt, ...)
{
    struct buf text = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&text, fmt, ap);
    va_end(ap);
    reply_json(
        r, status,
        json_pack("{s:b, s:i, s:s}", "ok", 0, "error_code", status, "description", text.data));
    buf_release(&text);
    return -1;
}

/* ---- body fields ---------------------------------------------------------------------- */

static const char *body_str(struct request *r, const char *name)
{
    return json_string_value(json_object_get(r->body, name));
}

/* An integer body field (a JSON number or a numeric string): 0 absent, 1 present, -1 bad. */
static int body_int(struct request *r, const char *name, int64_t *out)
{
    json_t *v = json_object_get(r->body, name);
    if (!v)
        return 0;
    if (json_is_integer(v)) {
        *out = json_integer_value(v);
        return 1;
    }
    if (json_is_string(v) && !parse_int64(json_string_value(v), out))
        return 1;
    return fail(r, 400, "Bad Request: field \"%s\" must be an integer", name);
}

static int required_int(struct request *r, const char *name, int64_t *out)
{
    int rc = body_int(r, name, out);
    if (rc == 0)
        return fail(r, 400, "Bad Request: field \"%s\" is required", name);
    return rc < 0 ? -1 : 0;
}

static bool body_bool(struct request *r, const char *name)
{
    return json_is_true(json_object_get(r->body, name));
}

/* ---- lookups --------------------------------------------------------------------------- */

static struct sb_user *path_user(struct request *r)
{
    int64_t id;
    struct sb_user *u = NULL;
    if (r->part_count > 1 && !parse_int64(r->parts[1], &id))
        u = world_user(r->w, id);
    if (!u)
        fail(r, 404, "Not Found: no such user");
    return u;
}

static struct sb_chat *path_chat(struct request *r, bool channel)
{
    int64_t id;
    struct sb_chat *c = NULL;
    if (r->part_count > 1 && r->parts[1][0] == '@')
        c = world_chat_by_username(r->w, r->parts[1]);
    else if (r->part_count > 1 && !parse_int64(r->parts[1], &id))
        c = world_chat(r->w, id);
    if (!c || (channel && !c->is_channel)) {
        fail(r, 404, "Not Found: no such %s", channel ? "channel" : "chat");
        return NULL;
    }
    return c;
}

static json_t *user_state(const struct sb_user *u)
{
    json_t *j = world_user_json(u);
    json_object_set_new(j, "blocked", json_boolean(u->blocked));
    json_object_set_new(j, "started", json_boolean(u->started));
    json_object_set_new(j, "deactivated", json_boolean(u->deactivated));
    return j;
}

/* ---- users ----------------------------------------------------------------------------- */

static int create_user(struct request *r)
{
    struct world *w = r->w;
    struct sb_user fields = {0};
    int rc = body_int(r, "id", &fields.id);
    if (rc < 0)
        return -1;
    if (!rc) {
        fields.id = 100000001;
        for (size_t i = 0; i < w->user_count; i++)
            if (w->users[i]->id >= fields.id)
                fields.id = w->users[i]->id + 1;
    }
    if (fields.id <= 0 || fields.id >= 1000000000000LL || fields.id == w->bot_id)
        return fail(r, 400,
                    "Bad Request: a user id must be positive, below 10^12 and not the bot's");
    fields.first_name = (char *)body_str(r, "first_name");
    if (!fields.first_name || !*fields.first_name)
        return fail(r, 400, "Bad Request: field \"first_name\" is required");
    const char *strings[] = {fields.first_name, body_str(r, "last_name"), body_str(r, "username"),
                             body_str(r, "language_code")};
    for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
        if (strings[i] && (!utf8_valid(strings[i], strlen(strings[i])) || strlen(strings[i]) > 64))
            return fail(r, 400, "Bad Request: names must be valid UTF-8 of at most 64 bytes");
    fields.last_name = (char *)strings[1];
    fields.username = (char *)strings[2];
    fields.language_code = (char *)strings[3];
    fields.is_bot = body_bool(r, "is_bot");
    fields.deactivated = body_bool(r, "deactivated");
    fields.started = body_bool(r, "started");
    struct sb_user *existing = world_user(w, fields.id);
    if (existing) {
        fields.blocked = existing->blocked;
        fields.started = fields.started || existing->started;
    }
    return ok(r, user_state(world_put_user(w, &fields)));
}

static json_t *private_chat_message(struct world *w, struct sb_user *u)
{
    return json_pack("{s:o, s:o}", "from", world_user_json(u), "chat",
                     world_chat_json(w, world_chat(w, u->id)));
}

static void push_my_chat_member(struct world *w, struct sb_chat *chat, json_t *from,
                                enum member_status old, enum member_status new)
{
    json_t *bot = world_bot_json(w, false);
    json_t *update = json_pack("{s:o, s:o, s:I, s:o, s:o}", "chat", world_chat_json(w, chat),
                               "from", from, "date", (json_int_t)clock_now(), "old_chat_member",
                               world_member_json(json_deep_copy(bot), old), "new_chat_member",
                               world_member_json(json_incref(bot), new));
    json_decref(bot);
    world_push_update(w, "my_chat_member", update);
}

static void set_blocked(struct world *w, struct sb_user *u, bool blocked)
{
    if (u->blocked == blocked)
        return;
    u->blocked = blocked;
    push_my_chat_member(w, world_chat(w, u->id), world_user_json(u),
                        blocked ? MEMBER_MEMBER : MEMBER_KICKED,
                        blocked ? MEMBER_KICKED : MEMBER_MEMBER);
}

/* A message from the user to the bot: stored, shown, and queued as an update. */
static int user_says(struct request *r, struct sb_user *u, json_t *msg)
{
    struct sb_chat *chat = world_chat(r->w, u->id);
    set_blocked(r->w, u, false);
    u->started = true;
    json_t *stored = world_add_message(r->w, chat, msg);
    world_push_update(r->w, "message", json_deep_copy(stored));
    return ok(r, json_incref(stored));
}

static int send_text(struct request *r, struct sb_user *u)
{
    const char *text = body_str(r, "text");
    if (!text || !*text)
        return fail(r, 400, "Bad Request: message text is empty");
    size_t len = strlen(text);
    if (!utf8_valid(text, len))
        return fail(r, 400, "Bad Request: strings must be encoded in UTF-8");
    if (utf8_utf16_units(text, len) > MAX_TEXT)
        return fail(r, 400, "Bad Request: message is too long");
    struct sb_chat *chat = world_chat(r->w, u->id);
    json_t *msg = private_chat_message(r->w, u);
    json_object_set_new(msg, "text", json_string(text));
    json_t *commands = markup_commands(text, len);
    if (commands)
        json_object_set_new(msg, "entities", commands);
    int64_t reply_to = 0;
    if (body_int(r, "reply_to_message_id", &reply_to) < 0) {
        json_decref(msg);
        return -1;
    }
    json_t *target = reply_to ? world_message(chat, reply_to) : NULL;
    if (reply_to && !target) {
        json_decref(msg);
        return fail(r, 400, "Bad Request: message to be replied not found");
    }
    if (target)
        json_object_set_new(msg, "reply_to_message", world_message_view(target));
    if (json_is_true(json_object_get(chat->reply_keyboard, "one_time_keyboard"))) {
        json_decref(chat->reply_keyboard);
        chat->reply_keyboard = NULL;
    }
    return user_says(r, u, msg);
}

static int share_contact(struct request *r, struct sb_user *u)
{
    const char *phone = body_str(r, "phone_number");
    if (!phone || !*phone)
        return fail(r, 400, "Bad Request: field \"phone_number\" is required");
    const char *first = body_str(r, "first_name");
    const char *last = body_str(r, "last_name");
    json_t *contact = json_pack("{s:s, s:s, s:I}", "phone_number", phone, "first_name",
                                first ? first : u->first_name, "user_id", (json_int_t)u->id);
    if (last || u->last_name)
        json_object_set_new(contact, "last_name", json_string(last ? last : u->last_name));
    json_t *msg = private_chat_message(r->w, u);
    json_object_set_new(msg, "contact", contact);
    return user_says(r, u, msg);
}

/* Whether markup has an inline button with this callback_data. */
static bool has_button(json_t *markup, const char *data)
{
    size_t i, k;
    json_t *row, *button;
    json_array_foreach(json_object_get(markup, "inline_keyboard"), i, row)
    {
        json_array_foreach(row, k, button)
        {
            const char *d = json_string_value(json_object_get(button, "callback_data"));
            if (d && !strcmp(d, data))
                return true;
        }
    }
    return false;
}

static int press_button(struct request *r, struct sb_user *u)
{
    int64_t chat_id = u->id, message_id;
    const char *data = body_str(r, "callback_data");
    if (body_int(r, "chat_id", &chat_id) < 0 || required_int(r, "message_id", &message_id))
        return -1;
    if (!data)
        return fail(r, 400, "Bad Request: field \"callback_data\" is required");
    struct sb_chat *chat = world_chat(r->w, chat_id);
    json_t *msg = chat ? world_message(chat, message_id) : NULL;
    if (!msg)
        return fail(r, 404, "Not Found: no such message");
    if (!has_button(json_object_get(msg, "reply_markup"), data))
        return fail(r, 400, "Bad Request: the message has no button with this callback_data");
    struct sb_query *q = world_new_query(r->w, QUERY_CALLBACK, u->id);
    q->chat_id = chat_id;
    q->message_id = message_id;
    char instance[32];
    snprintf(instance, sizeof instance, "%lld", (long long)(chat_id * 7 + 1234567));
    json_t *view = world_message_view(msg);
    world_push_update(r->w, "callback_query",
                      json_pack("{s:s, s:o, s:o, s:s, s:s}", "id", q->id, "from",
                                world_user_json(u), "message", json_deep_copy(view),
                                "chat_instance", instance, "data", data));
    json_decref(view);
    return ok(r, json_pack("{s:s}", "callback_query_id", q->id));
}

static int inline_query(struct request *r, struct sb_user *u)
{
    const char *query = body_str(r, "query");
    const char *offset = body_str(r, "offset");
    if (!query)
        query = "";
    if (!utf8_valid(query, strlen(query)) || utf8_utf16_units(query, strlen(query)) > 256)
        return fail(r, 400, "Bad Request: the query must be valid UTF-8 of at most 256 characters");
    struct sb_query *q = world_new_query(r->w, QUERY_INLINE, u->id);
    world_push_update(r->w, "inline_query",
                      json_pack("{s:s, s:o, s:s, s:s, s:s}", "id", q->id, "from",
                                world_user_json(u), "query", query, "offset", offset ? offset : "",
                                "chat_type", "sender"));
    return ok(r, json_pack("{s:s}", "inline_query_id", q->id));
}

static int choose_inline_result(struct request *r, struct sb_user *u)
{
    const char *query_id = body_str(r, "inline_query_id");
    const char *result_id = body_str(r, "result_id");
    struct sb_query *q = query_id ? world_query(r->w, query_id) : NULL;
    if (!q || q->kind != QUERY_INLINE || q->user_id != u->id || !q->answer)
        return fail(r, 404, "Not Found: no answered inline query with this id");
    size_t i;
    json_t *result, *chosen = NULL;
    json_array_foreach(json_object_get(q->answer, "results"), i, result)
    {
        const char *id = json_string_value(json_object_get(result, "id"));
        if (id && result_id && !strcmp(id, result_id))
            chosen = result;
    }
    json_t *content = json_object_get(chosen, "input_message_content");
    const char *text = json_string_value(json_object_get(content, "message_text"));
    if (!text)
        return fail(r, 400, "Bad Request: the sandbox sends text results only");
    struct buf plain = BUF_INIT, err = BUF_INIT;
    json_t *entities = NULL;
    if (markup_parse(text, strlen(text), json_string_value(json_object_get(content, "parse_mode")),
                     &plain, &entities, &err)) {
        fail(r, 400, "%s", err.data);
        buf_release(&plain);
        buf_release(&err);
        return -1;
    }
    json_t *msg = private_chat_message(r->w, u);
    json_object_set_new(msg, "via_bot", world_bot_json(r->w, false));
    json_object_set_new(msg, "text", json_stringn(plain.data, plain.len));
    if (json_array_size(entities))
        json_object_set(msg, "entities", entities);
    json_decref(entities);
    buf_release(&plain);
    buf_release(&err);
    json_t *markup = json_object_get(chosen, "reply_markup");
    if (markup)
        json_object_set(msg, "reply_markup", markup);
    world_push_update(r->w, "chosen_inline_result",
                      json_pack("{s:s, s:o, s:s}", "result_id", result_id, "from",
                                world_user_json(u), "query", ""));
    return user_says(r, u, msg);
}

static int pay_invoice(struct request *r, struct sb_user *u)
{
    int64_t message_id;
    if (required_int(r, "message_id", &message_id))
        return -1;
    json_t *msg = world_message(world_chat(r->w, u->id), message_id);
    json_t *invoice = json_object_get(msg, "invoice");
    json_t *private = json_object_get(msg, WORLD_PRIVATE_INVOICE);
    if (!invoice || !private)
        return fail(r, 404, "Not Found: no invoice with this message_id");
    struct sb_query *q = world_new_query(r->w, QUERY_PRE_CHECKOUT, u->id);
    q->chat_id = u->id;
    q->message_id = message_id;
    q->deadline_ms = clock_mono_ms() + r->w->opt.precheckout_timeout_ms;
    q->invoice = json_pack("{s:O, s:O, s:O}", "currency", json_object_get(invoice, "currency"),
                           "total_amount", json_object_get(invoice, "total_amount"),
                           "invoice_payload", json_object_get(private, "payload"));
    json_t *update = json_pack("{s:s, s:o}", "id", q->id, "from", world_user_json(u));
    json_object_update(update, q->invoice);
    world_push_update(r->w, "pre_checkout_query", update);
    world_push_event(r->w, u->id, "payment",
                     json_pack("{s:s, s:s, s:I}", "pre_checkout_query_id", q->id, "status",
                               "pending", "message_id", (json_int_t)message_id));
    return ok(r, json_pack("{s:s, s:s}", "pre_checkout_query_id", q->id, "status", "pending"));
}

static int user_action(struct request *r)
{
    struct sb_user *u = path_user(r);
    if (!u)
        return -1;
    if (r->part_count == 2)
        return strcmp(r->method, "GET") ? create_user(r) : ok(r, user_state(u));
    if (strcmp(r->method, "POST"))
        return fail(r, 405, "Method Not Allowed");
    const char *action = r->parts[2];
    if (!strcmp(action, "messages"))
        return send_text(r, u);
    if (!strcmp(action, "contact"))
        return share_contact(r, u);
    if (!strcmp(action, "callback"))
        return press_button(r, u);
    if (!strcmp(action, "inline_query"))
        return inline_query(r, u);
    if (!strcmp(action, "inline_result"))
        return choose_inline_result(r, u);
    if (!strcmp(action, "pay"))
        return pay_invoice(r, u);
    if (!strcmp(action, "block") || !strcmp(action, "unblock")) {
        set_blocked(r->w, u, !strcmp(action, "block"));
        return ok(r, user_state(u));
    }
    return fail(r, 404, "Not Found");
}

static int users(struct request *r)
{
    if (r->part_count > 1)
        return user_action(r);
    if (!strcmp(r->method, "POST"))
        return create_user(r);
    json_t *list = json_array();
    for (size_t i = 0; i < r->w->user_count; i++)
        json_array_append_new(list, user_state(r->w->users[i]));
    return ok(r, list);
}

/* ---- chats ----------------------------------------------------------------------------- */

static json_t *chat_state(struct world *w, struct sb_chat *c)
{
    json_t *messages = json_array();
    size_t i;
    json_t *m;
    json_array_foreach(c->messages, i, m)
    {
        json_array_append_new(messages, world_message_view(m));
    }
    json_t *state = json_pack("{s:o, s:o, s:I}", "chat", world_chat_json(w, c), "messages",
                              messages, "last_seq", (json_int_t)(w->next_event_seq - 1));
    if (c->reply_keyboard)
        json_object_set(state, "reply_keyboard", c->reply_keyboard);
    if (c->is_channel)
        json_object_set_new(state, "bot_status", json_string(world_status_name(c->bot_status)));
    return state;
}

static int query_int(struct request *r, const char *name, int64_t fallback, int64_t *out)
{
    const struct form_field *f = form_get(r->query, name);
    *out = fallback;
    if (f && parse_int64(f->value, out))
        return fail(r, 400, "Bad Request: query argument \"%s\" must be an integer", name);
    return 0;
}

/* Events of one chat after a sequence number, waiting up to timeout seconds for one. */
static int chat_events(struct request *r, struct sb_chat *c)
{
    struct world *w = r->w;
    int64_t after, timeout;
    if (query_int(r, "after", 0, &after) || query_int(r, "timeout", 0, &timeout))
        return -1;
    timeout = timeout < 0 ? 0 : timeout > MAX_POLL_SECONDS ? MAX_POLL_SECONDS : timeout;
    int64_t chat_id = c->id;
    int64_t deadline = clock_mono_ms() + timeout * 1000;
    for (;;) {
        json_t *events = json_array();
        for (size_t i = 0; i < w->event_count; i++) {
            struct sb_event *e = &w->events[(w->event_start + i) % w->event_cap];
            if (e->seq > after && e->chat_id == chat_id)
                json_array_append(events, e->event);
        }
        if (json_array_size(events) || w->stopping || clock_mono_ms() >= deadline)
            return ok(r, json_pack("{s:o, s:I}", "events", events, "last_seq",
                                   (json_int_t)(w->next_event_seq - 1)));
        json_decref(events);
        struct timespec ts = {(time_t)(deadline / 1000), (long)(deadline % 1000) * 1000000L};
        pthread_cond_timedwait(&w->changed, &w->lock, &ts);
    }
}

static int chats(struct request *r)
{
    struct sb_chat *c = path_chat(r, false);
    if (!c)
        return -1;
    if (r->part_count == 2)
        return ok(r, chat_state(r->w, c));
    if (r->part_count == 3 && !strcmp(r->parts[2], "events"))
        return chat_events(r, c);
    return fail(r, 404, "Not Found");
}

/* ---- channels -------------------------------------------------------------------------- */

static int status_field(struct request *r, const char *field, enum member_status *out)
{
    const char *name = body_str(r, field);
    if (!name || world_status_parse(name, out))
        return fail(r, 400,
                    "Bad Request: field \"%s\" must be one of creator, administrator, member, "
                    "restricted, left, kicked",
                    field);
    return 0;
}

static void set_bot_status(struct world *w, struct sb_chat *c, enum member_status status)
{
    if (c->bot_status == status)
        return;
    enum member_status old = c->bot_status;
    c->bot_status = status;
    json_t *from = NULL;
    for (size_t i = 0; i < c->member_count && !from; i++)
        if (c->members[i].status == MEMBER_CREATOR)
            from = world_user_json(world_user(w, c->members[i].user_id));
    push_my_chat_member(w, c, from ? from : world_bot_json(w, false), old, status);
}

static int create_channel(struct request *r)
{
    struct world *w = r->w;
    int64_t id = 0;
    int rc = body_int(r, "id", &id);
    if (rc < 0)
        return -1;
    if (!rc) {
        id = -1001000000001LL;
        for (size_t i = 0; i < w->chat_count; i++)
            if (w->chats[i]->is_channel && w->chats[i]->id <= id)
                id = w->chats[i]->id - 1;
    }
    if (id > -1000000000000LL)
        return fail(r, 400, "Bad Request: a channel id must look like -100XXXXXXXXXX");
    if (world_chat(w, id))
        return fail(r, 409, "Conflict: the channel exists");
    const char *title = body_str(r, "title");
    const char *username = body_str(r, "username");
    if (!title || !*title || !utf8_valid(title, strlen(title)) || strlen(title) > 255)
        return fail(r, 400, "Bad Request: field \"title\" is required (UTF-8, 1-255 bytes)");
    if (username && world_chat_by_username(w, username))
        return fail(r, 409, "Conflict: the username is taken");
    enum member_status bot_status = MEMBER_ADMINISTRATOR;
    if (json_object_get(r->body, "bot_status") && status_field(r, "bot_status", &bot_status))
        return -1;
    struct sb_chat *c = world_add_channel(w, id, title, username);
    set_bot_status(w, c, bot_status);
    return ok(r, chat_state(w, c));
}

static int channel_member(struct request *r, struct sb_chat *c)
{
    int64_t user_id;
    enum member_status status;
    if (required_int(r, "user_id", &user_id) || status_field(r, "status", &status))
        return -1;
    struct sb_user *u = world_user(r->w, user_id);
    if (!u)
        return fail(r, 404, "Not Found: no such user");
    enum member_status old = world_member_status(c, user_id);
    world_set_member(c, user_id, status);
    if (old != status && (c->bot_status == MEMBER_ADMINISTRATOR || c->bot_status == MEMBER_CREATOR))
        world_push_update(r->w, "chat_member",
                          json_pack("{s:o, s:o, s:I, s:o, s:o}", "chat", world_chat_json(r->w, c),
                                    "from", world_user_json(u), "date", (json_int_t)clock_now(),
                                    "old_chat_member", world_member_json(world_user_json(u), old),
                                    "new_chat_member",
                                    world_member_json(world_user_json(u), status)));
    return ok(r, world_member_json(world_user_json(u), status));
}

static int channels(struct request *r)
{
    if (strcmp(r->method, "POST"))
        return fail(r, 405, "Method Not Allowed");
    if (r->part_count == 1)
        return create_channel(r);
    struct sb_chat *c = path_chat(r, true);
    if (!c)
        return -1;
    if (r->part_count == 3 && !strcmp(r->parts[2], "members"))
        return channel_member(r, c);
    if (r->part_count == 3 && !strcmp(r->parts[2], "bot")) {
        enum member_status status;
        if (status_field(r, "status", &status))
            return -1;
        set_bot_status(r->w, c, status);
        return ok(r, chat_state(r->w, c));
    }
    return fail(r, 404, "Not Found");
}

/* ---- the rest -------------------------------------------------------------------------- */

static int query_state(struct request *r)
{
    world_expire_queries(r->w);
    struct sb_query *q = r->part_count == 2 ? world_query(r->w, r->parts[1]) : NULL;
    if (!q)
        return fail(r, 404, "Not Found: no such query");
    static const char *const kinds[] = {"callback_query", "inline_query", "pre_checkout_query"};
    json_t *state = json_pack("{s:s, s:s, s:I, s:s}", "id", q->id, "kind", kinds[q->kind],
                              "user_id", (json_int_t)q->user_id, "status", q->status);
    if (q->answer)
        json_object_set(state, "answer", q->answer);
    return ok(r, state);
}

static int serve_file(struct request *r)
{
    struct sb_photo *p = r->part_count == 2 ? world_photo_by_file_id(r->w, r->parts[1]) : NULL;
    if (p && p->url) {
        r->rep->status = 302;
        r->rep->location = xstrdup(p->url);
        return 0;
    }
    if (!p || !p->data)
        return fail(r, 404, "Not Found: no such file or its bytes were evicted");
    r->rep->status = 200;
    r->rep->content_type = p->mime ? p->mime : "application/octet-stream";
    buf_reset(&r->rep->body);
    buf_add(&r->rep->body, p->data, p->len);
    return 0;
}

static int number_field(struct request *r, const char *name, double *out)
{
    json_t *v = json_object_get(r->body, name);
    if (!v)
        return 0;
    if (!json_is_number(v) || json_number_value(v) < 0)
        return fail(r, 400, "Bad Request: field \"%s\" must be a non-negative number", name);
    *out = json_number_value(v);
    return 0;
}

/* One rule from a JSON object: each value as its text, through fault_set_field(). */
static int fault_from_json(struct sandbox_fault *out, json_t *rule, struct buf *err)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(rule)) {
        buf_adds(err, "each fault rule must be an object");
        return ERR_INVALID;
    }
    const char *key;
    json_t *value;
    json_object_foreach(rule, key, value)
    {
        char text[64];
        const char *v = text;
        if (json_is_string(value))
            v = json_string_value(value);
        else if (json_is_integer(value))
            snprintf(text, sizeof text, "%lld", (long long)json_integer_value(value));
        else if (json_is_real(value))
            snprintf(text, sizeof text, "%.17g", json_real_value(value));
        else if (json_is_boolean(value))
            v = json_is_true(value) ? "true" : "false";
        else
            v = "(not a string, number or boolean)";
        if (fault_set_field(out, key, v, err))
            return ERR_INVALID;
    }
    return 0;
}

static int set_faults(struct request *r)
{
    json_t *rules = json_object_get(r->body, "rules");
    size_t count = json_array_size(rules);
    if (!json_is_array(rules) || count > SANDBOX_MAX_FAULTS)
        return fail(r, 400, "Bad Request: field \"rules\" must be an array of at most %d rules",
                    SANDBOX_MAX_FAULTS);
    struct sandbox_fault parsed[SANDBOX_MAX_FAULTS];
    struct buf err = BUF_INIT;
    int rc = 0;
    for (size_t i = 0; !rc && i < count; i++)
        rc = fault_from_json(&parsed[i], json_array_get(rules, i), &err);
    if (!rc)
        rc = faults_set(r->w, parsed, count, &err);
    if (rc) {
        fail(r, 400, "Bad Request: %s", err.data);
        buf_release(&err);
        return -1;
    }
    buf_release(&err);
    return ok(r, faults_json(r->w));
}

static int set_limits(struct request *r)
{
    struct sandbox_options *o = &r->w->opt;
    if (number_field(r, "global_rate", &o->global_rate) ||
        number_field(r, "global_burst", &o->global_burst) ||
        number_field(r, "per_chat_rate", &o->per_chat_rate) ||
        number_field(r, "per_chat_burst", &o->per_chat_burst))
        return -1;
    r->w->global_bucket.last_ms = 0;
    for (size_t i = 0; i < r->w->chat_count; i++)
        r->w->chats[i]->bucket.last_ms = 0;
    return ok(r, json_pack("{s:f, s:f, s:f, s:f}", "global_rate", o->global_rate, "global_burst",
                           o->global_burst, "per_chat_rate", o->per_chat_rate, "per_chat_burst",
                           o->per_chat_burst));
}

static int bot_state(struct request *r)
{
    struct world *w = r->w;
    json_t *bot = world_bot_json(w, true);
    json_object_set_new(bot, "webhook_url", json_string(w->webhook_url ? w->webhook_url : ""));
    json_object_set(bot, "commands", w->commands);
    return ok(r, bot);
}

static void route(struct request *r)
{
    const char *top = r->part_count ? r->parts[0] : "";
    bool get = !strcmp(r->method, "GET");
    if (!strcmp(top, "users"))
        users(r);
    else if (!strcmp(top, "chats") && get)
        chats(r);
    else if (!strcmp(top, "channels"))
        channels(r);
    else if (!strcmp(top, "queries") && get)
        query_state(r);
    else if (!strcmp(top, "files") && get)
        serve_file(r);
    else if (!strcmp(top, "stats") && get && r->part_count == 1)
        ok(r, world_stats(r->w));
    else if (!strcmp(top, "bot") && get && r->part_count == 1)
        bot_state(r);
    else if (!strcmp(top, "faults") && get && r->part_count == 1)
        ok(r, faults_json(r->w));
    else if (!strcmp(top, "faults") && r->part_count == 1)
        set_faults(r);
    else if (!strcmp(top, "flood") && get && r->part_count == 1)
        ok(r, flood_json(r->w));
    else if (!strcmp(top, "limits") && !get && r->part_count == 1)
        set_limits(r);
    else if (!strcmp(top, "reset") && !get && r->part_count == 1) {
        world_reset(r->w);
        ok(r, json_true());
    } else
        fail(r, 404, "Not Found");
}

void userapi_handle(struct world *w, const char *method, const char *path, const struct form *query,
                    const char *body, size_t body_len, struct userapi_reply *rep)
{
    static const char prefix[] = "/sandbox/api/";
    enum { MAX_PARTS = 8 };
    struct request r = {.w = w, .method = method, .query = query, .rep = rep};
    char *copy = xstrdup(strncmp(path, prefix, sizeof prefix - 1) ? "" : path + sizeof prefix - 1);
    const char *parts[MAX_PARTS];
    size_t count = 0;
    char *save = NULL;
    for (char *p = strtok_r(copy, "/", &save); p && count < MAX_PARTS;
         p = strtok_r(NULL, "/", &save))
        parts[count++] = p;
    r.parts = parts;
    r.part_count = count;
    if (body_len) {
        r.body = json_loadb(body, body_len, JSON_REJECT_DUPLICATES, NULL);
        if (!json_is_object(r.body)) {
            json_decref(r.body);
            fail(&r, 400, "Bad Request: can't parse JSON object");
            free(copy);
            return;
        }
    } else {
        r.body = json_object();
    }
    pthread_mutex_lock(&w->lock);
    route(&r);
    pthread_mutex_unlock(&w->lock);
    json_decref(r.body);
    free(copy);
}
