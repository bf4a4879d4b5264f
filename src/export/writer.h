/*
 * The two file writers of the export behind one interface (internal to
 * src/export): open on a file descriptor, one call per row of typed cells
 * (export/columns.h), close. The header row is the writer's first row.
 */
#ifndef TGSHOP_EXPORT_WRITER_H
#define TGSHOP_EXPORT_WRITER_H

#include <stdbool.h>

#include "core/buf.h"
#include "export/columns.h"
#include "export/export.h"

struct export_writer;

struct export_writer_ops {
    /* Starts a file on fd and writes the header row. */
    int (*open)(struct export_writer **out, const struct export_options *opt, int fd,
                struct buf *err);
    int (*row)(struct export_writer *w, const struct export_cell *cells, struct buf *err);
    /* Finishes the file when ok (else only cleans up) and frees w. */
    int (*close)(struct export_writer *w, bool ok, struct buf *err);
};

extern const struct export_writer_ops export_csv_ops;
extern const struct export_writer_ops export_xlsx_ops;

/* Writes all of data to fd, retrying after signals. ERR_IO with err set on failure. */
int export_write_all(int fd, const void *data, size_t len, struct buf *err);

#endif
