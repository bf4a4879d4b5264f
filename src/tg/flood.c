#include "tg/flood.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/xalloc.h"
#include "core/banned.h"

/* A little under Telegram's 1 message/s, so that network jitter (a message that reaches
 * Telegram a few ms late, the next one early) cannot make two look closer than a second. */
#define DEFAULT_CHAT_RATE 0.9

enum {
    DEFAULT_RATE = 30,
    DEFAULT_CHAT_BURST = 3,
    FIRST_CAPACITY = 64, /* chats in the table, a power of two */
    WAIT_SLICE_MS = 50,  /* a waiting call looks at its cancel flag this often */
};

/* The pacer is a GCRA (a token bucket kept as one time): a message may go at t when
 * tat - tolerance <= t, and then moves tat to max(tat, t) + interval. */
struct pace {
    int64_t interval_us;  /* 1 / rate */
    int64_t tolerance_us; /* (burst - 1) intervals */
};

struct chat {
    int64_t id; /* 0 = a free slot */
    int64_t tat_us;
    int64_t hold_until_us;
};

struct tg_flood {
    pthread_mutex_t lock;
    struct pace global, per_chat;
    /* A new state does not know what the process before it sent (a restart): it takes every
     * chat as having had its burst at the moment the state was made. */
    int64_t fresh_chat_tat_us;
    int64_t global_tat_us;
    int64_t bot_hold_until_us;
    struct chat *chats; /* open addressing, linear probing */
    size_t capacity, count;
    struct tg_flood_stats stats;
};

static struct pace pace_of(double rate, int burst)
{
    int64_t interval = (int64_t)(1e6 / rate);
    if (interval < 1)
        interval = 1;
    return (struct pace){interval, (int64_t)(burst - 1) * interval};
}

struct tg_flood *tg_flood_new(const struct tg_flood_options *opt)
{
    struct tg_flood_options o = opt ? *opt : (struct tg_flood_options){0};
    if (o.rate <= 0)
        o.rate = DEFAULT_RATE;
    if (o.burst <= 0)
        o.burst = o.rate >= 20 ? (int)(o.rate / 10) : 1;
    if (o.chat_rate <= 0)
        o.chat_rate = DEFAULT_CHAT_RATE;
    if (o.chat_burst <= 0)
        o.chat_burst = DEFAULT_CHAT_BURST;
    struct tg_flood *f = xcalloc(1, sizeof *f);
    pthread_mutex_init(&f->lock, NULL);
    f->global = pace_of(o.rate, o.burst);
    f->per_chat = pace_of(o.chat_rate, o.chat_burst);
    int64_t now = clock_mono_us();
    f->global_tat_us = now + f->global.tolerance_us + f->global.interval_us;
    f->fresh_chat_tat_us = now + f->per_chat.tolerance_us + f->per_chat.interval_us;
    f->capacity = FIRST_CAPACITY;
    f->chats = xcalloc(f->capacity, sizeof *f->chats);
    return f;
}

void tg_flood_free(struct tg_flood *f)
{
    if (!f)
        return;
    pthread_mutex_destroy(&f->lock);
    free(f->chats);
    free(f);
}

static size_t slot_of(const struct tg_flood *f, int64_t id)
{
    uint64_t h = (uint64_t)id * 0x9E3779B97F4A7C15ull;
    return (size_t)(h >> 32) & (f->capacity - 1);
}

static struct chat *find(struct tg_flood *f, int64_t id)
{
    for (size_t i = slot_of(f, id);; i = (i + 1) & (f->capacity - 1)) {
        if (f->chats[i].id == id || f->chats[i].id == 0)
            return &f->chats[i];
    }
}

/* Keeps the chats that still hold a pacer slot or a hold at now_us, in a table big enough
 * for twice as many. */
static void rebuild(struct tg_flood *f, int64_t now_us)
{
    struct chat *old = f->chats;
    size_t old_capacity = f->capacity, live = 0;
    for (size_t i = 0; i < old_capacity; i++)
        live += old[i].id && (old[i].tat_us > now_us || old[i].hold_until_us > now_us);
    while (f->capacity > FIRST_CAPACITY && live * 4 < f->capacity)
        f->capacity /= 2;
    while (live * 2 + 2 > f->capacity)
        f->capacity *= 2;
    f->chats = xcalloc(f->capacity, sizeof *f->chats);
    f->count = 0;
    for (size_t i = 0; i < old_capacity; i++) {
        if (old[i].id && (old[i].tat_us > now_us || old[i].hold_until_us > now_us)) {
            *find(f, old[i].id) = old[i];
            f->count++;
        }
    }
    free(old);
}

