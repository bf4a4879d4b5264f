#include "bot/bot.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bot/checkout.h"
#include "bot/gate.h"
#include "bot/handlers.h"
#include "bot/router.h"
#include "bot/staff.h"
#include "shop/texts.h"
#include "bot/ui.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/util.h"
#include "core/xalloc.h"
#include "shop/customer.h"
#include "core/banned.h"

enum {
    QUEUE_CAPACITY = 1024,
    WINDOW = 100,    /* polled updates in flight: getUpdates returns at most 100 */
    LOOK_AHEAD = 32, /* queued updates a worker looks at to find a chat the pacer lets through */
    MAX_WORKERS = 32,
    LATENCY_BUCKET_US = 50,
    LATENCY_BUCKETS = 4000,      /* 50 µs steps up to 200 ms; slower ones land in the last */
    PRE_CHECKOUT_WAIT_MS = 8000, /* of Telegram's 10 s, what may go to waiting for a 429 */
};

struct job {
    json_t *update;
    int64_t received_us;
    bool polled; /* from getUpdates: its completion moves the confirmation window */
    int64_t update_id;
    int64_t user; /* the user it comes from = the private chat the answer goes to */
};

struct worker {
    struct bot *bot;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct job queue[QUEUE_CAPACITY];
    size_t head, count;
    bool stop;
    struct db *db;
    struct tg_client *tg;
    struct queue *jobs; /* staff notes (bot/staff.h) */
    struct gate *gate;
    struct ui_screens *screens;
    struct arena arena;
};

struct bot {
    struct bot_options opt;
    struct tg_flood *flood, *own_flood; /* own_flood: made by bot_start, freed by bot_stop */
    char *database_url, *api_url, *token, *username;
    struct bot_settings settings;
    struct worker *workers;
    int nworkers;
    pthread_t poller, sweeper, commands_thread;
    bool polling;                                   /* the poller thread runs */
    bool sweeping;                                  /* the sweeper thread runs */
    bool retrying_commands;                         /* commands_thread runs */
    int64_t commands_pause_ms, commands_backoff_ms; /* setMyCommands retries (start-up) */
    atomic_bool cancel_calls; /* ends the poller's long poll at once on stop */
    pthread_mutex_t lock;     /* guards everything below */
    pthread_cond_t changed;
    bool stop;
    int64_t pending; /* submitted, not yet handled */
    /* Polled updates in hand, oldest first, and whether each is handled: the inbox forgets
     * the updates below the lowest unhandled id. */
    int64_t window_ids[WINDOW];
    bool window_done[WINDOW];
    size_t window_head, window_count;
    uint64_t updates, failures, duplicates;
    uint32_t latency[LATENCY_BUCKETS];
    double max_ms;
};

/* The user an update comes from: its worker is chosen by it. */
static int64_t update_user(const json_t *update)
{
    static const char *const kinds[] = {
        "message",        "callback_query", "inline_query",        "pre_checkout_query",
        "my_chat_member", "edited_message", "chosen_inline_result"};
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        json_t *obj = json_object_get(update, kinds[i]);
        if (obj)
            return json_integer_value(json_object_get(json_object_get(obj, "from"), "id"));
    }
    return 0;
}

/* Marks a polled update handled and drops the handled ones from the window's front.
 * Called with b->lock held. */
static void window_done(struct bot *b, int64_t update_id)
{
    for (size_t i = 0; i < b->window_count; i++) {
        size_t at = (b->window_head + i) % WINDOW;
        if (b->window_ids[at] == update_id) {
            b->window_done[at] = true;
            break;
        }
    }
    while (b->window_count && b->window_done[b->window_head]) {
        b->window_head = (b->window_head + 1) % WINDOW;
        b->window_count--;
    }
}

static void record(struct bot *b, const struct job *job, bool failed, bool duplicate)
{
    int64_t us = clock_mono_us() - job->received_us;
    if (us < 0)
        us = 0;
    size_t bucket = (size_t)(us / LATENCY_BUCKET_US);
    if (bucket >= LATENCY_BUCKETS)
        bucket = LATENCY_BUCKETS - 1;
    pthread_mutex_lock(&b->lock);
    if (duplicate) {
        b->duplicates++;
    } else {
        b->updates++;
        b->failures += failed;
        b->latency[bucket]++;
        if ((double)us / 1000.0 > b->max_ms)
            b->max_ms = (double)us / 1000.0;
    }
    if (job->polled)
        window_done(b, job->update_id);
    b->pending--;
    pthread_cond_broadcast(&b->changed);
    pthread_mutex_unlock(&b->lock);
}

/* True the first time update_id is seen; false for a re-delivery. */
static bool first_delivery(struct worker *w, int64_t update_id)
{
    if (db_exec(w->db,
                "INSERT INTO processed_update (update_id, processed_at) VALUES (?, ?) "
                "ON CONFLICT (update_id) DO NOTHING",
                DB_INT(update_id), DB_INT(clock_now())))
        return true; /* cannot tell: handling twice beats losing the update */
    return db_changes(w->db) == 1;
}

