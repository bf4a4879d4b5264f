/* Customers (the bot's users): the list with search, filters and sortable columns, a
 * customer's page with their orders, ban and unban. */
#include <string.h>

#include "core/err.h"
#include "shop/customer.h"
#include "shop/order.h"
#include "shop/order_query.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "core/banned.h"

/* The sql member only marks a column sortable: the domain sorts by enum customer_sort. */
static const struct web_column columns[] = {
    {"name", "Name", "name", false},          {"username", "Username", "username", false},
    {"tg_id", "Telegram id", "tg_id", false}, {"phone", "Phone", NULL, false},
    {"language", "Language", NULL, false},    {"joined", "Joined", "joined", true},
    {"seen", "Last seen", "seen", true},      {"status", "Status", NULL, false},
};

static enum customer_sort sort_of(const struct web_column *c)
{
    static const struct {
        const char *key;
        enum customer_sort sort;
    } map[] = {{"name", CUSTOMER_SORT_NAME},
               {"username", CUSTOMER_SORT_USERNAME},
               {"tg_id", CUSTOMER_SORT_TG_ID},
               {"joined", CUSTOMER_SORT_JOINED},
               {"seen", CUSTOMER_SORT_SEEN}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (!strcmp(map[i].key, c->key))
            return map[i].sort;
    return CUSTOMER_SORT_JOINED;
}

static json_t *customer_json(const struct customer *c)
{
    return json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:b, s:b, s:o, s:o}", "id",
                     (json_int_t)c->id, "tg_id", (json_int_t)c->tg_id, "first_name",
                     web_json_str(c->first_name), "last_name", web_json_str(c->last_name),
                     "username", web_json_str(c->username), "phone", web_json_str(c->phone),
                     "language", web_json_str(c->language_code), "is_banned", c->is_banned,
                     "is_blocked", c->is_blocked, "created_at", web_json_time(c->created_at),
                     "last_seen_at", web_json_time(c->last_seen_at));
}

/* A date filter "YYYY-MM-DD": *out its first second (or the next day's with end); a bad
 * one gets a message. */
static void date_filter(struct web_page *p, const char *name, bool end, int64_t *out)
{
    const char *s = shop_page_query(p, name);
    *out = 0;
    if (!*s)
        return;
    if (order_filter_parse_date(s, end, out)) {
        web_field_error(p, name, "Give a date as YYYY-MM-DD.");
        *out = 0;
    } else if (end) {
        *out += 1; /* the day's last second, included */
    }
}

void page_customers(struct web_page *p)
{
    struct web_list list;
    web_list_begin(p, &list, columns, sizeof columns / sizeof *columns, "joined", "id");
    struct customer_filter f = {
        .query = shop_page_query(p, "q"),
        .blocked = shop_page_flag(p, "blocked"),
        .banned = shop_page_flag(p, "banned"),
        .language = shop_page_query(p, "language"),
        .sort = sort_of(list.sort),
        .descending = list.desc,
    };
    date_filter(p, "joined_from", false, &f.joined_from);
    date_filter(p, "joined_to", true, &f.joined_to);
    struct customer *rows;
    int n;
    int64_t total;
    char **languages;
    int language_count;
    if (customer_list(p->db, p->arena, &f, shop_page_offset(&list), (int)list.per_page, &rows, &n,
                      &total) ||
        customer_languages(p->db, p->arena, &languages, &language_count)) {
        web_db_error(p, "listing customers");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, customer_json(&rows[i]));
    json_object_set_new(p->data, "rows", out);
    json_t *langs = json_array();
    for (int i = 0; i < language_count; i++)
        json_array_append_new(langs, json_pack("{s:s, s:b}", "code", languages[i], "selected",
                                               !strcmp(languages[i], f.language)));
    json_object_set_new(p->data, "languages", langs);
    web_list_finish(p, &list, total);
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "customers", "Customers");
}

static bool load_customer(struct web_page *p, struct customer *out)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such customer.", &id))
        return false;
    int rc = customer_get(p->db, p->arena, id, out);
    if (rc == ERR_NOTFOUND)
        web_error(p, 404, "There is no such customer.");
    else if (rc)
        web_db_error(p, "loading a customer");
    return rc == 0;
}

void page_customer(struct web_page *p)
{
    struct customer c;
    if (!load_customer(p, &c))
        return;
    struct order *orders;
    int n;
    int64_t total;
    if (order_list(p->db, p->arena, c.id, 0, ORDER_PAGE_MAX, &orders, &n, &total)) {
        web_db_error(p, "listing a customer's orders");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:I, s:s, s:o, s:o}", "id", (json_int_t)orders[i].id,
                                             "status", order_status_name(orders[i].status), "total",
                                             web_json_money(p, orders[i].total), "created_at",
                                             web_json_time(orders[i].created_at)));
    json_object_set_new(p->data, "customer", customer_json(&c));
    json_object_set_new(p->data, "orders", out);
    json_object_set_new(p->data, "order_count", json_integer(total));
    json_object_set_new(p->data, "more_orders", json_boolean(total > n));
    web_breadcrumb(p, "Customers", "/customers");
    web_render(p, "customer", c.first_name && *c.first_name ? c.first_name : "Customer");
}

static void set_banned(struct web_page *p, bool banned)
{
    struct customer c;
    if (!load_customer(p, &c))
        return;
    const char *back = arena_sprintf(p->arena, "/customers/%lld", (long long)c.id);
    if (banned) {
        const char *question = arena_sprintf(
            p->arena, "Ban %s (Telegram id %lld)? The bot will ignore them until unbanned.",
            c.first_name, (long long)c.tg_id);
        if (!web_confirmed(p, question, "Ban", back))
            return;
    }
    if (customer_set_banned(p->db, c.id, banned)) {
        web_db_error(p, "banning a customer");
        return;
    }
    web_audit(p, banned ? "ban" : "unban", "customer", c.id, "%s %s (tg %lld)",
              banned ? "banned" : "unbanned", c.first_name, (long long)c.tg_id);
    web_redirect(p, back, banned ? "The customer is banned." : "The customer is unbanned.");
}

void page_customer_ban(struct web_page *p)
{
    set_banned(p, true);
}

void page_customer_unban(struct web_page *p)
{
    set_banned(p, false);
}
