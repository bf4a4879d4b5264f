/* The XLSX writer: libxlsxwriter in constant-memory mode (rows go to a temporary file as they
 * come; only the current row is in memory). libxlsxwriter writes to a named file, so the
 * workbook is made in a temporary file and then copied to the caller's descriptor. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "core/err.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "export/writer.h"
#include "core/banned.h"

/* Excel keeps at most 32767 characters in a cell */
enum { MAX_EXPONENT = 4, COPY_CHUNK = 64 * 1024, CELL_CHARS_MAX = 32767 };

struct export_writer {
    int fd;
    lxw_workbook *wb;
    lxw_worksheet *ws;
    lxw_format *bold, *date, *money[MAX_EXPONENT + 1];
    lxw_row_t row; /* the next row to write */
    struct buf path;
    struct buf scratch;
};

static int lxw_failed(struct buf *err, const char *what, lxw_error e)
{
    buf_setf(err, "cannot %s the XLSX file: %s", what, lxw_strerror(e));
    return e == LXW_ERROR_MEMORY_MALLOC_FAILED ? ERR_INTERNAL : ERR_IO;
}

/* "#,##0" for whole units, "#,##0.00" for cents, ... */
static lxw_format *money_format(lxw_workbook *wb, int exponent)
{
    char code[16] = "#,##0";
    if (exponent > 0) {
        size_t n = strlen(code);
        code[n++] = '.';
        for (int i = 0; i < exponent; i++)
            code[n++] = '0';
        code[n] = '\0';
    }
    lxw_format *f = workbook_add_format(wb);
    format_set_num_format(f, code);
    return f;
}

static int write_text(struct export_writer *w, lxw_col_t col, const char *s, size_t len,
                      lxw_format *format, struct buf *err)
{
    /* longer texts are cut on a character boundary; the library wants a NUL at the end */
    size_t keep = utf8_prefix_chars(s, len, CELL_CHARS_MAX);
    if (keep != len || s[len] != '\0') {
        buf_reset(&w->scratch);
        buf_add(&w->scratch, s, keep);
        s = w->scratch.data;
    }
    lxw_error e = worksheet_write_string(w->ws, w->row, col, s, format);
    return e ? lxw_failed(err, "write a cell of", e) : 0;
}

static int xlsx_row(struct export_writer *w, const struct export_cell *cells, struct buf *err)
{
    if (w->row >= LXW_ROW_MAX) {
        buf_setf(err, "an XLSX sheet holds at most %d orders: narrow the filter or export CSV",
                 LXW_ROW_MAX - 1);
        return ERR_TOOBIG;
    }
    for (int i = 0; i < export_column_count; i++) {
        const struct export_cell *c = &cells[i];
        lxw_col_t col = (lxw_col_t)i;
        lxw_error e = LXW_NO_ERROR;
        switch (c->type) {
        case EXPORT_EMPTY:
            break;
        case EXPORT_INT:
            e = worksheet_write_number(w->ws, w->row, col, (double)c->value, NULL);
            break;
        case EXPORT_TEXT: {
            int rc = write_text(w, col, c->text, c->len, NULL, err);
            if (rc)
                return rc;
            break;
        }
        case EXPORT_TIME:
            e = worksheet_write_unixtime(w->ws, w->row, col, c->value, w->date);
            break;
        case EXPORT_MONEY: {
            int exponent = c->exponent < 0              ? 0
                           : c->exponent > MAX_EXPONENT ? MAX_EXPONENT
                                                        : c->exponent;
            double scale = 1;
            for (int k = 0; k < exponent; k++)
                scale *= 10;
            e = worksheet_write_number(w->ws, w->row, col, (double)c->value / scale,
                                       w->money[exponent]);
            break;
        }
        }
        if (e)
            return lxw_failed(err, "write a cell of", e);
    }
    w->row++;
    return 0;
}

