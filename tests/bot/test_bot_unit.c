/*
 * The storefront bot's pure parts: the Paginator, the locale texts (every
 * locale has every key, every key the code uses exists, every text is valid
 * Telegram HTML, values are escaped), phone validation, strict callback-data
 * parsing and the anti-flood / ban-notice memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <jansson.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/checkout.h"
#include "bot/gate.h"
#include "bot/handlers.h"
#include "bot/paginator.h"
#include "bot/router.h"
#include "shop/texts.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/util.h"
#include "sandbox/markup.h"
#include "shop/order.h"
#include "tg/limits.h"

/* ---- paginator --------------------------------------------------------------------------- */

static void test_paginator_view_clamps(void **state)
{
    (void)state;
    struct page_view v;
    paginator_view(&v, 5, 0, 2);
    assert_int_equal(v.pages, 3);
    assert_int_equal(v.page, 0);
    assert_int_equal(v.offset, 0);
    assert_int_equal(v.limit, 2);

    paginator_view(&v, 5, 2, 2); /* the last page holds the fifth item alone */
    assert_int_equal(v.page, 2);
    assert_int_equal(v.offset, 4);

    paginator_view(&v, 5, 99, 2); /* items were removed meanwhile: the last page */
    assert_int_equal(v.page, 2);
    assert_int_equal(v.offset, 4);

    paginator_view(&v, 5, -7, 2);
    assert_int_equal(v.page, 0);
    assert_int_equal(v.offset, 0);

    paginator_view(&v, 0, 3, 2); /* an empty list still has one page */
    assert_int_equal(v.pages, 1);
    assert_int_equal(v.page, 0);
    assert_int_equal(v.offset, 0);

    paginator_view(&v, -4, 0, 2);
    assert_int_equal(v.pages, 1);

    paginator_view(&v, 6, 0, 2);
    assert_int_equal(v.pages, 3); /* exactly full pages: no empty page at the end */

    paginator_view(&v, 100, 1, 0); /* out-of-range sizes use the default */
    assert_int_equal(v.limit, PAGINATOR_DEFAULT_SIZE);
    assert_int_equal(v.offset, PAGINATOR_DEFAULT_SIZE);
    paginator_view(&v, 100, 1, PAGINATOR_MAX_SIZE + 1);
    assert_int_equal(v.limit, PAGINATOR_DEFAULT_SIZE);
    paginator_view(&v, 100, 1, PAGINATOR_MAX_SIZE);
    assert_int_equal(v.limit, PAGINATOR_MAX_SIZE);

    paginator_view(&v, INT64_MAX / 2, INT64_MAX, 1); /* no overflow on absurd numbers */
    assert_int_equal(v.page, v.pages - 1);
    assert_true(v.offset >= 0);
}

/* The navigation row of kb as "text=data" pairs separated by spaces. */
static void nav_row(const struct tg_keyboard *kb, char *out, size_t size)
{
    const json_t *markup = tg_keyboard_markup(kb);
    assert_non_null(markup);
    json_t *rows = json_object_get(markup, "inline_keyboard");
    struct buf b = BUF_INIT;
    json_t *row = json_array_get(rows, json_array_size(rows) - 1);
    size_t i;
    json_t *button;
    json_array_foreach(row, i, button)
    {
        buf_addf(&b, "%s%s=%s", i ? " " : "", json_string_value(json_object_get(button, "text")),
                 json_string_value(json_object_get(button, "callback_data")));
    }
    snprintf(out, size, "%s", b.len ? b.data : "");
    buf_release(&b);
}

