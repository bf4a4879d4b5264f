#include "shop/cart.h"

#include <limits.h>
#include <string.h>

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

int cart_quantity(struct db *db, int64_t customer_id, int64_t product_id, int64_t *out)
{
    *out = 0;
    int rc = db_query_int(db, out,
                          "SELECT quantity FROM cart_item WHERE customer_id = ? AND product_id = ?",
                          DB_INT(customer_id), DB_INT(product_id));
    return rc == ERR_NOTFOUND ? 0 : rc;
}

/* The one pricing of a cart: lines whose product is on sale count at today's price. */
static void summarize(struct cart_summary *out, const struct cart_line *lines, int n)
{
    memset(out, 0, sizeof *out);
    out->lines = n;
    for (int i = 0; i < n; i++) {
        out->items += lines[i].quantity;
        if (!lines[i].available) {
            out->unavailable++;
            continue;
        }
        int64_t sum;
        if (__builtin_mul_overflow(lines[i].price, lines[i].quantity, &sum) ||
            __builtin_add_overflow(out->total, sum, &out->total))
            out->too_large = true;
    }
}

int cart_read(struct db *db, struct arena *a, int64_t customer_id, struct cart_line **out,
              int *out_count, struct cart_summary *out_summary)
{
    *out = NULL;
    *out_count = 0;
    memset(out_summary, 0, sizeof *out_summary);
    int64_t count = 0;
    int rc = db_query_int(db, &count, "SELECT count(*) FROM cart_item WHERE customer_id = ?",
                          DB_INT(customer_id));
    if (rc)
        return rc;
    if (!count)
        return 0;
    if (count > INT_MAX / 2)
        return ERR_TOOBIG;
    int limit = (int)count;
    struct cart_line *lines = arena_calloc(a, (size_t)limit, sizeof *lines);
    struct db_rows *rows;
    rc = db_query(db, &rows,
                  "SELECT c.product_id, p.name, c.quantity, p.price, c.price_at_add, p.stock "
                  "FROM cart_item c JOIN product p ON p.id = c.product_id "
                  "WHERE c.customer_id = ? ORDER BY c.id LIMIT ?",
                  DB_INT(customer_id), DB_INT(limit));
    if (rc)
        return rc;
    int n = 0;
    while (n < limit && (rc = db_next(rows)) > 0) {
        lines[n].product_id = db_int(rows, 0);
        lines[n].name = db_text_dup(rows, 1, a);
        lines[n].quantity = db_int(rows, 2);
        lines[n].price = db_int(rows, 3);
        lines[n].price_at_add = db_int(rows, 4);
        lines[n].stock = db_int(rows, 5);
        n++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    /* on sale means what the catalogue shows: an active product in a visible category */
    struct arena scratch;
    arena_init(&scratch, 512);
    for (int i = 0; i < n && rc >= 0; i++) {
        struct product p;
        rc = catalog_product(db, &scratch, lines[i].product_id, &p);
        lines[i].available = rc == 0;
        if (rc == ERR_NOTFOUND)
            rc = 0;
        arena_reset(&scratch);
    }
    arena_release(&scratch);
    if (rc < 0)
        return rc;
    *out = lines;
    *out_count = n;
    summarize(out_summary, lines, n);
    return 0;
}

int cart_summarize(struct db *db, int64_t customer_id, struct cart_summary *out)
{
    struct arena a;
    arena_init(&a, 0);
    struct cart_line *lines;
    int n;
    int rc = cart_read(db, &a, customer_id, &lines, &n, out);
    arena_release(&a);
    return rc;
}
