/* Limits are checked before sending: a violation is TG_INVALID with a message, and no
 * request is made. The client points at a closed port, so a request that did go out would
 * come back as TG_NETWORK instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"
#include "tg/client.h"
#include "core/banned.h"

/* A string of n copies of unit (which must be short). Freed by the caller. */
static char *repeat(const char *unit, size_t n)
{
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < n; i++)
        buf_adds(&b, unit);
    return buf_detach(&b, NULL);
}

static size_t length(const char *text, enum tg_parse_mode mode, bool *out_blank)
{
    return tg_text_length(text, strlen(text), mode, out_blank);
}

static void test_length_counts_utf16_units(void **state)
{
    (void)state;
    bool blank;
    assert_int_equal(length("abc", TG_PARSE_NONE, &blank), 3);
    assert_false(blank);
    assert_int_equal(length("привет", TG_PARSE_NONE, &blank), 6);
    assert_int_equal(length("😀", TG_PARSE_NONE, &blank), 2); /* outside the BMP */
    assert_int_equal(length(" \n\t", TG_PARSE_NONE, &blank), 3);
    assert_true(blank);
    assert_int_equal(length("", TG_PARSE_NONE, &blank), 0);
    assert_true(blank);
}

static void test_length_after_html_parsing(void **state)
{
    (void)state;
    bool blank;
    assert_int_equal(length("<b>bold</b> &amp; <i>it</i>", TG_PARSE_HTML, &blank), 9);
    assert_int_equal(length("&lt;&gt;&quot;&#8364;&#x1F600;", TG_PARSE_HTML, &blank), 6);
    assert_int_equal(length("<b></b>", TG_PARSE_HTML, &blank), 0);
    assert_true(blank);
    /* not references: counted as written */
    assert_int_equal(length("a & b &nbsp &#;", TG_PARSE_HTML, &blank), 15);
    /* markup counts in plain text and MarkdownV2 (an upper bound there) */
    assert_int_equal(length("<b>x</b>", TG_PARSE_NONE, &blank), 8);
    assert_int_equal(length("*x*", TG_PARSE_MARKDOWN_V2, &blank), 3);
}

static void test_check_text_and_bytes(void **state)
{
    (void)state;
    struct buf why = BUF_INIT;
    char *max = repeat("ж", TG_TEXT_MAX);
    char *over = repeat("ж", TG_TEXT_MAX + 1);
    char *emoji = repeat("😀", TG_TEXT_MAX / 2 + 1);
    assert_int_equal(tg_check_text("text", max, TG_PARSE_NONE, true, TG_TEXT_MAX, &why), 0);
    assert_int_equal(tg_check_text("text", over, TG_PARSE_NONE, true, TG_TEXT_MAX, &why),
                     ERR_INVALID);
    assert_string_equal(why.data, "text is 4097 characters long, the limit is 4096");
    assert_int_equal(tg_check_text("text", emoji, TG_PARSE_NONE, true, TG_TEXT_MAX, &why),
                     ERR_INVALID);
    assert_int_equal(tg_check_text("text", "  ", TG_PARSE_NONE, true, TG_TEXT_MAX, &why),
                     ERR_INVALID);
    assert_string_equal(why.data, "text is empty");
    assert_int_equal(tg_check_text("caption", "", TG_PARSE_NONE, false, 10, &why), 0);
    assert_int_equal(tg_check_text("text", "\xff", TG_PARSE_NONE, true, 10, &why), ERR_INVALID);
    assert_string_equal(why.data, "text is not valid UTF-8");
    assert_int_equal(tg_check_bytes("data", "", 1, 64, &why), ERR_INVALID);
    assert_string_equal(why.data, "data is empty");
    assert_int_equal(tg_check_bytes("data", "жжж", 1, 5, &why), ERR_INVALID);
    assert_int_equal(tg_check_bytes("data", "жж", 1, 4, &why), 0);
    free(max);
    free(over);
    free(emoji);
    buf_release(&why);
}