static void test_paginator_nav(void **state)
{
    (void)state;
    char row[256];
    struct page_view v;
    struct tg_keyboard *kb;
    struct arena a;
    arena_init(&a, 0);

    /* a single page: no navigation row at all */
    kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, "item", "x");
    paginator_view(&v, 2, 0, 2);
    paginator_nav(kb, &v, &a, ROUTE_CART, (const int64_t[]){0}, 1);
    assert_int_equal(json_array_size(json_object_get(tg_keyboard_markup(kb), "inline_keyboard")),
                     1);
    tg_keyboard_free(kb);

    struct {
        int64_t page;
        const char *want;
    } cases[] = {
        {0, "◀=c:12:2 1/3=n ▶=c:12:1"}, /* ◀ on the first page wraps to the last */
        {1, "◀=c:12:0 2/3=n ▶=c:12:2"},
        {2, "◀=c:12:1 3/3=n ▶=c:12:0"}, /* ▶ on the last page wraps to the first */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        kb = tg_keyboard_inline();
        tg_keyboard_callback(kb, "item", "x");
        paginator_view(&v, 5, cases[i].page, 2);
        paginator_nav(kb, &v, &a, ROUTE_CATALOG, (const int64_t[]){12, 0}, 2);
        assert_null(tg_keyboard_error(kb));
        nav_row(kb, row, sizeof row);
        assert_string_equal(row, cases[i].want);
        /* the items stay on their own row */
        assert_int_equal(
            json_array_size(json_object_get(tg_keyboard_markup(kb), "inline_keyboard")), 2);
        tg_keyboard_free(kb);
    }

    /* the largest numbers still fit 64 bytes; a page past what a button can carry makes a
     * button that does nothing, never a refused keyboard */
    int64_t pages[] = {ROUTER_ARG_MAX - 1, INT64_MAX / 2};
    for (size_t i = 0; i < ARRAY_SIZE(pages); i++) {
        kb = tg_keyboard_inline();
        paginator_view(&v, pages[i], pages[i], 1);
        paginator_nav(kb, &v, &a, ROUTE_CATALOG, (const int64_t[]){ROUTER_ARG_MAX, 0}, 2);
        assert_null(tg_keyboard_error(kb));
        tg_keyboard_free(kb);
    }
    arena_release(&a);
}

static void assert_label(const char *text, size_t max_chars, const char *want)
{
    char out[256];
    paginator_label(out, sizeof out, text, max_chars);
    assert_string_equal(out, want);
}

static void test_paginator_label(void **state)
{
    (void)state;
    assert_label("Sencha", 10, "Sencha");
    assert_label("0123456789", 10, "0123456789"); /* exactly the limit: not cut */
    assert_label("0123456789A", 10, "012345678…");
    assert_label("Зелёный чай Сенча", 8, "Зелёный…");
    assert_label("🍵🍵🍵🍵🍵", 3, "🍵🍵…");
    assert_label("", 5, "");

    /* whatever the buffer, the label is valid UTF-8: never half a character */
    const char *texts[] = {"Зелёный чай Сенча из Японии", "🍵🍵🍵🍵🍵🍵🍵🍵🍵🍵", "plain ascii text",
                           "日本の緑茶、最高品質"};
    for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
        for (size_t size = 1; size < 64; size++) {
            for (size_t max = 1; max < 12; max++) {
                char out[64];
                memset(out, 'X', sizeof out);
                paginator_label(out, size, texts[t], max);
                size_t len = strnlen(out, size);
                assert_true(len < size); /* terminated inside the buffer */
                if (!utf8_valid(out, len))
                    fail_msg("label of \"%s\" (max %zu chars, buffer %zu) is not valid UTF-8",
                             texts[t], max, size);
                assert_true(utf8_count(out, len) <= max);
            }
        }
    }
}

/* ---- texts ------------------------------------------------------------------------------- */

static const char *source_dir(void)
{
    const char *dir = getenv("TGSHOP_SOURCE_DIR");
    return dir && *dir ? dir : TGSHOP_SOURCE_DIR;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    struct buf b = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    return buf_detach(&b, NULL);
}

struct locale_file {
    char lang[8];
    json_t *texts;
};

/* Loads every src/shop/locales/<lang>.json; returns how many. */
static int load_locales(struct locale_file *out, int max)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/src/shop/locales", source_dir());
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        json_error_t jerr;
        out[n].texts = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
        if (!json_is_object(out[n].texts))
            fail_msg("%s: line %d: %s", path, jerr.line, jerr.text);
        snprintf(out[n].lang, sizeof out[n].lang, "%.*s", (int)(len - 5), e->d_name);
        n++;
    }
    closedir(d);
    return n;
}