static void profile_of(const struct tg_user *u, struct tg_profile *out)
{
    *out = (struct tg_profile){u->id, u->username, u->first_name, u->last_name, u->language_code};
}

/* FNV-1a over what customer_touch stores, to notice a changed profile. */
static uint64_t profile_hash(const struct tg_profile *p)
{
    const char *fields[] = {p->username, p->first_name, p->last_name, p->language_code};
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
        for (const char *s = fields[i] ? fields[i] : ""; *s; s++)
            h = (h ^ (unsigned char)*s) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull; /* field separator: ("ab","") != ("a","b") */
    }
    return h;
}

/* The middlewares and the router for one parsed update. */
static int dispatch(struct worker *w, struct bot_ctx *c, const struct tg_update *u)
{
    struct bot *b = w->bot;
    c->lang = texts_lang(c->from->language_code, b->settings.default_language);
    if (u->type == TG_UPDATE_MY_CHAT_MEMBER) {
        enum tg_member_status s = u->my_chat_member->new_member.status;
        gate_forget_touch(w->gate, c->from->id);
        if (s == TG_MEMBER_KICKED || s == TG_MEMBER_MEMBER)
            return customer_set_blocked(c->db, c->from->id, s == TG_MEMBER_KICKED);
        return 0;
    }
    if (u->type == TG_UPDATE_PRE_CHECKOUT_QUERY) { /* Telegram waits at most 10 s: no detours */
        ui_deadline(c, PRE_CHECKOUT_WAIT_MS);
        int rc = payment_pre_checkout(c, u->pre_checkout_query);
        ui_deadline(c, 0);
        return rc;
    }

    struct tg_profile profile;
    profile_of(c->from, &profile);
    int rc = ERR_NOTFOUND;
    if (!gate_touch_due(w->gate, c->from->id, profile_hash(&profile), clock_mono_ms()))
        rc = customer_by_tg_id(c->db, c->arena, c->from->id, &c->customer);
    if (rc == ERR_NOTFOUND || (rc == 0 && c->customer.is_blocked)) /* new, or back */
        rc = customer_touch(c->db, c->arena, &profile, &c->customer);
    if (rc)
        return rc;
    if (u->type == TG_UPDATE_MESSAGE && u->message->successful_payment)
        return payment_successful(c, u->message); /* money taken: always applied */

    /* measured when the user acted, not when the worker got to it (replies may be paced) */
    enum gate_flood flood = gate_flood(w->gate, c->from->id, c->received_us / 1000);
    if (flood != GATE_PASS) {
        /* the one warning of a burst: a toast for a button, a message for typed text (else
         * a burst that starts with messages would use it up unseen) */
        rc = 0;
        if (flood == GATE_DROP_WARN && u->type == TG_UPDATE_CALLBACK_QUERY) {
            ui_answer_key(c, "slow_down", false);
        } else if (flood == GATE_DROP_WARN && u->type == TG_UPDATE_MESSAGE) {
            struct buf text = BUF_INIT;
            text_render(&text, c->lang, "slow_down", NULL);
            rc = ui_send(c, text.data, NULL);
            buf_release(&text);
        }
        /* the rest of the burst costs no API call at all: the client's spinner times out */
        c->callback_id = NULL;
        return rc;
    }
    if (c->customer.is_banned) {
        rc = 0;
        if (gate_ban_notice_due(w->gate, c->from->id, clock_mono_ms())) {
            struct buf text = BUF_INIT;
            text_render(&text, c->lang, "banned", NULL);
            rc = ui_send(c, text.data, NULL);
            buf_release(&text);
        }
        ui_answer(c, NULL, false);
        return rc;
    }
    if (u->type == TG_UPDATE_INLINE_QUERY) /* public FAQ and catalogue: no gate */
        return handlers_inline(c, u->inline_query);

    enum route pressed = ROUTE_NOOP;
    int64_t args[ROUTER_ARGS_MAX];
    bool recheck = u->type == TG_UPDATE_CALLBACK_QUERY && u->callback_query->data &&
                   router_parse(u->callback_query->data, &pressed, args) == 0 &&
                   pressed == ROUTE_SUBSCRIBED;
    if (!gate_subscribed(w->gate, c, recheck)) {
        if (recheck)
            ui_answer_key(c, "gate_still_missing", true);
        ui_answer(c, NULL, false);
        return 0;
    }
    if (u->type == TG_UPDATE_CALLBACK_QUERY) /* the re-check's thanks come from its route */
        return router_callback(c, u->callback_query->data);
    bool consumed;
    rc = checkout_message(c, u->message, &consumed);
    return rc || consumed ? rc : handlers_message(c, u->message);
}

