#include "shopper.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shop/texts.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "db/migrate.h"
#include "tg/flood.h"
#include "sandbox_client.h"
#include "shop/customer.h"
#include "testdb.h"

struct shop shop;

enum { SETTLE_DEADLINE_MS = 20000 };

/* The bot's anti-flood bucket (gate.h), mirrored with a margin: the bot refills from the
 * moment it handles an update, a little after the moment the shopper acted. */
static const double FLOOD_BURST = 8, FLOOD_RATE_PER_MS = 3.0 / 1000.0, FLOOD_MARGIN = 0.5;

/* ---- sandbox ------------------------------------------------------------------------------ */

static json_t *call(int expect_status, const char *method, const char *path, const char *body)
{
    char *url = test_url(path);
    long status = 0;
    bool get = !strcmp(method, "GET");
    json_t *answer = test_http(url, get ? NULL : "application/json", get ? NULL : body,
                               get ? 0 : strlen(body), &status);
    if (status != expect_status)
        fail_msg("%s %s %s: HTTP %ld (expected %d): %s", method, path, body ? body : "", status,
                 expect_status,
                 answer ? json_string_value(json_object_get(answer, "description")) : "(no JSON)");
    free(url);
    json_t *result = json_incref(json_object_get(answer, "result"));
    if (!result)
        result = json_incref(answer);
    json_decref(answer);
    return result;
}

json_t *sandbox_api(int expect_status, const char *method, const char *path, const char *fmt, ...)
{
    struct buf body = BUF_INIT;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        buf_vaddf(&body, fmt, ap);
        va_end(ap);
    }
    json_t *result = call(expect_status, method, path, body.data);
    buf_release(&body);
    return result;
}

/* POSTs a JSON body (stolen) to the user API. */
static json_t *post(const char *path, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_t *result = call(200, "POST", path, text);
    free(text);
    json_decref(body);
    return result;
}

static int64_t pending_updates(void)
{
    struct buf out = BUF_INIT;
    sandbox_user_api(test_sb, "GET", "/sandbox/api/stats", NULL, &out);
    json_t *answer = json_loadb(out.data, out.len, 0, NULL);
    int64_t n =
        json_integer_value(json_object_get(json_object_get(answer, "result"), "updates_pending"));
    json_decref(answer);
    buf_release(&out);
    return n;
}

void shop_settle(void)
{
    int64_t deadline = clock_mono_ms() + SETTLE_DEADLINE_MS;
    for (;;) {
        /* the poller confirms a batch only after the bot handled it, so no update left in the
         * sandbox and none in the bot's hands means everything was handled */
        int64_t pending = pending_updates();
        if (pending == 0 && bot_drain(shop.bot, 0) == 0)
            return;
        if (clock_mono_ms() > deadline)
            fail_msg("the bot did not handle its updates within %d ms (%lld in the sandbox)",
                     SETTLE_DEADLINE_MS, (long long)pending);
        clock_sleep_ms(1);
    }
}

/* ---- the shop ---------------------------------------------------------------------------- */

void shop_start_bot(void)
{
    struct buf err = BUF_INIT;
    if (bot_start(&shop.bot, &shop.opt, &err))
        fail_msg("bot_start: %s", err.data);
    buf_release(&err);
}

