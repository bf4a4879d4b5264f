/* Orders: the list with filters (status, creation dates, search), totals per currency and
 * keyset pages; the detail with items, customer, contact, payment ids and timeline; status
 * changes along the allowed moves (shop/order.h decides), each told to the customer in
 * Telegram through the job queue; downloads of the filtered list as CSV or XLSX
 * (src/export). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "export/export.h"
#include "jobs/notify.h"
#include "shop/customer.h"
#include "shop/money.h"
#include "shop/order_query.h"
#include "shop/texts.h"
#include "web/routes.h"
#include "web/web.h"
#include "core/banned.h"

static const enum order_status all_statuses[] = {
    ORDER_NEW,       ORDER_AWAITING_PAYMENT, ORDER_PAID,     ORDER_SHIPPED,
    ORDER_DELIVERED, ORDER_CANCELLED,        ORDER_REFUNDED,
};
enum { STATUS_COUNT = sizeof all_statuses / sizeof *all_statuses };

static const char *query_value(struct web_page *p, const char *name)
{
    const char *v = http_query(p->req, name);
    return v ? v : "";
}

static json_t *money(const char *currency, int64_t amount)
{
    struct buf b = BUF_INIT;
    money_format(&b, amount, currency);
    json_t *s = json_string(b.data);
    buf_release(&b);
    return s;
}

/* The list's filter from the query string. A bad value gets a message next to its field
 * and makes the filter false (nothing is shown or exported for it). The filter's strings
 * point into the request. */
static bool read_filter(struct web_page *p, struct order_filter *f)
{
    *f = (struct order_filter){0};
    const char *status = query_value(p, "status"), *from = query_value(p, "from"),
               *to = query_value(p, "to"), *q = query_value(p, "q");
    if (*status && order_status_parse(status, &f->status))
        web_field_error(p, "status", "Choose a status from the list.");
    f->has_status = *status && !web_has_errors(p);
    if (*from && order_filter_parse_date(from, false, &f->created_from))
        web_field_error(p, "from", "A date like 2025-12-01.");
    if (*to && order_filter_parse_date(to, true, &f->created_to))
        web_field_error(p, "to", "A date like 2025-12-31.");
    if (f->created_from && f->created_to && f->created_from > f->created_to)
        web_field_error(p, "to", "The end is before the start.");
    if (strlen(q) > ORDER_SEARCH_MAX)
        web_field_error(p, "q", "At most %d characters.", ORDER_SEARCH_MAX);
    f->search = q;
    json_t *options = json_array();
    for (int i = 0; i < STATUS_COUNT; i++) {
        const char *name = order_status_name(all_statuses[i]);
        json_array_append_new(
            options, json_pack("{s:s, s:b}", "name", name, "selected", !strcmp(name, status)));
    }
    json_object_set_new(
        p->data, "filter",
        json_pack("{s:s, s:s, s:s, s:o}", "from", from, "to", to, "q", q, "statuses", options));
    return !web_has_errors(p);
}

/* "status=paid&from=...&" : the filter's parameters for links that keep it. */
static char *filter_query(struct web_page *p)
{
    static const char *const names[] = {"status", "from", "to", "q"};
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const char *v = query_value(p, names[i]);
        if (!*v)
            continue;
        buf_addf(&b, "%s=", names[i]);
        buf_add_url_encoded(&b, v, strlen(v));
        buf_addc(&b, '&');
    }
    char *s = arena_strdup(p->arena, b.data);
    buf_release(&b);
    return s;
}

/* A cursor "CREATED-ID" from ?before or ?after. */
static bool read_cursor(const char *s, struct order_cursor *out)
{
    const char *dash = s ? strchr(s, '-') : NULL;
    return dash && parse_int64_n(s, (size_t)(dash - s), &out->created_at) == 0 &&
           parse_int64(dash + 1, &out->id) == 0;
}