/* Fills the context for an update; false for updates the bot does not answer. */
static bool context_for(struct worker *w, struct bot_ctx *c, const struct tg_update *u)
{
    memset(c, 0, sizeof *c);
    c->db = w->db;
    c->tg = w->tg;
    c->queue = w->jobs;
    c->screens = w->screens;
    c->arena = &w->arena;
    c->settings = &w->bot->settings;
    c->update = u;
    switch (u->type) {
    case TG_UPDATE_MESSAGE:
        /* a shop talks in private chats; messages in groups are not for it */
        if (!u->message->from || strcmp(u->message->chat.type, "private"))
            return false;
        c->from = u->message->from;
        c->chat_id = u->message->chat.id;
        return true;
    case TG_UPDATE_CALLBACK_QUERY:
        c->from = &u->callback_query->from;
        c->chat_id = c->from->id;
        c->callback_id = u->callback_query->id;
        if (u->callback_query->message) {
            c->chat_id = u->callback_query->message->chat.id;
            c->message_id = u->callback_query->message->message_id;
            c->message_has_photo = u->callback_query->message->photo_file_id != NULL;
        }
        return true;
    case TG_UPDATE_INLINE_QUERY:
        c->from = &u->inline_query->from;
        return true;
    case TG_UPDATE_PRE_CHECKOUT_QUERY:
        c->from = &u->pre_checkout_query->from;
        return true;
    case TG_UPDATE_MY_CHAT_MEMBER:
        c->from = &u->my_chat_member->from;
        return !strcmp(u->my_chat_member->chat.type, "private");
    case TG_UPDATE_UNKNOWN:
        return false;
    }
    return false;
}

/* A successful payment: money was taken, so its handling must not be lost to a passing database
 * failure. It skips the processed_update claim (applying a payment is idempotent by its charge
 * id) and is tried again a few times. */
static bool is_payment(const struct tg_update *u)
{
    return u->type == TG_UPDATE_MESSAGE && u->message->successful_payment;
}

static void handle(struct worker *w, struct job *job)
{
    struct tg_update u;
    struct buf err = BUF_INIT;
    bool failed = false, duplicate = false, parsed = true;
    log_set_ids(0, job->update_id);
    if (tg_update_from_json(&u, &w->arena, job->update, &err)) {
        log_warn("update %lld skipped: %s", (long long)u.update_id, err.data);
        failed = true;
        parsed = false;
    } else if (!is_payment(&u) && !first_delivery(w, u.update_id)) {
        duplicate = true;
    } else {
        struct bot_ctx c;
        int attempts = is_payment(&u) ? 4 : 1;
        for (int attempt = 1; attempt <= attempts && context_for(w, &c, &u); attempt++) {
            c.received_us = job->received_us;
            int rc = dispatch(w, &c, &u);
            ui_answer(&c, NULL, false); /* no button keeps spinning, whatever happened */
            failed = rc != 0;
            if (!rc)
                break;
            log_warn("update %lld (%s) failed: %s; %s", (long long)u.update_id, u.type_name,
                     err_str(rc), db_errmsg(w->db));
            if (attempt < attempts)
                clock_sleep_ms(250LL << attempt); /* 0.5, 1, 2 s: let the database recover */
            else if (is_payment(&u))
                log_error("payment %s for update %lld could not be applied; apply it by hand",
                          u.message->successful_payment->telegram_payment_charge_id,
                          (long long)u.update_id);
        }
    }
    metric_inc(&metric_updates, parsed ? u.type_name : "invalid",
               duplicate ? "duplicate"
               : failed  ? "failed"
                         : "ok");
    if (!duplicate)
        metric_observe(&metric_update_seconds, (double)(clock_mono_us() - job->received_us) / 1e6,
                       NULL, NULL);
    log_set_ids(0, 0);
    buf_release(&err);
    json_decref(job->update);
    arena_reset(&w->arena);
    record(w->bot, job, failed, duplicate);
}

/* The next job for w, as an offset from the queue's head: the oldest one whose chat could get a
 * message now, so that a chat waiting for its pacer or a 429 does not hold back the other
 * chats of the worker; one user's updates keep their order (a user with an earlier job
 * passed over is passed over entirely). When every chat waits, the oldest. Called with w->lock
 * held. */
