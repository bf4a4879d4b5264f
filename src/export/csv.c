/* The CSV writer (RFC 4180): see export/export.h for the format. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "export/writer.h"
#include "core/banned.h"

enum { FLUSH_AT = 64 * 1024 };

struct export_writer {
    int fd;
    struct buf out;
};

int export_write_all(int fd, const void *data, size_t len, struct buf *err)
{
    const char *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            buf_setf(err, "cannot write the export: %s", n < 0 ? strerror(errno) : "no progress");
            return ERR_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static int flush(struct export_writer *w, struct buf *err)
{
    int rc = export_write_all(w->fd, w->out.data, w->out.len, err);
    buf_reset(&w->out);
    return rc;
}

/* A cell a spreadsheet would run as a formula (or whose first character it would eat). */
static bool looks_like_formula(const char *s, size_t len)
{
    return len && strchr("=+-@\t\r", s[0]) && s[0] != '\0';
}

static void add_text(struct buf *out, const char *s, size_t len)
{
    bool neutralise = looks_like_formula(s, len);
    bool quote = neutralise || memchr(s, ',', len) || memchr(s, '"', len) || memchr(s, '\n', len) ||
                 memchr(s, '\r', len);
    if (!quote) {
        buf_add(out, s, len);
        return;
    }
    buf_addc(out, '"');
    if (neutralise)
        buf_addc(out, '\'');
    for (const char *end = s + len, *q; s < end; s = q + 1) {
        q = memchr(s, '"', (size_t)(end - s));
        if (!q) {
            buf_add(out, s, (size_t)(end - s));
            break;
        }
        buf_add(out, s, (size_t)(q - s + 1));
        buf_addc(out, '"'); /* a quote inside is doubled */
    }
    buf_addc(out, '"');
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
}

/* "2025-12-01 09:30:00" for UTC seconds t; days to a civil date as in Howard Hinnant's
 * "chrono-compatible low-level date algorithms" (proleptic Gregorian, any year). */
static void add_time(struct buf *out, int64_t t)
{
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int d = (int)(doy - (153 * mp + 2) / 5 + 1);
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    int64_t y = yoe + era * 400 + (m <= 2);
    if (y < 0 || y > 9999) { /* not a time an order has; keep the number */
        buf_add_int(out, t);
        return;
    }
    char s[19];
    put2(s, (int)(y / 100));
    put2(s + 2, (int)(y % 100));
    s[4] = '-';
    put2(s + 5, m);
    s[7] = '-';
    put2(s + 8, d);
    s[10] = ' ';
    put2(s + 11, (int)(secs / 3600));
    s[13] = ':';
    put2(s + 14, (int)(secs / 60 % 60));
    s[16] = ':';
    put2(s + 17, (int)(secs % 60));
    buf_add(out, s, sizeof s);
}

static void add_cell(struct buf *out, const struct export_cell *c)
{
    switch (c->type) {
    case EXPORT_EMPTY:
        break;
    case EXPORT_INT:
        buf_add_int(out, c->value);
        break;
    case EXPORT_TEXT:
        add_text(out, c->text, c->len);
        break;
    case EXPORT_TIME:
        add_time(out, c->value);
        break;
    case EXPORT_MONEY:
        export_money_plain(out, c->value, c->exponent);
        break;
    }
}

static int csv_row(struct export_writer *w, const struct export_cell *cells, struct buf *err)
{
    for (int i = 0; i < export_column_count; i++) {
        if (i)
            buf_addc(&w->out, ',');
        add_cell(&w->out, &cells[i]);
    }
    buf_add(&w->out, "\r\n", 2);
    return w->out.len >= FLUSH_AT ? flush(w, err) : 0;
}

static int csv_open(struct export_writer **out, const struct export_options *opt, int fd,
                    struct buf *err)
{
    struct export_writer *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    buf_init(&w->out, 0);
    buf_grow(&w->out, FLUSH_AT + 4096);
    if (opt->bom)
        buf_adds(&w->out, "\xEF\xBB\xBF");
    struct export_cell *header = xcalloc((size_t)export_column_count, sizeof *header);
    for (int i = 0; i < export_column_count; i++)
        header[i] = (struct export_cell){.type = EXPORT_TEXT,
                                         .text = export_columns[i].header,
                                         .len = strlen(export_columns[i].header)};
    int rc = csv_row(w, header, err);
    free(header);
    *out = w;
    return rc;
}

static int csv_close(struct export_writer *w, bool ok, struct buf *err)
{
    int rc = ok ? flush(w, err) : 0;
    buf_release(&w->out);
    free(w);
    return rc;
}

const struct export_writer_ops export_csv_ops = {csv_open, csv_row, csv_close};
