#include "core/tgtext.h"

#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/banned.h"

const char *tg_parse_mode_name(enum tg_parse_mode mode)
{
    switch (mode) {
    case TG_PARSE_NONE:
        return NULL;
    case TG_PARSE_HTML:
        return "HTML";
    case TG_PARSE_MARKDOWN_V2:
        return "MarkdownV2";
    }
    return NULL;
}

static bool is_blank_char(unsigned cp)
{
    return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r';
}

static size_t utf16_units_of(unsigned cp)
{
    return cp > 0xFFFF ? 2 : 1;
}

/* Decodes an HTML character reference at s ("&amp;", "&#8364;", "&#x20AC;"): returns its
 * byte length and the code point, or 0 when s does not start a reference Telegram knows
 * (the '&' then counts as itself). */
static size_t html_reference(const char *s, size_t len, unsigned *out_cp)
{
    static const struct {
        const char *name;
        unsigned cp;
    } named[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'}};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        size_t n = strlen(named[i].name);
        if (len >= n && !memcmp(s, named[i].name, n)) {
            *out_cp = named[i].cp;
            return n;
        }
    }
    if (len < 4 || s[1] != '#')
        return 0;
    bool hex = s[2] == 'x' || s[2] == 'X';
    size_t i = hex ? 3 : 2;
    unsigned long cp = 0;
    size_t digits = 0;
    for (; i < len && s[i] != ';' && digits < 8; i++, digits++) {
        char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (hex && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else if (hex && c >= 'A' && c <= 'F')
            d = (unsigned)(c - 'A' + 10);
        else
            return 0;
        cp = cp * (hex ? 16 : 10) + d;
    }
    if (digits == 0 || i >= len || s[i] != ';' || cp > 0x10FFFF)
        return 0;
    *out_cp = (unsigned)cp;
    return i + 1;
}

size_t tg_text_length(const char *text, size_t len, enum tg_parse_mode mode, bool *out_blank)
{
    size_t units = 0;
    bool blank = true;
    size_t i = 0;
    while (i < len) {
        unsigned cp;
        size_t n;
        if (mode == TG_PARSE_HTML && text[i] == '<') {
            const char *end = memchr(text + i, '>', len - i);
            if (end) {
                i = (size_t)(end - text) + 1;
                continue;
            }
        }
        if (mode == TG_PARSE_HTML && text[i] == '&' &&
            (n = html_reference(text + i, len - i, &cp))) {
            i += n;
        } else {
            i += utf8_decode(text + i, len - i, &cp);
        }
        units += utf16_units_of(cp);
        if (!is_blank_char(cp))
            blank = false;
    }
    *out_blank = blank;
    return units;
}

enum { HTML_DEPTH_MAX = 32 };

/* The end of the tag that starts at s[at] ('<'): the index of its '>' outside quoted attribute
 * values, or len when there is none. */
static size_t tag_end(const char *s, size_t len, size_t at)
{
    char quote = 0;
    for (size_t i = at + 1; i < len; i++) {
        if (quote) {
            if (s[i] == quote)
                quote = 0;
        } else if (s[i] == '"' || s[i] == '\'') {
            quote = s[i];
        } else if (s[i] == '>') {
            return i;
        }
    }
    return len;
}

static bool supported_tag(const char *name, size_t n, const char *attrs, size_t attrs_len)
{
    static const char *const tags[] = {"b",    "strong", "i",          "em",         "u",
                                       "ins",  "s",      "strike",     "del",        "a",
                                       "code", "pre",    "tg-spoiler", "blockquote", "tg-emoji"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++)
        if (strlen(tags[i]) == n && !strncmp(tags[i], name, n))
            return true;
    /* <span> only as a spoiler */
    if (n == 4 && !strncmp(name, "span", 4)) {
        for (size_t i = 0; i + 16 <= attrs_len; i++)
            if (!strncmp(attrs + i, "class=\"tg-spoiler\"", 18) ||
                !strncmp(attrs + i, "class='tg-spoiler'", 18) ||
                !strncmp(attrs + i, "class=tg-spoiler", 16))
                return true;
    }
    return false;
}

int tg_check_html(const char *s, size_t len, struct buf *why)
{
    struct {
        size_t at, len;
    } open[HTML_DEPTH_MAX];
    int depth = 0;
    char name[16];
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '<')
            continue;
        bool closing = i + 1 < len && s[i + 1] == '/';
        size_t start = i + 1 + closing, n = 0, end;
        if (closing) {
            const char *gt = memchr(s + start, '>', len - start);
            if (!gt) {
                buf_setf(why, "can't parse entities: Unclosed end tag at byte offset %zu", i);
                return ERR_INVALID;
            }
            end = (size_t)(gt - s);
            n = end - start;
        } else {
            /* like Telegram: the name runs to a space or '>', then come the attributes */
            while (start + n < len && !is_blank_char((unsigned char)s[start + n]) &&
                   s[start + n] != '>')
                n++;
            end = start + n < len ? tag_end(s, len, i) : len;
        }
        size_t lower_n = n < sizeof name ? n : sizeof name - 1;
        for (size_t k = 0; k < lower_n; k++)
            name[k] = (char)(s[start + k] >= 'A' && s[start + k] <= 'Z' ? s[start + k] + 32
                                                                        : s[start + k]);
        bool known = n == lower_n && supported_tag(name, lower_n, NULL, 0);
        if (!closing && start + n < len && !known && !(n == 4 && !strncmp(name, "span", 4))) {
            buf_setf(why, "can't parse entities: Unsupported start tag \"%.*s\" at byte offset %zu",
                     (int)n, s + start, i);
            return ERR_INVALID;
        }
        if (!closing && end == len) {
            buf_setf(why, "can't parse entities: Unclosed start tag at byte offset %zu", i);
            return ERR_INVALID;
        }
        if (closing) {
            if (!depth) {
                buf_setf(why, "can't parse entities: Unexpected end tag at byte offset %zu", i);
                return ERR_INVALID;
            }
            size_t top_at = open[depth - 1].at, top_len = open[depth - 1].len;
            bool same = top_len == n && n == lower_n;
            for (size_t k = 0; same && k < n; k++) {
                char c = s[top_at + k];
                same = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c) == name[k];
            }
            if (!same) {
                buf_setf(why,
                         "can't parse entities: Unmatched end tag at byte offset %zu, expected "
                         "\"</%.*s>\", found \"</%.*s>\"",
                         i, (int)top_len, s + top_at, (int)(end - i - 2), s + i + 2);
                return ERR_INVALID;
            }
            depth--;
        } else {
            if (!known && !supported_tag(name, lower_n, s + start + n, end - start - n)) {
                buf_setf(why,
                         "can't parse entities: Unsupported start tag \"%.*s\" at byte offset %zu",
                         (int)n, s + start, i);
                return ERR_INVALID;
            }
            if (depth == HTML_DEPTH_MAX) {
                buf_setf(why, "can't parse entities: Too many nested tags at byte offset %zu", i);
                return ERR_INVALID;
            }
            open[depth].at = start;
            open[depth].len = n;
            depth++;
        }
        i = end;
    }
    if (depth) {
        buf_setf(why,
                 "can't parse entities: Can't find end tag corresponding to start tag \"%.*s\"",
                 (int)open[depth - 1].len, s + open[depth - 1].at);
        return ERR_INVALID;
    }
    return 0;
}

int tg_check_text(const char *what, const char *text, enum tg_parse_mode mode, bool required,
                  size_t max, struct buf *why)
{
    size_t len = text ? strlen(text) : 0;
    if (!utf8_valid(text ? text : "", len)) {
        buf_setf(why, "%s is not valid UTF-8", what);
        return ERR_INVALID;
    }
    if (mode == TG_PARSE_HTML && text && tg_check_html(text, len, why)) {
        struct buf detail = BUF_INIT;
        buf_adds(&detail, why->data);
        buf_setf(why, "%s: %s", what, detail.data);
        buf_release(&detail);
        return ERR_INVALID;
    }
    bool blank;
    size_t units = tg_text_length(text ? text : "", len, mode, &blank);
    if (required && blank) {
        buf_setf(why, "%s is empty", what);
        return ERR_INVALID;
    }
    if (units > max) {
        buf_setf(why, "%s is %zu characters long, the limit is %zu", what, units, max);
        return ERR_INVALID;
    }
    return 0;
}
