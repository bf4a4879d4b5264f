/* Products: the list with thumbnails, search, filters (a category with its subcategories,
 * active, in stock), sortable columns and bulk actions; the create/edit form. Validation is
 * the domain's (catalog_product_save). */
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/parse.h"
#include "shop/catalog.h"
#include "media/upload.h"
#include "shop/money.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "web/web.h"
#include "core/banned.h"

/* The sql member only marks a column sortable: the domain sorts by enum product_sort. */
static const struct web_column columns[] = {
    {"select", "", NULL, false},        {"photo", "", NULL, false},
    {"name", "Name", "name", false},    {"category", "Category", NULL, false},
    {"price", "Price", "price", false}, {"stock", "Stock", "stock", false},
    {"status", "Status", NULL, false},  {"created", "Added", "created", true},
};

static enum product_sort sort_of(const struct web_column *c)
{
    return !strcmp(c->key, "name")    ? PRODUCT_SORT_NAME
           : !strcmp(c->key, "price") ? PRODUCT_SORT_PRICE
           : !strcmp(c->key, "stock") ? PRODUCT_SORT_STOCK
                                      : PRODUCT_SORT_CREATED;
}

static const char *currency(const struct web_page *p)
{
    return p->opt->currency ? p->opt->currency : "XTR";
}

/* The photo's URL under /media/ when it lies in MEDIA_DIR, else NULL. */
static json_t *photo_url(struct web_page *p, const char *path)
{
    const char *dir = p->opt->media_dir;
    size_t n = dir ? strlen(dir) : 0;
    while (n > 1 && dir[n - 1] == '/')
        n--;
    if (!path || !n || strncmp(path, dir, n) || path[n] != '/')
        return json_null();
    struct buf url = BUF_INIT;
    buf_adds(&url, "/media/");
    for (const char *s = path + n + 1; *s; s++) {
        const char *slash = strchr(s, '/');
        size_t len = slash ? (size_t)(slash - s) : strlen(s);
        buf_add_url_encoded(&url, s, len);
        s += len;
        if (!*s)
            break;
        buf_addc(&url, '/');
    }
    json_t *v = json_string(url.data);
    buf_release(&url);
    return v ? v : json_null();
}

/* A price in major units for a form field: "1290.50". */
static const char *price_text(struct web_page *p, int64_t amount)
{
    if (money_exponent(currency(p)) == 0)
        return arena_sprintf(p->arena, "%" PRId64, amount);
    return arena_sprintf(p->arena, "%" PRId64 ".%02" PRId64, amount / 100, amount % 100);
}

/* Every category as an <option>, indented; the one of id `selected` marked. */
static json_t *category_options(const struct category_node *nodes, int count, int64_t selected)
{
    json_t *options = json_array();
    struct buf label = BUF_INIT;
    for (int i = 0; i < count; i++) {
        buf_reset(&label);
        for (int d = 0; d < nodes[i].depth; d++)
            buf_adds(&label, "— ");
        buf_adds(&label, nodes[i].name);
        json_t *o = json_object();
        json_object_set_new(o, "id", json_integer(nodes[i].id));
        json_object_set_new(o, "label", web_json_str(label.data));
        json_object_set_new(o, "selected", json_boolean(nodes[i].id == selected));
        json_array_append_new(options, o);
    }
    buf_release(&label);
    return options;
}

/* The category <option>s (the category_options partial), with the one of id `selected`
 * marked: data.categories. Without a selection the partial is rendered once per version of
 * the tree, kept for every request, and written out as it is (p->prerendered). */
static int category_names(struct web_page *p, struct category_node **out, int *out_count,
                          int64_t selected)
{
    struct web_cache *c = p->cache;
    int64_t version;
    int rc = catalog_category_outline(c->catalog, p->db, p->arena, out, out_count, &version);
    if (rc)
        return rc;
    if (selected) {
        json_object_set_new(p->data, "categories", category_options(*out, *out_count, selected));
        return 0;
    }
    const char *html = NULL;
    size_t len = 0;
    pthread_mutex_lock(&c->lock);
    if (c->options && c->options_version == version) {
        len = c->options_len;
        html = arena_memdup(p->arena, c->options, len);
    }
    pthread_mutex_unlock(&c->lock);
    if (!html) {
        json_t *data = json_object();
        json_object_set_new(data, "categories", category_options(*out, *out_count, 0));
        struct buf b = BUF_INIT;
        rc = tpl_render(p->templates, "category_options", data, &b);
        json_decref(data);
        if (rc) {
            buf_release(&b);
            return rc;
        }
        char *rendered = buf_detach(&b, &len);
        html = arena_memdup(p->arena, rendered, len);
        pthread_mutex_lock(&c->lock);
        if (version > c->options_version) {
            free(c->options);
            c->options = rendered;
            c->options_len = len;
            c->options_version = version;
            rendered = NULL;
        }
        pthread_mutex_unlock(&c->lock);
        free(rendered);
    }
    p->prerendered = (struct tpl_prerendered){"category_options", html, len};
    return 0;
}

