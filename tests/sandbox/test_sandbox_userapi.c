/* The user side of the sandbox and the flows that need both sides: payments,
 * callback answers, inline queries, channels and webhook delivery. */
#include <curl/curl.h>
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
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
#define STR(j, k) json_string_value(json_object_get((j), (k)))

static int setup(void **state)
{
    (void)state;
    struct sandbox_options opt = {.precheckout_timeout_ms = 300, .webhook_retry_ms = 50};
    test_start(&opt);
    return 0;
}

/* The first update of the given type, confirming everything before it (new reference). */
static json_t *next_update(const char *type)
{
    long status;
    json_t *answer = test_bot(&status, "getUpdates", "{\"timeout\":5}");
    size_t i;
    json_t *u, *found = NULL;
    json_int_t last = 0;
    json_array_foreach(RESULT(answer), i, u)
    {
        last = json_integer_value(json_object_get(u, "update_id"));
        if (!found && json_object_get(u, type))
            found = json_incref(json_object_get(u, type));
    }
    json_decref(answer);
    json_decref(test_bot(&status, "getUpdates", "{\"offset\":%lld}", (long long)last + 1));
    assert_non_null(found);
    return found;
}

/* Waits for an event of the given type (and status, if not NULL) in a chat (new reference). */
static json_t *wait_event(long long chat_id, const char *type, const char *status_wanted)
{
    int64_t deadline = clock_mono_ms() + 10000;
    long long after = 0;
    while (clock_mono_ms() < deadline) {
        char path[128];
        snprintf(path, sizeof path, "/sandbox/api/chats/%lld/events?after=%lld&timeout=5", chat_id,
                 after);
        int status;
        json_t *result = test_user(&status, "GET", path, NULL);
        assert_int_equal(status, 200);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(result, "events"), i, e)
        {
            after = json_integer_value(json_object_get(e, "seq"));
            if (!strcmp(STR(e, "type"), type) &&
                (!status_wanted || !strcmp(STR(e, "status"), status_wanted))) {
                json_incref(e);
                json_decref(result);
                return e;
            }
        }
        json_decref(result);
    }
    fail_msg("no %s event", type);
    return NULL;
}

static json_int_t send_invoice(void)
{
    long status;
    json_t *sent = test_bot(&status, "sendInvoice",
                            "{\"chat_id\":42,\"title\":\"Tea\",\"description\":\"Green tea\","
                            "\"payload\":\"order-7\",\"currency\":\"XTR\",\"prices\":[{\"label\":"
                            "\"Tea\",\"amount\":25}]}");
    assert_int_equal(status, 200);
    assert_null(json_object_get(RESULT(sent), "sandbox_private_invoice"));
    json_int_t id = json_integer_value(json_object_get(RESULT(sent), "message_id"));
    json_decref(sent);
    return id;
}

static json_t *pay(json_int_t message_id)
{
    int status;
    json_t *started = test_user(&status, "POST", "/sandbox/api/users/42/pay",
                                "{\"message_id\":%lld}", (long long)message_id);
    assert_int_equal(status, 200);
    assert_string_equal(STR(started, "status"), "pending");
    json_decref(started);
    return next_update("pre_checkout_query");
}

static void test_payment_accepted(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    json_t *query = pay(send_invoice());
    assert_string_equal(STR(query, "invoice_payload"), "order-7");
    assert_int_equal(json_integer_value(json_object_get(query, "total_amount")), 25);
    json_decref(test_bot(&status, "answerPreCheckoutQuery",
                         "{\"pre_checkout_query_id\":\"%s\",\"ok\":true}", STR(query, "id")));
    assert_int_equal(status, 200);
    json_t *message = next_update("message");
    json_t *payment = json_object_get(message, "successful_payment");
    assert_string_equal(STR(payment, "invoice_payload"), "order-7");
    assert_string_equal(STR(payment, "currency"), "XTR");
    assert_true(strlen(STR(payment, "telegram_payment_charge_id")) > 0);
    json_t *event = wait_event(42, "payment", "paid");
    json_decref(event);
    /* a second answer to the same query is refused */
    json_t *again = test_bot(&status, "answerPreCheckoutQuery",
                             "{\"pre_checkout_query_id\":\"%s\",\"ok\":true}", STR(query, "id"));
    assert_int_equal(status, 400);
    json_decref(again);
    json_decref(message);
    json_decref(query);
}

