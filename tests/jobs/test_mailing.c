/* Mailings through the queue against the sandbox, once per queue backend (the redis run keeps
 * the shop in SQLite): the fan-out, the senders and the scheduler as `tgshop worker` runs
 * them, in this process. Every recipient gets exactly one message (the sandbox's counts),
 * within the rate limits or through the 429 path, with injected 5xx and blocked users; a
 * photo with caption and button; cancel, pause and resume; a fan-out run twice; the claims of
 * a dead sender; a scheduled start; and lost work dispatched again. */
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
#include "core/metrics.h"
#include "jobs/mailing.h"
#include "jobs/notify.h"
#include "jobs/scheduler.h"
#include "sandbox/sandbox.h"
#include "shop/mailing.h"
#include "tg/flood.h"
#include "sandbox_result.h"
#include "testdb.h"
#include "testfile.h"

#define TOKEN "123456789:mailing-test-token-0123456789abcdef"
#define STAFF 990001 /* ADMIN_CHAT_IDS */

static const char *backend;
static struct sandbox *sb;
static int round_no;

/* One test's world: its shop database, queue namespace, workers and scheduler. */
struct rig {
    char database_url[1024];
    char prefix[64];
    struct queue_config qc;
    struct db *db;
    struct queue *q;
    struct tg_flood *flood;
    struct mailing_jobs jobs;
    int64_t staff[1];
    struct worker *fanout, *senders;
    struct scheduler *scheduler;
    struct arena a;
};

static struct rig rig;

static json_t *user_api(const char *method, const char *path, const char *body)
{
    return sandbox_result(sb, method, path, body);
}

static void post(const char *path, const char *body)
{
    json_decref(user_api("POST", path, body));
}

static void exec_sql(const char *sql, const struct db_param *p, size_t n)
{
    if (db_execv(rig.db, sql, p, n))
        fail_msg("%s: %s", sql, db_errmsg(rig.db));
}
#define EXEC(sql, ...) exec_sql(sql, DB_ARGS(__VA_ARGS__))

static int64_t query_int(const char *sql, int64_t arg)
{
    int64_t n = -1;
    if (db_query_int(rig.db, &n, sql, DB_INT(arg)))
        fail_msg("%s: %s", sql, db_errmsg(rig.db));
    return n;
}

/* A fresh shop and queue namespace, the sandbox forgotten, limits set. */
static void rig_open(double sandbox_rate, double send_rate)
{
    memset(&rig, 0, sizeof rig);
    snprintf(rig.prefix, sizeof rig.prefix, "m%ld-%d:", (long)getpid(), ++round_no);
    snprintf(rig.database_url, sizeof rig.database_url, "%s",
             testdb_new_migrated_url(strcmp(backend, "redis") ? backend : "sqlite"));
    rig.qc = strcmp(backend, "redis") ? (struct queue_config){.database_url = rig.database_url}
                                      : (struct queue_config){.redis_url = testdb_redis_url(),
                                                              .redis_prefix = rig.prefix};
    struct buf err = BUF_INIT;
    if (db_open(&rig.db, rig.database_url, &err) || queue_open(&rig.q, &rig.qc, &err))
        fail_msg("open: %s", err.data);
    buf_release(&err);
    arena_init(&rig.a, 0);
    post("/sandbox/api/reset", "{}");
    sandbox_set_rate_limits(sb, sandbox_rate, 1);
    assert_int_equal(sandbox_set_faults(sb, NULL, 0, NULL), 0);
    rig.flood = tg_flood_new(&(struct tg_flood_options){.rate = send_rate});
    rig.staff[0] = STAFF;
    rig.jobs = (struct mailing_jobs){.send_rate = send_rate,
                                     .flood = rig.flood,
                                     .admin_chats = rig.staff,
                                     .admin_chat_count = 1,
                                     .senders = 4,
                                     .batch = 40,
                                     .chunk = 10,
                                     .retry_base_ms = 200,
                                     .claim_ms = 3000,
                                     .slice_ms = 3000};
    post("/sandbox/api/users", "{\"id\":990001,\"first_name\":\"Staff\",\"started\":true}");
}

