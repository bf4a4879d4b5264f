#include "journey.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/banned.h"

const char *const journey_step_names[STEP_COUNT] = {
    "/start", "catalog",  "category", "subcategory", "product", "+",       "add to cart",
    "cart",   "checkout", "name",     "phone",       "address", "confirm", "pay -> paid",
};

enum { MAX_DEPTH = 4 };

/* What a step waits for. */
enum match {
    MATCH_BUTTON_DATA, /* a bot message with a button whose callback_data starts with arg */
    MATCH_EDIT,        /* any new version of message_id */
    MATCH_ANY,         /* any new bot message (a reply keyboard is not part of the message) */
    MATCH_INVOICE,
};

struct expect {
    enum match match;
    const char *arg;
    int64_t message_id;
    const char *callback_id; /* also wait for this query's answer */
    bool need_paid;          /* also wait for the payment event "paid" */
    /* found */
    bool answered, paid;
    json_t *message;
};

struct customer {
    struct journey_shared *s;
    int64_t id;
    int slot;    /* where it waits for the pump */
    int64_t seq; /* events read up to here */
    unsigned rng;
    struct buf *why;
};

/* ---- the user API ------------------------------------------------------------------------ */

/* Calls the user API; *out gets the answer's result (new reference). */
static int user_api(struct customer *c, const char *method, const char *path, json_t *body,
                    json_t **out)
{
    *out = NULL;
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    struct buf answer = BUF_INIT;
    int status = sandbox_user_api(c->s->sb, method, path, text, &answer);
    free(text);
    json_t *reply = json_loadb(answer.data ? answer.data : "", answer.len, 0, NULL);
    int rc = 0;
    if (status != 200 || !json_is_true(json_object_get(reply, "ok"))) {
        buf_setf(c->why, "%s %s answered %d: %s", method, path, status,
                 answer.data ? answer.data : "");
        rc = ERR_INVALID;
    } else {
        *out = json_incref(json_object_get(reply, "result"));
    }
    json_decref(reply);
    buf_release(&answer);
    return rc;
}

static int user_post(struct customer *c, const char *action, json_t *body, json_t **out)
{
    char path[96];
    snprintf(path, sizeof path, "/sandbox/api/users/%lld/%s", (long long)c->id, action);
    return user_api(c, "POST", path, body, out);
}

/* ---- reading the chat -------------------------------------------------------------------- */

static bool from_bot(json_t *msg)
{
    return json_is_true(json_object_get(json_object_get(msg, "from"), "is_bot"));
}

static int64_t message_id(json_t *msg)
{
    return json_integer_value(json_object_get(msg, "message_id"));
}

/* The callback_data of the inline buttons of msg whose callback_data starts with prefix (and
 * whose text starts with text_prefix when given), in order, at most max; returns how many. */
static size_t matching_buttons(json_t *msg, const char *prefix, const char *text_prefix,
                               const char **found, size_t max)
{
    size_t n = 0, i, k;
    json_t *row, *b;
    json_array_foreach(json_object_get(json_object_get(msg, "reply_markup"), "inline_keyboard"), i,
                       row)
    {
        json_array_foreach(row, k, b)
        {
            const char *data = json_string_value(json_object_get(b, "callback_data"));
            const char *text = json_string_value(json_object_get(b, "text"));
            if (n < max && data && !strncmp(data, prefix, strlen(prefix)) &&
                (!text_prefix || (text && !strncmp(text, text_prefix, strlen(text_prefix)))))
                found[n++] = data;
        }
    }
    return n;
}

/* The first matching button's callback_data; NULL when none. */
static const char *button(json_t *msg, const char *prefix, const char *text_prefix)
{
    const char *found;
    return matching_buttons(msg, prefix, text_prefix, &found, 1) ? found : NULL;
}

/* The callback_data of a random matching button, or NULL. */
static const char *random_button(struct customer *c, json_t *msg, const char *prefix,
                                 const char *text_prefix)
{
    const char *found[64];
    size_t n = matching_buttons(msg, prefix, text_prefix, found, 64);
    return n ? found[(size_t)rand_r(&c->rng) % n] : NULL;
}

static bool matches(const struct expect *e, json_t *msg)
{
    switch (e->match) {
    case MATCH_BUTTON_DATA:
        return button(msg, e->arg, NULL) != NULL;
    case MATCH_EDIT:
        return message_id(msg) == e->message_id;
    case MATCH_ANY:
        return json_object_get(msg, "edit_date") == NULL;
    case MATCH_INVOICE:
        return json_object_get(msg, "invoice") != NULL;
    }
    return false;
}