static size_t next_job(struct worker *w)
{
    int64_t now = clock_mono_us(), passed[LOOK_AHEAD];
    size_t npassed = 0;
    for (size_t i = 0; i < w->count && i < LOOK_AHEAD; i++) {
        const struct job *j = &w->queue[(w->head + i) % QUEUE_CAPACITY];
        bool behind = false;
        for (size_t k = 0; k < npassed && !behind; k++)
            behind = passed[k] == j->user;
        if (!behind && tg_flood_ready_at(w->bot->flood, j->user, now) <= now)
            return i;
        passed[npassed++] = j->user;
    }
    return 0;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->lock);
        while (!w->count && !w->stop)
            pthread_cond_wait(&w->wake, &w->lock);
        if (!w->count && w->stop) {
            pthread_mutex_unlock(&w->lock);
            return NULL;
        }
        size_t pick = next_job(w);
        struct job job = w->queue[(w->head + pick) % QUEUE_CAPACITY];
        for (size_t i = pick; i > 0; i--) /* close the gap: the ones before move up one */
            w->queue[(w->head + i) % QUEUE_CAPACITY] = w->queue[(w->head + i - 1) % QUEUE_CAPACITY];
        w->head = (w->head + 1) % QUEUE_CAPACITY;
        w->count--;
        pthread_cond_broadcast(&w->wake); /* room for a waiting producer */
        pthread_mutex_unlock(&w->lock);
        handle(w, &job);
    }
}

/* Queues update (a reference is taken) for its user's worker; waits while that queue is full.
 * A polled update also enters the confirmation window. */
static void enqueue(struct bot *b, json_t *update, bool polled)
{
    int64_t user = update_user(update);
    int64_t update_id = json_integer_value(json_object_get(update, "update_id"));
    struct worker *w = &b->workers[(uint64_t)user % (uint64_t)b->nworkers];
    pthread_mutex_lock(&b->lock);
    b->pending++;
    if (polled) { /* the poller checked there is room */
        size_t at = (b->window_head + b->window_count) % WINDOW;
        b->window_ids[at] = update_id;
        b->window_done[at] = false;
        b->window_count++;
    }
    pthread_mutex_unlock(&b->lock);
    pthread_mutex_lock(&w->lock);
    while (w->count == QUEUE_CAPACITY)
        pthread_cond_wait(&w->wake, &w->lock);
    w->queue[(w->head + w->count) % QUEUE_CAPACITY] =
        (struct job){json_incref(update), clock_mono_us(), polled, update_id, user};
    w->count++;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
}

int bot_submit(struct bot *b, const char *json, size_t len)
{
    json_t *update = json_loadb(json, len, 0, NULL);
    if (!json_is_object(update) || !json_is_integer(json_object_get(update, "update_id"))) {
        json_decref(update);
        return ERR_INVALID;
    }
    enqueue(b, update, false);
    json_decref(update);
    return 0;
}

/* Waits on b->changed for at most 10 ms; called with b->lock held. The condition variable runs
 * on the wall clock: short slices keep a clock jump from stretching monotonic deadlines. */
static void wait_changed(struct bot *b)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 10 * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&b->changed, &b->lock, &ts);
}

int bot_drain(struct bot *b, int64_t timeout_ms)
{
    int64_t deadline = clock_mono_ms() + timeout_ms;
    pthread_mutex_lock(&b->lock);
    while (b->pending > 0 && clock_mono_ms() < deadline)
        wait_changed(b);
    int rc = b->pending > 0 ? ERR_TIMEOUT : 0;
    pthread_mutex_unlock(&b->lock);
    return rc;
}

static bool stopping(struct bot *b)
{
    pthread_mutex_lock(&b->lock);
    bool stop = b->stop;
    pthread_mutex_unlock(&b->lock);
    return stop;
}

/* Sleeps up to ms, waking early when the bot stops. */
static void pause_unless_stopping(struct bot *b, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    while (!stopping(b) && clock_mono_ms() < deadline)
        clock_sleep_ms(deadline - clock_mono_ms() < 100 ? deadline - clock_mono_ms() : 100);
}

/* A Telegram client for one of the bot's threads, its calls ended by bot_stop(); NULL
 * (logged) when it cannot be made. */
static struct tg_client *thread_client(struct bot *b)
{
    struct tg_client *tg;
    struct buf err = BUF_INIT;
    struct tg_client_options copt = {
        .api_url = b->api_url, .token = b->token, .cancel = &b->cancel_calls, .flood = b->flood};
    if (tg_client_new(&tg, &copt, &err)) {
        log_error("bot: %s", err.data);
        tg = NULL;
    }
    buf_release(&err);
    return tg;
}

/* The update types the bot handles, asked for by long polling and by the webhook. */
static const char *const allowed_updates[] = {
    "message", "callback_query", "inline_query", "pre_checkout_query", "my_chat_member", NULL};

/* --- the inbox (update_inbox): polled updates kept until handled --- */

struct inbox_batch {
    const json_t *items;
    int64_t from; /* the ids below are not new */
};

