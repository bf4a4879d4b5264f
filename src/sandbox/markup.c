#include "sandbox/markup.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "core/banned.h"

enum { MAX_DEPTH = 32 };

struct open_tag {
    char name[16];
    const char *type; /* MessageEntity type, NULL for a tag that makes none */
    size_t start;     /* UTF-16 offset where the entity starts */
    char *url;        /* text_link */
    char *extra;      /* custom_emoji_id */
};

struct html_parser {
    const char *s;
    size_t len, pos;
    struct buf *text;
    size_t units; /* UTF-16 length of text so far */
    json_t *entities;
    struct open_tag stack[MAX_DEPTH];
    int depth;
    char *pre_language; /* from <code class="language-x"> directly inside <pre> */
    struct buf *err;
};

static int fail(struct html_parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct html_parser *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_adds(p->err, "Bad Request: can't parse entities: ");
    buf_vaddf(p->err, fmt, ap);
    va_end(ap);
    return ERR_INVALID;
}

static void emit(struct html_parser *p, const char *bytes, size_t n)
{
    buf_add(p->text, bytes, n);
    p->units += utf8_utf16_units(bytes, n);
}

static const char *entity_type_of(const char *tag)
{
    static const char *const map[][2] = {
        {"b", "bold"},
        {"strong", "bold"},
        {"i", "italic"},
        {"em", "italic"},
        {"u", "underline"},
        {"ins", "underline"},
        {"s", "strikethrough"},
        {"strike", "strikethrough"},
        {"del", "strikethrough"},
        {"tg-spoiler", "spoiler"},
        {"code", "code"},
        {"pre", "pre"},
        {"a", "text_link"},
        {"blockquote", "blockquote"},
        {"tg-emoji", "custom_emoji"},
        {"span", "spoiler"},
    };
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i][0], tag))
            return map[i][1];
    return NULL;
}

/* Reads one attribute name="value" at p->pos; returns false at '>' or the end. */
static bool read_attribute(struct html_parser *p, char **name, char **value)
{
    while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\n' || p->s[p->pos] == '\t'))
        p->pos++;
    if (p->pos >= p->len || p->s[p->pos] == '>')
        return false;
    size_t start = p->pos;
    while (p->pos < p->len && !strchr(" \t\n=>", p->s[p->pos]))
        p->pos++;
    *name = xstrndup(p->s + start, p->pos - start);
    *value = xstrdup("");
    if (p->pos < p->len && p->s[p->pos] == '=') {
        p->pos++;
        char quote = p->pos < p->len ? p->s[p->pos] : 0;
        if (quote == '"' || quote == '\'') {
            const char *end = memchr(p->s + p->pos + 1, quote, p->len - p->pos - 1);
            if (!end) {
                p->pos = p->len;
                return true;
            }
            free(*value);
            *value = xstrndup(p->s + p->pos + 1, (size_t)(end - p->s) - p->pos - 1);
            p->pos = (size_t)(end - p->s) + 1;
        } else {
            size_t vstart = p->pos;
            while (p->pos < p->len && !strchr(" \t\n>", p->s[p->pos]))
                p->pos++;
            free(*value);
            *value = xstrndup(p->s + vstart, p->pos - vstart);
        }
    }
    return true;
}

