#include "sandbox/world.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "core/banned.h"

enum {
    MAX_QUERIES = 1000,
    MAX_PHOTOS = 10000,
    MIN_EVENTS = 1000,
};

/* Grows an array of elem-sized items so that one more fits. */
static void *grow(void *array, size_t count, size_t *cap, size_t elem)
{
    if (count < *cap)
        return array;
    *cap = *cap ? *cap * 2 : 16;
    return xreallocarray(array, *cap, elem);
}

static size_t index_home(int64_t id, size_t cap)
{
    return (size_t)(((uint64_t)id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & (cap - 1);
}

static void *index_find(const struct world_index *x, int64_t id)
{
    if (!x->cap)
        return NULL;
    for (size_t i = index_home(id, x->cap);; i = (i + 1) & (x->cap - 1))
        if (!x->slots[i].item || x->slots[i].id == id)
            return x->slots[i].item;
}

/* Adds an id that is not in the index yet. */
static void index_add(struct world_index *x, int64_t id, void *item)
{
    if (2 * (x->count + 1) > x->cap) {
        struct world_index bigger = {xcalloc(x->cap ? 2 * x->cap : 64, sizeof *x->slots),
                                     x->cap ? 2 * x->cap : 64, 0};
        for (size_t i = 0; i < x->cap; i++)
            if (x->slots[i].item)
                index_add(&bigger, x->slots[i].id, x->slots[i].item);
        free(x->slots);
        *x = bigger;
    }
    size_t i = index_home(id, x->cap);
    while (x->slots[i].item)
        i = (i + 1) & (x->cap - 1);
    x->slots[i] = (struct world_index_slot){id, item};
    x->count++;
}

static char *dup_or_null(const char *s)
{
    return s && *s ? xstrdup(s) : NULL;
}

int world_init(struct world *w, const struct sandbox_options *opt, struct buf *err)
{
    memset(w, 0, sizeof *w);
    const char *colon = opt->bot_token ? strchr(opt->bot_token, ':') : NULL;
    int64_t bot_id;
    if (!colon || !colon[1] ||
        parse_int64_n(opt->bot_token, (size_t)(colon - opt->bot_token), &bot_id) || bot_id <= 0) {
        buf_adds(err, "the bot token must look like 123456:secret");
        return ERR_INVALID;
    }
    w->opt = *opt;
    w->bot_id = bot_id;
    w->token = xstrdup(opt->bot_token);
    w->bot_username = xstrdup(opt->bot_username ? opt->bot_username : "sandbox_bot");
    w->bot_first_name = xstrdup(opt->bot_first_name ? opt->bot_first_name : "Sandbox Bot");
    w->opt.bot_token = w->token;
    w->opt.bot_username = w->bot_username;
    w->opt.bot_first_name = w->bot_first_name;
    w->opt.listen_host = NULL;
    if (!w->opt.precheckout_timeout_ms)
        w->opt.precheckout_timeout_ms = 10000;
    if (!w->opt.webhook_retry_ms)
        w->opt.webhook_retry_ms = 1000;
    if (!w->opt.max_body)
        w->opt.max_body = 20u << 20;
    if (!w->opt.max_messages_per_chat)
        w->opt.max_messages_per_chat = 1000;
    if (!w->opt.max_updates)
        w->opt.max_updates = 10000;
    if (!w->opt.max_file_bytes)
        w->opt.max_file_bytes = 64u << 20;
    w->event_cap = w->opt.max_updates > MIN_EVENTS ? w->opt.max_updates : MIN_EVENTS;
    w->events = xcalloc(w->event_cap, sizeof *w->events);
    pthread_mutex_init(&w->lock, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->changed, &attr);
    pthread_condattr_destroy(&attr);
    world_reset(w);
    return 0;
}

static void free_contents(struct world *w)
{
    for (size_t i = 0; i < w->user_count; i++) {
        struct sb_user *u = w->users[i];
        free(u->first_name);
        free(u->last_name);
        free(u->username);
        free(u->language_code);
        free(u);
    }
    free(w->users);
    for (size_t i = 0; i < w->chat_count; i++) {
        struct sb_chat *c = w->chats[i];
        free(c->title);
        free(c->username);
        free(c->members);
        json_decref(c->messages);
        json_decref(c->reply_keyboard);
        free(c);
    }
    free(w->chats);
    free(w->user_index.slots);
    free(w->chat_index.slots);
    for (size_t i = 0; i < w->update_count; i++)
        json_decref(w->updates[i].update);
    free(w->updates);
    for (size_t i = 0; i < w->event_count; i++)
        json_decref(w->events[(w->event_start + i) % w->event_cap].event);
    for (size_t i = 0; i < w->query_count; i++) {
        json_decref(w->queries[i].answer);
        json_decref(w->queries[i].invoice);
    }
    free(w->queries);
    for (size_t i = 0; i < w->photo_count; i++) {
        struct sb_photo *p = w->photos[i];
        json_decref(p->sizes);
        free(p->data);
        free(p->mime);
        free(p->url);
        free(p);
    }
    free(w->photos);
    free(w->violations);
    json_decref(w->allowed_updates);
    json_decref(w->commands);
    json_decref(w->method_stats);
    free(w->webhook_url);
    free(w->webhook_secret);
    free(w->webhook_last_error);
}

void world_reset(struct world *w)
{
    free_contents(w);
    w->users = NULL;
    w->user_count = w->user_cap = 0;
    w->chats = NULL;
    w->chat_count = w->chat_cap = 0;
    w->user_index = w->chat_index = (struct world_index){0};
    w->updates = NULL;
    w->update_count = w->update_cap = 0;
    w->next_update_id = 100000001;
    w->allowed_updates = NULL;
    w->poll_generation++;
    w->event_start = w->event_count = 0;
    w->next_event_seq = 1;
    w->queries = NULL;
    w->query_count = w->query_cap = 0;
    w->next_query = 4000000000000000000ull;
    w->photos = NULL;
    w->photo_count = w->photo_cap = 0;
    w->photo_bytes = 0;
    w->next_charge = 1;
    w->webhook_url = w->webhook_secret = w->webhook_last_error = NULL;
    w->webhook_max_connections = 40;
    w->webhook_last_error_date = 0;
    w->webhook_retry_at_ms = 0;
    w->webhook_backoff_ms = 0;
    w->commands = json_array();
    w->fault_count = 0;
    w->faults_injected = 0;
    w->flood_until_ms = 0;
    w->violations = NULL;
    w->violation_count = 0;
    w->edits_no_text = w->edits_no_caption = w->edits_not_modified = 0;
    w->updates_refetched = 0;
    w->global_bucket.last_ms = 0;
    w->method_stats = json_object();
    pthread_cond_broadcast(&w->changed);
}

void world_release(struct world *w)
{
    free_contents(w);
    free(w->events);
    free(w->token);
    free(w->bot_username);
    free(w->bot_first_name);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->changed);
}

json_t *world_bot_json(const struct world *w, bool full)
{
    json_t *bot = json_pack("{s:I, s:b, s:s, s:s}", "id", (json_int_t)w->bot_id, "is_bot", 1,
                            "first_name", w->bot_first_name, "username", w->bot_username);
    if (full) {
        json_object_set_new(bot, "can_join_groups", json_true());
        json_object_set_new(bot, "can_read_all_group_messages", json_false());
        json_object_set_new(bot, "supports_inline_queries", json_true());
        json_object_set_new(bot, "can_connect_to_business", json_false());
        json_object_set_new(bot, "has_main_web_app", json_false());
    }
    return bot;
}

json_t *world_user_json(const struct sb_user *u)
{
    json_t *user = json_pack("{s:I, s:b, s:s}", "id", (json_int_t)u->id, "is_bot", u->is_bot,
                             "first_name", u->first_name);
    if (u->last_name)
        json_object_set_new(user, "last_name", json_string(u->last_name));
    if (u->username)
        json_object_set_new(user, "username", json_string(u->username));
    if (u->language_code)
        json_object_set_new(user, "language_code", json_string(u->language_code));
    return user;
}

json_t *world_chat_json(const struct world *w, const struct sb_chat *c)
{
    if (c->is_channel) {
        json_t *chat = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)c->id, "title", c->title,
                                 "type", "channel");
        if (c->username)
            json_object_set_new(chat, "username", json_string(c->username));
        return chat;
    }
    struct sb_user *u = world_user((struct world *)w, c->id);
    json_t *chat =
        json_pack("{s:I, s:s}", "id", (json_int_t)c->id, "first_name", u ? u->first_name : "");
    if (u && u->last_name)
        json_object_set_new(chat, "last_name", json_string(u->last_name));
    if (u && u->username)
        json_object_set_new(chat, "username", json_string(u->username));
    json_object_set_new(chat, "type", json_string("private"));
    return chat;
}

