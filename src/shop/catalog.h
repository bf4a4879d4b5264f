/*
 * The catalogue as customers see it: a category tree of any depth whose
 * levels list child categories first, then products, a page at a time.
 * Only what is visible is ever returned: an inactive category hides its
 * whole subtree, an inactive product is gone, so a caller cannot show what the
 * shop took down. Strings are allocated in the caller's arena.
 *
 * Pages: offset >= 0 and 1 <= limit <= CATALOG_PAGE_MAX, else ERR_INVALID.
 *
 * The staff side (the admin panel) sees everything, active or not: the whole
 * category tree with product counts, the product list with search, filters
 * and sorting, and the changes, each validated here (struct listing_problem
 * says which field is wrong and why). Rules:
 *  - the tree stays a tree: a category never moves under itself or a
 *    descendant (checked under a lock inside the transaction, so two
 *    concurrent moves cannot build a cycle together) and never gets deeper
 *    than CATALOG_DEPTH_MAX levels;
 *  - deleting a category says what happens to its products and subcategories
 *    (struct category_removal); nothing is orphaned or deleted silently;
 *  - deleting a product keeps order history: order_item keeps the name and
 *    price snapshots and its product_id becomes NULL (the schema's ON DELETE
 *    SET NULL); cart lines of the product go away. "Deactivate" takes a
 *    product off sale without deleting it.
 *  - replacing a product's photo forgets the cached Telegram file_id.
 */
#ifndef TGSHOP_SHOP_CATALOG_H
#define TGSHOP_SHOP_CATALOG_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "db/db.h"
#include "shop/listing.h"

enum {
    CATALOG_PAGE_MAX = 100,
    CATALOG_DEPTH_MAX = 32,                  /* levels of the category tree */
    CATALOG_NAME_MAX = 200,                  /* characters, category and product names */
    CATALOG_CATEGORY_DESCRIPTION_MAX = 1000, /* characters */
    CATALOG_PRODUCT_DESCRIPTION_MAX = 800,   /* characters: the card is a photo caption */
};
#define CATALOG_PRICE_MAX INT64_C(1000000000000) /* the schema's bound, minor units */
#define CATALOG_STOCK_MAX INT64_C(1000000000)

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
    bool is_active;      /* staff side only: the customer side sees active products only */
    int64_t created_at, updated_at;
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

/* Used by the demo catalogue and by the staff functions below, which validate first: creates
 * a category (parent 0 = root) or a product, or updates a product's fields but its photo
 * (catalog_product_set_photo), keeping the search key in step. */
int catalog_create_category(struct db *db, int64_t parent_id, const char *name,
                            const char *description, int64_t position, int64_t *out_id);
int catalog_create_product(struct db *db, const struct product *p, int64_t position,
                           int64_t *out_id);
int catalog_update_product(struct db *db, const struct product *p, bool is_active);

/* Builds the LIKE pattern for a search: the query's search key with % and _ escaped,
 * between % signs (in arena a). NULL for an empty query. */
char *catalog_like_pattern(struct arena *a, const char *query);

/* ---- staff side ---- */

/* A category as staff see it: one line of the tree. */
struct category_node {
    int64_t id;
    int64_t parent_id; /* 0 at the root */
    char *name;
    char *description;
    int64_t position;
    bool is_active;
    int depth;                     /* 0 at the root: the indentation */
    int child_count;               /* direct subcategories */
    int64_t product_count;         /* its own products */
    int64_t subtree_product_count; /* its own and its subcategories' */
};

/* The whole tree in display order (each category followed by its subtree, siblings by
 * position), with depths and product counts. */
int catalog_category_tree(struct db *db, struct arena *a, struct category_node **out,
                          int *out_count);
/* What a process keeps between calls for one database (thread-safe): the category outline
 * and, on SQLite, the matches of recent searches. Each is read again only when its table
 * changed since, in this process or any other: migration 0009 counts the changes of the
 * categories (catalog_category_version) and of the products' search keys. */
struct catalog_cache;
struct catalog_cache *catalog_cache_new(void);
void catalog_cache_free(struct catalog_cache *c); /* NULL is fine */
/* The same tree without the product counts (they stay 0), for every page that offers the
 * categories in a <select>: a copy in a of the cached tree while the categories have not
 * changed. *out_version (may be NULL) gets the version of the tree returned, so a caller can
 * keep what it builds from it beside it. */
int catalog_category_outline(struct catalog_cache *c, struct db *db, struct arena *a,
                             struct category_node **out, int *out_count, int64_t *out_version);