/* The {placeholders} of a text, sorted and joined by commas. */
static void placeholders(const char *text, char *out, size_t size)
{
    char names[32][32];
    int n = 0;
    for (const char *p = strchr(text, '{'); p && n < 32; p = strchr(p + 1, '{')) {
        size_t len = strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_");
        if (len && len < 32 && p[1 + len] == '}')
            snprintf(names[n++], 32, "%.*s", (int)len, p + 1);
    }
    qsort(names, (size_t)n, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    struct buf b = BUF_INIT;
    for (int i = 0; i < n; i++)
        if (!i || strcmp(names[i], names[i - 1]))
            buf_addf(&b, "%s%s", b.len ? "," : "", names[i]);
    snprintf(out, size, "%s", b.len ? b.data : "");
    buf_release(&b);
}

static void test_locales_complete_and_valid_html(void **state)
{
    (void)state;
    struct buf err = BUF_INIT;
    if (texts_init(&err))
        fail_msg("texts_init: %s", err.data);
    buf_release(&err);

    struct locale_file loc[8];
    int n = load_locales(loc, 8);
    assert_true(n >= 2); /* Russian and English at least */
    bool has_ru = false, has_en = false;
    for (int i = 0; i < n; i++) {
        has_ru = has_ru || !strcmp(loc[i].lang, "ru");
        has_en = has_en || !strcmp(loc[i].lang, "en");
    }
    assert_true(has_ru && has_en);

    for (int i = 0; i < n; i++) {
        const char *key;
        json_t *value;
        json_object_foreach(loc[i].texts, key, value)
        {
            if (!json_is_string(value))
                fail_msg("%s: \"%s\" is not a string", loc[i].lang, key);
            const char *text = json_string_value(value);
            if (!*text)
                fail_msg("%s: \"%s\" is empty", loc[i].lang, key);
            /* every other locale has the key, with the same placeholders */
            char mine[512], theirs[512];
            placeholders(text, mine, sizeof mine);
            for (int j = 0; j < n; j++) {
                const char *other = json_string_value(json_object_get(loc[j].texts, key));
                if (!other)
                    fail_msg("locale %s has \"%s\" but %s does not", loc[i].lang, key, loc[j].lang);
                placeholders(other, theirs, sizeof theirs);
                if (strcmp(mine, theirs))
                    fail_msg("\"%s\": %s has placeholders {%s}, %s has {%s}", key, loc[i].lang,
                             mine, loc[j].lang, theirs);
            }
            /* what the bot loaded is what the file says */
            assert_string_equal(text_get(loc[i].lang, key), text);
            /* rendered with hostile values, it is still HTML Telegram accepts, and the values
             * show literally */
            struct buf out = BUF_INIT, plain = BUF_INIT, perr = BUF_INIT;
            const char *v = "<i>&\"'x";
            char names[8][32] = {{0}};
            int count = 0;
            for (const char *p = mine; *p && count < 8; count++) {
                size_t len = strcspn(p, ",");
                snprintf(names[count], sizeof names[count], "%.*s", (int)len, p);
                p += len + (p[len] == ',');
            }
            for (int k = count; k < 8; k++)
                snprintf(names[k], sizeof names[k], "unused%d", k);
            text_render(&out, loc[i].lang, key, names[0], v, names[1], v, names[2], v, names[3], v,
                        names[4], v, names[5], v, names[6], v, names[7], v, NULL);
            if (strstr(out.data, "{"))
                fail_msg("%s \"%s\": a placeholder was not filled: %s", loc[i].lang, key, out.data);
            json_t *entities = NULL;
            if (markup_parse(out.data, out.len, "HTML", &plain, &entities, &perr))
                fail_msg("%s \"%s\" is not valid Telegram HTML: %s", loc[i].lang, key, perr.data);
            json_decref(entities);
            if (count && !strstr(plain.data, v))
                fail_msg("%s \"%s\": the value does not show literally: %s", loc[i].lang, key,
                         plain.data);
            buf_release(&out);
            buf_release(&plain);
            buf_release(&perr);
        }
    }
    for (int i = 0; i < n; i++)
        json_decref(loc[i].texts);
}

/* Adds every string literal in expr (the text between two commas or parentheses). */
static void literals_in(const char *expr, size_t len, json_t *keys, const char *where)
{
    for (size_t i = 0; i < len; i++) {
        if (expr[i] != '"')
            continue;
        size_t end = i + 1;
        while (end < len && expr[end] != '"')
            end++;
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(end - i - 1), expr + i + 1);
        json_object_set_new(keys, key, json_string(where));
        i = end;
    }
}

