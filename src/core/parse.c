#include "core/parse.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/util.h"
#include "core/banned.h"

int parse_int64_n(const char *s, size_t len, int64_t *out)
{
    size_t i = 0;
    bool negative = false;
    if (i < len && (s[i] == '-' || s[i] == '+'))
        negative = s[i++] == '-';
    if (i == len)
        return ERR_INVALID;
    uint64_t limit = negative ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    uint64_t value = 0;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return ERR_INVALID;
        unsigned digit = (unsigned)(s[i] - '0');
        if (value > (limit - digit) / 10)
            return ERR_INVALID;
        value = value * 10 + digit;
    }
    if (negative)
        *out = value == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)value;
    else
        *out = (int64_t)value;
    return 0;
}

int parse_int64(const char *s, int64_t *out)
{
    return parse_int64_n(s, strlen(s), out);
}

int parse_double(const char *s, double *out)
{
    if (!*s || strchr(" \t\n\r\f\v", *s))
        return ERR_INVALID;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v))
        return ERR_INVALID;
    *out = v;
    return 0;
}

int parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcasecmp(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (!strcasecmp(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return ERR_INVALID;
}
