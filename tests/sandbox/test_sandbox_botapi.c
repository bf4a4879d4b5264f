/* The Bot API side of the sandbox over real HTTP: Telegram's shapes, limits and errors. */
#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/clock.h"
#include "sandbox_client.h"

#define DESC(j)   json_string_value(json_object_get((j), "description"))
#define RESULT(j) json_object_get((j), "result")

static int setup(void **state)
{
    (void)state;
    struct sandbox_options opt = {.max_body = 256 * 1024};
    test_start(&opt);
    return 0;
}

/* status is read through a pointer because the call that sets it is an argument too. */
static void expect_error(json_t *answer, const long *status, long want_status,
                         const char *description)
{
    assert_int_equal(*status, want_status);
    assert_int_equal(json_integer_value(json_object_get(answer, "error_code")), want_status);
    assert_string_equal(DESC(answer), description);
    json_decref(answer);
}

static void user_says(long long id, const char *text)
{
    int status;
    char path[64];
    snprintf(path, sizeof path, "/sandbox/api/users/%lld/messages", id);
    json_decref(test_user(&status, "POST", path, "{\"text\":\"%s\"}", text));
    assert_int_equal(status, 200);
}

static void test_wrong_token_and_unknown_method(void **state)
{
    (void)state;
    long status;
    char *url = test_url("/bot1:wrong/getMe");
    expect_error(test_http(url, NULL, NULL, 0, &status), &status, 401, "Unauthorized");
    free(url);
    expect_error(test_bot(&status, "noSuchMethod", "{}"), &status, 404, "Not Found");
    json_t *me = test_bot(&status, "getme", "{}"); /* method names ignore case, as in Telegram */
    assert_int_equal(json_integer_value(json_object_get(RESULT(me), "id")), 123456789);
    assert_true(json_is_true(json_object_get(RESULT(me), "is_bot")));
    json_decref(me);
}

static void test_updates_offset_confirms(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    user_says(42, "/start");
    user_says(42, "one");
    user_says(42, "two");
    json_t *all = test_bot(&status, "getUpdates", "{}");
    assert_int_equal(json_array_size(RESULT(all)), 3);
    json_t *first = json_array_get(RESULT(all), 0);
    json_int_t first_id = json_integer_value(json_object_get(first, "update_id"));
    json_t *entity =
        json_array_get(json_object_get(json_object_get(first, "message"), "entities"), 0);
    assert_string_equal(json_string_value(json_object_get(entity, "type")), "bot_command");
    json_decref(all);

    json_t *limited =
        test_bot(&status, "getUpdates", "{\"limit\":1,\"offset\":%lld}", (long long)first_id + 1);
    assert_int_equal(json_array_size(RESULT(limited)), 1);
    assert_int_equal(
        json_integer_value(json_object_get(json_array_get(RESULT(limited), 0), "update_id")),
        first_id + 1);
    json_decref(limited);
    /* the confirmed update is forgotten: without offset only the last two remain */
    json_t *rest = test_bot(&status, "getUpdates", "{}");
    assert_int_equal(json_array_size(RESULT(rest)), 2);
    json_decref(rest);
    json_t *none = test_bot(&status, "getUpdates", "{\"offset\":%lld}", (long long)first_id + 3);
    assert_int_equal(json_array_size(RESULT(none)), 0);
    json_decref(none);
    /* update 2 came three times, update 3 twice: three fetches were repeats */
    int ustatus;
    json_t *stats = test_user(&ustatus, "GET", "/sandbox/api/stats", NULL);
    assert_int_equal(json_integer_value(json_object_get(stats, "updates_refetched")), 3);
    json_decref(stats);
}

static void *poll_updates(void *arg)
{
    long status;
    json_t *answer = test_bot(&status, "getUpdates", "{\"timeout\":20}");
    __atomic_store_n((json_t **)arg, answer, __ATOMIC_RELEASE);
    return NULL;
}