static json_t *list_row(const struct order_record *r)
{
    const char *first = r->customer_first_name ? r->customer_first_name : "";
    return json_pack("{s:I, s:o, s:s, s:o, s:o, s:o, s:o, s:I, s:o}", "id", (json_int_t)r->id,
                     "created_at", web_json_time(r->created_at), "status",
                     order_status_name(r->status), "total", money(r->currency, r->total), "contact",
                     web_json_str(r->contact_name), "phone", web_json_str(r->phone), "customer",
                     web_json_str(first), "units", (json_int_t)r->units, "username",
                     web_json_str(r->customer_username));
}

static void render_list(struct web_page *p)
{
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "orders_list", "Orders");
}

void page_orders_list(struct web_page *p)
{
    struct order_filter f;
    if (!read_filter(p, &f)) {
        p->res->status = 400;
        render_list(p);
        return;
    }
    enum order_page_direction dir = ORDER_PAGE_FIRST;
    struct order_cursor cursor = {0, 0};
    if (read_cursor(http_query(p->req, "before"), &cursor))
        dir = ORDER_PAGE_OLDER;
    else if (read_cursor(http_query(p->req, "after"), &cursor))
        dir = ORDER_PAGE_NEWER;
    struct order_totals totals;
    struct order_page page;
    if (order_query_totals(p->db, p->arena, &f, &totals) ||
        order_query_page(p->db, p->arena, &f, dir, &cursor, WEB_PAGE_SIZE, &page)) {
        web_db_error(p, "listing orders");
        return;
    }
    json_t *rows = json_array();
    for (int i = 0; i < page.count; i++)
        json_array_append_new(rows, list_row(&page.rows[i]));
    json_t *sums = json_array();
    for (int i = 0; i < totals.currencies; i++)
        json_array_append_new(sums, json_pack("{s:o, s:I}", "sum",
                                              money(totals.sums[i].currency, totals.sums[i].sum),
                                              "count", (json_int_t)totals.sums[i].count));
    const char *keep = filter_query(p);
    json_t *data = p->data;
    json_object_set_new(data, "rows", rows);
    json_object_set_new(data, "count", json_integer(totals.count));
    json_object_set_new(data, "sums", sums);
    json_object_set_new(data, "keep", json_string(keep));
    if (page.has_newer)
        json_object_set_new(data, "newer",
                            json_string(arena_sprintf(p->arena, "/orders?%safter=%lld-%lld", keep,
                                                      (long long)page.newest.created_at,
                                                      (long long)page.newest.id)));
    if (page.has_older)
        json_object_set_new(data, "older",
                            json_string(arena_sprintf(p->arena, "/orders?%sbefore=%lld-%lld", keep,
                                                      (long long)page.oldest.created_at,
                                                      (long long)page.oldest.id)));
    render_list(p);
}

/* ---- the download of the filtered list ---- */

struct download {
    int fd;
};

