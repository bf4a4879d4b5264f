#include "shop/order.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/utf8.h"
#include "core/util.h"
#include "shop/cart.h"
#include "core/banned.h"

static const char *const status_names[] = {
    [ORDER_NEW] = "new",
    [ORDER_AWAITING_PAYMENT] = "awaiting_payment",
    [ORDER_PAID] = "paid",
    [ORDER_SHIPPED] = "shipped",
    [ORDER_DELIVERED] = "delivered",
    [ORDER_CANCELLED] = "cancelled",
    [ORDER_REFUNDED] = "refunded",
};

enum { STATUS_COUNT = ARRAY_SIZE(status_names) };

const char *order_status_name(enum order_status status)
{
    return (unsigned)status < STATUS_COUNT ? status_names[status] : "unknown";
}

int order_status_parse(const char *name, enum order_status *out)
{
    for (unsigned i = 0; i < STATUS_COUNT; i++) {
        if (name && !strcmp(name, status_names[i])) {
            *out = (enum order_status)i;
            return 0;
        }
    }
    return ERR_INVALID;
}

bool order_transition_allowed(enum order_status from, enum order_status to)
{
    /* rows: from; bits: the statuses it may move to */
#define TO(s) (1u << (s))
    static const unsigned allowed[] = {
        [ORDER_NEW] = TO(ORDER_AWAITING_PAYMENT) | TO(ORDER_CANCELLED),
        [ORDER_AWAITING_PAYMENT] = TO(ORDER_PAID) | TO(ORDER_CANCELLED),
        [ORDER_PAID] = TO(ORDER_SHIPPED) | TO(ORDER_CANCELLED) | TO(ORDER_REFUNDED),
        [ORDER_SHIPPED] = TO(ORDER_DELIVERED) | TO(ORDER_REFUNDED),
        [ORDER_DELIVERED] = TO(ORDER_REFUNDED),
        [ORDER_CANCELLED] = 0,
        [ORDER_REFUNDED] = 0,
    };
#undef TO
    if ((unsigned)from >= STATUS_COUNT || (unsigned)to >= STATUS_COUNT)
        return false;
    return allowed[from] & (1u << to);
}

/* Returns the stock an order holds (its items) to the products. */
static int release_stock(struct db *db, int64_t order_id)
{
    return db_exec(db,
                   "UPDATE product SET stock = stock + (SELECT sum(i.quantity) FROM order_item i "
                   "WHERE i.order_id = ? AND i.product_id = product.id), updated_at = ? "
                   "WHERE id IN (SELECT product_id FROM order_item WHERE order_id = ?)",
                   DB_INT(order_id), DB_INT(clock_now()), DB_INT(order_id));
}

static bool holds_stock(enum order_status s)
{
    return s == ORDER_AWAITING_PAYMENT || s == ORDER_PAID;
}

/* Moves order_id from `from` to `to` if it is still in `from`; releases stock when the order
 * stops holding it. *out_moved tells whether this call moved it. */
static int move(struct db *db, int64_t order_id, enum order_status from, enum order_status to,
                bool *out_moved)
{
    int rc = db_exec(db, "UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status = ?",
                     DB_TEXT(order_status_name(to)), DB_INT(clock_now()), DB_INT(order_id),
                     DB_TEXT(order_status_name(from)));
    if (rc)
        return rc;
    *out_moved = db_changes(db) == 1;
    if (*out_moved && holds_stock(from) && to == ORDER_CANCELLED)
        return release_stock(db, order_id);
    return 0;
}

static int check_text(const char *what, const char *s, bool required, struct buf *why)
{
    size_t len = s ? strlen(s) : 0;
    if (required && !len) {
        buf_setf(why, "%s is missing", what);
        return ERR_INVALID;
    }
    if (len && (!utf8_valid(s, len) || utf8_count(s, len) > ORDER_TEXT_MAX)) {
        buf_setf(why, "%s is longer than %d characters", what, ORDER_TEXT_MAX);
        return ERR_INVALID;
    }
    return 0;
}