static int start_tag(struct html_parser *p)
{
    size_t at = p->pos++;
    size_t name_start = p->pos;
    while (p->pos < p->len && !strchr(" \t\n>", p->s[p->pos]))
        p->pos++;
    size_t name_len = p->pos - name_start;
    char name[16] = "";
    if (name_len < sizeof name) {
        memcpy(name, p->s + name_start, name_len);
        for (size_t i = 0; i < name_len; i++)
            name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
    }
    const char *type = entity_type_of(name);
    if (!type)
        return fail(p, "Unsupported start tag \"%.*s\" at byte offset %zu", (int)name_len,
                    p->s + name_start, at);
    if (p->depth == MAX_DEPTH)
        return fail(p, "Too many nested tags at byte offset %zu", at);
    struct open_tag *tag = &p->stack[p->depth];
    memset(tag, 0, sizeof *tag);
    memcpy(tag->name, name, name_len + 1);
    tag->type = type;
    tag->start = p->units;
    char *attr, *value;
    bool spoiler_class = false;
    while (read_attribute(p, &attr, &value)) {
        if (!strcmp(attr, "href") && !strcmp(name, "a")) {
            free(tag->url);
            tag->url = value;
            value = NULL;
        } else if (!strcmp(attr, "emoji-id") && !strcmp(name, "tg-emoji")) {
            free(tag->extra);
            tag->extra = value;
            value = NULL;
        } else if (!strcmp(attr, "class") && !strcmp(name, "span")) {
            spoiler_class = !strcmp(value, "tg-spoiler");
        } else if (!strcmp(attr, "class") && !strcmp(name, "code") && p->depth > 0 &&
                   !strcmp(p->stack[p->depth - 1].name, "pre") && !strncmp(value, "language-", 9)) {
            free(p->pre_language);
            p->pre_language = xstrdup(value + 9);
        } else if (!strcmp(attr, "expandable") && !strcmp(name, "blockquote")) {
            tag->type = "expandable_blockquote";
        }
        free(attr);
        free(value);
    }
    if (p->pos >= p->len) {
        free(tag->url);
        free(tag->extra);
        return fail(p, "Unclosed start tag at byte offset %zu", at);
    }
    p->pos++; /* '>' */
    if (!strcmp(name, "span") && !spoiler_class) {
        free(tag->url);
        free(tag->extra);
        return fail(p, "Unsupported start tag \"span\" at byte offset %zu", at);
    }
    if (!strcmp(name, "a") && !tag->url)
        tag->type = NULL;
    p->depth++;
    return 0;
}

static void close_entity(struct html_parser *p, struct open_tag *tag)
{
    size_t length = p->units - tag->start;
    if (tag->type && length) {
        json_t *e = json_pack("{s:s, s:I, s:I}", "type", tag->type, "offset",
                              (json_int_t)tag->start, "length", (json_int_t)length);
        if (tag->url)
            json_object_set_new(e, "url", json_string(tag->url));
        if (tag->extra)
            json_object_set_new(e, "custom_emoji_id", json_string(tag->extra));
        if (!strcmp(tag->name, "pre") && p->pre_language)
            json_object_set_new(e, "language", json_string(p->pre_language));
        json_array_append_new(p->entities, e);
    }
    if (!strcmp(tag->name, "pre")) {
        free(p->pre_language);
        p->pre_language = NULL;
    }
    free(tag->url);
    free(tag->extra);
}

static int end_tag(struct html_parser *p)
{
    size_t at = p->pos;
    const char *gt = memchr(p->s + p->pos, '>', p->len - p->pos);
    if (!gt)
        return fail(p, "Unclosed end tag at byte offset %zu", at);
    size_t name_len = (size_t)(gt - p->s) - at - 2;
    const char *name = p->s + at + 2;
    if (!p->depth)
        return fail(p, "Unexpected end tag at byte offset %zu", at);
    struct open_tag *top = &p->stack[p->depth - 1];
    if (strlen(top->name) != name_len || strncasecmp(top->name, name, name_len))
        return fail(p,
                    "Unmatched end tag at byte offset %zu, expected \"</%s>\", found \"</%.*s>\"",
                    at, top->name, (int)name_len, name);
    p->depth--;
    close_entity(p, top);
    p->pos = (size_t)(gt - p->s) + 1;
    return 0;
}

static void character_reference(struct html_parser *p)
{
    static const char *const named[][2] = {
        {"lt", "<"}, {"gt", ">"}, {"amp", "&"}, {"quot", "\""}, {"apos", "'"}};
    const char *semi = memchr(p->s + p->pos, ';', p->len - p->pos < 12 ? p->len - p->pos : 12);
    if (semi) {
        const char *name = p->s + p->pos + 1;
        size_t name_len = (size_t)(semi - name);
        for (size_t i = 0; i < sizeof named / sizeof *named; i++) {
            if (strlen(named[i][0]) == name_len && !memcmp(named[i][0], name, name_len)) {
                emit(p, named[i][1], 1);
                p->pos = (size_t)(semi - p->s) + 1;
                return;
            }
        }
        if (name_len > 1 && name[0] == '#') {
            bool hex = name[1] == 'x' || name[1] == 'X';
            char digits[12] = "";
            size_t dlen = name_len - 1 - hex;
            if (dlen && dlen < sizeof digits) {
                memcpy(digits, name + 1 + hex, dlen);
                char *end;
                unsigned long cp = strtoul(digits, &end, hex ? 16 : 10);
                if (*end == '\0' && cp > 0 && cp <= 0x10ffff && (cp < 0xd800 || cp > 0xdfff)) {
                    char out[4];
                    size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
                    static const unsigned char lead[] = {0, 0, 0xc0, 0xe0, 0xf0};
                    for (size_t k = n - 1; k > 0; k--) {
                        out[k] = (char)(0x80 | (cp & 0x3f));
                        cp >>= 6;
                    }
                    out[0] = (char)(n == 1 ? cp : (lead[n] | cp));
                    emit(p, out, n);
                    p->pos = (size_t)(semi - p->s) + 1;
                    return;
                }
            }
        }
    }
    emit(p, "&", 1); /* like Telegram: an unknown reference stays as it is */
    p->pos++;
}

