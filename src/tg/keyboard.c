#include "tg/keyboard.h"

#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/xalloc.h"
#include "tg/limits.h"
#include "core/banned.h"

enum keyboard_type { KEYBOARD_INLINE, KEYBOARD_REPLY, KEYBOARD_REMOVE };

struct tg_keyboard {
    enum keyboard_type type;
    json_t *markup;   /* the reply_markup object */
    json_t *rows;     /* its array of rows (owned by markup); NULL for KEYBOARD_REMOVE */
    bool row_pending; /* the next button starts a new row (rows are made lazily: none is empty) */
    bool failed;
    char error[160];
};

static json_t *checked(json_t *value)
{
    if (!value)
        die_oom(0);
    return value;
}

static struct tg_keyboard *keyboard_new(enum keyboard_type type, json_t *markup, const char *key)
{
    struct tg_keyboard *kb = xcalloc(1, sizeof *kb);
    kb->type = type;
    kb->markup = checked(markup);
    kb->row_pending = true;
    if (key) {
        kb->rows = checked(json_array());
        if (json_object_set_new(markup, key, kb->rows))
            die_oom(0);
    }
    return kb;
}

struct tg_keyboard *tg_keyboard_inline(void)
{
    return keyboard_new(KEYBOARD_INLINE, json_object(), "inline_keyboard");
}

struct tg_keyboard *tg_keyboard_reply(bool resize, bool one_time)
{
    return keyboard_new(
        KEYBOARD_REPLY,
        json_pack("{s:b, s:b}", "resize_keyboard", resize, "one_time_keyboard", one_time),
        "keyboard");
}

struct tg_keyboard *tg_keyboard_remove(void)
{
    return keyboard_new(KEYBOARD_REMOVE, json_pack("{s:b}", "remove_keyboard", 1), NULL);
}

void tg_keyboard_free(struct tg_keyboard *kb)
{
    if (!kb)
        return;
    json_decref(kb->markup);
    free(kb);
}

static void fail(struct tg_keyboard *kb, const char *message)
{
    if (kb->failed)
        return;
    kb->failed = true;
    snprintf(kb->error, sizeof kb->error, "keyboard: %s", message);
}

void tg_keyboard_row(struct tg_keyboard *kb)
{
    if (kb->type == KEYBOARD_REMOVE)
        fail(kb, "a keyboard removal has no rows");
    kb->row_pending = true;
}

/* Adds the button {"text": text, key: value} (just {"text": text} when key is NULL) to the
 * current row; takes value. */
static void add_button(struct tg_keyboard *kb, enum keyboard_type wanted, const char *text,
                       const char *key, json_t *value)
{
    struct buf why = BUF_INIT;
    if (kb->type != wanted)
        fail(kb, wanted == KEYBOARD_INLINE
                     ? "an inline button on a reply keyboard"
                     : "a reply button on a keyboard that is not a reply one");
    else if (tg_check_text("button text", text, TG_PARSE_NONE, true, TG_TEXT_MAX, &why))
        fail(kb, why.data);
    else if (key && !value)
        fail(kb, "a button's value is not valid UTF-8");
    else {
        if (kb->row_pending) {
            if (json_array_append_new(kb->rows, checked(json_array())))
                die_oom(0);
            kb->row_pending = false;
        }
        json_t *button = checked(json_object());
        if (json_object_set_new(button, "text", checked(json_string(text))) ||
            (key && json_object_set(button, key, value)) ||
            json_array_append_new(json_array_get(kb->rows, json_array_size(kb->rows) - 1), button))
            die_oom(0);
    }
    json_decref(value);
    buf_release(&why);
}

void tg_keyboard_callback(struct tg_keyboard *kb, const char *text, const char *data)
{
    struct buf why = BUF_INIT;
    if (tg_check_bytes("callback_data", data, 1, TG_CALLBACK_DATA_MAX, &why))
        fail(kb, why.data);
    else
        add_button(kb, KEYBOARD_INLINE, text, "callback_data", json_string(data));
    buf_release(&why);
}

void tg_keyboard_url(struct tg_keyboard *kb, const char *text, const char *url)
{
    if (!url || !*url)
        fail(kb, "a URL button without a URL");
    else
        add_button(kb, KEYBOARD_INLINE, text, "url", json_string(url));
}

void tg_keyboard_switch_inline(struct tg_keyboard *kb, const char *text, const char *query)
{
    add_button(kb, KEYBOARD_INLINE, text, "switch_inline_query_current_chat",
               json_string(query ? query : ""));
}

void tg_keyboard_pay(struct tg_keyboard *kb, const char *text)
{
    if (kb->rows && json_array_size(kb->rows) > 0)
        fail(kb, "the pay button must be the first button");
    else
        add_button(kb, KEYBOARD_INLINE, text, "pay", json_true());
}

void tg_keyboard_text(struct tg_keyboard *kb, const char *text)
{
    add_button(kb, KEYBOARD_REPLY, text, NULL, NULL);
}

void tg_keyboard_contact(struct tg_keyboard *kb, const char *text)
{
    add_button(kb, KEYBOARD_REPLY, text, "request_contact", json_true());
}

const char *tg_keyboard_error(const struct tg_keyboard *kb)
{
    return kb->failed ? kb->error : NULL;
}

bool tg_keyboard_is_inline(const struct tg_keyboard *kb)
{
    return kb->type == KEYBOARD_INLINE;
}

const json_t *tg_keyboard_markup(const struct tg_keyboard *kb)
{
    return kb->failed ? NULL : kb->markup;
}
