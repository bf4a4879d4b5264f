/* Categories: the tree with indentation and product counts, create/edit/move (never under
 * itself), positions, activate/deactivate, and delete with an explicit choice for its
 * products and subcategories. The rules are the domain's (shop/catalog.h). */
#include <string.h>

#include "core/err.h"
#include "shop/catalog.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "core/banned.h"

/* "— — " for depth 2: the tree's indentation as text (the CSP allows no inline styles). */
static const char *indent(struct web_page *p, int depth)
{
    struct buf b = BUF_INIT;
    for (int i = 0; i < depth && i < CATALOG_DEPTH_MAX; i++)
        buf_adds(&b, "— ");
    char *s = arena_strdup(p->arena, b.data);
    buf_release(&b);
    return s;
}

/* data.KEY: every category as an option of a <select>, indented, `selected` marked; the
 * subtree of `without` (a category being edited) is left out, it cannot be its parent. */
static int tree_options(struct web_page *p, const char *key, int64_t selected, int64_t without)
{
    struct category_node *nodes;
    int n;
    int rc = catalog_category_outline(p->cache->catalog, p->db, p->arena, &nodes, &n, NULL);
    if (rc)
        return rc;
    json_t *out = json_array();
    int skip_depth = -1;
    for (int i = 0; i < n; i++) {
        if (skip_depth >= 0 && nodes[i].depth > skip_depth)
            continue;
        skip_depth = -1;
        if (nodes[i].id == without) {
            skip_depth = nodes[i].depth;
            continue;
        }
        json_array_append_new(out, json_pack("{s:I, s:s, s:o, s:b}", "id", (json_int_t)nodes[i].id,
                                             "indent", indent(p, nodes[i].depth), "name",
                                             web_json_str(nodes[i].name), "selected",
                                             nodes[i].id == selected));
    }
    json_object_set_new(p->data, key, out);
    return 0;
}

void page_categories(struct web_page *p)
{
    struct category_node *nodes;
    int n;
    if (catalog_category_tree(p->db, p->arena, &nodes, &n)) {
        web_db_error(p, "reading the category tree");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            out, json_pack("{s:I, s:s, s:o, s:b, s:I, s:I, s:i}", "id", (json_int_t)nodes[i].id,
                           "indent", indent(p, nodes[i].depth), "name", web_json_str(nodes[i].name),
                           "is_active", nodes[i].is_active, "products",
                           (json_int_t)nodes[i].product_count, "subtree_products",
                           (json_int_t)nodes[i].subtree_product_count, "children",
                           nodes[i].child_count));
    json_object_set_new(p->data, "rows", out);
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "categories", "Categories");
}

static void render_form(struct web_page *p, int64_t id, int64_t parent)
{
    if (tree_options(p, "parents", parent, id)) {
        web_db_error(p, "reading the category tree");
        return;
    }
    json_object_set_new(p->data, "category_id", json_integer(id));
    web_breadcrumb(p, "Categories", "/categories");
    web_render(p, "category_form", id ? "Edit the category" : "New category");
}

void page_category_new_form(struct web_page *p)
{
    int64_t parent = 0;
    json_object_set_new(p->data, "form", json_pack("{s:b}", "is_active", 1));
    render_form(p, 0, parent);
}

void page_category_edit(struct web_page *p)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such category.", &id))
        return;
    struct category_node c;
    int rc = catalog_category_get(p->db, p->arena, id, &c);
    if (rc) {
        struct listing_problem why = {.message = "There is no such category."};
        shop_page_refused(p, rc, &why, "loading a category");
        return;
    }
    json_object_set_new(p->data, "form",
                        json_pack("{s:o, s:o, s:b}", "name", web_json_str(c.name), "description",
                                  web_json_str(c.description), "is_active", c.is_active));
    render_form(p, id, c.parent_id);
}

/* POST /categories/new and /categories/{id}: both save through catalog_category_save. */
static void save(struct web_page *p, int64_t id)
{
    struct category_input in = {
        .id = id,
        .parent_id = shop_form_int(p, "parent_id", "The parent"),
        .name = web_form_text(p, "name"),
        .description = web_form_text(p, "description"),
        .is_active = web_form_checked(p, "is_active"),
    };
    struct listing_problem why = {0};
    int64_t saved = 0;
    int rc = web_has_errors(p) ? ERR_INVALID : catalog_category_save(p->db, &in, &saved, &why);
    if (rc && (web_has_errors(p) || shop_page_refused(p, rc, &why, "saving a category"))) {
        web_form_keep(p);
        p->res->status = 400;
        render_form(p, id, in.parent_id);
        return;
    }
    if (rc)
        return;
    web_audit(p, id ? "update" : "create", "category", saved, "\"%s\"", in.name);
    web_redirect(p, "/categories", id ? "The category is saved." : "The category is created.");
}

