#include "media/upload.h"

#include <errno.h>
#include <gd.h>
#include <inttypes.h>
#include <pthread.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/image.h"
#include "core/log.h"
#include "core/util.h"
#include "media/file.h"
#include "core/banned.h"

enum {
    JPEG_QUALITY = 88,
    TELEGRAM_SIDES_SUM = 10000, /* width + height of a photo */
    TELEGRAM_RATIO = 20,        /* longer side : shorter side */
    NAME_BYTES = 16,            /* random bytes of a stored name: 32 hex digits */
    GD_WARNING_LEVEL = 4,       /* gd_errors.h's GD_WARNING (syslog's LOG_WARNING); that header
                                   pulls in syslog.h, whose LOG_* names clash with core/log.h */
};

/* Warnings and errors libgd reported on this thread since the last decode began. libjpeg
 * reports a truncated or corrupt file as a "recoverable error" and still returns a picture
 * (grey where the data was missing), so for JPEG any of them refuses the upload. (libpng's
 * warnings are about metadata such as a known-bad sRGB profile: harmless.) */
static _Thread_local int gd_complaints;

/* libgd reports on stderr by default; hostile uploads would fill it. */
static void log_gd(int priority, const char *fmt, va_list ap)
{
    if (priority <= GD_WARNING_LEVEL)
        gd_complaints++;
    struct buf line = BUF_INIT;
    buf_vaddf(&line, fmt, ap);
    while (line.len && line.data[line.len - 1] == '\n')
        buf_truncate(&line, line.len - 1);
    log_debug("media: libgd: %s", line.data);
    buf_release(&line);
}

static void setup_gd(void)
{
    gdSetErrorMethod(log_gd);
}

static bool valid_folder(const char *folder)
{
    if (!folder || !*folder)
        return false;
    for (const char *c = folder; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '-' || *c == '_'))
            return false;
    return true;
}

/* Refuses what is not an accepted picture or breaks a limit, from the header alone. */
static int check_header(const void *data, size_t len, const struct media_limits *limits,
                        struct image_info *info, struct buf *err)
{
    size_t max_bytes = limits && limits->max_bytes ? limits->max_bytes : MEDIA_MAX_BYTES;
    int64_t max_pixels = limits && limits->max_pixels ? limits->max_pixels : MEDIA_MAX_PIXELS;
    if (len == 0) {
        buf_setf(err, "the file is empty");
        return ERR_INVALID;
    }
    if (len > max_bytes || len > (size_t)INT32_MAX) {
        buf_setf(err, "the file is %zu bytes; at most %zu are accepted", len, max_bytes);
        return ERR_TOOBIG;
    }
    if (image_sniff(data, len, info) ||
        (strcmp(info->mime, "image/jpeg") && strcmp(info->mime, "image/png") &&
         strcmp(info->mime, "image/webp"))) {
        buf_setf(err, "not a JPEG, PNG or WebP picture");
        return ERR_INVALID;
    }
    int64_t w = info->width, h = info->height;
    if (w * h > max_pixels) {
        buf_setf(err,
                 "the picture is %" PRId64 "×%" PRId64 " pixels; at most %" PRId64
                 " megapixels are accepted",
                 w, h, max_pixels / 1000000);
        return ERR_TOOBIG;
    }
    if (w + h > TELEGRAM_SIDES_SUM || w > h * TELEGRAM_RATIO || h > w * TELEGRAM_RATIO) {
        buf_setf(err,
                 "the picture is %" PRId64 "×%" PRId64 " pixels; Telegram takes photos whose "
                 "width and height add up to at most %d, with sides at most %d:1",
                 w, h, TELEGRAM_SIDES_SUM, TELEGRAM_RATIO);
        return ERR_TOOBIG;
    }
    return 0;
}

/* A TIFF number of n bytes (2 or 4) in the byte order the TIFF header chose. */
static unsigned long tiff_number(const unsigned char *p, int n, bool little)
{
    unsigned long v = 0;
    for (int i = 0; i < n; i++)
        v |= (unsigned long)p[little ? i : n - 1 - i] << (8 * i);
    return v;
}

