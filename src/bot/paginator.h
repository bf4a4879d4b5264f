/*
 * The Paginator: one component for every list the bot shows (catalogue
 * levels, cart, orders, FAQ). A list is fetched a page at a time from the
 * database (offset = page * size, limit = size) and shown as item buttons
 * plus a navigation row  ◀  page/N  ▶  whose buttons carry a route whose
 * last number is the page (router.h), so one handler serves forward, back and
 * re-showing the same page.
 *
 *   struct page_view v;
 *   paginator_view(&v, total, requested_page, page_size);  // clamps the page
 *   ... fetch v.offset / v.limit ...
 *   paginator_nav(kb, &v, a, ROUTE_CATALOG, (int64_t[]){12, 0}, 2);  // row when pages > 1
 */
#ifndef TGSHOP_BOT_PAGINATOR_H
#define TGSHOP_BOT_PAGINATOR_H

#include <stdint.h>

#include "bot/router.h"
#include "tg/keyboard.h"

enum { PAGINATOR_DEFAULT_SIZE = 6, PAGINATOR_MAX_SIZE = 20 };

struct page_view {
    int64_t page;  /* 0-based, within [0, pages) */
    int64_t pages; /* at least 1, even for an empty list */
    int64_t offset;
    int limit;
};

/* Computes the page to show: a page past the end (items were removed meanwhile) becomes the
 * last page, a negative one the first. page_size outside 1..PAGINATOR_MAX_SIZE uses the
 * default. */
void paginator_view(struct page_view *out, int64_t total, int64_t page, int page_size);

/* Fetches the page to show with one query in the usual case: fetch(ctx, offset, limit,
 * &total) loads a page and tells the list's size; when the requested page lies past the end
 * (items were removed meanwhile) the last page is fetched instead. out gets the page shown.
 * Returns fetch's error, if any. */
int paginator_fetch(struct page_view *out, int64_t page, int page_size,
                    int (*fetch)(void *ctx, int64_t offset, int limit, int64_t *out_total),
                    void *ctx);

/* Adds the navigation row (nothing for a single page). Its buttons carry route r with args
 * (n of them, the last one replaced by the page to go to); the page indicator is the no-op
 * route. */
void paginator_nav(struct tg_keyboard *kb, const struct page_view *v, struct arena *a, enum route r,
                   const int64_t *args, size_t n);

/* Button text for a list item: at most max_chars characters, "…" when cut. */
void paginator_label(char *out, size_t size, const char *text, size_t max_chars);

#endif
