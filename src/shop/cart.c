#include "shop/cart.h"

#include "core/clock.h"
#include "core/err.h"
#include "shop/catalog.h"
#include "core/banned.h"

struct cart_update {
    int64_t customer_id, product_id;
    int64_t quantity; /* the requested value, or the delta */
    bool relative;
    int64_t result;
    bool limited;
};

static int apply_update(struct db *db, void *ctx)
{
    struct cart_update *u = ctx;
    /* only what a customer can see can go into a cart */
    struct arena a;
    arena_init(&a, 512);
    struct product p;
    int rc = catalog_product(db, &a, u->product_id, &p);
    arena_release(&a);
    if (rc)
        return rc;
    int64_t stock = p.stock, price = p.price, current = 0;
    rc = db_query_int(db, &current,
                      "SELECT quantity FROM cart_item WHERE customer_id = ? AND product_id = ?",
                      DB_INT(u->customer_id), DB_INT(u->product_id));
    if (rc && rc != ERR_NOTFOUND)
        return rc;

    int64_t wanted = u->relative ? current + u->quantity : u->quantity;
    if (wanted > CART_QUANTITY_MAX)
        wanted = CART_QUANTITY_MAX;
    u->limited = false;
    if (wanted > stock && wanted > current) { /* only growing is capped: "−" always works */
        if (stock <= 0)
            return ERR_CONFLICT; /* out of stock: the line stays as it was */
        wanted = stock;
        u->limited = true;
    }
    if (wanted <= 0) {
        u->result = 0;
        return db_exec(db, "DELETE FROM cart_item WHERE customer_id = ? AND product_id = ?",
                       DB_INT(u->customer_id), DB_INT(u->product_id));
    }
    u->result = wanted;
    /* a line keeps the price it was added at; a new line takes today's */
    return db_exec(db,
                   "INSERT INTO cart_item (customer_id, product_id, quantity, price_at_add, "
                   "added_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, product_id) "
                   "DO UPDATE SET quantity = excluded.quantity",
                   DB_INT(u->customer_id), DB_INT(u->product_id), DB_INT(wanted), DB_INT(price),
                   DB_INT(clock_now()));
}

static int update(struct db *db, struct cart_update *u, int64_t *out_quantity, bool *out_limited)
{
    int rc = db_transaction(db, apply_update, u);
    if (out_quantity)
        *out_quantity = rc ? 0 : u->result;
    if (out_limited)
        *out_limited = rc ? false : u->limited;
    return rc;
}

int cart_add(struct db *db, int64_t customer_id, int64_t product_id, int64_t quantity,
             int64_t *out_quantity, bool *out_limited)
{
    if (quantity < 1 || quantity > CART_QUANTITY_MAX)
        return ERR_INVALID;
    struct cart_update u = {customer_id, product_id, quantity, true, 0, false};
    return update(db, &u, out_quantity, out_limited);
}

int cart_set(struct db *db, int64_t customer_id, int64_t product_id, int64_t quantity,
             int64_t *out_quantity, bool *out_limited)
{
    if (quantity < 0 || quantity > CART_QUANTITY_MAX)
        return ERR_INVALID;
    struct cart_update u = {customer_id, product_id, quantity, false, 0, false};
    return update(db, &u, out_quantity, out_limited);
}

int cart_change(struct db *db, int64_t customer_id, int64_t product_id, int64_t delta,
                int64_t *out_quantity, bool *out_limited)
{
    if (delta < -CART_QUANTITY_MAX || delta > CART_QUANTITY_MAX || delta == 0)
        return ERR_INVALID;
    struct cart_update u = {customer_id, product_id, delta, true, 0, false};
    int rc = update(db, &u, out_quantity, out_limited);
    if (rc == ERR_NOTFOUND && delta < 0) /* the product is gone: "-" still takes it out */
        rc = cart_remove(db, customer_id, product_id);
    return rc;
}

int cart_remove(struct db *db, int64_t customer_id, int64_t product_id)
{
    return db_exec(db, "DELETE FROM cart_item WHERE customer_id = ? AND product_id = ?",
                   DB_INT(customer_id), DB_INT(product_id));
}

int cart_clear(struct db *db, int64_t customer_id)
{
    return db_exec(db, "DELETE FROM cart_item WHERE customer_id = ?", DB_INT(customer_id));
}

int cart_list(struct db *db, struct arena *a, int64_t customer_id, int64_t offset, int limit,
              struct cart_line **out, int *out_count)
{
    *out = NULL;
    *out_count = 0;
    if (offset < 0 || limit < 1 || limit > CART_PAGE_MAX)
        return ERR_INVALID;
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT c.product_id, p.name, c.quantity, p.price, c.price_at_add, "
                      "p.stock, p.is_active FROM cart_item c JOIN product p ON p.id = c.product_id "
                      "WHERE c.customer_id = ? ORDER BY c.id LIMIT ? OFFSET ?",
                      DB_INT(customer_id), DB_INT(limit), DB_INT(offset));
    if (rc)
        return rc;
    struct cart_line *lines = arena_calloc(a, (size_t)limit, sizeof *lines);
    int n = 0;
    while (n < limit && (rc = db_next(rows)) > 0) {
        lines[n].product_id = db_int(rows, 0);
        lines[n].name = db_text_dup(rows, 1, a);
        lines[n].quantity = db_int(rows, 2);
        lines[n].price = db_int(rows, 3);
        lines[n].price_at_add = db_int(rows, 4);
        lines[n].stock = db_int(rows, 5);
        lines[n].available = db_int(rows, 6) != 0;
        n++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    *out = lines;
    *out_count = n;
    return 0;
}

int cart_summarize(struct db *db, int64_t customer_id, struct cart_summary *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT count(*), COALESCE(sum(c.quantity), 0), "
                      "COALESCE(sum(CASE WHEN p.is_active = 1 THEN c.quantity * p.price ELSE 0 "
                      "END), 0), COALESCE(sum(1 - p.is_active), 0) "
                      "FROM cart_item c JOIN product p ON p.id = c.product_id "
                      "WHERE c.customer_id = ?",
                      DB_INT(customer_id));
    if (rc)
        return rc;
    rc = db_next(rows);
    if (rc > 0) {
        out->lines = db_int(rows, 0);
        out->items = db_int(rows, 1);
        out->total = db_int(rows, 2);
        out->unavailable = db_int(rows, 3);
        rc = 0;
    }
    db_rows_free(rows);
    return rc < 0 ? rc : 0;
}