/* The Orientation tag (1-8) of the EXIF block t[0, len) (a TIFF header and IFD0); 1 when
 * there is none or the block is unreadable. */
static int exif_orientation(const unsigned char *t, size_t len)
{
    if (len < 8 || !((t[0] == 'I' && t[1] == 'I') || (t[0] == 'M' && t[1] == 'M')))
        return 1;
    bool little = t[0] == 'I';
    unsigned long ifd = tiff_number(t + 4, 4, little);
    if (tiff_number(t + 2, 2, little) != 42 || ifd > len - 2)
        return 1;
    unsigned long entries = tiff_number(t + ifd, 2, little);
    for (unsigned long k = 0; k < entries && ifd + 2 + 12 * (k + 1) <= len; k++) {
        const unsigned char *e = t + ifd + 2 + 12 * k;
        if (tiff_number(e, 2, little) == 0x0112 && tiff_number(e + 2, 2, little) == 3) {
            unsigned long v = tiff_number(e + 8, 2, little);
            return v >= 1 && v <= 8 ? (int)v : 1;
        }
    }
    return 1;
}

/* The EXIF orientation of a JPEG (its APP1 "Exif" segment before the scan), 1 = as stored. */
static int jpeg_orientation(const unsigned char *d, size_t len)
{
    for (size_t i = 2; i + 4 <= len && d[i] == 0xff && d[i + 1] != 0xda;) {
        size_t seg = (size_t)d[i + 2] << 8 | d[i + 3];
        if (seg < 2 || i + 2 + seg > len)
            break;
        if (d[i + 1] == 0xe1 && seg >= 8 && !memcmp(d + i + 4, "Exif\0\0", 6))
            return exif_orientation(d + i + 10, seg - 8);
        i += 2 + seg;
    }
    return 1;
}

/* im turned upright as the EXIF orientation says (a phone photo taken sideways): the stored
 * copy loses the tag, so its pixels must stand right. Returns im or its replacement. */
static gdImagePtr apply_orientation(gdImagePtr im, int orientation)
{
    /* counter-clockwise degrees, then a flip: 0 none, 'h' horizontal, 'v' vertical */
    static const struct {
        int angle;
        char flip;
    } turns[9] = {{0, 0},    {0, 0},   {0, 'h'},   {180, 0}, {0, 'v'},
                  {90, 'v'}, {270, 0}, {270, 'v'}, {90, 0}};
    if (turns[orientation].angle) {
        gdImagePtr turned = gdImageRotateInterpolated(im, (float)turns[orientation].angle, 0);
        if (!turned)
            return im; /* out of memory: stored as it lies rather than not at all */
        gdImageDestroy(im);
        im = turned;
    }
    if (turns[orientation].flip == 'h')
        gdImageFlipHorizontal(im);
    else if (turns[orientation].flip == 'v')
        gdImageFlipVertical(im);
    return im;
}

static gdImagePtr decode(const void *data, size_t len, const struct image_info *info,
                         struct buf *err)
{
    gdImagePtr im;
    bool jpeg = !strcmp(info->mime, "image/jpeg");
    gd_complaints = 0;
    if (jpeg)
        im = gdImageCreateFromJpegPtrEx((int)len, (void *)data, 0);
    else if (!strcmp(info->mime, "image/png"))
        im = gdImageCreateFromPngPtr((int)len, (void *)data);
    else
        im = gdImageCreateFromWebpPtr((int)len, (void *)data);
    if (im && ((jpeg && gd_complaints) || gdImageSX(im) != info->width ||
               gdImageSY(im) != info->height)) {
        gdImageDestroy(im);
        im = NULL;
    }
    if (!im) {
        buf_setf(err, "the picture is damaged or incomplete: it does not decode");
        return NULL;
    }
    return jpeg ? apply_orientation(im, jpeg_orientation(data, len)) : im;
}

