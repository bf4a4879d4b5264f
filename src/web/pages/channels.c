/* Mandatory channels: the list in order, create/edit, move, activate, delete, and a check
 * that asks Telegram whether the bot is an administrator there (without it the bot cannot
 * see who subscribed). */
#include <string.h>

#include "core/err.h"
#include "shop/channel.h"
#include "tg/client.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "core/banned.h"

void page_channels(struct web_page *p)
{
    struct channel *rows;
    int n;
    if (channel_list_all(p->db, p->arena, &rows, &n)) {
        web_db_error(p, "listing channels");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(
            out, json_pack("{s:I, s:o, s:o, s:o, s:b}", "id", (json_int_t)rows[i].id, "chat_ref",
                           web_json_str(rows[i].chat_ref), "title", web_json_str(rows[i].title),
                           "invite_link", web_json_str(rows[i].invite_link), "is_active",
                           rows[i].is_active));
    json_object_set_new(p->data, "rows", out);
    json_object_set_new(p->data, "active_max", json_integer(CHANNEL_MAX));
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "channels", "Mandatory channels");
}

static void render_form(struct web_page *p, int64_t id)
{
    json_object_set_new(p->data, "channel_id", json_integer(id));
    web_breadcrumb(p, "Channels", "/channels");
    web_render(p, "channel_form", id ? "Edit the channel" : "New channel");
}

void page_channel_new_form(struct web_page *p)
{
    json_object_set_new(p->data, "form", json_pack("{s:b}", "is_active", 1));
    render_form(p, 0);
}

static bool load(struct web_page *p, struct channel *out)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such channel.", &id))
        return false;
    int rc = channel_get(p->db, p->arena, id, out);
    if (rc) {
        struct listing_problem why = {.message = "There is no such channel."};
        shop_page_refused(p, rc, &why, "loading a channel");
    }
    return rc == 0;
}

void page_channel_edit(struct web_page *p)
{
    struct channel c;
    if (!load(p, &c))
        return;
    json_object_set_new(p->data, "form",
                        json_pack("{s:o, s:o, s:o, s:b}", "chat_ref", web_json_str(c.chat_ref),
                                  "title", web_json_str(c.title), "invite_link",
                                  web_json_str(c.invite_link), "is_active", c.is_active));
    render_form(p, c.id);
}

static void save(struct web_page *p, int64_t id)
{
    struct channel_input in = {
        .id = id,
        .chat_ref = web_form_text(p, "chat_ref"),
        .title = web_form_text(p, "title"),
        .invite_link = web_form_text(p, "invite_link"),
        .is_active = web_form_checked(p, "is_active"),
    };
    struct listing_problem why = {0};
    int64_t saved = 0;
    int rc = channel_save(p->db, &in, &saved, &why);
    if (rc == ERR_CONFLICT) /* taken, or too many active: the form says so */
        rc = listing_refuse(&why, why.field, "%s", why.message);
    if (rc && shop_page_refused(p, rc, &why, "saving a channel")) {
        web_form_keep(p);
        p->res->status = 400;
        render_form(p, id);
        return;
    }
    if (rc)
        return;
    web_audit(p, id ? "update" : "create", "channel", saved, "%s \"%s\"", in.chat_ref, in.title);
    web_redirect(p, "/channels", id ? "The channel is saved." : "The channel is added.");
}

void page_channel_create(struct web_page *p)
{
    save(p, 0);
}

void page_channel_update(struct web_page *p)
{
    int64_t id;
    if (shop_page_id(p, "There is no such channel.", &id))
        save(p, id);
}

void page_channel_move(struct web_page *p)
{
    struct channel c;
    if (!load(p, &c))
        return;
    bool up = !strcmp(web_form_text(p, "dir"), "up");
    if (channel_shift(p->db, c.id, up ? -1 : 1)) {
        web_db_error(p, "moving a channel");
        return;
    }
    web_audit(p, up ? "moved up" : "moved down", "channel", c.id, "%s", c.chat_ref);
    web_redirect(p, "/channels", NULL);
}

void page_channel_active(struct web_page *p)
{
    struct channel c;
    if (!load(p, &c))
        return;
    bool active = web_form_checked(p, "active");
    struct listing_problem why = {0};
    int rc = channel_set_active(p->db, c.id, active, &why);
    if (rc == ERR_CONFLICT) {
        web_redirect(p, "/channels", arena_sprintf(p->arena, "%s.", why.message));
        return;
    }
    if (rc) {
        shop_page_refused(p, rc, &why, "activating a channel");
        return;
    }
    web_audit(p, active ? "activate" : "deactivate", "channel", c.id, "%s", c.chat_ref);
    web_redirect(p, "/channels",
                 active ? "Customers must now join the channel to use the bot."
                        : "The channel is no longer required.");
}

void page_channel_delete(struct web_page *p)
{
    struct channel c;
    if (!load(p, &c))
        return;
    const char *question = arena_sprintf(p->arena, "Delete the channel %s?", c.chat_ref);
    if (!web_confirmed(p, question, "Delete", "/channels"))
        return;
    if (channel_delete(p->db, c.id)) {
        web_db_error(p, "deleting a channel");
        return;
    }
    web_audit(p, "delete", "channel", c.id, "%s \"%s\"", c.chat_ref, c.title);
    web_redirect(p, "/channels", "The channel is deleted.");
}

/* What Telegram says about the bot in the channel, for people. */
static const char *check_answer(struct web_page *p, const struct channel *ch)
{
    const char *answer;
    struct tg_client *tg = shop_page_telegram(p, &answer);
    if (!tg)
        return answer;
    const struct tg_user *me;
    const struct tg_chat_member *member;
    if (tg_get_me(tg, &me)) {
        answer = arena_sprintf(p->arena, "Telegram did not answer who the bot is: %s.",
                               tg_client_result(tg)->description);
    } else if (tg_get_chat_member(tg, &member, ch->chat_ref, me->id)) {
        answer = arena_sprintf(p->arena, "Telegram refused the check of %s: %s.", ch->chat_ref,
                               tg_client_result(tg)->description);
    } else if (member->status == TG_MEMBER_ADMINISTRATOR || member->status == TG_MEMBER_CREATOR) {
        answer = arena_sprintf(p->arena, "The bot is an administrator of %s: the check works.",
                               ch->chat_ref);
    } else {
        answer = arena_sprintf(p->arena,
                               "The bot is not an administrator of %s: make it one, or the bot "
                               "cannot see who joined.",
                               ch->chat_ref);
    }
    tg_client_free(tg);
    return answer;
}

void page_channel_check(struct web_page *p)
{
    struct channel c;
    if (!load(p, &c))
        return;
    web_redirect(p, "/channels", check_answer(p, &c));
}
