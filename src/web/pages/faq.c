/* FAQ: the entries in their order with the active flag, create/edit, move up/down,
 * activate/deactivate, delete. The bot shows the active ones (and finds them inline). */
#include <string.h>

#include "core/err.h"
#include "shop/faq.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "core/banned.h"

void page_faq(struct web_page *p)
{
    struct faq *rows;
    int n;
    int64_t total;
    if (faq_admin_list(p->db, p->arena, 0, FAQ_PAGE_MAX, &rows, &n, &total)) {
        web_db_error(p, "listing the FAQ");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:I, s:o, s:o, s:b}", "id", (json_int_t)rows[i].id,
                                             "question", web_json_str(rows[i].question), "answer",
                                             web_json_str(rows[i].answer), "is_active",
                                             rows[i].is_active));
    json_object_set_new(p->data, "rows", out);
    json_object_set_new(p->data, "more", json_boolean(total > n));
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "faq", "FAQ");
}

static void render_form(struct web_page *p, int64_t id)
{
    json_object_set_new(p->data, "faq_id", json_integer(id));
    web_breadcrumb(p, "FAQ", "/faq");
    web_render(p, "faq_form", id ? "Edit the question" : "New question");
}

void page_faq_new_form(struct web_page *p)
{
    json_object_set_new(p->data, "form", json_pack("{s:b}", "is_active", 1));
    render_form(p, 0);
}

void page_faq_edit(struct web_page *p)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such question.", &id))
        return;
    struct faq f;
    int rc = faq_admin_get(p->db, p->arena, id, &f);
    if (rc) {
        struct listing_problem why = {.message = "There is no such question."};
        shop_page_refused(p, rc, &why, "loading a question");
        return;
    }
    json_object_set_new(p->data, "form",
                        json_pack("{s:o, s:o, s:b}", "question", web_json_str(f.question), "answer",
                                  web_json_str(f.answer), "is_active", f.is_active));
    render_form(p, id);
}

static void save(struct web_page *p, int64_t id)
{
    const char *question = web_form_text(p, "question"), *answer = web_form_text(p, "answer");
    struct listing_problem why = {0};
    int64_t saved = 0;
    int rc = faq_save(p->db, id, question, answer, web_form_checked(p, "is_active"), &saved, &why);
    if (rc && shop_page_refused(p, rc, &why, "saving a question")) {
        web_form_keep(p);
        p->res->status = 400;
        render_form(p, id);
        return;
    }
    if (rc)
        return;
    web_audit(p, id ? "update" : "create", "faq", saved, "\"%s\"", question);
    web_redirect(p, "/faq", id ? "The question is saved." : "The question is added.");
}

void page_faq_create(struct web_page *p)
{
    save(p, 0);
}

void page_faq_update(struct web_page *p)
{
    int64_t id;
    if (shop_page_id(p, "There is no such question.", &id))
        save(p, id);
}

/* POST /faq/{id}/move (dir=up|down), /active (active=1|0), /delete: small actions that
 * answer with the list. */
static void act(struct web_page *p, const char *action)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such question.", &id))
        return;
    int rc;
    const char *flash = NULL, *what = action;
    if (!strcmp(action, "move")) {
        bool up = !strcmp(web_form_text(p, "dir"), "up");
        rc = faq_shift(p->db, id, up ? -1 : 1);
        what = up ? "moved up" : "moved down";
    } else if (!strcmp(action, "active")) {
        bool active = web_form_checked(p, "active");
        rc = faq_set_active(p->db, id, active);
        what = active ? "activate" : "deactivate";
        flash = active ? "The question is shown in the bot." : "The question is hidden.";
    } else {
        if (!web_confirmed(p, "Delete this question?", "Delete", "/faq"))
            return;
        rc = faq_delete(p->db, id);
        flash = "The question is deleted.";
    }
    if (rc) {
        struct listing_problem why = {.message = "There is no such question."};
        shop_page_refused(p, rc, &why, "changing a question");
        return;
    }
    web_audit(p, what, "faq", id, "%s", what);
    web_redirect(p, "/faq", flash);
}

void page_faq_move(struct web_page *p)
{
    act(p, "move");
}

void page_faq_active(struct web_page *p)
{
    act(p, "active");
}

void page_faq_delete(struct web_page *p)
{
    act(p, "delete");
}
