#include "media/demo_pictures.h"

#include <gd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/utf8.h"
#include "core/util.h"
#include "media/file.h"
#include "core/banned.h"

enum {
    JPEG_QUALITY = 85,
    TEXT_MARGIN = 40,
    TEXT_MAX_LINES = 3,
    TEXT_MAX_WORDS = 12,
    CIRCLES = 7,
};

struct rgb {
    int r, g, b;
};

/* h in degrees, s and v in 0..1. */
static struct rgb hsv(int h, double s, double v)
{
    h = ((h % 360) + 360) % 360;
    int sector = h / 60;
    double c = v * s, f = (h % 60) / 60.0;
    double x = c * (sector % 2 ? 1 - f : f);
    const double rgb[6][3] = {{c, x, 0}, {x, c, 0}, {0, c, x}, {0, x, c}, {x, 0, c}, {c, 0, x}};
    double m = v - c;
    return (struct rgb){(int)((rgb[sector][0] + m) * 255 + 0.5),
                        (int)((rgb[sector][1] + m) * 255 + 0.5),
                        (int)((rgb[sector][2] + m) * 255 + 0.5)};
}

static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* A small deterministic generator for the shapes (xorshift32; state never 0). */
static uint32_t next_random(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

struct painter {
    const char *font; /* NULL once libgd could not draw text with it: shapes only */
    struct buf tmp;
};

struct line {
    size_t start, end; /* bytes of the name */
    int width, left;   /* pixels; left: offset of the ink from the pen position */
};

/* Stops drawing text for the rest of the seed, saying why once. */
static void give_up_text(struct painter *p, const char *why)
{
    log_warn("media: demo pictures without text: font %s: %s", p->font, why);
    p->font = NULL;
}

/* Measures name[start, end) at size; false when libgd cannot (then text is given up). */
static bool measure(struct painter *p, double size, const char *name, size_t start, size_t end,
                    struct line *out)
{
    int br[8];
    buf_reset(&p->tmp);
    buf_add(&p->tmp, name + start, end - start);
    const char *e = gdImageStringFT(NULL, br, 0, p->font, size, 0.0, 0, 0, p->tmp.data);
    if (e) {
        give_up_text(p, e);
        return false;
    }
    *out = (struct line){start, end, br[2] - br[0], br[0]};
    return true;
}

struct words {
    int n;
    size_t start[TEXT_MAX_WORDS], end[TEXT_MAX_WORDS]; /* bytes of the name */
    bool binds[TEXT_MAX_WORDS]; /* a short word ("с", "из", "10") stays with the next one */
};

/* Splits name at spaces; false when it has no word or more than TEXT_MAX_WORDS. */
static bool split_words(const char *name, struct words *out)
{
    out->n = 0;
    for (size_t i = 0; name[i];) {
        if (name[i] == ' ') {
            i++;
            continue;
        }
        if (out->n == TEXT_MAX_WORDS)
            return false;
        out->start[out->n] = i;
        while (name[i] && name[i] != ' ')
            i++;
        out->end[out->n] = i;
        out->binds[out->n] = utf8_count(name + out->start[out->n], i - out->start[out->n]) <= 2;
        out->n++;
    }
    return out->n > 0;
}

/* Breaks the words into at most TEXT_MAX_LINES lines no wider than max_width at size: the
 * fewest lines, then the most even ones (least sum of squared widths), never after a short
 * word. Returns the number of lines, 0 when the name does
 * not fit, -1 when text was given up. */
static int wrap(struct painter *p, double size, const char *name, const struct words *w,
                int max_width, struct line lines[TEXT_MAX_LINES])
{
    struct line range[TEXT_MAX_WORDS][TEXT_MAX_WORDS]; /* [first][last word] */
    for (int i = 0; i < w->n; i++)
        for (int j = i; j < w->n; j++)
            if (!measure(p, size, name, w->start[i], w->end[j], &range[i][j]))
                return -1;

    int best = 0;
    int64_t best_cost = 0;
    for (int b1 = 1; b1 <= w->n; b1++) {
        for (int b2 = b1; b2 <= w->n; b2++) {
            int cuts[TEXT_MAX_LINES + 1] = {0, b1, b2, w->n}, k = 0;
            int64_t cost = 0;
            bool fits = true;
            struct line cand[TEXT_MAX_LINES];
            for (int seg = 0; seg < TEXT_MAX_LINES && fits; seg++) {
                if (cuts[seg] == cuts[seg + 1])
                    continue;
                int last = cuts[seg + 1] - 1;
                cand[k] = range[cuts[seg]][last];
                fits = cand[k].width <= max_width && (last == w->n - 1 || !w->binds[last]);
                cost += (int64_t)cand[k].width * cand[k].width;
                k++;
            }
            if (!fits || (best && (k > best || (k == best && cost >= best_cost))))
                continue;
            memcpy(lines, cand, sizeof cand[0] * (size_t)k);
            best = k;
            best_cost = cost;
        }
    }
    return best;
}

/* Draws text centred around (cx, baseline) with a soft shadow; false when text was given up. */
static bool draw_line(struct painter *p, gdImagePtr im, double size, const char *name,
                      const struct line *l, int cx, int baseline, int color)
{
    int br[8];
    int x = cx - l->width / 2 - l->left;
    buf_reset(&p->tmp);
    buf_add(&p->tmp, name + l->start, l->end - l->start);
    const char *e = gdImageStringFT(im, br, gdTrueColorAlpha(0, 0, 0, 80), p->font, size, 0.0,
                                    x + 3, baseline + 3, p->tmp.data);
    if (!e)
        e = gdImageStringFT(im, br, color, p->font, size, 0.0, x, baseline, p->tmp.data);
    if (e) {
        give_up_text(p, e);
        return false;
    }
    return true;
}

/* The product's name, as large as fits in three lines, on a translucent band; the
 * subcategory's name small above it. */
static void draw_texts(struct painter *p, gdImagePtr im, const struct demo_picture *d, int hue)
{
    static const double sizes[] = {50, 43, 37, 32, 27};
    struct line lines[TEXT_MAX_LINES];
    struct words w;
    int n = 0;
    double size = 0;
    if (!split_words(d->name, &w))
        return; /* a name too long for the picture: the caption says it */
    for (size_t i = 0; i < ARRAY_SIZE(sizes) && n == 0; i++) {
        size = sizes[i];
        n = wrap(p, size, d->name, &w, MEDIA_DEMO_SIZE - 2 * TEXT_MARGIN, lines);
        if (n < 0)
            return;
    }
    if (n == 0)
        return;

    int line_h = (int)(size * 96 / 72 * 1.3);
    int cap = (int)(size * 96 / 72 * 0.72);
    int top = (MEDIA_DEMO_SIZE - n * line_h) / 2;
    struct rgb band = hsv(hue, 0.55, 0.22);
    gdImageFilledRectangle(im, 0, top - 36, MEDIA_DEMO_SIZE - 1, top + n * line_h + 36,
                           gdTrueColorAlpha(band.r, band.g, band.b, 60));
    int white = gdTrueColorAlpha(255, 255, 255, 0);
    for (int i = 0; i < n; i++)
        if (!draw_line(p, im, size, d->name, &lines[i], MEDIA_DEMO_SIZE / 2,
                       top + i * line_h + (line_h + cap) / 2, white))
            return;

    const char *sub = d->category;
    struct line label;
    if (!measure(p, 21, sub, 0, strlen(sub), &label))
        return;
    draw_line(p, im, 21, sub, &label, MEDIA_DEMO_SIZE / 2, top - 70,
              gdTrueColorAlpha(255, 255, 255, 10));
}

/* d's picture as JPEG bytes (free with gdFree), or NULL with msg set. */
static void *draw_picture(struct painter *p, const struct demo_picture *d, int *out_size,
                          struct buf *msg)
{
    gdImagePtr im = gdImageCreateTrueColor(MEDIA_DEMO_SIZE, MEDIA_DEMO_SIZE);
    if (!im) {
        buf_setf(msg, "media: cannot allocate a %dx%d image", MEDIA_DEMO_SIZE, MEDIA_DEMO_SIZE);
        return NULL;
    }
    uint32_t rng = fnv1a(d->name) | 1;
    int hue = d->hue + (int)(rng % 31) - 15;

    /* a vertical gradient from a light tint to a deep shade of the hue */
    struct rgb light = hsv(hue - 10, 0.28, 0.97), deep = hsv(hue + 10, 0.70, 0.52);
    for (int y = 0; y < MEDIA_DEMO_SIZE; y++) {
        int t = y * 256 / MEDIA_DEMO_SIZE;
        gdImageLine(im, 0, y, MEDIA_DEMO_SIZE - 1, y,
                    gdTrueColor(light.r + (deep.r - light.r) * t / 256,
                                light.g + (deep.g - light.g) * t / 256,
                                light.b + (deep.b - light.b) * t / 256));
    }
    /* soft translucent circles, some light, some in a neighbouring hue */
    for (int i = 0; i < CIRCLES; i++) {
        int cx = (int)(next_random(&rng) % MEDIA_DEMO_SIZE);
        int cy = (int)(next_random(&rng) % MEDIA_DEMO_SIZE);
        int r = 40 + (int)(next_random(&rng) % 150);
        struct rgb c = i % 2 ? (struct rgb){255, 255, 255} : hsv(hue + 40, 0.55, 0.85);
        gdImageFilledEllipse(im, cx, cy, 2 * r, 2 * r,
                             gdTrueColorAlpha(c.r, c.g, c.b, 96 + (int)(next_random(&rng) % 20)));
    }
    if (p->font)
        draw_texts(p, im, d, hue);

    void *jpeg = gdImageJpegPtr(im, out_size, JPEG_QUALITY);
    gdImageDestroy(im);
    if (!jpeg || *out_size <= 0) {
        if (jpeg)
            gdFree(jpeg);
        buf_setf(msg, "media: cannot encode the picture of «%s» as JPEG", d->name);
        return NULL;
    }
    return jpeg;
}

/* A demo_draw_fn. */
static int draw(void *painter, const struct demo_picture *pic, const char *path, struct buf *err)
{
    int size = 0;
    void *jpeg = draw_picture(painter, pic, &size, err);
    if (!jpeg)
        return ERR_IO;
    int rc = media_file_write(path, jpeg, (size_t)size, err);
    gdFree(jpeg);
    return rc;
}

int media_demo_seed(struct db *db, const char *media_dir, const char *currency,
                    const char *font_path, struct demo_report *out, struct buf *err)
{
    struct painter p = {font_path ? font_path : MEDIA_DEMO_FONT, BUF_INIT};
    struct demo_options opt = {media_dir, currency, draw, &p};
    int rc = demo_seed(db, &opt, out, err);
    buf_release(&p.tmp);
    return rc;
}
