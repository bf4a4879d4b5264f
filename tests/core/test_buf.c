#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"

static void empty_buffer_is_a_valid_string(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    assert_non_null(b.data);
    assert_string_equal(b.data, "");
    buf_reset(&b); /* must not write into the shared "" */
    buf_release(&b);
    assert_string_equal(b.data, "");
}

static void appends_grow_and_stay_terminated(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    for (int i = 0; i < 1000; i++)
        assert_int_equal(buf_addf(&b, "%d,", i), 0);
    assert_true(b.len > 2000);
    assert_int_equal(b.data[b.len], '\0');
    assert_memory_equal(b.data, "0,1,2,", 6);
    buf_truncate(&b, 4);
    assert_string_equal(b.data, "0,1,");
    buf_addc(&b, 'x');
    buf_adds(&b, "yz");
    assert_true(buf_eq(&b, "0,1,xyz"));
    buf_release(&b);
}

static void long_format_goes_past_the_small_path(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    char big[1000];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(buf_addf(&b, "[%s]", big), 0);
    assert_int_equal(b.len, 1001);
    assert_int_equal(b.data[0], '[');
    assert_int_equal(b.data[1000], ']');
    buf_setf(&b, "%s", "short");
    assert_string_equal(b.data, "short");
    buf_release(&b);
}

static void max_caps_the_length_and_sticks(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_adds(&b, "12345"), 0);
    assert_int_equal(buf_adds(&b, "123456"), ERR_TOOBIG); /* would make 11 */
    assert_true(b.overflow);
    assert_string_equal(b.data, "12345"); /* nothing of the failed append */
    assert_int_equal(buf_adds(&b, "12345"), 0);
    assert_int_equal(b.len, 10);
    assert_int_equal(buf_addc(&b, 'x'), ERR_TOOBIG);
    assert_int_equal(buf_addf(&b, "%d", 1), ERR_TOOBIG);
    assert_true(b.overflow);
    buf_reset(&b);
    assert_false(b.overflow);
    assert_int_equal(b.max, 10);
    buf_release(&b);
}

static void detach_hands_over_ownership(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    size_t len;
    char *empty = buf_detach(&b, &len);
    assert_int_equal(len, 0);
    assert_string_equal(empty, "");
    free(empty); /* even an empty detach is a heap string */
    buf_adds(&b, "hello");
    char *s = buf_detach(&b, &len);
    assert_int_equal(len, 5);
    assert_string_equal(s, "hello");
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    free(s);
}

static void escapers(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    const char *js = "a\"b\\c\n\x01";
    buf_add_json_escaped(&b, js, strlen(js));
    assert_string_equal(b.data, "a\\\"b\\\\c\\n\\u0001");
    buf_reset(&b);
    const char *html = "<a href='x'>&\"</a>";
    buf_add_html_escaped(&b, html, strlen(html));
    assert_string_equal(b.data, "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    buf_reset(&b);
    buf_add_url_encoded(&b, "a b/ü~", strlen("a b/ü~"));
    assert_string_equal(b.data, "a%20b%2F%C3%BC~");
    buf_release(&b);
}

static void arena_allocations_are_aligned_and_survive_growth(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 128);
    char *first = arena_strdup(&a, "first");
    for (int i = 0; i < 200; i++) {
        void *p = arena_alloc(&a, (size_t)(i % 37) + 1);
        assert_int_equal((uintptr_t)p % _Alignof(max_align_t), 0);
        memset(p, 0xab, (size_t)(i % 37) + 1);
    }
    char *big = arena_alloc(&a, 100000); /* larger than a block */
    memset(big, 1, 100000);
    char *after = arena_sprintf(&a, "%s-%d", "n", 42);
    assert_string_equal(first, "first");
    assert_string_equal(after, "n-42");
    assert_string_equal(arena_strndup(&a, "abcdef", 3), "abc");
    int *zeros = arena_calloc(&a, 10, sizeof *zeros);
    for (int i = 0; i < 10; i++)
        assert_int_equal(zeros[i], 0);
    assert_true(a.total >= 100000);
    arena_reset(&a);
    assert_int_equal(a.total, 0);
    assert_string_equal(arena_strdup(&a, "again"), "again");
    arena_release(&a);
    arena_release(&a); /* twice is harmless */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(empty_buffer_is_a_valid_string),
        cmocka_unit_test(appends_grow_and_stay_terminated),
        cmocka_unit_test(long_format_goes_past_the_small_path),
        cmocka_unit_test(max_caps_the_length_and_sticks),
        cmocka_unit_test(detach_hands_over_ownership),
        cmocka_unit_test(escapers),
        cmocka_unit_test(arena_allocations_are_aligned_and_survive_growth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
