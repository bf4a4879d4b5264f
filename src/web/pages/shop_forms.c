#include "web/pages/shop_forms.h"

#include <string.h>

#include "core/err.h"
#include "core/parse.h"
#include "tg/client.h"
#include "web/web.h"
#include "core/banned.h"

bool shop_page_id(struct web_page *p, const char *missing, int64_t *out)
{
    const char *s = http_param(p->req, "id");
    if (!s || parse_int64(s, out) || *out <= 0) {
        web_error(p, 404, missing);
        return false;
    }
    return true;
}

static json_t *filter_object(struct web_page *p)
{
    json_t *f = json_object_get(p->data, "filter");
    if (!f) {
        f = json_object();
        json_object_set_new(p->data, "filter", f);
    }
    return f;
}

const char *shop_page_query(struct web_page *p, const char *name)
{
    const char *v = http_query(p->req, name);
    v = v ? v : "";
    json_object_set_new(filter_object(p), name, web_json_str(v));
    return v;
}

enum listing_flag shop_page_flag(struct web_page *p, const char *name)
{
    const char *v = shop_page_query(p, name);
    json_t *f = filter_object(p);
    char key[64];
    size_t n = strlen(name);
    if (n + 5 > sizeof key)
        return LISTING_ANY;
    memcpy(key, name, n);
    memcpy(key + n, "_yes", 5);
    json_object_set_new(f, key, json_boolean(!strcmp(v, "yes")));
    memcpy(key + n, "_no", 4);
    json_object_set_new(f, key, json_boolean(!strcmp(v, "no")));
    return !strcmp(v, "yes") ? LISTING_YES : !strcmp(v, "no") ? LISTING_NO : LISTING_ANY;
}

int64_t shop_page_offset(const struct web_list *l)
{
    return (l->page - 1) * l->per_page;
}

bool shop_page_refused(struct web_page *p, int rc, const struct listing_problem *why,
                       const char *doing)
{
    if (rc == ERR_INVALID) {
        web_field_error(p, why->field && *why->field ? why->field : "form", "%s.", why->message);
        return true;
    }
    if (rc == ERR_NOTFOUND)
        web_error(p, 404, why->message[0] ? why->message : "There is no such thing.");
    else if (rc == ERR_CONFLICT)
        web_error(p, 409,
                  why->message[0] ? why->message : "That conflicts with the current state.");
    else
        web_db_error(p, doing);
    return false;
}

int64_t shop_form_int(struct web_page *p, const char *name, const char *label)
{
    const char *s = web_form_text(p, name);
    int64_t v = 0;
    if (*s && parse_int64(s, &v))
        web_field_error(p, name, "%s must be a whole number.", label);
    return v;
}

struct tg_client *shop_page_telegram(struct web_page *p, const char **out_problem)
{
    enum { TIMEOUT_MS = 10000 };
    const struct web_options *opt = p->opt;
    if (!opt->bot_token) {
        *out_problem = "Telegram is not configured here (no bot token).";
        return NULL;
    }
    struct tg_client *tg;
    struct buf err = BUF_INIT;
    if (tg_client_new(&tg,
                      &(struct tg_client_options){.api_url = opt->telegram_api_url,
                                                  .token = opt->bot_token,
                                                  .timeout_ms = TIMEOUT_MS},
                      &err)) {
        *out_problem = arena_sprintf(p->arena, "Cannot use Telegram: %s.", err.data);
        tg = NULL;
    }
    buf_release(&err);
    return tg;
}
