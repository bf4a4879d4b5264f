#include "bot/checkout.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "bot/fsm.h"
#include "bot/handlers.h"
#include "bot/staff.h"
#include "bot/router.h"
#include "shop/texts.h"
#include "bot/ui.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "core/util.h"
#include "shop/cart.h"
#include "shop/customer.h"
#include "shop/money.h"
#include "shop/order.h"
#include "tg/limits.h"
#include "core/banned.h"

static const char STATE_NAME[] = "co_name", STATE_PHONE[] = "co_phone",
                  STATE_ADDRESS[] = "co_address", STATE_CONFIRM[] = "co_confirm";

enum { NAME_MIN = 2, NAME_MAX = 100, ADDRESS_MIN = 5, ADDRESS_MAX = 300 };

static int say(struct bot_ctx *c, const char *key, const struct tg_keyboard *kb)
{
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, key, NULL);
    int rc = ui_send(c, text.data, kb);
    buf_release(&text);
    return rc;
}

/* A checkout button's callback data. */
static const char *action_data(struct bot_ctx *c, enum checkout_action action)
{
    return ROUTE_DATA(c->arena, ROUTE_CHECKOUT_BUTTON, action);
}

/* The inline "Cancel" under each prompt. */
static struct tg_keyboard *cancel_keyboard(struct bot_ctx *c)
{
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, text_get(c->lang, "btn_cancel"), action_data(c, CHECKOUT_CANCEL));
    return kb;
}

static int prompt(struct bot_ctx *c, const char *key)
{
    struct tg_keyboard *kb = cancel_keyboard(c);
    int rc = say(c, key, kb);
    tg_keyboard_free(kb);
    return rc;
}

static int ask_name(struct bot_ctx *c)
{
    int rc = fsm_set(c->db, c->from->id, STATE_NAME, NULL);
    return rc ? rc : prompt(c, "checkout_ask_name");
}

static int ask_phone(struct bot_ctx *c)
{
    struct tg_keyboard *kb = tg_keyboard_reply(true, true);
    tg_keyboard_contact(kb, text_get(c->lang, "btn_share_contact"));
    tg_keyboard_row(kb);
    tg_keyboard_text(kb, text_get(c->lang, "btn_cancel"));
    int rc = say(c, "checkout_ask_phone", kb);
    tg_keyboard_free(kb);
    return rc;
}

static int ask_address(struct bot_ctx *c)
{
    /* the reply keyboard of the phone step goes away with this prompt */
    struct tg_keyboard *remove = tg_keyboard_remove();
    int rc = say(c, "checkout_ask_address", remove);
    tg_keyboard_free(remove);
    return rc ? rc : prompt(c, "checkout_address_hint");
}

static const char *field(json_t *data, const char *key)
{
    const char *v = json_string_value(json_object_get(data, key));
    return v ? v : "";
}

static int summary(struct bot_ctx *c, json_t *data)
{
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "checkout_summary", "name", field(data, "name"), "phone",
                field(data, "phone"), "address", field(data, "address"), NULL);
    /* the lines and the total as order_checkout will take them: a line no longer on sale is
     * marked and not counted, and confirming is refused for it */
    struct cart_line *lines;
    int n;
    struct cart_summary s;
    int rc = cart_read(c->db, c->arena, c->customer.id, &lines, &n, &s);
    if (rc) {
        buf_release(&text);
        return rc;
    }
    for (int i = 0; i < n; i++) {
        struct buf sum = BUF_INIT;
        money_format(&sum, lines[i].price * lines[i].quantity, c->settings->currency);
        text_render(&text, c->lang, "order_item", "name", lines[i].name, "qty",
                    arena_sprintf(c->arena, "%lld", (long long)lines[i].quantity), "sum", sum.data,
                    NULL);
        if (!lines[i].available)
            text_render(&text, c->lang, "cart_unavailable", NULL);
        buf_release(&sum);
    }
    struct buf sum = BUF_INIT;
    money_format(&sum, s.total, c->settings->currency);
    text_render(&text, c->lang, "checkout_total", "total", sum.data, NULL);
    buf_release(&sum);
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, text_get(c->lang, "btn_confirm"), action_data(c, CHECKOUT_CONFIRM));
    tg_keyboard_row(kb);
    tg_keyboard_callback(kb, text_get(c->lang, "btn_edit"), action_data(c, CHECKOUT_EDIT));
    tg_keyboard_callback(kb, text_get(c->lang, "btn_cancel"), action_data(c, CHECKOUT_CANCEL));
    rc = ui_send(c, text.data, kb);
    tg_keyboard_free(kb);
    buf_release(&text);
    return rc;
}

