/*
 * The demo catalogue's product pictures. shop/demo.h seeds the catalogue and
 * asks for one picture per product through its demo_draw_fn; media_demo_seed()
 * is demo_seed() with this file's drawer, what `tgshop run` calls.
 *
 * Rules:
 *  - A picture is a MEDIA_DEMO_SIZE square JPEG: a gradient and soft circles
 *    in the product's colour family, the product's name as large as fits in
 *    three lines on a translucent band, the category's name small above it.
 *  - Same inputs, same bytes: shapes and hue come from a hash of the name.
 *  - When the TrueType font cannot be used the pictures get shapes only (the
 *    reason is logged once per seed), never a failure.
 *  - Thread-safe: each seed has its own drawing state.
 */
#ifndef TGSHOP_MEDIA_DEMO_PICTURES_H
#define TGSHOP_MEDIA_DEMO_PICTURES_H

#include "core/buf.h"
#include "db/db.h"
#include "shop/demo.h"

enum { MEDIA_DEMO_SIZE = 640 };

/* Debian's fonts-dejavu-core: draws Cyrillic. */
#define MEDIA_DEMO_FONT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

/* Seeds the demo catalogue (shop/demo.h: its rules, its return codes) with these pictures.
 * font_path: a TrueType font; NULL = MEDIA_DEMO_FONT. */
int media_demo_seed(struct db *db, const char *media_dir, const char *currency,
                    const char *font_path, struct demo_report *out, struct buf *err);

#endif