static int compare_entities(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    json_int_t xo = json_integer_value(json_object_get(x, "offset"));
    json_int_t yo = json_integer_value(json_object_get(y, "offset"));
    if (xo != yo)
        return xo < yo ? -1 : 1;
    json_int_t xl = json_integer_value(json_object_get(x, "length"));
    json_int_t yl = json_integer_value(json_object_get(y, "length"));
    return xl == yl ? 0 : xl > yl ? -1 : 1;
}

static json_t *sorted(json_t *entities)
{
    size_t n = json_array_size(entities);
    if (n < 2)
        return entities;
    json_t **items = xmallocarray(n, sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = json_incref(json_array_get(entities, i));
    qsort(items, n, sizeof *items, compare_entities);
    json_array_clear(entities);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(entities, items[i]);
    free(items);
    return entities;
}

static int parse_html(const char *s, size_t len, struct buf *text, json_t **out_entities,
                      struct buf *err)
{
    struct html_parser p = {.s = s, .len = len, .text = text, .entities = json_array(), .err = err};
    int rc = 0;
    while (!rc && p.pos < len) {
        if (s[p.pos] == '<' && p.pos + 1 < len && s[p.pos + 1] == '/') {
            rc = end_tag(&p);
        } else if (s[p.pos] == '<') {
            rc = start_tag(&p);
        } else if (s[p.pos] == '&') {
            character_reference(&p);
        } else {
            size_t run = p.pos;
            while (run < len && s[run] != '<' && s[run] != '&')
                run++;
            emit(&p, s + p.pos, run - p.pos);
            p.pos = run;
        }
    }
    if (!rc && p.depth)
        rc = fail(&p, "Can't find end tag corresponding to start tag \"%s\"",
                  p.stack[p.depth - 1].name);
    while (p.depth > 0) {
        struct open_tag *tag = &p.stack[--p.depth];
        free(tag->url);
        free(tag->extra);
    }
    free(p.pre_language);
    if (rc) {
        json_decref(p.entities);
        return rc;
    }
    *out_entities = sorted(p.entities);
    return 0;
}

int markup_parse(const char *text, size_t len, const char *parse_mode, struct buf *out_text,
                 json_t **out_entities, struct buf *err)
{
    if (parse_mode && !strcasecmp(parse_mode, "HTML"))
        return parse_html(text, len, out_text, out_entities, err);
    if (parse_mode && *parse_mode && strcasecmp(parse_mode, "Markdown") &&
        strcasecmp(parse_mode, "MarkdownV2")) {
        buf_adds(err, "Bad Request: unsupported parse_mode");
        return ERR_INVALID;
    }
    buf_add(out_text, text, len);
    *out_entities = json_array();
    return 0;
}

static bool command_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '@';
}

json_t *markup_commands(const char *text, size_t len)
{
    json_t *entities = NULL;
    for (size_t i = 0; i < len; i++) {
        bool word_start = i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n';
        if (text[i] != '/' || !word_start)
            continue;
        size_t end = i + 1;
        while (end < len && command_char(text[end]))
            end++;
        if (end == i + 1 || text[i + 1] == '@')
            continue;
        if (!entities)
            entities = json_array();
        json_array_append_new(entities, json_pack("{s:s, s:I, s:I}", "type", "bot_command",
                                                  "offset", (json_int_t)utf8_utf16_units(text, i),
                                                  "length", (json_int_t)(end - i)));
        i = end - 1;
    }
    return entities;
}