struct sb_user *world_user(struct world *w, int64_t id)
{
    return index_find(&w->user_index, id);
}

static struct sb_chat *new_chat(struct world *w, int64_t id)
{
    struct sb_chat *c = xcalloc(1, sizeof *c);
    c->id = id;
    c->messages = json_array();
    c->next_message_id = 1;
    w->chats = grow(w->chats, w->chat_count, &w->chat_cap, sizeof *w->chats);
    w->chats[w->chat_count++] = c;
    index_add(&w->chat_index, id, c);
    return c;
}

struct sb_user *world_put_user(struct world *w, const struct sb_user *fields)
{
    struct sb_user *u = world_user(w, fields->id);
    if (!u) {
        u = xcalloc(1, sizeof *u);
        w->users = grow(w->users, w->user_count, &w->user_cap, sizeof *w->users);
        w->users[w->user_count++] = u;
        index_add(&w->user_index, fields->id, u);
        new_chat(w, fields->id);
    } else {
        free(u->first_name);
        free(u->last_name);
        free(u->username);
        free(u->language_code);
    }
    *u = *fields;
    u->first_name = xstrdup(fields->first_name ? fields->first_name : "");
    u->last_name = dup_or_null(fields->last_name);
    u->username = dup_or_null(fields->username);
    u->language_code = dup_or_null(fields->language_code);
    return u;
}