static void test_payment_declined_by_bot(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    json_t *query = pay(send_invoice());
    json_decref(test_bot(&status, "answerPreCheckoutQuery",
                         "{\"pre_checkout_query_id\":\"%s\",\"ok\":false,\"error_message\":"
                         "\"Out of stock\"}",
                         STR(query, "id")));
    assert_int_equal(status, 200);
    json_t *event = wait_event(42, "payment", "declined");
    assert_string_equal(STR(event, "error_message"), "Out of stock");
    json_decref(event);
    json_decref(query);
}

static void test_payment_answered_too_late(void **state)
{
    (void)state;
    long status;
    test_create_user(42, "Ann");
    json_t *query = pay(send_invoice());
    char path[96];
    snprintf(path, sizeof path, "/sandbox/api/queries/%s", STR(query, "id"));
    int64_t deadline = clock_mono_ms() + 10000;
    json_t *state_json = NULL;
    int ustatus;
    /* the deadline is 300 ms in this fixture; poll until the sandbox gives up */
    while (clock_mono_ms() < deadline) {
        state_json = test_user(&ustatus, "GET", path, NULL);
        if (!strcmp(STR(state_json, "status"), "timeout"))
            break;
        json_decref(state_json);
        state_json = NULL;
        clock_sleep_ms(20);
    }
    assert_non_null(state_json);
    json_decref(state_json);
    json_t *late = test_bot(&status, "answerPreCheckoutQuery",
                            "{\"pre_checkout_query_id\":\"%s\",\"ok\":true}", STR(query, "id"));
    assert_int_equal(status, 400);
    assert_string_equal(DESC(late), "Bad Request: query is too old and response timeout expired "
                                    "or query ID is invalid");
    json_decref(late);
    json_decref(query);
}

static void test_callback_answer_reaches_user(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    json_decref(test_bot(&status, "sendMessage",
                         "{\"chat_id\":42,\"text\":\"Pick\",\"reply_markup\":{\"inline_keyboard\":"
                         "[[{\"text\":\"Tea\",\"callback_data\":\"tea\"}]]}}"));
    json_t *wrong = test_user(&ustatus, "POST", "/sandbox/api/users/42/callback",
                              "{\"message_id\":1,\"callback_data\":\"coffee\"}");
    assert_int_equal(ustatus, 400);
    json_decref(wrong);
    json_decref(test_user(&ustatus, "POST", "/sandbox/api/users/42/callback",
                          "{\"message_id\":1,\"callback_data\":\"tea\"}"));
    json_t *query = next_update("callback_query");
    assert_string_equal(STR(query, "data"), "tea");
    json_decref(test_bot(&status, "answerCallbackQuery",
                         "{\"callback_query_id\":\"%s\",\"text\":\"Added\",\"show_alert\":true}",
                         STR(query, "id")));
    assert_int_equal(status, 200);
    json_t *event = wait_event(42, "callback_answer", NULL);
    assert_string_equal(STR(event, "text"), "Added");
    assert_true(json_is_true(json_object_get(event, "show_alert")));
    json_decref(event);
    json_decref(query);
}

static void test_inline_query_results(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    json_decref(test_user(&ustatus, "POST", "/sandbox/api/users/42/inline_query",
                          "{\"query\":\"delivery\"}"));
    json_t *query = next_update("inline_query");
    assert_string_equal(STR(query, "query"), "delivery");
    json_t *dup = test_bot(&status, "answerInlineQuery",
                           "{\"inline_query_id\":\"%s\",\"results\":[{\"type\":\"article\","
                           "\"id\":\"1\"},{\"type\":\"article\",\"id\":\"1\"}]}",
                           STR(query, "id"));
    assert_string_equal(DESC(dup), "Bad Request: RESULT_ID_DUPLICATE");
    json_decref(dup);
    json_decref(test_bot(&status, "answerInlineQuery",
                         "{\"inline_query_id\":\"%s\",\"results\":[{\"type\":\"article\",\"id\":"
                         "\"1\",\"title\":\"Delivery\",\"input_message_content\":{"
                         "\"message_text\":\"We deliver daily\"}}]}",
                         STR(query, "id")));
    assert_int_equal(status, 200);
    json_t *event = wait_event(42, "inline_results", NULL);
    assert_int_equal(json_array_size(json_object_get(event, "results")), 1);
    json_decref(event);
    json_t *chosen =
        test_user(&ustatus, "POST", "/sandbox/api/users/42/inline_result",
                  "{\"inline_query_id\":\"%s\",\"result_id\":\"1\"}", STR(query, "id"));
    assert_int_equal(ustatus, 200);
    assert_string_equal(STR(chosen, "text"), "We deliver daily");
    json_decref(chosen);
    json_decref(query);
}