void shop_open(const char *backend)
{
    memset(&shop, 0, sizeof shop);
    shop.backend = backend;
    struct sandbox_options sopt = {0};
    test_start(&sopt);
    snprintf(shop.db_url, sizeof shop.db_url, "%s", testdb_new_url(backend));
    struct buf err = BUF_INIT;
    if (db_open(&shop.db, shop.db_url, &err) || migrate_apply(shop.db, NULL, &err))
        fail_msg("database %s: %s", shop.db_url, err.data);
    buf_release(&err);
    arena_init(&shop.arena, 0);
    json_decref(sandbox_api(200, "POST", "/sandbox/api/users",
                            "{\"id\":%d,\"first_name\":\"Shop admin\",\"started\":true}",
                            SHOP_ADMIN_ID));
    shop.admin_ids[0] = SHOP_ADMIN_ID;
    shop.opt = (struct bot_options){
        .database_url = shop.db_url,
        .api_url = sandbox_url(test_sb),
        .token = TEST_TOKEN,
        .settings =
            {
                .currency = "XTR",
                .provider_token = NULL,
                .admin_chat_ids = shop.admin_ids,
                .admin_chat_count = 1,
                .default_language = "en",
                .page_size = SHOP_PAGE_SIZE,
                .reserve_seconds = 1800,
                .gate_cache_seconds = 60,
                .queue = &shop.queue,
            },
        .workers = 2,
        .long_polling = true,
        .poll_timeout_s = 1, /* bot_stop waits for the running long poll */
        .expiry_interval_s = 3600,
    };
    shop.queue = (struct queue_config){.database_url = shop.db_url};
    shop.notify = (struct notify_ctx){.send_rate = 30};
    /* one flood state for the bot and the sender, as tgshop run has */
    shop.flood = tg_flood_new(&(struct tg_flood_options){.rate = 30});
    shop.opt.flood = shop.flood;
    struct worker_options wopt = {.queue = shop.queue,
                                  .flood = shop.flood,
                                  .database_url = shop.db_url,
                                  .api_url = sandbox_url(test_sb),
                                  .token = TEST_TOKEN,
                                  .queues = {QUEUE_SENDING},
                                  .queue_count = 1,
                                  .poll_ms = 20};
    shop.sender = worker_new(&wopt);
    worker_register(shop.sender, NOTIFY_KIND, notify_message_job, &shop.notify);
    struct buf err2 = BUF_INIT;
    if (worker_start(shop.sender, &err2))
        fail_msg("worker_start: %s", err2.data);
    buf_release(&err2);
    shop_start_bot();
}

void shop_settle_notes(void)
{
    int64_t deadline = clock_mono_ms() + SETTLE_DEADLINE_MS;
    while (db_int_or(-1,
                     "SELECT count(*) FROM job WHERE status IN ('queued', 'running') AND id > ?",
                     0) != 0) {
        if (clock_mono_ms() > deadline)
            fail_msg("staff notes still queued after %d ms", SETTLE_DEADLINE_MS);
        clock_sleep_ms(5);
    }
}

void shop_close(void)
{
    bot_stop(shop.bot);
    shop.bot = NULL;
    worker_free(shop.sender);
    shop.sender = NULL;
    tg_flood_free(shop.flood);
    shop.flood = NULL;
    test_stop();
    db_close(shop.db);
    arena_release(&shop.arena);
    testdb_cleanup();
}

void shop_restart_bot(void)
{
    bot_stop(shop.bot);
    shop.bot = NULL;
    shop_start_bot();
}

/* ---- shoppers ---------------------------------------------------------------------------- */

void shopper_new(struct shopper *s, int64_t id, const char *first_name, const char *lang)
{
    memset(s, 0, sizeof *s);
    s->id = id;
    s->tokens = FLOOD_BURST;
    s->refilled_ms = clock_mono_ms();
    json_t *body =
        json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "first_name", first_name, "started", 1);
    if (lang)
        json_object_set_new(body, "language_code", json_string(lang));
    json_decref(post("/sandbox/api/users", body));
}

void shopper_free(struct shopper *s)
{
    json_decref(s->chat);
    s->chat = NULL;
}

int64_t shopper_register(struct shopper *s, const char *first_name)
{
    struct tg_profile p = {s->id, NULL, first_name, NULL, "en"};
    struct customer c;
    if (customer_touch(shop.db, &shop.arena, &p, &c))
        fail_msg("customer_touch: %s", db_errmsg(shop.db));
    s->customer_id = c.id;
    return c.id;
}