static int inbox_store(struct db *db, void *ctx)
{
    const struct inbox_batch *ib = ctx;
    size_t i;
    const json_t *update;
    json_array_foreach(ib->items, i, update)
    {
        int64_t id = json_integer_value(json_object_get(update, "update_id"));
        if (id < ib->from)
            continue;
        char *body = json_dumps(update, JSON_COMPACT);
        if (!body)
            die_oom(0);
        int rc = db_exec(db,
                         "INSERT INTO update_inbox (update_id, body, received_at) VALUES (?, ?, ?) "
                         "ON CONFLICT (update_id) DO NOTHING",
                         DB_INT(id), DB_TEXT(body), DB_INT(clock_now()));
        free(body);
        if (rc)
            return rc;
    }
    return 0;
}

/* Forgets the inbox's updates below below (all handled), once per new watermark. */
static void inbox_forget(struct db *db, int64_t below, int64_t *forgotten_below)
{
    if (below <= *forgotten_below)
        return;
    if (db_exec(db, "DELETE FROM update_inbox WHERE update_id < ?", DB_INT(below)))
        log_warn("bot inbox: %s", db_errmsg(db));
    else
        *forgotten_below = below;
}

/* Handles what the inbox kept from the last run (updates confirmed to Telegram, or not yet,
 * but not handled when the bot stopped), before polling. processed_update skips those that
 * were handled after all, and those Telegram sends again because their confirmation did not
 * reach it. */
static void inbox_recover(struct bot *b, struct db *db)
{
    struct db_rows *rows;
    int64_t next = 0, count = 0;
    if (db_query(db, &rows, "SELECT update_id, body FROM update_inbox ORDER BY update_id")) {
        log_warn("bot inbox: %s", db_errmsg(db));
        return;
    }
    while (db_next(rows) > 0) {
        json_t *update = json_loadb(db_text(rows, 1), db_len(rows, 1), 0, NULL);
        next = db_int(rows, 0) + 1;
        if (json_is_object(update)) {
            enqueue(b, update, false);
            count++;
        }
        json_decref(update);
    }
    db_rows_free(rows);
    if (count)
        log_info("bot: handling %lld update%s left from the last run", (long long)count,
                 count == 1 ? "" : "s");
    while (!stopping(b) && bot_drain(b, 1000))
        ;
    int64_t forgotten = 0;
    if (!stopping(b))
        inbox_forget(db, next, &forgotten);
}

/* The oldest polled update not handled yet (everything below it is done), or next_new. */
static int64_t handled_below(struct bot *b, int64_t next_new)
{
    pthread_mutex_lock(&b->lock);
    int64_t below = b->window_count ? b->window_ids[b->window_head] : next_new;
    pthread_mutex_unlock(&b->lock);
    return below;
}

/* The long-poll loop: fetch → store in the inbox → hand to the workers → fetch again, or back
 * off after an error. Each getUpdates confirms (its offset) everything fetched before, which
 * the inbox holds until it is handled: Telegram sends every update once, and a stop in the
 * middle loses nothing that had not started (an update a crash interrupts is claimed in
 * processed_update and not handled again: at most once, but a payment, which skips the claim,
 * is handled again; docs/bot.md). A batch the inbox cannot store is not handed on and not
 * confirmed, so Telegram sends it again after the backoff. */
static void *poller_main(void *arg)
{
    struct bot *b = arg;
    struct tg_client *tg = thread_client(b);
    struct db *db = NULL;
    struct buf err = BUF_INIT;
    if (!tg || db_open(&db, b->database_url, &err)) {
        if (tg)
            log_error("bot: %s", err.data);
        tg_client_free(tg);
        buf_release(&err);
        return NULL;
    }
    enum { FETCH, BACKOFF } state = FETCH;
    int64_t backoff_ms = 1000, forgotten_below = 0;
    int64_t next_new = 0; /* the first poll gets whatever Telegram still holds */
    inbox_recover(b, db);
    while (!stopping(b)) {
        if (state == BACKOFF) {
            pause_unless_stopping(b, backoff_ms);
            backoff_ms = backoff_ms * 2 > 30000 ? 30000 : backoff_ms * 2;
            state = FETCH;
            continue;
        }
        /* room in the window for what comes; the handled ones leave the inbox */
        pthread_mutex_lock(&b->lock);
        while (!b->stop && b->window_count == WINDOW)
            wait_changed(b);
        int room = WINDOW - (int)b->window_count;
        pthread_mutex_unlock(&b->lock);
        if (stopping(b))
            break;
        inbox_forget(db, handled_below(b, next_new), &forgotten_below);
        struct tg_updates batch;
        struct tg_get_updates req = {next_new, room, b->opt.poll_timeout_s, allowed_updates};
        if (tg_get_updates(tg, &batch, &req)) {
            const struct tg_result *r = tg_client_result(tg);
            if (stopping(b))
                break;
            log_warn("getUpdates failed: %s", r->description);
            if (r->kind == TG_FLOOD)
                backoff_ms = r->retry_after * 1000LL;
            state = BACKOFF;
            continue;
        }
        backoff_ms = 1000;
        struct inbox_batch ib = {batch.items, next_new};
        if (batch.next_offset > next_new && db_transaction(db, inbox_store, &ib)) {
            log_warn("bot inbox: cannot store updates, fetching them again later: %s",
                     db_errmsg(db));
            tg_updates_release(&batch);
            state = BACKOFF;
            continue;
        }
        size_t i;
        json_t *update;
        json_array_foreach(batch.items, i, update)
        {
            int64_t id = json_integer_value(json_object_get(update, "update_id"));
            if (id < next_new)
                continue; /* sent again (a confirmation that did not arrive): handled or in hand */
            enqueue(b, update, true);
            next_new = id + 1;
        }
        tg_updates_release(&batch);
    }
    /* let the workers finish what is in hand (bounded), forget it, and confirm everything
     * fetched so a restart does not see it again; the poller's own client is cancelled by now,
     * so a short-lived one does it */
    int64_t deadline = clock_mono_ms() + 10000;
    pthread_mutex_lock(&b->lock);
    while (b->window_count && clock_mono_ms() < deadline)
        wait_changed(b);
    pthread_mutex_unlock(&b->lock);
    inbox_forget(db, handled_below(b, next_new), &forgotten_below);
    struct tg_client *last = NULL;
    struct tg_client_options last_opt = {
        .api_url = b->api_url, .token = b->token, .timeout_ms = 5000};
    if (next_new && tg_client_new(&last, &last_opt, &err) == 0) {
        struct tg_updates rest;
        struct tg_get_updates confirm = {next_new, 1, 0, allowed_updates};
        if (tg_get_updates(last, &rest, &confirm) == 0)
            tg_updates_release(&rest);
    }
    tg_client_free(last);
    tg_client_free(tg);
    db_close(db);
    buf_release(&err);
    return NULL;
}

