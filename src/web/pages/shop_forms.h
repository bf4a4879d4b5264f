/*
 * What the pages of the shop's sections (customers, categories, products, FAQ, channels,
 * mailings) share on top of web/page.h: the object id of the path, yes/no filters, and
 * how a domain function's refusal (struct listing_problem) reaches the form.
 */
#ifndef TGSHOP_WEB_PAGES_SHOP_FORMS_H
#define TGSHOP_WEB_PAGES_SHOP_FORMS_H

#include <stdbool.h>
#include <stdint.h>

#include "shop/listing.h"
#include "web/page.h"

/* The path's {id}; answers 404 with `missing` and returns false when it is no id. */
bool shop_page_id(struct web_page *p, const char *missing, int64_t *out);
/* ?name=yes / ?name=no as a list filter (anything else: either), echoed into data.filter. */
enum listing_flag shop_page_flag(struct web_page *p, const char *name);
/* A query parameter, "" when absent, echoed into data.filter.NAME. */
const char *shop_page_query(struct web_page *p, const char *name);
/* The offset of the list's page. */
int64_t shop_page_offset(const struct web_list *l);

/* After a domain call returned rc with *why: ERR_INVALID puts the message next to its field
 * (or above the form) and returns true, so the caller renders the form again with status
 * 400; ERR_NOTFOUND answers 404, ERR_CONFLICT 409 with the message, anything else 500
 * (logged with `doing`), and these return false: the page is answered. */
bool shop_page_refused(struct web_page *p, int rc, const struct listing_problem *why,
                       const char *doing);

/* A form field as an integer; an empty field is 0 and a bad one gets a field error. */
int64_t shop_form_int(struct web_page *p, const char *name, const char *label);

struct tg_client;
/* A Bot API client for one action of this request (the caller frees it), or NULL with a
 * sentence for people in *out_problem when Telegram is not configured or unusable. */
struct tg_client *shop_page_telegram(struct web_page *p, const char **out_problem);

#endif
