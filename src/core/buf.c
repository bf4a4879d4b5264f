#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "core/banned.h"

char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
    b->data = buf_empty;
    b->len = 0;
    b->cap = 0;
    b->max = max;
    b->overflow = false;
}

void buf_release(struct buf *b)
{
    if (b->cap)
        free(b->data);
    buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->cap)
        b->data[0] = '\0'; /* the shared "" is never written: other threads read it */
    b->overflow = false;
}

void buf_grow(struct buf *b, size_t extra)
{
    if (extra > (size_t)-1 - b->len - 1)
        die_oom((size_t)-1);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > ((size_t)-1) / 2 ? need : cap * 2;
    if (b->cap) {
        b->data = xrealloc(b->data, cap);
    } else {
        b->data = xmalloc(cap);
        b->data[0] = '\0';
    }
    b->cap = cap;
}

char *buf_detach(struct buf *b, size_t *out_len)
{
    if (!b->cap)
        buf_grow(b, 0);
    char *data = b->data;
    if (out_len)
        *out_len = b->len;
    buf_init(b, b->max);
    return data;
}

void buf_truncate(struct buf *b, size_t len)
{
    if (len >= b->len)
        return;
    b->len = len;
    b->data[len] = '\0';
}

static bool would_overflow(struct buf *b, size_t extra)
{
    if (b->max && (extra > b->max || b->len > b->max - extra)) {
        b->overflow = true;
        return true;
    }
    return false;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
    if (would_overflow(b, len))
        return ERR_TOOBIG;
    if (!len)
        return 0;
    buf_grow(b, len);
    memcpy(b->data + b->len, data, len);
    b->len += len;
    b->data[b->len] = '\0';
    return 0;
}

int buf_adds(struct buf *b, const char *s)
{
    return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
    return buf_add(b, &c, 1);
}

int buf_add_int(struct buf *b, int64_t v)
{
    char digits[24];
    size_t n = sizeof digits;
    /* in unsigned arithmetic: -INT64_MIN does not exist */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        digits[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        digits[--n] = '-';
    return buf_add(b, digits + n, sizeof digits - n);
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
    va_list copy;
    va_copy(copy, ap);
    char small[256];
    int n = vsnprintf(small, sizeof small, fmt, copy);
    va_end(copy);
    if (n < 0)
        return ERR_INVALID;
    if ((size_t)n < sizeof small)
        return buf_add(b, small, (size_t)n);
    if (would_overflow(b, (size_t)n))
        return ERR_TOOBIG;
    buf_grow(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
    return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_setf(struct buf *b, const char *fmt, ...)
{
    buf_reset(b);
    va_list ap;
    va_start(ap, fmt);
    int rc = buf_vaddf(b, fmt, ap);
    va_end(ap);
    return rc;
}

int buf_add_json_escaped(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"':
            rc = buf_add(b, "\\\"", 2);
            break;
        case '\\':
            rc = buf_add(b, "\\\\", 2);
            break;
        case '\n':
            rc = buf_add(b, "\\n", 2);
            break;
        case '\r':
            rc = buf_add(b, "\\r", 2);
            break;
        case '\t':
            rc = buf_add(b, "\\t", 2);
            break;
        default:
            if (c < 0x20 || c == 0x7f) {
                char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
                rc = buf_add(b, esc, sizeof esc);
            } else {
                rc = buf_addc(b, (char)c);
            }
        }
    }
    return rc;
}

int buf_add_html_escaped(struct buf *b, const char *s, size_t len)
{
    int rc = 0;
    size_t plain = 0; /* s[plain..i) needs no escaping: added in one piece */
    for (size_t i = 0; i < len && !rc; i++) {
        const char *entity;
        switch (s[i]) {
        case '&':
            entity = "&amp;";
            break;
        case '<':
            entity = "&lt;";
            break;
        case '>':
            entity = "&gt;";
            break;
        case '"':
            entity = "&quot;";
            break;
        case '\'':
            entity = "&#39;";
            break;
        default:
            continue;
        }
        if ((rc = buf_add(b, s + plain, i - plain)) == 0)
            rc = buf_adds(b, entity);
        plain = i + 1;
    }
    return rc ? rc : buf_add(b, s + plain, len - plain);
}

int buf_add_url_encoded(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = 0;
    for (size_t i = 0; i < len && !rc; i++) {
        unsigned char c = (unsigned char)s[i];
        bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved) {
            rc = buf_addc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
            rc = buf_add(b, esc, 3);
        }
    }
    return rc;
}

bool buf_eq(const struct buf *b, const char *s)
{
    size_t n = strlen(s);
    return n == b->len && memcmp(b->data, s, n) == 0;
}