struct sb_chat *world_chat(struct world *w, int64_t id)
{
    return index_find(&w->chat_index, id);
}

struct sb_chat *world_chat_by_username(struct world *w, const char *username)
{
    if (*username == '@')
        username++;
    for (size_t i = 0; i < w->chat_count; i++)
        if (w->chats[i]->username && !strcasecmp(w->chats[i]->username, username))
            return w->chats[i];
    return NULL;
}

struct sb_chat *world_add_channel(struct world *w, int64_t id, const char *title,
                                  const char *username)
{
    struct sb_chat *c = new_chat(w, id);
    c->is_channel = true;
    c->title = xstrdup(title);
    c->username = dup_or_null(username && *username == '@' ? username + 1 : username);
    c->bot_status = MEMBER_LEFT;
    return c;
}

enum member_status world_member_status(const struct sb_chat *c, int64_t user_id)
{
    for (size_t i = 0; i < c->member_count; i++)
        if (c->members[i].user_id == user_id)
            return c->members[i].status;
    return MEMBER_LEFT;
}

void world_set_member(struct sb_chat *c, int64_t user_id, enum member_status status)
{
    for (size_t i = 0; i < c->member_count; i++) {
        if (c->members[i].user_id == user_id) {
            c->members[i].status = status;
            return;
        }
    }
    c->members = xreallocarray(c->members, c->member_count + 1, sizeof *c->members);
    c->members[c->member_count++] = (struct sb_member){user_id, status};
}

static const char *const status_names[] = {
    [MEMBER_LEFT] = "left",
    [MEMBER_MEMBER] = "member",
    [MEMBER_ADMINISTRATOR] = "administrator",
    [MEMBER_CREATOR] = "creator",
    [MEMBER_RESTRICTED] = "restricted",
    [MEMBER_KICKED] = "kicked",
};

const char *world_status_name(enum member_status s)
{
    return status_names[s];
}

