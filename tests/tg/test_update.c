/* Update parsing: the update kinds tgshop handles, unknown kinds, and garbage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "tg/update.h"
#include "core/banned.h"

struct fixture {
    struct arena arena;
    struct buf err;
    struct tg_update update;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    arena_init(&f->arena, 0);
    buf_init(&f->err, 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    arena_release(&f->arena);
    buf_release(&f->err);
    free(f);
    return 0;
}

static int parse(struct fixture *f, const char *json)
{
    buf_reset(&f->err);
    return tg_update_parse(&f->update, &f->arena, json, strlen(json), &f->err);
}

#define USER "{\"id\":7,\"is_bot\":false,\"first_name\":\"Анна\",\"language_code\":\"ru\"}"
#define CHAT "{\"id\":7,\"type\":\"private\",\"first_name\":\"Анна\"}"

static void test_command_message(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f,
                           "{\"update_id\":100,\"message\":{\"message_id\":5,\"date\":1700000000,"
                           "\"from\":" USER ",\"chat\":" CHAT ",\"text\":\"/start@shop_bot  "
                           "ref_42 😀\",\"entities\":[{\"type\":\"bot_command\",\"offset\":0,"
                           "\"length\":15}],\"unknown_field\":{\"a\":[1]}}}"),
                     0);
    const struct tg_update *u = &f->update;
    assert_int_equal(u->update_id, 100);
    assert_int_equal(u->type, TG_UPDATE_MESSAGE);
    assert_string_equal(u->type_name, "message");
    const struct tg_message *m = u->message;
    assert_non_null(m);
    assert_int_equal(m->message_id, 5);
    assert_int_equal(m->chat.id, 7);
    assert_string_equal(m->chat.type, "private");
    assert_int_equal(m->from->id, 7);
    assert_string_equal(m->from->first_name, "Анна");
    assert_string_equal(m->from->language_code, "ru");
    assert_null(m->from->username);
    assert_string_equal(m->command, "/start");
    assert_string_equal(m->command_bot, "shop_bot");
    assert_string_equal(m->command_args, "ref_42 😀");
    assert_int_equal(m->entity_count, 1);
    assert_null(m->contact);
    assert_null(u->callback_query);
}

static void test_plain_text_has_no_command(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "{\"update_id\":1,\"message\":{\"message_id\":5,\"date\":1,"
                              "\"chat\":" CHAT ",\"text\":\"see /help\",\"entities\":[{\"type\":"
                              "\"bot_command\",\"offset\":4,\"length\":5}]}}"),
                     0);
    assert_null(f->update.message->command);
    assert_null(f->update.message->from);
    assert_int_equal(parse(f, "{\"update_id\":1,\"message\":{\"message_id\":5,\"date\":1,"
                              "\"chat\":" CHAT ",\"text\":\"/help\",\"entities\":[{\"type\":"
                              "\"bot_command\",\"offset\":0,\"length\":5}]}}"),
                     0);
    assert_string_equal(f->update.message->command, "/help");
    assert_null(f->update.message->command_bot);
    assert_string_equal(f->update.message->command_args, "");
}

static void test_contact_photo_and_payment(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "{\"update_id\":2,\"message\":{\"message_id\":6,\"date\":1,"
                              "\"chat\":" CHAT ",\"from\":" USER ",\"contact\":{\"phone_number\":"
                              "\"+79990000000\",\"first_name\":\"Анна\",\"user_id\":7}}}"),
                     0);
    assert_string_equal(f->update.message->contact->phone_number, "+79990000000");
    assert_int_equal(f->update.message->contact->user_id, 7);
    assert_null(f->update.message->text);

    assert_int_equal(parse(f, "{\"update_id\":3,\"message\":{\"message_id\":7,\"date\":1,"
                              "\"chat\":" CHAT ",\"caption\":\"Tea\",\"caption_entities\":[{"
                              "\"type\":\"bold\",\"offset\":0,\"length\":3}],\"photo\":[{"
                              "\"file_id\":\"small\",\"width\":90},{\"file_id\":\"big\","
                              "\"width\":800}]}}"),
                     0);
    assert_string_equal(f->update.message->photo_file_id, "big");
    assert_string_equal(f->update.message->caption, "Tea");
    assert_int_equal(f->update.message->entity_count, 1);

    assert_int_equal(parse(f, "{\"update_id\":4,\"message\":{\"message_id\":8,\"date\":1,"
                              "\"chat\":" CHAT ",\"successful_payment\":{\"currency\":\"XTR\","
                              "\"total_amount\":150,\"invoice_payload\":\"order:9\","
                              "\"telegram_payment_charge_id\":\"tch_1\","
                              "\"provider_payment_charge_id\":\"\"}}}"),
                     0);
    const struct tg_successful_payment *p = f->update.message->successful_payment;
    assert_non_null(p);
    assert_string_equal(p->currency, "XTR");
    assert_int_equal(p->total_amount, 150);
    assert_string_equal(p->invoice_payload, "order:9");
    assert_string_equal(p->telegram_payment_charge_id, "tch_1");
}

static void test_callback_queries(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "{\"update_id\":5,\"callback_query\":{\"id\":\"cb1\",\"from\":" USER
                              ",\"chat_instance\":\"ci\",\"data\":\"cat:3:p2\",\"message\":{"
                              "\"message_id\":11,\"date\":1,\"chat\":" CHAT ",\"text\":\"Menu\","
                              "\"reply_markup\":{\"inline_keyboard\":[]}}}}"),
                     0);
    const struct tg_callback_query *q = f->update.callback_query;
    assert_int_equal(f->update.type, TG_UPDATE_CALLBACK_QUERY);
    assert_string_equal(q->id, "cb1");
    assert_int_equal(q->from.id, 7);
    assert_string_equal(q->data, "cat:3:p2");
    assert_int_equal(q->message->message_id, 11);
    assert_int_equal(q->message->chat.id, 7);
    assert_null(q->inline_message_id);

    /* a button under an inline-mode message: no message, an inline_message_id */
    assert_int_equal(parse(f, "{\"update_id\":6,\"callback_query\":{\"id\":\"cb2\",\"from\":" USER
                              ",\"chat_instance\":\"ci\",\"inline_message_id\":\"AAA\","
                              "\"data\":\"x\"}}"),
                     0);
    assert_null(f->update.callback_query->message);
    assert_string_equal(f->update.callback_query->inline_message_id, "AAA");
}