static void test_long_poll_wakes_up_on_user_message(void **state)
{
    (void)state;
    test_create_user(42, "Ann");
    json_t *answer = NULL;
    pthread_t poller;
    int64_t started = clock_mono_ms();
    pthread_create(&poller, NULL, poll_updates, &answer);
    user_says(42, "hello");
    pthread_join(poller, NULL);
    assert_true(clock_mono_ms() - started < 10000);
    assert_int_equal(json_array_size(RESULT(answer)), 1);
    json_decref(answer);
}

static void test_second_long_poll_ends_the_first(void **state)
{
    (void)state;
    json_t *first = NULL;
    pthread_t poller;
    pthread_create(&poller, NULL, poll_updates, &first);
    int64_t deadline = clock_mono_ms() + 10000;
    long status = 0;
    /* short polls until the long one has been terminated by one of them */
    while (!__atomic_load_n(&first, __ATOMIC_ACQUIRE) && clock_mono_ms() < deadline)
        json_decref(test_bot(&status, "getUpdates", "{\"timeout\":0}"));
    pthread_join(poller, NULL);
    assert_int_equal(json_integer_value(json_object_get(first, "error_code")), 409);
    assert_string_equal(DESC(first), "Conflict: terminated by other long poll or webhook");
    json_decref(first);
}

static void test_edits_and_deletes(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    json_t *sent = test_bot(&status, "sendMessage",
                            "{\"chat_id\":42,\"text\":\"Hi\",\"reply_markup\":{\"inline_keyboard\":"
                            "[[{\"text\":\"A\",\"callback_data\":\"a\"}]]}}");
    json_int_t id = json_integer_value(json_object_get(RESULT(sent), "message_id"));
    assert_int_equal(id, 1);
    json_decref(sent);
    json_t *second = test_bot(&status, "sendMessage", "{\"chat_id\":\"42\",\"text\":\"x\"}");
    assert_int_equal(json_integer_value(json_object_get(RESULT(second), "message_id")), 2);
    json_decref(second);

    const char *same = "{\"chat_id\":42,\"message_id\":1,\"text\":\"Hi\",\"reply_markup\":"
                       "{\"inline_keyboard\":[[{\"text\":\"A\",\"callback_data\":\"a\"}]]}}";
    expect_error(test_bot(&status, "editMessageText", "%s", same), &status, 400,
                 "Bad Request: message is not modified: specified new message content and reply "
                 "markup are exactly the same as a current content and reply markup of the "
                 "message");
    /* the same text without the keyboard is a change: the keyboard goes away */
    json_t *edited =
        test_bot(&status, "editMessageText", "{\"chat_id\":42,\"message_id\":1,\"text\":\"Hi\"}");
    assert_int_equal(status, 200);
    assert_null(json_object_get(RESULT(edited), "reply_markup"));
    assert_non_null(json_object_get(RESULT(edited), "edit_date"));
    json_decref(edited);
    expect_error(
        test_bot(&status, "editMessageText", "{\"chat_id\":42,\"message_id\":99,\"text\":\"x\"}"),
        &status, 400, "Bad Request: message to edit not found");
    expect_error(test_bot(&status, "editMessageCaption",
                          "{\"chat_id\":42,\"message_id\":1,\"caption\":\"x\"}"),
                 &status, 400, "Bad Request: there is no caption in the message to edit");
    expect_error(test_bot(&status, "editMessageText", "{\"chat_id\":42,\"text\":\"x\"}"), &status,
                 400, "Bad Request: message identifier is not specified");

    json_t *deleted = test_bot(&status, "deleteMessage", "{\"chat_id\":42,\"message_id\":1}");
    assert_true(json_is_true(RESULT(deleted)));
    json_decref(deleted);
    expect_error(test_bot(&status, "deleteMessage", "{\"chat_id\":42,\"message_id\":1}"), &status,
                 400, "Bad Request: message to delete not found");
    expect_error(
        test_bot(&status, "editMessageText", "{\"chat_id\":42,\"message_id\":1,\"text\":\"y\"}"),
        &status, 400, "Bad Request: message to edit not found");

    int ustatus;
    json_t *chat = test_user(&ustatus, "GET", "/sandbox/api/chats/42", NULL);
    assert_int_equal(json_array_size(json_object_get(chat, "messages")), 1);
    json_decref(chat);
}