/* The text keys the sources in src/bot pass to the text functions: text_get(lang, KEY),
 * text_render(out, lang, KEY, ...), ui_answer_key(c, KEY, ...), button(kb, c, KEY, ...),
 * say(c, KEY, ...), prompt(c, KEY) and `key = "..."`. KEY may be a conditional expression. */
static json_t *keys_used_by_code(void)
{
    static const char *const patterns[] = {
        "text_get\\([^,()]+,",
        "text_render\\([^,()]+,[^,()]+,",
        "ui_answer_key\\([^,()]+,",
        "[^_]button\\([^,()]+,[^,()]+,",
        "[^a-z_]say\\([^,()]+,",
        "[^a-z_]prompt\\([^,()]+,",
        "[^a-z_]key = ",
    };
    json_t *keys = json_object();
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/src/bot", source_dir());
    DIR *d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len < 3 || strcmp(e->d_name + len - 2, ".c"))
            continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *src = read_file(path);
        for (size_t p = 0; p < sizeof patterns / sizeof *patterns; p++) {
            regex_t re;
            assert_int_equal(regcomp(&re, patterns[p], REG_EXTENDED), 0);
            regmatch_t m;
            for (const char *s = src; regexec(&re, s, 1, &m, 0) == 0; s += m.rm_eo) {
                const char *arg = s + m.rm_eo;
                while (*arg == ' ' || *arg == '\n')
                    arg++;
                /* the argument runs to the next comma or closing parenthesis outside quotes */
                size_t alen = 0;
                bool quoted = false;
                while (arg[alen] &&
                       (quoted || (arg[alen] != ',' && arg[alen] != ')' && arg[alen] != ';'))) {
                    if (arg[alen] == '"')
                        quoted = !quoted;
                    alen++;
                }
                literals_in(arg, alen, keys, e->d_name);
            }
            regfree(&re);
        }
        free(src);
    }
    closedir(d);
    return keys;
}

static void test_every_key_the_code_uses_exists(void **state)
{
    (void)state;
    struct buf err = BUF_INIT;
    assert_int_equal(texts_init(&err), 0);
    buf_release(&err);
    json_t *keys = keys_used_by_code();
    /* the scan sees the code: a broken pattern finds nothing and would pass vacuously */
    assert_true(json_object_size(keys) >= 60);
    static const char *const must_find[] = {
        "menu",         "btn_catalog",  "button_outdated", "gate_thanks",       "pay_error_expired",
        "payment_done", "orders_empty", "added_limited",   "checkout_bad_phone"};
    for (size_t i = 0; i < sizeof must_find / sizeof *must_find; i++)
        if (!json_object_get(keys, must_find[i]))
            fail_msg("the scan of src/bot missed \"%s\"", must_find[i]);
    const char *langs[] = {"ru", "en"};
    for (size_t l = 0; l < 2; l++) {
        const char *key;
        json_t *where;
        json_object_foreach(keys, key, where)
        {
            if (text_get(langs[l], key) == key || !strcmp(text_get(langs[l], key), key))
                fail_msg("%s uses the text \"%s\", missing in %s.json", json_string_value(where),
                         key, langs[l]);
        }
        /* keys built at run time: status_<status> and cmd_<command> */
        for (int s = ORDER_NEW; s <= ORDER_REFUNDED; s++) {
            char k[64];
            snprintf(k, sizeof k, "status_%s", order_status_name((enum order_status)s));
            if (!strcmp(text_get(langs[l], k), k))
                fail_msg("\"%s\" missing in %s.json", k, langs[l]);
        }
        static const char *const cmds[] = {"start", "catalog", "cart", "orders", "faq", "help"};
        for (size_t c = 0; c < sizeof cmds / sizeof *cmds; c++) {
            char k[64];
            snprintf(k, sizeof k, "cmd_%s", cmds[c]);
            if (!strcmp(text_get(langs[l], k), k))
                fail_msg("\"%s\" missing in %s.json", k, langs[l]);
        }
    }
    json_decref(keys);
}