static void test_channel_membership(void **state)
{
    (void)state;
    long status;
    int ustatus;
    test_create_user(42, "Ann");
    json_t *channel = test_user(&ustatus, "POST", "/sandbox/api/channels",
                                "{\"title\":\"News\",\"username\":\"shop_news\","
                                "\"bot_status\":\"member\"}");
    assert_int_equal(ustatus, 200);
    json_int_t id = json_integer_value(json_object_get(json_object_get(channel, "chat"), "id"));
    assert_true(id < -1000000000000LL);
    json_decref(channel);
    char path[96];
    snprintf(path, sizeof path, "/sandbox/api/channels/%lld/members", (long long)id);
    json_decref(test_user(&ustatus, "POST", path, "{\"user_id\":42,\"status\":\"member\"}"));
    assert_int_equal(ustatus, 200);

    json_t *refused =
        test_bot(&status, "getChatMember", "{\"chat_id\":\"@shop_news\",\"user_id\":42}");
    assert_string_equal(DESC(refused), "Bad Request: member list is inaccessible");
    json_decref(refused);

    snprintf(path, sizeof path, "/sandbox/api/channels/%lld/bot", (long long)id);
    json_decref(test_user(&ustatus, "POST", path, "{\"status\":\"administrator\"}"));
    json_t *member =
        test_bot(&status, "getChatMember", "{\"chat_id\":%lld,\"user_id\":42}", (long long)id);
    assert_string_equal(STR(RESULT(member), "status"), "member");
    json_decref(member);
    snprintf(path, sizeof path, "/sandbox/api/channels/%lld/members", (long long)id);
    json_decref(test_user(&ustatus, "POST", path, "{\"user_id\":42,\"status\":\"left\"}"));
    member = test_bot(&status, "getChatMember", "{\"chat_id\":%lld,\"user_id\":42}", (long long)id);
    assert_string_equal(STR(RESULT(member), "status"), "left");
    json_decref(member);

    snprintf(path, sizeof path, "/sandbox/api/channels/%lld/bot", (long long)id);
    json_decref(test_user(&ustatus, "POST", path, "{\"status\":\"left\"}"));
    json_t *gone =
        test_bot(&status, "getChatMember", "{\"chat_id\":%lld,\"user_id\":42}", (long long)id);
    assert_int_equal(status, 403);
    assert_string_equal(DESC(gone), "Forbidden: bot is not a member of the channel chat");
    json_decref(gone);
}

/* ---- a webhook receiver ------------------------------------------------------------------ */

struct receiver {
    pthread_mutex_t lock;
    int failures_left; /* answer 500 this many times first */
    int requests;
    int delivered;
    char secret[64];
    char last_body[4096];
};

static enum MHD_Result receive(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *data,
                               size_t *size, void **con_cls)
{
    (void)url, (void)method, (void)version;
    struct receiver *r = cls;
    if (!*con_cls) {
        *con_cls = r;
        return MHD_YES;
    }
    pthread_mutex_lock(&r->lock);
    if (*size) {
        size_t n = *size < sizeof r->last_body - 1 ? *size : sizeof r->last_body - 1;
        memcpy(r->last_body, data, n);
        r->last_body[n] = '\0';
        *size = 0;
        pthread_mutex_unlock(&r->lock);
        return MHD_YES;
    }
    const char *secret =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Telegram-Bot-Api-Secret-Token");
    snprintf(r->secret, sizeof r->secret, "%s", secret ? secret : "");
    r->requests++;
    unsigned code = r->failures_left > 0 ? 500 : 200;
    if (r->failures_left > 0)
        r->failures_left--;
    else
        r->delivered++;
    pthread_mutex_unlock(&r->lock);
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, "", MHD_RESPMEM_PERSISTENT);
    enum MHD_Result rc = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return rc;
}