static void test_limits(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    struct buf body = BUF_INIT;
    /* 2048 emoji are 4096 UTF-16 units: allowed; one more is too long */
    buf_adds(&body, "{\"chat_id\":42,\"text\":\"");
    for (int i = 0; i < 2048; i++)
        buf_adds(&body, "\xf0\x9f\x98\x80");
    buf_adds(&body, "\"}");
    json_decref(test_bot(&status, "sendMessage", "%s", body.data));
    assert_int_equal(status, 200);
    buf_truncate(&body, body.len - 2);
    buf_adds(&body, "a\"}");
    expect_error(test_bot(&status, "sendMessage", "%s", body.data), &status, 400,
                 "Bad Request: message is too long");
    buf_release(&body);

    expect_error(test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"  \"}"), &status, 400,
                 "Bad Request: message text is empty");
    expect_error(test_bot(&status, "sendMessage", "{\"text\":\"x\"}"), &status, 400,
                 "Bad Request: chat_id is empty");
    expect_error(test_bot(&status, "sendMessage", "{\"chat_id\":7,\"text\":\"x\"}"), &status, 400,
                 "Bad Request: chat not found");
    expect_error(test_bot(&status, "sendMessage",
                          "{\"chat_id\":42,\"text\":\"x\",\"reply_markup\":{\"inline_keyboard\":"
                          "[[{\"text\":\"A\",\"callback_data\":\"%065d\"}]]}}",
                          0),
                 &status, 400, "Bad Request: BUTTON_DATA_INVALID");
    expect_error(test_bot(&status, "sendMessage",
                          "{\"chat_id\":42,\"text\":\"<b>x\",\"parse_mode\":\"HTML\"}"),
                 &status, 400,
                 "Bad Request: can't parse entities: Can't find end tag corresponding to start "
                 "tag \"b\"");
    expect_error(test_bot(&status, "sendInvoice",
                          "{\"chat_id\":42,\"title\":\"T\",\"description\":\"D\",\"payload\":"
                          "\"%0129d\",\"currency\":\"XTR\",\"prices\":[{\"label\":\"x\","
                          "\"amount\":5}]}",
                          0),
                 &status, 400, "Bad Request: INVOICE_PAYLOAD_INVALID");
    expect_error(test_bot(&status, "sendInvoice",
                          "{\"chat_id\":42,\"title\":\"T\",\"description\":\"D\",\"payload\":"
                          "\"p\",\"provider_token\":\"tok\",\"currency\":\"XTR\",\"prices\":"
                          "[{\"label\":\"x\",\"amount\":5}]}"),
                 &status, 400, "Bad Request: STARS_INVOICE_INVALID");
    expect_error(test_bot(&status, "sendInvoice",
                          "{\"chat_id\":42,\"title\":\"%033d\",\"description\":\"D\","
                          "\"payload\":\"p\",\"currency\":\"XTR\",\"prices\":[{\"label\":\"x\","
                          "\"amount\":5}]}",
                          0),
                 &status, 400, "Bad Request: INVOICE_TITLE_INVALID");
}

static void test_rate_limit_answers_429(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    test_create_user(43, "Bob");
    sandbox_set_rate_limits(test_sb, 0, 1);
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"1\"}"));
    assert_int_equal(status, 200);
    json_t *limited = test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"2\"}");
    assert_int_equal(status, 429);
    assert_string_equal(DESC(limited), "Too Many Requests: retry after 1");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(limited, "parameters"), "retry_after")),
        1);
    json_decref(limited);
    /* another chat is not limited by the first one's bucket */
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":43,\"text\":\"1\"}"));
    assert_int_equal(status, 200);

    int ustatus;
    json_t *stats = test_user(&ustatus, "GET", "/sandbox/api/stats", NULL);
    json_t *chat = json_object_get(json_object_get(stats, "chats"), "42");
    assert_int_equal(json_integer_value(json_object_get(chat, "delivered")), 1);
    assert_int_equal(json_integer_value(json_object_get(chat, "rate_limited")), 1);
    json_t *method = json_object_get(json_object_get(stats, "methods"), "sendMessage");
    assert_int_equal(json_integer_value(json_object_get(method, "rate_limited")), 1);
    json_decref(stats);
}

