#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/parse.h"
#include "core/utf8.h"

#define S(lit) lit, sizeof(lit) - 1

static void validation_rejects_what_is_not_utf8(void **state)
{
    (void)state;
    assert_true(utf8_valid(S("")));
    assert_true(utf8_valid(S("hello")));
    assert_true(utf8_valid(S("Привет, мир")));
    assert_true(utf8_valid(S("\xf0\x9f\x9b\x92"))); /* 🛒 */
    assert_true(utf8_valid(S("\xef\xbf\xbf")));
    assert_false(utf8_valid(S("\xc0\xaf")));         /* overlong '/' */
    assert_false(utf8_valid(S("\xe0\x80\xaf")));     /* overlong */
    assert_false(utf8_valid(S("\xf0\x80\x80\xaf"))); /* overlong */
    assert_false(utf8_valid(S("\xed\xa0\x80")));     /* surrogate D800 */
    assert_false(utf8_valid(S("\xf4\x90\x80\x80"))); /* above U+10FFFF */
    assert_false(utf8_valid(S("\xff")));
    assert_false(utf8_valid(S("abc\xd0")));  /* truncated */
    assert_false(utf8_valid(S("\xd0\x41"))); /* bad continuation */
    assert_false(utf8_valid(S("\x80")));     /* lone continuation */
    assert_true(utf8_valid("a\0b", 3));      /* NUL is valid UTF-8; callers decide */
}

static void counting_code_points_and_utf16_units(void **state)
{
    (void)state;
    assert_int_equal(utf8_count(S("abc")), 3);
    assert_int_equal(utf8_count(S("Привет")), 6);
    assert_int_equal(utf8_count(S("a\xf0\x9f\x9b\x92")), 2);
    assert_int_equal(utf8_utf16_units(S("a\xf0\x9f\x9b\x92")), 3); /* emoji is a surrogate pair */
    assert_int_equal(utf8_utf16_units(S("Привет")), 6);
    unsigned cp;
    assert_int_equal(utf8_decode(S("\xf0\x9f\x9b\x92"), &cp), 4);
    assert_int_equal(cp, 0x1f6d2);
    assert_int_equal(utf8_decode(S("\xd0\x9f"), &cp), 2);
    assert_int_equal(cp, 0x41f);
}

static void truncation_never_splits_a_character(void **state)
{
    (void)state;
    const char *s = "Пр\xf0\x9f\x9b\x92x"; /* 2+2+4+1 bytes */
    size_t len = strlen(s);
    assert_int_equal(utf8_prefix_chars(s, len, 0), 0);
    assert_int_equal(utf8_prefix_chars(s, len, 1), 2);
    assert_int_equal(utf8_prefix_chars(s, len, 3), 8);
    assert_int_equal(utf8_prefix_chars(s, len, 100), len);
    assert_int_equal(utf8_prefix_utf16(s, len, 3), 4); /* the emoji needs 2 more units */
    assert_int_equal(utf8_prefix_utf16(s, len, 4), 8);
    assert_int_equal(utf8_prefix_bytes(s, len, 3), 2);
    assert_int_equal(utf8_prefix_bytes(s, len, 7), 4);
    assert_int_equal(utf8_prefix_bytes(s, len, 8), 8);
    assert_int_equal(utf8_prefix_bytes(s, len, 50), len);
    /* garbage still terminates and counts each bad byte once */
    assert_int_equal(utf8_count(S("\xff\xfe\xd0")), 3);
}

static void strict_number_parsing(void **state)
{
    (void)state;
    int64_t v;
    assert_int_equal(parse_int64("42", &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(parse_int64("-9223372036854775808", &v), 0);
    assert_true(v == INT64_MIN);
    assert_int_equal(parse_int64("9223372036854775807", &v), 0);
    assert_true(v == INT64_MAX);
    assert_true(parse_int64("9223372036854775808", &v) < 0);
    assert_true(parse_int64("", &v) < 0);
    assert_true(parse_int64("-", &v) < 0);
    assert_true(parse_int64("12a", &v) < 0);
    assert_true(parse_int64(" 1", &v) < 0);
    assert_true(parse_int64("1.0", &v) < 0);
    double d;
    assert_int_equal(parse_double("0.5", &d), 0);
    assert_true(d == 0.5);
    assert_true(parse_double("fast", &d) < 0);
    assert_true(parse_double("inf", &d) < 0);
    assert_true(parse_double("nan", &d) < 0);
    assert_true(parse_double("1e999", &d) < 0);
    assert_true(parse_double("", &d) < 0);
    assert_true(parse_double(" 3", &d) < 0);
    bool b;
    assert_int_equal(parse_bool("True", &b), 0);
    assert_true(b);
    assert_int_equal(parse_bool("off", &b), 0);
    assert_false(b);
    assert_true(parse_bool("maybe", &b) < 0);
}

static void search_keys_fold_case_and_yo(void **state)
{
    (void)state;
    struct buf key = BUF_INIT;
    const char *text = "Зелёный ЧАЙ Ёлка ÀÉÎ Łódź ΑΒΓ Tea 100%";
    utf8_search_key(&key, text, strlen(text));
    assert_string_equal(key.data, "зеленый чай елка àéî łódź αβγ tea 100%");
    buf_reset(&key);
    utf8_search_key(&key, S("ok\xff\xd0")); /* invalid bytes pass through */
    assert_memory_equal(key.data, "ok\xff\xd0", 4);
    buf_release(&key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(validation_rejects_what_is_not_utf8),
        cmocka_unit_test(counting_code_points_and_utf16_units),
        cmocka_unit_test(truncation_never_splits_a_character),
        cmocka_unit_test(strict_number_parsing),
        cmocka_unit_test(search_keys_fold_case_and_yo),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