int checkout_start(struct bot_ctx *c)
{
    struct cart_summary s;
    int rc = cart_summarize(c->db, c->customer.id, &s);
    if (rc)
        return rc;
    if (!s.lines) {
        ui_answer_key(c, "cart_empty_alert", true);
        return 0;
    }
    if (s.unavailable) { /* say it now, not after the customer typed name, phone, address */
        ui_answer_key(c, "cart_remove_unavailable", true);
        return 0;
    }
    ui_answer(c, NULL, false);
    return ask_name(c);
}

static int cancel(struct bot_ctx *c)
{
    int rc = fsm_clear(c->db, c->from->id);
    if (rc)
        return rc;
    struct tg_keyboard *remove = tg_keyboard_remove();
    rc = say(c, "checkout_cancelled", remove);
    tg_keyboard_free(remove);
    if (rc)
        return rc;
    c->message_id = 0; /* the menu comes as a new message below */
    return handlers_menu(c);
}

/* The invoice for an order awaiting payment. */
static int send_invoice(struct bot_ctx *c, const struct order *o)
{
    struct buf title = BUF_INIT, description = BUF_INIT;
    text_render(&title, c->lang, "invoice_title", "id",
                arena_sprintf(c->arena, "%lld", (long long)o->id), NULL);
    for (int i = 0; i < o->item_count; i++)
        buf_addf(&description, "%s%s × %lld", i ? ", " : "", o->items[i].name,
                 (long long)o->items[i].quantity);
    buf_truncate(&title, utf8_prefix_utf16(title.data, title.len, TG_INVOICE_TITLE_MAX));
    if (utf8_utf16_units(description.data, description.len) > TG_INVOICE_DESCRIPTION_MAX) {
        /* room for the "…", one UTF-16 unit */
        buf_truncate(&description, utf8_prefix_utf16(description.data, description.len,
                                                     TG_INVOICE_DESCRIPTION_MAX - 1));
        buf_adds(&description, "…");
    }
    const char *payload = arena_sprintf(c->arena, "order:%lld", (long long)o->id);
    struct tg_price price = {text_get(c->lang, "invoice_total"), o->total};
    struct tg_invoice invoice = {
        .title = title.data,
        .description = description.data,
        .payload = payload,
        .provider_token = c->settings->provider_token,
        .currency = o->currency,
        .prices = &price,
        .price_count = 1,
    };
    int rc = ui_check(c, tg_send_invoice(c->tg, NULL, c->chat_id, &invoice, NULL));
    buf_release(&title);
    buf_release(&description);
    return rc;
}

static int confirm(struct bot_ctx *c, json_t *data)
{
    struct order_contact contact = {field(data, "name"), field(data, "phone"),
                                    field(data, "address"), NULL};
    struct buf why = BUF_INIT;
    struct checkout_problem problem;
    int64_t order_id = 0;
    int rc = order_checkout(c->db, c->customer.id, &contact, c->settings->currency,
                            c->settings->reserve_seconds, &order_id, &why, &problem);
    if (rc == ERR_CONFLICT || rc == ERR_INVALID) {
        /* out of stock, off sale, empty cart: tell why and go back to the cart */
        static const char *const keys[] = {
            [CHECKOUT_BAD_CONTACT] = "checkout_problem_contact",
            [CHECKOUT_EMPTY_CART] = "checkout_problem_empty",
            [CHECKOUT_TOO_MANY_LINES] = "checkout_problem_too_many",
            [CHECKOUT_TOO_LARGE] = "checkout_problem_too_large",
            [CHECKOUT_OFF_SALE] = "checkout_problem_off_sale",
            [CHECKOUT_SHORT] = "checkout_problem_short",
        };
        log_info("checkout of customer %lld refused: %s", (long long)c->customer.id, why.data);
        buf_release(&why);
        if (problem.kind != CHECKOUT_FINE &&
            ((unsigned)problem.kind >= ARRAY_SIZE(keys) || !keys[problem.kind]))
            BUG("checkout problem %d has no text", (int)problem.kind);
        if ((rc = fsm_clear(c->db, c->from->id)))
            return rc;
        ui_answer(c, NULL, false);
        struct buf text = BUF_INIT;
        text_render(&text, c->lang, "checkout_failed", NULL);
        if (problem.kind != CHECKOUT_FINE)
            text_render(&text, c->lang, keys[problem.kind], "product", problem.product, "count",
                        arena_sprintf(c->arena, "%lld", (long long)problem.available), NULL);
        text_render(&text, c->lang, "checkout_failed_tail", NULL);
        struct tg_keyboard *kb = tg_keyboard_inline();
        tg_keyboard_callback(kb, text_get(c->lang, "btn_cart"),
                             ROUTE_DATA(c->arena, ROUTE_CART, 0));
        rc = ui_send(c, text.data, kb);
        tg_keyboard_free(kb);
        buf_release(&text);
        return rc;
    }
    buf_release(&why);
    if (rc)
        return rc;
    /* the order exists: a failure below must not hide it, the customer sees it in "My orders" */
    if (fsm_clear(c->db, c->from->id))
        log_warn("checkout state of user %lld not cleared: %s", (long long)c->from->id,
                 db_errmsg(c->db));
    if (customer_set_phone(c->db, c->customer.id, contact.phone))
        log_warn("phone of customer %lld not saved: %s", (long long)c->customer.id,
                 db_errmsg(c->db));
    ui_answer_key(c, "checkout_order_created", false);
    struct order o;
    if ((rc = order_get(c->db, c->arena, order_id, c->customer.id, &o)))
        return rc;
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "checkout_pay_now", "id",
                arena_sprintf(c->arena, "%lld", (long long)o.id), "minutes",
                arena_sprintf(c->arena, "%lld", (long long)(c->settings->reserve_seconds / 60)),
                NULL);
    rc = ui_show(c, text.data, NULL);
    buf_release(&text);
    return rc ? rc : send_invoice(c, &o);
}