static int setup_client(void **state)
{
    struct buf err = BUF_INIT;
    struct tg_client *c;
    int rc = tg_client_new(&c,
                           &(struct tg_client_options){.api_url = "http://127.0.0.1:1/",
                                                       .token = "123:abc",
                                                       .connect_timeout_ms = 2000,
                                                       .timeout_ms = 2000},
                           &err);
    buf_release(&err);
    *state = c;
    return rc;
}

static int teardown_client(void **state)
{
    tg_client_free(*state);
    return 0;
}

/* The call was refused by the client with a message containing what. */
static void assert_refused(struct tg_client *c, int rc, const char *what)
{
    const struct tg_result *r = tg_client_result(c);
    if (r->kind != TG_INVALID || rc != ERR_INVALID || !strstr(r->description, what))
        fail_msg("want a refusal mentioning \"%s\", got %s: %s", what, tg_result_kind_name(r->kind),
                 r->description);
}

/* The call passed the checks and went to the (closed) network. */
static void assert_sent(struct tg_client *c, int rc)
{
    const struct tg_result *r = tg_client_result(c);
    if (r->kind != TG_NETWORK || rc != ERR_NETWORK)
        fail_msg("want the request sent, got %s: %s", tg_result_kind_name(r->kind), r->description);
}

static void test_message_text_limits(void **state)
{
    struct tg_client *c = *state;
    char *max = repeat("a", TG_TEXT_MAX);
    char *over = repeat("a", TG_TEXT_MAX + 1);
    char *html = repeat("<b>a</b>", TG_TEXT_MAX); /* 4096 characters once parsed */
    struct tg_send_options as_html = {.parse_mode = TG_PARSE_HTML};
    assert_sent(c, tg_send_message(c, NULL, 42, max, NULL));
    assert_refused(c, tg_send_message(c, NULL, 42, over, NULL),
                   "sendMessage: text is 4097 characters long, the limit is 4096");
    assert_sent(c, tg_send_message(c, NULL, 42, html, &as_html));
    assert_refused(c, tg_send_message(c, NULL, 42, html, NULL), "text is 32768 characters");
    assert_refused(c, tg_send_message(c, NULL, 42, "", NULL), "text is empty");
    assert_refused(c, tg_send_message(c, NULL, 42, NULL, NULL), "text is empty");
    assert_refused(c, tg_send_message(c, NULL, 42, " \n ", NULL), "text is empty");
    assert_refused(c, tg_send_message(c, NULL, 0, "hi", NULL), "chat_id is missing");
    assert_refused(c, tg_edit_message_text(c, NULL, &(struct tg_target){.chat_id = 1}, "x", NULL),
                   "message_id is missing");
    assert_refused(c,
                   tg_edit_message_text(c, NULL, &(struct tg_target){.chat_id = 1, .message_id = 2},
                                        over, NULL),
                   "text is 4097");
    free(max);
    free(over);
    free(html);
}

static void test_caption_limits(void **state)
{
    struct tg_client *c = *state;
    char *max = repeat("й", TG_CAPTION_MAX);
    char *over = repeat("й", TG_CAPTION_MAX + 1);
    struct tg_photo photo = {.kind = TG_PHOTO_FILE_ID, .ref = "AgACAgIAAxkBAAI"};
    struct tg_target target = {.chat_id = 1, .message_id = 2};
    assert_sent(c, tg_send_photo(c, NULL, 42, &photo, max, NULL));
    assert_refused(c, tg_send_photo(c, NULL, 42, &photo, over, NULL),
                   "caption is 1025 characters long, the limit is 1024");
    assert_refused(c, tg_edit_message_caption(c, NULL, &target, over, NULL), "caption is 1025");
    assert_refused(c, tg_edit_message_media(c, NULL, &target, &photo, over, NULL),
                   "caption is 1025");
    assert_refused(c,
                   tg_send_photo(c, NULL, 42,
                                 &(struct tg_photo){.kind = TG_PHOTO_PATH, .ref = "/nonexistent"},
                                 NULL, NULL),
                   "photo file /nonexistent");
    assert_refused(c,
                   tg_send_photo(c, NULL, 42, &(struct tg_photo){.kind = TG_PHOTO_URL}, NULL, NULL),
                   "photo is missing");
    free(max);
    free(over);
}

