#include "bot/gate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bot/router.h"
#include "shop/texts.h"
#include "bot/ui.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "shop/channel.h"
#include "core/banned.h"

enum { SLOTS = 4096, FLOOD_BURST = 8, BAN_NOTICE_MS = 600000 };
static const double FLOOD_RATE_PER_MS = 3.0 / 1000.0;

struct slot {
    int64_t user_id;
    double tokens;
    int64_t refilled_ms;
    bool flood_warned;
    int64_t ban_notice_ms;
    int64_t gate_until_ms;
    bool gate_ok;
    int64_t touched_ms;
    uint64_t profile_hash;
};

struct gate {
    struct slot slots[SLOTS];
    int64_t unreachable_logged_ms; /* one warning a minute about channels we cannot check */
};

struct gate *gate_new(void)
{
    return xcalloc(1, sizeof(struct gate));
}

void gate_free(struct gate *g)
{
    free(g);
}

static struct slot *slot_of(struct gate *g, int64_t user_id, int64_t now_ms)
{
    uint64_t h = (uint64_t)user_id * 0x9e3779b97f4a7c15ull;
    struct slot *s = &g->slots[h >> 52]; /* top 12 bits: 4096 slots */
    if (s->user_id != user_id) {
        memset(s, 0, sizeof *s);
        s->user_id = user_id;
        s->tokens = FLOOD_BURST;
        s->refilled_ms = now_ms;
    }
    return s;
}

enum gate_flood gate_flood(struct gate *g, int64_t user_id, int64_t now_ms)
{
    struct slot *s = slot_of(g, user_id, now_ms);
    s->tokens += (double)(now_ms - s->refilled_ms) * FLOOD_RATE_PER_MS;
    if (s->tokens > FLOOD_BURST)
        s->tokens = FLOOD_BURST;
    s->refilled_ms = now_ms;
    if (s->tokens < 1) {
        if (s->flood_warned)
            return GATE_DROP;
        s->flood_warned = true;
        return GATE_DROP_WARN;
    }
    s->tokens -= 1;
    s->flood_warned = false;
    return GATE_PASS;
}

bool gate_touch_due(struct gate *g, int64_t user_id, uint64_t profile_hash, int64_t now_ms)
{
    enum { TOUCH_EVERY_MS = 60000 };
    struct slot *s = slot_of(g, user_id, now_ms);
    if (s->touched_ms && s->profile_hash == profile_hash && now_ms - s->touched_ms < TOUCH_EVERY_MS)
        return false;
    s->touched_ms = now_ms;
    s->profile_hash = profile_hash;
    return true;
}

void gate_forget_touch(struct gate *g, int64_t user_id)
{
    slot_of(g, user_id, 0)->touched_ms = 0;
}

bool gate_ban_notice_due(struct gate *g, int64_t user_id, int64_t now_ms)
{
    struct slot *s = slot_of(g, user_id, now_ms);
    if (s->ban_notice_ms && now_ms - s->ban_notice_ms < BAN_NOTICE_MS)
        return false;
    s->ban_notice_ms = now_ms;
    return true;
}

/* 1 member, 0 not a member, -1 cannot tell (the channel is not checkable). */
static int membership(struct gate *g, struct bot_ctx *c, const struct channel *ch)
{
    const struct tg_chat_member *m = NULL;
    int rc = tg_get_chat_member(c->tg, &m, ch->chat_ref, c->from->id);
    if (rc == 0 && m)
        return tg_chat_member_is_present(m) ? 1 : 0;
    const struct tg_result *r = tg_client_result(c->tg);
    if (r->reason == TG_REASON_MEMBER_NOT_FOUND)
        return 0;
    int64_t now = clock_mono_ms();
    if (now - g->unreachable_logged_ms > 60000) {
        g->unreachable_logged_ms = now;
        log_warn("mandatory channel %s cannot be checked (%s); make the bot an administrator "
                 "there. Customers are let through meanwhile.",
                 ch->chat_ref, r->description);
    }
    return -1;
}

static void show_channels(struct bot_ctx *c, const struct channel *list, const bool *missing, int n)
{
    struct buf text = BUF_INIT;
    text_render(&text, c->lang, "gate_subscribe", NULL);
    struct tg_keyboard *kb = tg_keyboard_inline();
    for (int i = 0; i < n; i++) {
        if (!missing[i])
            continue;
        const char *url = list[i].invite_link;
        if (!url && list[i].chat_ref[0] == '@')
            url = arena_sprintf(c->arena, "https://t.me/%s", list[i].chat_ref + 1);
        if (url)
            tg_keyboard_url(kb, list[i].title, url);
        else
            tg_keyboard_callback(kb, list[i].title, router_data(c->arena, ROUTE_NOOP, NULL, 0));
        tg_keyboard_row(kb);
    }
    tg_keyboard_callback(kb, text_get(c->lang, "btn_subscribed"),
                         router_data(c->arena, ROUTE_SUBSCRIBED, NULL, 0));
    if (ui_show(c, text.data, kb))
        log_warn("the channels to join not shown to user %lld", (long long)c->from->id);
    tg_keyboard_free(kb);
    buf_release(&text);
}

bool gate_subscribed(struct gate *g, struct bot_ctx *c, bool recheck)
{
    int64_t now = clock_mono_ms();
    struct slot *s = slot_of(g, c->from->id, now);
    if (!recheck && s->gate_until_ms > now && s->gate_ok)
        return true;
    struct channel *list;
    int n;
    if (channel_list_active(c->db, c->arena, &list, &n) || n == 0)
        return true; /* no channels, or the database hiccupped: never lock customers out */
    bool missing[CHANNEL_MAX] = {false};
    bool ok = true;
    for (int i = 0; i < n; i++) {
        missing[i] = membership(g, c, &list[i]) == 0;
        ok = ok && !missing[i];
    }
    s->gate_ok = ok;
    s->gate_until_ms = now + c->settings->gate_cache_seconds * 1000LL;
    if (!ok)
        show_channels(c, list, missing, n);
    return ok;
}