int checkout_pay_again(struct bot_ctx *c, int64_t order_id)
{
    struct order o;
    int rc = order_get(c->db, c->arena, order_id, c->customer.id, &o);
    if (rc == ERR_NOTFOUND || (rc == 0 && o.status != ORDER_AWAITING_PAYMENT)) {
        ui_answer_key(c, "order_not_payable", true);
        return 0;
    }
    if (rc)
        return rc;
    ui_answer(c, NULL, false);
    return send_invoice(c, &o);
}

int checkout_button(struct bot_ctx *c, int64_t action)
{
    char state[32];
    json_t *data;
    int rc = fsm_get(c->db, c->from->id, state, sizeof state, &data);
    if (rc)
        return rc;
    bool in_checkout = !strncmp(state, "co_", 3);
    if (action == CHECKOUT_CANCEL && in_checkout)
        rc = cancel(c);
    else if (action == CHECKOUT_EDIT && !strcmp(state, STATE_CONFIRM))
        rc = ask_name(c);
    else if (action == CHECKOUT_CONFIRM && !strcmp(state, STATE_CONFIRM))
        rc = confirm(c, data);
    else
        rc = ERR_INVALID; /* a button of a checkout that is over */
    json_decref(data);
    return rc;
}

bool checkout_phone_valid(const char *text, char *out, size_t size)
{
    size_t digits = 0, n = 0;
    const char *p = text;
    while (*p == ' ')
        p++;
    if (*p == '+' && n + 1 < size)
        out[n++] = *p++;
    for (; *p; p++) {
        if (*p >= '0' && *p <= '9') {
            if (n + 1 >= size)
                return false;
            out[n++] = *p;
            digits++;
        } else if (!strchr(" -()", *p)) {
            return false;
        }
    }
    out[n] = '\0';
    return digits >= 7 && digits <= 15;
}

static bool is_cancel_word(struct bot_ctx *c, const char *text)
{
    if (!text)
        return false;
    static const char *const words[] = {"cancel", "отмена", "/cancel"};
    for (size_t i = 0; i < ARRAY_SIZE(words); i++)
        if (!strcasecmp(text, words[i]))
            return true;
    return !strcmp(text, text_get(c->lang, "btn_cancel")) || !strcmp(text, "Отмена");
}

/* Collected text must be of reasonable length, without control characters; only an address
 * may span lines. */
static bool acceptable(const char *text, size_t min, size_t max, bool multiline)
{
    if (!text)
        return false;
    for (const char *p = text; *p; p++)
        if ((unsigned char)*p < 0x20 && !(multiline && *p == '\n'))
            return false;
    size_t len = strlen(text), chars = utf8_count(text, len);
    return chars >= min && chars <= max;
}