/* src scaled to fit in a side × side box (never enlarged), on white. NULL when out of memory. */
static gdImagePtr fit_on_white(gdImagePtr src, int side)
{
    int w = gdImageSX(src), h = gdImageSY(src);
    if (w > side || h > side) {
        if (w >= h) {
            h = (int)((int64_t)h * side / w);
            w = side;
        } else {
            w = (int)((int64_t)w * side / h);
            h = side;
        }
        h = h ? h : 1;
        w = w ? w : 1;
    }
    gdImagePtr dst = gdImageCreateTrueColor(w, h);
    if (!dst)
        return NULL;
    gdImageFilledRectangle(dst, 0, 0, w - 1, h - 1, gdTrueColor(255, 255, 255));
    gdImageAlphaBlending(dst, 1);
    gdImageCopyResampled(dst, src, 0, 0, 0, 0, w, h, gdImageSX(src), gdImageSY(src));
    return dst;
}

/* Encodes src fitted in side as a JPEG at path. */
static int write_jpeg(gdImagePtr src, int side, const char *path, int *out_w, int *out_h,
                      struct buf *err)
{
    gdImagePtr im = fit_on_white(src, side);
    if (!im) {
        buf_setf(err, "not enough memory for the picture");
        return ERR_INTERNAL;
    }
    int size = 0;
    void *jpeg = gdImageJpegPtr(im, &size, JPEG_QUALITY);
    if (out_w)
        *out_w = gdImageSX(im), *out_h = gdImageSY(im);
    gdImageDestroy(im);
    if (!jpeg || size <= 0) {
        if (jpeg)
            gdFree(jpeg);
        buf_setf(err, "media: cannot encode the picture as JPEG");
        return ERR_INTERNAL;
    }
    int rc = media_file_write(path, jpeg, (size_t)size, err);
    gdFree(jpeg);
    return rc;
}

int media_store_upload(struct media_image *out, const char *media_dir, const char *folder,
                       const void *data, size_t len, const struct media_limits *limits,
                       struct buf *err)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    *out = (struct media_image){0};
    if (!media_dir || !*media_dir || !valid_folder(folder)) {
        buf_setf(err, "media: bad media directory or folder name");
        return ERR_INVALID;
    }
    struct image_info info;
    int rc = check_header(data, len, limits, &info, err);
    if (rc)
        return rc;
    pthread_once(&once, setup_gd);
    gdImagePtr im = decode(data, len, &info, err);
    if (!im)
        return ERR_INVALID;

    unsigned char random[NAME_BYTES];
    char name[2 * NAME_BYTES + 1];
    randombytes_buf(random, sizeof random);
    sodium_bin2hex(name, sizeof name, random, sizeof random);
    size_t dir_len = strlen(media_dir);
    while (dir_len > 1 && media_dir[dir_len - 1] == '/')
        dir_len--;
    struct buf path = BUF_INIT, thumb = BUF_INIT;
    buf_addf(&path, "%.*s/%s/%s.jpg", (int)dir_len, media_dir, folder, name);
    buf_addf(&thumb, "%.*s/%s/%s-thumb.jpg", (int)dir_len, media_dir, folder, name);

    rc = write_jpeg(im, MEDIA_STORED_SIDE, path.data, &out->width, &out->height, err);
    if (!rc && (rc = write_jpeg(im, MEDIA_THUMB_SIDE, thumb.data, NULL, NULL, err)))
        unlink(path.data);
    gdImageDestroy(im);
    if (rc) {
        buf_release(&path);
        buf_release(&thumb);
        *out = (struct media_image){0};
        return rc;
    }
    out->path = buf_detach(&path, NULL);
    out->thumb_path = buf_detach(&thumb, NULL);
    out->upload_type = info.mime;
    return 0;
}

void media_image_remove(const struct media_image *img)
{
    const char *paths[] = {img->path, img->thumb_path};
    for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
        if (paths[i] && unlink(paths[i]) != 0 && errno != ENOENT)
            log_warn("media: cannot remove %s: %s", paths[i], strerror(errno));
}

void media_image_release(struct media_image *img)
{
    free(img->path);
    free(img->thumb_path);
    *img = (struct media_image){0};
}