static void test_injected_faults(void **state)
{
    (void)state;
    long status;
    struct sandbox_fault half = {.status = 502, .share = 0.5};
    assert_int_equal(sandbox_set_faults(test_sb, &half, 1, NULL), 0);
    int failures = 0;
    for (int i = 0; i < 6; i++) {
        json_t *me = test_bot(&status, "getMe", "{}");
        if (status == 502) {
            failures++;
            assert_string_equal(DESC(me), "Bad Gateway");
        }
        json_decref(me);
    }
    assert_int_equal(failures, 3);
    int ustatus;
    json_decref(
        test_user(&ustatus, "POST", "/sandbox/api/faults", "{\"rules\":[{\"delay_ms\":300}]}"));
    assert_int_equal(ustatus, 200);
    int64_t started = clock_mono_ms();
    json_decref(test_bot(&status, "getMe", "{}"));
    assert_int_equal(status, 200);
    assert_true(clock_mono_ms() - started >= 300);
}

static json_int_t int_at(json_t *object, const char *key)
{
    return json_integer_value(json_object_get(object, key));
}

static void test_fault_rules_per_method(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    json_t *rules = test_user(&ustatus, "POST", "/sandbox/api/faults",
                              "{\"rules\":[{\"method\":\"setMyCommands\",\"status\":500},"
                              "{\"method\":\"getme\",\"status\":\"502\",\"first\":2}]}");
    assert_int_equal(ustatus, 200);
    assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 1), "method")),
                        "getMe");
    json_decref(rules);
    for (int i = 0; i < 3; i++)
        expect_error(test_bot(&status, "setMyCommands",
                              "{\"commands\":[{\"command\":\"start\",\"description\":\"Go\"}]}"),
                     &status, 500, "Internal Server Error");
    expect_error(test_bot(&status, "getMe", "{}"), &status, 502, "Bad Gateway");
    expect_error(test_bot(&status, "getMe", "{}"), &status, 502, "Bad Gateway");
    for (int i = 0; i < 2; i++) {
        json_decref(test_bot(&status, "getMe", "{}"));
        assert_int_equal(status, 200);
    }
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"hi\"}"));
    assert_int_equal(status, 200);

    rules = test_user(&ustatus, "GET", "/sandbox/api/faults", NULL);
    assert_int_equal(int_at(json_array_get(rules, 0), "hits"), 3);
    assert_int_equal(int_at(json_array_get(rules, 1), "matched"), 4);
    assert_int_equal(int_at(json_array_get(rules, 1), "hits"), 2);
    json_decref(rules);
    json_t *stats = test_user(&ustatus, "GET", "/sandbox/api/stats", NULL);
    assert_int_equal(int_at(stats, "faults_injected"), 5);
    assert_int_equal(int_at(json_object_get(json_object_get(stats, "methods"), "getMe"), "errors"),
                     2);
    json_decref(stats);

    /* the same rules from C, from the command line's key=value form */
    struct sandbox_fault rule;
    struct buf err = BUF_INIT;
    assert_int_equal(sandbox_fault_parse(&rule, "method=getMe,status=401", &err), 0);
    assert_int_equal(sandbox_set_faults(test_sb, &rule, 1, &err), 0);
    expect_error(test_bot(&status, "getMe", "{}"), &status, 401, "Unauthorized");
    assert_int_not_equal(sandbox_fault_parse(&rule, "method=noSuchMethod", &err), 0);
    assert_non_null(strstr(err.data, "noSuchMethod"));
    buf_reset(&err);
    assert_int_not_equal(sandbox_fault_parse(&rule, "share=2", &err), 0);
    assert_int_not_equal(sandbox_fault_parse(&rule, "colour=red", &err), 0);
    buf_release(&err);

    /* bad rules are refused and change nothing */
    json_t *refused =
        test_user(&ustatus, "POST", "/sandbox/api/faults", "{\"rules\":[{\"status\":200}]}");
    assert_int_equal(ustatus, 400);
    assert_non_null(strstr(DESC(refused), "status"));
    json_decref(refused);
    expect_error(test_bot(&status, "getMe", "{}"), &status, 401, "Unauthorized");
    /* a reset forgets the rules */
    json_decref(test_user(&ustatus, "POST", "/sandbox/api/reset", "{}"));
    rules = test_user(&ustatus, "GET", "/sandbox/api/faults", NULL);
    assert_int_equal(json_array_size(rules), 0);
    json_decref(rules);
    json_decref(test_bot(&status, "getMe", "{}"));
    assert_int_equal(status, 200);
}