static int step(struct bot_ctx *c, const char *state, json_t *data, const struct tg_message *m)
{
    const char *text = m->text;
    if (!strcmp(state, STATE_NAME)) {
        if (!acceptable(text, NAME_MIN, NAME_MAX, false) || m->command)
            return prompt(c, "checkout_bad_name");
        if (json_object_set_new(data, "name", json_string(text)))
            return prompt(c, "checkout_bad_name"); /* not UTF-8 */
        int rc = fsm_set(c->db, c->from->id, STATE_PHONE, data);
        return rc ? rc : ask_phone(c);
    }
    if (!strcmp(state, STATE_PHONE)) {
        char phone[20];
        if (m->contact) {
            if (m->contact->user_id && m->contact->user_id != c->from->id)
                return say(c, "checkout_own_contact", NULL);
            if (!checkout_phone_valid(m->contact->phone_number, phone, sizeof phone))
                return say(c, "checkout_bad_phone", NULL);
        } else if (!text || !checkout_phone_valid(text, phone, sizeof phone)) {
            return say(c, "checkout_bad_phone", NULL);
        }
        if (json_object_set_new(data, "phone", json_string(phone)))
            return say(c, "checkout_bad_phone", NULL);
        int rc = fsm_set(c->db, c->from->id, STATE_ADDRESS, data);
        return rc ? rc : ask_address(c);
    }
    if (!strcmp(state, STATE_ADDRESS)) {
        if (!acceptable(text, ADDRESS_MIN, ADDRESS_MAX, true) || m->command)
            return prompt(c, "checkout_bad_address");
        if (json_object_set_new(data, "address", json_string(text)))
            return prompt(c, "checkout_bad_address"); /* not UTF-8 */
        int rc = fsm_set(c->db, c->from->id, STATE_CONFIRM, data);
        return rc ? rc : summary(c, data);
    }
    if (!strcmp(state, STATE_CONFIRM)) {
        int rc = say(c, "checkout_use_buttons", NULL);
        return rc ? rc : summary(c, data);
    }
    /* a state this version does not know (left by another version): start over */
    int rc = fsm_clear(c->db, c->from->id);
    return rc ? rc : handlers_menu(c);
}

int checkout_message(struct bot_ctx *c, const struct tg_message *m, bool *out_consumed)
{
    *out_consumed = false;
    char state[32];
    json_t *data;
    int rc = fsm_get(c->db, c->from->id, state, sizeof state, &data);
    if (rc || !state[0]) {
        json_decref(data);
        return rc;
    }
    *out_consumed = true;
    bool menu_command =
        m->command && (!strcmp(m->command, "/start") || !strcmp(m->command, "/menu"));
    if (is_cancel_word(c, m->text) || menu_command) {
        rc = cancel(c);
        if (menu_command && m->command_args && *m->command_args)
            *out_consumed = false; /* a deep link: let /start open it after cancelling */
    } else {
        rc = step(c, state, data, m);
    }
    json_decref(data);
    return rc;
}

/* The order an invoice payload ("order:<id>") names, 0 when it names none. */
static int64_t payload_order(const char *payload)
{
    int64_t id;
    if (!payload || strncmp(payload, "order:", 6) || parse_int64(payload + 6, &id) || id <= 0)
        return 0;
    return id;
}

int payment_pre_checkout(struct bot_ctx *c, const struct tg_pre_checkout_query *q)
{
    int64_t order_id = payload_order(q->invoice_payload);
    struct buf why = BUF_INIT;
    int rc = order_id ? order_pre_checkout(c->db, order_id, q->from.id, q->currency,
                                           q->total_amount, &why)
                      : ERR_NOTFOUND;
    const char *key = NULL;
    switch (rc) {
    case 0:
        break;
    case ERR_NOTFOUND:
        key = "pay_error_unknown";
        break;
    case ERR_CONFLICT:
        key = "pay_error_paid";
        break;
    case ERR_TIMEOUT:
        key = "pay_error_expired";
        break;
    case ERR_INVALID:
        key = "pay_error_amount";
        break;
    default:
        key = "pay_error_later";
    }
    if (key)
        log_info("pre-checkout of order %lld refused: %s", (long long)order_id,
                 why.len ? why.data : "unknown payload");
    buf_release(&why);
    return ui_check(c, tg_answer_pre_checkout_query(c->tg, q->id, key == NULL,
                                                    key ? text_get(c->lang, key) : NULL));
}