void shopper_pace(struct shopper *s)
{
    if (s->no_pacing)
        return;
    int64_t now = clock_mono_ms();
    s->tokens += (double)(now - s->refilled_ms) * FLOOD_RATE_PER_MS;
    if (s->tokens > FLOOD_BURST)
        s->tokens = FLOOD_BURST;
    s->refilled_ms = now;
    if (s->tokens < 1 + FLOOD_MARGIN) {
        /* the anti-flood rule says when the next update is welcome: wait for exactly that */
        clock_sleep_ms((int64_t)((1 + FLOOD_MARGIN - s->tokens) / FLOOD_RATE_PER_MS) + 1);
        s->tokens += (double)(clock_mono_ms() - now) * FLOOD_RATE_PER_MS;
        s->refilled_ms = clock_mono_ms();
    }
    s->tokens -= 1;
}

static const char *user_path(struct shopper *s, const char *action)
{
    static char path[128];
    snprintf(path, sizeof path, "/sandbox/api/users/%lld/%s", (long long)s->id, action);
    return path;
}

static void learn_customer(struct shopper *s)
{
    if (!s->customer_id)
        s->customer_id = db_int_or(0, "SELECT id FROM customer WHERE tg_id = ?", s->id);
}

void shopper_say(struct shopper *s, const char *text)
{
    shopper_pace(s);
    json_decref(post(user_path(s, "messages"), json_pack("{s:s}", "text", text)));
    shop_settle();
    learn_customer(s);
}

void shopper_contact(struct shopper *s, const char *phone)
{
    shopper_pace(s);
    json_decref(post(user_path(s, "contact"), json_pack("{s:s}", "phone_number", phone)));
    shop_settle();
    learn_customer(s);
}

struct toast shopper_press(struct shopper *s, int64_t message_id, const char *data)
{
    shopper_pace(s);
    json_t *r =
        post(user_path(s, "callback"),
             json_pack("{s:I, s:s}", "message_id", (json_int_t)message_id, "callback_data", data));
    char path[128];
    snprintf(path, sizeof path, "/sandbox/api/queries/%s",
             json_string_value(json_object_get(r, "callback_query_id")));
    json_decref(r);
    shop_settle();
    learn_customer(s);
    json_t *q = sandbox_api(200, "GET", path, NULL);
    struct toast t = {0};
    t.answered = !strcmp(json_string_value(json_object_get(q, "status")), "answered");
    json_t *answer = json_object_get(q, "answer");
    t.alert = json_is_true(json_object_get(answer, "show_alert"));
    const char *text = json_string_value(json_object_get(answer, "text"));
    snprintf(t.text, sizeof t.text, "%s", text ? text : "");
    json_decref(q);
    return t;
}

struct toast shopper_press_data(struct shopper *s, const char *data)
{
    json_t *screen = shopper_screen(s);
    if (!msg_label(screen, data))
        fail_msg("no button \"%s\" on the screen \"%s\"; buttons:\n%s", data, msg_text(screen),
                 msg_buttons(screen));
    return shopper_press(s, msg_id(screen), data);
}

struct toast shopper_press_label(struct shopper *s, const char *label)
{
    json_t *screen = shopper_screen(s);
    const char *data = msg_button(screen, label);
    if (!data)
        fail_msg("no button labelled \"%s\" on the screen \"%s\"; buttons:\n%s", label,
                 msg_text(screen), msg_buttons(screen));
    char copy[65];
    snprintf(copy, sizeof copy, "%s", data);
    return shopper_press(s, msg_id(screen), copy);
}