static struct worker *start_worker(const char *queue, int threads)
{
    struct worker_options opt = {.queue = rig.qc,
                                 .database_url = rig.database_url,
                                 .queues = {queue},
                                 .queue_count = 1,
                                 .api_url = sandbox_url(sb),
                                 .token = TOKEN,
                                 .flood = rig.flood,
                                 .concurrency = threads,
                                 .poll_ms = 50,
                                 .backoff_base_ms = 200};
    struct worker *w = worker_new(&opt);
    worker_register(w, MAILING_FANOUT_KIND, mailing_fanout_job, &rig.jobs);
    worker_register(w, MAILING_SEND_KIND, mailing_send_job, &rig.jobs);
    static struct notify_ctx notify = {.send_rate = 50};
    worker_register(w, NOTIFY_KIND, notify_message_job, &notify);
    struct buf err = BUF_INIT;
    if (worker_start(w, &err))
        fail_msg("worker_start: %s", err.data);
    buf_release(&err);
    return w;
}

static void start_senders(void)
{
    rig.senders = start_worker(QUEUE_SENDING, 3);
}

/* The default worker and the scheduler, as `tgshop worker --queue default` runs them. */
static void start_default(void)
{
    rig.fanout = start_worker(QUEUE_DEFAULT, 1);
    struct scheduler_options opt = {
        .queue = rig.qc, .database_url = rig.database_url, .interval_ms = 100};
    struct buf err = BUF_INIT;
    if (scheduler_start(&rig.scheduler, &opt, &err))
        fail_msg("scheduler_start: %s", err.data);
    buf_release(&err);
}

static void rig_close(void)
{
    scheduler_free(rig.scheduler);
    worker_free(rig.fanout);
    worker_free(rig.senders);
    tg_flood_free(rig.flood);
    queue_close(rig.q);
    db_close(rig.db);
    arena_release(&rig.a);
}

/* n customers (tg ids from first) who started the bot in the sandbox */
static void customers(int64_t first, int n)
{
    assert_int_equal(db_begin(rig.db), 0);
    for (int i = 0; i < n; i++)
        EXEC("INSERT INTO customer (tg_id, first_name, language_code) VALUES (?, 'C', 'en')",
             DB_INT(first + i));
    assert_int_equal(db_commit(rig.db), 0);
    for (int i = 0; i < n; i++) {
        char body[96];
        snprintf(body, sizeof body, "{\"id\":%lld,\"first_name\":\"C\",\"started\":true}",
                 (long long)(first + i));
        post("/sandbox/api/users", body);
    }
}

static void block(int64_t tg_id)
{
    char path[64];
    snprintf(path, sizeof path, "/sandbox/api/users/%lld/block", (long long)tg_id);
    post(path, "{}");
}

static int64_t mailing_new(const char *text, const char *photo, const char *button_url, int64_t at)
{
    struct mailing_input in = {.text = text,
                               .photo_path = photo,
                               .button_text = button_url ? "Open the shop" : NULL,
                               .button_url = button_url,
                               .audience = MAILING_TO_ALL};
    struct listing_problem why;
    int64_t id;
    if (mailing_save(rig.db, &in, &id, &why))
        fail_msg("mailing_save: %s", why.message);
    if (mailing_schedule(rig.db, id, at, clock_now(), &why))
        fail_msg("mailing_schedule: %s", why.message);
    return id;
}

static struct mailing get(int64_t id)
{
    struct mailing m;
    arena_reset(&rig.a);
    assert_int_equal(mailing_get(rig.db, &rig.a, id, &m), 0);
    return m;
}

static bool wait_status(int64_t id, enum mailing_status status, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    while (get(id).status != status && clock_mono_ms() < deadline)
        clock_sleep_ms(20);
    struct mailing m = get(id);
    if (m.status != status)
        fprintf(stderr, "mailing %lld is %s (%lld sent, %lld failed, %lld blocked of %lld)\n",
                (long long)id, mailing_status_name(m.status), (long long)m.sent,
                (long long)m.failed, (long long)m.blocked, (long long)m.total);
    return m.status == status;
}

static json_t *stats(void)
{
    return user_api("GET", "/sandbox/api/stats", NULL);
}

/* messages delivered to chat, from a stats answer */
static int64_t delivered(json_t *st, int64_t chat)
{
    char key[24];
    snprintf(key, sizeof key, "%lld", (long long)chat);
    return json_integer_value(
        json_object_get(json_object_get(json_object_get(st, "chats"), key), "delivered"));
}

static int64_t method_count(json_t *st, const char *method, const char *what)
{
    return json_integer_value(
        json_object_get(json_object_get(json_object_get(st, "methods"), method), what));
}

static int64_t sent_messages(void)
{
    json_t *st = stats();
    int64_t n = method_count(st, "sendMessage", "ok");
    json_decref(st);
    return n;
}