/* Tells every admin chat about a paid order (and what needs a look). */
static void notify_admins(struct bot_ctx *c, int64_t order_id, const char *attention)
{
    if (!c->settings->admin_chat_count)
        return;
    struct order o;
    if (order_get(c->db, c->arena, order_id, 0, &o)) {
        log_warn("admin chats not told of paid order %lld: %s", (long long)order_id,
                 db_errmsg(c->db));
        return;
    }
    struct buf text = BUF_INIT, total = BUF_INIT;
    const char *lang = c->settings->default_language;
    money_format(&total, o.total, o.currency);
    /* "@name" only for a real username: staff would write to whoever owns "@<first name>" */
    const char *user =
        c->from->username
            ? arena_sprintf(c->arena, "@%s", c->from->username)
            : arena_sprintf(c->arena, "%s, id %lld", c->from->first_name, (long long)c->from->id);
    text_render(&text, lang, "admin_new_order", "id",
                arena_sprintf(c->arena, "%lld", (long long)o.id), "total", total.data, "name",
                o.contact_name, "phone", o.phone, "address", o.address, "user", user, NULL);
    for (int i = 0; i < o.item_count; i++) {
        struct buf sum = BUF_INIT;
        money_format(&sum, o.items[i].price * o.items[i].quantity, o.currency);
        text_render(&text, lang, "order_item", "name", o.items[i].name, "qty",
                    arena_sprintf(c->arena, "%lld", (long long)o.items[i].quantity), "sum",
                    sum.data, NULL);
        buf_release(&sum);
    }
    if (attention)
        text_render(&text, lang, "admin_attention", "what", attention, NULL);
    for (size_t i = 0; i < c->settings->admin_chat_count; i++)
        (void)staff_notify(c, c->settings->admin_chat_ids[i], text.data,
                           arena_sprintf(c->arena, "order-paid:%lld", (long long)order_id));
    buf_release(&text);
    buf_release(&total);
}

int payment_successful(struct bot_ctx *c, const struct tg_message *m)
{
    const struct tg_successful_payment *sp = m->successful_payment;
    struct payment p = {payload_order(sp->invoice_payload),
                        c->from->id,
                        sp->currency,
                        sp->total_amount,
                        sp->telegram_payment_charge_id,
                        sp->provider_payment_charge_id};
    enum payment_outcome outcome = PAYMENT_APPLIED;
    struct buf why = BUF_INIT;
    int rc = p.order_id ? order_apply_payment(c->db, &p, &outcome, &why) : ERR_NOTFOUND;
    if (rc == 0 && outcome == PAYMENT_DUPLICATE) {
        buf_release(&why);
        return 0; /* Telegram re-delivered it: already confirmed */
    }
    if (rc && rc != ERR_CONFLICT && rc != ERR_NOTFOUND) {
        buf_release(&why);
        return rc; /* a database failure: bot.c tries a payment again */
    }
    const char *id = arena_sprintf(c->arena, "%lld", (long long)p.order_id);
    struct buf text = BUF_INIT;
    if (rc) {
        /* money taken for an order we cannot apply it to: staff must refund or sort it out */
        log_error("payment %s for order %lld not applied: %s", p.charge_id, (long long)p.order_id,
                  why.data);
        text_render(&text, c->lang, "payment_problem", "id", id, NULL);
        for (size_t i = 0; i < c->settings->admin_chat_count; i++) {
            struct buf alert = BUF_INIT;
            text_render(&alert, c->settings->default_language, "admin_payment_problem", "id", id,
                        "what", why.data, NULL);
            (void)staff_notify(c, c->settings->admin_chat_ids[i], alert.data,
                               arena_sprintf(c->arena, "payment-problem:%s", p.charge_id));
            buf_release(&alert);
        }
    } else {
        text_render(&text, c->lang, "payment_done", "id", id, NULL);
        notify_admins(c, p.order_id, outcome == PAYMENT_NEEDS_ATTENTION ? why.data : NULL);
    }
    struct tg_keyboard *kb = tg_keyboard_inline();
    tg_keyboard_callback(kb, text_get(c->lang, "btn_orders"),
                         ROUTE_DATA(c->arena, ROUTE_ORDERS, 0));
    tg_keyboard_callback(kb, text_get(c->lang, "btn_menu"),
                         router_data(c->arena, ROUTE_MENU, NULL, 0));
    /* the payment is applied: a lost confirmation must not make bot.c apply it again */
    if (ui_send(c, text.data, kb))
        log_warn("confirmation of order %lld not sent to user %lld", (long long)p.order_id,
                 (long long)c->from->id);
    tg_keyboard_free(kb);
    buf_release(&text);
    buf_release(&why);
    return 0;
}