static void test_text_render_escapes_and_languages(void **state)
{
    (void)state;
    struct buf err = BUF_INIT;
    assert_int_equal(texts_init(&err), 0);
    buf_release(&err);

    struct buf out = BUF_INIT;
    text_render(&out, "en", "menu_does_not_exist", NULL);
    assert_string_equal(out.data, "menu_does_not_exist"); /* a gap shows, it does not crash */
    buf_reset(&out);

    /* a value is escaped, and a placeholder inside a value is not expanded again */
    text_render(&out, "en", "faq_entry", "question", "<b>1 & 2</b>", "answer", "{question}", NULL);
    assert_string_equal(out.data, "❓ <b>&lt;b&gt;1 &amp; 2&lt;/b&gt;</b>\n\n{question}");
    buf_reset(&out);

    /* a placeholder without a value stays as it is; a NULL value renders empty */
    text_render(&out, "en", "faq_entry", "question", NULL, NULL);
    assert_string_equal(out.data, "❓ <b></b>\n\n{answer}");
    buf_reset(&out);
    buf_release(&out);

    assert_string_equal(texts_lang("ru", "en"), "ru");
    assert_string_equal(texts_lang("en-US", "ru"), "en");
    assert_string_equal(texts_lang("ru_RU", "en"), "ru");
    assert_string_equal(texts_lang("de", "ru"), "ru");
    assert_string_equal(texts_lang("e", "ru"), "ru");
    assert_string_equal(texts_lang("", "en"), "en");
    assert_string_equal(texts_lang(NULL, "en"), "en");
    assert_string_not_equal(text_get("ru", "menu"), text_get("en", "menu"));
}

/* ---- checkout_phone_valid ---------------------------------------------------------------- */

