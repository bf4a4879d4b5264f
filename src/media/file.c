#include "media/file.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/banned.h"

int media_make_dirs(const char *dir, struct buf *err)
{
    struct buf path = BUF_INIT;
    buf_adds(&path, dir);
    int rc = 0;
    for (size_t i = 1; i <= path.len && !rc; i++) {
        if (path.data[i] != '/' && path.data[i] != '\0')
            continue;
        char saved = path.data[i];
        path.data[i] = '\0';
        struct stat st;
        if (mkdir(path.data, 0755) != 0 && errno != EEXIST)
            rc = ERR_IO;
        else if (stat(path.data, &st) != 0)
            rc = ERR_IO;
        else if (!S_ISDIR(st.st_mode)) {
            errno = ENOTDIR;
            rc = ERR_IO;
        }
        if (rc)
            buf_setf(err, "media: cannot create directory %s: %s", path.data, strerror(errno));
        path.data[i] = saved;
    }
    buf_release(&path);
    return rc;
}

int media_file_write(const char *path, const void *data, size_t len, struct buf *err)
{
    struct buf tmp = BUF_INIT;
    const char *slash = strrchr(path, '/');
    int rc = 0;
    if (slash && slash != path) {
        buf_add(&tmp, path, (size_t)(slash - path));
        if ((rc = media_make_dirs(tmp.data, err)))
            goto done;
    }
    buf_setf(&tmp, "%s.tmp", path);
    FILE *f = fopen(tmp.data, "wb");
    if (!f) {
        buf_setf(err, "media: cannot write %s: %s", tmp.data, strerror(errno));
        rc = ERR_IO;
        goto done;
    }
    size_t n = fwrite(data, 1, len, f);
    int write_errno = errno;
    if (fclose(f) != 0 || n != len) {
        buf_setf(err, "media: cannot write %s: %s", tmp.data,
                 strerror(n != len ? write_errno : errno));
        rc = ERR_IO;
    } else if (rename(tmp.data, path) != 0) {
        buf_setf(err, "media: cannot rename %s to %s: %s", tmp.data, path, strerror(errno));
        rc = ERR_IO;
    }
    if (rc)
        unlink(tmp.data);
done:
    buf_release(&tmp);
    return rc;
}
