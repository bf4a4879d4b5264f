/*
 * The catalogue as customers see it: a category tree of any depth whose
 * levels list child categories first, then products, a page at a time.
 * Only what is visible is ever returned: an inactive category hides its
 * whole subtree, an inactive product is gone, so a caller cannot show what the
 * shop took down. Strings are allocated in the caller's arena.
 *
 * Pages: offset >= 0 and 1 <= limit <= CATALOG_PAGE_MAX, else ERR_INVALID.
 */
#ifndef TGSHOP_SHOP_CATALOG_H
#define TGSHOP_SHOP_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"

enum { CATALOG_PAGE_MAX = 100 };

struct category {
    int64_t id;
    int64_t parent_id; /* 0 at the root */
    char *name;
    char *description;
};

struct product {
    int64_t id;
    int64_t category_id;
    char *name;
    char *description;
    int64_t price; /* minor units */
    int64_t stock;
    char *photo_path;    /* NULL: no photo */
    char *photo_file_id; /* NULL: not uploaded to Telegram yet */
};

enum catalog_entry_kind { CATALOG_CATEGORY, CATALOG_PRODUCT };

/* One line of a catalogue level. */
struct catalog_entry {
    enum catalog_entry_kind kind;
    int64_t id;
    char *name;
    int64_t price; /* products only */
    int64_t stock; /* products only */
};

/* A visible category (ERR_NOTFOUND when it or an ancestor is inactive or missing). */
int catalog_category(struct db *db, struct arena *a, int64_t id, struct category *out);
/* A visible product in a visible category, else ERR_NOTFOUND. */
int catalog_product(struct db *db, struct arena *a, int64_t id, struct product *out);

/* A page of one level: the visible child categories of parent_id (0 = root) in their order,
 * then its visible products. *out_total counts the whole level. ERR_NOTFOUND when parent_id
 * is not a visible category. */
int catalog_level(struct db *db, struct arena *a, int64_t parent_id, int64_t offset, int limit,
                  struct catalog_entry **out, int *out_count, int64_t *out_total);

/* Where a category stands in its parent's level: the parent (0 = root) and its index among
 * the visible entries there, so "Back" can return to the page that lists it. */
int catalog_locate(struct db *db, int64_t category_id, int64_t *out_parent, int64_t *out_index);

/* Visible products whose name contains query (case-insensitive, utf8_search_key). */
int catalog_search(struct db *db, struct arena *a, const char *query, int64_t offset, int limit,
                   struct catalog_entry **out, int *out_count);

/* Remembers Telegram's file_id of the product's photo (sent once by upload, then by id). */
int catalog_set_photo_file_id(struct db *db, int64_t product_id, const char *file_id);

/* Staff side, used by the admin panel and the demo catalogue: creates a category
 * (parent 0 = root) or a product, keeping the search key in step. */
int catalog_create_category(struct db *db, int64_t parent_id, const char *name,
                            const char *description, int64_t position, int64_t *out_id);
int catalog_create_product(struct db *db, const struct product *p, int64_t position,
                           int64_t *out_id);
int catalog_update_product(struct db *db, const struct product *p, bool is_active);

/* Builds the LIKE pattern for a search: the query's search key with % and _ escaped,
 * between % signs (in arena a). NULL for an empty query. */
char *catalog_like_pattern(struct arena *a, const char *query);

#endif