static void test_inline_checkout_and_member_updates(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "{\"update_id\":7,\"inline_query\":{\"id\":\"iq\",\"from\":" USER
                              ",\"query\":\"доставка\",\"offset\":\"\",\"chat_type\":\"sender\"}}"),
                     0);
    assert_int_equal(f->update.type, TG_UPDATE_INLINE_QUERY);
    assert_string_equal(f->update.inline_query->query, "доставка");
    assert_string_equal(f->update.inline_query->offset, "");

    assert_int_equal(parse(f,
                           "{\"update_id\":8,\"pre_checkout_query\":{\"id\":\"pq\",\"from\":" USER
                           ",\"currency\":\"XTR\",\"total_amount\":150,"
                           "\"invoice_payload\":\"order:9\"}}"),
                     0);
    assert_int_equal(f->update.type, TG_UPDATE_PRE_CHECKOUT_QUERY);
    assert_int_equal(f->update.pre_checkout_query->total_amount, 150);
    assert_string_equal(f->update.pre_checkout_query->invoice_payload, "order:9");

    assert_int_equal(parse(f,
                           "{\"update_id\":9,\"my_chat_member\":{\"chat\":" CHAT ",\"from\":" USER
                           ",\"date\":5,\"old_chat_member\":{\"status\":\"member\",\"user\":" USER
                           "},\"new_chat_member\":{\"status\":\"kicked\",\"user\":" USER
                           ",\"until_date\":0}}}"),
                     0);
    const struct tg_chat_member_updated *m = f->update.my_chat_member;
    assert_int_equal(f->update.type, TG_UPDATE_MY_CHAT_MEMBER);
    assert_int_equal(m->old_member.status, TG_MEMBER_MEMBER);
    assert_int_equal(m->new_member.status, TG_MEMBER_KICKED);
    assert_true(tg_chat_member_is_present(&m->old_member));
    assert_false(tg_chat_member_is_present(&m->new_member));
    assert_string_equal(tg_member_status_name(m->new_member.status), "kicked");
}

static void test_unknown_update_types(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(parse(f, "{\"update_id\":10,\"edited_message\":{\"whatever\":1}}"), 0);
    assert_int_equal(f->update.type, TG_UPDATE_UNKNOWN);
    assert_int_equal(f->update.update_id, 10);
    assert_string_equal(f->update.type_name, "edited_message");
    assert_null(f->update.message);

    assert_int_equal(parse(f, "{\"update_id\":11}"), 0);
    assert_int_equal(f->update.type, TG_UPDATE_UNKNOWN);
    assert_string_equal(f->update.type_name, "");
}

