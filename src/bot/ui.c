#include "bot/ui.h"

#include <stdlib.h>
#include <string.h>

#include "shop/texts.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/xalloc.h"
#include "shop/customer.h"
#include "core/banned.h"

enum {
    CALLBACK_ANSWER_WAIT_MS = 5000, /* a toast later than this after the press is worthless */
};

void ui_deadline(struct bot_ctx *c, int64_t ms)
{
    int64_t since = c->received_us ? c->received_us : clock_mono_us();
    tg_client_set_deadline(c->tg, ms ? since + ms * 1000 : 0);
}

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

/* --- what each chat's screen shows --- */

enum { SCREENS = 4096 }; /* chats remembered per worker; a collision only costs an edit */

struct ui_screen {
    int64_t chat_id, message_id;
    uint64_t content; /* screen_hash() of what the message shows */
};

struct ui_screens {
    struct ui_screen slot[SCREENS];
};

struct ui_screens *ui_screens_new(void)
{
    return xcalloc(1, sizeof(struct ui_screens));
}

void ui_screens_free(struct ui_screens *s)
{
    free(s);
}

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++)
        h = (h ^ p[i]) * 1099511628211ull;
    return (h ^ 0xff) * 1099511628211ull; /* field separator */
}

/* What a screen shows, as one number: the photo (NULL for text), the text and the keyboard. */
static uint64_t screen_hash(const struct tg_photo *photo, const char *html,
                            const struct tg_keyboard *kb)
{
    uint64_t h = 1469598103934665603ull;
    const char *ref = photo && photo->ref ? photo->ref : "";
    h = fnv(h, photo ? "p" : "t", 1);
    h = fnv(h, ref, strlen(ref));
    h = fnv(h, html ? html : "", html ? strlen(html) : 0);
    const json_t *markup = kb ? tg_keyboard_markup(kb) : NULL;
    char *json = markup ? json_dumps(markup, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    if (markup && !json)
        die_oom(0);
    h = fnv(h, json ? json : "", json ? strlen(json) : 0);
    free(json);
    return h;
}

static struct ui_screen *screen_of(struct bot_ctx *c)
{
    return &c->screens->slot[(uint64_t)c->chat_id * 0x9E3779B97F4A7C15ull >> 52];
}

/* True when the pressed message already shows exactly this. */
static bool unchanged(struct bot_ctx *c, uint64_t content)
{
    const struct ui_screen *s = c->screens ? screen_of(c) : NULL;
    return s && c->message_id && s->chat_id == c->chat_id && s->message_id == c->message_id &&
           s->content == content;
}

/* Notes what message_id shows now; message_id 0 forgets the chat's screen (an edit whose outcome
 * is unknown). */
static void remember(struct bot_ctx *c, int64_t message_id, uint64_t content)
{
    if (c->screens)
        *screen_of(c) = (struct ui_screen){message_id ? c->chat_id : 0, message_id, content};
}

/* --- replacing the pressed message --- */

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

/* After an edit of the pressed message: remembers what it shows, or forgets when the outcome
 * is unknown. */
static void edited(struct bot_ctx *c, int rc, uint64_t content)
{
    remember(c, rc ? 0 : c->message_id, content);
}

/* The new message becomes the screen: the pressed one is deleted after it is there (no empty
 * flash in the chat), and later screens of this update edit the new one. */
static void replaced(struct bot_ctx *c, const struct tg_message *sent, bool photo, uint64_t content)
{
    delete_pressed(c);
    if (sent) {
        c->message_id = sent->message_id;
        c->message_has_photo = photo;
        remember(c, sent->message_id, content);
    }
}

/* Sends a text screen that replaces the pressed message. */
static int send_replacing(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb,
                          uint64_t content)
{
    struct tg_send_options opt = html_send(kb);
    const struct tg_message *sent = NULL;
    int rc = ui_check(c, tg_send_message(c->tg, &sent, c->chat_id, html, &opt));
    if (!rc)
        replaced(c, sent, false, content);
    return rc;
}

int ui_show(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb)
{
    uint64_t content = screen_hash(NULL, html, kb);
    if (c->message_id && !c->message_has_photo) { /* text → text: edit in place */
        if (unchanged(c, content))
            return 0;
        struct tg_target target = {c->chat_id, c->message_id, NULL};
        struct tg_edit_options opt = {TG_PARSE_HTML, kb, true};
        int rc = tg_edit_message_text(c->tg, NULL, &target, html, &opt);
        if (rc == 0 || !edit_failed_for_good(c)) {
            edited(c, rc, content);
            return ui_check(c, rc);
        }
    }
    /* photo → text (Telegram cannot turn a photo into text), or nothing to edit */
    return send_replacing(c, html, kb, content);
}

int ui_update(struct bot_ctx *c, const char *html, const struct tg_keyboard *kb)
{
    if (!c->message_id)
        return ui_send(c, html, kb);
    /* the caption of a photo is compared as the photo's screen: ui_show_photo remembers it so */
    uint64_t content = screen_hash(NULL, html, kb);
    if (unchanged(c, content))
        return 0;
    struct tg_target target = {c->chat_id, c->message_id, NULL};
    struct tg_edit_options opt = {TG_PARSE_HTML, kb, true};
    int rc = c->message_has_photo ? tg_edit_message_caption(c->tg, NULL, &target, html, &opt)
                                  : tg_edit_message_text(c->tg, NULL, &target, html, &opt);
    if (rc == 0 || !edit_failed_for_good(c)) {
        edited(c, rc, content);
        return ui_check(c, rc);
    }
    return send_replacing(c, html, kb, content);
}

int ui_show_photo(struct bot_ctx *c, const struct tg_photo *photo, const char *caption_html,
                  const struct tg_keyboard *kb, const char **out_file_id)
{
    if (out_file_id)
        *out_file_id = NULL;
    /* remembered as its caption: a quantity change (ui_update) compares against that */
    uint64_t content = screen_hash(NULL, caption_html, kb);
    const struct tg_message *sent = NULL;
    int rc;
    if (c->message_id && c->message_has_photo) { /* photo → photo: edit the media in place */
        struct tg_target target = {c->chat_id, c->message_id, NULL};
        struct tg_edit_options opt = {TG_PARSE_HTML, kb, true};
        rc = tg_edit_message_media(c->tg, &sent, &target, photo, caption_html, &opt);
        if (rc == 0 || !edit_failed_for_good(c) ||
            tg_client_result(c->tg)->reason == TG_REASON_INVALID_FILE_ID) {
            edited(c, rc, content);
            if (!rc && out_file_id && sent && sent->photo_file_id)
                *out_file_id = arena_strdup(c->arena, sent->photo_file_id);
            return ui_check(c, rc);
        }
    }
    /* text → photo: a new photo message replaces the pressed one */
    struct tg_send_options opt = html_send(kb);
    rc = tg_send_photo(c->tg, &sent, c->chat_id, photo, caption_html, &opt);
    if (rc)
        return ui_check(c, rc);
    if (out_file_id && sent && sent->photo_file_id) /* copied: the next call frees it */
        *out_file_id = arena_strdup(c->arena, sent->photo_file_id);
    replaced(c, sent, true, content);
    return 0;
}

void ui_answer(struct bot_ctx *c, const char *text, bool alert)
{
    if (!c->callback_id)
        return;
    struct tg_callback_answer answer = {text, alert, NULL, 0};
    ui_deadline(c, CALLBACK_ANSWER_WAIT_MS);
    tg_answer_callback_query(c->tg, c->callback_id, text ? &answer : NULL);
    ui_deadline(c, 0);
    c->callback_id = NULL;
}

void ui_answer_key(struct bot_ctx *c, const char *key, bool alert)
{
    ui_answer(c, text_get(c->lang, key), alert);
}
