/*
 * UTF-8 helpers for text that reaches Telegram and the browser. Telegram
 * measures lengths in UTF-16 code units ("characters" in the Bot API docs),
 * so both counts are offered.
 */
#ifndef TGSHOP_CORE_UTF8_H
#define TGSHOP_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

#include "core/buf.h"

/* Strict validation: no overlong forms, no surrogates, nothing above U+10FFFF. */
bool utf8_valid(const char *s, size_t len);
/* Number of code points in valid UTF-8. */
size_t utf8_count(const char *s, size_t len);
/* Number of UTF-16 code units (code points above U+FFFF count twice). */
size_t utf8_utf16_units(const char *s, size_t len);
/* Byte length of the longest prefix of at most max_chars code points. */
size_t utf8_prefix_chars(const char *s, size_t len, size_t max_chars);
/* Byte length of the longest prefix of at most max_units UTF-16 code units. */
size_t utf8_prefix_utf16(const char *s, size_t len, size_t max_units);
/* Byte length of the longest prefix of at most max_bytes ending on a character boundary. */
size_t utf8_prefix_bytes(const char *s, size_t len, size_t max_bytes);
/* Decodes one code point at s (valid UTF-8 assumed, len >= 1); returns its byte length. */
size_t utf8_decode(const char *s, size_t len, unsigned *out_cp);

/* Appends code point cp encoded as UTF-8. */
int utf8_encode(struct buf *out, unsigned cp);
/* Appends a search key for s: lower case for Latin, Latin-1, Greek and Cyrillic letters, and
 * ё folded into е (Russian readers treat them as one letter). Both the stored text and the
 * query go through it, so a substring match on the keys is a case-insensitive search that
 * behaves the same on SQLite and PostgreSQL. Invalid bytes are copied through. */
int utf8_search_key(struct buf *out, const char *s, size_t len);

#endif
