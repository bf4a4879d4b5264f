/* http_urlencoded_parse and http_url_decode (src/http/urlencoded.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/arena.h"
#include "http/urlencoded.h"

static void fields_are_split_and_decoded(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    struct http_fields f = {0};
    const char *q = "after=5&text=hello+world%21&flag&=skipped&wait=&name=%D0%AF&nul=a%00b&pct=%";
    http_urlencoded_parse(&f, &a, q, strlen(q));
    assert_int_equal(f.count, 7);
    assert_string_equal(http_fields_get(&f, "after"), "5");
    assert_string_equal(http_fields_get(&f, "text"), "hello world!");
    assert_string_equal(http_fields_get(&f, "flag"), "");
    assert_string_equal(http_fields_get(&f, "wait"), "");
    assert_string_equal(http_fields_get(&f, "name"), "Я");
    assert_string_equal(http_fields_get(&f, "nul"), "a%00b"); /* a NUL would cut it short */
    assert_string_equal(http_fields_get(&f, "pct"), "%");
    assert_null(http_fields_get(&f, ""));
    arena_release(&a);
}

static void decoding_in_place_keeps_plus_in_paths(void **state)
{
    (void)state;
    char path[] = "/a+b/%41%zz%4";
    assert_int_equal(http_url_decode(path, path, strlen(path), false), 11);
    assert_string_equal(path, "/a+b/A%zz%4");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fields_are_split_and_decoded),
        cmocka_unit_test(decoding_in_place_keeps_plus_in_paths),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
