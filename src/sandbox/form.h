/*
 * The parameters of one Bot API request, whichever way the bot sent them: the
 * URL's query string, an urlencoded or multipart form (parsed by src/http/),
 * or a JSON object. As in Telegram's own server every value becomes a string:
 * JSON numbers and booleans keep their literal text, nested objects and arrays
 * their compact JSON, and null means absent. Uploaded files (multipart parts
 * with a filename) are reachable with form_file() only. Everything lives in
 * the arena given to form_init().
 */
#ifndef TGSHOP_SANDBOX_FORM_H
#define TGSHOP_SANDBOX_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"

struct form_field {
    const char *name;
    const char *value; /* NUL-terminated; len excludes the NUL */
    size_t len;
    const char *filename;     /* non-NULL for uploaded files */
    const char *content_type; /* of an upload, may be NULL */
};

struct form {
    struct arena *arena;
    struct form_field *fields;
    size_t count, cap;
};

void form_init(struct form *f, struct arena *a);
/* Adds a plain field (copied); a later field with the same name wins. */
void form_add(struct form *f, const char *name, const char *value, size_t len);
/* Adds an uploaded file's bytes (copied); filename non-NULL, content_type may be NULL. */
void form_add_file(struct form *f, const char *name, const void *data, size_t len,
                   const char *filename, const char *content_type);
/* Adds the members of the JSON object body[0, len) by the rule above. On anything but a
 * JSON object returns ERR_INVALID with Telegram's description in err. */
int form_parse_json(struct form *f, const char *body, size_t len, struct buf *err);
/* The value of a plain field, or NULL. */
const struct form_field *form_get(const struct form *f, const char *name);
/* An uploaded file by field name, or NULL. */
const struct form_field *form_file(const struct form *f, const char *name);

#endif