static int compare_node_ids(const void *x, const void *y)
{
    const struct category_node *a = *(const struct category_node *const *)x,
                               *b = *(const struct category_node *const *)y;
    return a->id < b->id ? -1 : a->id > b->id;
}

void page_products(struct web_page *p)
{
    struct web_list list;
    web_list_begin(p, &list, columns, sizeof columns / sizeof *columns, "created", "id");
    int64_t category = 0;
    const char *category_text = shop_page_query(p, "category");
    if (*category_text && (parse_int64(category_text, &category) || category < 0))
        category = 0;
    struct product_filter f = {
        .query = shop_page_query(p, "q"),
        .category_id = category,
        .active = shop_page_flag(p, "active"),
        .in_stock = shop_page_flag(p, "in_stock"),
        .sort = sort_of(list.sort),
        .descending = list.desc,
        .cache = p->cache->catalog,
    };
    struct category_node *nodes;
    int node_count;
    struct product *rows;
    int n;
    int64_t total;
    if (category_names(p, &nodes, &node_count, category) ||
        catalog_product_list(p->db, p->arena, &f, shop_page_offset(&list), (int)list.per_page,
                             &rows, &n, &total)) {
        web_db_error(p, "listing products");
        return;
    }
    /* the categories by id, to name each row's */
    const struct category_node **by_id =
        arena_calloc(p->arena, (size_t)node_count + 1, sizeof *by_id);
    for (int k = 0; k < node_count; k++)
        by_id[k] = &nodes[k];
    qsort(by_id, (size_t)node_count, sizeof *by_id, compare_node_ids);
    json_t *out = json_array();
    for (int i = 0; i < n; i++) {
        struct category_node key = {.id = rows[i].category_id};
        const struct category_node *want = &key, **hit = bsearch(&want, by_id, (size_t)node_count,
                                                                 sizeof *by_id, compare_node_ids);
        const char *category_name = hit ? (*hit)->name : "";
        json_array_append_new(
            out, json_pack("{s:I, s:o, s:o, s:o, s:o, s:I, s:b, s:o, s:I}", "id",
                           (json_int_t)rows[i].id, "name", web_json_str(rows[i].name), "photo",
                           photo_url(p, rows[i].photo_path), "category",
                           web_json_str(category_name), "price", web_json_money(p, rows[i].price),
                           "stock", (json_int_t)rows[i].stock, "is_active", rows[i].is_active,
                           "created_at", web_json_time(rows[i].created_at), "category_id",
                           (json_int_t)rows[i].category_id));
    }
    json_object_set_new(p->data, "rows", out);
    json_object_set_new(p->data, "capped", json_boolean(total > LISTING_COUNT_MAX));
    web_list_finish(p, &list, total);
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "products", "Products");
}

static void render_form(struct web_page *p, int64_t id, int64_t category)
{
    struct category_node *nodes;
    int n;
    if (category_names(p, &nodes, &n, category)) {
        web_db_error(p, "reading the categories");
        return;
    }
    json_object_set_new(p->data, "product_id", json_integer(id));
    json_object_set_new(p->data, "currency", json_string(currency(p)));
    web_breadcrumb(p, "Products", "/products");
    web_render(p, "product_form", id ? "Edit the product" : "New product");
}

void page_product_new_form(struct web_page *p)
{
    json_object_set_new(p->data, "form", json_pack("{s:b}", "is_active", 1));
    render_form(p, 0, 0);
}

void page_product_edit(struct web_page *p)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such product.", &id))
        return;
    struct product prod;
    int rc = catalog_product_get(p->db, p->arena, id, &prod);
    if (rc) {
        struct listing_problem why = {.message = "There is no such product."};
        shop_page_refused(p, rc, &why, "loading a product");
        return;
    }
    json_object_set_new(p->data, "form",
                        json_pack("{s:o, s:o, s:s, s:I, s:b}", "name", web_json_str(prod.name),
                                  "description", web_json_str(prod.description), "price",
                                  price_text(p, prod.price), "stock", (json_int_t)prod.stock,
                                  "is_active", prod.is_active));
    json_object_set_new(p->data, "photo", photo_url(p, prod.photo_path));
    render_form(p, id, prod.category_id);
}

/* The photo the form uploaded, checked and stored (media/upload.h): 1 with *out filled, 0
 * when none was chosen, -1 with a field error. */
