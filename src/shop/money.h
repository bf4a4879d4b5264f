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

#endif
