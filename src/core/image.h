/*
 * Recognises the photo formats Telegram accepts (JPEG, PNG, WebP, GIF) from
 * their first bytes and reads the picture's size, without decoding pixels:
 * enough for the sandbox to answer sendPhoto with plausible PhotoSize objects
 * and to refuse what is not a picture, as Telegram does
 * ("IMAGE_PROCESS_FAILED"), and for src/media/ to refuse a picture too large
 * to decode before a single pixel is allocated.
 */
#ifndef TGSHOP_CORE_IMAGE_H
#define TGSHOP_CORE_IMAGE_H

#include <stddef.h>

struct image_info {
    int width, height;
    const char *mime; /* "image/jpeg", ... */
};

/* Returns 0 and fills out, or ERR_INVALID when data is no picture we know. */
int image_sniff(const unsigned char *data, size_t len, struct image_info *out);

#endif
