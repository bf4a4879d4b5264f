/*
 * Telegram's rules for message texts, which need no network: how it parses a
 * formatted text and how it counts its length. They live in core because both
 * the Bot API client (tg/limits.h checks every request) and the domain (a
 * mailing draft is checked when staff save it, long before it is sent) apply
 * the same rules.
 *
 * Telegram counts "characters" in UTF-16 code units, after entity parsing:
 * with parse_mode HTML the tags are not counted and an entity like &amp;
 * counts as the one character it stands for. MarkdownV2 text is counted raw,
 * an upper bound of what Telegram counts. HTML is checked as Telegram parses
 * it: only its tags (b strong i em u ins s strike del span.tg-spoiler
 * tg-spoiler a code pre blockquote tg-emoji), each closed in order; a '<' that
 * starts no tag must be written &lt;.
 */
#ifndef TGSHOP_CORE_TGTEXT_H
#define TGSHOP_CORE_TGTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

enum {
    TG_TEXT_MAX = 4096,    /* message text, characters */
    TG_CAPTION_MAX = 1024, /* photo caption, characters */
};

/* How Telegram parses a text for formatting. */
enum tg_parse_mode { TG_PARSE_NONE, TG_PARSE_HTML, TG_PARSE_MARKDOWN_V2 };

/* The Bot API's name of a parse mode ("HTML", "MarkdownV2"), NULL for none. */
const char *tg_parse_mode_name(enum tg_parse_mode mode);

/* Characters (UTF-16 code units) Telegram counts in valid UTF-8 text after parsing it with
 * mode; *out_blank tells whether none of them is visible (empty or only white space). */
size_t tg_text_length(const char *text, size_t len, enum tg_parse_mode mode, bool *out_blank);

/* 0 when Telegram's HTML parser accepts text; else ERR_INVALID and why gets Telegram's
 * complaint ("can't parse entities: Unsupported start tag \"div\" at byte offset 0"). */
int tg_check_html(const char *text, size_t len, struct buf *why);

/* Checks a text for a field called what: valid UTF-8, markup Telegram accepts (HTML), at
 * most max characters as Telegram counts them, and not blank when required. 0, or
 * ERR_INVALID with one line in why. */
int tg_check_text(const char *what, const char *text, enum tg_parse_mode mode, bool required,
                  size_t max, struct buf *why);

#endif