static void test_keyboard_errors_refuse_the_request(void **state)
{
    struct tg_client *c = *state;
    char *data = repeat("d", TG_CALLBACK_DATA_MAX + 1);
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "ok", "x");
    assert_sent(
        c, tg_send_message(c, NULL, 42, "pick", &(struct tg_send_options){.reply_markup = kb}));
    tg_keyboard_callback(kb, "long", data);
    assert_refused(
        c, tg_send_message(c, NULL, 42, "pick", &(struct tg_send_options){.reply_markup = kb}),
        "callback_data is 65 bytes long, it must be 1-64 bytes");
    tg_keyboard_free(kb);

    kb = tg_keyboard_reply(true, false);
    tg_keyboard_text(kb, "Catalog");
    assert_refused(c,
                   tg_edit_message_reply_markup(
                       c, NULL, &(struct tg_target){.chat_id = 1, .message_id = 2}, kb),
                   "reply_markup must be an inline keyboard");
    tg_keyboard_free(kb);
    free(data);
}

static void test_callback_answer_and_inline_limits(void **state)
{
    struct tg_client *c = *state;
    char *over = repeat("a", TG_CALLBACK_ANSWER_MAX + 1);
    char *offset = repeat("1", TG_INLINE_OFFSET_MAX + 1);
    struct tg_inline_result results[TG_INLINE_RESULTS_MAX + 1];
    char ids[TG_INLINE_RESULTS_MAX + 1][8];
    for (size_t i = 0; i < TG_INLINE_RESULTS_MAX + 1; i++) {
        snprintf(ids[i], sizeof ids[i], "r%zu", i);
        results[i] = (struct tg_inline_result){
            .type = TG_INLINE_ARTICLE, .id = ids[i], .title = "Q", .message_text = "A"};
    }
    assert_sent(c, tg_answer_callback_query(c, "q1", &(struct tg_callback_answer){.text = "ok"}));
    assert_refused(c, tg_answer_callback_query(c, "q1", &(struct tg_callback_answer){.text = over}),
                   "text is 201 characters long, the limit is 200");
    assert_refused(c, tg_answer_callback_query(c, "", NULL), "callback_query_id is missing");

    assert_sent(c, tg_answer_inline_query(c, "iq", results, TG_INLINE_RESULTS_MAX, NULL));
    assert_refused(c, tg_answer_inline_query(c, "iq", results, TG_INLINE_RESULTS_MAX + 1, NULL),
                   "51 results, the limit is 50");
    assert_refused(c,
                   tg_answer_inline_query(c, "iq", results, 1,
                                          &(struct tg_inline_answer){.next_offset = offset}),
                   "next_offset is 65 bytes long");
    results[1].id = "r0";
    assert_refused(c, tg_answer_inline_query(c, "iq", results, 2, NULL), "\"r0\" is used twice");
    results[1] = (struct tg_inline_result){.type = TG_INLINE_PHOTO, .id = "p", .photo_url = "u"};
    assert_refused(c, tg_answer_inline_query(c, "iq", results, 2, NULL),
                   "thumbnail_url is missing");
    results[0].title = NULL;
    assert_refused(c, tg_answer_inline_query(c, "iq", results, 1, NULL), "title is empty");
    free(over);
    free(offset);
}

