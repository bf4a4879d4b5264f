#include "export/columns.h"

#include <string.h>

#include "shop/money.h"
#include "core/banned.h"

static struct export_cell text(const char *s)
{
    if (!s || !*s)
        return (struct export_cell){.type = EXPORT_EMPTY};
    return (struct export_cell){.type = EXPORT_TEXT, .text = s, .len = strlen(s)};
}

static struct export_cell integer(int64_t v)
{
    return (struct export_cell){.type = EXPORT_INT, .value = v};
}

static struct export_cell time_or_empty(int64_t t)
{
    return t ? (struct export_cell){.type = EXPORT_TIME, .value = t}
             : (struct export_cell){.type = EXPORT_EMPTY};
}

static void add_digits(struct buf *out, uint64_t u, int min_digits)
{
    char digits[24];
    size_t n = sizeof digits;
    do {
        digits[--n] = (char)('0' + u % 10);
        u /= 10;
    } while (u || (int)(sizeof digits - n) < min_digits);
    buf_add(out, digits + n, sizeof digits - n);
}

void export_money_plain(struct buf *out, int64_t amount, int exponent)
{
    uint64_t scale = 1;
    for (int i = 0; i < exponent; i++)
        scale *= 10;
    if (amount < 0)
        buf_addc(out, '-');
    uint64_t abs = amount < 0 ? 0 - (uint64_t)amount : (uint64_t)amount;
    add_digits(out, abs / scale, 1);
    if (exponent > 0) {
        buf_addc(out, '.');
        add_digits(out, abs % scale, exponent);
    }
}

enum column {
    COL_ID,
    COL_CREATED,
    COL_STATUS,
    COL_TOTAL,
    COL_CURRENCY,
    COL_ITEMS,
    COL_UNITS,
    COL_CONTACT,
    COL_PHONE,
    COL_ADDRESS,
    COL_COMMENT,
    COL_TG_ID,
    COL_USERNAME,
    COL_CUSTOMER,
    COL_PAID,
    COL_CHARGE,
    COL_PROVIDER_CHARGE,
    COL_UPDATED,
    COLUMN_COUNT
};

const struct export_column export_columns[] = {
    [COL_ID] = {"Order", EXPORT_INT, 9},
    [COL_CREATED] = {"Created (UTC)", EXPORT_TIME, 19},
    [COL_STATUS] = {"Status", EXPORT_TEXT, 16},
    [COL_TOTAL] = {"Total", EXPORT_MONEY, 12},
    [COL_CURRENCY] = {"Currency", EXPORT_TEXT, 8},
    [COL_ITEMS] = {"Items", EXPORT_TEXT, 48},
    [COL_UNITS] = {"Units", EXPORT_INT, 6},
    [COL_CONTACT] = {"Contact name", EXPORT_TEXT, 22},
    [COL_PHONE] = {"Phone", EXPORT_TEXT, 16},
    [COL_ADDRESS] = {"Address", EXPORT_TEXT, 32},
    [COL_COMMENT] = {"Comment", EXPORT_TEXT, 24},
    [COL_TG_ID] = {"Telegram id", EXPORT_INT, 12},
    [COL_USERNAME] = {"Username", EXPORT_TEXT, 16},
    [COL_CUSTOMER] = {"Customer", EXPORT_TEXT, 22},
    [COL_PAID] = {"Paid (UTC)", EXPORT_TIME, 19},
    [COL_CHARGE] = {"Telegram charge id", EXPORT_TEXT, 24},
    [COL_PROVIDER_CHARGE] = {"Provider charge id", EXPORT_TEXT, 24},
    [COL_UPDATED] = {"Updated (UTC)", EXPORT_TIME, 19},
};

const int export_column_count = COLUMN_COUNT;

/* "Чай Сенча × 2 @ 450.00; Coffee × 1 @ 1200.00" */
static const char *item_list(const struct order_record *r, struct arena *a)
{
    struct buf b = BUF_INIT;
    int exponent = money_exponent(r->currency);
    for (int i = 0; i < r->item_count; i++) {
        const struct order_item *it = &r->items[i];
        if (i)
            buf_add(&b, "; ", 2);
        buf_adds(&b, it->name);
        buf_adds(&b, " × ");
        buf_add_int(&b, it->quantity);
        buf_add(&b, " @ ", 3);
        export_money_plain(&b, it->price, exponent);
    }
    char *s = arena_memdup(a, b.data, b.len + 1);
    buf_release(&b);
    return s;
}

static const char *customer_name(const struct order_record *r, struct arena *a)
{
    const char *first = r->customer_first_name ? r->customer_first_name : "";
    const char *last = r->customer_last_name ? r->customer_last_name : "";
    size_t f = strlen(first), l = strlen(last), gap = f && l;
    char *name = arena_alloc(a, f + gap + l + 1);
    memcpy(name, first, f);
    memcpy(name + f, " ", gap);
    memcpy(name + f + gap, last, l + 1);
    return name;
}

static struct export_cell cell(enum column c, const struct order_record *r, struct arena *a)
{
    switch (c) {
    case COL_ID:
        return integer(r->id);
    case COL_CREATED:
        return time_or_empty(r->created_at);
    case COL_STATUS:
        return text(order_status_name(r->status));
    case COL_TOTAL:
        return (struct export_cell){
            .type = EXPORT_MONEY, .value = r->total, .exponent = money_exponent(r->currency)};
    case COL_CURRENCY:
        return text(r->currency);
    case COL_ITEMS:
        return text(item_list(r, a));
    case COL_UNITS:
        return integer(r->units);
    case COL_CONTACT:
        return text(r->contact_name);
    case COL_PHONE:
        return text(r->phone);
    case COL_ADDRESS:
        return text(r->address);
    case COL_COMMENT:
        return text(r->comment);
    case COL_TG_ID:
        return integer(r->customer_tg_id);
    case COL_USERNAME:
        return text(r->customer_username);
    case COL_CUSTOMER:
        return text(customer_name(r, a));
    case COL_PAID:
        return time_or_empty(r->paid_at);
    case COL_CHARGE:
        return text(r->charge_id);
    case COL_PROVIDER_CHARGE:
        return text(r->provider_charge_id);
    case COL_UPDATED:
        return time_or_empty(r->updated_at);
    case COLUMN_COUNT:
        break;
    }
    return (struct export_cell){.type = EXPORT_EMPTY};
}

void export_row_cells(struct export_cell *cells, const struct order_record *r, struct arena *a)
{
    for (int i = 0; i < COLUMN_COUNT; i++)
        cells[i] = cell((enum column)i, r, a);
}
