#include "shop/money.h"

#include <string.h>

#include "core/err.h"
#include "core/banned.h"

int money_exponent(const char *currency)
{
    static const char *const zero_decimal[] = {"XTR", "JPY", "KRW", "VND", "CLP", "ISK", "UGX"};
    for (size_t i = 0; i < sizeof zero_decimal / sizeof *zero_decimal; i++)
        if (!strcmp(currency, zero_decimal[i]))
            return 0;
    return 2;
}

void money_format(struct buf *out, int64_t amount, const char *currency)
{
    static const struct {
        const char *code, *sign;
    } signs[] = {{"XTR", "⭐"}, {"RUB", "₽"}, {"USD", "$"}, {"EUR", "€"},
                 {"UAH", "₴"}, {"KZT", "₸"},   {"GBP", "£"}};
    const char *sign = currency;
    for (size_t i = 0; i < sizeof signs / sizeof *signs; i++)
        if (!strcmp(currency, signs[i].code))
            sign = signs[i].sign;
    const char *minus = amount < 0 ? "-" : "";
    /* negate in unsigned arithmetic: -INT64_MIN does not exist */
    uint64_t abs = amount < 0 ? 0 - (uint64_t)amount : (uint64_t)amount;
    if (money_exponent(currency) == 0)
        buf_addf(out, "%s%llu %s", minus, (unsigned long long)abs, sign);
    else
        buf_addf(out, "%s%llu.%02llu %s", minus, (unsigned long long)(abs / 100),
                 (unsigned long long)(abs % 100), sign);
}

int money_parse(const char *s, const char *currency, int64_t *out)
{
    enum { DIGITS_MAX = 13 };
    int exponent = money_exponent(currency);
    int64_t whole = 0, fraction = 0;
    int digits = 0, decimals = 0;
    const char *p = s;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (++digits > DIGITS_MAX)
            return ERR_INVALID;
        whole = whole * 10 + (*p - '0');
    }
    if (!digits)
        return ERR_INVALID;
    if ((*p == '.' || *p == ',') && exponent > 0) {
        for (p++; *p >= '0' && *p <= '9'; p++) {
            if (++decimals > exponent)
                return ERR_INVALID;
            fraction = fraction * 10 + (*p - '0');
        }
        if (!decimals)
            return ERR_INVALID;
    }
    if (*p)
        return ERR_INVALID;
    int64_t scale = 1;
    for (int i = 0; i < exponent; i++)
        scale *= 10;
    for (int i = decimals; i < exponent; i++)
        fraction *= 10;
    *out = whole * scale + fraction;
    return 0;
}