void page_category_create(struct web_page *p)
{
    save(p, 0);
}

void page_category_update(struct web_page *p)
{
    int64_t id;
    if (shop_page_id(p, "There is no such category.", &id))
        save(p, id);
}

void page_category_move(struct web_page *p)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such category.", &id))
        return;
    const char *dir = web_form_text(p, "dir");
    int rc = catalog_category_shift(p->db, id, !strcmp(dir, "up") ? -1 : 1);
    if (rc) {
        struct listing_problem why = {.message = "There is no such category."};
        shop_page_refused(p, rc, &why, "moving a category");
        return;
    }
    web_audit(p, "move", "category", id, "moved %s", !strcmp(dir, "up") ? "up" : "down");
    web_redirect(p, "/categories", NULL);
}

void page_category_active(struct web_page *p)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such category.", &id))
        return;
    bool active = web_form_checked(p, "active");
    int rc = catalog_category_set_active(p->db, id, active);
    if (rc) {
        struct listing_problem why = {.message = "There is no such category."};
        shop_page_refused(p, rc, &why, "activating a category");
        return;
    }
    web_audit(p, active ? "activate" : "deactivate", "category", id, "%s",
              active ? "shown to customers" : "hidden from customers");
    web_redirect(p, "/categories",
                 active ? "The category is active." : "The category is hidden from customers.");
}

static void render_delete(struct web_page *p, const struct category_node *c)
{
    struct category_node *nodes;
    int n;
    if (catalog_category_tree(p->db, p->arena, &nodes, &n) ||
        tree_options(p, "targets", 0, c->id)) {
        web_db_error(p, "reading the category tree");
        return;
    }
    for (int i = 0; i < n; i++)
        if (nodes[i].id == c->id)
            json_object_set_new(p->data, "category",
                                json_pack("{s:I, s:o, s:I, s:i}", "id", (json_int_t)c->id, "name",
                                          web_json_str(c->name), "products",
                                          (json_int_t)nodes[i].product_count, "children",
                                          nodes[i].child_count));
    web_breadcrumb(p, "Categories", "/categories");
    web_render(p, "category_delete", "Delete the category");
}

static bool load(struct web_page *p, struct category_node *out)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such category.", &id))
        return false;
    int rc = catalog_category_get(p->db, p->arena, id, out);
    if (rc) {
        struct listing_problem why = {.message = "There is no such category."};
        shop_page_refused(p, rc, &why, "loading a category");
    }
    return rc == 0;
}

void page_category_delete_form(struct web_page *p)
{
    struct category_node c;
    if (load(p, &c))
        render_delete(p, &c);
}

void page_category_delete(struct web_page *p)
{
    struct category_node c;
    if (!load(p, &c))
        return;
    static const struct {
        const char *value;
        enum category_products products;
    } choices[] = {{"refuse", CATEGORY_PRODUCTS_REFUSE},
                   {"move", CATEGORY_PRODUCTS_MOVE},
                   {"deactivate", CATEGORY_PRODUCTS_DEACTIVATE},
                   {"delete", CATEGORY_PRODUCTS_DELETE}};
    struct category_removal how = {.target_id = shop_form_int(p, "target_id", "The target")};
    const char *products = web_form_text(p, "products");
    for (size_t i = 0; i < sizeof choices / sizeof *choices; i++)
        if (!strcmp(products, choices[i].value))
            how.products = choices[i].products;
    how.children = !strcmp(web_form_text(p, "children"), "lift") ? CATEGORY_CHILDREN_LIFT
                                                                 : CATEGORY_CHILDREN_REFUSE;
    struct listing_problem why = {0};
    int rc = web_has_errors(p) ? ERR_INVALID : catalog_category_delete(p->db, c.id, &how, &why);
    if (rc == ERR_CONFLICT) /* the choice was "refuse": ask again, saying why */
        rc = listing_refuse(&why, why.field, "%s", why.message);
    if (rc && (web_has_errors(p) || shop_page_refused(p, rc, &why, "deleting a category"))) {
        web_form_keep(p);
        p->res->status = 400;
        render_delete(p, &c);
        return;
    }
    if (rc)
        return;
    web_audit(p, "delete", "category", c.id, "\"%s\"; products: %s; subcategories: %s", c.name,
              *products ? products : "refuse",
              how.children == CATEGORY_CHILDREN_LIFT ? "lifted" : "none");
    web_redirect(p, "/categories", "The category is deleted.");
}
