#include "tg/limits.h"

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

int tg_check_text(const char *what, const char *text, enum tg_parse_mode mode, bool required,
                  size_t max, struct buf *why)
{
    size_t len = text ? strlen(text) : 0;
    if (!utf8_valid(text ? text : "", len)) {
        buf_setf(why, "%s is not valid UTF-8", what);
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

int tg_check_bytes(const char *what, const char *s, size_t min, size_t max, struct buf *why)
{
    size_t len = s ? strlen(s) : 0;
    if (!utf8_valid(s ? s : "", len)) {
        buf_setf(why, "%s is not valid UTF-8", what);
        return ERR_INVALID;
    }
    if (len < min || len > max) {
        if (min > 0 && len == 0)
            buf_setf(why, "%s is empty", what);
        else
            buf_setf(why, "%s is %zu bytes long, it must be %zu-%zu bytes", what, len, min, max);
        return ERR_INVALID;
    }
    return 0;
}
