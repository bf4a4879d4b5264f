#include "bot/paginator.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/utf8.h"
#include "core/util.h"
#include "core/banned.h"

void paginator_view(struct page_view *out, int64_t total, int64_t page, int page_size)
{
    if (page_size < 1 || page_size > PAGINATOR_MAX_SIZE)
        page_size = PAGINATOR_DEFAULT_SIZE;
    if (total < 0)
        total = 0;
    out->pages = total ? (total + page_size - 1) / page_size : 1;
    if (page >= out->pages)
        page = out->pages - 1;
    if (page < 0)
        page = 0;
    out->page = page;
    out->offset = page * page_size;
    out->limit = page_size;
}

int paginator_fetch(struct page_view *out, int64_t page, int page_size,
                    int (*fetch)(void *ctx, int64_t offset, int limit, int64_t *out_total),
                    void *ctx)
{
    enum { PAGE_MAX = 1000000 }; /* keeps page * size far from overflow */
    if (page < 0)
        page = 0;
    if (page > PAGE_MAX)
        page = PAGE_MAX;
    /* as if the list were long enough: the offset the customer asked for */
    paginator_view(out, (page + 1) * (int64_t)PAGINATOR_MAX_SIZE, page, page_size);
    int64_t asked = out->offset, total = 0;
    int rc = fetch(ctx, out->offset, out->limit, &total);
    if (rc)
        return rc;
    paginator_view(out, total, page, page_size);
    return out->offset == asked ? 0 : fetch(ctx, out->offset, out->limit, &total);
}

void paginator_nav(struct tg_keyboard *kb, const struct page_view *v, struct arena *a, enum route r,
                   const int64_t *args, size_t n)
{
    if (v->pages <= 1)
        return;
    if (n < 1 || n > ROUTER_ARGS_MAX)
        BUG("a page route needs 1..%d numbers, got %zu", ROUTER_ARGS_MAX, n);
    int64_t page_args[ROUTER_ARGS_MAX];
    memcpy(page_args, args, n * sizeof *args);
    char label[32];
    tg_keyboard_row(kb);
    /* the ends wrap around: from the last page ▶ goes to the first */
    page_args[n - 1] = v->page > 0 ? v->page - 1 : v->pages - 1;
    tg_keyboard_callback(kb, "◀", router_data(a, r, page_args, n));
    snprintf(label, sizeof label, "%lld/%lld", (long long)v->page + 1, (long long)v->pages);
    tg_keyboard_callback(kb, label, router_data(a, ROUTE_NOOP, NULL, 0));
    page_args[n - 1] = v->page + 1 < v->pages ? v->page + 1 : 0;
    tg_keyboard_callback(kb, "▶", router_data(a, r, page_args, n));
}

void paginator_label(char *out, size_t size, const char *text, size_t max_chars)
{
    static const char ellipsis[] = "…";
    const size_t ell = sizeof ellipsis - 1;
    if (!size)
        return;
    size_t len = strlen(text);
    size_t keep = utf8_prefix_chars(text, len, max_chars);
    bool cut = keep < len;
    if (cut)
        keep = utf8_prefix_chars(text, len, max_chars > 1 ? max_chars - 1 : 0);
    /* a buffer too small for the label cuts it too, but between characters: half a character
     * is invalid UTF-8, and Telegram refuses the whole keyboard for it */
    if (keep + (cut ? ell : 0) > size - 1) {
        cut = size - 1 >= ell;
        keep = utf8_prefix_bytes(text, keep, size - 1 - (cut ? ell : 0));
    }
    memcpy(out, text, keep);
    if (cut)
        memcpy(out + keep, ellipsis, ell);
    out[keep + (cut ? ell : 0)] = '\0';
}