/* Every chat in [first, first + n) but the skipped ones got exactly one message. */
static void assert_exactly_once(int64_t first, int n, const int64_t *skip, size_t skipped)
{
    json_t *st = stats();
    for (int i = 0; i < n; i++) {
        int64_t chat = first + i, want = 1;
        for (size_t k = 0; k < skipped; k++)
            want = skip[k] == chat ? 0 : want;
        if (delivered(st, chat) != want)
            fail_msg("chat %lld got %lld messages, expected %lld", (long long)chat,
                     (long long)delivered(st, chat), (long long)want);
    }
    assert_int_equal(json_integer_value(json_object_get(st, "flood_violations")), 0);
    json_decref(st);
}

/* A series' value in the metrics' text, 0 when it is not there. */
static uint64_t metric_value(const char *series)
{
    struct buf text = BUF_INIT;
    metrics_render(&text);
    const char *at = strstr(text.data, series);
    uint64_t v = at ? strtoull(at + strlen(series), NULL, 10) : 0;
    buf_release(&text);
    return v;
}

/* The staff's report arrived (notify.message through the senders). */
static void assert_report(int64_t id)
{
    char want[48];
    snprintf(want, sizeof want, "Mailing #%lld done:", (long long)id);
    int64_t deadline = clock_mono_ms() + 10000;
    for (;;) {
        json_t *chat = user_api("GET", "/sandbox/api/chats/990001", NULL);
        json_t *messages = json_object_get(chat, "messages");
        bool found = false;
        for (size_t i = 0; i < json_array_size(messages); i++) {
            const char *text =
                json_string_value(json_object_get(json_array_get(messages, i), "text"));
            found = found || (text && strstr(text, want));
        }
        json_decref(chat);
        if (found)
            return;
        if (clock_mono_ms() > deadline)
            fail_msg("no report \"%s\" for the staff", want);
        clock_sleep_ms(50);
    }
}