int world_status_parse(const char *name, enum member_status *out)
{
    for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++) {
        if (!strcmp(status_names[i], name)) {
            *out = (enum member_status)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

json_t *world_member_json(json_t *user, enum member_status status)
{
    json_t *m = json_pack("{s:s, s:o}", "status", world_status_name(status), "user", user);
    switch (status) {
    case MEMBER_CREATOR:
        json_object_set_new(m, "is_anonymous", json_false());
        break;
    case MEMBER_ADMINISTRATOR: {
        static const char *const rights[] = {
            "can_manage_chat",      "can_delete_messages", "can_manage_video_chats",
            "can_restrict_members", "can_change_info",     "can_invite_users",
            "can_post_stories",     "can_edit_stories",    "can_delete_stories",
            "can_post_messages",    "can_edit_messages"};
        json_object_set_new(m, "can_be_edited", json_false());
        json_object_set_new(m, "is_anonymous", json_false());
        for (size_t i = 0; i < sizeof rights / sizeof *rights; i++)
            json_object_set_new(m, rights[i], json_true());
        json_object_set_new(m, "can_promote_members", json_false());
        break;
    }
    case MEMBER_RESTRICTED:
        json_object_set_new(m, "is_member", json_true());
        json_object_set_new(m, "can_send_messages", json_false());
        json_object_set_new(m, "until_date", json_integer(0));
        break;
    case MEMBER_KICKED:
        json_object_set_new(m, "until_date", json_integer(0));
        break;
    case MEMBER_LEFT:
    case MEMBER_MEMBER:
        break;
    }
    return m;
}

json_t *world_add_message(struct world *w, struct sb_chat *c, json_t *msg)
{
    json_t *stored = json_object();
    json_object_set_new(stored, "message_id", json_integer(c->next_message_id++));
    json_object_update(stored, msg);
    json_decref(msg);
    if (!json_object_get(stored, "date"))
        json_object_set_new(stored, "date", json_integer(clock_now()));
    json_array_append_new(c->messages, stored);
    while (json_array_size(c->messages) > w->opt.max_messages_per_chat)
        json_array_remove(c->messages, 0);
    json_t *view = world_message_view(stored);
    world_push_event(w, c->id, "message", json_pack("{s:o}", "message", json_deep_copy(view)));
    json_decref(view);
    return stored;
}

json_t *world_message_view(json_t *stored)
{
    if (!json_object_get(stored, WORLD_PRIVATE_INVOICE))
        return json_incref(stored);
    json_t *view = json_copy(stored);
    json_object_del(view, WORLD_PRIVATE_INVOICE);
    return view;
}

static size_t message_index(struct sb_chat *c, int64_t message_id)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->messages, i, m)
    {
        if (json_integer_value(json_object_get(m, "message_id")) == message_id)
            return i;
    }
    return (size_t)-1;
}

json_t *world_message(struct sb_chat *c, int64_t message_id)
{
    size_t i = message_index(c, message_id);
    return i == (size_t)-1 ? NULL : json_array_get(c->messages, i);
}

void world_delete_message(struct world *w, struct sb_chat *c, int64_t message_id)
{
    size_t i = message_index(c, message_id);
    if (i == (size_t)-1)
        return;
    json_array_remove(c->messages, i);
    world_push_event(w, c->id, "deleted", json_pack("{s:I}", "message_id", (json_int_t)message_id));
}

static bool update_allowed(const struct world *w, const char *type)
{
    if (json_array_size(w->allowed_updates)) {
        size_t i;
        json_t *t;
        json_array_foreach(w->allowed_updates, i, t)
        {
            if (json_is_string(t) && !strcmp(json_string_value(t), type))
                return true;
        }
        return false;
    }
    return strcmp(type, "chat_member") && strcmp(type, "message_reaction") &&
           strcmp(type, "message_reaction_count");
}

void world_push_update(struct world *w, const char *type, json_t *payload)
{
    if (!update_allowed(w, type)) {
        json_decref(payload);
        return;
    }
    w->updates = grow(w->updates, w->update_count, &w->update_cap, sizeof *w->updates);
    int64_t id = w->next_update_id++;
    json_t *update = json_pack("{s:I, s:o}", "update_id", (json_int_t)id, type, payload);
    w->updates[w->update_count++] = (struct sb_update){id, update, 0};
    if (w->update_count > w->opt.max_updates) {
        json_decref(w->updates[0].update);
        memmove(w->updates, w->updates + 1, --w->update_count * sizeof *w->updates);
    }
    pthread_cond_broadcast(&w->changed);
}

void world_push_event(struct world *w, int64_t chat_id, const char *type, json_t *fields)
{
    if (w->event_count == w->event_cap) {
        json_decref(w->events[w->event_start].event);
        w->event_start = (w->event_start + 1) % w->event_cap;
        w->event_count--;
    }
    int64_t seq = w->next_event_seq++;
    json_t *event = json_pack("{s:I, s:I, s:s}", "seq", (json_int_t)seq, "chat_id",
                              (json_int_t)chat_id, "type", type);
    json_object_update(event, fields);
    json_decref(fields);
    w->events[(w->event_start + w->event_count++) % w->event_cap] =
        (struct sb_event){seq, chat_id, event};
    pthread_cond_broadcast(&w->changed);
}

struct sb_query *world_new_query(struct world *w, enum query_kind kind, int64_t user_id)
{
    if (w->query_count == MAX_QUERIES) {
        json_decref(w->queries[0].answer);
        json_decref(w->queries[0].invoice);
        memmove(w->queries, w->queries + 1, --w->query_count * sizeof *w->queries);
    }
    w->queries = grow(w->queries, w->query_count, &w->query_cap, sizeof *w->queries);
    struct sb_query *q = &w->queries[w->query_count++];
    memset(q, 0, sizeof *q);
    snprintf(q->id, sizeof q->id, "%llu", (unsigned long long)(w->next_query += 7919));
    q->kind = kind;
    q->user_id = user_id;
    q->status = "pending";
    return q;
}