const char *shopper_pay(struct shopper *s, int64_t message_id, char *error_message, size_t size)
{
    json_t *r = post(user_path(s, "pay"), json_pack("{s:I}", "message_id", (json_int_t)message_id));
    char path[128];
    snprintf(path, sizeof path, "/sandbox/api/queries/%s",
             json_string_value(json_object_get(r, "pre_checkout_query_id")));
    json_decref(r);
    shop_settle();
    json_t *q = sandbox_api(200, "GET", path, NULL);
    /* the sandbox queues successful_payment when it takes the bot's answer, which may be
     * after the settle above saw nothing pending: wait for that update too */
    shop_settle();
    static char status[32];
    snprintf(status, sizeof status, "%s", json_string_value(json_object_get(q, "status")));
    if (error_message) {
        const char *why =
            json_string_value(json_object_get(json_object_get(q, "answer"), "error_message"));
        snprintf(error_message, size, "%s", why ? why : "");
    }
    json_decref(q);
    return status;
}

json_t *shopper_messages(struct shopper *s)
{
    char path[128];
    snprintf(path, sizeof path, "/sandbox/api/chats/%lld", (long long)s->id);
    json_decref(s->chat);
    s->chat = sandbox_api(200, "GET", path, NULL);
    return json_object_get(s->chat, "messages");
}

json_t *shopper_reply_keyboard(struct shopper *s)
{
    shopper_messages(s);
    return json_object_get(s->chat, "reply_keyboard");
}

static bool from_bot(const json_t *msg)
{
    return json_is_true(json_object_get(json_object_get(msg, "from"), "is_bot"));
}

json_t *shopper_screen(struct shopper *s)
{
    json_t *messages = shopper_messages(s);
    for (size_t i = json_array_size(messages); i-- > 0;)
        if (from_bot(json_array_get(messages, i)))
            return json_array_get(messages, i);
    fail_msg("the bot has not written to %lld", (long long)s->id);
    return NULL;
}

json_t *shopper_find(struct shopper *s, const char *fragment)
{
    json_t *messages = shopper_messages(s);
    for (size_t i = json_array_size(messages); i-- > 0;) {
        json_t *m = json_array_get(messages, i);
        if (from_bot(m) && strstr(msg_text(m), fragment))
            return m;
    }
    return NULL;
}

int shopper_count(struct shopper *s, const char *fragment)
{
    json_t *messages = shopper_messages(s);
    int n = 0;
    size_t i;
    json_t *m;
    json_array_foreach(messages, i, m)
    {
        if (from_bot(m) && strstr(msg_text(m), fragment))
            n++;
    }
    return n;
}

int64_t shopper_delivered(struct shopper *s)
{
    json_t *stats = sandbox_api(200, "GET", "/sandbox/api/stats", NULL);
    char key[32];
    snprintf(key, sizeof key, "%lld", (long long)s->id);
    int64_t n = json_integer_value(
        json_object_get(json_object_get(json_object_get(stats, "chats"), key), "delivered"));
    json_decref(stats);
    return n;
}

/* ---- messages ---------------------------------------------------------------------------- */

const char *msg_text(const json_t *msg)
{
    const char *t = json_string_value(json_object_get(msg, "text"));
    if (!t)
        t = json_string_value(json_object_get(msg, "caption"));
    return t ? t : "";
}

int64_t msg_id(const json_t *msg)
{
    return json_integer_value(json_object_get(msg, "message_id"));
}

/* Calls fn for each inline button until it returns true; returns that button. */
static json_t *find_button(const json_t *msg, bool (*fn)(json_t *button, const char *arg),
                           const char *arg)
{
    json_t *rows = json_object_get(json_object_get(msg, "reply_markup"), "inline_keyboard");
    size_t i, k;
    json_t *row, *button;
    json_array_foreach(rows, i, row)
    {
        json_array_foreach(row, k, button)
        {
            if (fn(button, arg))
                return button;
        }
    }
    return NULL;
}

static bool label_contains(json_t *button, const char *label)
{
    const char *text = json_string_value(json_object_get(button, "text"));
    return text && strstr(text, label) && json_object_get(button, "callback_data");
}

