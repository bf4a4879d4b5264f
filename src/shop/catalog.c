#include "shop/catalog.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "core/banned.h"

/* A category is visible when it and every ancestor are active. The walk stops at the root, or
 * after 64 levels as a guard against a cycle the CHECK cannot see (a -> b -> a). */
#define VISIBLE_CATEGORY_CTE                                                                       \
    "WITH RECURSIVE up(id, parent_id, is_active, depth) AS ("                                      \
    " SELECT id, parent_id, is_active, 0 FROM category WHERE id = ?"                               \
    " UNION ALL"                                                                                   \
    " SELECT c.id, c.parent_id, c.is_active, up.depth + 1 FROM category c"                         \
    " JOIN up ON c.id = up.parent_id WHERE up.depth < 64) "

static bool valid_page(int64_t offset, int limit)
{
    return offset >= 0 && limit >= 1 && limit <= CATALOG_PAGE_MAX;
}

/* 0 when category id is visible, ERR_NOTFOUND when not, another error on failure. */
static int category_visible(struct db *db, int64_t id)
{
    int64_t hidden = 0;
    int rc = db_query_int(db, &hidden,
                          VISIBLE_CATEGORY_CTE
                          "SELECT CASE WHEN count(*) = 0 THEN 1 ELSE"
                          " sum(CASE WHEN is_active = 1 THEN 0 ELSE 1 END) END FROM up",
                          DB_INT(id));
    if (rc)
        return rc;
    return hidden ? ERR_NOTFOUND : 0;
}

int catalog_category(struct db *db, struct arena *a, int64_t id, struct category *out)
{
    int rc = category_visible(db, id);
    if (rc)
        return rc;
    struct db_rows *rows;
    if ((rc = db_query(db, &rows,
                       "SELECT id, parent_id, name, description FROM category WHERE id = ?",
                       DB_INT(id))))
        return rc;
    if ((rc = db_next(rows)) > 0) {
        out->id = db_int(rows, 0);
        out->parent_id = db_int(rows, 1);
        out->name = db_text_dup(rows, 2, a);
        out->description = db_text_dup(rows, 3, a);
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_NOTFOUND;
    }
    db_rows_free(rows);
    return rc;
}

#define PRODUCT_COLUMNS                                                                            \
    "id, category_id, name, description, price, stock, photo_path, photo_file_id, is_active, "     \
    "created_at, updated_at"

static void fill_product(void *item, struct db_rows *rows, struct arena *a)
{
    struct product *out = item;
    out->id = db_int(rows, 0);
    out->category_id = db_int(rows, 1);
    out->name = db_text_dup(rows, 2, a);
    out->description = db_text_dup(rows, 3, a);
    out->price = db_int(rows, 4);
    out->stock = db_int(rows, 5);
    out->photo_path = db_text_dup(rows, 6, a);
    out->photo_file_id = db_text_dup(rows, 7, a);
    out->is_active = db_int(rows, 8) != 0;
    out->created_at = db_int(rows, 9);
    out->updated_at = db_int(rows, 10);
}

/* The product with this id (only an active one when active_only), else ERR_NOTFOUND. */
static int read_product(struct db *db, struct arena *a, int64_t id, bool active_only,
                        struct product *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      active_only ? "SELECT " PRODUCT_COLUMNS
                                    " FROM product WHERE id = ? AND is_active = 1"
                                  : "SELECT " PRODUCT_COLUMNS " FROM product WHERE id = ?",
                      DB_INT(id));
    return rc ? rc : listing_read_one(rows, a, out, fill_product);
}

int catalog_product(struct db *db, struct arena *a, int64_t id, struct product *out)
{
    int rc = read_product(db, a, id, true, out);
    return rc ? rc : category_visible(db, out->category_id);
}

/* Reads entries (kind, id, name, price, stock) into an arena array. */
static int read_entries(struct db_rows *rows, struct arena *a, int limit,
                        struct catalog_entry **out, int *out_count)
{
    struct catalog_entry *list = arena_calloc(a, (size_t)limit, sizeof *list);
    int n = 0, rc = 0;
    while (n < limit && (rc = db_next(rows)) > 0) {
        list[n].kind = db_int(rows, 0) ? CATALOG_PRODUCT : CATALOG_CATEGORY;
        list[n].id = db_int(rows, 1);
        list[n].name = db_text_dup(rows, 2, a);
        list[n].price = db_int(rows, 3);
        list[n].stock = db_int(rows, 4);
        n++;
    }
    if (n < limit && rc < 0)
        return rc;
    *out = list;
    *out_count = n;
    return 0;
}

int catalog_level(struct db *db, struct arena *a, int64_t parent_id, int64_t offset, int limit,
                  struct catalog_entry **out, int *out_count, int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    *out_total = 0;
    if (!valid_page(offset, limit))
        return ERR_INVALID;
    int rc;
    if (parent_id && (rc = category_visible(db, parent_id)))
        return rc;
    /* the root level is parent_id IS NULL: a statement of its own so both use the index */
    static const char *const count_sql[] = {
        "SELECT (SELECT count(*) FROM category WHERE parent_id IS NULL AND is_active = 1 AND "
        "0 = ?), 0",
        "SELECT (SELECT count(*) FROM category WHERE parent_id = ? AND is_active = 1), "
        "(SELECT count(*) FROM product WHERE category_id = ? AND is_active = 1)",
    };
    static const char *const page_sql[] = {
        "SELECT 0, id, name, 0, 0, position FROM category "
        "WHERE parent_id IS NULL AND is_active = 1 AND 0 = ? "
        "ORDER BY 6, 2 LIMIT ? OFFSET ?",
        "SELECT 0 AS kind, id, name, 0 AS price, 0 AS stock, position FROM category "
        "WHERE parent_id = ? AND is_active = 1 "
        "UNION ALL "
        "SELECT 1, id, name, price, stock, position FROM product "
        "WHERE category_id = ? AND is_active = 1 "
        "ORDER BY 1, 6, 2 LIMIT ? OFFSET ?",
    };
    bool nested = parent_id != 0;
    struct db_rows *rows;
    if ((rc = nested ? db_query(db, &rows, count_sql[1], DB_INT(parent_id), DB_INT(parent_id))
                     : db_query(db, &rows, count_sql[0], DB_INT(parent_id))))
        return rc;
    if ((rc = db_next(rows)) > 0)
        *out_total = db_int(rows, 0) + db_int(rows, 1);
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    rc = nested
             ? db_query(db, &rows, page_sql[1], DB_INT(parent_id), DB_INT(parent_id), DB_INT(limit),
                        DB_INT(offset))
             : db_query(db, &rows, page_sql[0], DB_INT(parent_id), DB_INT(limit), DB_INT(offset));
    if (rc)
        return rc;
    rc = read_entries(rows, a, limit, out, out_count);
    db_rows_free(rows);
    return rc;
}