struct checkout {
    int64_t customer_id;
    const struct order_contact *contact;
    const char *currency;
    int64_t reserved_until;
    int64_t order_id;
    struct buf *why;
    struct checkout_problem *problem;
};

/* Records why the checkout is refused, in both forms; returns rc. */
static int refuse(struct checkout *c, int rc, int kind, const char *product, int64_t available,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static int refuse(struct checkout *c, int rc, int kind, const char *product, int64_t available,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_reset(c->why);
    buf_vaddf(c->why, fmt, ap);
    va_end(ap);
    c->problem->kind = kind;
    snprintf(c->problem->product, sizeof c->problem->product, "%s", product ? product : "");
    c->problem->available = available;
    return rc;
}

static int cancel_previous(struct db *db, int64_t customer_id)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT id FROM orders WHERE customer_id = ? AND status = 'awaiting_payment'",
                      DB_INT(customer_id));
    if (rc)
        return rc;
    int64_t ids[8];
    int n = 0;
    while (n < 8 && (rc = db_next(rows)) > 0)
        ids[n++] = db_int(rows, 0);
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n && !rc; i++) {
        bool moved;
        rc = move(db, ids[i], ORDER_AWAITING_PAYMENT, ORDER_CANCELLED, &moved);
    }
    return rc;
}

/* Orders lines by product id. */
static int by_product(const void *a, const void *b)
{
    const struct cart_line *x = *(const struct cart_line *const *)a,
                           *y = *(const struct cart_line *const *)b;
    return (x->product_id > y->product_id) - (x->product_id < y->product_id);
}

static int reserve_and_record(struct db *db, struct checkout *c, struct arena *a)
{
    int rc = cancel_previous(db, c->customer_id);
    if (rc)
        return rc;
    struct cart_line *lines;
    int n;
    struct cart_summary s;
    if ((rc = cart_read(db, a, c->customer_id, &lines, &n, &s)))
        return rc;
    if (n > CART_LINES_MAX)
        return refuse(c, ERR_INVALID, CHECKOUT_TOO_MANY_LINES, NULL, 0,
                      "the cart has more than %d different products", CART_LINES_MAX);
    if (!n)
        return refuse(c, ERR_INVALID, CHECKOUT_EMPTY_CART, NULL, 0, "the cart is empty");
    for (int i = 0; i < n; i++)
        if (!lines[i].available)
            return refuse(c, ERR_CONFLICT, CHECKOUT_OFF_SALE, lines[i].name, 0,
                          "\"%s\" is no longer on sale", lines[i].name);
    if (s.too_large)
        return refuse(c, ERR_INVALID, CHECKOUT_TOO_LARGE, NULL, 0, "the order total is too large");
    /* reserve in product id order: two checkouts never wait on each other in a cycle */
    const struct cart_line **sorted = arena_calloc(a, (size_t)n, sizeof *sorted);
    for (int i = 0; i < n; i++)
        sorted[i] = &lines[i];
    qsort(sorted, (size_t)n, sizeof *sorted, by_product);
    for (int i = 0; i < n; i++) {
        const struct cart_line *l = sorted[i];
        rc = db_exec(db,
                     "UPDATE product SET stock = stock - ?, updated_at = ? "
                     "WHERE id = ? AND stock >= ? AND is_active = 1",
                     DB_INT(l->quantity), DB_INT(clock_now()), DB_INT(l->product_id),
                     DB_INT(l->quantity));
        if (rc)
            return rc;
        if (db_changes(db) == 0)
            return refuse(c, ERR_CONFLICT, CHECKOUT_SHORT, l->name, l->stock,
                          "only %lld of \"%s\" left", (long long)l->stock, l->name);
    }
    const struct order_contact *k = c->contact;
    int64_t now = clock_now();
    rc = db_query_int(db, &c->order_id,
                      "INSERT INTO orders (customer_id, status, contact_name, phone, address, "
                      "comment, total, currency, reserved_until, created_at, updated_at) "
                      "VALUES (?, 'awaiting_payment', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                      DB_INT(c->customer_id), DB_TEXT(k->name), DB_TEXT(k->phone),
                      DB_TEXT(k->address), DB_TEXT(k->comment ? k->comment : ""), DB_INT(s.total),
                      DB_TEXT(c->currency), DB_INT(c->reserved_until), DB_INT(now), DB_INT(now));
    for (int i = 0; i < n && !rc; i++)
        rc = db_exec(db,
                     "INSERT INTO order_item (order_id, product_id, name, price, quantity) "
                     "VALUES (?, ?, ?, ?, ?)",
                     DB_INT(c->order_id), DB_INT(sorted[i]->product_id), DB_TEXT(sorted[i]->name),
                     DB_INT(sorted[i]->price), DB_INT(sorted[i]->quantity));
    return rc;
}

