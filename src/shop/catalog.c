#include "shop/catalog.h"

#include <string.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
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

int catalog_product(struct db *db, struct arena *a, int64_t id, struct product *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT id, category_id, name, description, price, stock, photo_path, "
                      "photo_file_id FROM product WHERE id = ? AND is_active = 1",
                      DB_INT(id));
    if (rc)
        return rc;
    if ((rc = db_next(rows)) > 0) {
        out->id = db_int(rows, 0);
        out->category_id = db_int(rows, 1);
        out->name = db_text_dup(rows, 2, a);
        out->description = db_text_dup(rows, 3, a);
        out->price = db_int(rows, 4);
        out->stock = db_int(rows, 5);
        out->photo_path = db_text_dup(rows, 6, a);
        out->photo_file_id = db_text_dup(rows, 7, a);
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_NOTFOUND;
    }
    db_rows_free(rows);
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
    /* a new photo invalidates the cached Telegram file_id */
    int rc = db_exec(
        db,
        "UPDATE product SET category_id = ?, name = ?, description = ?, price = ?, "
        "stock = ?, photo_file_id = CASE WHEN photo_path IS NOT DISTINCT FROM ? THEN photo_file_id "
        "ELSE NULL END, photo_path = ?, search_text = ?, is_active = ?, "
        "updated_at = ? WHERE id = ?",
        DB_INT(p->category_id), DB_TEXT(p->name), DB_TEXT(p->description ? p->description : ""),
        DB_INT(p->price), DB_INT(p->stock), DB_TEXT(p->photo_path), DB_TEXT(p->photo_path),
        DB_TEXT(search_key(&a, p->name)), DB_INT(is_active), DB_INT(clock_now()), DB_INT(p->id));
    arena_release(&a);
    if (rc == 0 && db_changes(db) == 0)
        rc = ERR_NOTFOUND;
    return rc;
}
