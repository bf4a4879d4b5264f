/*
 * The demo catalogue that `tgshop run` and `tgshop seed-demo` put into an
 * empty database, so a newcomer can shop right away: a tea and coffee shop in
 * Russian with 3 top-level categories of 2 subcategories each, 30 products
 * (a few sold out, a few with only 1-3 left) and FAQ entries. No channels:
 * a mandatory channel would lock newcomers out.
 *
 * Rules:
 *  - Seeds only when the database has no category and no product; otherwise
 *    changes nothing and reports skipped. FAQ entries are added only when the
 *    FAQ is empty too, so a shop's own FAQ never gets the demo's mixed in.
 *  - One transaction: on failure nothing is left half-seeded, and the image
 *    files written before the failure are removed. Concurrent seeds of one
 *    database seed once.
 *  - Each product gets a DEMO_IMAGE_SIZE square JPEG, drawn from the product
 *    (colours, shapes and its name), written as MEDIA_DIR/demo/product-<n>.jpg
 *    (directories created) and stored in product.photo_path. Same inputs, same
 *    bytes. When the TrueType font cannot be used the pictures get shapes only
 *    (logged once), never a failure.
 *  - Prices follow the currency, in its minor units (shop/money.h): "XTR"
 *    (Telegram Stars) prices are 50-900 stars; any other currency gets
 *    190-2990 whole units (190.00-2990.00 RUB is 19000-299000 kopecks).
 */
#ifndef TGSHOP_SHOP_DEMO_H
#define TGSHOP_SHOP_DEMO_H

#include <stdbool.h>

#include "core/buf.h"
#include "db/db.h"

enum { DEMO_IMAGE_SIZE = 640 };

/* Debian's fonts-dejavu-core: draws Cyrillic. */
#define DEMO_FONT_DEFAULT "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"

struct demo_options {
    const char *media_dir; /* required */
    const char *currency;  /* required: "XTR" or a three-letter ISO 4217 code */
    const char *font_path; /* TrueType font for the pictures; NULL = DEMO_FONT_DEFAULT */
};

struct demo_report {
    int categories, products, faqs; /* rows created */
    bool skipped;                   /* the catalogue was not empty: nothing done */
};

/* Seeds the demo catalogue (see the rules above). Returns 0 with *out filled (skipped or
 * not), ERR_INVALID for bad options, ERR_IO when an image cannot be made or written, or the
 * database's code; err then holds one line. */
int demo_seed(struct db *db, const struct demo_options *opt, struct demo_report *out,
              struct buf *err);

#endif