/* A number that grows with every change of the category table (a trigger counts them). */
int catalog_category_version(struct db *db, int64_t *out);
/* One category, active or not (depth and counts are left 0). */
int catalog_category_get(struct db *db, struct arena *a, int64_t id, struct category_node *out);

struct category_input {
    int64_t id;        /* 0: create */
    int64_t parent_id; /* 0: at the root */
    const char *name;
    const char *description; /* may be NULL */
    bool is_active;
};

/* Creates (at the end of its parent's list) or edits a category; a new parent moves it to the
 * end of that parent's list. ERR_INVALID (name, description, parent missing, a cycle, too
 * deep) and ERR_NOTFOUND (no such category) come with *why. */
int catalog_category_save(struct db *db, const struct category_input *in, int64_t *out_id,
                          struct listing_problem *why);
int catalog_category_set_active(struct db *db, int64_t id, bool active);
/* Puts the category at index (0-based, clamped) among its siblings. */
int catalog_category_set_index(struct db *db, int64_t id, int64_t index);
/* Moves it up (delta -1) or down (+1) among its siblings; at the end nothing changes. */
int catalog_category_shift(struct db *db, int64_t id, int delta);

/* What happens to the direct products of a category being deleted. */
enum category_products {
    CATEGORY_PRODUCTS_REFUSE,     /* refuse (ERR_CONFLICT) when it has any */
    CATEGORY_PRODUCTS_MOVE,       /* move them to target_id, as they are */
    CATEGORY_PRODUCTS_DEACTIVATE, /* move them to target_id and take them off sale */
    CATEGORY_PRODUCTS_DELETE,     /* delete them (order history keeps its snapshots) */
};
/* What happens to its direct subcategories (they keep their own products and subtrees). */
enum category_children {
    CATEGORY_CHILDREN_REFUSE, /* refuse (ERR_CONFLICT) when it has any */
    CATEGORY_CHILDREN_LIFT,   /* move them up to the deleted category's parent */
};
struct category_removal {
    enum category_products products;
    int64_t target_id; /* for MOVE and DEACTIVATE: a category outside the deleted one */
    enum category_children children;
};
/* Deletes a category as how says, in one transaction. ERR_CONFLICT when it has products or
 * subcategories and how refuses them; ERR_INVALID for a bad target; *why says which. */
int catalog_category_delete(struct db *db, int64_t id, const struct category_removal *how,
                            struct listing_problem *why);

enum product_sort {
    PRODUCT_SORT_CREATED,
    PRODUCT_SORT_NAME,
    PRODUCT_SORT_PRICE,
    PRODUCT_SORT_STOCK,
};

struct product_filter {
    const char *query;   /* words that must all occur in the name (case-insensitive) */
    int64_t category_id; /* with its subcategories; 0 = all */
    enum listing_flag active, in_stock;
    int64_t stock_below; /* > 0: only products with less stock than this */
    enum product_sort sort;
    bool descending;
    struct catalog_cache *cache; /* keeps the search's matches between lists; NULL: none */
};

/* A page of products matching f (listing.h for pages). Search uses the trigram index of
 * migration 0002 (FTS5 on SQLite, pg_trgm on PostgreSQL). */
int catalog_product_list(struct db *db, struct arena *a, const struct product_filter *f,
                         int64_t offset, int limit, struct product **out, int *out_count,
                         int64_t *out_total);
/* One product, active or not. */
int catalog_product_get(struct db *db, struct arena *a, int64_t id, struct product *out);
/* Validates and creates (p->id 0) or edits a product: name, description, price within
 * 0..CATALOG_PRICE_MAX, stock within 0..CATALOG_STOCK_MAX, an existing category. The photo
 * is not touched here (catalog_product_set_photo); p->photo_path is used on create only. */
int catalog_product_save(struct db *db, const struct product *p, int64_t *out_id,
                         struct listing_problem *why);
/* Sets or replaces (path NULL: removes) the photo; a different path forgets the cached
 * Telegram file_id. *out_old (may be NULL) gets the previous path (in a) so the caller can
 * remove the file. */
int catalog_product_set_photo(struct db *db, struct arena *a, int64_t id, const char *path,
                              char **out_old, struct listing_problem *why);
/* Bulk actions on up to LISTING_BULK_MAX products, in one transaction. *out_changed counts
 * the products that changed; unknown ids are skipped. */
int catalog_products_set_active(struct db *db, const int64_t *ids, int count, bool active,
                                int64_t *out_changed);
/* Deletes products (see above for order history); *out_photos (in a, may be NULL) gets the
 * photo paths of the deleted ones so their files can be removed. */
int catalog_products_delete(struct db *db, struct arena *a, const int64_t *ids, int count,
                            int64_t *out_deleted, char ***out_photos, int *out_photo_count);

#endif
