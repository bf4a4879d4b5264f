#include "core/utf8.h"

#include "core/banned.h"

/* Length of the sequence that starts with byte c; 0 for a byte that cannot start one. */
static size_t seq_len(unsigned char c)
{
    if (c < 0x80)
        return 1;
    if (c >= 0xc2 && c <= 0xdf)
        return 2;
    if (c >= 0xe0 && c <= 0xef)
        return 3;
    if (c >= 0xf0 && c <= 0xf4)
        return 4;
    return 0;
}

bool utf8_valid(const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < len) {
        size_t n = seq_len(s[i]);
        if (!n || n > len - i)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
        if (n == 3) {
            if (s[i] == 0xe0 && s[i + 1] < 0xa0) /* overlong */
                return false;
            if (s[i] == 0xed && s[i + 1] > 0x9f) /* UTF-16 surrogate */
                return false;
        } else if (n == 4) {
            if (s[i] == 0xf0 && s[i + 1] < 0x90) /* overlong */
                return false;
            if (s[i] == 0xf4 && s[i + 1] > 0x8f) /* above U+10FFFF */
                return false;
        }
        i += n;
    }
    return true;
}

size_t utf8_decode(const char *str, size_t len, unsigned *out_cp)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t n = seq_len(s[0]);
    if (!n || n > len) {
        *out_cp = 0xfffd;
        return 1;
    }
    unsigned cp = n == 1 ? s[0] : n == 2 ? s[0] & 0x1fu : n == 3 ? s[0] & 0x0fu : s[0] & 0x07u;
    for (size_t k = 1; k < n; k++)
        cp = (cp << 6) | (s[k] & 0x3fu);
    *out_cp = cp;
    return n;
}

/* Walks code points, stopping before the one that would pass `limit` units;
 * a code point weighs 1, or 2 above U+FFFF when utf16 is set. */
static size_t walk(const char *str, size_t len, size_t limit, bool utf16, size_t *out_units)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0, units = 0;
    while (i < len) {
        size_t n = seq_len(s[i]);
        if (!n || n > len - i)
            n = 1; /* invalid byte: count it as one character rather than loop forever */
        size_t weight = utf16 && n == 4 ? 2 : 1;
        if (units + weight > limit)
            break;
        units += weight;
        i += n;
    }
    if (out_units)
        *out_units = units;
    return i;
}

size_t utf8_count(const char *s, size_t len)
{
    size_t units;
    walk(s, len, (size_t)-1, false, &units);
    return units;
}

size_t utf8_utf16_units(const char *s, size_t len)
{
    size_t units;
    walk(s, len, (size_t)-1, true, &units);
    return units;
}

size_t utf8_prefix_chars(const char *s, size_t len, size_t max_chars)
{
    return walk(s, len, max_chars, false, NULL);
}

size_t utf8_prefix_utf16(const char *s, size_t len, size_t max_units)
{
    return walk(s, len, max_units, true, NULL);
}

size_t utf8_prefix_bytes(const char *str, size_t len, size_t max_bytes)
{
    const unsigned char *s = (const unsigned char *)str;
    if (len <= max_bytes)
        return len;
    size_t end = max_bytes;
    /* step back over continuation bytes to the start of the cut character */
    while (end > 0 && (s[end] & 0xc0) == 0x80)
        end--;
    return end;
}

int utf8_encode(struct buf *out, unsigned cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xc0 | (cp >> 6));
        b[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xe0 | (cp >> 12));
        b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        b[0] = (char)(0xf0 | (cp >> 18));
        b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        b[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    return buf_add(out, b, n);
}

static unsigned search_fold(unsigned cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return cp + 0x20;
    if (cp >= 0xc0 && cp <= 0xde && cp != 0xd7) /* Latin-1 capitals */
        return cp + 0x20;
    if (cp >= 0x100 && cp <= 0x17f && cp != 0x130 && cp != 0x131 && cp != 0x138 && cp != 0x149 &&
        cp != 0x17f) {
        /* Latin Extended-A pairs capital/small as even/odd, except one stretch that is
         * odd/even */
        bool odd_capitals = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17e);
        if (odd_capitals ? (cp & 1) : !(cp & 1))
            return cp + 1;
        return cp;
    }
    if (cp >= 0x391 && cp <= 0x3a9 && cp != 0x3a2) /* Greek capitals */
        return cp + 0x20;
    if (cp >= 0x410 && cp <= 0x42f) /* Cyrillic А-Я */
        return cp + 0x20;
    if (cp >= 0x400 && cp <= 0x40f) /* Ѐ-Џ, Ё among them */
        cp += 0x50;
    if (cp == 0x451) /* ё searches as е */
        return 0x435;
    return cp;
}

int utf8_search_key(struct buf *out, const char *s, size_t len)
{
    int rc = 0;
    size_t i = 0;
    while (i < len && !rc) {
        size_t n = seq_len((unsigned char)s[i]);
        if (!n || n > len - i || !utf8_valid(s + i, n)) {
            rc = buf_addc(out, s[i]);
            i++;
            continue;
        }
        unsigned cp;
        utf8_decode(s + i, n, &cp);
        rc = utf8_encode(out, search_fold(cp));
        i += n;
    }
    return rc;
}