static json_t *flood_state(void)
{
    int ustatus;
    json_t *flood = test_user(&ustatus, "GET", "/sandbox/api/flood", NULL);
    assert_int_equal(ustatus, 200);
    return flood;
}

static void test_429_bans_and_flood_violations(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    test_create_user(43, "Bob");
    json_decref(test_user(&ustatus, "POST", "/sandbox/api/faults",
                          "{\"rules\":[{\"status\":429,\"retry_after\":3,\"chat_id\":42,"
                          "\"first\":1}]}"));
    int64_t banned_after = clock_mono_ms();
    json_t *refused = test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"one\"}");
    assert_int_equal(status, 429);
    assert_string_equal(DESC(refused), "Too Many Requests: retry after 3");
    assert_int_equal(int_at(json_object_get(refused, "parameters"), "retry_after"), 3);
    json_decref(refused);
    /* another chat is not banned */
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":43,\"text\":\"one\"}"));
    assert_int_equal(status, 200);
    json_t *flood = flood_state();
    assert_int_equal(int_at(flood, "violations"), 0);
    json_decref(flood);
    /* the banned chat too soon: served, but recorded */
    json_decref(
        test_bot(&status, "editMessageText", "{\"chat_id\":42,\"message_id\":99,\"text\":\"x\"}"));
    int64_t early_at_least = banned_after + 3000 - clock_mono_ms();
    flood = flood_state();
    assert_int_equal(int_at(flood, "violations"), 1);
    json_t *call = json_array_get(json_object_get(flood, "calls"), 0);
    assert_string_equal(json_string_value(json_object_get(call, "method")), "editMessageText");
    assert_int_equal(int_at(call, "chat_id"), 42);
    assert_true(int_at(call, "early_ms") >= early_at_least && int_at(call, "early_ms") <= 3000);
    assert_false(json_is_true(json_object_get(call, "global")));
    json_decref(flood);

    /* a bot-wide ban holds back every call but getUpdates */
    json_decref(test_user(&ustatus, "POST", "/sandbox/api/faults",
                          "{\"rules\":[{\"method\":\"getMe\",\"status\":429,\"retry_after\":1,"
                          "\"global\":true}]}"));
    expect_error(test_bot(&status, "getMe", "{}"), &status, 429,
                 "Too Many Requests: retry after 1");
    int64_t global_at = clock_mono_ms();
    json_decref(test_bot(&status, "getUpdates", "{}"));
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":43,\"text\":\"two\"}"));
    flood = flood_state();
    assert_int_equal(int_at(flood, "violations"), 2);
    call = json_array_get(json_object_get(flood, "calls"), 1);
    assert_int_equal(int_at(call, "chat_id"), 43);
    assert_true(json_is_true(json_object_get(call, "global")));
    json_decref(flood);
    /* after retry_after the calls are fine again */
    int64_t wait = global_at + 1000 - clock_mono_ms();
    if (wait > 0)
        clock_sleep_ms(wait + 50);
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":43,\"text\":\"three\"}"));
    assert_int_equal(status, 200);
    json_t *stats = test_user(&ustatus, "GET", "/sandbox/api/stats", NULL);
    assert_int_equal(int_at(stats, "flood_violations"), 2);
    json_decref(stats);
}