int catalog_locate(struct db *db, int64_t category_id, int64_t *out_parent, int64_t *out_index)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT COALESCE(parent_id, 0), position FROM category WHERE id = ?",
                 DB_INT(category_id));
    if (rc)
        return rc;
    int64_t position = 0;
    if ((rc = db_next(rows)) > 0) {
        *out_parent = db_int(rows, 0);
        position = db_int(rows, 1);
    }
    db_rows_free(rows);
    if (rc <= 0)
        return rc < 0 ? rc : ERR_NOTFOUND;
    /* categories come first in a level, ordered by (position, id) */
    return db_query_int(db, out_index,
                        "SELECT count(*) FROM category WHERE COALESCE(parent_id, 0) = ? "
                        "AND is_active = 1 AND (position < ? OR (position = ? AND id < ?))",
                        DB_INT(*out_parent), DB_INT(position), DB_INT(position),
                        DB_INT(category_id));
}

char *catalog_like_pattern(struct arena *a, const char *query)
{
    struct buf key = BUF_INIT, pattern = BUF_INIT;
    size_t len = strlen(query);
    /* trim spaces: "  tea " finds "Green tea" */
    while (len && (*query == ' ' || *query == '\t')) {
        query++;
        len--;
    }
    while (len && (query[len - 1] == ' ' || query[len - 1] == '\t'))
        len--;
    if (!len)
        return NULL;
    utf8_search_key(&key, query, len);
    buf_addc(&pattern, '%');
    for (size_t i = 0; i < key.len; i++) {
        if (key.data[i] == '%' || key.data[i] == '_' || key.data[i] == '\\')
            buf_addc(&pattern, '\\');
        buf_addc(&pattern, key.data[i]);
    }
    buf_addc(&pattern, '%');
    char *out = arena_memdup(a, pattern.data, pattern.len);
    buf_release(&key);
    buf_release(&pattern);
    return out;
}