static void test_garbage_is_an_error_value(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *json;
        int64_t update_id; /* still readable for confirming the update */
        const char *error;
    } cases[] = {
        {"", 0, "update: invalid JSON"},
        {"{\"update_id\":1,", 0, "update: invalid JSON"},
        {"[1,2]", 0, "update: expected an object"},
        {"{\"message\":{}}", 0, "update_id: missing"},
        {"{\"update_id\":\"12\"}", 0, "update_id: expected an integer"},
        {"{\"update_id\":1.5}", 0, "update_id: expected an integer"},
        {"{\"update_id\":12,\"message\":[]}", 12, "message: expected an object"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1}}", 12,
         "message.chat: missing"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1,\"chat\":{\"id\":\"7\","
         "\"type\":\"private\"}}}",
         12, "message.chat.id: expected an integer"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1,\"chat\":" CHAT
         ",\"text\":5}}",
         12, "message.text: expected a string"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1,\"chat\":" CHAT
         ",\"from\":{\"id\":1}}}",
         12, "message.from.first_name: missing"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1,\"chat\":" CHAT
         ",\"text\":\"/x\",\"entities\":[{\"type\":\"bot_command\",\"offset\":0,\"length\":-2}]}}",
         12, "message.entities[0].length: negative offset or length"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1,\"chat\":" CHAT
         ",\"photo\":[]}}",
         12, "message.photo: expected a non-empty array"},
        {"{\"update_id\":12,\"callback_query\":{\"id\":1,\"from\":" USER "}}", 12,
         "callback_query.id: expected a string"},
        {"{\"update_id\":12,\"pre_checkout_query\":{\"id\":\"p\",\"from\":" USER
         ",\"currency\":\"XTR\",\"total_amount\":\"150\",\"invoice_payload\":\"x\"}}",
         12, "pre_checkout_query.total_amount: expected an integer"},
        {"{\"update_id\":12,\"my_chat_member\":{\"chat\":" CHAT ",\"from\":" USER
         ",\"date\":1,\"old_chat_member\":{\"status\":\"member\",\"user\":" USER "}}}",
         12, "my_chat_member.new_chat_member: expected an object"},
        {"{\"update_id\":12,\"message\":{\"message_id\":1,\"date\":1,\"chat\":" CHAT
         ",\"text\":\"a\\u0000b\"}}",
         0, "update: invalid JSON"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int rc = parse(f, cases[i].json);
        if (rc != ERR_INVALID || strncmp(f->err.data, cases[i].error, strlen(cases[i].error)))
            fail_msg("case %zu: rc %d, error \"%s\", want \"%s\"", i, rc, f->err.data,
                     cases[i].error);
        assert_int_equal(f->update.update_id, cases[i].update_id);
    }
}

/* Every prefix of a valid update, and every single-byte corruption of it, parses or fails
 * cleanly (the sanitizers watch for the rest). */
static void test_truncated_and_corrupted_updates(void **state)
{
    struct fixture *f = *state;
    const char *good =
        "{\"update_id\":100,\"callback_query\":{\"id\":\"cb1\",\"from\":" USER
        ",\"chat_instance\":\"ci\",\"data\":\"cat:3\",\"message\":{\"message_id\":11,\"date\":1,"
        "\"chat\":" CHAT ",\"text\":\"/start go\",\"entities\":[{\"type\":\"bot_command\","
        "\"offset\":0,\"length\":6}],\"photo\":[{\"file_id\":\"f\"}]}}}";
    size_t len = strlen(good);
    char *copy = malloc(len + 1);
    for (size_t cut = 0; cut < len; cut++) {
        assert_int_equal(tg_update_parse(&f->update, &f->arena, good, cut, &f->err), ERR_INVALID);
        arena_reset(&f->arena);
    }
    static const char replacements[] = {'"', '{', '}', '[', ']', ':', ',', '0', '-', 'x', '\\'};
    for (size_t at = 0; at < len; at++) {
        for (size_t r = 0; r < sizeof replacements; r++) {
            memcpy(copy, good, len + 1);
            copy[at] = replacements[r];
            int rc = tg_update_parse(&f->update, &f->arena, copy, len, &f->err);
            assert_true(rc == 0 || rc == ERR_INVALID);
            arena_reset(&f->arena);
        }
    }
    free(copy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_command_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plain_text_has_no_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_contact_photo_and_payment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_callback_queries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_inline_checkout_and_member_updates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_update_types, setup, teardown),
        cmocka_unit_test_setup_teardown(test_garbage_is_an_error_value, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_and_corrupted_updates, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
