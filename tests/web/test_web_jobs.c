/* The admin panel and the job queue, once per queue backend (the database on SQLite and
 * PostgreSQL, and Redis with an SQLite shop): an order's status change queues a
 * notify.message job for the customer's chat in their language with the bot's words, which
 * a sender worker delivers to the (sandbox) chat; the dead jobs page lists dead jobs of both
 * queues with their error and counts, superusers only, and retries or discards them (CSRF,
 * audit log); a queue that cannot be opened loses no status change and shows no internals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "db/migrate.h"
#include "panel_client.h"
#include "jobs/notify.h"
#include "sandbox/sandbox.h"
#include "shop/admin_user.h"
#include "shop/customer.h"
#include "sandbox_result.h"
#include "testdb.h"
#include "web/web.h"

#define TOKEN "123456789:webjobs-test-token-0123456789abcdef"

static const char *backend;
static char prefix[64];

static const char PASSWORD[] = "Counter-shift-2026";

struct fixture {
    char *url;
    struct queue_config qc;
    struct db *db;
    struct queue *q;
    struct web *web;
    struct sandbox *sb;
    struct panel_client panel;
    struct arena a;
    int64_t ann_order, bob_order;
};

static int64_t insert_order(struct fixture *f, int64_t tg_id, const char *lang)
{
    struct customer c;
    struct tg_profile who = {tg_id, NULL, "Shopper", NULL, lang};
    assert_int_equal(customer_touch(f->db, &f->a, &who, &c), 0);
    int64_t id;
    if (db_query_int(f->db, &id,
                     "INSERT INTO orders (customer_id, status, contact_name, phone, address, "
                     "total, currency, telegram_payment_charge_id, created_at, updated_at, "
                     "paid_at) VALUES (?, 'paid', 'A B', '+79990002222', 'Main st 1', 100, "
                     "'RUB', ?, 1764547200, 1764547200, 1764547260) RETURNING id",
                     DB_INT(c.id), DB_TEXT(arena_sprintf(&f->a, "charge-%lld", (long long)tg_id))))
        fail_msg("order: %s", db_errmsg(f->db));
    return id;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    snprintf(prefix, sizeof prefix, "wj%ld.%lld:", (long)getpid(), (long long)clock_mono_ms());
    f->url = strdup(testdb_new_url(strcmp(backend, "redis") ? backend : "sqlite"));
    f->qc = strcmp(backend, "redis")
                ? (struct queue_config){.database_url = f->url}
                : (struct queue_config){.redis_url = testdb_redis_url(), .redis_prefix = prefix};
    struct buf err = BUF_INIT;
    if (db_open(&f->db, f->url, &err) || migrate_apply(f->db, NULL, &err))
        fail_msg("database: %s", err.data);
    assert_int_equal(admin_user_create(f->db, "clerk", PASSWORD, false, NULL, &err), 0);
    assert_int_equal(admin_user_create(f->db, "boss", PASSWORD, true, NULL, &err), 0);
    if (queue_open(&f->q, &f->qc, &err))
        fail_msg("queue: %s", err.data);
    arena_init(&f->a, 0);
    f->ann_order = insert_order(f, 601, "ru");
    f->bob_order = insert_order(f, 602, "en-GB");
    struct web_options opt = {.database_url = f->url,
                              .currency = "RUB",
                              .db_connections = 2,
                              .queue = &f->qc,
                              .default_language = "en"};
    if (web_start(&f->web, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    panel_client_init(&f->panel, web_url(f->web));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    panel_client_release(&f->panel);
    web_stop(f->web);
    sandbox_stop(f->sb);
    queue_close(f->q);
    db_close(f->db);
    arena_release(&f->a);
    free(f->url);
    free(f);
    return 0;
}

static long set_status(struct fixture *f, int64_t order, const char *fields)
{
    char page[64], path[64];
    snprintf(page, sizeof page, "/orders/%lld", (long long)order);
    snprintf(path, sizeof path, "/orders/%lld/status", (long long)order);
    return panel_post(&f->panel, page, path, fields);
}

/* Claims the next job of queue (within a few seconds); fails when none comes. */
static struct job claim(struct fixture *f, const char *queue)
{
    struct job job;
    const char *queues[] = {queue};
    if (queue_claim(f->q, &job, &f->a, queues, 1, 30000, 3000) != 1)
        fail_msg("no job on %s: %s", queue, queue_errmsg(f->q));
    return job;
}

