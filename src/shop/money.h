/*
 * Money is an integer count of the currency's minor units everywhere
 * (kopecks, cents, stars). These helpers know how many decimals a currency
 * has (ISO 4217; Telegram Stars XTR has none) and print amounts for people.
 */
#ifndef TGSHOP_SHOP_MONEY_H
#define TGSHOP_SHOP_MONEY_H

#include <stdint.h>

#include "core/buf.h"

/* Decimal places of the currency's minor unit: 0 for XTR, JPY, KRW, ...; 2 otherwise. */
int money_exponent(const char *currency);
/* Appends "450 ⭐", "1290.00 ₽", "12.50 $", "99.00 GEL". */
void money_format(struct buf *out, int64_t amount, const char *currency);
/* Reads an amount typed by people in the currency's major units ("1290", "1290.5",
 * "1290,50"; no sign, at most as many decimals as the currency has) into minor units.
 * ERR_INVALID for anything else, or past 10^15 minor units. */
int money_parse(const char *s, const char *currency, int64_t *out);

#endif
