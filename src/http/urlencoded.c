#include "http/urlencoded.h"

#include <string.h>

#include "core/banned.h"

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t http_url_decode(char *out, const char *s, size_t len, bool plus_is_space)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '+' && plus_is_space) {
            out[n++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && (hi = hex_digit(s[i + 1])) >= 0 &&
                   (lo = hex_digit(s[i + 2])) >= 0 && (hi || lo)) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return n;
}

/* s[0, len) decoded into a new string of the arena. */
static char *decode(struct arena *a, const char *s, size_t len, size_t *out_len)
{
    char *out = arena_alloc(a, len + 1);
    *out_len = http_url_decode(out, s, len, true);
    return out;
}

void http_urlencoded_parse(struct http_fields *out, struct arena *a, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        const char *amp = memchr(s + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - s) : len;
        const char *eq = memchr(s + i, '=', end - i);
        size_t name_end = eq ? (size_t)(eq - s) : end;
        if (name_end > i) {
            size_t name_len, value_len = 0;
            char *name = decode(a, s + i, name_end - i, &name_len);
            const char *value = eq ? decode(a, eq + 1, end - name_end - 1, &value_len) : "";
            http_fields_add(out, a, name, value, value_len);
        }
        i = end + 1;
    }
}