static void *sweeper_main(void *arg)
{
    struct bot *b = arg;
    struct db *db;
    struct buf err = BUF_INIT;
    if (db_open(&db, b->database_url, &err)) {
        log_error("reservation sweeper: %s", err.data);
        buf_release(&err);
        return NULL;
    }
    while (!stopping(b)) {
        if (db_exec(db, "DELETE FROM processed_update WHERE processed_at < ?",
                    DB_INT(clock_now() - 2 * 86400)))
            log_warn("old update ids not removed: %s", db_errmsg(db));
        pause_unless_stopping(b, b->opt.expiry_interval_s * 1000LL);
    }
    db_close(db);
    buf_release(&err);
    return NULL;
}

/* ---- start-up calls -------------------------------------------------------------------- */

enum {
    RETRY_FIRST_MS = 1000,
    NEEDED_RETRY_MAX_MS = 30000,    /* getMe, deleteWebhook: the bot cannot work without them */
    COSMETIC_RETRY_MAX_MS = 300000, /* setMyCommands: the bot works without it */
};

/* Whether a failed call may succeed later: the network, Telegram's servers, a 429. */
static bool transient(const struct tg_result *r)
{
    return r->kind == TG_SERVER || r->kind == TG_NETWORK || r->kind == TG_TIMEOUT ||
           r->kind == TG_FLOOD;
}

/* The pause before retrying after r: a 429's retry_after, else *backoff_ms, which doubles
 * up to max_ms for the next time. */
static int64_t retry_pause_ms(const struct tg_result *r, int64_t *backoff_ms, int64_t max_ms)
{
    if (r->kind == TG_FLOOD)
        return r->retry_after * 1000LL;
    int64_t pause = *backoff_ms;
    *backoff_ms = pause * 2 > max_ms ? max_ms : pause * 2;
    return pause;
}

/* Sleeps ms in short steps; true as soon as the process is asked to stop. */
static bool startup_pause(const struct bot *b, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    for (;;) {
        if (b->opt.stop_requested && b->opt.stop_requested())
            return true;
        int64_t left = deadline - clock_mono_ms();
        if (left <= 0)
            return false;
        clock_sleep_ms(left < 100 ? left : 100);
    }
}

typedef int needed_call(struct bot *b, struct tg_client *tg);

static int call_get_me(struct bot *b, struct tg_client *tg)
{
    const struct tg_user *me;
    int rc = tg_get_me(tg, &me);
    if (!rc)
        b->username = xstrdup(me->username ? me->username : "");
    return rc;
}

static int call_delete_webhook(struct bot *b, struct tg_client *tg)
{
    (void)b;
    return tg_delete_webhook(tg, false);
}

static int call_set_webhook(struct bot *b, struct tg_client *tg)
{
    struct tg_webhook hook = {
        .url = b->opt.webhook_url,
        .secret_token = b->opt.webhook_secret,
        .allowed_updates = allowed_updates,
    };
    return tg_set_webhook(tg, &hook);
}

/* Calls a start-up call the bot needs until it succeeds: network and server errors and
 * 429s are logged (one line each) and retried; a wrong token or any other refusal ends
 * start-up with one line in err, as does a stop request. */
