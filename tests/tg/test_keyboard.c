/* The keyboard builder produces Telegram's reply_markup JSON and keeps the first mistake. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "tg/keyboard.h"
#include "core/banned.h"

static void assert_markup(const struct tg_keyboard *kb, const char *want)
{
    const json_t *markup = tg_keyboard_markup(kb);
    assert_non_null(markup);
    char *got = json_dumps(markup, JSON_COMPACT | JSON_SORT_KEYS);
    assert_string_equal(got, want);
    free(got);
}

static void test_inline_rows(void **state)
{
    (void)state;
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_row(kb); /* a row before any button makes no empty row */
    tg_keyboard_callback(kb, "◀", "cat:3:p1");
    tg_keyboard_callback(kb, "2/5", "noop");
    tg_keyboard_row(kb);
    tg_keyboard_row(kb);
    tg_keyboard_url(kb, "Site", "https://example.com");
    tg_keyboard_switch_inline(kb, "Search", "tea");
    tg_keyboard_row(kb); /* a trailing row is dropped too */
    assert_null(tg_keyboard_error(kb));
    assert_true(tg_keyboard_is_inline(kb));
    assert_markup(kb, "{\"inline_keyboard\":["
                      "[{\"callback_data\":\"cat:3:p1\",\"text\":\"◀\"},"
                      "{\"callback_data\":\"noop\",\"text\":\"2/5\"}],"
                      "[{\"text\":\"Site\",\"url\":\"https://example.com\"},"
                      "{\"switch_inline_query_current_chat\":\"tea\",\"text\":\"Search\"}]]}");
    tg_keyboard_free(kb);
}

static void test_pay_button(void **state)
{
    (void)state;
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_pay(kb, "Pay 100 ⭐");
    tg_keyboard_row(kb);
    tg_keyboard_callback(kb, "Cancel", "order:7:cancel");
    assert_markup(kb, "{\"inline_keyboard\":[[{\"pay\":true,\"text\":\"Pay 100 ⭐\"}],"
                      "[{\"callback_data\":\"order:7:cancel\",\"text\":\"Cancel\"}]]}");
    tg_keyboard_pay(kb, "Pay again");
    assert_string_equal(tg_keyboard_error(kb), "keyboard: the pay button must be the first button");
    assert_null(tg_keyboard_markup(kb));
    tg_keyboard_free(kb);
}

static void test_reply_keyboard_and_removal(void **state)
{
    (void)state;
    struct tg_keyboard *kb = tg_keyboard_reply(true, true);
    tg_keyboard_contact(kb, "Share my phone");
    tg_keyboard_row(kb);
    tg_keyboard_text(kb, "Cancel");
    assert_false(tg_keyboard_is_inline(kb));
    assert_markup(kb, "{\"keyboard\":[[{\"request_contact\":true,\"text\":\"Share my phone\"}],"
                      "[{\"text\":\"Cancel\"}]],\"one_time_keyboard\":true,"
                      "\"resize_keyboard\":true}");
    tg_keyboard_free(kb);

    kb = tg_keyboard_remove();
    assert_markup(kb, "{\"remove_keyboard\":true}");
    tg_keyboard_row(kb);
    assert_string_equal(tg_keyboard_error(kb), "keyboard: a keyboard removal has no rows");
    tg_keyboard_free(kb);
}

/* Every rule; the first broken one is what the keyboard reports. */
static void test_errors_are_sticky(void **state)
{
    (void)state;
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "x", "");
    assert_string_equal(tg_keyboard_error(kb), "keyboard: callback_data is empty");
    tg_keyboard_callback(kb, "", "ok"); /* a later mistake does not replace the first */
    assert_string_equal(tg_keyboard_error(kb), "keyboard: callback_data is empty");
    tg_keyboard_free(kb);

    kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "x",
                         "0123456789012345678901234567890123456789012345678901234567890123");
    assert_null(tg_keyboard_error(kb)); /* exactly 64 bytes */
    tg_keyboard_callback(kb, "x",
                         "01234567890123456789012345678901234567890123456789012345678901234");
    assert_string_equal(tg_keyboard_error(kb),
                        "keyboard: callback_data is 65 bytes long, it must be 1-64 bytes");
    tg_keyboard_free(kb);

    kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, " ", "a");
    assert_string_equal(tg_keyboard_error(kb), "keyboard: button text is empty");
    tg_keyboard_free(kb);

    kb = tg_keyboard_inline();
    tg_keyboard_url(kb, "x", NULL);
    assert_string_equal(tg_keyboard_error(kb), "keyboard: a URL button without a URL");
    tg_keyboard_free(kb);

    kb = tg_keyboard_inline();
    tg_keyboard_text(kb, "Catalog");
    assert_string_equal(tg_keyboard_error(kb),
                        "keyboard: a reply button on a keyboard that is not a reply one");
    tg_keyboard_free(kb);

    kb = tg_keyboard_reply(false, false);
    tg_keyboard_callback(kb, "x", "y");
    assert_string_equal(tg_keyboard_error(kb), "keyboard: an inline button on a reply keyboard");
    tg_keyboard_free(kb);

    kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "x", "\xc3\x28");
    assert_string_equal(tg_keyboard_error(kb), "keyboard: callback_data is not valid UTF-8");
    tg_keyboard_free(kb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inline_rows),
        cmocka_unit_test(test_pay_button),
        cmocka_unit_test(test_reply_keyboard_and_removal),
        cmocka_unit_test(test_errors_are_sticky),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
