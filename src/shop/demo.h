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
 *  - Each product gets a picture, drawn by opt->draw from the product's name,
 *    its subcategory's name and the subcategory's colour, written as
 *    MEDIA_DIR/demo/product-<n>.jpg and stored in product.photo_path.
 *    The drawing is not done here: shop/ is the domain and knows nothing of
 *    image formats or libgd (DESIGN §3). The layer that owns libgd, src/media/,
 *    sits above shop/ and provides the drawer: media_demo_seed()
 *    (media/demo_pictures.h) calls demo_seed() with it. So the catalogue's
 *    content and its one-transaction seeding stay in the domain while shop/
 *    never includes media/ (the layer check, tests/layers.sh, enforces it).
 *  - Prices follow the currency, in its minor units (shop/money.h): "XTR"
 *    (Telegram Stars) prices are 50-900 stars; any other currency gets
 *    190-2990 whole units (190.00-2990.00 RUB is 19000-299000 kopecks).
 */
#ifndef TGSHOP_SHOP_DEMO_H
#define TGSHOP_SHOP_DEMO_H

#include <stdbool.h>

#include "core/buf.h"
#include "db/db.h"

/* What one product's picture shows. */
struct demo_picture {
    const char *name;     /* the product's name, the picture's main text */
    const char *category; /* its subcategory's name, a smaller label */
    int hue;              /* degrees: the subcategory's colour family */
};

/* Draws pic and writes it as a JPEG file at path, creating the directories. Returns 0, or
 * ERR_IO (or another ERR_*) with one line in err. ctx is demo_options.draw_ctx. */
typedef int demo_draw_fn(void *ctx, const struct demo_picture *pic, const char *path,
                         struct buf *err);

struct demo_options {
    const char *media_dir; /* required */
    const char *currency;  /* required: "XTR" or a three-letter ISO 4217 code */
    demo_draw_fn *draw;    /* required; media_demo_seed() (media/demo_pictures.h) passes its own */
    void *draw_ctx;
};

struct demo_report {
    int categories, products, faqs; /* rows created */
    bool skipped;                   /* the catalogue was not empty: nothing done */
};

/* Seeds the demo catalogue (see the rules above). Returns 0 with *out filled (skipped or
 * not), ERR_INVALID for bad options, the drawer's code when a picture cannot be made, or the
 * database's code; err then holds one line. */
int demo_seed(struct db *db, const struct demo_options *opt, struct demo_report *out,
              struct buf *err);

#endif