static int run_checkout(struct db *db, void *ctx)
{
    struct arena a;
    arena_init(&a, 0);
    int rc = reserve_and_record(db, ctx, &a);
    arena_release(&a);
    return rc;
}

int order_checkout(struct db *db, int64_t customer_id, const struct order_contact *contact,
                   const char *currency, int64_t reserve_seconds, int64_t *out_order_id,
                   struct buf *why, struct checkout_problem *out_problem)
{
    struct checkout_problem unused;
    struct checkout_problem *problem = out_problem ? out_problem : &unused;
    memset(problem, 0, sizeof *problem);
    int rc;
    if ((rc = check_text("the name", contact->name, true, why)) ||
        (rc = check_text("the phone", contact->phone, true, why)) ||
        (rc = check_text("the address", contact->address, true, why)) ||
        (rc = check_text("the comment", contact->comment, false, why))) {
        problem->kind = CHECKOUT_BAD_CONTACT;
        return rc;
    }
    if (reserve_seconds <= 0) {
        buf_setf(why, "the reservation time must be positive");
        return ERR_INVALID;
    }
    struct checkout c = {customer_id, contact, currency, clock_now() + reserve_seconds,
                         0,           why,     problem};
    buf_reset(why);
    rc = db_transaction(db, run_checkout, &c);
    if (rc == 0)
        *out_order_id = c.order_id;
    else if (!why->len)
        buf_setf(why, "%s", db_errmsg(db));
    return rc;
}

/* The fields payment checks need, read in one query. */
struct payable {
    enum order_status status;
    int64_t total, reserved_until, customer_id, tg_id;
    char currency[8];
    char charge_id[256];
};

static int read_payable(struct db *db, int64_t order_id, struct payable *out)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT o.status, o.total, o.currency, COALESCE(o.reserved_until, 0), "
                      "o.customer_id, c.tg_id, o.telegram_payment_charge_id "
                      "FROM orders o JOIN customer c ON c.id = o.customer_id WHERE o.id = ?",
                      DB_INT(order_id));
    if (rc)
        return rc;
    rc = db_next(rows);
    if (rc > 0) {
        if (order_status_parse(db_text(rows, 0), &out->status))
            out->status = ORDER_NEW;
        out->total = db_int(rows, 1);
        snprintf(out->currency, sizeof out->currency, "%s",
                 db_text(rows, 2) ? db_text(rows, 2) : "");
        out->reserved_until = db_int(rows, 3);
        out->customer_id = db_int(rows, 4);
        out->tg_id = db_int(rows, 5);
        snprintf(out->charge_id, sizeof out->charge_id, "%s",
                 db_text(rows, 6) ? db_text(rows, 6) : "");
        rc = 0;
    } else if (rc == 0) {
        rc = ERR_NOTFOUND;
    }
    db_rows_free(rows);
    return rc;
}