static void no_job(struct fixture *f, const char *queue)
{
    struct job job;
    const char *queues[] = {queue};
    assert_int_equal(queue_claim(f->q, &job, &f->a, queues, 1, 30000, 200), 0);
}

static void payload_is(const struct job *job, int64_t chat, const char *text)
{
    json_t *p = json_loads(job->payload, 0, NULL);
    assert_non_null(p);
    assert_int_equal(json_integer_value(json_object_get(p, "chat_id")), chat);
    assert_string_equal(json_string_value(json_object_get(p, "text")), text);
    json_decref(p);
}

static json_t *user_api(struct fixture *f, const char *method, const char *path, const char *body)
{
    return sandbox_result(f->sb, method, path, body);
}

/* The text of the last message the bot sent to chat, polled for up to ms; NULL if none. */
static char *last_message(struct fixture *f, int64_t chat, int64_t ms)
{
    char path[64];
    snprintf(path, sizeof path, "/sandbox/api/chats/%lld", (long long)chat);
    int64_t deadline = clock_mono_ms() + ms;
    for (;;) {
        json_t *j = user_api(f, "GET", path, NULL);
        json_t *messages = json_object_get(j, "messages");
        size_t n = json_array_size(messages);
        char *text =
            n ? strdup(json_string_value(json_object_get(json_array_get(messages, n - 1), "text")))
              : NULL;
        json_decref(j);
        if (text || clock_mono_ms() > deadline)
            return text;
        clock_sleep_ms(50);
    }
}

static void status_change_notifies_the_customer_through_the_queue(void **state)
{
    struct fixture *f = *state;
    panel_sign_in(&f->panel, "clerk", PASSWORD);
    /* Ann speaks Russian: the bot's Russian words for "shipped" */
    assert_int_equal(set_status(f, f->ann_order, "status=shipped"), 303);
    panel_follow(&f->panel);
    panel_has(&f->panel, "is shipped now. The customer is notified in Telegram.");
    struct job job = claim(f, QUEUE_SENDING);
    assert_string_equal(job.kind, NOTIFY_KIND);
    char text[160];
    snprintf(text, sizeof text, "📦 Заказ <b>№%lld</b>: новый статус — <b>отправлен</b>.",
             (long long)f->ann_order);
    payload_is(&job, 601, text);
    assert_int_equal(queue_ack(f->q, &job), 0);
    /* Bob's "en-GB" gets English; cancelling asks first, then notifies */
    assert_int_equal(set_status(f, f->bob_order, "status=refunded"), 200);
    no_job(f, QUEUE_SENDING);
    assert_int_equal(set_status(f, f->bob_order, "status=refunded&confirm=yes"), 303);
    job = claim(f, QUEUE_SENDING);
    snprintf(text, sizeof text, "📦 Order <b>#%lld</b>: the status is now <b>refunded</b>.",
             (long long)f->bob_order);
    payload_is(&job, 602, text);
    /* handed back, a sender delivers it to Bob's chat */
    assert_int_equal(queue_release(f->q, &job), 0);
    struct sandbox_options sopt = {.bot_token = TOKEN};
    struct buf err = BUF_INIT;
    if (sandbox_start(&f->sb, &sopt, &err))
        fail_msg("sandbox: %s", err.data);
    json_decref(user_api(f, "POST", "/sandbox/api/users",
                         "{\"id\":602,\"first_name\":\"Bob\",\"started\":true}"));
    static struct notify_ctx ctx = {.send_rate = 30};
    struct worker_options wopt = {.queue = f->qc,
                                  .queues = {QUEUE_SENDING},
                                  .queue_count = 1,
                                  .api_url = sandbox_url(f->sb),
                                  .token = TOKEN,
                                  .concurrency = 1,
                                  .poll_ms = 50};
    struct worker *w = worker_new(&wopt);
    worker_register(w, NOTIFY_KIND, notify_message_job, &ctx);
    if (worker_start(w, &err))
        fail_msg("worker_start: %s", err.data);
    char *got = last_message(f, 602, 20000);
    worker_free(w);
    buf_release(&err);
    assert_non_null(got);
    snprintf(text, sizeof text, "📦 Order #%lld: the status is now refunded.",
             (long long)f->bob_order);
    assert_string_equal(got, text);
    free(got);
    /* a customer who blocked the bot is not sent anything */
    assert_int_equal(customer_set_blocked(f->db, 601, true), 0);
    assert_int_equal(set_status(f, f->ann_order, "status=delivered"), 303);
    panel_follow(&f->panel);
    panel_has(&f->panel, "is delivered now. The customer blocked the bot, so is not notified.");
    no_job(f, QUEUE_SENDING);
}

