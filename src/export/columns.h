/*
 * The columns of an order export, shared by the CSV and the XLSX writer: one
 * table says what each column is called, what type its cells are and how to
 * get them from an order, so both files always have the same columns.
 *
 * Cells are typed; each writer renders a type its own way: CSV as text
 * (times as "2025-12-01 09:30:00" UTC, money as "1290.00" with the currency's
 * decimals), XLSX as numbers, date cells and formatted money.
 */
#ifndef TGSHOP_EXPORT_COLUMNS_H
#define TGSHOP_EXPORT_COLUMNS_H

#include <stdint.h>

#include "core/arena.h"
#include "shop/order_query.h"

enum export_cell_type {
    EXPORT_EMPTY,
    EXPORT_INT,   /* value */
    EXPORT_TEXT,  /* text (UTF-8, not NUL-terminated necessarily: len counts) */
    EXPORT_TIME,  /* value: UTC seconds */
    EXPORT_MONEY, /* value: minor units; exponent: the currency's decimals */
};

struct export_cell {
    enum export_cell_type type;
    int64_t value;
    int exponent;
    const char *text;
    size_t len;
};

struct export_column {
    const char *header;
    enum export_cell_type type; /* of its cells (EXPORT_EMPTY when a value is missing) */
    double width;               /* spreadsheet column width, in characters */
};

extern const struct export_column export_columns[];
extern const int export_column_count;

/* Fills cells[export_column_count] for one order; texts built for the row (the item list,
 * the customer's name) go to arena a and stay valid until it is reset. */
void export_row_cells(struct export_cell *cells, const struct order_record *r, struct arena *a);

/* Appends minor units as a plain decimal number with `exponent` decimals ("1290.00"). */
void export_money_plain(struct buf *out, int64_t amount, int exponent);

#endif