int order_pre_checkout(struct db *db, int64_t order_id, int64_t tg_user_id, const char *currency,
                       int64_t amount, struct buf *why)
{
    struct payable o;
    int rc = read_payable(db, order_id, &o);
    if (rc == ERR_NOTFOUND || (rc == 0 && o.tg_id != tg_user_id)) {
        buf_setf(why, "this order does not exist");
        return ERR_NOTFOUND;
    }
    if (rc) {
        buf_setf(why, "the shop cannot check the order right now; please try again");
        return rc;
    }
    if (o.status == ORDER_PAID || o.status == ORDER_SHIPPED || o.status == ORDER_DELIVERED) {
        buf_setf(why, "this order is already paid");
        return ERR_CONFLICT;
    }
    if (o.status != ORDER_AWAITING_PAYMENT || o.reserved_until <= clock_now()) {
        buf_setf(why, "the reservation of this order has expired; please check out again");
        return ERR_TIMEOUT;
    }
    if (strcmp(o.currency, currency ? currency : "") || o.total != amount) {
        buf_setf(why, "the amount does not match the order; please check out again");
        return ERR_INVALID;
    }
    return 0;
}

struct apply {
    const struct payment *p;
    enum payment_outcome outcome;
    struct buf *why;
};

/* Takes the order's stock again after its reservation expired; says what was short. */
static int reserve_again(struct db *db, int64_t order_id, struct buf *why)
{
    struct db_rows *rows;
    int rc = db_query(db, &rows,
                      "SELECT product_id, quantity, name FROM order_item "
                      "WHERE order_id = ? AND product_id IS NOT NULL ORDER BY product_id",
                      DB_INT(order_id));
    if (rc)
        return rc;
    struct {
        int64_t product_id, quantity;
        char name[201];
    } items[100];
    int n = 0;
    while (n < 100 && (rc = db_next(rows)) > 0) {
        items[n].product_id = db_int(rows, 0);
        items[n].quantity = db_int(rows, 1);
        snprintf(items[n].name, sizeof items[n].name, "%s", db_text(rows, 2));
        n++;
    }
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    for (int i = 0; i < n; i++) {
        if ((rc = db_exec(db, "UPDATE product SET stock = stock - ? WHERE id = ? AND stock >= ?",
                          DB_INT(items[i].quantity), DB_INT(items[i].product_id),
                          DB_INT(items[i].quantity))))
            return rc;
        if (db_changes(db) == 0)
            buf_addf(why, "%s\"%s\" is out of stock", why->len ? "; " : "", items[i].name);
    }
    return 0;
}

static int run_apply(struct db *db, void *ctx)
{
    struct apply *x = ctx;
    const struct payment *p = x->p;
    buf_reset(x->why);
    x->outcome = PAYMENT_APPLIED;
    /* Lock the order row first (a no-op write): a concurrent expiry or cancel then either
     * finished before (and we see it below) or waits and finds the order paid. Without it,
     * PostgreSQL could cancel and release the stock between our read and our write. */
    int rc =
        db_exec(db, "UPDATE orders SET updated_at = updated_at WHERE id = ?", DB_INT(p->order_id));
    if (rc)
        return rc;
    struct payable o;
    rc = read_payable(db, p->order_id, &o);
    if (rc)
        return rc;
    if (!strcmp(o.charge_id, p->charge_id)) {
        x->outcome = PAYMENT_DUPLICATE;
        return 0;
    }
    if (o.status == ORDER_CANCELLED) {
        /* paid after the reservation lapsed: the money is taken, so the order stands */
        if ((rc = reserve_again(db, p->order_id, x->why)))
            return rc;
        if (x->why->len)
            x->outcome = PAYMENT_NEEDS_ATTENTION;
    } else if (o.status != ORDER_AWAITING_PAYMENT && o.status != ORDER_NEW) {
        buf_setf(x->why, "order #%lld was already paid by charge %s; refund charge %s",
                 (long long)p->order_id, o.charge_id, p->charge_id);
        return ERR_CONFLICT;
    }
    if (o.tg_id != p->tg_user_id || o.total != p->amount ||
        strcmp(o.currency, p->currency ? p->currency : "")) {
        buf_addf(x->why, "%spaid %lld %s by user %lld, expected %lld %s by user %lld",
                 x->why->len ? "; " : "", (long long)p->amount, p->currency,
                 (long long)p->tg_user_id, (long long)o.total, o.currency, (long long)o.tg_id);
        x->outcome = PAYMENT_NEEDS_ATTENTION;
    }
    int64_t now = clock_now();
    rc = db_exec(db,
                 "UPDATE orders SET status = 'paid', telegram_payment_charge_id = ?, "
                 "provider_payment_charge_id = ?, paid_at = ?, updated_at = ? WHERE id = ?",
                 DB_TEXT(p->charge_id), DB_TEXT(p->provider_charge_id), DB_INT(now), DB_INT(now),
                 DB_INT(p->order_id));
    if (rc)
        return rc;
    /* what was bought leaves the cart; what was added meanwhile stays */
    return db_exec(db,
                   "DELETE FROM cart_item WHERE customer_id = ? AND product_id IN "
                   "(SELECT product_id FROM order_item WHERE order_id = ?)",
                   DB_INT(o.customer_id), DB_INT(p->order_id));
}

