/* Notifications through telegram_sending_queue against the sandbox, once per queue
 * backend: delivered once each within the rate limits, a blocked user's job dead with the
 * 403, a 429 honoured (no call during the hold) and the message delivered after it. */
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
#include "jobs/notify.h"
#include "sandbox/sandbox.h"
#include "tg/flood.h"
#include "sandbox_result.h"
#include "testdb.h"

#define TOKEN "123456789:notify-test-token-0123456789abcdef"

static const char *backend;
static char database_url[1024];
static char prefix[64];
static struct sandbox *sb;

static struct queue_config queue_config(void)
{
    if (!strcmp(backend, "redis"))
        return (struct queue_config){.redis_url = testdb_redis_url(), .redis_prefix = prefix};
    return (struct queue_config){.database_url = database_url};
}

static json_t *user_api(const char *method, const char *path, const char *body)
{
    return sandbox_result(sb, method, path, body);
}

static void post(const char *path, const char *body)
{
    json_decref(user_api("POST", path, body));
}

/* messages the bot sent to chat */
static int delivered(long long chat)
{
    char path[64];
    snprintf(path, sizeof path, "/sandbox/api/chats/%lld", chat);
    json_t *j = user_api("GET", path, NULL);
    int n = (int)json_array_size(json_object_get(j, "messages"));
    json_decref(j);
    return n;
}

static int flood_violations(void)
{
    json_t *j = user_api("GET", "/sandbox/api/flood", NULL);
    int n = (int)json_integer_value(json_object_get(j, "violations"));
    json_decref(j);
    return n;
}

static struct tg_flood *flood;

static struct worker *start_sender(void)
{
    static struct notify_ctx ctx;
    ctx = (struct notify_ctx){.send_rate = 15};
    struct worker_options opt = {.queue = queue_config(),
                                 .queues = {QUEUE_SENDING},
                                 .queue_count = 1,
                                 .api_url = sandbox_url(sb),
                                 .token = TOKEN,
                                 .flood = flood,
                                 .concurrency = 3,
                                 .poll_ms = 50,
                                 .backoff_base_ms = 1000};
    struct worker *w = worker_new(&opt);
    worker_register(w, NOTIFY_KIND, notify_message_job, &ctx);
    struct buf err = BUF_INIT;
    if (worker_start(w, &err))
        fail_msg("worker_start: %s", err.data);
    buf_release(&err);
    return w;
}

static bool wait_for_messages(long long chat, int n, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    while (delivered(chat) < n && clock_mono_ms() < deadline)
        clock_sleep_ms(20);
    if (delivered(chat) < n) {
        json_t *j = user_api("GET", "/sandbox/api/stats", NULL);
        char *dump = json_dumps(j, JSON_COMPACT);
        fprintf(stderr, "chat %lld: %d messages, wanted %d; stats %s\n", chat, delivered(chat), n,
                dump);
        free(dump);
        json_decref(j);
    }
    return delivered(chat) >= n;
}

static void test_notifications_delivered_within_limits(void **state)
{
    (void)state;
    struct queue *q = NULL;
    struct queue_config qc = queue_config();
    struct buf err = BUF_INIT;
    if (queue_open(&q, &qc, &err))
        fail_msg("queue: %s", err.data);
    for (int i = 0; i < 8; i++) {
        char body[96];
        snprintf(body, sizeof body, "{\"id\":%d,\"first_name\":\"Staff\",\"started\":true}",
                 501 + i);
        post("/sandbox/api/users", body);
    }
    post("/sandbox/api/users", "{\"id\":520,\"first_name\":\"Gone\",\"started\":true}");
    post("/sandbox/api/users/520/block", "{}");

    for (int i = 0; i < 8; i++)
        assert_int_equal(notify_enqueue(q, 501 + i, "New order <b>#7</b>", NULL), 1);
    /* three to one chat: at most one a second */
    assert_int_equal(notify_enqueue(q, 501, "second", NULL), 1);
    assert_int_equal(notify_enqueue(q, 501, "third", NULL), 1);
    /* a re-delivered event notifies once */
    assert_int_equal(notify_enqueue(q, 502, "paid", "order-paid:7:502"), 1);
    assert_int_equal(notify_enqueue(q, 502, "paid", "order-paid:7:502"), 0);
    assert_int_equal(notify_enqueue(q, 520, "to a blocked user", NULL), 1);

    struct worker *w = start_sender();
    assert_true(wait_for_messages(501, 3, 20000));
    assert_true(wait_for_messages(502, 2, 20000));
    for (int i = 2; i < 8; i++)
        assert_true(wait_for_messages(501 + i, 1, 20000));
    /* the blocked user's job is dead with Telegram's answer */
    struct arena a = ARENA_INIT;
    struct job dead[2];
    size_t n = 0;
    int64_t deadline = clock_mono_ms() + 10000;
    while (!n && clock_mono_ms() < deadline) {
        arena_reset(&a);
        assert_int_equal(queue_dead_list(q, dead, 2, &n, &a), 0);
        clock_sleep_ms(20);
    }
    assert_int_equal(n, 1);
    assert_non_null(strstr(dead[0].last_error, "403"));
    assert_int_equal(delivered(501), 3);
    assert_int_equal(delivered(502), 2);
    assert_int_equal(flood_violations(), 0);

    /* a 429: the chat is held for retry_after (tg/flood.h), then the message is delivered */
    struct sandbox_fault too_many = {
        .method = "sendMessage", .chat_id = 503, .status = 429, .retry_after = 1, .first = 1};
    assert_int_equal(sandbox_set_faults(sb, &too_many, 1, NULL), 0);
    int64_t started = clock_mono_ms();
    assert_int_equal(notify_enqueue(q, 503, "after the flood", NULL), 1);
    assert_int_equal(notify_enqueue(q, 504, "after the flood", NULL), 1);
    assert_true(wait_for_messages(503, 2, 20000));
    assert_true(wait_for_messages(504, 2, 20000));
    assert_true(clock_mono_ms() - started >= 900);
    assert_int_equal(flood_violations(), 0);
    worker_free(w);
    arena_release(&a);
    buf_release(&err);
    queue_close(q);
}

int main(int argc, char **argv)
{
    backend = testdb_queue_backend(argc, argv);
    snprintf(prefix, sizeof prefix, "n%ld:", (long)getpid());
    if (strcmp(backend, "redis"))
        snprintf(database_url, sizeof database_url, "%s", testdb_new_migrated_url(backend));
    struct sandbox_options opt = {
        .bot_token = TOKEN, .global_rate = 20, .per_chat_rate = 1, .per_chat_burst = 1};
    struct buf err = BUF_INIT;
    if (sandbox_start(&sb, &opt, &err)) {
        fprintf(stderr, "sandbox: %s\n", err.data);
        return 1;
    }
    buf_release(&err);
    /* the process's flood state, as tgshop worker makes it (SEND_RATE 15) */
    flood = tg_flood_new(&(struct tg_flood_options){.rate = 15});
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_notifications_delivered_within_limits),
    };
    int failed = _cmocka_run_group_tests(backend, tests, 1, NULL, NULL);
    sandbox_stop(sb);
    tg_flood_free(flood);
    testdb_cleanup();
    return failed;
}
