#include "tg/update.h"

#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/banned.h"

/* Where parsed values go and where a failure is described. */
struct parser {
    struct arena *a;
    struct buf *err;
};

static int fail(struct parser *p, const char *path, const char *key, const char *problem)
{
    buf_setf(p->err, "%s%s%s: %s", path, *path && *key ? "." : "", key, problem);
    return ERR_INVALID;
}

/* The object at obj[key]; *out is NULL when it is absent and not required. */
static int get_object(struct parser *p, const json_t *obj, const char *path, const char *key,
                      bool required, const json_t **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? fail(p, path, key, "missing") : 0;
    if (!json_is_object(v))
        return fail(p, path, key, "expected an object");
    *out = v;
    return 0;
}

static int get_int(struct parser *p, const json_t *obj, const char *path, const char *key,
                   bool required, int64_t *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = 0;
    if (!v)
        return required ? fail(p, path, key, "missing") : 0;
    if (!json_is_integer(v))
        return fail(p, path, key, "expected an integer");
    *out = json_integer_value(v);
    return 0;
}

static int get_string(struct parser *p, const json_t *obj, const char *path, const char *key,
                      bool required, const char **out)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (!v)
        return required ? fail(p, path, key, "missing") : 0;
    if (!json_is_string(v))
        return fail(p, path, key, "expected a string");
    *out = arena_memdup(p->a, json_string_value(v), json_string_length(v) + 1);
    return 0;
}