static bool satisfied(const struct expect *e)
{
    return e->message && (!e->callback_id || e->answered) && (!e->need_paid || e->paid);
}

/* Takes in one event; ERR_CONFLICT when it ends the journey (a payment declined). */
static int take_event(struct customer *c, struct expect *e, json_t *event)
{
    const char *type = json_string_value(json_object_get(event, "type"));
    if (!type)
        return 0;
    if (!strcmp(type, "callback_answer")) {
        const char *id = json_string_value(json_object_get(event, "callback_query_id"));
        if (e->callback_id && id && !strcmp(id, e->callback_id))
            e->answered = true;
    } else if (!strcmp(type, "message") || !strcmp(type, "edited_message")) {
        json_t *msg = json_object_get(event, "message");
        if (from_bot(msg) && matches(e, msg)) {
            json_decref(e->message);
            e->message = json_incref(msg);
        }
    } else if (!strcmp(type, "payment")) {
        const char *status = json_string_value(json_object_get(event, "status"));
        if (status && !strcmp(status, "paid")) {
            e->paid = true;
        } else if (status && strcmp(status, "pending")) {
            const char *msg = json_string_value(json_object_get(event, "error_message"));
            buf_setf(c->why, "payment %s: %s", status, msg ? msg : "");
            return ERR_CONFLICT;
        }
    }
    return 0;
}