static int call_needed(struct bot *b, struct tg_client *tg, const char *method, needed_call *fn,
                       struct buf *err)
{
    int64_t backoff_ms = RETRY_FIRST_MS;
    for (;;) {
        int rc = fn(b, tg);
        if (!rc)
            return 0;
        const struct tg_result *r = tg_client_result(tg);
        if (r->kind == TG_UNAUTHORIZED) {
            buf_setf(err, "Telegram refused the bot token (%s: %d %s); check BOT_TOKEN", method,
                     r->error_code, r->description);
            return rc;
        }
        if (!transient(r)) {
            buf_setf(err, "%s failed: %s", method, r->description);
            return rc;
        }
        int64_t pause = retry_pause_ms(r, &backoff_ms, NEEDED_RETRY_MAX_MS);
        log_warn("bot start-up: %s failed (%s); retrying in %lld s", method, r->description,
                 (long long)(pause / 1000));
        if (startup_pause(b, pause)) {
            buf_setf(err, "stopped while %s was failing", method);
            return rc;
        }
    }
}

/* setMyCommands in the default language, Russian and English. */
static int set_commands(struct bot *b, struct tg_client *tg)
{
    static const char *const names[] = {"start", "catalog", "cart", "orders", "faq", "help"};
    static const char *const langs[] = {NULL, "ru", "en"};
    int rc = 0;
    for (size_t l = 0; l < 3 && !rc; l++) {
        const char *lang = langs[l] ? langs[l] : b->settings.default_language;
        struct tg_command cmds[6];
        char keys[6][32];
        for (size_t i = 0; i < 6; i++) {
            snprintf(keys[i], sizeof keys[i], "cmd_%s", names[i]);
            cmds[i] = (struct tg_command){names[i], text_get(lang, keys[i])};
        }
        rc = tg_set_my_commands(tg, cmds, 6, langs[l]);
    }
    return rc;
}

/* Logs a failed setMyCommands; returns the pause before the next try, or -1 when trying
 * again makes no sense. */
static int64_t commands_failed(struct bot *b, struct tg_client *tg)
{
    const struct tg_result *r = tg_client_result(tg);
    if (!transient(r)) {
        log_warn("setMyCommands failed (%s); the bot runs without its command menu",
                 r->description);
        return -1;
    }
    int64_t pause = retry_pause_ms(r, &b->commands_backoff_ms, COSMETIC_RETRY_MAX_MS);
    log_warn("setMyCommands failed (%s); the bot runs without its command menu and retries "
             "in %lld s",
             r->description, (long long)(pause / 1000));
    return pause;
}

/* Retries setMyCommands in the background while the bot serves updates. */
static void *commands_main(void *arg)
{
    struct bot *b = arg;
    struct tg_client *tg = thread_client(b);
    if (!tg)
        return NULL;
    int64_t pause = b->commands_pause_ms;
    while (pause >= 0 && !stopping(b)) {
        pause_unless_stopping(b, pause);
        if (stopping(b))
            break;
        if (!set_commands(b, tg)) {
            log_info("setMyCommands succeeded: the command menu is set");
            break;
        }
        pause = stopping(b) ? -1 : commands_failed(b, tg);
    }
    tg_client_free(tg);
    return NULL;
}

/* The start-up calls: getMe and deleteWebhook (long polling) or setWebhook are needed and retried
 * until they succeed; setMyCommands is cosmetic: after a failure it is retried in the background
 * (commands_main, started by bot_start when commands_pause_ms >= 0). */
static int introduce(struct bot *b, struct buf *err)
{
    struct tg_client *tg;
    struct tg_client_options copt = {.api_url = b->api_url, .token = b->token};
    int rc = tg_client_new(&tg, &copt, err);
    if (rc)
        return rc;
    rc = call_needed(b, tg, "getMe", call_get_me, err);
    if (!rc && b->opt.long_polling)
        rc = call_needed(b, tg, "deleteWebhook", call_delete_webhook, err);
    else if (!rc && b->opt.webhook_url)
        rc = call_needed(b, tg, "setWebhook", call_set_webhook, err);
    b->commands_backoff_ms = RETRY_FIRST_MS;
    b->commands_pause_ms = -1;
    if (!rc && set_commands(b, tg))
        b->commands_pause_ms = commands_failed(b, tg);
    tg_client_free(tg);
    return rc;
}

static int start_worker(struct bot *b, struct worker *w, struct buf *err)
{
    w->bot = b;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    arena_init(&w->arena, 16384);
    int rc = db_open(&w->db, b->database_url, err);
    if (rc)
        return rc;
    struct tg_client_options copt = {.api_url = b->api_url, .token = b->token, .flood = b->flood};
    if ((rc = tg_client_new(&w->tg, &copt, err)))
        return rc;
    if ((rc = staff_queue_open(&w->jobs, &b->settings, err)))
        return rc;
    w->gate = gate_new();
    w->screens = ui_screens_new();
    if (pthread_create(&w->thread, NULL, worker_main, w)) {
        buf_setf(err, "cannot start a worker thread");
        return ERR_INTERNAL;
    }
    return 0;
}