static void test_webhook_delivery_with_secret_and_retry(void **state)
{
    (void)state;
    long status;
    int ustatus;
    struct receiver r = {.failures_left = 2};
    pthread_mutex_init(&r.lock, NULL);
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, receive, &r,
        MHD_OPTION_SOCK_ADDR,
        &(struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001)},
        MHD_OPTION_END);
    assert_non_null(d);
    int port = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port;
    test_create_user(42, "Ann");
    json_t *set =
        test_bot(&status, "setWebhook",
                 "{\"url\":\"http://127.0.0.1:%d/hook\",\"secret_token\":\"s3cr-et_\"}", port);
    assert_string_equal(DESC(set), "Webhook was set");
    json_decref(set);
    json_t *conflict = test_bot(&status, "getUpdates", "{}");
    assert_int_equal(status, 409);
    json_decref(conflict);

    json_decref(test_user(&ustatus, "POST", "/sandbox/api/users/42/messages", "{\"text\":\"hi\"}"));
    int64_t deadline = clock_mono_ms() + 10000;
    int delivered = 0;
    while (!delivered && clock_mono_ms() < deadline) {
        pthread_mutex_lock(&r.lock);
        delivered = r.delivered;
        pthread_mutex_unlock(&r.lock);
        if (!delivered)
            clock_sleep_ms(10);
    }
    assert_int_equal(delivered, 1);
    pthread_mutex_lock(&r.lock);
    assert_int_equal(r.requests, 3);
    assert_string_equal(r.secret, "s3cr-et_");
    assert_non_null(strstr(r.last_body, "\"text\":\"hi\""));
    pthread_mutex_unlock(&r.lock);

    /* the receiver counts the delivery before the sandbox has read its answer */
    json_t *info = NULL;
    json_int_t pending = -1;
    deadline = clock_mono_ms() + 10000;
    while (pending != 0 && clock_mono_ms() < deadline) {
        json_decref(info);
        info = test_bot(&status, "getWebhookInfo", "{}");
        pending = json_integer_value(json_object_get(RESULT(info), "pending_update_count"));
        if (pending)
            clock_sleep_ms(10);
    }
    assert_int_equal(pending, 0);
    assert_string_equal(STR(RESULT(info), "last_error_message"),
                        "Wrong response from the webhook: 500 Internal Server Error");
    json_decref(info);
    json_t *deleted = test_bot(&status, "deleteWebhook", "{}");
    assert_string_equal(DESC(deleted), "Webhook was deleted");
    json_decref(deleted);
    MHD_stop_daemon(d);
    pthread_mutex_destroy(&r.lock);
}

static void test_user_api_errors(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    assert_int_equal(sandbox_user_api(test_sb, "POST", "/sandbox/api/users", "{\"id\":", &out),
                     400);
    buf_reset(&out);
    assert_int_equal(
        sandbox_user_api(test_sb, "POST", "/sandbox/api/users", "{\"id\":\"x\"}", &out), 400);
    buf_reset(&out);
    assert_int_equal(sandbox_user_api(test_sb, "POST", "/sandbox/api/users/5/messages",
                                      "{\"text\":\"hi\"}", &out),
                     404);
    buf_reset(&out);
    assert_int_equal(sandbox_user_api(test_sb, "GET", "/sandbox/api/nothing", NULL, &out), 404);
    buf_release(&out);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_payment_accepted, test_reset),
        cmocka_unit_test_setup(test_payment_declined_by_bot, test_reset),
        cmocka_unit_test_setup(test_payment_answered_too_late, test_reset),
        cmocka_unit_test_setup(test_callback_answer_reaches_user, test_reset),
        cmocka_unit_test_setup(test_inline_query_results, test_reset),
        cmocka_unit_test_setup(test_channel_membership, test_reset),
        cmocka_unit_test_setup(test_webhook_delivery_with_secret_and_retry, test_reset),
        cmocka_unit_test_setup(test_user_api_errors, test_reset),
    };
    int failed = cmocka_run_group_tests(tests, setup, test_teardown);
    curl_global_cleanup();
    return failed;
}
