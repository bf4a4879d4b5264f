/* Telegram's text rules (core/tgtext.h): HTML is refused exactly when Telegram refuses it —
 * each case is also run through the sandbox's emulation of Telegram's parser — and texts are
 * checked as Telegram counts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/tgtext.h"
#include "sandbox/markup.h"

static void html_as_telegram_parses_it(void **state)
{
    (void)state;
    struct {
        const char *text;
        const char *error; /* NULL: accepted */
    } cases[] = {
        {"plain text", NULL},
        {"<b>bold</b> <i>it</i> <u>u</u> <s>s</s> <code>c</code>", NULL},
        {"<B>upper</B>", NULL},
        {"<a href=\"https://example.com/?a=1&amp;b=2\">link</a>", NULL},
        {"<a href='x>y'>quoted &gt;</a>", NULL},
        {"<pre><code class=\"language-c\">int x;</code></pre>", NULL},
        {"<blockquote expandable>q</blockquote> <tg-spoiler>s</tg-spoiler>", NULL},
        {"<span class=\"tg-spoiler\">s</span>", NULL},
        {"<tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>", NULL},
        {"1 &lt; 2 &amp; 3 > 2", NULL},
        {"a < b", "can't parse entities: Unsupported start tag \"\" at byte offset 2"},
        {"<div>x</div>", "can't parse entities: Unsupported start tag \"div\" at byte offset 0"},
        {"<span>x</span>", "can't parse entities: Unsupported start tag \"span\" at byte offset 0"},
        {"<b>x", "can't parse entities: Can't find end tag corresponding to start tag \"b\""},
        {"x</b>", "can't parse entities: Unexpected end tag at byte offset 1"},
        {"<b><i>x</b></i>", "can't parse entities: Unmatched end tag at byte offset 7, expected "
                            "\"</i>\", found \"</b>\""},
        {"<b", "can't parse entities: Unclosed start tag at byte offset 0"},
        {"<b>x</b", "can't parse entities: Unclosed end tag at byte offset 4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct buf why = BUF_INIT, plain = BUF_INIT, sandbox_err = BUF_INIT;
        const char *t = cases[i].text;
        int rc = tg_check_html(t, strlen(t), &why);
        if (cases[i].error) {
            if (rc != ERR_INVALID || strcmp(why.data, cases[i].error))
                fail_msg("\"%s\": got %d \"%s\", expected \"%s\"", t, rc, why.data, cases[i].error);
        } else if (rc) {
            fail_msg("\"%s\" refused: %s", t, why.data);
        }
        json_t *entities = NULL;
        int sandbox = markup_parse(t, strlen(t), "HTML", &plain, &entities, &sandbox_err);
        if ((sandbox == 0) != (rc == 0))
            fail_msg("\"%s\": the sandbox says %d (%s), tgtext %d", t, sandbox, sandbox_err.data,
                     rc);
        json_decref(entities);
        buf_release(&why);
        buf_release(&plain);
        buf_release(&sandbox_err);
    }
}

static void text_checks_name_the_field(void **state)
{
    (void)state;
    struct buf why = BUF_INIT;
    assert_int_equal(tg_check_text("Text", "<b>ok</b>", TG_PARSE_HTML, true, 10, &why), 0);
    assert_int_equal(tg_check_text("Text", "<b>ok", TG_PARSE_HTML, true, 10, &why), ERR_INVALID);
    assert_string_equal(why.data,
                        "Text: can't parse entities: Can't find end tag corresponding to start "
                        "tag \"b\"");
    /* tags do not count, entities count once */
    assert_int_equal(tg_check_text("Text", "<b>12345</b>&amp;6789", TG_PARSE_HTML, true, 10, &why),
                     0);
    assert_int_equal(tg_check_text("Text", "<b>12345</b>&amp;67890", TG_PARSE_HTML, true, 10, &why),
                     ERR_INVALID);
    assert_string_equal(why.data, "Text is 11 characters long, the limit is 10");
    assert_int_equal(tg_check_text("Text", "<b> </b>", TG_PARSE_HTML, true, 10, &why), ERR_INVALID);
    assert_string_equal(why.data, "Text is empty");
    /* without a parse mode markup is just text */
    assert_int_equal(tg_check_text("Text", "<b>ok", TG_PARSE_NONE, true, 10, &why), 0);
    buf_release(&why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(html_as_telegram_parses_it),
        cmocka_unit_test(text_checks_name_the_field),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