int bot_start(struct bot **out, const struct bot_options *opt, struct buf *err)
{
    *out = NULL;
    int rc = texts_init(err);
    if (rc)
        return rc;
    struct bot *b = xcalloc(1, sizeof *b);
    b->opt = *opt;
    if (b->opt.workers <= 0)
        b->opt.workers = 8;
    if (b->opt.workers > MAX_WORKERS)
        b->opt.workers = MAX_WORKERS;
    if (b->opt.poll_timeout_s <= 0)
        b->opt.poll_timeout_s = 25;
    if (b->opt.expiry_interval_s <= 0)
        b->opt.expiry_interval_s = 30;
    b->database_url = xstrdup(opt->database_url);
    b->api_url = xstrdup(opt->api_url);
    b->token = xstrdup(opt->token);
    b->settings = opt->settings;
    pthread_mutex_init(&b->lock, NULL);
    pthread_cond_init(&b->changed, NULL);
    if ((rc = introduce(b, err))) {
        bot_stop(b);
        return rc;
    }
    b->settings.bot_username = b->username;
    b->flood = opt->flood;
    if (!b->flood)
        b->flood = b->own_flood = tg_flood_new(&(struct tg_flood_options){.rate = opt->send_rate});
    b->workers = xcalloc((size_t)b->opt.workers, sizeof *b->workers);
    for (int i = 0; i < b->opt.workers && !rc; i++) {
        rc = start_worker(b, &b->workers[i], err);
        b->nworkers = rc ? i : i + 1; /* the workers whose thread runs: bot_stop joins them */
    }
    if (!rc) {
        b->sweeping = pthread_create(&b->sweeper, NULL, sweeper_main, b) == 0;
        rc = b->sweeping ? 0 : ERR_INTERNAL;
    }
    if (!rc && b->opt.long_polling) {
        b->polling = pthread_create(&b->poller, NULL, poller_main, b) == 0;
        rc = b->polling ? 0 : ERR_INTERNAL;
    }
    if (!rc && b->commands_pause_ms >= 0) {
        b->retrying_commands = pthread_create(&b->commands_thread, NULL, commands_main, b) == 0;
        rc = b->retrying_commands ? 0 : ERR_INTERNAL;
    }
    if (rc) {
        if (!err->len)
            buf_setf(err, "cannot start the bot's threads");
        bot_stop(b);
        return rc;
    }
    *out = b;
    return 0;
}

void bot_stop(struct bot *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->lock);
    b->stop = true;
    pthread_mutex_unlock(&b->lock);
    atomic_store(&b->cancel_calls, true);
    if (b->polling)
        pthread_join(b->poller, NULL);
    if (b->sweeping)
        pthread_join(b->sweeper, NULL);
    if (b->retrying_commands)
        pthread_join(b->commands_thread, NULL);
    for (int i = 0; i < b->nworkers; i++) {
        struct worker *w = &b->workers[i];
        pthread_mutex_lock(&w->lock);
        w->stop = true;
        pthread_cond_broadcast(&w->wake);
        pthread_mutex_unlock(&w->lock);
        pthread_join(w->thread, NULL);
    }
    for (int i = 0; b->workers && i < b->opt.workers; i++) {
        struct worker *w = &b->workers[i];
        db_close(w->db);
        staff_queue_close(w->jobs);
        tg_client_free(w->tg);
        gate_free(w->gate);
        ui_screens_free(w->screens);
        arena_release(&w->arena);
    }
    free(b->workers);
    tg_flood_free(b->own_flood);
    free(b->database_url);
    free(b->api_url);
    free(b->token);
    free(b->username);
    free(b);
}

void bot_get_stats(struct bot *b, struct bot_stats *out)
{
    pthread_mutex_lock(&b->lock);
    out->updates = b->updates;
    out->failures = b->failures;
    out->duplicates = b->duplicates;
    out->max_ms = b->max_ms;
    uint64_t seen = 0, p50 = (b->updates + 1) / 2, p99 = b->updates - b->updates / 100;
    out->p50_ms = out->p99_ms = 0;
    for (size_t i = 0; i < LATENCY_BUCKETS; i++) {
        uint64_t before = seen;
        seen += b->latency[i];
        double ms = (double)((i + 1) * LATENCY_BUCKET_US) / 1000.0;
        if (before < p50 && seen >= p50)
            out->p50_ms = ms;
        if (before < p99 && seen >= p99)
            out->p99_ms = ms;
    }
    pthread_mutex_unlock(&b->lock);
}

const char *bot_username(const struct bot *b)
{
    return b->username;
}
