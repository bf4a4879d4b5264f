#include "core/image.h"

#include <stdbool.h>
#include <string.h>

#include "core/err.h"
#include "core/banned.h"

static unsigned be16(const unsigned char *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

static unsigned long be32(const unsigned char *p)
{
    return (unsigned long)p[0] << 24 | (unsigned long)p[1] << 16 | (unsigned long)p[2] << 8 | p[3];
}

static unsigned le16(const unsigned char *p)
{
    return (unsigned)p[1] << 8 | p[0];
}

static unsigned long le24(const unsigned char *p)
{
    return (unsigned long)p[2] << 16 | (unsigned long)p[1] << 8 | p[0];
}

static int jpeg_size(const unsigned char *d, size_t len, struct image_info *out)
{
    size_t i = 2;
    while (i + 9 < len) {
        if (d[i] != 0xff)
            return ERR_INVALID;
        unsigned marker = d[i + 1];
        if (marker == 0xff) {
            i++;
            continue;
        }
        unsigned seg = be16(d + i + 2);
        bool is_sof =
            marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc;
        if (is_sof) {
            out->height = (int)be16(d + i + 5);
            out->width = (int)be16(d + i + 7);
            out->mime = "image/jpeg";
            return 0;
        }
        if (seg < 2)
            return ERR_INVALID;
        i += 2 + seg;
    }
    return ERR_INVALID;
}

static int webp_size(const unsigned char *d, size_t len, struct image_info *out)
{
    if (len < 30)
        return ERR_INVALID;
    if (!memcmp(d + 12, "VP8 ", 4)) {
        out->width = (int)(le16(d + 26) & 0x3fff);
        out->height = (int)(le16(d + 28) & 0x3fff);
    } else if (!memcmp(d + 12, "VP8L", 4)) {
        unsigned long bits = (unsigned long)d[21] | (unsigned long)d[22] << 8 |
                             (unsigned long)d[23] << 16 | (unsigned long)d[24] << 24;
        out->width = (int)(bits & 0x3fff) + 1;
        out->height = (int)((bits >> 14) & 0x3fff) + 1;
    } else if (!memcmp(d + 12, "VP8X", 4)) {
        out->width = (int)le24(d + 24) + 1;
        out->height = (int)le24(d + 27) + 1;
    } else {
        return ERR_INVALID;
    }
    out->mime = "image/webp";
    return 0;
}

int image_sniff(const unsigned char *d, size_t len, struct image_info *out)
{
    int rc = ERR_INVALID;
    if (len >= 24 && !memcmp(d, "\x89PNG\r\n\x1a\n", 8) && !memcmp(d + 12, "IHDR", 4)) {
        out->width = (int)be32(d + 16);
        out->height = (int)be32(d + 20);
        out->mime = "image/png";
        rc = 0;
    } else if (len >= 4 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff) {
        rc = jpeg_size(d, len, out);
    } else if (len >= 12 && !memcmp(d, "RIFF", 4) && !memcmp(d + 8, "WEBP", 4)) {
        rc = webp_size(d, len, out);
    } else if (len >= 10 && (!memcmp(d, "GIF87a", 6) || !memcmp(d, "GIF89a", 6))) {
        out->width = (int)le16(d + 6);
        out->height = (int)le16(d + 8);
        out->mime = "image/gif";
        rc = 0;
    }
    if (!rc && (out->width <= 0 || out->height <= 0 || out->width > 20000 || out->height > 20000))
        rc = ERR_INVALID;
    return rc;
}
