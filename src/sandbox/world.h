/*
 * The sandbox's emulated Telegram: the bot, users, chats and their messages,
 * the bot's update queue, the users' event log, pending queries (callback,
 * inline, pre-checkout), uploaded photos, rate limiters and counters.
 *
 * One mutex guards all of it: every world_* function and every field read
 * requires w->lock to be held by the caller (botapi.c, userapi.c, webhook.c
 * take it). `changed` is broadcast whenever something a long poll may wait
 * for happens (a new update or event, an answered query, stop).
 * Stored JSON objects have Telegram's shapes and are owned by the world.
 */
#ifndef TGSHOP_SANDBOX_WORLD_H
#define TGSHOP_SANDBOX_WORLD_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "sandbox/sandbox.h"

enum member_status {
    MEMBER_LEFT,
    MEMBER_MEMBER,
    MEMBER_ADMINISTRATOR,
    MEMBER_CREATOR,
    MEMBER_RESTRICTED,
    MEMBER_KICKED,
};

struct rate_bucket {
    double tokens;
    int64_t last_ms;
};

/* Telegram's per-chat limit as the sandbox checks it: at most this many
 * messages to one chat within any 1-second window. */
enum { CHAT_BURST_LIMIT = 3, CHAT_BURST_RING = 64 };

struct sb_user {
    int64_t id;
    char *first_name, *last_name, *username, *language_code;
    bool is_bot, deactivated;
    bool blocked; /* the user blocked the bot */
    bool started; /* the user has written to the bot, so the bot may write back */
};

struct sb_member {
    int64_t user_id;
    enum member_status status;
};

struct sb_chat {
    int64_t id; /* the user's id for private chats, -100... for channels */
    bool is_channel;
    char *title, *username;        /* channels only */
    enum member_status bot_status; /* channels only */
    struct sb_member *members;
    size_t member_count;
    json_t *messages; /* Message objects, oldest first, deletions removed */
    int64_t next_message_id;
    json_t *reply_keyboard; /* the ReplyKeyboardMarkup the user sees, or NULL */
    struct rate_bucket bucket;
    int64_t delivered, rate_limited, forbidden;
    int64_t flood_until_ms;             /* monotonic; a 429 for this chat holds until then */
    int64_t sent_ms[CHAT_BURST_RING];   /* monotonic times of the latest deliveries (a ring) */
    size_t sent_next;                   /* deliveries recorded, the ring's write position */
    int64_t max_per_second, over_limit; /* busiest 1 s window; deliveries beyond the limit */
};

enum query_kind { QUERY_CALLBACK, QUERY_INLINE, QUERY_PRE_CHECKOUT };

struct sb_query {
    char id[24];
    enum query_kind kind;
    int64_t user_id, chat_id, message_id;
    int64_t deadline_ms; /* pre-checkout: the bot must answer before this (monotonic) */
    const char *status;  /* "pending", "answered", "paid", "declined", "timeout" */
    json_t *answer;      /* what the bot answered, NULL until then */
    json_t *invoice;     /* pre-checkout: the invoice being paid */
};

struct sb_photo {
    json_t *sizes; /* PhotoSize array; each size has its own file_id */
    char *data;    /* uploaded bytes, NULL for a URL or after eviction */
    size_t len;
    char *mime;
    char *url; /* sent by URL */
};

struct sb_update {
    int64_t id;
    json_t *update;
    int64_t fetched; /* times getUpdates returned it */
};

struct sb_event {
    int64_t seq;
    int64_t chat_id;
    json_t *event;
};

/* A fault rule with its counters. */
struct world_fault {
    struct sandbox_fault rule;
    int64_t matched, hits;
    double share_acc;
};

/* A call made to a chat (or, bot-wide, any call but getUpdates) while its flood ban held. */
struct flood_violation {
    char method[32];
    int64_t chat_id; /* 0: a call without a chat during a bot-wide ban */
    int64_t early_ms;
    bool global;
};
enum { MAX_FLOOD_VIOLATIONS = 1000 };

/* Users and chats by id (never removed but all at once): open addressing, at most half full. */
struct world_index {
    struct world_index_slot {
        int64_t id;
        void *item; /* NULL = empty */
    } * slots;
    size_t cap, count; /* cap: 0 or a power of two */
};

struct world {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool stopping;

    struct sandbox_options opt; /* defaults applied; strings owned below */
    char *token, *bot_username, *bot_first_name;
    int64_t bot_id;

    struct sb_user **users;
    size_t user_count, user_cap;
    struct sb_chat **chats;
    size_t chat_count, chat_cap;
    struct world_index user_index, chat_index; /* the same, by id: a send finds its chat at once */

    struct sb_update *updates; /* unconfirmed, oldest first */
    size_t update_count, update_cap;
    int64_t next_update_id;
    json_t *allowed_updates;  /* NULL = the default set */
    uint64_t poll_generation; /* a newer getUpdates or setWebhook ends older long polls */

    struct sb_event *events; /* ring of the users' side events */
    size_t event_start, event_count, event_cap;
    int64_t next_event_seq;

    struct sb_query *queries;
    size_t query_count, query_cap;
    uint64_t next_query;