static void unreachable_queue_keeps_the_status_change(void **state)
{
    struct fixture *f = *state;
    /* a second panel on the same shop whose queue (a Redis nobody serves) cannot be opened */
    struct queue_config gone = {.redis_url = "redis://127.0.0.1:1", .redis_prefix = prefix};
    struct web_options opt = {
        .database_url = f->url, .currency = "RUB", .db_connections = 1, .queue = &gone};
    struct web *w;
    struct buf err = BUF_INIT;
    if (web_start(&w, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    struct panel_client other;
    panel_client_init(&other, web_url(w));
    panel_sign_in(&other, "clerk", PASSWORD);
    char page[64], path[64];
    snprintf(page, sizeof page, "/orders/%lld", (long long)f->ann_order);
    snprintf(path, sizeof path, "/orders/%lld/status", (long long)f->ann_order);
    assert_int_equal(panel_post(&other, page, path, "status=shipped"), 303);
    panel_follow(&other);
    panel_has(&other, "is shipped now. The customer could not be notified: the job queue did "
                      "not take the message (the log says why).");
    panel_lacks(&other, "127.0.0.1:1");
    /* the dead jobs page says the queue failed, without its internals */
    panel_sign_in(&other, "boss", PASSWORD);
    assert_int_equal(panel_get(&other, "/jobs"), 500);
    panel_lacks(&other, "127.0.0.1:1");
    panel_client_release(&other);
    web_stop(w);
    no_job(f, QUEUE_SENDING); /* nothing reached the real queue either */
}

/* Makes a dead job of kind on queue with error; its id. */
static int64_t dead_job(struct fixture *f, const char *queue, const char *kind, const char *error)
{
    struct job_spec spec = {
        .queue = queue, .kind = kind, .payload = "{\"chat_id\":42}", .max_attempts = 1};
    int64_t id;
    assert_int_equal(queue_enqueue(f->q, &spec, &id), 1);
    struct job job = claim(f, queue);
    assert_int_equal(job.id, id);
    assert_int_equal(queue_bury(f->q, &job, error), 0);
    return id;
}

static int64_t audited(struct fixture *f, const char *action, int64_t job)
{
    int64_t n = -1;
    assert_int_equal(db_query_int(f->db, &n,
                                  "SELECT count(*) FROM audit_log WHERE action = ? AND "
                                  "object_type = 'job' AND object_id = ? AND username = 'boss'",
                                  DB_TEXT(action), DB_INT(job)),
                     0);
    return n;
}

static void dead_jobs_are_listed_retried_and_discarded(void **state)
{
    struct fixture *f = *state;
    int64_t fanout = dead_job(f, QUEUE_DEFAULT, "mailing.fanout", "no handler for job kind");
    int64_t note = dead_job(f, QUEUE_SENDING, NOTIFY_KIND, "403: <b>blocked</b> by the user");
    char path[64];
    /* staff: no link, 403 */
    panel_sign_in(&f->panel, "clerk", PASSWORD);
    assert_int_equal(panel_get(&f->panel, "/"), 200);
    panel_lacks(&f->panel, "href=\"/jobs\"");
    assert_int_equal(panel_get(&f->panel, "/jobs"), 403);
    snprintf(path, sizeof path, "/jobs/%lld/retry", (long long)note);
    assert_int_equal(panel_post(&f->panel, "/", path, ""), 403);
    /* a superuser sees both with their errors (escaped) and the counts */
    panel_sign_in(&f->panel, "boss", PASSWORD);
    assert_int_equal(panel_get(&f->panel, "/jobs"), 200);
    panel_has(&f->panel, "href=\"/jobs\"");
    panel_has(&f->panel, "<strong>2</strong> dead job(s) · default: 1 · telegram_sending_queue: 1");
    panel_has(&f->panel, "<span class=\"badge\">mailing.fanout</span>");
    panel_has(&f->panel, "no handler for job kind");
    panel_has(&f->panel, "403: &lt;b&gt;blocked&lt;/b&gt; by the user");
    panel_has(&f->panel, "1 of 1");
    panel_has(&f->panel, "{&quot;chat_id&quot;:42}");
    panel_has(&f->panel, strcmp(backend, "redis") ? "job queue: database" : "job queue: redis");
    /* retry: not without the token; then due again with fresh attempts */
    assert_int_equal(test_post_form(&f->panel.browser, &f->panel.resp, path, "csrf=wrong"), 403);
    assert_int_equal(panel_post(&f->panel, "/jobs", path, ""), 303);
    assert_int_equal(panel_get(&f->panel, "/jobs"), 200);
    panel_has(&f->panel, "is due again with fresh attempts.");
    panel_has(&f->panel, "<strong>1</strong> dead job(s) · default: 1 · telegram_sending_queue: 0");
    struct job job = claim(f, QUEUE_SENDING);
    assert_int_equal(job.id, note);
    assert_int_equal(job.attempts, 1);
    assert_int_equal(queue_ack(f->q, &job), 0);
    assert_int_equal(audited(f, "retry", note), 1);
    /* a job that is not dead: nothing happens, and it says so */
    assert_int_equal(panel_post(&f->panel, "/jobs", path, ""), 303);
    assert_int_equal(panel_get(&f->panel, "/jobs"), 200);
    panel_has(&f->panel, "is not dead (any more): nothing was done.");
    /* discard asks first */
    snprintf(path, sizeof path, "/jobs/%lld/discard", (long long)fanout);
    assert_int_equal(panel_post(&f->panel, "/jobs", path, ""), 200);
    panel_has(&f->panel, "Its work will never be done.");
    assert_int_equal(panel_post(&f->panel, "/jobs", path, "confirm=yes"), 303);
    assert_int_equal(panel_get(&f->panel, "/jobs"), 200);
    panel_has(&f->panel, "is discarded.");
    panel_has(&f->panel, "<strong>0</strong> dead job(s)");
    panel_has(&f->panel, "No dead jobs");
    assert_int_equal(audited(f, "discard", fanout), 1);
    no_job(f, QUEUE_DEFAULT);
    assert_int_equal(panel_get(&f->panel, "/jobs/x/retry"), 405);
    assert_int_equal(panel_post(&f->panel, "/jobs", "/jobs/x/retry", ""), 404);
}

int main(int argc, char **argv)
{
    backend = testdb_queue_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(status_change_notifies_the_customer_through_the_queue,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(unreachable_queue_keeps_the_status_change, setup, teardown),
        cmocka_unit_test_setup_teardown(dead_jobs_are_listed_retried_and_discarded, setup,
                                        teardown),
    };
    int failed = _cmocka_run_group_tests(backend, tests, 3, NULL, NULL);
    testdb_cleanup();
    return failed;
}