static void test_rate_limit_429_starts_a_ban(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    sandbox_set_rate_limits(test_sb, 0, 0.5);
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"one\"}"));
    assert_int_equal(status, 200);
    json_t *refused = test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"two\"}");
    assert_int_equal(status, 429);
    json_decref(refused);
    json_decref(test_bot(&status, "sendChatAction", "{\"chat_id\":42,\"action\":\"typing\"}"));
    json_t *flood = flood_state();
    assert_int_equal(int_at(flood, "violations"), 1);
    json_decref(flood);
}

static void test_edit_of_the_wrong_kind_is_refused(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    json_t *card = test_bot(&status, "sendPhoto",
                            "{\"chat_id\":42,\"photo\":\"https://example.com/p.jpg\","
                            "\"caption\":\"Tea\"}");
    assert_int_equal(status, 200);
    json_int_t card_id = int_at(RESULT(card), "message_id");
    json_decref(card);
    json_t *text = test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"List\"}");
    json_int_t text_id = int_at(RESULT(text), "message_id");
    json_decref(text);
    expect_error(test_bot(&status, "editMessageText",
                          "{\"chat_id\":42,\"message_id\":%lld,\"text\":\"List\"}",
                          (long long)card_id),
                 &status, 400, "Bad Request: there is no text in the message to edit");
    expect_error(test_bot(&status, "editMessageCaption",
                          "{\"chat_id\":42,\"message_id\":%lld,\"caption\":\"Tea\"}",
                          (long long)text_id),
                 &status, 400, "Bad Request: there is no caption in the message to edit");
    json_decref(test_bot(&status, "editMessageText",
                         "{\"chat_id\":42,\"message_id\":%lld,\"text\":\"List\"}",
                         (long long)text_id));
    assert_int_equal(status, 400);
    /* the photo card is unchanged */
    json_t *chat = test_user(&ustatus, "GET", "/sandbox/api/chats/42", NULL);
    json_t *first = json_array_get(json_object_get(chat, "messages"), 0);
    assert_string_equal(json_string_value(json_object_get(first, "caption")), "Tea");
    assert_null(json_object_get(first, "text"));
    json_decref(chat);
    json_t *stats = test_user(&ustatus, "GET", "/sandbox/api/stats", NULL);
    json_t *edits = json_object_get(stats, "edits");
    assert_int_equal(int_at(edits, "no_text"), 1);
    assert_int_equal(int_at(edits, "no_caption"), 1);
    assert_int_equal(int_at(edits, "not_modified"), 1);
    json_decref(stats);
}

static void test_bursts_per_chat_are_recorded(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    test_create_user(43, "Bob");
    json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":43,\"text\":\"alone\"}"));
    int64_t started = clock_mono_ms();
    for (int i = 0; i < 5; i++) {
        json_decref(test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"m%d\"}", i));
        assert_int_equal(status, 200);
    }
    bool within_a_second = clock_mono_ms() - started < 1000;
    json_t *stats = test_user(&ustatus, "GET", "/sandbox/api/stats", NULL);
    json_t *ann = json_object_get(json_object_get(stats, "chats"), "42");
    json_t *bob = json_object_get(json_object_get(stats, "chats"), "43");
    assert_int_equal(int_at(bob, "max_per_second"), 1);
    assert_int_equal(int_at(bob, "over_limit"), 0);
    assert_true(int_at(ann, "max_per_second") >= 1 && int_at(ann, "max_per_second") <= 5);
    if (within_a_second) { /* a loaded machine may spread the five over more than a second */
        assert_int_equal(int_at(ann, "max_per_second"), 5);
        assert_int_equal(int_at(ann, "over_limit"), 2);
    }
    assert_int_equal(int_at(stats, "max_per_second"), int_at(ann, "max_per_second"));
    assert_int_equal(int_at(stats, "bursts_over_limit"), int_at(ann, "over_limit"));
    json_decref(stats);
}

