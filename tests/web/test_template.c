/* The template engine: mustache semantics, compile-time errors, and escaping of every
 * variable of every admin template. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/embed.h"
#include "core/err.h"
#include "web/template.h"

extern const struct embedded_file web_templates[];

/* Compiles one template "t" (plus an optional partial "p") and renders it with data. */
static char *render(const char *text, const char *partial, const char *json)
{
    struct embedded_file files[3] = {{"t.html", text, strlen(text)}, {NULL, NULL, 0}};
    if (partial)
        files[1] = (struct embedded_file){"p.html", partial, strlen(partial)};
    struct tpl_set *set;
    struct buf err = BUF_INIT, out = BUF_INIT;
    if (tpl_set_compile(&set, files, &err))
        fail_msg("compile: %s", err.data);
    json_t *data = json_loads(json, 0, NULL);
    assert_non_null(data);
    assert_int_equal(tpl_render(set, "t", data, &out), 0);
    json_decref(data);
    tpl_set_free(set);
    buf_release(&err);
    return buf_detach(&out, NULL);
}

static void check(const char *text, const char *json, const char *want)
{
    char *got = render(text, NULL, json);
    assert_string_equal(got, want);
    free(got);
}

static void variables_are_escaped(void **state)
{
    (void)state;
    check("<p>{{name}}</p>", "{\"name\":\"<b>\\\"Tea\\\" & 'co'</b>\"}",
          "<p>&lt;b&gt;&quot;Tea&quot; &amp; &#39;co&#39;&lt;/b&gt;</p>");
    check("{{n}} {{t}} {{f}} {{z}} {{missing}}.", "{\"n\":42,\"t\":true,\"f\":false,\"z\":null}",
          "42 true   .");
    check("{{a.b.c}}", "{\"a\":{\"b\":{\"c\":\"deep\"}}}", "deep");
}

static void sections(void **state)
{
    (void)state;
    check("{{#items}}[{{name}}]{{/items}}", "{\"items\":[{\"name\":\"a\"},{\"name\":\"b\"}]}",
          "[a][b]");
    check("{{#items}}{{.}},{{/items}}", "{\"items\":[\"x\",\"<y>\"]}", "x,&lt;y&gt;,");
    check("{{#user}}hi {{name}} of {{shop}}{{/user}}",
          "{\"user\":{\"name\":\"Ann\"},\"shop\":\"tea\"}", "hi Ann of tea");
    check("{{#on}}yes{{/on}}{{^on}}no{{/on}}", "{\"on\":true}", "yes");
    const char *empties[] = {"{}",         "{\"on\":false}", "{\"on\":null}",
                             "{\"on\":0}", "{\"on\":\"\"}",  "{\"on\":[]}"};
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++)
        check("{{#on}}yes{{/on}}{{^on}}no{{/on}}", empties[i], "no");
    check("{{! a comment }}ok", "{}", "ok");
}

static void partials(void **state)
{
    (void)state;
    char *got = render("<{{>p}}>", "{{x}}", "{\"x\":\"&\"}");
    assert_string_equal(got, "<&amp;>");
    free(got);
}

/* A partial rendered ahead is written as it was rendered; other partials render as usual. */
static void prerendered_partials(void **state)
{
    (void)state;
    const char *text = "<{{>p}}|{{>q}}>";
    struct embedded_file files[] = {{"t.html", text, strlen(text)},
                                    {"p.html", "{{#xs}}[{{.}}]{{/xs}}", 20},
                                    {"q.html", "{{n}}", 5},
                                    {NULL, NULL, 0}};
    struct tpl_set *set;
    struct buf err = BUF_INIT, ahead = BUF_INIT, out = BUF_INIT;
    if (tpl_set_compile(&set, files, &err))
        fail_msg("compile: %s", err.data);
    json_t *data = json_loads("{\"xs\":[\"<a>\",\"b\"],\"n\":7}", 0, NULL);
    assert_int_equal(tpl_render(set, "p", data, &ahead), 0);
    assert_string_equal(ahead.data, "[&lt;a&gt;][b]");
    json_object_set_new(data, "xs", json_array()); /* what the page renders now differs */
    struct tpl_prerendered pre = {"p", ahead.data, ahead.len};
    assert_int_equal(tpl_render_with(set, "t", data, &pre, &out), 0);
    assert_string_equal(out.data, "<[&lt;a&gt;][b]|7>");
    buf_reset(&out);
    assert_int_equal(tpl_render_with(set, "t", data, &(struct tpl_prerendered){0}, &out), 0);
    assert_string_equal(out.data, "<|7>");
    json_decref(data);
    tpl_set_free(set);
    buf_release(&err);
    buf_release(&ahead);
    buf_release(&out);
}

