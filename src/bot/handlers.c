#include "bot/handlers.h"

#include <stdio.h>
#include <string.h>

#include "bot/paginator.h"
#include "bot/router.h"
#include "shop/texts.h"
#include "bot/ui.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "shop/cart.h"
#include "shop/catalog.h"
#include "shop/faq.h"
#include "shop/money.h"
#include "shop/order.h"
#include "core/banned.h"

enum { LABEL_CHARS = 40, QUANTITY_MAX = 99 };

/* Callback data of a route with its numbers, in the update's arena. */
#define DATA(c, ...) ROUTE_DATA((c)->arena, __VA_ARGS__)
/* Callback data of a route without numbers. */
static const char *route(struct bot_ctx *c, enum route r)
{
    return router_data(c->arena, r, NULL, 0);
}

static struct tg_keyboard *keyboard(struct bot_ctx *c)
{
    (void)c;
    return tg_keyboard_inline();
}

static void button(struct tg_keyboard *kb, struct bot_ctx *c, const char *key, const char *data)
{
    tg_keyboard_callback(kb, text_get(c->lang, key), data);
}

static void money(struct buf *out, struct bot_ctx *c, int64_t amount)
{
    money_format(out, amount, c->settings->currency);
}

/* A rendered money amount in the arena (for text_render arguments). */
static const char *money_str(struct bot_ctx *c, int64_t amount)
{
    struct buf b = BUF_INIT;
    money(&b, c, amount);
    char *s = arena_strdup(c->arena, b.data);
    buf_release(&b);
    return s;
}

static const char *num(struct bot_ctx *c, int64_t v)
{
    return arena_sprintf(c->arena, "%lld", (long long)v);
}

/* Shows a screen and frees what was built for it. */
static int show(struct bot_ctx *c, struct buf *text, struct tg_keyboard *kb)
{
    int rc = ui_show(c, text->data, kb);
    buf_release(text);
    tg_keyboard_free(kb);
    return rc;
}

int handlers_menu(struct bot_ctx *c)
{
    struct cart_summary cart;
    int rc = cart_summarize(c->db, c->customer.id, &cart);
    if (rc)
        return rc;
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "menu", "name", c->from->first_name, NULL);
    struct tg_keyboard *kb = keyboard(c);
    button(kb, c, "btn_catalog", DATA(c, ROUTE_CATALOG, 0, 0));
    struct buf label = BUF_INIT;
    text_render(&label, c->lang, "btn_cart_count", "count", num(c, cart.items), NULL);
    tg_keyboard_callback(kb, label.data, DATA(c, ROUTE_CART, 0));
    buf_release(&label);
    tg_keyboard_row(kb);
    button(kb, c, "btn_orders", DATA(c, ROUTE_ORDERS, 0));
    button(kb, c, "btn_faq", DATA(c, ROUTE_FAQ, 0));
    tg_keyboard_row(kb);
    button(kb, c, "btn_help", route(c, ROUTE_HELP));
    return show(c, &text, kb);
}

int handlers_help(struct bot_ctx *c)
{
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "help", "bot",
                c->settings->bot_username ? c->settings->bot_username : "bot", NULL);
    struct tg_keyboard *kb = keyboard(c);
    tg_keyboard_switch_inline(kb, text_get(c->lang, "btn_search"), "");
    tg_keyboard_row(kb);
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

/* A short notice: an alert on the pressed button, or a message when the customer came by a
 * command or a deep link (an old inline result, a shared link), which has no button to answer. */
static int notice(struct bot_ctx *c, const char *key)
{
    if (c->update->type == TG_UPDATE_CALLBACK_QUERY) {
        ui_answer_key(c, key, true);
        return 0;
    }
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, key, NULL);
    int rc = ui_send(c, text.data, NULL);
    buf_release(&text);
    return rc;
}

/* The pages of the three lists below, fetched through paginator_fetch. */
struct level_page {
    struct bot_ctx *c;
    int64_t category_id;
    struct catalog_entry *list;
    int count;
    int64_t total;
};