int catalog_search(struct db *db, struct arena *a, const char *query, int64_t offset, int limit,
                   struct catalog_entry **out, int *out_count)
{
    *out = NULL;
    *out_count = 0;
    if (!valid_page(offset, limit))
        return ERR_INVALID;
    char *pattern = catalog_like_pattern(a, query);
    if (!pattern)
        return 0;
    struct db_rows *rows;
    /* products of hidden categories are filtered by walking up in C: few results per page */
    int rc = db_query(db, &rows,
                      "SELECT 1, id, name, price, stock, category_id FROM product "
                      "WHERE is_active = 1 AND search_text LIKE ? ESCAPE '\\' "
                      "ORDER BY name, id LIMIT ? OFFSET ?",
                      DB_TEXT(pattern), DB_INT(limit), DB_INT(offset));
    if (rc)
        return rc;
    struct catalog_entry *list = arena_calloc(a, (size_t)limit, sizeof *list);
    int64_t *categories = arena_calloc(a, (size_t)limit, sizeof *categories);
    int n = 0;
    while (n < limit && (rc = db_next(rows)) > 0) {
        list[n].kind = CATALOG_PRODUCT;
        list[n].id = db_int(rows, 1);
        list[n].name = db_text_dup(rows, 2, a);
        list[n].price = db_int(rows, 3);
        list[n].stock = db_int(rows, 4);
        categories[n] = db_int(rows, 5);
        n++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    int kept = 0;
    for (int i = 0; i < n; i++) {
        rc = category_visible(db, categories[i]);
        if (rc == 0)
            list[kept++] = list[i];
        else if (rc != ERR_NOTFOUND)
            return rc;
    }
    *out = list;
    *out_count = kept;
    return 0;
}

int catalog_set_photo_file_id(struct db *db, int64_t product_id, const char *file_id)
{
    return db_exec(db, "UPDATE product SET photo_file_id = ? WHERE id = ?", DB_TEXT(file_id),
                   DB_INT(product_id));
}

int catalog_create_category(struct db *db, int64_t parent_id, const char *name,
                            const char *description, int64_t position, int64_t *out_id)
{
    return db_query_int(db, out_id,
                        "INSERT INTO category (parent_id, name, description, position) "
                        "VALUES (?, ?, ?, ?) RETURNING id",
                        DB_INT_OR_NULL(parent_id, parent_id != 0), DB_TEXT(name),
                        DB_TEXT(description ? description : ""), DB_INT(position));
}

static char *search_key(struct arena *a, const char *text)
{
    struct buf key = BUF_INIT;
    utf8_search_key(&key, text, strlen(text));
    char *out = arena_memdup(a, key.data, key.len);
    buf_release(&key);
    return out;
}

int catalog_create_product(struct db *db, const struct product *p, int64_t position,
                           int64_t *out_id)
{
    struct arena a;
    arena_init(&a, 0);
    int rc = db_query_int(db, out_id,
                          "INSERT INTO product (category_id, name, description, price, stock, "
                          "photo_path, search_text, position) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          DB_INT(p->category_id), DB_TEXT(p->name),
                          DB_TEXT(p->description ? p->description : ""), DB_INT(p->price),
                          DB_INT(p->stock), DB_TEXT(p->photo_path),
                          DB_TEXT(search_key(&a, p->name)), DB_INT(position));
    arena_release(&a);
    return rc;
}

int catalog_update_product(struct db *db, const struct product *p, bool is_active)
{
    struct arena a;
    arena_init(&a, 0);
    int rc = db_exec(db,
                     "UPDATE product SET category_id = ?, name = ?, description = ?, price = ?, "
                     "stock = ?, search_text = ?, is_active = ?, updated_at = ? WHERE id = ?",
                     DB_INT(p->category_id), DB_TEXT(p->name),
                     DB_TEXT(p->description ? p->description : ""), DB_INT(p->price),
                     DB_INT(p->stock), DB_TEXT(search_key(&a, p->name)), DB_INT(is_active),
                     DB_INT(clock_now()), DB_INT(p->id));
    arena_release(&a);
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOTFOUND;
    return rc;
}

/* ---- staff side ---- */

/* Any constant nothing else uses as an advisory lock key: "cattree" in ASCII. */
#define TREE_LOCK_KEY 0x63617474726565LL

/* Serialises changes of the tree's shape until the transaction ends. SQLite needs nothing:
 * its transactions begin with the write lock (BEGIN IMMEDIATE). */
static int lock_tree(struct db *db)
{
    if (db_kind(db) != DB_POSTGRES)
        return 0;
    int64_t ignored;
    return db_query_int(db, &ignored, "SELECT 1 FROM (SELECT pg_advisory_xact_lock(?)) AS l",
                        DB_INT(TREE_LOCK_KEY));
}

static void fill_node(void *item, struct db_rows *rows, struct arena *a)
{
    struct category_node *out = item;
    memset(out, 0, sizeof *out);
    out->id = db_int(rows, 0);
    out->parent_id = db_int(rows, 1);
    out->name = db_text_dup(rows, 2, a);
    out->description = db_text_dup(rows, 3, a);
    out->position = db_int(rows, 4);
    out->is_active = db_int(rows, 5) != 0;
}

#define NODE_COLUMNS "id, COALESCE(parent_id, 0), name, description, position, is_active"

int catalog_category_get(struct db *db, struct arena *a, int64_t id, struct category_node *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT " NODE_COLUMNS " FROM category WHERE id = ?", DB_INT(id));
    return rc ? rc : listing_read_one(rows, a, out, fill_node);
}

struct tree_index {
    int64_t id;
    int at; /* index in the rows as read */
};

static int compare_index(const void *x, const void *y)
{
    const struct tree_index *a = x, *b = y;
    return a->id < b->id ? -1 : a->id > b->id;
}

/* The index of category id in the rows as read, or -1. */
static int find_node(const struct tree_index *index, int count, int64_t id)
{
    struct tree_index key = {id, 0};
    const struct tree_index *hit = bsearch(&key, index, (size_t)count, sizeof key, compare_index);
    return hit ? hit->at : -1;
}

/* Each category's own products into read[].product_count. */
static int count_products(struct db *db, struct category_node *read, const struct tree_index *index,
                          int n)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT category_id, count(*) FROM product GROUP BY category_id");
    if (rc)
        return rc;
    while ((rc = db_next(rows)) > 0) {
        int at = find_node(index, n, db_int(rows, 0));
        if (at >= 0)
            read[at].product_count = db_int(rows, 1);
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

/* The tree; with_counts also counts each category's products (a scan of the product index,
 * which the pages that only name the categories skip). */
static int read_tree(struct db *db, struct arena *a, bool with_counts, struct category_node **out,
                     int *out_count)
{
    *out = NULL;
    *out_count = 0;
    int64_t total = 0;
    int rc = db_query_int(db, &total, "SELECT count(*) FROM category");
    if (rc)
        return rc;
    size_t cap = (size_t)total + 1;
    struct category_node *read = arena_calloc(a, cap, sizeof *read);
    struct db_rows *rows;
    /* siblings come in display order, so appending keeps it */
    if ((rc = db_query(db, &rows,
                       "SELECT " NODE_COLUMNS " FROM category ORDER BY COALESCE(parent_id, 0), "
                       "position, id")))
        return rc;
    int n = 0;
    while ((size_t)n < cap && (rc = db_next(rows)) > 0)
        fill_node(&read[n++], rows, a);
    db_rows_free(rows);
    if (rc < 0)
        return rc;

    struct tree_index *index = arena_calloc(a, (size_t)n + 1, sizeof *index);
    for (int i = 0; i < n; i++)
        index[i] = (struct tree_index){read[i].id, i};
    qsort(index, (size_t)n, sizeof *index, compare_index);

    if (with_counts && (rc = count_products(db, read, index, n)))
        return rc;

    /* children lists (first child, next sibling) in display order */
    int *first = arena_calloc(a, (size_t)n + 1, sizeof *first);
    int *next = arena_calloc(a, (size_t)n + 1, sizeof *next);
    int *last = arena_calloc(a, (size_t)n + 1, sizeof *last);
    int *parent_at = arena_calloc(a, (size_t)n + 1, sizeof *parent_at);
    for (int i = 0; i < n; i++)
        first[i] = next[i] = last[i] = -1;
    int root_first = -1, root_last = -1;
    for (int i = 0; i < n; i++) {
        int p = read[i].parent_id ? find_node(index, n, read[i].parent_id) : -1;
        parent_at[i] = p;
        int *head = p >= 0 ? &first[p] : &root_first, *tail = p >= 0 ? &last[p] : &root_last;
        if (*tail >= 0)
            next[*tail] = i;
        else
            *head = i;
        *tail = i;
        if (p >= 0)
            read[p].child_count++;
    }

    /* depth-first, iteratively; nodes on a cycle (which the rules prevent) come last */
    struct category_node *list = arena_calloc(a, (size_t)n + 1, sizeof *list);
    int *order = arena_calloc(a, (size_t)n + 1, sizeof *order);
    int *stack = arena_calloc(a, (size_t)n + 1, sizeof *stack);
    bool *seen = arena_calloc(a, (size_t)n + 1, sizeof *seen);
    int count = 0, top = 0;
    for (int r = root_first; r >= 0; r = next[r]) {
        stack[top++] = r;
        while (top) {
            int i = stack[--top];
            seen[i] = true;
            order[count++] = i;
            /* children go on the stack in reverse so the first comes out first */
            int kids = 0;
            for (int c = first[i]; c >= 0; c = next[c])
                kids++;
            int k = top + kids - 1;
            for (int c = first[i]; c >= 0; c = next[c])
                stack[k--] = c;
            top += kids;
        }
    }
    for (int i = 0; i < n; i++)
        if (!seen[i])
            order[count++] = i;
    int *depth_of = arena_calloc(a, (size_t)n + 1, sizeof *depth_of);
    for (int k = 0; k < count; k++) {
        int i = order[k];
        depth_of[i] = parent_at[i] >= 0 ? depth_of[parent_at[i]] + 1 : 0;
        list[k] = read[i];
        list[k].depth = depth_of[i];
        list[k].subtree_product_count = read[i].product_count;
    }
    /* subtree counts: children come after their parent, so summing backwards works */
    int *slot = arena_calloc(a, (size_t)n + 1, sizeof *slot);
    for (int k = 0; k < count; k++)
        slot[order[k]] = k;
    for (int k = count - 1; k >= 0; k--) {
        int p = parent_at[order[k]];
        if (p >= 0 && slot[p] < k)
            list[slot[p]].subtree_product_count += list[k].subtree_product_count;
    }
    *out = list;
    *out_count = count;
    return 0;
}

int catalog_category_tree(struct db *db, struct arena *a, struct category_node **out,
                          int *out_count)
{
    return read_tree(db, a, true, out, out_count);
}

/* ---- the outline kept between calls ---- */

/* One reading of the outline: the nodes' strings point into pool. */
struct outline_copy {
    int64_t version; /* category_version when it was read; 0: nothing read yet */
    struct category_node *nodes;
    int count;
    char *pool;
    size_t pool_len;
};

/* One search's matches (struct matches below), as read at product_search_version. */
struct kept_matches {
    char *match; /* the FTS5 query; NULL: a free slot */
    int64_t version;
    int64_t *ids;
    int count;
    unsigned long used; /* for replacing the least recently used */
};

enum { KEPT_SEARCHES = 16, KEPT_MATCHES_MAX = 1 << 20 /* ids, all searches together */ };

struct catalog_cache {
    pthread_mutex_t lock;
    struct outline_copy copy;
    struct kept_matches searches[KEPT_SEARCHES];
    unsigned long tick;
};

struct catalog_cache *catalog_cache_new(void)
{
    struct catalog_cache *c = xcalloc(1, sizeof *c);
    pthread_mutex_init(&c->lock, NULL);
    return c;
}

static void outline_copy_release(struct outline_copy *copy)
{
    free(copy->nodes);
    free(copy->pool);
    *copy = (struct outline_copy){0};
}

void catalog_cache_free(struct catalog_cache *c)
{
    if (!c)
        return;
    outline_copy_release(&c->copy);
    for (int i = 0; i < KEPT_SEARCHES; i++) {
        free(c->searches[i].match);
        free(c->searches[i].ids);
    }
    pthread_mutex_destroy(&c->lock);
    free(c);
}

int catalog_category_version(struct db *db, int64_t *out)
{
    return db_query_int(db, out, "SELECT value FROM table_counter WHERE name = 'category_version'");
}

/* Moves s into pool at *at (NULL stays NULL). */
static char *pool_put(char *pool, size_t *at, const char *s)
{
    if (!s)
        return NULL;
    size_t n = strlen(s) + 1;
    char *to = pool + *at;
    memcpy(to, s, n);
    *at += n;
    return to;
}

/* A copy of nodes[0..count) whose strings live in one block. */
static void outline_copy_make(struct outline_copy *out, int64_t version,
                              const struct category_node *nodes, int count)
{
    size_t len = 0;
    for (int i = 0; i < count; i++)
        len += (nodes[i].name ? strlen(nodes[i].name) + 1 : 0) +
               (nodes[i].description ? strlen(nodes[i].description) + 1 : 0);
    out->version = version;
    out->count = count;
    out->nodes = xcalloc((size_t)count + 1, sizeof *out->nodes);
    out->pool = xmalloc(len + 1);
    out->pool_len = len;
    size_t at = 0;
    for (int i = 0; i < count; i++) {
        out->nodes[i] = nodes[i];
        out->nodes[i].name = pool_put(out->pool, &at, nodes[i].name);
        out->nodes[i].description = pool_put(out->pool, &at, nodes[i].description);
    }
}

/* The copy's nodes in arena a, strings and all. */
static void outline_copy_out(const struct outline_copy *copy, struct arena *a,
                             struct category_node **out, int *out_count)
{
    struct category_node *nodes = arena_calloc(a, (size_t)copy->count + 1, sizeof *nodes);
    memcpy(nodes, copy->nodes, (size_t)copy->count * sizeof *nodes);
    char *pool = arena_memdup(a, copy->pool, copy->pool_len + 1);
    for (int i = 0; i < copy->count; i++) {
        if (nodes[i].name)
            nodes[i].name = pool + (nodes[i].name - copy->pool);
        if (nodes[i].description)
            nodes[i].description = pool + (nodes[i].description - copy->pool);
    }
    *out = nodes;
    *out_count = copy->count;
}

int catalog_category_outline(struct catalog_cache *c, struct db *db, struct arena *a,
                             struct category_node **out, int *out_count, int64_t *out_version)
{
    *out = NULL;
    *out_count = 0;
    /* the version before the tree: a change between the two makes the copy newer than its
     * version says, so the next call reads it again, never the other way round */
    int64_t version;
    int rc = catalog_category_version(db, &version);
    if (rc)
        return rc;
    if (out_version)
        *out_version = version;
    pthread_mutex_lock(&c->lock);
    bool fresh = c->copy.version == version;
    if (fresh)
        outline_copy_out(&c->copy, a, out, out_count);
    pthread_mutex_unlock(&c->lock);
    if (fresh)
        return 0;
    if ((rc = read_tree(db, a, false, out, out_count)))
        return rc;
    struct outline_copy copy;
    outline_copy_make(&copy, version, *out, *out_count);
    pthread_mutex_lock(&c->lock);
    if (version > c->copy.version) {
        outline_copy_release(&c->copy);
        c->copy = copy;
    } else {
        outline_copy_release(&copy);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

/* Levels from the root down to category id, itself included (0 for id 0, the root). */
static int levels_above(struct db *db, int64_t id, int64_t *out)
{
    *out = 0;
    if (!id)
        return 0;
    return db_query_int(db, out, VISIBLE_CATEGORY_CTE "SELECT count(*) FROM up", DB_INT(id));
}

/* True in *out when category ancestor is id itself or one of its ancestors. */
static int is_ancestor_or_self(struct db *db, int64_t ancestor, int64_t id, bool *out)
{
    int64_t n = 0;
    int rc = db_query_int(db, &n, VISIBLE_CATEGORY_CTE "SELECT count(*) FROM up WHERE id = ?",
                          DB_INT(id), DB_INT(ancestor));
    *out = n > 0;
    return rc;
}

/* Levels of the subtree under id, itself included. */
static int subtree_height(struct db *db, int64_t id, int64_t *out)
{
    return db_query_int(db, out,
                        "WITH RECURSIVE down(id, depth) AS (SELECT CAST(? AS BIGINT), 1"
                        " UNION SELECT c.id, down.depth + 1 FROM category c"
                        " JOIN down ON c.parent_id = down.id WHERE down.depth < 64) "
                        "SELECT max(depth) FROM down",
                        DB_INT(id));
}

/* The position after the last child of parent (0 = root). */
static int next_position(struct db *db, int64_t parent, int64_t *out)
{
    return db_query_int(db, out,
                        "SELECT COALESCE(max(position), 0) + 1 FROM category "
                        "WHERE COALESCE(parent_id, 0) = ?",
                        DB_INT(parent));
}

static int category_exists(struct db *db, int64_t id, int64_t *out_parent)
{
    int64_t parent = 0;
    int rc = db_query_int(db, &parent, "SELECT COALESCE(parent_id, 0) FROM category WHERE id = ?",
                          DB_INT(id));
    if (out_parent)
        *out_parent = parent;
    return rc;
}

struct category_save {
    const struct category_input *in;
    int64_t id;
    struct listing_problem *why;
};

static int apply_category_save(struct db *db, void *ctx)
{
    struct category_save *c = ctx;
    const struct category_input *in = c->in;
    int rc = lock_tree(db);
    if (rc)
        return rc;
    int64_t old_parent = 0;
    if (in->id && (rc = category_exists(db, in->id, &old_parent)))
        return rc == ERR_NOTFOUND ? listing_refuse_code(c->why, rc, "", "No such category") : rc;
    if (in->parent_id && (rc = category_exists(db, in->parent_id, NULL)))
        return rc == ERR_NOTFOUND
                   ? listing_refuse(c->why, "parent_id", "The parent category does not exist")
                   : rc;
    bool moves = !in->id || old_parent != in->parent_id;
    if (in->id && moves && in->parent_id) {
        bool cycle = false;
        if ((rc = is_ancestor_or_self(db, in->id, in->parent_id, &cycle)))
            return rc;
        if (cycle)
            return listing_refuse(c->why, "parent_id",
                                  "A category cannot move into itself or one of its subcategories");
    }
    if (moves) {
        int64_t above = 0, height = 1;
        if ((rc = levels_above(db, in->parent_id, &above)) ||
            (in->id && (rc = subtree_height(db, in->id, &height))))
            return rc;
        if (above + height > CATALOG_DEPTH_MAX)
            return listing_refuse(c->why, "parent_id",
                                  "The tree would be deeper than %d levels there",
                                  CATALOG_DEPTH_MAX);
    }
    int64_t position = 0;
    if (moves && (rc = next_position(db, in->parent_id, &position)))
        return rc;
    const char *description = in->description ? in->description : "";
    if (!in->id) {
        return db_query_int(db, &c->id,
                            "INSERT INTO category (parent_id, name, description, position, "
                            "is_active) VALUES (?, ?, ?, ?, ?) RETURNING id",
                            DB_INT_OR_NULL(in->parent_id, in->parent_id != 0), DB_TEXT(in->name),
                            DB_TEXT(description), DB_INT(position), DB_INT(in->is_active));
    }
    c->id = in->id;
    return db_exec(db,
                   "UPDATE category SET parent_id = ?, name = ?, description = ?, is_active = ?, "
                   "position = CASE WHEN ? = 1 THEN ? ELSE position END, updated_at = ? "
                   "WHERE id = ?",
                   DB_INT_OR_NULL(in->parent_id, in->parent_id != 0), DB_TEXT(in->name),
                   DB_TEXT(description), DB_INT(in->is_active), DB_INT(moves), DB_INT(position),
                   DB_INT(clock_now()), DB_INT(in->id));
}

int catalog_category_save(struct db *db, const struct category_input *in, int64_t *out_id,
                          struct listing_problem *why)
{
    int rc;
    if ((rc = listing_check_text(why, "name", "Name", in->name, true, CATALOG_NAME_MAX)) ||
        (rc = listing_check_text(why, "description", "Description", in->description, false,
                                 CATALOG_CATEGORY_DESCRIPTION_MAX)))
        return rc;
    if (in->id < 0 || in->parent_id < 0)
        return listing_refuse(why, "parent_id", "The parent category does not exist");
    if (in->id && in->id == in->parent_id)
        return listing_refuse(why, "parent_id",
                              "A category cannot move into itself or one of its subcategories");
    struct category_save c = {in, 0, why};
    rc = db_transaction(db, apply_category_save, &c);
    if (!rc && out_id)
        *out_id = c.id;
    return rc;
}

int catalog_category_set_active(struct db *db, int64_t id, bool active)
{
    int rc = db_exec(db, "UPDATE category SET is_active = ?, updated_at = ? WHERE id = ?",
                     DB_INT(active), DB_INT(clock_now()), DB_INT(id));
    return rc ? rc : db_changes(db) ? 0 : ERR_NOTFOUND;
}

int catalog_category_set_index(struct db *db, int64_t id, int64_t index)
{
    return listing_move(db, "category", "parent_id", id, index);
}

int catalog_category_shift(struct db *db, int64_t id, int delta)
{
    return listing_shift(db, "category", "parent_id", id, delta);
}

struct category_delete {
    int64_t id;
    const struct category_removal *how;
    struct listing_problem *why;
};

static int apply_category_delete(struct db *db, void *ctx)
{
    struct category_delete *d = ctx;
    const struct category_removal *how = d->how;
    int rc = lock_tree(db);
    if (rc)
        return rc;
    int64_t parent = 0, products = 0, children = 0;
    if ((rc = category_exists(db, d->id, &parent)))
        return rc == ERR_NOTFOUND ? listing_refuse_code(d->why, rc, "", "No such category") : rc;
    if ((rc = db_query_int(db, &products, "SELECT count(*) FROM product WHERE category_id = ?",
                           DB_INT(d->id))) ||
        (rc = db_query_int(db, &children, "SELECT count(*) FROM category WHERE parent_id = ?",
                           DB_INT(d->id))))
        return rc;
    if (children && how->children == CATEGORY_CHILDREN_REFUSE)
        return listing_refuse_code(
            d->why, ERR_CONFLICT, "children",
            "The category has %" PRId64 " subcategories: choose what happens to them", children);
    if (products && how->products == CATEGORY_PRODUCTS_REFUSE)
        return listing_refuse_code(
            d->why, ERR_CONFLICT, "products",
            "The category has %" PRId64 " products: choose what happens to them", products);
    int64_t now = clock_now();
    if (products && (how->products == CATEGORY_PRODUCTS_MOVE ||
                     how->products == CATEGORY_PRODUCTS_DEACTIVATE)) {
        /* its subcategories survive (lifted), so only the category itself is no target */
        if (how->target_id == d->id)
            return listing_refuse(d->why, "target_id",
                                  "Products cannot move into the category being deleted");
        if (how->target_id <= 0 || (rc = category_exists(db, how->target_id, NULL)))
            return rc && rc != ERR_NOTFOUND
                       ? rc
                       : listing_refuse(d->why, "target_id",
                                        "Choose an existing category for the products");
        rc = how->products == CATEGORY_PRODUCTS_MOVE
                 ? db_exec(db,
                           "UPDATE product SET category_id = ?, updated_at = ? "
                           "WHERE category_id = ?",
                           DB_INT(how->target_id), DB_INT(now), DB_INT(d->id))
                 : db_exec(db,
                           "UPDATE product SET category_id = ?, is_active = 0, updated_at = ? "
                           "WHERE category_id = ?",
                           DB_INT(how->target_id), DB_INT(now), DB_INT(d->id));
    } else if (products) {
        rc = db_exec(db, "DELETE FROM product WHERE category_id = ?", DB_INT(d->id));
    }
    if (rc)
        return rc;
    if (children) {
        int64_t position;
        if ((rc = next_position(db, parent, &position)))
            return rc;
        /* appended after the new siblings, keeping their own order */
        if ((rc = db_exec(db,
                          "UPDATE category SET parent_id = ?, position = position + ?, "
                          "updated_at = ? WHERE parent_id = ?",
                          DB_INT_OR_NULL(parent, parent != 0), DB_INT(position), DB_INT(now),
                          DB_INT(d->id))))
            return rc;
    }
    return db_exec(db, "DELETE FROM category WHERE id = ?", DB_INT(d->id));
}

int catalog_category_delete(struct db *db, int64_t id, const struct category_removal *how,
                            struct listing_problem *why)
{
    struct category_delete d = {id, how, why};
    return db_transaction(db, apply_category_delete, &d);
}

/* ---- products, staff side ---- */

int catalog_product_get(struct db *db, struct arena *a, int64_t id, struct product *out)
{
    return read_product(db, a, id, false, out);
}

/* The search's condition on SQLite: the products the FTS5 query matched, read once per list
 * (the trigram lists of common words are what a search costs) and handed back as a JSON
 * array of ids. */
enum match_use {
    MATCH_DRIVES,   /* id IN (the matches): the matches drive the query */
    MATCH_LEFT_OUT, /* no condition: the caller checks each row against the matches */
};

/* Adds the search: every word of query must occur in the name. *out_match gets the FTS5 query
 * of the words the trigram index can find (SQLite), and the condition on them is
 * `id IN (matches)` with matches_json (unless use says to leave it out); *out_likes is set
 * when a word is checked with LIKE instead. */
static void add_product_search(struct db *db, struct listing_query *q, bool *started,
                               struct arena *a, const char *query, enum match_use use,
                               const char *matches_json, const char **out_match, bool *out_likes)
{
    enum { WORDS = 8 };
    struct buf match = BUF_INIT;
    int words = 0;
    const char *p = query;
    while (*p && words < WORDS) {
        p += strspn(p, " \t\r\n");
        size_t len = strcspn(p, " \t\r\n");
        if (!len)
            break;
        char *word = arena_strndup(a, p, len);
        p += len;
        words++;
        char *pattern = catalog_like_pattern(a, word);
        struct buf key = BUF_INIT;
        utf8_search_key(&key, word, strlen(word));
        /* the trigram index finds words of 3 characters and more; shorter ones are checked
         * on the rows it found (or on all rows when no word is long enough) */
        if (db_kind(db) == DB_SQLITE && utf8_count(key.data, key.len) >= 3) {
            if (match.len)
                buf_addc(&match, ' ');
            buf_addc(&match, '"');
            for (size_t i = 0; i < key.len; i++) {
                if (key.data[i] == '"')
                    buf_addc(&match, '"');
                buf_addc(&match, key.data[i]);
            }
            buf_addc(&match, '"');
        } else if (db_kind(db) == DB_SQLITE) {
            listing_query_and(q, started, "search_text LIKE ? ESCAPE '\\'", DB_TEXT(pattern));
            *out_likes = true;
        } else {
            /* PostgreSQL: LIKE's escape character is the backslash already */
            listing_query_and(q, started, "search_text LIKE ?", DB_TEXT(pattern));
        }
        buf_release(&key);
    }
    *out_match = match.len ? arena_memdup(a, match.data, match.len) : NULL;
    if (match.len && use == MATCH_DRIVES)
        listing_query_and(q, started, "id IN (SELECT value FROM json_each(?))",
                          DB_TEXT(matches_json ? matches_json : "[]"));
    buf_release(&match);
}

/* A search matching more products than this walks the sort order's index (SQLite) and picks
 * the matches from it, instead of sorting them all. */
enum { SEARCH_WIDE = 2000 };

/* Builds the WHERE of f (see add_product_search for use and matches_json). *out_match gets
 * the FTS5 query (SQLite) or NULL; *out_match_alone tells whether it is the whole
 * condition, so that the matches alone are the count. */
static void product_where(struct db *db, struct arena *a, const struct product_filter *f,
                          enum match_use use, const char *matches_json, struct listing_query *where,
                          const char **out_match, bool *out_match_alone)
{
    listing_query_init(where, "");
    bool started = false, likes = false;
    *out_match = NULL;
    if (f->query)
        add_product_search(db, where, &started, a, f->query, use, matches_json, out_match, &likes);
    size_t search_len = where->sql.len;
    if (f->category_id)
        listing_query_and(where, &started,
                          "category_id IN (WITH RECURSIVE down(id) AS (SELECT CAST(? AS BIGINT)"
                          " UNION SELECT c.id FROM category c JOIN down ON c.parent_id = down.id)"
                          " SELECT id FROM down)",
                          DB_INT(f->category_id));
    if (f->active == LISTING_YES)
        listing_query_and(where, &started, "is_active = 1");
    else if (f->active == LISTING_NO)
        listing_query_and(where, &started, "is_active = 0");
    if (f->in_stock == LISTING_YES)
        listing_query_and(where, &started, "stock > 0");
    else if (f->in_stock == LISTING_NO)
        listing_query_and(where, &started, "stock = 0");
    if (f->stock_below > 0)
        listing_query_and(where, &started, "stock < ?", DB_INT(f->stock_below));
    /* nothing after the search, and in it no LIKE of a short word */
    *out_match_alone = *out_match && where->sql.len == search_len && !likes;
}

/* The ids the FTS5 query matches, ascending. */
struct matches {
    int64_t *ids;
    int count;
};

static int query_matches(struct db *db, struct arena *a, const char *match, struct matches *out)
{
    *out = (struct matches){0};
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT rowid FROM product_fts WHERE product_fts MATCH ? ORDER BY rowid",
                      DB_TEXT(match));
    if (rc)
        return rc;
    int cap = 0;
    while ((rc = db_next(rows)) > 0) {
        if (out->count == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *grown = arena_calloc(a, (size_t)cap, sizeof *grown);
            if (out->count)
                memcpy(grown, out->ids, (size_t)out->count * sizeof *grown);
            out->ids = grown;
        }
        out->ids[out->count++] = db_int(rows, 0);
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

/* The matches of an FTS5 query, from the cache while the products' search keys have not
 * changed (product_search_version, read before the index so that a change in between makes
 * the copy look older than it is, never newer). */
static int read_matches(struct db *db, struct catalog_cache *c, struct arena *a, const char *match,
                        struct matches *out)
{
    if (!c)
        return query_matches(db, a, match, out);
    int64_t version;
    int rc = db_query_int(db, &version,
                          "SELECT value FROM table_counter WHERE name = 'product_search_version'");
    if (rc)
        return rc;
    pthread_mutex_lock(&c->lock);
    struct kept_matches *hit = NULL;
    for (int i = 0; i < KEPT_SEARCHES && !hit; i++)
        if (c->searches[i].match && c->searches[i].version == version &&
            !strcmp(c->searches[i].match, match))
            hit = &c->searches[i];
    if (hit) {
        hit->used = ++c->tick;
        out->count = hit->count;
        out->ids = arena_calloc(a, (size_t)hit->count + 1, sizeof *out->ids);
        if (hit->count)
            memcpy(out->ids, hit->ids, (size_t)hit->count * sizeof *out->ids);
    }
    pthread_mutex_unlock(&c->lock);
    if (hit)
        return 0;
    if ((rc = query_matches(db, a, match, out)))
        return rc;
    pthread_mutex_lock(&c->lock);
    /* the least recently used slot; the old copies go first when all together are too many */
    struct kept_matches *slot = &c->searches[0];
    size_t kept = 0;
    for (int i = 0; i < KEPT_SEARCHES; i++) {
        struct kept_matches *k = &c->searches[i];
        if (k->match && k->version != version) { /* outdated: drop */
            free(k->match);
            free(k->ids);
            *k = (struct kept_matches){0};
        }
        kept += (size_t)k->count;
        if (k->used < slot->used)
            slot = k;
    }
    if (kept - (size_t)slot->count + (size_t)out->count <= KEPT_MATCHES_MAX) {
        free(slot->match);
        free(slot->ids);
        *slot = (struct kept_matches){xstrdup(match), version,
                                      xcalloc((size_t)out->count + 1, sizeof *slot->ids),
                                      out->count, ++c->tick};
        if (out->count)
            memcpy(slot->ids, out->ids, (size_t)out->count * sizeof *slot->ids);
    }
    pthread_mutex_unlock(&c->lock);
    return 0;
}

static bool is_match(const struct matches *m, int64_t id)
{
    int lo = 0, hi = m->count;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (m->ids[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->count && m->ids[lo] == id;
}

/* ids as a JSON array "[1,2,3]" in a. */
static char *ids_json(struct arena *a, const int64_t *ids, int count)
{
    struct buf b = BUF_INIT;
    buf_addc(&b, '[');
    for (int i = 0; i < count; i++) {
        if (i)
            buf_addc(&b, ',');
        buf_add_int(&b, ids[i]);
    }
    buf_addc(&b, ']');
    char *out = arena_memdup(a, b.data, b.len);
    buf_release(&b);
    return out;
}

/* Every product, counted as listing_count would (up to LISTING_COUNT_MAX + 1), from the
 * counter migration 0009 keeps instead of from the table. */
static int count_all_products(struct db *db, int64_t *out)
{
    int rc = db_query_int(db, out, "SELECT value FROM table_counter WHERE name = 'product_count'");
    if (!rc && *out > LISTING_COUNT_MAX + 1)
        *out = LISTING_COUNT_MAX + 1;
    return rc;
}

/* A wide search's page: walks the rest of the condition (where) in the sort order and keeps
 * the matching ids from the offset-th on, up to limit, into *out (in order). */
static int pick_matches(struct db *db, struct arena *a, const struct listing_query *where,
                        const char *order, const struct matches *m, int64_t offset, int limit,
                        struct matches *out)
{
    *out = (struct matches){arena_calloc(a, (size_t)limit, sizeof *out->ids), 0};
    struct listing_query q;
    listing_query_init(&q, "SELECT id FROM product");
    listing_query_addv(&q, where->sql.data, where->params, where->count);
    listing_query_addv(&q, order, NULL, 0);
    q.overflow |= where->overflow;
    struct db_rows *rows;
    int rc = listing_query_run(db, &q, &rows);
    listing_query_release(&q);
    if (rc)
        return rc;
    int64_t skipped = 0;
    while (out->count < limit && (rc = db_next(rows)) > 0) {
        int64_t id = db_int(rows, 0);
        if (!is_match(m, id))
            continue;
        if (skipped < offset)
            skipped++;
        else
            out->ids[out->count++] = id;
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}

int catalog_product_list(struct db *db, struct arena *a, const struct product_filter *f,
                         int64_t offset, int limit, struct product **out, int *out_count,
                         int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    *out_total = 0;
    if (!listing_page_valid(offset, limit))
        return ERR_INVALID;
    static const char *const order[][2] = {
        [PRODUCT_SORT_CREATED] = {" ORDER BY created_at, id", " ORDER BY created_at DESC, id DESC"},
        [PRODUCT_SORT_NAME] = {" ORDER BY name, id", " ORDER BY name DESC, id DESC"},
        [PRODUCT_SORT_PRICE] = {" ORDER BY price, id", " ORDER BY price DESC, id DESC"},
        [PRODUCT_SORT_STOCK] = {" ORDER BY stock, id", " ORDER BY stock DESC, id DESC"},
    };
    if ((unsigned)f->sort >= sizeof order / sizeof *order)
        return ERR_INVALID;
    const char *sort = order[f->sort][f->descending];
    struct listing_query where;
    const char *match;
    bool match_alone;
    product_where(db, a, f, MATCH_LEFT_OUT, NULL, &where, &match, &match_alone);
    struct matches m = {0}, page = {0};
    int rc = 0;
    if (match) { /* SQLite: the index is asked once, and its answer serves count and page */
        listing_query_release(&where);
        if ((rc = read_matches(db, f->cache, a, match, &m)))
            return rc;
        const char *json = ids_json(a, m.ids, m.count);
        product_where(db, a, f, MATCH_DRIVES, json, &where, &match, &match_alone);
        if (match_alone)
            *out_total = m.count > LISTING_COUNT_MAX ? LISTING_COUNT_MAX + 1 : m.count;
        else
            rc = listing_count(db, "product", &where, out_total);
        if (!rc && *out_total > SEARCH_WIDE) {
            struct listing_query rest;
            product_where(db, a, f, MATCH_LEFT_OUT, NULL, &rest, &match, &match_alone);
            rc = pick_matches(db, a, &rest, sort, &m, offset, limit, &page);
            listing_query_release(&rest);
            if (!rc) { /* the page's own ids, from the first */
                listing_query_release(&where);
                json = ids_json(a, page.ids, page.count);
                product_where(db, a, f, MATCH_DRIVES, json, &where, &match, &match_alone);
                offset = 0;
            }
        }
    } else {
        rc = where.sql.len ? listing_count(db, "product", &where, out_total)
                           : count_all_products(db, out_total);
    }
    if (rc)
        goto done;
    struct db_rows *rows;
    rc = listing_page(db, "SELECT " PRODUCT_COLUMNS " FROM product", &where, sort, offset, limit,
                      &rows);
    if (rc)
        goto done;
    void *list;
    if (!(rc = listing_read(rows, a, limit, sizeof **out, fill_product, &list, out_count)))
        *out = list;
done:
    listing_query_release(&where);
    return rc;
}

int catalog_product_save(struct db *db, const struct product *p, int64_t *out_id,
                         struct listing_problem *why)
{
    int rc;
    if ((rc = listing_check_text(why, "name", "Name", p->name, true, CATALOG_NAME_MAX)) ||
        (rc = listing_check_text(why, "description", "Description", p->description, false,
                                 CATALOG_PRODUCT_DESCRIPTION_MAX)))
        return rc;
    if (p->price < 0 || p->price > CATALOG_PRICE_MAX)
        return listing_refuse(why, "price", "The price must be between 0 and %" PRId64,
                              CATALOG_PRICE_MAX);
    if (p->stock < 0 || p->stock > CATALOG_STOCK_MAX)
        return listing_refuse(why, "stock", "The stock must be between 0 and %" PRId64,
                              CATALOG_STOCK_MAX);
    if (!p->id && (rc = listing_check_file_path(why, "photo", p->photo_path)))
        return rc;
    if (p->category_id <= 0 || (rc = category_exists(db, p->category_id, NULL)))
        return rc && rc != ERR_NOTFOUND
                   ? rc
                   : listing_refuse(why, "category_id", "Choose an existing category");
    if (!p->id) {
        int64_t id;
        if ((rc = catalog_create_product(db, p, 0, &id)))
            return rc;
        if (!p->is_active && (rc = catalog_products_set_active(db, &id, 1, false, NULL)))
            return rc;
        if (out_id)
            *out_id = id;
        return 0;
    }
    if ((rc = catalog_update_product(db, p, p->is_active)))
        return rc == ERR_NOTFOUND ? listing_refuse_code(why, rc, "", "No such product") : rc;
    if (out_id)
        *out_id = p->id;
    return 0;
}

struct photo_change {
    struct arena *a;
    int64_t id;
    const char *path;
    char *old;
};

static int apply_photo_change(struct db *db, void *ctx)
{
    struct photo_change *c = ctx;
    struct db_rows *rows;
    int rc = db_query(db, &rows, "SELECT photo_path FROM product WHERE id = ?", DB_INT(c->id));
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0)
        c->old = db_text_dup(rows, 0, c->a);
    db_rows_free(rows);
    if (rc <= 0)
        return rc < 0 ? rc : ERR_NOTFOUND;
    /* a new photo invalidates the cached Telegram file_id */
    return db_exec(db,
                   "UPDATE product SET photo_file_id = CASE WHEN photo_path IS NOT DISTINCT FROM ? "
                   "THEN photo_file_id ELSE NULL END, photo_path = ?, updated_at = ? WHERE id = ?",
                   DB_TEXT(c->path), DB_TEXT(c->path), DB_INT(clock_now()), DB_INT(c->id));
}

int catalog_product_set_photo(struct db *db, struct arena *a, int64_t id, const char *path,
                              char **out_old, struct listing_problem *why)
{
    int rc = listing_check_file_path(why, "photo", path);
    if (rc)
        return rc;
    struct photo_change c = {a, id, path, NULL};
    if ((rc = db_transaction(db, apply_photo_change, &c)))
        return rc == ERR_NOTFOUND ? listing_refuse_code(why, rc, "", "No such product") : rc;
    if (out_old)
        *out_old = c.old;
    return 0;
}

struct bulk {
    struct arena *a;
    const int64_t *ids;
    int count;
    bool active, remove;
    int64_t changed;
    char **photos;
    int photo_count;
};

static int apply_bulk(struct db *db, void *ctx)
{
    struct bulk *b = ctx;
    b->changed = 0;
    b->photo_count = 0;
    int64_t now = clock_now();
    for (int i = 0; i < b->count; i++) {
        int rc;
        if (!b->remove) {
            if ((rc =
                     db_exec(db,
                             "UPDATE product SET is_active = ?, updated_at = ? "
                             "WHERE id = ? AND is_active <> ?",
                             DB_INT(b->active), DB_INT(now), DB_INT(b->ids[i]), DB_INT(b->active))))
                return rc;
            b->changed += db_changes(db);
            continue;
        }
        struct db_rows *rows;
        if ((rc = db_query(db, &rows, "DELETE FROM product WHERE id = ? RETURNING photo_path",
                           DB_INT(b->ids[i]))))
            return rc;
        while ((rc = db_next(rows)) > 0) {
            b->changed++;
            if (b->photos && !db_is_null(rows, 0))
                b->photos[b->photo_count++] = db_text_dup(rows, 0, b->a);
        }
        db_rows_free(rows);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int catalog_products_set_active(struct db *db, const int64_t *ids, int count, bool active,
                                int64_t *out_changed)
{
    if (count < 0 || count > LISTING_BULK_MAX)
        return ERR_INVALID;
    struct bulk b = {.ids = ids, .count = count, .active = active};
    int rc = db_transaction(db, apply_bulk, &b);
    if (!rc && out_changed)
        *out_changed = b.changed;
    return rc;
}

int catalog_products_delete(struct db *db, struct arena *a, const int64_t *ids, int count,
                            int64_t *out_deleted, char ***out_photos, int *out_photo_count)
{
    if (count < 0 || count > LISTING_BULK_MAX)
        return ERR_INVALID;
    struct bulk b = {.a = a, .ids = ids, .count = count, .remove = true};
    if (out_photos)
        b.photos = arena_calloc(a, (size_t)count + 1, sizeof *b.photos);
    int rc = db_transaction(db, apply_bulk, &b);
    if (rc)
        return rc;
    if (out_deleted)
        *out_deleted = b.changed;
    if (out_photos) {
        *out_photos = b.photos;
        *out_photo_count = b.photo_count;
    }
    return 0;
}