static int store_photo(struct web_page *p, struct media_image *out)
{
    const struct http_upload *u = http_upload(p->req, "photo");
    if (!u || (!u->size && !u->too_big))
        return 0;
    if (!p->opt->media_dir) {
        web_field_error(p, "photo", "Photos cannot be stored here: MEDIA_DIR is not set.");
        return -1;
    }
    const char *data;
    size_t len;
    struct buf err = BUF_INIT;
    int rc = http_upload_read(p->req, u, &data, &len);
    if (rc == ERR_TOOBIG)
        buf_setf(&err, "the photo is too large");
    else if (!rc)
        rc = media_store_upload(out, p->opt->media_dir, "products", data, len, NULL, &err);
    else
        buf_setf(&err, "the photo could not be read");
    if (rc)
        web_field_error(p, "photo", "Not stored: %s.", err.data);
    buf_release(&err);
    return rc ? -1 : 1;
}

static void save(struct web_page *p, int64_t id)
{
    struct product prod = {
        .id = id,
        .name = (char *)web_form_text(p, "name"),
        .description = (char *)web_form_text(p, "description"),
        .category_id = shop_form_int(p, "category_id", "The category"),
        .stock = shop_form_int(p, "stock", "The stock"),
        .is_active = web_form_checked(p, "is_active"),
    };
    const char *price = web_form_text(p, "price");
    if (money_parse(price, currency(p), &prod.price))
        web_field_error(p, "price", "Give the price as a number like %s.",
                        money_exponent(currency(p)) ? "1290.50" : "450");
    struct media_image photo = {0};
    int stored = web_has_errors(p) ? 0 : store_photo(p, &photo);
    prod.photo_path = stored > 0 ? photo.path : NULL; /* used on create */
    struct listing_problem why = {0};
    int64_t saved = 0;
    int rc = web_has_errors(p) ? ERR_INVALID : catalog_product_save(p->db, &prod, &saved, &why);
    if (!rc && stored > 0 && id)
        rc = catalog_product_set_photo(p->db, p->arena, id, photo.path, NULL, &why);
    if (rc && stored > 0)
        media_image_remove(&photo); /* the product does not refer to it */
    media_image_release(&photo);
    if (rc && (web_has_errors(p) || shop_page_refused(p, rc, &why, "saving a product"))) {
        web_form_keep(p);
        p->res->status = 400;
        render_form(p, id, prod.category_id);
        return;
    }
    if (rc)
        return;
    web_audit(p, id ? "update" : "create", "product", saved,
              "\"%s\", price %s, stock %" PRId64 "%s", prod.name, price, prod.stock,
              stored > 0 ? ", new photo" : "");
    web_redirect(p, "/products", id ? "The product is saved." : "The product is created.");
}

void page_product_create(struct web_page *p)
{
    save(p, 0);
}

void page_product_update(struct web_page *p)
{
    int64_t id;
    if (shop_page_id(p, "There is no such product.", &id))
        save(p, id);
}

/* POST /products/bulk: action=activate|deactivate|delete on the ticked id fields. */
void page_products_bulk(struct web_page *p)
{
    int64_t *ids = arena_calloc(p->arena, LISTING_BULK_MAX, sizeof *ids);
    int count = 0;
    for (size_t i = 0; i < p->req->form.count && count < LISTING_BULK_MAX; i++) {
        const struct http_field *f = &p->req->form.items[i];
        int64_t id;
        if (!strcmp(f->name, "id") && !parse_int64(f->value, &id) && id > 0)
            ids[count++] = id;
    }
    const char *action = web_form_text(p, "action");
    const char *back = "/products";
    if (!count) {
        web_redirect(p, back, "Tick the products first.");
        return;
    }
    int64_t changed = 0;
    int rc;
    if (!strcmp(action, "activate") || !strcmp(action, "deactivate")) {
        rc = catalog_products_set_active(p->db, ids, count, !strcmp(action, "activate"), &changed);
    } else if (!strcmp(action, "delete")) {
        const char *question = arena_sprintf(
            p->arena,
            "Delete %d product(s)? Past orders keep their names and prices; carts lose them.",
            count);
        if (!web_confirmed(p, question, "Delete", back))
            return;
        rc = catalog_products_delete(p->db, p->arena, ids, count, &changed, NULL, NULL);
    } else {
        web_error(p, 400, "Choose what to do with the ticked products.");
        return;
    }
    if (rc) {
        web_db_error(p, "changing products");
        return;
    }
    web_audit(p, action, "product", count == 1 ? ids[0] : 0, "%s %" PRId64 " of %d product(s)",
              action, changed, count);
    web_redirect(p, back, arena_sprintf(p->arena, "%" PRId64 " product(s) changed.", changed));
}