    struct sb_photo **photos;
    size_t photo_count, photo_cap;
    size_t photo_bytes;
    uint64_t next_file;
    uint64_t next_charge;

    char *webhook_url, *webhook_secret;
    int webhook_max_connections;
    int64_t webhook_last_error_date;
    char *webhook_last_error;
    int64_t webhook_retry_at_ms; /* monotonic; a failed delivery waits until then */
    int webhook_backoff_ms;

    json_t *commands; /* setMyCommands */

    struct world_fault faults[SANDBOX_MAX_FAULTS];
    size_t fault_count;
    int64_t faults_injected;
    int64_t flood_until_ms;             /* monotonic; a bot-wide 429 holds until then */
    struct flood_violation *violations; /* the latest MAX_FLOOD_VIOLATIONS, a ring */
    int64_t violation_count;            /* all of them */
    int64_t edits_no_text, edits_no_caption, edits_not_modified;
    int64_t updates_refetched; /* updates returned by getUpdates again before confirmed */

    struct rate_bucket global_bucket;
    json_t *method_stats; /* {"sendMessage": {"calls":..,"ok":..,"errors":..,"rate_limited":..}} */
};

/* Copies opt (with defaults) and creates the bot; returns ERR_INVALID for a bad token. */
int world_init(struct world *w, const struct sandbox_options *opt, struct buf *err);
void world_release(struct world *w);
/* Forgets users, chats, updates, events, queries, photos, counters, webhook and commands. */
void world_reset(struct world *w);

/* The bot as a User object (getMe adds the capability fields). New reference. */
json_t *world_bot_json(const struct world *w, bool full);
json_t *world_user_json(const struct sb_user *u);
json_t *world_chat_json(const struct world *w, const struct sb_chat *c);

struct sb_user *world_user(struct world *w, int64_t id);
/* Adds or updates a user; its private chat is created too. */
struct sb_user *world_put_user(struct world *w, const struct sb_user *fields);
struct sb_chat *world_chat(struct world *w, int64_t id);
/* A channel by "@username" (case-insensitive). */
struct sb_chat *world_chat_by_username(struct world *w, const char *username);
struct sb_chat *world_add_channel(struct world *w, int64_t id, const char *title,
                                  const char *username);
enum member_status world_member_status(const struct sb_chat *c, int64_t user_id);
void world_set_member(struct sb_chat *c, int64_t user_id, enum member_status status);
const char *world_status_name(enum member_status s);
int world_status_parse(const char *name, enum member_status *out);

/* A ChatMember object with Telegram's fields for the status (takes user). */
json_t *world_member_json(json_t *user, enum member_status status);

/* Adds msg (a Message without message_id/date, which are set here) to the
 * chat, keeps the history bounded and records a "message" event. Returns the
 * stored object (borrowed). Takes the reference to msg. */
json_t *world_add_message(struct world *w, struct sb_chat *c, json_t *msg);
/* A message as others see it: the stored one without the sandbox's private
 * keys (WORLD_PRIVATE_INVOICE). New reference. */
json_t *world_message_view(json_t *stored);
/* Key of a stored invoice message that keeps what only the bot and the
 * payment know (payload, provider token, prices). */
#define WORLD_PRIVATE_INVOICE "sandbox_private_invoice"
/* A stored message by id (borrowed), or NULL. */
json_t *world_message(struct sb_chat *c, int64_t message_id);
void world_delete_message(struct world *w, struct sb_chat *c, int64_t message_id);

/* Queues an update of the given type for the bot (takes the reference to
 * payload), unless allowed_updates excludes it. */
void world_push_update(struct world *w, const char *type, json_t *payload);
/* Records an event for the users' side of chat_id (takes the reference). */
void world_push_event(struct world *w, int64_t chat_id, const char *type, json_t *fields);

struct sb_query *world_new_query(struct world *w, enum query_kind kind, int64_t user_id);
struct sb_query *world_query(struct world *w, const char *id);
/* Marks pre-checkout queries past their deadline as timed out and reports
 * them; returns the nearest deadline still pending (monotonic ms) or 0. */
int64_t world_expire_queries(struct world *w);

/* Registers a photo and returns it; sizes are made from width x height. */
struct sb_photo *world_add_photo(struct world *w, int width, int height, const char *data,
                                 size_t len, const char *mime, const char *url);
/* The photo one of whose sizes has file_id, or NULL. */
struct sb_photo *world_photo_by_file_id(struct world *w, const char *file_id);

/* Takes one message from the per-chat and global buckets, or returns the
 * seconds to wait (>= 1) and takes nothing. */
int world_rate_take(struct world *w, struct sb_chat *c);

/* Records a delivery to c for the burst figures (max_per_second, over_limit). */
void world_note_delivery(struct sb_chat *c);

/* Counts one call of method with its outcome (HTTP status). */
void world_count(struct world *w, const char *method, int status);
/* {"methods", "chats", "updates_pending", "faults_injected", "flood_violations",
 * "max_per_second", "bursts_over_limit", "edits", "updates_refetched"} (docs/sandbox.md).
 * New reference. */
json_t *world_stats(const struct world *w);

#endif