/* The chat's entry, created when missing. */
static struct chat *chat_entry(struct tg_flood *f, int64_t id, int64_t now_us)
{
    struct chat *c = find(f, id);
    if (c->id)
        return c;
    if ((f->count + 1) * 2 > f->capacity) {
        rebuild(f, now_us);
        c = find(f, id);
    }
    *c = (struct chat){.id = id, .tat_us = f->fresh_chat_tat_us};
    f->count++;
    return c;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* The earliest time >= now_us the holds let a call to chat (NULL = no chat) go. */
static int64_t hold_end(const struct tg_flood *f, const struct chat *c, int64_t now_us)
{
    int64_t at = max64(now_us, f->bot_hold_until_us);
    return c ? max64(at, c->hold_until_us) : at;
}

int tg_flood_reserve(struct tg_flood *f, int64_t *out_at_us, int64_t chat_id, enum tg_flood_use use,
                     int64_t now_us)
{
    pthread_mutex_lock(&f->lock);
    struct chat *c = chat_id ? find(f, chat_id) : NULL;
    if (c && !c->id)
        c = NULL; /* no state: nothing holds it back */
    int64_t at = hold_end(f, c, now_us);
    if (use == TG_FLOOD_MESSAGE) {
        at = max64(at, f->global_tat_us - f->global.tolerance_us);
        at = max64(at, (c ? c->tat_us : f->fresh_chat_tat_us) - f->per_chat.tolerance_us);
    }
    int rc = at > now_us ? ERR_FLOOD : 0;
    if (!rc && use == TG_FLOOD_MESSAGE) {
        f->global_tat_us = max64(f->global_tat_us, now_us) + f->global.interval_us;
        if (chat_id) {
            c = chat_entry(f, chat_id, now_us);
            c->tat_us = max64(c->tat_us, now_us) + f->per_chat.interval_us;
        }
    }
    *out_at_us = at;
    pthread_mutex_unlock(&f->lock);
    return rc;
}

int64_t tg_flood_ready_at(struct tg_flood *f, int64_t chat_id, int64_t now_us)
{
    pthread_mutex_lock(&f->lock);
    struct chat *c = chat_id ? find(f, chat_id) : NULL;
    if (c && !c->id)
        c = NULL;
    int64_t at = hold_end(f, c, now_us);
    at = max64(at, (c ? c->tat_us : f->fresh_chat_tat_us) - f->per_chat.tolerance_us);
    pthread_mutex_unlock(&f->lock);
    return at;
}

void tg_flood_report(struct tg_flood *f, int64_t chat_id, int retry_after_s, int64_t now_us)
{
    int64_t until = now_us + (int64_t)(retry_after_s > 0 ? retry_after_s : 1) * 1000000;
    pthread_mutex_lock(&f->lock);
    if (chat_id) {
        struct chat *c = chat_entry(f, chat_id, now_us);
        c->hold_until_us = max64(c->hold_until_us, until);
    } else {
        f->bot_hold_until_us = max64(f->bot_hold_until_us, until);
    }
    f->stats.reports++;
    pthread_mutex_unlock(&f->lock);
}

static bool cancelled(const atomic_bool *cancel)
{
    return cancel && atomic_load(cancel);
}

/* Sleeps until at_us in short slices; false when cancel was set meanwhile. */
static bool sleep_until(int64_t at_us, const atomic_bool *cancel)
{
    for (int64_t now = clock_mono_us(); now < at_us; now = clock_mono_us()) {
        if (cancelled(cancel))
            return false;
        int64_t ms = (at_us - now + 999) / 1000;
        clock_sleep_ms(ms < WAIT_SLICE_MS ? ms : WAIT_SLICE_MS);
    }
    return !cancelled(cancel);
}

static void count_wait(struct tg_flood *f, int rc, bool paced, bool held, int64_t waited_us)
{
    pthread_mutex_lock(&f->lock);
    if (rc == ERR_FLOOD)
        f->stats.failed_fast++;
    f->stats.paced += paced;
    f->stats.held += held;
    f->stats.waited_ms += waited_us / 1000;
    pthread_mutex_unlock(&f->lock);
}

/* True when a hold (not the pacer) keeps a call to chat_id from going at now_us. */
static bool is_held(struct tg_flood *f, int64_t chat_id, int64_t now_us)
{
    pthread_mutex_lock(&f->lock);
    struct chat *c = chat_id ? find(f, chat_id) : NULL;
    bool held = hold_end(f, c && c->id ? c : NULL, now_us) > now_us;
    pthread_mutex_unlock(&f->lock);
    return held;
}

int tg_flood_acquire(struct tg_flood *f, int64_t chat_id, enum tg_flood_use use,
                     int64_t deadline_us, const atomic_bool *cancel, int64_t *out_wait_us)
{
    int64_t start = clock_mono_us(), now = start, at;
    bool held = false, paced = false;
    int rc;
    while ((rc = tg_flood_reserve(f, &at, chat_id, use, now)) == ERR_FLOOD) {
        if (is_held(f, chat_id, now))
            held = true;
        else
            paced = true;
        if (deadline_us && at > deadline_us)
            break;
        if (!sleep_until(at, cancel)) {
            rc = ERR_TIMEOUT;
            break;
        }
        now = clock_mono_us();
    }
    int64_t waited = rc == ERR_FLOOD ? at - now : clock_mono_us() - start;
    if (out_wait_us)
        *out_wait_us = waited > 0 ? waited : 0;
    if (rc || held || paced)
        count_wait(f, rc, paced, held, rc == ERR_FLOOD ? 0 : waited);
    return rc;
}

void tg_flood_get_stats(struct tg_flood *f, struct tg_flood_stats *out)
{
    pthread_mutex_lock(&f->lock);
    *out = f->stats;
    pthread_mutex_unlock(&f->lock);
}
