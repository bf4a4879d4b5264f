#include "bot/ui.h"

#include "bot/texts.h"
#include "core/err.h"
#include "core/log.h"
#include "shop/customer.h"
#include "core/banned.h"

int ui_check(struct bot_ctx *c, int rc)
{
    const struct tg_result *r = tg_client_result(c->tg);
    if (rc && r->kind == TG_FORBIDDEN &&
        (r->reason == TG_REASON_BLOCKED || r->reason == TG_REASON_DEACTIVATED)) {
        customer_set_blocked(c->db, c->from->id, true);
        log_info("user %lld blocked the bot", (long long)c->from->id);
    } else if (rc && r->kind != TG_FLOOD) {
        log_warn("telegram: %s", r->description);
    }
    return rc;
}

static struct tg_send_options html_send(const struct tg_keyboard *kb)
{
    return (struct tg_send_options){
        .parse_mode = TG_PARSE_HTML, .reply_markup = kb, .disable_link_preview = true};
}

int ui_send(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb)
{
    struct tg_send_options opt = html_send(kb);
    return ui_check(c, tg_send_message(c->tg, NULL, c->chat_id, html, &opt));
}

/* Deletes the pressed message; failure is fine (too old, already gone). */
static void delete_pressed(struct bot_ctx *c)
{
    if (c->message_id)
        tg_delete_message(c->tg, c->chat_id, c->message_id);
    c->message_id = 0;
}

/* An edit that failed because the message cannot be edited is answered with a new one. */
static bool edit_failed_for_good(struct bot_ctx *c)
{
    const struct tg_result *r = tg_client_result(c->tg);
    return r->kind == TG_BAD_REQUEST;
}

int ui_show(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb)
{
    if (c->message_id && !c->message_has_photo) {
        struct tg_target target = {c->chat_id, c->message_id, NULL};
        struct tg_edit_options opt = {TG_PARSE_HTML, kb, true};
        int rc = tg_edit_message_text(c->tg, NULL, &target, html, &opt);
        if (rc == 0 || !edit_failed_for_good(c))
            return ui_check(c, rc);
    }
    delete_pressed(c);
    return ui_send(c, html, kb);
}

int ui_update(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb)
{
    if (!c->message_id)
        return ui_send(c, html, kb);
    struct tg_target target = {c->chat_id, c->message_id, NULL};
    struct tg_edit_options opt = {TG_PARSE_HTML, kb, true};
    int rc = c->message_has_photo ? tg_edit_message_caption(c->tg, NULL, &target, html, &opt)
                                  : tg_edit_message_text(c->tg, NULL, &target, html, &opt);
    if (rc == 0 || !edit_failed_for_good(c))
        return ui_check(c, rc);
    delete_pressed(c);
    return ui_send(c, html, kb);
}

int ui_show_photo(struct bot_ctx *c, const struct tg_photo *photo, const char *caption_html,
                  const struct tg_keyboard *kb, const char **out_file_id)
{
    if (out_file_id)
        *out_file_id = NULL;
    struct tg_send_options opt = html_send(kb);
    const struct tg_message *sent = NULL;
    int rc = tg_send_photo(c->tg, &sent, c->chat_id, photo, caption_html, &opt);
    if (rc)
        return ui_check(c, rc);
    if (out_file_id && sent && sent->photo_file_id) /* copied: the next call frees it */
        *out_file_id = arena_strdup(c->arena, sent->photo_file_id);
    delete_pressed(c); /* after the new one is there: no empty flash in the chat */
    return 0;
}

void ui_answer(struct bot_ctx *c, const char *text, bool alert)
{
    if (!c->callback_id)
        return;
    struct tg_callback_answer answer = {text, alert, NULL, 0};
    tg_answer_callback_query(c->tg, c->callback_id, text ? &answer : NULL);
    c->callback_id = NULL;
}

void ui_answer_key(struct bot_ctx *c, const char *key, bool alert)
{
    ui_answer(c, text_get(c->lang, key), alert);
}
