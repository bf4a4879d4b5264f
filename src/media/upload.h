/*
 * Pictures uploaded by shop staff (product photos in the admin panel): an
 * upload is checked by decoding it, stored re-encoded under a random name,
 * with a thumbnail beside it.
 *
 * Rules:
 *  - The format is read from the bytes (core/image.h), never from a file name
 *    or a MIME type the browser sent: JPEG, PNG and WebP are accepted; GIF,
 *    text, archives and everything else are refused.
 *  - Limits are checked before any pixel is allocated: the upload's size in
 *    bytes, then the picture's width × height as its header declares it (a
 *    decompression bomb is a small file declaring a huge picture), then
 *    Telegram's own rules for photos (width + height ≤ 10000, sides at most
 *    20:1), so every stored picture can be sent by the bot. Then the whole
 *    picture must decode, to the size its header declared: a truncated or
 *    corrupt file is refused.
 *  - What is stored is a new JPEG made from the decoded pixels only: metadata
 *    (EXIF with its GPS position, comments, ICC profiles) and anything hidden
 *    around the picture (a polyglot's script or archive) are gone. A JPEG's EXIF
 *    orientation is applied first, so a phone photo taken sideways is stored
 *    upright. Transparency is flattened onto white. A picture larger than MEDIA_STORED_SIDE on a
 * side is scaled down to fit; the thumbnail fits in MEDIA_THUMB_SIDE.
 *  - Files go to MEDIA_DIR/<folder>/<32 random hex digits>.jpg and
 *    ...-thumb.jpg: nothing the user sent is part of a path. folder is a name
 *    chosen by the code ("products"), letters, digits, '-' and '_' only.
 *  - Each file is written whole or not at all (media/file.h); on any failure
 *    nothing is left behind.
 *  - Thread-safe. sodium_init() must have run (the random names).
 */
#ifndef TGSHOP_MEDIA_UPLOAD_H
#define TGSHOP_MEDIA_UPLOAD_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum {
    MEDIA_MAX_BYTES = 10 * 1024 * 1024, /* Telegram's limit for a photo */
    MEDIA_MAX_PIXELS = 40000000,        /* 40 megapixels: ~160 MB decoded */
    MEDIA_STORED_SIDE = 2560,           /* the largest photo Telegram keeps */
    MEDIA_THUMB_SIDE = 320,
};

struct media_limits {
    size_t max_bytes;   /* 0 = MEDIA_MAX_BYTES */
    int64_t max_pixels; /* width × height; 0 = MEDIA_MAX_PIXELS */
};

struct media_image {
    char *path;              /* MEDIA_DIR/<folder>/<name>.jpg: what product.photo_path takes */
    char *thumb_path;        /* MEDIA_DIR/<folder>/<name>-thumb.jpg */
    int width, height;       /* of the stored picture */
    const char *upload_type; /* what was uploaded: "image/jpeg", "image/png" or "image/webp" */
};

/* Checks, re-encodes and stores the upload data[0, len) as the rules say. limits NULL = the
 * defaults. Returns 0 with *out filled (release it), or ERR_INVALID (not an accepted
 * picture, or broken), ERR_TOOBIG (a limit), ERR_IO (writing), ERR_INTERNAL, with one line
 * in err that can be shown to the user as it is. */
int media_store_upload(struct media_image *out, const char *media_dir, const char *folder,
                       const void *data, size_t len, const struct media_limits *limits,
                       struct buf *err);
/* Deletes the stored files of img, when what refers to them could not be saved. */
void media_image_remove(const struct media_image *img);
/* Frees the paths (the files stay). */
void media_image_release(struct media_image *img);

#endif
