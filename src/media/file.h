/*
 * The two file operations every picture written under MEDIA_DIR goes through:
 * directories created on the way, and files written whole or not at all.
 *
 * Rules:
 *  - media_file_write() writes to "<path>.tmp", flushes, closes and renames it
 *    onto path, so a reader (the bot uploading a photo, nginx serving it)
 *    never sees a half-written file; on failure the temporary file is removed.
 *  - Messages name the path and the system's reason ("media: cannot create
 *    directory data/media: Not a directory").
 */
#ifndef TGSHOP_MEDIA_FILE_H
#define TGSHOP_MEDIA_FILE_H

#include <stddef.h>

#include "core/buf.h"

/* mkdir -p dir (mode 0755). Returns 0 or ERR_IO with one line in err. */
int media_make_dirs(const char *dir, struct buf *err);
/* Creates path's parent directories, then writes data to path as the rules say. Returns 0 or
 * ERR_IO with one line in err. */
int media_file_write(const char *path, const void *data, size_t len, struct buf *err);

#endif
