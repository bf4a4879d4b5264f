/* Error classification: every real Bot API error reply in tests/tg/errors/ (copied from
 * the shared reference data) maps to the kind and reason the callers act on. */
#include <dirent.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/err.h"
#include "tg/result.h"
#include "core/banned.h"

static const struct {
    const char *file;
    enum tg_result_kind kind;
    enum tg_result_reason reason;
} expected[] = {
    {"bad-request-button-url-invalid.json", TG_BAD_REQUEST, TG_REASON_NONE},
    {"bad-request-chat-not-found.json", TG_BAD_REQUEST, TG_REASON_CHAT_NOT_FOUND},
    {"bad-request-entities-too-long.json", TG_BAD_REQUEST, TG_REASON_NONE},
    {"bad-request-file-too-big.json", TG_BAD_REQUEST, TG_REASON_NONE},
    {"bad-request-group-chat-migrated.json", TG_BAD_REQUEST, TG_REASON_CHAT_MIGRATED},
    {"bad-request-group-deactivated.json", TG_BAD_REQUEST, TG_REASON_CHAT_NOT_FOUND},
    {"bad-request-invalid-file-id.json", TG_BAD_REQUEST, TG_REASON_INVALID_FILE_ID},
    {"bad-request-member-not-found.json", TG_BAD_REQUEST, TG_REASON_MEMBER_NOT_FOUND},
    {"bad-request-message-cant-be-deleted.json", TG_BAD_REQUEST, TG_REASON_MESSAGE_UNCHANGEABLE},
    {"bad-request-message-cant-be-edited.json", TG_BAD_REQUEST, TG_REASON_MESSAGE_UNCHANGEABLE},
    {"bad-request-message-not-modified.json", TG_NOT_MODIFIED, TG_REASON_NONE},
    {"bad-request-message-text-is-empty.json", TG_BAD_REQUEST, TG_REASON_NONE},
    {"bad-request-message-to-delete-not-found.json", TG_BAD_REQUEST, TG_REASON_MESSAGE_NOT_FOUND},
    {"bad-request-message-to-edit-not-found.json", TG_BAD_REQUEST, TG_REASON_MESSAGE_NOT_FOUND},
    {"bad-request-not-enough-rights-photos.json", TG_BAD_REQUEST, TG_REASON_NO_RIGHTS},
    {"bad-request-not-enough-rights-text.json", TG_BAD_REQUEST, TG_REASON_NO_RIGHTS},
    {"bad-request-peer-id-invalid.json", TG_BAD_REQUEST, TG_REASON_CHAT_NOT_FOUND},
    {"bad-request-reply-message-not-found.json", TG_BAD_REQUEST, TG_REASON_MESSAGE_NOT_FOUND},
    {"bad-request-user-not-found.json", TG_BAD_REQUEST, TG_REASON_CHAT_NOT_FOUND},
    {"bad-request-wrong-parameter-action-in-request.json", TG_BAD_REQUEST, TG_REASON_NONE},
    {"conflicted-terminated-by-other-long-poll.json", TG_CONFLICT, TG_REASON_OTHER_POLLER},
    {"forbidden-bot-blocked-by-user.json", TG_FORBIDDEN, TG_REASON_BLOCKED},
    {"forbidden-bot-cant-send-messages-to-bots.json", TG_FORBIDDEN, TG_REASON_BOT_RECIPIENT},
    {"forbidden-bot-not-member-channel.json", TG_FORBIDDEN, TG_REASON_NOT_MEMBER},
    {"forbidden-bot-not-member-supergroup.json", TG_FORBIDDEN, TG_REASON_NOT_MEMBER},
    {"forbidden-bot-was-kicked.json", TG_FORBIDDEN, TG_REASON_KICKED},
    {"forbidden-cant-initiate-conversation.json", TG_FORBIDDEN, TG_REASON_CANT_INITIATE},
    {"forbidden-user-is-deactivated.json", TG_FORBIDDEN, TG_REASON_DEACTIVATED},
    {"too-many-requests.json", TG_FLOOD, TG_REASON_NONE},
    {"unauthorized.json", TG_UNAUTHORIZED, TG_REASON_NONE},
    {"webhook-is-active.json", TG_CONFLICT, TG_REASON_WEBHOOK_ACTIVE},
};
enum { EXPECTED_COUNT = sizeof expected / sizeof expected[0] };

static void classify(struct tg_result *out, long status, const char *body)
{
    json_t *reply = json_loads(body, 0, NULL);
    tg_result_from_reply(out, status, reply);
    json_decref(reply);
}

