/*
 * struct buf: a growable byte buffer and string builder.
 *
 * Rules (as git's strbuf and curl's dynbuf):
 *  - data is never NULL and always NUL-terminated, so b.data is a valid C
 *    string at any time (an empty buffer points to a shared "").
 *  - the buffer owns data; buf_release() frees it and leaves an empty buffer;
 *    buf_detach() hands data to the caller, who frees it with free().
 *  - max (0 = unlimited) caps len: an append that would pass it appends
 *    nothing, returns ERR_TOOBIG and sets the sticky `overflow` flag, so code
 *    that builds a body from untrusted input can append freely and check once.
 *    Use it for every body read from a peer.
 *  - out of memory aborts (core/xalloc.h), so appends only fail on max.
 */
#ifndef TGSHOP_CORE_BUF_H
#define TGSHOP_CORE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data;
    size_t len;
    size_t cap; /* allocated bytes, 0 while data points to the shared "" */
    size_t max; /* largest len allowed; 0 = no limit */
    bool overflow;
};

extern char buf_empty[];
#define BUF_INIT                                                                                   \
    {                                                                                              \
        buf_empty, 0, 0, 0, false                                                                  \
    }

void buf_init(struct buf *b, size_t max);
/* Frees the contents; the buffer is empty and reusable afterwards. */
void buf_release(struct buf *b);
/* Empties without freeing, keeps max; clears overflow. */
void buf_reset(struct buf *b);
/* Makes room for at least `extra` more bytes (+ NUL). */
void buf_grow(struct buf *b, size_t extra);
/* Takes ownership of the contents (never NULL; free() it). */
char *buf_detach(struct buf *b, size_t *out_len);
/* Shortens to len (no-op if already shorter). */
void buf_truncate(struct buf *b, size_t len);

int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends v in decimal, without printf (the export and the templates print many numbers). */
int buf_add_int(struct buf *b, int64_t v);
int buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Replaces the contents with a formatted string. */
int buf_setf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends s as the body of a JSON string (no quotes added). */
int buf_add_json_escaped(struct buf *b, const char *s, size_t len);
/* Appends s with &<>"' escaped for HTML text and attribute values. */
int buf_add_html_escaped(struct buf *b, const char *s, size_t len);
/* Appends s percent-encoded for a URL component (RFC 3986 unreserved kept). */
int buf_add_url_encoded(struct buf *b, const char *s, size_t len);

/* True when the first len bytes equal the C string s. */
bool buf_eq(const struct buf *b, const char *s);

#endif
