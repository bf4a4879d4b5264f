/*
 * Export of orders to CSV or XLSX, streaming: orders come from
 * order_query_each() a batch at a time and leave as rows at once, so memory
 * stays flat whatever the count (100k orders: a few MiB).
 *
 *  - Both formats have the same columns (export/columns.h), newest order first.
 *  - CSV: RFC 4180 (comma, CRLF, fields with a comma, quote or line break in
 *    quotes, quotes doubled), UTF-8, optionally a byte order mark so that
 *    Excel reads Cyrillic right. Times "2025-12-01 09:30:00" UTC, money as
 *    plain decimals with the currency's decimals ("1290.00", stars "450").
 *  - XLSX: libxlsxwriter in constant-memory mode; ids and counts are numbers,
 *    times are date cells, money is a number with a format of the currency's
 *    decimals. A header row that stays in view and an autofilter.
 *  - Formula injection: a CSV text cell starting with = + - @, a tab or a CR
 *    gets a leading apostrophe, so a spreadsheet shows it as text instead of
 *    running it; XLSX writes every text as a string cell, never a formula.
 */
#ifndef TGSHOP_EXPORT_EXPORT_H
#define TGSHOP_EXPORT_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "db/db.h"
#include "shop/order_query.h"

enum export_format { EXPORT_CSV, EXPORT_XLSX };

/* "csv" or "xlsx"; ERR_INVALID otherwise. */
int export_format_parse(const char *name, enum export_format *out);
const char *export_format_name(enum export_format format);
/* The MIME type for a download. */
const char *export_content_type(enum export_format format);

/* Told how far the export is: every 1000 orders and once at the end. */
typedef void export_progress_fn(int64_t done, int64_t total, void *ctx);

struct export_options {
    enum export_format format;
    bool bom;                     /* CSV: start with a UTF-8 byte order mark */
    const char *tmpdir;           /* XLSX works in a temporary file there; NULL: $TMPDIR or /tmp */
    export_progress_fn *progress; /* may be NULL */
    void *progress_ctx;
};

/* Writes the orders matching f to fd (a file, a pipe or a socket). *out_rows (may be NULL)
 * gets the number of orders written. On failure err says what failed; what reached fd is
 * incomplete. ERR_IO: fd or the temporary file failed; ERR_TOOBIG: more orders than an XLSX
 * sheet holds (1048575). */
int export_orders(struct db *db, const struct order_filter *f, const struct export_options *opt,
                  int fd, int64_t *out_rows, struct buf *err);

#endif