int order_apply_payment(struct db *db, const struct payment *p, enum payment_outcome *out,
                        struct buf *why)
{
    if (!p->charge_id || !*p->charge_id) {
        buf_setf(why, "the payment has no charge id");
        return ERR_INVALID;
    }
    struct apply x = {p, PAYMENT_APPLIED, why};
    int rc = db_transaction(db, run_apply, &x);
    if (rc == ERR_CONFLICT && db_error(db)->kind == DB_E_UNIQUE) {
        /* the same charge id on another order: a forged or confused delivery */
        buf_setf(why, "charge %s was already applied to another order", p->charge_id);
        x.outcome = PAYMENT_DUPLICATE;
    } else if (rc && !why->len) {
        buf_setf(why, "%s", db_errmsg(db));
    }
    *out = x.outcome;
    return rc;
}

struct expiry {
    int64_t order_id, now;
    bool moved;
};

static int expire_one(struct db *db, void *ctx)
{
    struct expiry *e = ctx;
    int rc = db_exec(db,
                     "UPDATE orders SET status = 'cancelled', updated_at = ? "
                     "WHERE id = ? AND status = 'awaiting_payment' AND reserved_until < ?",
                     DB_INT(e->now), DB_INT(e->order_id), DB_INT(e->now));
    if (rc)
        return rc;
    e->moved = db_changes(db) == 1;
    return e->moved ? release_stock(db, e->order_id) : 0;
}

int order_expire_reservations(struct db *db, int64_t now, int *out_expired)
{
    int expired = 0;
    for (;;) {
        struct db_rows *rows;
        int rc = db_query(db, &rows,
                          "SELECT id FROM orders WHERE status = 'awaiting_payment' "
                          "AND reserved_until < ? ORDER BY reserved_until LIMIT 100",
                          DB_INT(now));
        if (rc)
            return rc;
        int64_t ids[100];
        int n = 0;
        while (n < 100 && (rc = db_next(rows)) > 0)
            ids[n++] = db_int(rows, 0);
        db_rows_free(rows);
        if (rc < 0)
            return rc;
        int moved = 0;
        for (int i = 0; i < n; i++) {
            struct expiry e = {ids[i], now, false};
            if ((rc = db_transaction(db, expire_one, &e)))
                return rc;
            moved += e.moved;
        }
        expired += moved;
        if (out_expired)
            *out_expired = expired;
        if (n < 100 || moved == 0)
            return 0;
    }
}

struct status_change {
    int64_t order_id, customer_id;
    enum order_status to;
};

static int run_status_change(struct db *db, void *ctx)
{
    struct status_change *s = ctx;
    struct payable o;
    int rc = read_payable(db, s->order_id, &o);
    if (rc)
        return rc;
    if (s->customer_id && o.customer_id != s->customer_id)
        return ERR_NOTFOUND;
    if (s->customer_id && !(o.status == ORDER_AWAITING_PAYMENT && s->to == ORDER_CANCELLED))
        return ERR_CONFLICT; /* customers may only cancel what they have not paid */
    if (!order_transition_allowed(o.status, s->to) || s->to == ORDER_PAID)
        return ERR_CONFLICT; /* paid comes only with a payment */
    bool moved;
    rc = move(db, s->order_id, o.status, s->to, &moved);
    return rc ? rc : moved ? 0 : ERR_CONFLICT;
}