static void test_everyone_once_with_faults_and_blocked_users(void **state)
{
    (void)state;
    enum { N = 300, FIRST = 700000 };
    rig_open(100, 80); /* SEND_RATE below the sandbox's limit */
    customers(FIRST, N);
    int64_t blocked[12];
    for (int i = 0; i < 12; i++) {
        blocked[i] = FIRST + 7 + i * 23;
        block(blocked[i]);
    }
    struct sandbox_fault fault = {.method = "sendMessage", .status = 500, .share = 0.05};
    assert_int_equal(sandbox_set_faults(sb, &fault, 1, NULL), 0);
    int64_t id = mailing_new("<b>Winter sale</b>: 20% off", NULL, NULL, 0);
    start_default();
    start_senders();
    assert_true(wait_status(id, MAILING_DONE, 60000));
    assert_exactly_once(FIRST, N, blocked, 12);
    struct mailing m = get(id);
    assert_int_equal(m.total, N);
    assert_int_equal(m.sent, N - 12);
    assert_int_equal(m.blocked, 12);
    assert_int_equal(m.failed, 0);
    assert_int_equal(m.pending, 0);
    assert_true(m.finished_at >= m.started_at);
    for (int i = 0; i < 12; i++)
        assert_int_equal(query_int("SELECT is_blocked FROM customer WHERE tg_id = ?", blocked[i]),
                         1);
    assert_int_equal(query_int("SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND "
                               "status = 'sent' AND message_id IS NOT NULL",
                               id),
                     N - 12);
    /* the injected 5xx were retried: attempts counted, nobody got two */
    assert_true(query_int("SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND "
                          "attempts > 1",
                          id) > 0);
    json_t *st = stats();
    assert_true(json_integer_value(json_object_get(st, "faults_injected")) > 0);
    assert_int_equal(method_count(st, "sendMessage", "rate_limited"), 0); /* zero 429 */
    json_decref(st);
    assert_report(id);
    struct mailing_error_count *errors;
    int n;
    assert_int_equal(mailing_errors(rig.db, &rig.a, id, 3, &errors, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(errors[0].count, 12);
    assert_non_null(strstr(errors[0].error, "blocked"));
    /* the metrics saw it: jobs by queue and state, messages, the mailing's progress */
    struct buf metrics = BUF_INIT;
    metrics_render(&metrics);
    assert_non_null(
        strstr(metrics.data, "tgshop_jobs_total{queue=\"telegram_sending_queue\",state=\"done\"}"));
    assert_non_null(strstr(metrics.data, "tgshop_jobs_total{queue=\"default\",state=\"done\"}"));
    assert_non_null(strstr(metrics.data, "tgshop_messages_total{result=\"blocked\"} 12"));
    assert_non_null(strstr(metrics.data, "tgshop_mailing_recipients{state=\"sent\"}"));
    buf_release(&metrics);
    rig_close();
}

static void test_above_the_limit_429s_are_waited_out(void **state)
{
    (void)state;
    enum { N = 80, FIRST = 710000 };
    rig_open(20, 60); /* SEND_RATE three times the sandbox's limit */
    customers(FIRST, N);
    int64_t id = mailing_new("Flash sale", NULL, NULL, 0);
    start_default();
    start_senders();
    assert_true(wait_status(id, MAILING_DONE, 60000));
    assert_exactly_once(FIRST, N, NULL, 0);
    json_t *st = stats();
    assert_true(method_count(st, "sendMessage", "rate_limited") > 0); /* the 429 path ran */
    json_decref(st);
    struct mailing m = get(id);
    assert_int_equal(m.sent, N);
    assert_int_equal(m.failed + m.blocked, 0);
    rig_close();
}

static void test_photo_caption_and_button(void **state)
{
    (void)state;
    enum { N = 5, FIRST = 720000 };
    rig_open(100, 50);
    customers(FIRST, N);
    char path[1100];
    snprintf(path, sizeof path, "%s/mailing-%ld.png", testdb_state_dir(), (long)getpid());
    testfile_write_png(path);
    int64_t id = mailing_new("<b>New tea</b> in stock", path, "https://example.com/shop", 0);
    start_default();
    start_senders();
    assert_true(wait_status(id, MAILING_DONE, 30000));
    assert_exactly_once(FIRST, N, NULL, 0);
    for (int i = 0; i < N; i++) {
        char chat_path[64];
        snprintf(chat_path, sizeof chat_path, "/sandbox/api/chats/%d", FIRST + i);
        json_t *chat = user_api("GET", chat_path, NULL);
        json_t *msg = json_array_get(json_object_get(chat, "messages"), 0);
        assert_true(json_array_size(json_object_get(msg, "photo")) > 0);
        assert_string_equal(json_string_value(json_object_get(msg, "caption")), "New tea in stock");
        json_t *button = json_array_get(
            json_array_get(json_object_get(json_object_get(msg, "reply_markup"), "inline_keyboard"),
                           0),
            0);
        assert_string_equal(json_string_value(json_object_get(button, "text")), "Open the shop");
        assert_string_equal(json_string_value(json_object_get(button, "url")),
                            "https://example.com/shop");
        json_decref(chat);
    }
    /* uploaded once or so, then sent by Telegram's file_id */
    struct mailing m = get(id);
    assert_non_null(m.photo_file_id);
    /* the sender threads serve notifications as before (the client's default deadline is
     * back): three to one chat are paced a second apart, not retried */
    uint64_t retried = metric_value("tgshop_jobs_total{queue=\"telegram_sending_queue\","
                                    "state=\"retried\"}");
    for (int i = 0; i < 3; i++)
        assert_int_equal(notify_enqueue(rig.q, FIRST, "Your order is on its way", NULL), 1);
    int64_t deadline = clock_mono_ms() + 15000;
    json_t *st = stats();
    while (delivered(st, FIRST) < 4 && clock_mono_ms() < deadline) {
        json_decref(st);
        clock_sleep_ms(50);
        st = stats();
    }
    assert_int_equal(delivered(st, FIRST), 4);
    json_decref(st);
    assert_int_equal(metric_value("tgshop_jobs_total{queue=\"telegram_sending_queue\","
                                  "state=\"retried\"}"),
                     retried);
    rig_close();
    unlink(path);
}

/* Waits until no message went out for quiet_ms; false when that took longer than ms. */
static bool wait_quiet(int64_t quiet_ms, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms, last = sent_messages(), since = clock_mono_ms();
    while (clock_mono_ms() < deadline) {
        clock_sleep_ms(50);
        int64_t now = sent_messages();
        if (now != last) {
            last = now;
            since = clock_mono_ms();
        } else if (clock_mono_ms() - since >= quiet_ms) {
            return true;
        }
    }
    return false;
}

static void wait_sent(int64_t n, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    while (sent_messages() < n && clock_mono_ms() < deadline)
        clock_sleep_ms(20);
    assert_true(sent_messages() >= n);
}

static void test_cancel_stops_within_seconds(void **state)
{
    (void)state;
    enum { N = 150, FIRST = 730000 };
    rig_open(100, 20);
    customers(FIRST, N);
    int64_t id = mailing_new("Soon gone", NULL, NULL, 0);
    start_default();
    start_senders();
    wait_sent(10, 20000);
    struct listing_problem why;
    int64_t cancelled = clock_mono_ms();
    assert_int_equal(mailing_cancel(rig.db, id, clock_now(), &why), 0);
    assert_true(wait_quiet(1000, 10000));
    assert_true(clock_mono_ms() - cancelled < 5000); /* within seconds */
    int64_t sent = sent_messages();
    assert_true(sent < N);
    struct mailing m = get(id);
    assert_int_equal(m.status, MAILING_CANCELLED);
    assert_true(query_int("SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND "
                          "status = 'pending'",
                          id) > 0);
    assert_int_equal(query_int("SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND "
                               "status = 'sent'",
                               id),
                     sent);
    rig_close();
}

static void test_pause_leaves_pending_and_resume_finishes(void **state)
{
    (void)state;
    enum { N = 100, FIRST = 740000 };
    rig_open(100, 20);
    customers(FIRST, N);
    int64_t id = mailing_new("Half now, half later", NULL, NULL, 0);
    start_default();
    start_senders();
    wait_sent(10, 20000);
    struct listing_problem why;
    assert_int_equal(mailing_pause(rig.db, id, clock_now(), &why), 0);
    assert_true(wait_quiet(1500, 10000));
    struct mailing m = get(id);
    assert_int_equal(m.status, MAILING_SENDING);
    assert_true(m.paused_at > 0);
    int64_t pending =
        query_int("SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND status = "
                  "'pending'",
                  id);
    assert_true(pending > 0);
    assert_int_equal(m.pending, pending); /* the counters caught up */
    assert_int_equal(
        query_int(
            "SELECT count(*) FROM mailing_delivery WHERE mailing_id = ? AND claimed_by IS NOT NULL",
            id),
        0);
    assert_int_equal(mailing_resume(rig.db, id, clock_now(), &why), 0);
    assert_true(wait_status(id, MAILING_DONE, 60000));
    assert_exactly_once(FIRST, N, NULL, 0);
    assert_int_equal(get(id).sent, N);
    rig_close();
}

/* Runs a handler in this thread, as a worker would. */
static enum job_result run_job(job_handler_fn *fn, const char *payload)
{
    struct arena a;
    arena_init(&a, 0);
    struct buf error = BUF_INIT;
    atomic_bool stopping = false;
    struct job job = {.kind = MAILING_FANOUT_KIND, .payload = (char *)payload, .attempts = 1};
    struct job_run run = {
        .db = rig.db, .queue = rig.q, .arena = &a, .error = &error, .stopping = &stopping};
    enum job_result r = fn(&rig.jobs, &run, &job);
    if (r != JOB_DONE)
        fprintf(stderr, "job: %d %s\n", r, error.data);
    buf_release(&error);
    arena_release(&a);
    return r;
}

/* The mailing sending, as the scheduler leaves it. */
static void start_now(int64_t id)
{
    int64_t *ids;
    int n;
    assert_int_equal(mailing_start_due(rig.db, &rig.a, clock_now(), 10, &ids, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], id);
}

static void test_fanout_run_twice_adds_nothing(void **state)
{
    (void)state;
    enum { N = 90, FIRST = 750000 };
    rig_open(100, 50);
    customers(FIRST, N);
    int64_t id = mailing_new("Once", NULL, NULL, 0);
    start_now(id);
    char payload[64];
    snprintf(payload, sizeof payload, "{\"mailing_id\":%lld}", (long long)id);
    assert_int_equal(run_job(mailing_fanout_job, payload), JOB_DONE);
    assert_int_equal(run_job(mailing_fanout_job, payload), JOB_DONE); /* re-delivered */
    assert_int_equal(query_int("SELECT count(*) FROM mailing_delivery WHERE mailing_id = ?", id),
                     N);
    /* the senders exist once each */
    char key[64];
    snprintf(key, sizeof key, "mailing:%lld:send:0", (long long)id);
    struct job_spec spec = {
        .queue = QUEUE_SENDING, .kind = MAILING_SEND_KIND, .payload = payload, .unique_key = key};
    assert_int_equal(queue_enqueue(rig.q, &spec, NULL), 0);
    assert_int_equal(run_job(mailing_fanout_job, "{\"mailing\":1}"), JOB_FAILED);
    start_senders();
    assert_true(wait_status(id, MAILING_DONE, 30000));
    assert_exactly_once(FIRST, N, NULL, 0);
    rig_close();
}

static void test_dead_senders_claims_are_sent_by_another(void **state)
{
    (void)state;
    enum { N = 40, FIRST = 760000 };
    rig_open(100, 50);
    customers(FIRST, N);
    int64_t id = mailing_new("Taken over", NULL, NULL, 0);
    start_now(id);
    char payload[64];
    snprintf(payload, sizeof payload, "{\"mailing_id\":%lld}", (long long)id);
    assert_int_equal(run_job(mailing_fanout_job, payload), JOB_DONE);
    /* a sender claimed 15 and died before sending them */
    struct mailing_recipient r[15];
    int n;
    int64_t now_ms = clock_now_ms();
    assert_int_equal(mailing_claim(rig.db, id, "dead", now_ms, now_ms + 1500, 15, r, &n), 0);
    assert_int_equal(n, 15);
    start_senders();
    assert_true(wait_status(id, MAILING_DONE, 30000));
    assert_exactly_once(FIRST, N, NULL, 0);
    /* the dead one's claims went out after they expired */
    for (int i = 0; i < n; i++)
        assert_true(query_int("SELECT sent_at FROM mailing_delivery WHERE id = ?",
                              r[i].delivery_id) >= (now_ms + 1500) / 1000);
    rig_close();
}

static void test_scheduled_mailing_starts_at_its_time(void **state)
{
    (void)state;
    enum { N = 10, FIRST = 770000 };
    rig_open(100, 50);
    customers(FIRST, N);
    start_default();
    start_senders();
    int64_t at = clock_now() + 2;
    int64_t id = mailing_new("At two", NULL, NULL, at);
    assert_int_equal(get(id).status, MAILING_SCHEDULED);
    assert_true(wait_status(id, MAILING_SENDING, 10000) || get(id).status == MAILING_DONE);
    assert_true(clock_now() >= at);
    struct mailing m = get(id);
    assert_true(m.started_at >= at);
    assert_true(m.started_at <= at + 2); /* within about a second */
    assert_true(wait_status(id, MAILING_DONE, 30000));
    assert_exactly_once(FIRST, N, NULL, 0);
    rig_close();
}

static void test_lost_work_is_dispatched_again(void **state)
{
    (void)state;
    enum { N = 20, FIRST = 780000 };
    rig_open(100, 50);
    customers(FIRST, N);
    int64_t id = mailing_new("Found again", NULL, NULL, 0);
    /* started by a scheduler that died before enqueueing its fan-out */
    EXEC("UPDATE mailing SET status = 'sending', started_at = ?, dispatched_at = ? WHERE id = ?",
         DB_INT(clock_now() - 100), DB_INT(clock_now() - 100), DB_INT(id));
    start_default();
    start_senders();
    assert_true(wait_status(id, MAILING_DONE, 30000));
    assert_exactly_once(FIRST, N, NULL, 0);
    rig_close();
}

int main(int argc, char **argv)
{
    backend = testdb_queue_backend(argc, argv);
    struct sandbox_options opt = {
        .bot_token = TOKEN, .global_rate = 100, .per_chat_rate = 1, .per_chat_burst = 1};
    struct buf err = BUF_INIT;
    if (sandbox_start(&sb, &opt, &err)) {
        fprintf(stderr, "sandbox: %s\n", err.data);
        return 1;
    }
    buf_release(&err);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_everyone_once_with_faults_and_blocked_users),
        cmocka_unit_test(test_above_the_limit_429s_are_waited_out),
        cmocka_unit_test(test_photo_caption_and_button),
        cmocka_unit_test(test_cancel_stops_within_seconds),
        cmocka_unit_test(test_pause_leaves_pending_and_resume_finishes),
        cmocka_unit_test(test_fanout_run_twice_adds_nothing),
        cmocka_unit_test(test_dead_senders_claims_are_sent_by_another),
        cmocka_unit_test(test_scheduled_mailing_starts_at_its_time),
        cmocka_unit_test(test_lost_work_is_dispatched_again),
    };
    int failed = _cmocka_run_group_tests(backend, tests, sizeof tests / sizeof *tests, NULL, NULL);
    sandbox_stop(sb);
    testdb_cleanup();
    return failed;
}