static ssize_t read_download(void *ctx, char *out, size_t max)
{
    struct download *d = ctx;
    for (;;) {
        ssize_t n = read(d->fd, out, max);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

static void close_download(void *ctx)
{
    struct download *d = ctx;
    close(d->fd);
    free(d);
}

/* The export is written to an unlinked temporary file first (libxlsxwriter needs a file
 * anyway, and a failure can still get an error page), then streamed from it. */
void page_orders_export(struct web_page *p)
{
    enum export_format format;
    if (export_format_parse(query_value(p, "format"), &format)) {
        web_error(p, 400, "Choose CSV or XLSX.");
        return;
    }
    struct order_filter f;
    if (!read_filter(p, &f)) {
        web_error(p, 400, "The filter is not valid: correct it on the order list.");
        return;
    }
    const char *tmpdir = getenv("TMPDIR");
    char *path =
        arena_sprintf(p->arena, "%s/tgshop-download-XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0) {
        web_internal_error(p, "cannot create a temporary file for an export");
        return;
    }
    unlink(path);
    struct export_options opt = {.format = format, .bom = *query_value(p, "bom") != '\0'};
    struct buf err = BUF_INIT;
    int64_t rows = 0;
    int rc = export_orders(p->db, &f, &opt, fd, &rows, &err);
    if (rc || lseek(fd, 0, SEEK_SET) != 0) {
        close(fd);
        web_internal_error(p, rc ? err.data : "cannot rewind an export");
        buf_release(&err);
        return;
    }
    buf_release(&err);
    web_audit(p, "export", "order", 0, "exported %lld order(s) as %s", (long long)rows,
              export_format_name(format));
    char *disposition =
        arena_sprintf(p->arena, "attachment; filename=\"orders.%s\"", export_format_name(format));
    http_response_header(p->res, "Content-Disposition", disposition);
    struct download *d = xcalloc(1, sizeof *d);
    d->fd = fd;
    http_response_stream(p->res, export_content_type(format), read_download, d, close_download);
}

/* ---- one order ---- */

/* The order named by the path's {id}; answers 404 and returns false when there is none. */
static bool load_order(struct web_page *p, struct order_detail *out)
{
    int64_t id;
    int rc = parse_int64(http_param(p->req, "id"), &id) || id <= 0
                 ? ERR_NOTFOUND
                 : order_query_detail(p->db, p->arena, id, out);
    if (rc == ERR_NOTFOUND) {
        web_error(p, 404, "There is no such order.");
        return false;
    }
    if (rc) {
        web_db_error(p, "loading an order");
        return false;
    }
    return true;
}

static json_t *detail_json(const struct order_detail *d)
{
    const struct order_record *r = &d->order;
    json_t *items = json_array();
    for (int i = 0; i < r->item_count; i++) {
        const struct order_item *it = &r->items[i];
        json_array_append_new(
            items, json_pack("{s:o, s:o, s:I, s:o}", "name", web_json_str(it->name), "price",
                             money(r->currency, it->price), "quantity", (json_int_t)it->quantity,
                             "sum", money(r->currency, it->price * it->quantity)));
    }
    json_t *events = json_array();
    for (int i = 0; i < d->event_count; i++) {
        const struct order_event *e = &d->events[i];
        json_array_append_new(events,
                              json_pack("{s:o, s:o, s:o, s:o}", "at", web_json_time(e->at), "what",
                                        web_json_str(e->what), "who", web_json_str(e->who),
                                        "details", web_json_str(e->details)));
    }
    return json_pack(
        "{s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:o, s:o, s:o,"
        " s:o, s:o}",
        "id", (json_int_t)r->id, "status", order_status_name(r->status), "total",
        money(r->currency, r->total), "currency", web_json_str(r->currency), "created_at",
        web_json_time(r->created_at), "paid_at", web_json_time(r->paid_at), "reserved_until",
        web_json_time(r->status == ORDER_AWAITING_PAYMENT ? r->reserved_until : 0), "contact_name",
        web_json_str(r->contact_name), "phone", web_json_str(r->phone), "address",
        web_json_str(r->address), "comment", web_json_str(r->comment), "charge_id",
        web_json_str(r->charge_id), "provider_charge_id", web_json_str(r->provider_charge_id),
        "tg_id", (json_int_t)r->customer_tg_id, "username", web_json_str(r->customer_username),
        "first_name", web_json_str(r->customer_first_name), "last_name",
        web_json_str(r->customer_last_name), "items", items, "events", events);
}

static void render_detail(struct web_page *p, const struct order_detail *d)
{
    json_t *order = detail_json(d);
    json_t *moves = json_array();
    for (int i = 0; i < STATUS_COUNT; i++) /* paid comes only with a payment */
        if (all_statuses[i] != ORDER_PAID &&
            order_transition_allowed(d->order.status, all_statuses[i]))
            json_array_append_new(moves,
                                  json_pack("{s:s}", "name", order_status_name(all_statuses[i])));
    json_object_set_new(order, "has_moves", json_boolean(json_array_size(moves) > 0));
    json_object_set_new(order, "moves", moves);
    json_object_set_new(p->data, "order", order);
    web_breadcrumb(p, "Orders", "/orders");
    web_render(p, "order_detail", arena_sprintf(p->arena, "Order #%lld", (long long)d->order.id));
}

void page_order_detail(struct web_page *p)
{
    struct order_detail d;
    if (load_order(p, &d))
        render_detail(p, &d);
}

/* Tells the order's customer its new status in Telegram, in their language and in the bot's
 * words, as a notify.message job on telegram_sending_queue (sent within the shared rate).
 * The key (order and status) makes a repeated move notify once. Returns what the flash
 * message says about it (a failure's details go to the log only). */
static const char *notify_customer(struct web_page *p, int64_t order_id, int64_t customer_id,
                                   enum order_status to)
{
    struct customer c;
    if (customer_get(p->db, p->arena, customer_id, &c)) {
        log_error("admin: cannot load customer %lld to notify: %s", (long long)customer_id,
                  db_errmsg(p->db));
        return "The customer could not be notified: the database failed.";
    }
    if (c.is_blocked)
        return "The customer blocked the bot, so is not notified.";
    const char *lang = texts_lang(c.language_code, p->opt->default_language);
    const char *id = arena_sprintf(p->arena, "%lld", (long long)order_id);
    struct buf text = BUF_INIT;
    text_render(&text, lang, "order_status_note", "id", id, "status", text_order_status(lang, to),
                NULL);
    const char *key =
        arena_sprintf(p->arena, "order-status:%lld:%s", (long long)order_id, order_status_name(to));
    const char *problem = NULL;
    struct queue *q = web_queue_lock(p, &problem);
    int rc = q ? notify_enqueue(q, c.tg_id, text.data, key) : ERR_NETWORK;
    if (q && rc < 0)
        problem = arena_sprintf(p->arena, "the job queue failed (%s)", queue_errmsg(q));
    web_queue_unlock(p);
    buf_release(&text);
    if (rc < 0) {
        log_error("admin: cannot queue order %lld's status note: %s", (long long)order_id, problem);
        return "The customer could not be notified: the job queue did not take the message (the "
               "log says why).";
    }
    return "The customer is notified in Telegram.";
}

void page_order_set_status(struct web_page *p)
{
    struct order_detail d;
    if (!load_order(p, &d))
        return;
    enum order_status to;
    const char *target = web_form_text(p, "status");
    if (order_status_parse(target, &to) || to == ORDER_PAID ||
        !order_transition_allowed(d.order.status, to)) {
        web_field_error(p, "status", "An order %s cannot become %s.",
                        order_status_name(d.order.status), *target ? target : "nothing");
        p->res->status = 409;
        render_detail(p, &d);
        return;
    }
    const char *back = arena_sprintf(p->arena, "/orders/%lld", (long long)d.order.id);
    if (to == ORDER_CANCELLED || to == ORDER_REFUNDED) {
        const char *question = arena_sprintf(
            p->arena, "Mark order #%lld as %s?%s", (long long)d.order.id, order_status_name(to),
            to == ORDER_CANCELLED ? " The stock it holds goes back on sale." : "");
        if (!web_confirmed(p, question, to == ORDER_CANCELLED ? "Cancel the order" : "Refunded",
                           back))
            return;
    }
    int rc = order_set_status(p->db, d.order.id, 0, to);
    if (rc == ERR_CONFLICT) { /* someone else moved it meanwhile */
        web_redirect(p, back, "The order changed meanwhile; nothing was done. Look again.");
        return;
    }
    if (rc) {
        web_db_error(p, "changing an order's status");
        return;
    }
    web_audit(p, "status", "order", d.order.id, "%s -> %s", order_status_name(d.order.status),
              order_status_name(to));
    const char *told = notify_customer(p, d.order.id, d.order.customer_id, to);
    web_redirect(p, back,
                 arena_sprintf(p->arena, "Order #%lld is %s now. %s", (long long)d.order.id,
                               order_status_name(to), told));
}