struct sb_query *world_query(struct world *w, const char *id)
{
    for (size_t i = 0; i < w->query_count; i++)
        if (!strcmp(w->queries[i].id, id))
            return &w->queries[i];
    return NULL;
}

int64_t world_expire_queries(struct world *w)
{
    int64_t now = clock_mono_ms(), next = 0;
    for (size_t i = 0; i < w->query_count; i++) {
        struct sb_query *q = &w->queries[i];
        if (q->kind != QUERY_PRE_CHECKOUT || strcmp(q->status, "pending"))
            continue;
        if (q->deadline_ms <= now) {
            q->status = "timeout";
            world_push_event(w, q->user_id, "payment",
                             json_pack("{s:s, s:s, s:s}", "pre_checkout_query_id", q->id, "status",
                                       "timeout", "error_message",
                                       "The bot didn't answer the pre-checkout query in time"));
        } else if (!next || q->deadline_ms < next) {
            next = q->deadline_ms;
        }
    }
    return next;
}

/* A file id in Telegram's alphabet; photos start with "AgAC". */
static char *make_file_id(struct world *w, const char *prefix, size_t length)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint64_t x = ++w->next_file * 0x9e3779b97f4a7c15ull ^ (uint64_t)w->bot_id;
    struct buf id = BUF_INIT;
    buf_adds(&id, prefix);
    while (id.len < length) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdull;
        x ^= x >> 29;
        buf_addc(&id, alphabet[x & 63]);
    }
    return buf_detach(&id, NULL);
}

static void evict_photo_bytes(struct world *w)
{
    for (size_t i = 0; i < w->photo_count && w->photo_bytes > w->opt.max_file_bytes; i++) {
        struct sb_photo *p = w->photos[i];
        if (p->data) {
            w->photo_bytes -= p->len;
            free(p->data);
            p->data = NULL;
        }
    }
    if (w->photo_count > MAX_PHOTOS) {
        struct sb_photo *p = w->photos[0];
        w->photo_bytes -= p->data ? p->len : 0;
        json_decref(p->sizes);
        free(p->data);
        free(p->mime);
        free(p->url);
        free(p);
        memmove(w->photos, w->photos + 1, --w->photo_count * sizeof *w->photos);
    }
}

struct sb_photo *world_add_photo(struct world *w, int width, int height, const char *data,
                                 size_t len, const char *mime, const char *url)
{
    static const int bounds[] = {90, 320, 800, 1280};
    struct sb_photo *p = xcalloc(1, sizeof *p);
    p->sizes = json_array();
    int longest = width > height ? width : height;
    for (size_t i = 0; i < sizeof bounds / sizeof *bounds; i++) {
        bool last = i + 1 == sizeof bounds / sizeof *bounds || longest <= bounds[i];
        double scale = longest > bounds[i] ? (double)bounds[i] / longest : 1.0;
        char *file_id = make_file_id(w, "AgACAgIAAxkBAAI", 71);
        char *unique_id = make_file_id(w, "AQAD", 16);
        int sw = (int)lround(width * scale), sh = (int)lround(height * scale);
        json_array_append_new(
            p->sizes, json_pack("{s:s, s:s, s:i, s:i, s:I}", "file_id", file_id, "file_unique_id",
                                unique_id, "width", sw ? sw : 1, "height", sh ? sh : 1, "file_size",
                                (json_int_t)(len ? (size_t)((double)len * scale * scale) + 1
                                                 : (size_t)(sw * sh / 8 + 1))));
        free(file_id);
        free(unique_id);
        if (last)
            break;
    }
    if (data) {
        p->data = xmemdup(data, len);
        p->len = len;
        w->photo_bytes += len;
    }
    p->mime = dup_or_null(mime);
    p->url = dup_or_null(url);
    w->photos = grow(w->photos, w->photo_count, &w->photo_cap, sizeof *w->photos);
    w->photos[w->photo_count++] = p;
    evict_photo_bytes(w);
    return p;
}