static void bad_templates_fail_at_compile(void **state)
{
    (void)state;
    const char *bad[] = {"{{{raw}}}",    "{{&raw}}",   "{{#open}}never closed", "{{/stray}}",
                         "{{#a}}{{/b}}", "{{unclosed", "{{>nowhere}}",          "{{bad name}}",
                         "{{=<% %>=}}",  "{{}}"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct embedded_file files[] = {{"t.html", bad[i], strlen(bad[i])}, {NULL, NULL, 0}};
        struct tpl_set *set = NULL;
        struct buf err = BUF_INIT;
        if (tpl_set_compile(&set, files, &err) != ERR_INVALID)
            fail_msg("\"%s\" compiled", bad[i]);
        assert_null(set);
        assert_non_null(strstr(err.data, "t: "));
        buf_release(&err);
    }
    struct embedded_file lines[] = {{"t.html", "ok\n\n{{#x}}", 10}, {NULL, NULL, 0}};
    struct tpl_set *set;
    struct buf err = BUF_INIT;
    assert_int_equal(tpl_set_compile(&set, lines, &err), ERR_INVALID);
    assert_non_null(strstr(err.data, "line 3"));
    buf_release(&err);
}

/* Sets data[path] (dotted) to value (a new reference), making objects on the way; an
 * existing value is kept unless force. */
static void set_path(json_t *data, const char *path, json_t *value, bool force)
{
    const char *dot = strchr(path, '.');
    if (!dot) {
        if (force || !json_object_get(data, path))
            json_object_set(data, path, value);
        json_decref(value);
        return;
    }
    char key[64];
    snprintf(key, sizeof key, "%.*s", (int)(dot - path), path);
    json_t *child = json_object_get(data, key);
    if (!json_is_object(child)) {
        child = json_object();
        json_object_set_new(data, key, child);
    }
    set_path(child, dot + 1, value, force);
}

static const char HOSTILE[] = "<script>x()</script>\"'&";

/* Calls fn for every tag of every admin template with its name and whether it opens a
 * section. */
static void each_tag(void (*fn)(const char *name, bool section, void *ctx), void *ctx)
{
    for (const struct embedded_file *f = web_templates; f->name; f++) {
        for (const char *p = strstr(f->text, "{{"); p; p = strstr(p + 2, "{{")) {
            char sigil = p[2];
            if (sigil == '/' || sigil == '>' || sigil == '!')
                continue;
            const char *q = p + 2 + (sigil == '#' || sigil == '^');
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)strcspn(q, "}"), q);
            if (strcmp(name, "."))
                fn(name, sigil == '#' || sigil == '^', ctx);
        }
    }
}

static void add_leaf(const char *name, bool section, void *item)
{
    (void)section;
    const char *leaf = strrchr(name, '.');
    json_object_set_new(item, leaf ? leaf + 1 : name, json_string(HOSTILE));
}

static void add_variable(const char *name, bool section, void *data)
{
    if (!section)
        set_path(data, name, json_string(HOSTILE), false);
}

struct sections {
    json_t *data, *item;
};

static void add_section(const char *name, bool section, void *ctx)
{
    struct sections *s = ctx;
    if (section)
        set_path(s->data, name, json_deep_copy(s->item), true);
}

/* Every variable of every admin template gets a hostile string, and every section an
 * object whose fields are all hostile; the output never holds the raw markup. */
static void every_admin_template_escapes_every_variable(void **state)
{
    (void)state;
    struct tpl_set *set;
    struct buf err = BUF_INIT;
    if (tpl_set_compile(&set, web_templates, &err))
        fail_msg("the admin templates do not compile: %s", err.data);
    json_t *item = json_object(), *data = json_object();
    each_tag(add_leaf, item);
    each_tag(add_variable, data);
    struct sections s = {data, item};
    each_tag(add_section, &s);
    int templates = 0;
    for (const struct embedded_file *f = web_templates; f->name; f++) {
        char name[64];
        snprintf(name, sizeof name, "%.*s", (int)strcspn(f->name, "."), f->name);
        struct buf out = BUF_INIT;
        assert_int_equal(tpl_render(set, name, data, &out), 0);
        if (strstr(out.data, "<script>"))
            fail_msg("%s lets markup through:\n%s", f->name, out.data);
        if (strstr(f->text, "{{") && strcmp(name, "layout_bottom") &&
            !strstr(out.data, "&lt;script&gt;"))
            fail_msg("%s shows none of its variables:\n%s", f->name, out.data);
        buf_release(&out);
        templates++;
    }
    assert_true(templates >= 10);
    json_decref(data);
    json_decref(item);
    tpl_set_free(set);
    buf_release(&err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(variables_are_escaped),
        cmocka_unit_test(sections),
        cmocka_unit_test(partials),
        cmocka_unit_test(prerendered_partials),
        cmocka_unit_test(bad_templates_fail_at_compile),
        cmocka_unit_test(every_admin_template_escapes_every_variable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