static int fetch_level(void *ctx, int64_t offset, int limit, int64_t *out_total)
{
    struct level_page *p = ctx;
    int rc = catalog_level(p->c->db, p->c->arena, p->category_id, offset, limit, &p->list,
                           &p->count, &p->total);
    *out_total = p->total;
    return rc;
}

struct order_page {
    struct bot_ctx *c;
    struct order *list;
    int count;
    int64_t total;
};

static int fetch_orders(void *ctx, int64_t offset, int limit, int64_t *out_total)
{
    struct order_page *p = ctx;
    int rc = order_list(p->c->db, p->c->arena, p->c->customer.id, offset, limit, &p->list,
                        &p->count, &p->total);
    *out_total = p->total;
    return rc;
}

struct faq_list_page {
    struct bot_ctx *c;
    struct faq *list;
    int count;
    int64_t total;
};

static int fetch_faq(void *ctx, int64_t offset, int limit, int64_t *out_total)
{
    struct faq_list_page *p = ctx;
    int rc = faq_list(p->c->db, p->c->arena, offset, limit, &p->list, &p->count, &p->total);
    *out_total = p->total;
    return rc;
}

/* A catalogue level: subcategories, then products, a page at a time. */
int handlers_catalog(struct bot_ctx *c, int64_t category_id, int64_t page)
{
    struct category cat = {0};
    int rc = category_id ? catalog_category(c->db, c->arena, category_id, &cat) : 0;
    if (rc == ERR_NOTFOUND) {
        ui_answer_key(c, "category_gone", true);
        category_id = 0;
        page = 0;
    } else if (rc) {
        return rc;
    }
    struct level_page lp = {c, category_id, NULL, 0, 0};
    struct page_view v;
    rc = paginator_fetch(&v, page, c->settings->page_size, fetch_level, &lp);
    if (rc)
        return rc;
    struct catalog_entry *list = lp.list;
    int n = lp.count;
    int64_t total = lp.total;
    struct buf text = BUF_INIT;
    if (category_id) {
        text_render(&text, c->lang, "catalog_category", "name", cat.name, "description",
                    cat.description, NULL);
    } else {
        text_render(&text, c->lang, "catalog_root", NULL);
    }
    if (!total)
        text_render(&text, c->lang, "catalog_empty", NULL);
    struct tg_keyboard *kb = keyboard(c);
    for (int i = 0; i < n; i++) {
        char label[160];
        const char *data;
        struct buf line = BUF_INIT;
        if (list[i].kind == CATALOG_CATEGORY) {
            paginator_label(label, sizeof label, list[i].name, LABEL_CHARS);
            buf_addf(&line, "📁 %s", label);
            data = DATA(c, ROUTE_CATALOG, list[i].id, 0);
        } else {
            paginator_label(label, sizeof label, list[i].name, LABEL_CHARS - 12);
            buf_addf(&line, "%s · ", label);
            money(&line, c, list[i].price);
            if (list[i].stock == 0)
                buf_addf(&line, " · %s", text_get(c->lang, "sold_out_short"));
            data = DATA(c, ROUTE_PRODUCT, list[i].id, 1, category_id, v.page);
        }
        tg_keyboard_callback(kb, line.data, data);
        tg_keyboard_row(kb);
        buf_release(&line);
    }
    paginator_nav(kb, &v, c->arena, ROUTE_CATALOG, (const int64_t[]){category_id, 0}, 2);
    tg_keyboard_row(kb);
    if (category_id) {
        int64_t parent = 0, index = 0;
        if ((rc = catalog_locate(c->db, category_id, &parent, &index))) {
            buf_release(&text);
            tg_keyboard_free(kb);
            return rc;
        }
        struct page_view back;
        paginator_view(&back, index + 1,
                       index / (c->settings->page_size > 0 ? c->settings->page_size : 1),
                       c->settings->page_size);
        button(kb, c, "btn_back", DATA(c, ROUTE_CATALOG, parent, back.page));
    }
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

/* The caption of a product card. */
static void product_caption(struct buf *out, struct bot_ctx *c, const struct product *p,
                            int64_t in_cart)
{
    text_render(out, c->lang, "product_card", "name", p->name, "description", p->description,
                "price", money_str(c, p->price), NULL);
    if (p->stock == 0)
        text_render(out, c->lang, "product_sold_out", NULL);
    else if (p->stock <= 5)
        text_render(out, c->lang, "product_few_left", "count", num(c, p->stock), NULL);
    else
        text_render(out, c->lang, "product_in_stock", NULL);
    if (in_cart)
        text_render(out, c->lang, "product_in_cart", "count", num(c, in_cart), NULL);
}

static struct tg_keyboard *product_keyboard(struct bot_ctx *c, const struct product *p, int64_t qty,
                                            int64_t cat, int64_t page)
{
    struct tg_keyboard *kb = keyboard(c);
    if (p->stock > 0) {
        tg_keyboard_callback(kb, "−",
                             DATA(c, ROUTE_QUANTITY, p->id, qty > 1 ? qty - 1 : 1, cat, page));
        tg_keyboard_callback(kb, num(c, qty), route(c, ROUTE_NOOP));
        int64_t limit = p->stock < QUANTITY_MAX ? p->stock : QUANTITY_MAX;
        tg_keyboard_callback(
            kb, "+", DATA(c, ROUTE_QUANTITY, p->id, qty < limit ? qty + 1 : limit, cat, page));
        tg_keyboard_row(kb);
        button(kb, c, "btn_add_to_cart", DATA(c, ROUTE_ADD_TO_CART, p->id, qty, cat, page));
        tg_keyboard_row(kb);
    }
    button(kb, c, "btn_back", DATA(c, ROUTE_CATALOG, cat, page));
    button(kb, c, "btn_cart", DATA(c, ROUTE_CART, 0));
    return kb;
}

/* A product card; update_only edits the card in place (quantity buttons). */
int handlers_product(struct bot_ctx *c, int64_t id, int64_t qty, int64_t cat, int64_t page,
                     bool update_only)
{
    struct product p;
    int rc = catalog_product(c->db, c->arena, id, &p);
    if (rc == ERR_NOTFOUND) {
        rc = notice(c, "product_gone");
        return rc ? rc : handlers_catalog(c, cat, page);
    }
    int64_t in_cart = 0;
    if (rc || (rc = cart_quantity(c->db, c->customer.id, id, &in_cart)))
        return rc;
    int64_t limit = p.stock < QUANTITY_MAX ? p.stock : QUANTITY_MAX;
    if (qty > limit)
        qty = limit;
    if (qty < 1)
        qty = 1;
    struct buf caption = BUF_INIT;
    product_caption(&caption, c, &p, in_cart);
    struct tg_keyboard *kb = product_keyboard(c, &p, qty, cat, page);
    if (update_only || !p.photo_path) {
        rc = update_only ? ui_update(c, caption.data, kb) : ui_show(c, caption.data, kb);
    } else {
        struct tg_photo photo = {TG_PHOTO_PATH, p.photo_path, NULL, 0, NULL};
        if (p.photo_file_id)
            photo = (struct tg_photo){TG_PHOTO_FILE_ID, p.photo_file_id, NULL, 0, NULL};
        const char *file_id = NULL;
        rc = ui_show_photo(c, &photo, caption.data, kb, &file_id);
        if (rc && p.photo_file_id && tg_client_result(c->tg)->reason == TG_REASON_INVALID_FILE_ID) {
            photo = (struct tg_photo){TG_PHOTO_PATH, p.photo_path, NULL, 0, NULL};
            rc = ui_show_photo(c, &photo, caption.data, kb, &file_id);
            p.photo_file_id = NULL;
        }
        if (rc && !p.photo_file_id) /* the file is missing or unreadable: show the text */
            rc = ui_show(c, caption.data, kb);
        else if (!rc && file_id && !p.photo_file_id &&
                 catalog_set_photo_file_id(c->db, p.id, file_id))
            log_warn("file_id of product %lld not saved (sent again next time): %s",
                     (long long)p.id, db_errmsg(c->db));
    }
    buf_release(&caption);
    tg_keyboard_free(kb);
    return rc;
}

int handlers_add_to_cart(struct bot_ctx *c, int64_t id, int64_t qty, int64_t cat, int64_t page)
{
    int64_t now_in_cart = 0;
    bool limited = false;
    int rc = cart_add(c->db, c->customer.id, id, qty, &now_in_cart, &limited);
    struct buf answer = BUF_INIT;
    if (rc == ERR_NOTFOUND) {
        ui_answer_key(c, "product_gone", true);
        return handlers_catalog(c, cat, page);
    } else if (rc == ERR_CONFLICT) {
        ui_answer_key(c, "product_sold_out_alert", true);
    } else if (rc == ERR_INVALID) {
        ui_answer_key(c, "bad_quantity", true);
    } else if (rc) {
        buf_release(&answer);
        return rc;
    } else {
        text_render(&answer, c->lang, limited ? "added_limited" : "added", "count",
                    num(c, now_in_cart), NULL);
        ui_answer(c, answer.data, limited);
    }
    buf_release(&answer);
    return rc == ERR_CONFLICT || rc == ERR_INVALID ? 0
                                                   : handlers_product(c, id, qty, cat, page, true);
}

int handlers_cart(struct bot_ctx *c, int64_t page)
{
    struct cart_line *lines;
    int n;
    struct cart_summary s;
    int rc = cart_read(c->db, c->arena, c->customer.id, &lines, &n, &s);
    if (rc)
        return rc;
    struct buf text = BUF_INIT;
    struct tg_keyboard *kb = keyboard(c);
    if (!s.lines) {
        text_render(&text, c->lang, "cart_empty", NULL);
        button(kb, c, "btn_catalog", DATA(c, ROUTE_CATALOG, 0, 0));
        button(kb, c, "btn_menu", route(c, ROUTE_MENU));
        return show(c, &text, kb);
    }
    struct page_view v;
    paginator_view(&v, s.lines, page, c->settings->page_size);
    text_render(&text, c->lang, "cart_title", NULL);
    for (int64_t i = v.offset; i < n && i < v.offset + v.limit; i++) {
        const struct cart_line *l = &lines[i];
        text_render(&text, c->lang, "cart_line", "n", num(c, i + 1), "name", l->name, "qty",
                    num(c, l->quantity), "price", money_str(c, l->price), "sum",
                    money_str(c, l->price * l->quantity), NULL);
        if (!l->available)
            text_render(&text, c->lang, "cart_unavailable", NULL);
        else if (l->quantity > l->stock)
            text_render(&text, c->lang, "cart_short", "count", num(c, l->stock), NULL);
        if (l->available && l->price != l->price_at_add)
            text_render(&text, c->lang, "cart_price_changed", "was", money_str(c, l->price_at_add),
                        NULL);
        char label[160];
        paginator_label(label, sizeof label, l->name, 24);
        tg_keyboard_callback(kb, "−",
                             DATA(c, ROUTE_CART_ITEM, l->product_id, CART_OP_LESS, v.page));
        struct buf mid = BUF_INIT;
        buf_addf(&mid, "%s × %lld", label, (long long)l->quantity);
        tg_keyboard_callback(kb, mid.data, route(c, ROUTE_NOOP));
        buf_release(&mid);
        tg_keyboard_callback(kb, "+",
                             DATA(c, ROUTE_CART_ITEM, l->product_id, CART_OP_MORE, v.page));
        tg_keyboard_callback(kb, "✖",
                             DATA(c, ROUTE_CART_ITEM, l->product_id, CART_OP_REMOVE, v.page));
        tg_keyboard_row(kb);
    }
    text_render(&text, c->lang, "cart_total", "total", money_str(c, s.total), NULL);
    paginator_nav(kb, &v, c->arena, ROUTE_CART, (const int64_t[]){0}, 1);
    tg_keyboard_row(kb);
    button(kb, c, "btn_checkout", route(c, ROUTE_CHECKOUT));
    tg_keyboard_row(kb);
    button(kb, c, "btn_clear_cart", route(c, ROUTE_CART_CLEAR));
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

int handlers_cart_item(struct bot_ctx *c, int64_t product_id, int64_t op, int64_t page)
{
    int64_t q = 0;
    bool limited = false;
    int rc = cart_quantity(c->db, c->customer.id, product_id, &q);
    if (rc)
        return rc;
    if (!q) {
        /* a line removed meanwhile (an older cart message) or a forged id: "+" must not put
         * it back */
        ui_answer_key(c, "cart_not_in_cart", false);
        return handlers_cart(c, page);
    }
    if (op == CART_OP_REMOVE)
        rc = cart_remove(c->db, c->customer.id, product_id);
    else if (op == CART_OP_MORE || op == CART_OP_LESS)
        rc = cart_change(c->db, c->customer.id, product_id, op == CART_OP_MORE ? 1 : -1, &q,
                         &limited);
    else
        rc = ERR_INVALID;
    if (rc == ERR_CONFLICT || limited)
        ui_answer_key(c, "cart_no_more", false);
    else if (rc == ERR_NOTFOUND)
        ui_answer_key(c, "product_gone", false);
    else if (rc && rc != ERR_INVALID)
        return rc;
    return handlers_cart(c, page);
}

int handlers_cart_clear(struct bot_ctx *c)
{
    int rc = cart_clear(c->db, c->customer.id);
    if (rc)
        return rc;
    ui_answer_key(c, "cart_cleared", false);
    return handlers_cart(c, 0);
}

static const char *date_str(struct bot_ctx *c, int64_t t)
{
    char out[32];
    clock_format_iso(t, out, sizeof out);
    out[10] = '\0'; /* the day is enough in a list */
    return arena_strdup(c->arena, out);
}

int handlers_orders(struct bot_ctx *c, int64_t page)
{
    struct order_page op = {c, NULL, 0, 0};
    struct page_view v;
    int rc = paginator_fetch(&v, page, c->settings->page_size, fetch_orders, &op);
    if (rc)
        return rc;
    struct order *list = op.list;
    int n = op.count;
    int64_t total = op.total;
    struct buf text = BUF_INIT;
    struct tg_keyboard *kb = keyboard(c);
    text_render(&text, c->lang, total ? "orders_title" : "orders_empty", NULL);
    for (int i = 0; i < n; i++) {
        struct buf label = BUF_INIT;
        buf_addf(&label, "#%lld · %s · %s · ", (long long)list[i].id,
                 date_str(c, list[i].created_at), text_order_status(c->lang, list[i].status));
        money_format(&label, list[i].total, list[i].currency);
        tg_keyboard_callback(kb, label.data, DATA(c, ROUTE_ORDER, list[i].id, v.page));
        tg_keyboard_row(kb);
        buf_release(&label);
    }
    paginator_nav(kb, &v, c->arena, ROUTE_ORDERS, (const int64_t[]){0}, 1);
    tg_keyboard_row(kb);
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

int handlers_order(struct bot_ctx *c, int64_t id, int64_t page)
{
    struct order o;
    int rc = order_get(c->db, c->arena, id, c->customer.id, &o);
    if (rc == ERR_NOTFOUND) {
        ui_answer_key(c, "order_not_found", true);
        return handlers_orders(c, page);
    }
    if (rc)
        return rc;
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "order_title", "id", num(c, o.id), "date",
                date_str(c, o.created_at), "status", text_order_status(c->lang, o.status), NULL);
    for (int i = 0; i < o.item_count; i++) {
        struct buf price = BUF_INIT;
        money_format(&price, o.items[i].price * o.items[i].quantity, o.currency);
        text_render(&text, c->lang, "order_item", "name", o.items[i].name, "qty",
                    num(c, o.items[i].quantity), "sum", price.data, NULL);
        buf_release(&price);
    }
    struct buf total = BUF_INIT;
    money_format(&total, o.total, o.currency);
    text_render(&text, c->lang, "order_footer", "total", total.data, "name", o.contact_name,
                "phone", o.phone, "address", o.address, NULL);
    buf_release(&total);
    struct tg_keyboard *kb = keyboard(c);
    if (o.status == ORDER_AWAITING_PAYMENT && o.reserved_until > clock_now()) {
        button(kb, c, "btn_pay", DATA(c, ROUTE_PAY, o.id));
        button(kb, c, "btn_cancel_order", DATA(c, ROUTE_CANCEL_ORDER, o.id, page));
        tg_keyboard_row(kb);
    }
    button(kb, c, "btn_back", DATA(c, ROUTE_ORDERS, page));
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

int handlers_cancel_order(struct bot_ctx *c, int64_t id, int64_t page)
{
    int rc = order_set_status(c->db, id, c->customer.id, ORDER_CANCELLED);
    if (rc && rc != ERR_NOTFOUND && rc != ERR_CONFLICT)
        return rc;
    ui_answer_key(c, rc ? "order_not_cancelled" : "order_cancelled", rc != 0);
    return handlers_order(c, id, page);
}

int handlers_faq(struct bot_ctx *c, int64_t page)
{
    struct faq_list_page fp = {c, NULL, 0, 0};
    struct page_view v;
    int rc = paginator_fetch(&v, page, c->settings->page_size, fetch_faq, &fp);
    if (rc)
        return rc;
    struct faq *list = fp.list;
    int n = fp.count;
    int64_t total = fp.total;
    struct buf text = BUF_INIT;
    struct tg_keyboard *kb = keyboard(c);
    text_render(&text, c->lang, total ? "faq_title" : "faq_empty", NULL);
    for (int i = 0; i < n; i++) {
        char label[160];
        paginator_label(label, sizeof label, list[i].question, LABEL_CHARS);
        tg_keyboard_callback(kb, label, DATA(c, ROUTE_FAQ_ANSWER, list[i].id, v.page));
        tg_keyboard_row(kb);
    }
    paginator_nav(kb, &v, c->arena, ROUTE_FAQ, (const int64_t[]){0}, 1);
    tg_keyboard_row(kb);
    tg_keyboard_switch_inline(kb, text_get(c->lang, "btn_search"), "");
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

int handlers_faq_answer(struct bot_ctx *c, int64_t id, int64_t page)
{
    struct faq f;
    int rc = faq_get(c->db, c->arena, id, &f);
    if (rc == ERR_NOTFOUND) {
        ui_answer_key(c, "faq_gone", true);
        return handlers_faq(c, page);
    }
    if (rc)
        return rc;
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "faq_entry", "question", f.question, "answer", f.answer, NULL);
    struct tg_keyboard *kb = keyboard(c);
    button(kb, c, "btn_back", DATA(c, ROUTE_FAQ, page));
    button(kb, c, "btn_menu", route(c, ROUTE_MENU));
    return show(c, &text, kb);
}

/* /start with a deep link "p_<id>" from an inline result opens that product. */
static int start(struct bot_ctx *c, const char *args)
{
    int64_t id;
    if (args && !strncmp(args, "p_", 2) && parse_int64(args + 2, &id) == 0 && id > 0)
        return handlers_product(c, id, 1, 0, 0, false);
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "welcome", "name", c->from->first_name, NULL);
    struct tg_keyboard *remove = tg_keyboard_remove();
    int rc = ui_send(c, text.data, remove); /* also clears a reply keyboard left from a checkout */
    tg_keyboard_free(remove);
    buf_release(&text);
    return rc ? rc : handlers_menu(c);
}

int handlers_message(struct bot_ctx *c, const struct tg_message *m)
{
    const char *cmd = m->command;
    if (cmd && (!m->command_bot || !c->settings->bot_username ||
                !strcmp(m->command_bot, c->settings->bot_username))) {
        if (!strcmp(cmd, "/start"))
            return start(c, m->command_args);
        if (!strcmp(cmd, "/menu"))
            return handlers_menu(c);
        if (!strcmp(cmd, "/help"))
            return handlers_help(c);
        if (!strcmp(cmd, "/catalog"))
            return handlers_catalog(c, 0, 0);
        if (!strcmp(cmd, "/cart"))
            return handlers_cart(c, 0);
        if (!strcmp(cmd, "/orders"))
            return handlers_orders(c, 0);
        if (!strcmp(cmd, "/faq"))
            return handlers_faq(c, 0);
    }
    /* anything else outside a checkout: a hint and the menu, not silence */
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "unknown_message", NULL);
    int rc = ui_send(c, text.data, NULL);
    buf_release(&text);
    return rc ? rc : handlers_menu(c);
}

int handlers_inline(struct bot_ctx *c, const struct tg_inline_query *q)
{
    int64_t offset = 0;
    if (q->offset && *q->offset &&
        (parse_int64(q->offset, &offset) || offset < 0 || offset > 10000))
        offset = 0;
    enum { PER_KIND = 25 };
    struct faq *faqs;
    struct catalog_entry *products;
    int nf = 0, np = 0;
    int rc = faq_search(c->db, c->arena, q->query ? q->query : "", offset, PER_KIND, &faqs, &nf);
    if (!rc && q->query && *q->query)
        rc = catalog_search(c->db, c->arena, q->query, offset, PER_KIND, &products, &np);
    if (rc)
        return rc;
    struct tg_inline_result results[2 * PER_KIND];
    int n = 0;
    for (int i = 0; i < nf; i++) {
        struct buf msg = BUF_INIT;
        text_render(&msg, c->lang, "faq_entry", "question", faqs[i].question, "answer",
                    faqs[i].answer, NULL);
        char desc[160];
        paginator_label(desc, sizeof desc, faqs[i].answer, 60);
        results[n++] = (struct tg_inline_result){
            .type = TG_INLINE_ARTICLE,
            .id = arena_sprintf(c->arena, "f%lld", (long long)faqs[i].id),
            .title = faqs[i].question,
            .description = arena_strdup(c->arena, desc),
            .parse_mode = TG_PARSE_HTML,
            .message_text = arena_strdup(c->arena, msg.data),
        };
        buf_release(&msg);
    }
    struct tg_keyboard *open[PER_KIND] = {0};
    for (int i = 0; i < np; i++) {
        struct product p;
        int found = catalog_product(c->db, c->arena, products[i].id, &p);
        if (found == ERR_NOTFOUND) /* taken down since the search */
            continue;
        if ((rc = found))
            break;
        struct buf msg = BUF_INIT;
        product_caption(&msg, c, &p, 0);
        const char *price = money_str(c, p.price);
        open[i] = tg_keyboard_inline();
        if (c->settings->bot_username)
            tg_keyboard_url(open[i], text_get(c->lang, "btn_open_in_bot"),
                            arena_sprintf(c->arena, "https://t.me/%s?start=p_%lld",
                                          c->settings->bot_username, (long long)p.id));
        results[n++] = (struct tg_inline_result){
            .type = TG_INLINE_ARTICLE,
            .id = arena_sprintf(c->arena, "p%lld", (long long)p.id),
            .title = p.name,
            .description = price,
            .parse_mode = TG_PARSE_HTML,
            .message_text = arena_strdup(c->arena, msg.data),
            .reply_markup = c->settings->bot_username ? open[i] : NULL,
        };
        buf_release(&msg);
    }
    bool more = nf == PER_KIND || np == PER_KIND;
    struct tg_inline_answer answer = {
        .cache_time = 10,
        .is_personal = true, /* rendered in the asker's language */
        .next_offset = more ? arena_sprintf(c->arena, "%lld", (long long)(offset + PER_KIND)) : "",
    };
    if (!rc)
        rc = ui_check(c, tg_answer_inline_query(c->tg, q->id, results, (size_t)n, &answer));
    for (int i = 0; i < PER_KIND; i++)
        tg_keyboard_free(open[i]);
    return rc;
}