struct sb_photo *world_photo_by_file_id(struct world *w, const char *file_id)
{
    for (size_t i = 0; i < w->photo_count; i++) {
        size_t k;
        json_t *size;
        json_array_foreach(w->photos[i]->sizes, k, size)
        {
            if (!strcmp(json_string_value(json_object_get(size, "file_id")), file_id))
                return w->photos[i];
        }
    }
    return NULL;
}

static double refill(struct rate_bucket *b, double rate, double burst, int64_t now)
{
    if (burst <= 0)
        burst = rate > 1 ? rate : 1;
    if (!b->last_ms)
        b->tokens = burst;
    else
        b->tokens += (double)(now - b->last_ms) / 1000.0 * rate;
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_ms = now;
    return b->tokens;
}

int world_rate_take(struct world *w, struct sb_chat *c)
{
    int64_t now = clock_mono_ms();
    double wait = 0;
    double rates[2] = {w->opt.per_chat_rate, w->opt.global_rate};
    double bursts[2] = {w->opt.per_chat_burst, w->opt.global_burst};
    struct rate_bucket *buckets[2] = {&c->bucket, &w->global_bucket};
    for (int i = 0; i < 2; i++) {
        if (rates[i] <= 0)
            continue;
        double tokens = refill(buckets[i], rates[i], bursts[i], now);
        if (tokens < 1 && (1 - tokens) / rates[i] > wait)
            wait = (1 - tokens) / rates[i];
    }
    if (wait > 0)
        return wait < 1 ? 1 : (int)ceil(wait);
    for (int i = 0; i < 2; i++)
        if (rates[i] > 0)
            buckets[i]->tokens -= 1;
    return 0;
}

void world_note_delivery(struct sb_chat *c)
{
    int64_t now = clock_mono_ms();
    c->sent_ms[c->sent_next++ % CHAT_BURST_RING] = now;
    int64_t in_window = 0;
    size_t recorded = c->sent_next < CHAT_BURST_RING ? c->sent_next : CHAT_BURST_RING;
    for (size_t i = 0; i < recorded; i++)
        if (now - c->sent_ms[(c->sent_next - 1 - i) % CHAT_BURST_RING] < 1000)
            in_window++;
    if (in_window > c->max_per_second)
        c->max_per_second = in_window;
    if (in_window > CHAT_BURST_LIMIT)
        c->over_limit++;
}

void world_count(struct world *w, const char *method, int status)
{
    json_t *m = json_object_get(w->method_stats, method);
    if (!m) {
        m = json_pack("{s:i, s:i, s:i, s:i}", "calls", 0, "ok", 0, "errors", 0, "rate_limited", 0);
        json_object_set_new(w->method_stats, method, m);
    }
    const char *field = status == 200 ? "ok" : status == 429 ? "rate_limited" : "errors";
    json_object_set_new(m, "calls",
                        json_integer(json_integer_value(json_object_get(m, "calls")) + 1));
    json_object_set_new(m, field, json_integer(json_integer_value(json_object_get(m, field)) + 1));
}

json_t *world_stats(const struct world *w)
{
    json_t *chats = json_object();
    int64_t max_per_second = 0, over_limit = 0;
    for (size_t i = 0; i < w->chat_count; i++) {
        const struct sb_chat *c = w->chats[i];
        if (!c->delivered && !c->rate_limited && !c->forbidden)
            continue;
        char key[24];
        snprintf(key, sizeof key, "%lld", (long long)c->id);
        json_object_set_new(
            chats, key,
            json_pack("{s:I, s:I, s:I, s:I, s:I}", "delivered", (json_int_t)c->delivered,
                      "rate_limited", (json_int_t)c->rate_limited, "forbidden",
                      (json_int_t)c->forbidden, "max_per_second", (json_int_t)c->max_per_second,
                      "over_limit", (json_int_t)c->over_limit));
        if (c->max_per_second > max_per_second)
            max_per_second = c->max_per_second;
        over_limit += c->over_limit;
    }
    return json_pack(
        "{s:O, s:o, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}, s:I}", "methods", w->method_stats,
        "chats", chats, "updates_pending", (json_int_t)w->update_count, "faults_injected",
        (json_int_t)w->faults_injected, "flood_violations", (json_int_t)w->violation_count,
        "max_per_second", (json_int_t)max_per_second, "bursts_over_limit", (json_int_t)over_limit,
        "edits", "no_text", (json_int_t)w->edits_no_text, "no_caption",
        (json_int_t)w->edits_no_caption, "not_modified", (json_int_t)w->edits_not_modified,
        "updates_refetched", (json_int_t)w->updates_refetched);
}