static void test_every_error_file(void **state)
{
    (void)state;
    bool seen[EXPECTED_COUNT] = {false};
    DIR *dir = opendir(TG_TEST_ERRORS_DIR);
    assert_non_null(dir);
    struct dirent *entry;
    while ((entry = readdir(dir))) {
        size_t len = strlen(entry->d_name);
        if (len < 5 || strcmp(entry->d_name + len - 5, ".json"))
            continue;
        size_t i = 0;
        while (i < EXPECTED_COUNT && strcmp(expected[i].file, entry->d_name))
            i++;
        if (i == EXPECTED_COUNT)
            fail_msg("%s has no expected classification: add it to the table", entry->d_name);
        char path[512];
        snprintf(path, sizeof path, "%s/%s", TG_TEST_ERRORS_DIR, entry->d_name);
        json_t *reply = json_load_file(path, 0, NULL);
        assert_non_null(reply);
        json_int_t code = json_integer_value(json_object_get(reply, "error_code"));
        struct tg_result r;
        tg_result_from_reply(&r, (long)code, reply);
        if (r.kind != expected[i].kind || r.reason != expected[i].reason)
            fail_msg("%s: got %s/%s, want %s/%s", entry->d_name, tg_result_kind_name(r.kind),
                     tg_result_reason_name(r.reason), tg_result_kind_name(expected[i].kind),
                     tg_result_reason_name(expected[i].reason));
        assert_int_equal(r.error_code, code);
        assert_string_equal(r.description,
                            json_string_value(json_object_get(reply, "description")));
        if (r.kind == TG_FLOOD)
            assert_int_equal(r.retry_after, 123);
        if (r.reason == TG_REASON_CHAT_MIGRATED)
            assert_int_equal(r.migrate_to_chat_id, -123456789);
        assert_int_equal(tg_result_code(&r) == 0, r.kind == TG_NOT_MODIFIED);
        seen[i] = true;
        json_decref(reply);
    }
    closedir(dir);
    for (size_t i = 0; i < EXPECTED_COUNT; i++)
        if (!seen[i])
            fail_msg("%s is expected but missing", expected[i].file);
}

static void test_success(void **state)
{
    (void)state;
    struct tg_result r;
    classify(&r, 200, "{\"ok\":true,\"result\":true}");
    assert_int_equal(r.kind, TG_OK);
    assert_int_equal(tg_result_code(&r), 0);
}

static void test_replies_that_are_not_bot_api_json(void **state)
{
    (void)state;
    struct tg_result r;
    classify(&r, 502, "<html>Bad Gateway</html>");
    assert_int_equal(r.kind, TG_SERVER);
    assert_int_equal(r.error_code, 502);
    assert_int_equal(tg_result_code(&r), ERR_NETWORK);
    classify(&r, 200, "<html>hello</html>");
    assert_int_equal(r.kind, TG_SERVER);
    classify(&r, 200, "[1,2]");
    assert_int_equal(r.kind, TG_SERVER);
    classify(&r, 404, "");
    assert_int_equal(r.kind, TG_NOT_FOUND);
    classify(&r, 429, "");
    assert_int_equal(r.kind, TG_FLOOD);
    assert_int_equal(r.retry_after, 1);
}

static void test_error_fields_of_odd_types(void **state)
{
    (void)state;
    struct tg_result r;
    /* the body's error_code wins over the HTTP status; bad types fall back to the status */
    classify(&r, 200, "{\"ok\":false,\"error_code\":403,\"description\":7}");
    assert_int_equal(r.kind, TG_FORBIDDEN);
    assert_string_equal(r.description, "");
    classify(&r, 500, "{\"ok\":false,\"error_code\":\"x\"}");
    assert_int_equal(r.kind, TG_SERVER);
    classify(&r, 418, "{\"ok\":false,\"error_code\":418,\"description\":\"teapot\"}");
    assert_int_equal(r.kind, TG_BAD_REQUEST);
    /* retry_after read from the text when parameters are missing, clamped otherwise */
    classify(&r, 429,
             "{\"ok\":false,\"error_code\":429,"
             "\"description\":\"Too Many Requests: retry after 7\"}");
    assert_int_equal(r.retry_after, 7);
    classify(&r, 429, "{\"ok\":false,\"error_code\":429,\"parameters\":{\"retry_after\":-5}}");
    assert_int_equal(r.retry_after, 1);
    assert_int_equal(tg_result_code(&r), ERR_FLOOD);
}

static void test_long_descriptions_are_cut_on_a_character(void **state)
{
    (void)state;
    struct tg_result r;
    char body[2048] = "{\"ok\":false,\"error_code\":400,\"description\":\"";
    size_t len = strlen(body);
    for (int i = 0; i < 300; i++) {
        memcpy(body + len, "\xd0\xb6", 2); /* ж */
        len += 2;
    }
    memcpy(body + len, "\"}", 3);
    classify(&r, 400, body);
    assert_int_equal(r.kind, TG_BAD_REQUEST);
    assert_true(strlen(r.description) < sizeof r.description);
    assert_int_equal(strlen(r.description) % 2, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_error_file),
        cmocka_unit_test(test_success),
        cmocka_unit_test(test_replies_that_are_not_bot_api_json),
        cmocka_unit_test(test_error_fields_of_odd_types),
        cmocka_unit_test(test_long_descriptions_are_cut_on_a_character),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