int order_set_status(struct db *db, int64_t order_id, int64_t customer_id, enum order_status to)
{
    struct status_change s = {order_id, customer_id, to};
    return db_transaction(db, run_status_change, &s);
}

#define ORDER_COLUMNS                                                                              \
    "id, customer_id, status, contact_name, phone, address, comment, total, currency, "            \
    "telegram_payment_charge_id, COALESCE(reserved_until, 0), created_at, COALESCE(paid_at, 0)"

static void fill_order(struct order *o, struct db_rows *rows, struct arena *a)
{
    o->id = db_int(rows, 0);
    o->customer_id = db_int(rows, 1);
    if (order_status_parse(db_text(rows, 2), &o->status))
        o->status = ORDER_NEW;
    o->contact_name = db_text_dup(rows, 3, a);
    o->phone = db_text_dup(rows, 4, a);
    o->address = db_text_dup(rows, 5, a);
    o->comment = db_text_dup(rows, 6, a);
    o->total = db_int(rows, 7);
    o->currency = db_text_dup(rows, 8, a);
    o->charge_id = db_text_dup(rows, 9, a);
    o->reserved_until = db_int(rows, 10);
    o->created_at = db_int(rows, 11);
    o->paid_at = db_int(rows, 12);
    o->items = NULL;
    o->item_count = 0;
}

int order_list(struct db *db, struct arena *a, int64_t customer_id, int64_t offset, int limit,
               struct order **out, int *out_count, int64_t *out_total)
{
    *out = NULL;
    *out_count = 0;
    if (offset < 0 || limit < 1 || limit > ORDER_PAGE_MAX)
        return ERR_INVALID;
    int rc = db_query_int(db, out_total, "SELECT count(*) FROM orders WHERE customer_id = ?",
                          DB_INT(customer_id));
    if (rc)
        return rc;
    struct db_rows *rows;
    rc = db_query(db, &rows,
                  "SELECT " ORDER_COLUMNS " FROM orders WHERE customer_id = ? "
                  "ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
                  DB_INT(customer_id), DB_INT(limit), DB_INT(offset));
    if (rc)
        return rc;
    struct order *list = arena_calloc(a, (size_t)limit, sizeof *list);
    int n = 0;
    while (n < limit && (rc = db_next(rows)) > 0)
        fill_order(&list[n++], rows, a);
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    *out = list;
    *out_count = n;
    return 0;
}

int order_get(struct db *db, struct arena *a, int64_t order_id, int64_t customer_id,
              struct order *out)
{
    struct db_rows *rows;
    int rc =
        db_query(db, &rows, "SELECT " ORDER_COLUMNS " FROM orders WHERE id = ?", DB_INT(order_id));
    if (rc)
        return rc;
    rc = db_next(rows);
    if (rc > 0)
        fill_order(out, rows, a);
    db_rows_free(rows);
    if (rc < 0)
        return rc;
    if (rc == 0 || (customer_id && out->customer_id != customer_id))
        return ERR_NOTFOUND;
    int64_t count = 0;
    if ((rc = db_query_int(db, &count, "SELECT count(*) FROM order_item WHERE order_id = ?",
                           DB_INT(order_id))))
        return rc;
    if ((rc = db_query(db, &rows,
                       "SELECT COALESCE(product_id, 0), name, price, quantity FROM order_item "
                       "WHERE order_id = ? ORDER BY id",
                       DB_INT(order_id))))
        return rc;
    out->items = arena_calloc(a, (size_t)(count ? count : 1), sizeof *out->items);
    int n = 0;
    while (n < count && (rc = db_next(rows)) > 0) {
        out->items[n].product_id = db_int(rows, 0);
        out->items[n].name = db_text_dup(rows, 1, a);
        out->items[n].price = db_int(rows, 2);
        out->items[n].quantity = db_int(rows, 3);
        n++;
    }
    db_rows_free(rows);
    out->item_count = n;
    return rc < 0 ? rc : 0;
}