static bool data_is(json_t *button, const char *data)
{
    const char *d = json_string_value(json_object_get(button, "callback_data"));
    return d && !strcmp(d, data);
}

const char *msg_button(const json_t *msg, const char *label)
{
    return json_string_value(
        json_object_get(find_button(msg, label_contains, label), "callback_data"));
}

const char *msg_label(const json_t *msg, const char *data)
{
    return json_string_value(json_object_get(find_button(msg, data_is, data), "text"));
}

const char *msg_buttons(const json_t *msg)
{
    static char out[4096];
    struct buf b = BUF_INIT;
    json_t *rows = json_object_get(json_object_get(msg, "reply_markup"), "inline_keyboard");
    size_t i, k;
    json_t *row, *button;
    json_array_foreach(rows, i, row)
    {
        json_array_foreach(row, k, button)
        {
            const char *data = json_string_value(json_object_get(button, "callback_data"));
            const char *url = json_string_value(json_object_get(button, "url"));
            buf_addf(&b, "%s[%s=%s]", k ? " " : "  ",
                     json_string_value(json_object_get(button, "text")),
                     data  ? data
                     : url ? url
                           : "?");
        }
        buf_addc(&b, '\n');
    }
    snprintf(out, sizeof out, "%s", b.data);
    buf_release(&b);
    return out;
}

const char *expect(const char *key)
{
    return expect_in("en", key);
}

const char *expect_in(const char *lang, const char *key)
{
    static char ring[8][512];
    static int next;
    char *out = ring[next++ % 8];
    /* strip the markup and the entities Telegram's HTML knows */
    struct buf plain = BUF_INIT;
    for (const char *p = text_get(lang, key); *p;) {
        static const struct {
            const char *entity, *ch;
        } entities[] = {{"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}};
        bool done = false;
        if (*p == '<') {
            const char *end = strchr(p, '>');
            p = end ? end + 1 : p + strlen(p);
            continue;
        }
        for (size_t i = 0; i < sizeof entities / sizeof *entities && !done; i++) {
            size_t n = strlen(entities[i].entity);
            if (!strncmp(p, entities[i].entity, n)) {
                buf_adds(&plain, entities[i].ch);
                p += n;
                done = true;
            }
        }
        if (!done)
            buf_addc(&plain, *p++);
    }
    /* the longest piece between placeholders, without the whitespace at its ends */
    const char *best = plain.data;
    size_t best_len = 0;
    for (const char *p = plain.data; *p;) {
        size_t len = strcspn(p, "{");
        const char *start = p;
        size_t l = len;
        while (l && strchr(" \n", *start)) {
            start++;
            l--;
        }
        while (l && strchr(" \n", start[l - 1]))
            l--;
        if (l > best_len) {
            best = start;
            best_len = l;
        }
        p += len;
        if (*p == '{') {
            const char *close = strchr(p, '}');
            p = close ? close + 1 : p + 1;
        }
    }
    snprintf(out, 512, "%.*s", (int)best_len, best);
    buf_release(&plain);
    return out;
}

void assert_contains_at(const char *haystack, const char *needle, const char *file, int line)
{
    if (!haystack || !strstr(haystack, needle))
        fail_msg("%s:%d: expected \"%s\" in:\n%s", file, line, needle,
                 haystack ? haystack : "(null)");
}

void assert_not_contains_at(const char *haystack, const char *needle, const char *file, int line)
{
    if (haystack && strstr(haystack, needle))
        fail_msg("%s:%d: did not expect \"%s\" in:\n%s", file, line, needle, haystack);
}

int64_t db_int_or(int64_t missing, const char *sql, int64_t arg)
{
    int64_t v = 0;
    int rc = db_query_int(shop.db, &v, sql, DB_INT(arg));
    if (rc == ERR_NOTFOUND)
        return missing;
    if (rc)
        fail_msg("%s: %s", sql, db_errmsg(shop.db));
    return v;
}