static void test_phone_valid(void **state)
{
    (void)state;
    struct {
        const char *in, *want; /* want NULL: not a phone */
    } cases[] = {
        {"+7 900 123-45-67", "+79001234567"},
        {"8 (900) 123 45 67", "89001234567"},
        {"  +44 20 7946 0958", "+442079460958"},
        {"1234567", "1234567"},                   /* 7 digits: the shortest */
        {"123456789012345", "123456789012345"},   /* 15: the longest */
        {"+123456789012345", "+123456789012345"}, /* 15 and a plus: 16 bytes */
        {"123456", NULL},
        {"1234567890123456", NULL},
        {"+1234567890123456", NULL},
        {"", NULL},
        {"+", NULL},
        {"   ", NULL},
        {"++79001234567", NULL},
        {"7+9001234567", NULL},
        {"+7 900 123 45 67 ext. 5", NULL},
        {"hello, it's me", NULL},
        {"+7 900 123\n45 67", NULL},
        {"9001234567\t", NULL},
        {"٩٠٠١٢٣٤٥٦٧", NULL}, /* Arabic-Indic digits are not ASCII digits */
        {"+7 900 123 45 67; DROP TABLE", NULL},
        {"12345678901234567890123456789012345678901234567890", NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[17];
        memset(out, 'X', sizeof out);
        bool ok = checkout_phone_valid(cases[i].in, out, sizeof out);
        if (ok != (cases[i].want != NULL))
            fail_msg("\"%s\": %s, expected %s", cases[i].in, ok ? "valid" : "invalid",
                     cases[i].want ? "valid" : "invalid");
        if (ok)
            assert_string_equal(out, cases[i].want);
    }
    /* a buffer too small for the number is refused, never overrun */
    char small[16];
    memset(small, 'X', sizeof small);
    assert_false(checkout_phone_valid("+79001234567", small, 8));
    for (size_t i = 8; i < sizeof small; i++)
        assert_int_equal(small[i], 'X');
}

/* ---- router: callback data ---------------------------------------------------------------- */

static void test_router_table_fits_telegram(void **state)
{
    (void)state;
    for (int r = 0; r < ROUTE_COUNT; r++) {
        const struct route_def *def = router_route((enum route)r);
        size_t plen = strlen(def->prefix);
        assert_true(plen >= 1 && plen <= ROUTER_PREFIX_MAX);
        assert_null(strchr(def->prefix, ':'));
        assert_true(def->args >= 0 && def->args <= ROUTER_ARGS_MAX);
        assert_non_null(def->handler);
        assert_true(plen + (size_t)def->args * (1 + ROUTER_BUILD_DIGITS) <= TG_CALLBACK_DATA_MAX);
        for (int o = 0; o < r; o++)
            if (!strcmp(router_route((enum route)o)->prefix, def->prefix))
                fail_msg("routes %d and %d share the prefix \"%s\"", o, r, def->prefix);
    }
}

static void test_router_round_trips(void **state)
{
    (void)state;
    struct arena a;
    arena_init(&a, 0);
    const int64_t values[] = {0, 1, 7, 12345, ROUTER_ARG_MAX};
    for (int r = 0; r < ROUTE_COUNT; r++) {
        int n = router_route((enum route)r)->args;
        for (size_t v = 0; v < ARRAY_SIZE(values); v++) {
            int64_t args[ROUTER_ARGS_MAX], back[ROUTER_ARGS_MAX];
            for (int i = 0; i < n; i++)
                args[i] = values[(v + (size_t)i) % ARRAY_SIZE(values)];
            const char *data = router_data(&a, (enum route)r, args, (size_t)n);
            assert_true(strlen(data) >= 1 && strlen(data) <= TG_CALLBACK_DATA_MAX);
            enum route got;
            if (router_parse(data, &got, back))
                fail_msg("\"%s\" does not parse", data);
            assert_int_equal(got, r);
            for (int i = 0; i < n; i++)
                assert_int_equal(back[i], args[i]);
        }
    }
    /* the wire format buttons already sent carry keeps working */
    assert_string_equal(ROUTE_DATA(&a, ROUTE_CATALOG, 12, 3), "c:12:3");
    assert_string_equal(ROUTE_DATA(&a, ROUTE_CART_ITEM, 5, 2, 0), "ki:5:2:0");
    assert_string_equal(router_data(&a, ROUTE_MENU, NULL, 0), "m");
    /* the longest data there is */
    const char *longest = ROUTE_DATA(&a, ROUTE_PRODUCT, ROUTER_ARG_MAX, ROUTER_ARG_MAX,
                                     ROUTER_ARG_MAX, ROUTER_ARG_MAX);
    assert_string_equal(longest, "p:99999999999999:99999999999999:99999999999999:99999999999999");
    /* a number no button can carry (a negative page, an absurd id) makes the no-op button */
    assert_string_equal(ROUTE_DATA(&a, ROUTE_CATALOG, -1, 0), "n");
    assert_string_equal(ROUTE_DATA(&a, ROUTE_ORDER, ROUTER_ARG_MAX + 1, 0), "n");
    arena_release(&a);
}

static void test_router_parse_is_strict(void **state)
{
    (void)state;
    int64_t a[ROUTER_ARGS_MAX] = {-1, -1, -1, -1};
    enum route r;
    assert_int_equal(router_parse("c:007:0", &r, a), 0);
    assert_int_equal(r, ROUTE_CATALOG);
    assert_int_equal(a[0], 7);
    assert_int_equal(router_parse("c:999999999999999:1", &r, a), 0); /* 15 digits */
    assert_int_equal(a[0], 999999999999999LL);
    assert_int_equal(router_parse("x:3", &r, a), 0);
    assert_int_equal(r, ROUTE_CHECKOUT_BUTTON);
    assert_int_equal(router_parse("s", &r, a), 0);
    assert_int_equal(r, ROUTE_SUBSCRIBED);

    char overlong[80];
    memset(overlong, '0', sizeof overlong - 1);
    overlong[0] = 'c';
    overlong[1] = ':';
    overlong[sizeof overlong - 1] = '\0';
    const char *bad[] = {
        "c:1",     /* too few numbers */
        "c:1:2:3", /* too many */
        "m:1",
        "kc:0",
        "c:-1:0", /* negative */
        "c:1:-0",
        "c:+1:0",
        "c:1:x",  /* garbage */
        "c:1:2 ", /* trailing space */
        " c:1:2",
        "c::2", /* empty number */
        "c:1::",
        "c:1:2:",
        "c:1.5:2",
        "c:0x10:2",
        "c:1e3:2",
        "c;1;2",  /* wrong separators */
        "cc:1:2", /* unknown prefix */
        "ki:1",
        "k:1:2:3",
        "C:1:2",
        "",
        ":",
        ":1",
        "c",
        "z",
        "mm",
        "m\n",
        "n ",
        "c:1234567890123456:0", /* 16 digits: overlong */
        "c:99999999999999999999:0",
        "c:9223372036854775808:0", /* past int64 */
        "c:1:2\n",
        "c:١:2", /* a non-ASCII digit */
        "c:00000000000000000000000000000000000000000000000000000000001:0",
        "m\xff",
        "\xd0\xbc",
        overlong, /* longer than Telegram ever sends */
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
        if (router_parse(bad[i], &r, a) != ERR_INVALID)
            fail_msg("\"%s\" parsed as route %d", bad[i], (int)r);
}

/* ---- gate: anti-flood and the ban notice ---------------------------------------------------- */

static void test_gate_flood_and_ban_notice(void **state)
{
    (void)state;
    struct gate *g = gate_new();
    int64_t t = 1000000;
    /* a burst of 8 passes, the 9th gets one "slow down", the rest are dropped silently */
    for (int i = 0; i < 8; i++)
        assert_int_equal(gate_flood(g, 42, t), GATE_PASS);
    assert_int_equal(gate_flood(g, 42, t), GATE_DROP_WARN);
    assert_int_equal(gate_flood(g, 42, t), GATE_DROP);
    assert_int_equal(gate_flood(g, 42, t + 100), GATE_DROP);
    /* another user is not affected */
    assert_int_equal(gate_flood(g, 43, t), GATE_PASS);
    /* 3 per second refill: after 334 ms one more passes, then the next burst warns again */
    assert_int_equal(gate_flood(g, 42, t + 334), GATE_PASS);
    assert_int_equal(gate_flood(g, 42, t + 334), GATE_DROP_WARN);
    /* a pause refills the whole burst, not more */
    t += 60000;
    for (int i = 0; i < 8; i++)
        assert_int_equal(gate_flood(g, 42, t), GATE_PASS);
    assert_int_equal(gate_flood(g, 42, t), GATE_DROP_WARN);

    /* a banned customer: one polite message per 10 minutes */
    assert_true(gate_ban_notice_due(g, 42, t));
    assert_false(gate_ban_notice_due(g, 42, t + 1000));
    assert_false(gate_ban_notice_due(g, 42, t + 599999));
    assert_true(gate_ban_notice_due(g, 42, t + 600000));
    assert_true(gate_ban_notice_due(g, 44, t + 1000));
    gate_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paginator_view_clamps),
        cmocka_unit_test(test_paginator_nav),
        cmocka_unit_test(test_paginator_label),
        cmocka_unit_test(test_locales_complete_and_valid_html),
        cmocka_unit_test(test_every_key_the_code_uses_exists),
        cmocka_unit_test(test_text_render_escapes_and_languages),
        cmocka_unit_test(test_phone_valid),
        cmocka_unit_test(test_router_table_fits_telegram),
        cmocka_unit_test(test_router_round_trips),
        cmocka_unit_test(test_router_parse_is_strict),
        cmocka_unit_test(test_gate_flood_and_ban_notice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