static void clock_sleep_us(int64_t us)
{
    struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

/* One read of the chat's new events (timeout=0), taken into e. */
static int read_events(struct customer *c, struct expect *e)
{
    char path[128];
    snprintf(path, sizeof path, "/sandbox/api/chats/%lld/events?after=%lld&timeout=0",
             (long long)c->id, (long long)c->seq);
    json_t *r;
    int rc = user_api(c, "GET", path, NULL, &r);
    if (rc)
        return rc;
    size_t i;
    json_t *event;
    json_array_foreach(json_object_get(r, "events"), i, event)
    {
        if (!rc)
            rc = take_event(c, e, event);
    }
    json_t *last = json_object_get(r, "last_seq");
    if (json_is_integer(last))
        c->seq = json_integer_value(last);
    json_decref(r);
    return rc;
}

/* ---- the event pump ------------------------------------------------------------------------
 * A customer waiting for the bot parks in its slot; one pump thread reads the waiting chats'
 * events round after round and wakes each customer whose answer is complete. Not a long poll
 * per customer: the sandbox wakes every waiting long poll on every event of any chat, and each
 * rescans the event ring under the world's one lock, which with hundreds of customers waiting
 * costs far more than the bot. Not a poll per customer either: hundreds of threads taking that
 * lock in turn convoy on it. One reader keeps the harness's cost low and bounded; the price is
 * a resolution of about one round (poll_us plus the reads) on the end-to-end times. */

enum slot_state { SLOT_IDLE, SLOT_WAITING, SLOT_DONE };

struct journey_slot {
    pthread_cond_t done;
    enum slot_state state; /* guarded by the shared wait_lock */
    struct customer *customer;
    struct expect *expect;
    int64_t deadline_ms;
    int rc;
    int64_t done_us; /* when the pump saw the answer complete */
};

static void *pump_main(void *arg)
{
    struct journey_shared *s = arg;
    for (;;) {
        pthread_mutex_lock(&s->wait_lock);
        bool stop = s->pump_stop;
        pthread_mutex_unlock(&s->wait_lock);
        if (stop)
            return NULL;
        for (int i = 0; i < s->slot_count; i++) {
            struct journey_slot *slot = &s->slots[i];
            pthread_mutex_lock(&s->wait_lock);
            bool waiting = slot->state == SLOT_WAITING;
            pthread_mutex_unlock(&s->wait_lock);
            if (!waiting) /* only the pump moves a slot out of WAITING */
                continue;
            struct customer *c = slot->customer;
            struct expect *e = slot->expect;
            int rc = read_events(c, e);
            bool over = rc || satisfied(e);
            if (!over && clock_mono_ms() >= slot->deadline_ms) {
                buf_setf(c->why, "no answer within %d ms (screen %s, callback answer %s%s)",
                         s->step_timeout_ms, e->message ? "seen" : "missing",
                         !e->callback_id ? "not needed"
                         : e->answered   ? "seen"
                                         : "missing",
                         e->need_paid ? e->paid ? ", paid" : ", not paid" : "");
                rc = ERR_TIMEOUT;
                over = true;
            }
            if (over) {
                pthread_mutex_lock(&s->wait_lock);
                slot->rc = rc;
                slot->done_us = clock_mono_us();
                slot->state = SLOT_DONE;
                pthread_cond_signal(&slot->done);
                pthread_mutex_unlock(&s->wait_lock);
            }
        }
        clock_sleep_us(s->poll_us);
    }
}

int journey_pump_start(struct journey_shared *s, int slots)
{
    pthread_mutex_init(&s->wait_lock, NULL);
    s->slots = calloc((size_t)slots, sizeof *s->slots);
    if (!s->slots)
        return ERR_INTERNAL;
    for (int i = 0; i < slots; i++)
        pthread_cond_init(&s->slots[i].done, NULL);
    s->slot_count = slots;
    s->pump_stop = false;
    if (pthread_create(&s->pump, NULL, pump_main, s)) {
        free(s->slots);
        s->slots = NULL;
        return ERR_INTERNAL;
    }
    return 0;
}

void journey_pump_stop(struct journey_shared *s)
{
    if (!s->slots)
        return;
    pthread_mutex_lock(&s->wait_lock);
    s->pump_stop = true;
    pthread_mutex_unlock(&s->wait_lock);
    pthread_join(s->pump, NULL);
    for (int i = 0; i < s->slot_count; i++)
        pthread_cond_destroy(&s->slots[i].done);
    free(s->slots);
    s->slots = NULL;
}

/* Waits (through the pump) until e is satisfied or the step's time is up; *out_done_us gets
 * the moment the answer was seen complete. */
static int wait_for(struct customer *c, struct expect *e, int64_t *out_done_us)
{
    struct journey_shared *s = c->s;
    struct journey_slot *slot = &s->slots[c->slot];
    pthread_mutex_lock(&s->wait_lock);
    slot->customer = c;
    slot->expect = e;
    slot->deadline_ms = clock_mono_ms() + s->step_timeout_ms;
    slot->state = SLOT_WAITING;
    while (slot->state != SLOT_DONE)
        pthread_cond_wait(&slot->done, &s->wait_lock);
    slot->state = SLOT_IDLE;
    int rc = slot->rc;
    *out_done_us = slot->done_us;
    pthread_mutex_unlock(&s->wait_lock);
    return rc;
}

/* ---- steps -------------------------------------------------------------------------------- */

static void think(struct customer *c)
{
    int ms = c->s->think_ms;
    if (ms > 0)
        clock_sleep_ms(ms + (int)((unsigned)rand_r(&c->rng) % (unsigned)(ms / 2 + 1)));
}

/* Counts a completed step that made the bot handle `updates` updates. */
static void done(struct customer *c, enum journey_step step, int64_t started_us, int64_t now_us,
                 int updates)
{
    struct journey_shared *s = c->s;
    pthread_mutex_lock(&s->lock);
    hist_add(&s->steps[step], now_us - started_us);
    hist_add(&s->all, now_us - started_us);
    pthread_mutex_unlock(&s->lock);
    int64_t now_ms = now_us / 1000, second = (now_ms - s->t0_ms) / 1000;
    if (second >= 0 && second < JOURNEY_SECONDS_MAX)
        atomic_fetch_add(&s->per_second[second], (uint32_t)updates);
    atomic_fetch_add(&s->updates, (uint64_t)updates);
    int64_t last = atomic_load(&s->last_done_ms);
    while (now_ms > last && !atomic_compare_exchange_weak(&s->last_done_ms, &last, now_ms))
        ;
}

/* Runs one step: the action (already built as method + body), then the wait. On success
 * *screen is replaced by the message the step waited for. */
static int step(struct customer *c, enum journey_step which, const char *action, json_t *body,
                struct expect *e, json_t **screen)
{
    think(c);
    int64_t started = clock_mono_us(), done_us = 0;
    json_t *result;
    int rc = user_post(c, action, body, &result);
    if (!rc) {
        if (!strcmp(action, "callback"))
            e->callback_id = json_string_value(json_object_get(result, "callback_query_id"));
        rc = wait_for(c, e, &done_us);
        e->callback_id = NULL; /* it pointed into result */
        json_decref(result);
    }
    if (rc) {
        struct buf what = BUF_INIT;
        buf_setf(&what, "step \"%s\": %s", journey_step_names[which],
                 c->why->data ? c->why->data : "");
        buf_setf(c->why, "%s", what.data);
        buf_release(&what);
        json_decref(e->message);
        return rc;
    }
    done(c, which, started, done_us, which == STEP_PAY ? 2 : 1);
    json_decref(*screen);
    *screen = e->message;
    return 0;
}

static int say(struct customer *c, enum journey_step which, const char *text, struct expect e,
               json_t **screen)
{
    return step(c, which, "messages", json_pack("{s:s}", "text", text), &e, screen);
}

static int press(struct customer *c, enum journey_step which, const char *data, struct expect e,
                 json_t **screen)
{
    if (!data) {
        buf_setf(c->why, "step \"%s\": the screen has no such button", journey_step_names[which]);
        return ERR_NOTFOUND;
    }
    json_t *body = json_pack("{s:I, s:s}", "message_id", (json_int_t)message_id(*screen),
                             "callback_data", data);
    return step(c, which, "callback", body, &e, screen);
}

int journey_run(struct journey_shared *s, int slot, int64_t user_id, unsigned rng_seed,
                struct buf *why)
{
    struct customer c = {s, user_id, slot, 0, rng_seed, why};
    json_t *screen = NULL;
    char text[128], prefix[64];
    int rc = say(&c, STEP_START, "/start",
                 (struct expect){.match = MATCH_BUTTON_DATA, .arg = "c:0:0"}, &screen);
    if (!rc)
        rc = press(&c, STEP_CATALOG, "c:0:0",
                   (struct expect){.match = MATCH_EDIT, .message_id = message_id(screen)}, &screen);
    /* down the category tree, a random branch each time, until a level lists products */
    for (int depth = 0; !rc && depth < MAX_DEPTH; depth++) {
        const char *sub = random_button(&c, screen, "c:", "📁");
        if (!sub || (depth > 0 && button(screen, "p:", NULL)))
            break;
        rc = press(&c, depth ? STEP_SUBCATEGORY : STEP_CATEGORY, sub,
                   (struct expect){.match = MATCH_EDIT, .message_id = message_id(screen)}, &screen);
    }
    int64_t pid = 0;
    if (!rc) {
        const char *p = random_button(&c, screen, "p:", NULL);
        pid = p ? strtoll(p + 2, NULL, 10) : 0;
        snprintf(prefix, sizeof prefix, "a:%lld:1:", (long long)pid);
        rc = press(&c, STEP_PRODUCT, p, (struct expect){.match = MATCH_BUTTON_DATA, .arg = prefix},
                   &screen);
    }
    if (!rc) {
        snprintf(prefix, sizeof prefix, "q:%lld:2:", (long long)pid);
        const char *plus = button(screen, prefix, "+");
        snprintf(prefix, sizeof prefix, "a:%lld:2:", (long long)pid);
        rc = press(&c, STEP_PLUS, plus, (struct expect){.match = MATCH_BUTTON_DATA, .arg = prefix},
                   &screen);
    }
    if (!rc)
        rc = press(&c, STEP_ADD, button(screen, prefix, NULL),
                   (struct expect){.match = MATCH_EDIT, .message_id = message_id(screen)}, &screen);
    if (!rc)
        rc = press(&c, STEP_CART, button(screen, "k:0", NULL),
                   (struct expect){.match = MATCH_BUTTON_DATA, .arg = "ko"}, &screen);
    if (!rc)
        rc = press(&c, STEP_CHECKOUT, button(screen, "ko", NULL),
                   (struct expect){.match = MATCH_BUTTON_DATA, .arg = "x:3"}, &screen);
    if (!rc) {
        snprintf(text, sizeof text, "Customer %lld", (long long)user_id);
        /* the answer asks for the phone with a "share contact" reply keyboard; the next step
         * fails if it asked for something else */
        rc = say(&c, STEP_NAME, text, (struct expect){.match = MATCH_ANY}, &screen);
    }
    if (!rc) {
        snprintf(text, sizeof text, "+7 900 %03lld %04lld", (long long)(user_id / 10000 % 1000),
                 (long long)(user_id % 10000));
        struct expect e = {.match = MATCH_BUTTON_DATA, .arg = "x:3"};
        rc = step(&c, STEP_PHONE, "contact",
                  json_pack("{s:s, s:s}", "phone_number", text, "first_name", "Customer"), &e,
                  &screen);
    }
    if (!rc) {
        snprintf(text, sizeof text, "Lenina street %lld, flat %u", (long long)(user_id % 997),
                 c.rng % 300);
        rc = say(&c, STEP_ADDRESS, text, (struct expect){.match = MATCH_BUTTON_DATA, .arg = "x:1"},
                 &screen);
    }
    if (!rc)
        rc = press(&c, STEP_CONFIRM, button(screen, "x:1", NULL),
                   (struct expect){.match = MATCH_INVOICE}, &screen);
    if (!rc) {
        struct expect e = {.match = MATCH_BUTTON_DATA, .arg = "o:0", .need_paid = true};
        rc = step(&c, STEP_PAY, "pay",
                  json_pack("{s:I}", "message_id", (json_int_t)message_id(screen)), &e, &screen);
    }
    json_decref(screen);
    return rc;
}