static void test_invoice_limits(void **state)
{
    struct tg_client *c = *state;
    char *payload = repeat("p", TG_INVOICE_PAYLOAD_MAX + 1);
    char *title = repeat("т", TG_INVOICE_TITLE_MAX + 1);
    char *description = repeat("d", TG_INVOICE_DESCRIPTION_MAX + 1);
    struct tg_price prices[] = {{"Tea", 100}, {"Delivery", 50}};
    struct tg_invoice ok = {.title = "Order 7",
                            .description = "Tea",
                            .payload = "order:7",
                            .currency = "XTR",
                            .prices = prices,
                            .price_count = 1};
    struct tg_invoice bad = ok;
    assert_sent(c, tg_send_invoice(c, NULL, 42, &ok, NULL));
    bad.payload = payload;
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL),
                   "payload is 129 bytes long, it must be 1-128 bytes");
    bad = ok;
    bad.payload = "";
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL), "payload is empty");
    bad = ok;
    bad.title = title;
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL), "title is 33 characters");
    bad = ok;
    bad.description = description;
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL), "description is 256 characters");
    bad = ok;
    bad.price_count = 2;
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL), "exactly one price");
    bad = ok;
    bad.currency = "EUR";
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL), "needs a payment provider token");
    bad.provider_token = "284685063:TEST:abc";
    bad.price_count = 2;
    assert_sent(c, tg_send_invoice(c, NULL, 42, &bad, NULL));
    prices[0].amount = -50;
    assert_refused(c, tg_send_invoice(c, NULL, 42, &bad, NULL), "total price must be positive");
    free(payload);
    free(title);
    free(description);
}

static void test_other_argument_rules(void **state)
{
    struct tg_client *c = *state;
    struct tg_command commands[] = {{"start", "Start"}, {"Bad-Name", "x"}};
    assert_sent(c, tg_set_my_commands(c, commands, 1, NULL));
    assert_refused(c, tg_set_my_commands(c, commands, 2, NULL), "command \"Bad-Name\"");
    assert_refused(
        c, tg_set_webhook(c, &(struct tg_webhook){.url = "https://x", .secret_token = "a b"}),
        "secret_token must be");
    assert_refused(c, tg_set_webhook(c, &(struct tg_webhook){.url = ""}), "url is missing");
    assert_refused(c, tg_answer_pre_checkout_query(c, "pq", false, NULL), "error_message is empty");
    assert_sent(c, tg_answer_pre_checkout_query(c, "pq", true, NULL));
    assert_refused(c, tg_get_chat_member(c, NULL, "channel", 5), "numeric chat id or an @username");
    assert_sent(c, tg_get_chat_member(c, NULL, "@shop_news", 5));
    assert_sent(c, tg_get_chat_member(c, NULL, "-1001234", 5));
    assert_refused(
        c, tg_get_updates(c, &(struct tg_updates){0}, &(struct tg_get_updates){.limit = 101}),
        "limit must be 1-100");
    assert_refused(c, tg_call(c, NULL, "", NULL), "no method");
}

static void test_client_options(void **state)
{
    (void)state;
    struct tg_client *c = NULL;
    struct buf err = BUF_INIT;
    assert_int_equal(tg_client_new(&c, &(struct tg_client_options){.token = "12:a/b"}, &err),
                     ERR_INVALID);
    assert_null(c);
    assert_int_equal(tg_client_new(&c, &(struct tg_client_options){0}, &err), ERR_INVALID);
    assert_int_equal(
        tg_client_new(&c, &(struct tg_client_options){.token = "1:a", .api_url = "ftp://x"}, &err),
        ERR_INVALID);
    assert_non_null(strstr(err.data, "http:// or https://"));
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_length_counts_utf16_units),
        cmocka_unit_test(test_length_after_html_parsing),
        cmocka_unit_test(test_check_text_and_bytes),
        cmocka_unit_test(test_client_options),
        cmocka_unit_test_setup_teardown(test_message_text_limits, setup_client, teardown_client),
        cmocka_unit_test_setup_teardown(test_caption_limits, setup_client, teardown_client),
        cmocka_unit_test_setup_teardown(test_keyboard_errors_refuse_the_request, setup_client,
                                        teardown_client),
        cmocka_unit_test_setup_teardown(test_callback_answer_and_inline_limits, setup_client,
                                        teardown_client),
        cmocka_unit_test_setup_teardown(test_invoice_limits, setup_client, teardown_client),
        cmocka_unit_test_setup_teardown(test_other_argument_rules, setup_client, teardown_client),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