static void test_blocked_user_gets_403(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    json_decref(test_user(&ustatus, "POST", "/sandbox/api/users/42/block", NULL));
    expect_error(test_bot(&status, "sendMessage", "{\"chat_id\":42,\"text\":\"x\"}"), &status, 403,
                 "Forbidden: bot was blocked by the user");
    json_t *updates = test_bot(&status, "getUpdates", "{}");
    json_t *member = json_object_get(json_array_get(RESULT(updates), 0), "my_chat_member");
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(member, "new_chat_member"), "status")),
        "kicked");
    json_decref(updates);
    int ignored;
    json_decref(
        test_user(&ignored, "POST", "/sandbox/api/users", "{\"id\":44,\"first_name\":\"C\"}"));
    expect_error(test_bot(&status, "sendMessage", "{\"chat_id\":44,\"text\":\"x\"}"), &status, 403,
                 "Forbidden: bot can't initiate conversation with a user");
}

static void test_bad_input_gets_telegram_errors(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    struct buf path = BUF_INIT;
    buf_addf(&path, "/bot%s/sendMessage", TEST_TOKEN);
    char *url = test_url(path.data);
    expect_error(test_http(url, "application/json", "{\"chat_id\":", 11, &status), &status, 400,
                 "Bad Request: can't parse JSON object");
    expect_error(test_http(url, "application/json", "[1,2]", 5, &status), &status, 400,
                 "Bad Request: can't parse JSON object");
    size_t huge_len = 300 * 1024;
    char *huge = malloc(huge_len);
    memset(huge, 'a', huge_len);
    expect_error(test_http(url, "application/x-www-form-urlencoded", huge, huge_len, &status),
                 &status, 413, "Request Entity Too Large");
    free(huge);
    expect_error(test_http(url, "multipart/form-data; boundary=XX", "--XX\r\nbroken", 13, &status),
                 &status, 400, "Bad Request: can't parse multipart/form-data request");
    json_t *form = test_http(url, "application/x-www-form-urlencoded",
                             "chat_id=42&text=caf%C3%A9+ok", 28, &status);
    assert_string_equal(json_string_value(json_object_get(RESULT(form), "text")), "café ok");
    json_decref(form);
    free(url);
    buf_release(&path);

    expect_error(test_bot(&status, "sendMessage", "{\"chat_id\":{\"a\":1},\"text\":\"x\"}"),
                 &status, 400, "Bad Request: chat not found");
    expect_error(test_bot(&status, "sendMessage",
                          "{\"chat_id\":42,\"text\":\"x\",\"reply_markup\":\"{nope\"}"),
                 &status, 400, "Bad Request: can't parse reply keyboard markup JSON object");
    expect_error(
        test_bot(&status, "sendMessage",
                 "{\"chat_id\":42,\"text\":\"x\",\"reply_markup\":{\"inline_keyboard\":5}}"),
        &status, 400,
        "Bad Request: field \"inline_keyboard\" of the InlineKeyboardMarkup should be an "
        "Array of Arrays");
    expect_error(test_bot(&status, "editMessageText",
                          "{\"chat_id\":42,\"message_id\":\"abc\",\"text\":\"x\"}"),
                 &status, 400, "Bad Request: invalid message_id specified");
    expect_error(test_bot(&status, "sendChatAction", "{\"chat_id\":42,\"action\":\"dance\"}"),
                 &status, 400, "Bad Request: wrong parameter action in request");
}

