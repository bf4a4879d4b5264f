#include "export/export.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "export/writer.h"
#include "core/banned.h"

enum { PROGRESS_EVERY = 1000 };

static const struct {
    const char *name, *content_type;
    const struct export_writer_ops *ops;
} formats[] = {
    [EXPORT_CSV] = {"csv", "text/csv; charset=utf-8", &export_csv_ops},
    [EXPORT_XLSX] = {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     &export_xlsx_ops},
};

int export_format_parse(const char *name, enum export_format *out)
{
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++) {
        if (name && !strcmp(name, formats[i].name)) {
            *out = (enum export_format)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

const char *export_format_name(enum export_format format)
{
    return formats[format].name;
}

const char *export_content_type(enum export_format format)
{
    return formats[format].content_type;
}

struct run {
    const struct export_options *opt;
    const struct export_writer_ops *ops;
    struct export_writer *w;
    struct export_cell *cells;
    struct arena a; /* one row's texts */
    int64_t done, total;
    struct buf *err;
};

static int on_order(const struct order_record *r, void *ctx)
{
    struct run *run = ctx;
    export_row_cells(run->cells, r, &run->a);
    int rc = run->ops->row(run->w, run->cells, run->err);
    arena_reset(&run->a);
    if (rc)
        return rc;
    if (++run->done % PROGRESS_EVERY == 0 && run->opt->progress)
        run->opt->progress(run->done, run->total, run->opt->progress_ctx);
    return 0;
}

int export_orders(struct db *db, const struct order_filter *f, const struct export_options *opt,
                  int fd, int64_t *out_rows, struct buf *err)
{
    struct run run = {.opt = opt, .ops = formats[opt->format].ops, .err = err};
    arena_init(&run.a, 8 * 1024);
    if (opt->progress) { /* the count, for "N of M"; cheap: it reads only the index */
        struct order_totals totals;
        int rc = order_query_totals(db, &run.a, f, &totals);
        arena_reset(&run.a);
        if (rc) {
            buf_setf(err, "cannot count the orders: %s", db_errmsg(db));
            arena_release(&run.a);
            return rc;
        }
        run.total = totals.count;
    }
    int rc = run.ops->open(&run.w, opt, fd, err);
    if (rc == 0) {
        run.cells = xcalloc((size_t)export_column_count, sizeof *run.cells);
        rc = order_query_each(db, f, on_order, &run);
        if (rc && !err->len)
            buf_setf(err, "cannot read the orders: %s", db_errmsg(db));
        free(run.cells);
    }
    if (run.w) {
        int closed = run.ops->close(run.w, rc == 0, err);
        rc = rc ? rc : closed;
    }
    if (rc == 0 && opt->progress && (run.done == 0 || run.done % PROGRESS_EVERY))
        opt->progress(run.done, run.total > run.done ? run.total : run.done, opt->progress_ctx);
    if (out_rows)
        *out_rows = run.done;
    arena_release(&run.a);
    return rc;
}