static const char *temp_dir(const struct export_options *opt)
{
    if (opt->tmpdir && *opt->tmpdir)
        return opt->tmpdir;
    const char *env = getenv("TMPDIR");
    return env && *env ? env : "/tmp";
}

static void free_writer(struct export_writer *w)
{
    buf_release(&w->path);
    buf_release(&w->scratch);
    free(w);
}

static int xlsx_open(struct export_writer **out, const struct export_options *opt, int fd,
                     struct buf *err)
{
    *out = NULL;
    struct export_writer *w = xcalloc(1, sizeof *w);
    w->fd = fd;
    buf_init(&w->path, 0);
    buf_init(&w->scratch, 0);
    const char *dir = temp_dir(opt);
    buf_setf(&w->path, "%s/tgshop-export-XXXXXX", dir);
    int tmp = mkstemp(w->path.data);
    if (tmp < 0) {
        buf_setf(err, "cannot create a temporary file in %s: %s", dir, strerror(errno));
        free_writer(w);
        return ERR_IO;
    }
    close(tmp);
    lxw_workbook_options options = {
        .constant_memory = LXW_TRUE, .tmpdir = (char *)dir, .use_zip64 = LXW_TRUE};
    w->wb = workbook_new_opt(w->path.data, &options);
    w->ws = w->wb ? workbook_add_worksheet(w->wb, "Orders") : NULL;
    if (!w->ws) {
        buf_setf(err, "cannot start an XLSX file in %s", dir);
        if (w->wb)
            workbook_close(w->wb);
        unlink(w->path.data);
        free_writer(w);
        return ERR_IO;
    }
    w->bold = workbook_add_format(w->wb);
    format_set_bold(w->bold);
    w->date = workbook_add_format(w->wb);
    format_set_num_format(w->date, "yyyy-mm-dd hh:mm:ss");
    for (int i = 0; i <= MAX_EXPONENT; i++)
        w->money[i] = money_format(w->wb, i);
    *out = w;
    for (int i = 0; i < export_column_count; i++) {
        lxw_error e =
            worksheet_set_column(w->ws, (lxw_col_t)i, (lxw_col_t)i, export_columns[i].width, NULL);
        if (e)
            return lxw_failed(err, "lay out", e);
        const char *h = export_columns[i].header;
        int rc = write_text(w, (lxw_col_t)i, h, strlen(h), w->bold, err);
        if (rc)
            return rc;
    }
    worksheet_freeze_panes(w->ws, 1, 0);
    w->row = 1;
    return 0;
}

/* Copies the finished workbook to the caller's descriptor. */
static int copy_out(struct export_writer *w, struct buf *err)
{
    int in = open(w->path.data, O_RDONLY | O_CLOEXEC);
    if (in < 0) {
        buf_setf(err, "cannot read the XLSX file back: %s", strerror(errno));
        return ERR_IO;
    }
    char *chunk = xmalloc(COPY_CHUNK);
    int rc = 0;
    for (;;) {
        ssize_t n = read(in, chunk, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            buf_setf(err, "cannot read the XLSX file back: %s", strerror(errno));
            rc = ERR_IO;
        }
        if (n <= 0 || (rc = export_write_all(w->fd, chunk, (size_t)n, err)))
            break;
    }
    free(chunk);
    close(in);
    return rc;
}

static int xlsx_close(struct export_writer *w, bool ok, struct buf *err)
{
    int rc = 0;
    if (ok && w->row > 1)
        worksheet_autofilter(w->ws, 0, 0, w->row - 1, (lxw_col_t)(export_column_count - 1));
    lxw_error e = workbook_close(w->wb); /* also frees it */
    if (ok && e)
        rc = lxw_failed(err, "finish", e);
    if (ok && !rc)
        rc = copy_out(w, err);
    unlink(w->path.data);
    free_writer(w);
    return rc;
}

const struct export_writer_ops export_xlsx_ops = {xlsx_open, xlsx_row, xlsx_close};