/* A 1x1 PNG. */
static const unsigned char png[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x03, 0x20, 0x00, 0x00, 0x02, 0x58, 0x08, 0x06, 0x00, 0x00,
    0x00, 0x1f, 0x15, 0xc4, 0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0x00, 0x01, 0x00, 0x00, 0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00,
    0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

static void test_send_photo_upload_and_file_id(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    struct buf body = BUF_INIT, path = BUF_INIT;
    buf_adds(&body, "--BOUND\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
                    "--BOUND\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nNice\r\n"
                    "--BOUND\r\nContent-Disposition: form-data; name=\"photo\"; "
                    "filename=\"p.png\"\r\nContent-Type: image/png\r\n\r\n");
    buf_add(&body, png, sizeof png);
    buf_adds(&body, "\r\n--BOUND--\r\n");
    buf_addf(&path, "/bot%s/sendPhoto", TEST_TOKEN);
    char *url = test_url(path.data);
    json_t *sent =
        test_http(url, "multipart/form-data; boundary=BOUND", body.data, body.len, &status);
    assert_int_equal(status, 200);
    json_t *sizes = json_object_get(RESULT(sent), "photo");
    assert_true(json_array_size(sizes) >= 2);
    json_t *largest = json_array_get(sizes, json_array_size(sizes) - 1);
    assert_int_equal(json_integer_value(json_object_get(largest, "width")), 800);
    assert_int_equal(json_integer_value(json_object_get(largest, "height")), 600);
    assert_string_equal(json_string_value(json_object_get(RESULT(sent), "caption")), "Nice");
    const char *file_id = json_string_value(json_object_get(largest, "file_id"));

    json_t *again = test_bot(&status, "sendPhoto", "{\"chat_id\":42,\"photo\":\"%s\"}", file_id);
    assert_int_equal(status, 200);
    assert_true(json_equal(json_object_get(RESULT(again), "photo"), sizes));
    json_decref(again);

    struct buf file_path = BUF_INIT;
    buf_addf(&file_path, "/sandbox/api/files/%s", file_id);
    struct buf out = BUF_INIT;
    assert_int_equal(sandbox_user_api(test_sb, "GET", file_path.data, NULL, &out), 200);
    assert_int_equal(out.len, sizeof png);
    buf_release(&out);
    buf_release(&file_path);
    json_decref(sent);

    expect_error(test_bot(&status, "sendPhoto", "{\"chat_id\":42,\"photo\":\"nonsense here\"}"),
                 &status, 400, "Bad Request: wrong file identifier/HTTP URL specified");
    expect_error(test_bot(&status, "sendPhoto", "{\"chat_id\":42}"), &status, 400,
                 "Bad Request: there is no photo in the request");
    buf_reset(&body);
    buf_adds(&body, "--BB\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
                    "--BB\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"x\"\r\n\r\n"
                    "not a picture\r\n--BB--\r\n");
    expect_error(test_http(url, "multipart/form-data; boundary=BB", body.data, body.len, &status),
                 &status, 400, "Bad Request: IMAGE_PROCESS_FAILED");
    free(url);
    buf_release(&body);
    buf_release(&path);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_wrong_token_and_unknown_method, test_reset),
        cmocka_unit_test_setup(test_updates_offset_confirms, test_reset),
        cmocka_unit_test_setup(test_long_poll_wakes_up_on_user_message, test_reset),
        cmocka_unit_test_setup(test_second_long_poll_ends_the_first, test_reset),
        cmocka_unit_test_setup(test_edits_and_deletes, test_reset),
        cmocka_unit_test_setup(test_limits, test_reset),
        cmocka_unit_test_setup(test_rate_limit_answers_429, test_reset),
        cmocka_unit_test_setup(test_injected_faults, test_reset),
        cmocka_unit_test_setup(test_fault_rules_per_method, test_reset),
        cmocka_unit_test_setup(test_429_bans_and_flood_violations, test_reset),
        cmocka_unit_test_setup(test_rate_limit_429_starts_a_ban, test_reset),
        cmocka_unit_test_setup(test_edit_of_the_wrong_kind_is_refused, test_reset),
        cmocka_unit_test_setup(test_bursts_per_chat_are_recorded, test_reset),
        cmocka_unit_test_setup(test_blocked_user_gets_403, test_reset),
        cmocka_unit_test_setup(test_bad_input_gets_telegram_errors, test_reset),
        cmocka_unit_test_setup(test_send_photo_upload_and_file_id, test_reset),
    };
    int failed = cmocka_run_group_tests(tests, setup, test_teardown);
    curl_global_cleanup();
    return failed;
}