static int get_bool(struct parser *p, const json_t *obj, const char *path, const char *key,
                    bool *out)
{
    const json_t *v = json_object_get(obj, key);
    *out = false;
    if (!v)
        return 0;
    if (!json_is_boolean(v))
        return fail(p, path, key, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

static const char *child_path(struct parser *p, const char *path, const char *key)
{
    return *path ? arena_sprintf(p->a, "%s.%s", path, key) : key;
}

static int parse_user(struct parser *p, struct tg_user *out, const json_t *obj, const char *path)
{
    *out = (struct tg_user){0};
    int rc;
    if ((rc = get_int(p, obj, path, "id", true, &out->id)) ||
        (rc = get_bool(p, obj, path, "is_bot", &out->is_bot)) ||
        (rc = get_string(p, obj, path, "first_name", true, &out->first_name)) ||
        (rc = get_string(p, obj, path, "last_name", false, &out->last_name)) ||
        (rc = get_string(p, obj, path, "username", false, &out->username)) ||
        (rc = get_string(p, obj, path, "language_code", false, &out->language_code)))
        return rc;
    return 0;
}

/* Parses the user object at obj[key] into out. */
static int parse_user_at(struct parser *p, struct tg_user *out, const json_t *obj, const char *path,
                         const char *key)
{
    const json_t *user;
    int rc = get_object(p, obj, path, key, true, &user);
    return rc ? rc : parse_user(p, out, user, child_path(p, path, key));
}

static int parse_chat_at(struct parser *p, struct tg_chat *out, const json_t *obj, const char *path,
                         const char *key)
{
    const json_t *chat;
    int rc;
    *out = (struct tg_chat){0};
    if ((rc = get_object(p, obj, path, key, true, &chat)))
        return rc;
    path = child_path(p, path, key);
    if ((rc = get_int(p, chat, path, "id", true, &out->id)) ||
        (rc = get_string(p, chat, path, "type", true, &out->type)) ||
        (rc = get_string(p, chat, path, "title", false, &out->title)) ||
        (rc = get_string(p, chat, path, "username", false, &out->username)))
        return rc;
    return 0;
}

static int parse_entities(struct parser *p, struct tg_message *out, const json_t *array,
                          const char *path)
{
    if (!json_is_array(array))
        return fail(p, path, "entities", "expected an array");
    size_t n = json_array_size(array);
    struct tg_entity *entities = arena_calloc(p->a, n ? n : 1, sizeof *entities);
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(array, i);
        const char *at = arena_sprintf(p->a, "%s.entities[%zu]", path, i);
        int rc;
        if (!json_is_object(e))
            return fail(p, at, "", "expected an object");
        if ((rc = get_string(p, e, at, "type", true, &entities[i].type)) ||
            (rc = get_int(p, e, at, "offset", true, &entities[i].offset)) ||
            (rc = get_int(p, e, at, "length", true, &entities[i].length)))
            return rc;
        if (entities[i].offset < 0 || entities[i].length < 0)
            return fail(p, at, "length", "negative offset or length");
    }
    out->entities = entities;
    out->entity_count = n;
    return 0;
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Splits a leading bot_command entity ("/buy@shop_bot 12") off the text. */
static void split_command(struct parser *p, struct tg_message *out)
{
    if (!out->text || out->entity_count == 0 || strcmp(out->entities[0].type, "bot_command") ||
        out->entities[0].offset != 0 || out->entities[0].length < 2)
        return;
    const char *text = out->text;
    size_t len = strlen(text);
    size_t end = utf8_prefix_utf16(text, len, (size_t)out->entities[0].length);
    const char *at = memchr(text, '@', end);
    size_t name_end = at ? (size_t)(at - text) : end;
    out->command = arena_strndup(p->a, text, name_end);
    out->command_bot = at ? arena_strndup(p->a, at + 1, end - name_end - 1) : NULL;
    while (end < len && is_blank(text[end]))
        end++;
    out->command_args = arena_strdup(p->a, text + end);
}

/* The file_id of the largest size: Telegram lists the sizes smallest first. */
static int parse_photo(struct parser *p, struct tg_message *out, const json_t *sizes,
                       const char *path)
{
    size_t n = json_array_size(sizes);
    if (!json_is_array(sizes) || n == 0)
        return fail(p, path, "photo", "expected a non-empty array");
    const json_t *largest = json_array_get(sizes, n - 1);
    if (!json_is_object(largest))
        return fail(p, path, "photo", "expected an array of objects");
    return get_string(p, largest, child_path(p, path, "photo"), "file_id", true,
                      &out->photo_file_id);
}

static int parse_contact(struct parser *p, struct tg_message *out, const json_t *obj,
                         const char *path)
{
    struct tg_contact *c = arena_calloc(p->a, 1, sizeof *c);
    int rc;
    path = child_path(p, path, "contact");
    if ((rc = get_string(p, obj, path, "phone_number", true, &c->phone_number)) ||
        (rc = get_string(p, obj, path, "first_name", true, &c->first_name)) ||
        (rc = get_string(p, obj, path, "last_name", false, &c->last_name)) ||
        (rc = get_int(p, obj, path, "user_id", false, &c->user_id)))
        return rc;
    out->contact = c;
    return 0;
}

static int parse_payment(struct parser *p, struct tg_message *out, const json_t *obj,
                         const char *path)
{
    struct tg_successful_payment *s = arena_calloc(p->a, 1, sizeof *s);
    int rc;
    path = child_path(p, path, "successful_payment");
    if ((rc = get_string(p, obj, path, "currency", true, &s->currency)) ||
        (rc = get_int(p, obj, path, "total_amount", true, &s->total_amount)) ||
        (rc = get_string(p, obj, path, "invoice_payload", true, &s->invoice_payload)) ||
        (rc = get_string(p, obj, path, "telegram_payment_charge_id", true,
                         &s->telegram_payment_charge_id)) ||
        (rc = get_string(p, obj, path, "provider_payment_charge_id", false,
                         &s->provider_payment_charge_id)))
        return rc;
    out->successful_payment = s;
    return 0;
}

static int parse_message(struct parser *p, struct tg_message *out, const json_t *obj,
                         const char *path)
{
    const json_t *from, *contact, *payment;
    const json_t *entities = json_object_get(obj, "entities");
    const json_t *photo = json_object_get(obj, "photo");
    int rc;
    *out = (struct tg_message){0};
    if (!json_is_object(obj))
        return fail(p, path, "", "expected an object");
    if ((rc = get_int(p, obj, path, "message_id", true, &out->message_id)) ||
        (rc = get_int(p, obj, path, "date", true, &out->date)) ||
        (rc = parse_chat_at(p, &out->chat, obj, path, "chat")) ||
        (rc = get_object(p, obj, path, "from", false, &from)) ||
        (rc = get_string(p, obj, path, "text", false, &out->text)) ||
        (rc = get_string(p, obj, path, "caption", false, &out->caption)) ||
        (rc = get_object(p, obj, path, "contact", false, &contact)) ||
        (rc = get_object(p, obj, path, "successful_payment", false, &payment)))
        return rc;
    if (from) {
        struct tg_user *user = arena_alloc(p->a, sizeof *user);
        if ((rc = parse_user(p, user, from, child_path(p, path, "from"))))
            return rc;
        out->from = user;
    }
    if (!entities)
        entities = json_object_get(obj, "caption_entities");
    if ((entities && (rc = parse_entities(p, out, entities, path))) ||
        (photo && (rc = parse_photo(p, out, photo, path))) ||
        (contact && (rc = parse_contact(p, out, contact, path))) ||
        (payment && (rc = parse_payment(p, out, payment, path))))
        return rc;
    split_command(p, out);
    return 0;
}

static int parse_callback_query(struct parser *p, struct tg_update *out, const json_t *obj)
{
    struct tg_callback_query *q = arena_calloc(p->a, 1, sizeof *q);
    const char *path = "callback_query";
    const json_t *message;
    int rc;
    if ((rc = get_string(p, obj, path, "id", true, &q->id)) ||
        (rc = parse_user_at(p, &q->from, obj, path, "from")) ||
        (rc = get_object(p, obj, path, "message", false, &message)) ||
        (rc = get_string(p, obj, path, "inline_message_id", false, &q->inline_message_id)) ||
        (rc = get_string(p, obj, path, "data", false, &q->data)))
        return rc;
    if (message) {
        struct tg_message *m = arena_alloc(p->a, sizeof *m);
        if ((rc = parse_message(p, m, message, "callback_query.message")))
            return rc;
        q->message = m;
    }
    out->callback_query = q;
    return 0;
}

static int parse_inline_query(struct parser *p, struct tg_update *out, const json_t *obj)
{
    struct tg_inline_query *q = arena_calloc(p->a, 1, sizeof *q);
    const char *path = "inline_query";
    int rc;
    if ((rc = get_string(p, obj, path, "id", true, &q->id)) ||
        (rc = parse_user_at(p, &q->from, obj, path, "from")) ||
        (rc = get_string(p, obj, path, "query", true, &q->query)) ||
        (rc = get_string(p, obj, path, "offset", true, &q->offset)))
        return rc;
    out->inline_query = q;
    return 0;
}

static int parse_pre_checkout_query(struct parser *p, struct tg_update *out, const json_t *obj)
{
    struct tg_pre_checkout_query *q = arena_calloc(p->a, 1, sizeof *q);
    const char *path = "pre_checkout_query";
    int rc;
    if ((rc = get_string(p, obj, path, "id", true, &q->id)) ||
        (rc = parse_user_at(p, &q->from, obj, path, "from")) ||
        (rc = get_string(p, obj, path, "currency", true, &q->currency)) ||
        (rc = get_int(p, obj, path, "total_amount", true, &q->total_amount)) ||
        (rc = get_string(p, obj, path, "invoice_payload", true, &q->invoice_payload)))
        return rc;
    out->pre_checkout_query = q;
    return 0;
}

static const char *const member_status_names[] = {
    [TG_MEMBER_UNKNOWN] = "unknown",
    [TG_MEMBER_CREATOR] = "creator",
    [TG_MEMBER_ADMINISTRATOR] = "administrator",
    [TG_MEMBER_MEMBER] = "member",
    [TG_MEMBER_RESTRICTED] = "restricted",
    [TG_MEMBER_LEFT] = "left",
    [TG_MEMBER_KICKED] = "kicked",
};

const char *tg_member_status_name(enum tg_member_status status)
{
    if ((size_t)status >= sizeof member_status_names / sizeof member_status_names[0])
        return "unknown";
    return member_status_names[status];
}

static int parse_chat_member(struct parser *p, struct tg_chat_member *out, const json_t *obj,
                             const char *path)
{
    const char *status;
    int rc;
    *out = (struct tg_chat_member){0};
    if (!json_is_object(obj))
        return fail(p, path, "", "expected an object");
    if ((rc = get_string(p, obj, path, "status", true, &status)) ||
        (rc = parse_user_at(p, &out->user, obj, path, "user")) ||
        (rc = get_bool(p, obj, path, "is_member", &out->is_member)))
        return rc;
    for (size_t i = 1; i < sizeof member_status_names / sizeof member_status_names[0]; i++)
        if (!strcmp(status, member_status_names[i]))
            out->status = (enum tg_member_status)i;
    return 0;
}

bool tg_chat_member_is_present(const struct tg_chat_member *m)
{
    switch (m->status) {
    case TG_MEMBER_CREATOR:
    case TG_MEMBER_ADMINISTRATOR:
    case TG_MEMBER_MEMBER:
        return true;
    case TG_MEMBER_RESTRICTED:
        return m->is_member;
    case TG_MEMBER_UNKNOWN:
    case TG_MEMBER_LEFT:
    case TG_MEMBER_KICKED:
        return false;
    }
    return false;
}

static int parse_my_chat_member(struct parser *p, struct tg_update *out, const json_t *obj)
{
    struct tg_chat_member_updated *u = arena_calloc(p->a, 1, sizeof *u);
    const char *path = "my_chat_member";
    int rc;
    if ((rc = parse_chat_at(p, &u->chat, obj, path, "chat")) ||
        (rc = parse_user_at(p, &u->from, obj, path, "from")) ||
        (rc = get_int(p, obj, path, "date", true, &u->date)) ||
        (rc = parse_chat_member(p, &u->old_member, json_object_get(obj, "old_chat_member"),
                                "my_chat_member.old_chat_member")) ||
        (rc = parse_chat_member(p, &u->new_member, json_object_get(obj, "new_chat_member"),
                                "my_chat_member.new_chat_member")))
        return rc;
    out->my_chat_member = u;
    return 0;
}

static int parse_message_update(struct parser *p, struct tg_update *out, const json_t *obj)
{
    struct tg_message *m = arena_alloc(p->a, sizeof *m);
    int rc = parse_message(p, m, obj, "message");
    if (!rc)
        out->message = m;
    return rc;
}

static const struct {
    const char *name;
    enum tg_update_type type;
    int (*parse)(struct parser *p, struct tg_update *out, const json_t *obj);
} update_kinds[] = {
    {"message", TG_UPDATE_MESSAGE, parse_message_update},
    {"callback_query", TG_UPDATE_CALLBACK_QUERY, parse_callback_query},
    {"inline_query", TG_UPDATE_INLINE_QUERY, parse_inline_query},
    {"pre_checkout_query", TG_UPDATE_PRE_CHECKOUT_QUERY, parse_pre_checkout_query},
    {"my_chat_member", TG_UPDATE_MY_CHAT_MEMBER, parse_my_chat_member},
};

int tg_update_from_json(struct tg_update *out, struct arena *a, const json_t *update,
                        struct buf *err)
{
    struct parser p = {a, err};
    int rc;
    *out = (struct tg_update){.type = TG_UPDATE_UNKNOWN};
    if (!json_is_object(update))
        return fail(&p, "update", "", "expected an object");
    if ((rc = get_int(&p, update, "", "update_id", true, &out->update_id)))
        return rc;
    for (size_t i = 0; i < sizeof update_kinds / sizeof update_kinds[0]; i++) {
        const json_t *body = json_object_get(update, update_kinds[i].name);
        if (!body)
            continue;
        out->type = update_kinds[i].type;
        out->type_name = update_kinds[i].name;
        if (!json_is_object(body))
            return fail(&p, "", update_kinds[i].name, "expected an object");
        return update_kinds[i].parse(&p, out, body);
    }
    /* jansson's iterators take a non-const object but do not modify it. */
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)update, key, value)
    {
        if (strcmp(key, "update_id")) {
            out->type_name = arena_strdup(a, key);
            return 0;
        }
    }
    out->type_name = "";
    return 0;
}

int tg_update_parse(struct tg_update *out, struct arena *a, const char *json, size_t len,
                    struct buf *err)
{
    json_error_t error;
    json_t *update = json_loadb(json, len, 0, &error);
    if (!update) {
        *out = (struct tg_update){.type = TG_UPDATE_UNKNOWN};
        buf_setf(err, "update: invalid JSON at line %d column %d: %s", error.line, error.column,
                 error.text);
        return ERR_INVALID;
    }
    int rc = tg_update_from_json(out, a, update, err);
    json_decref(update);
    return rc;
}

int tg_message_from_json(struct tg_message *out, struct arena *a, const json_t *message,
                         struct buf *err)
{
    struct parser p = {a, err};
    return parse_message(&p, out, message, "message");
}

int tg_user_from_json(struct tg_user *out, struct arena *a, const json_t *user, struct buf *err)
{
    struct parser p = {a, err};
    if (!json_is_object(user)) {
        *out = (struct tg_user){0};
        return fail(&p, "user", "", "expected an object");
    }
    return parse_user(&p, out, user, "user");
}

int tg_chat_member_from_json(struct tg_chat_member *out, struct arena *a, const json_t *member,
                             struct buf *err)
{
    struct parser p = {a, err};
    return parse_chat_member(&p, out, member, "chat_member");
}

int tg_webhook_info_from_json(struct tg_webhook_info *out, struct arena *a, const json_t *info,
                              struct buf *err)
{
    struct parser p = {a, err};
    const char *path = "webhook_info";
    int rc;
    *out = (struct tg_webhook_info){0};
    if (!json_is_object(info))
        return fail(&p, path, "", "expected an object");
    if ((rc = get_string(&p, info, path, "url", true, &out->url)) ||
        (rc = get_int(&p, info, path, "pending_update_count", true, &out->pending_update_count)) ||
        (rc = get_int(&p, info, path, "last_error_date", false, &out->last_error_date)) ||
        (rc = get_string(&p, info, path, "last_error_message", false, &out->last_error_message)) ||
        (rc = get_int(&p, info, path, "max_connections", false, &out->max_connections)))
        return rc;
    return 0;
}
