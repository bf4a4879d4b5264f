#include "sandbox/form.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/banned.h"

void form_init(struct form *f, struct arena *a)
{
    f->arena = a;
    f->fields = NULL;
    f->count = 0;
    f->cap = 0;
}

static struct form_field *append(struct form *f)
{
    if (f->count == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        struct form_field *fields = arena_calloc(f->arena, cap, sizeof *fields);
        if (f->count)
            memcpy(fields, f->fields, f->count * sizeof *fields);
        f->fields = fields;
        f->cap = cap;
    }
    struct form_field *field = &f->fields[f->count++];
    memset(field, 0, sizeof *field);
    return field;
}

void form_add(struct form *f, const char *name, const char *value, size_t len)
{
    struct form_field *field = append(f);
    field->name = arena_strdup(f->arena, name);
    field->value = arena_memdup(f->arena, value, len);
    ((char *)field->value)[len] = '\0';
    field->len = len;
}

void form_add_file(struct form *f, const char *name, const void *data, size_t len,
                   const char *filename, const char *content_type)
{
    form_add(f, name, data, len);
    struct form_field *field = &f->fields[f->count - 1];
    field->filename = arena_strdup(f->arena, filename);
    field->content_type = content_type ? arena_strdup(f->arena, content_type) : NULL;
}

static const struct form_field *find(const struct form *f, const char *name, bool file)
{
    for (size_t i = f->count; i-- > 0;)
        if (!strcmp(f->fields[i].name, name) && (f->fields[i].filename != NULL) == file)
            return &f->fields[i];
    return NULL;
}

const struct form_field *form_get(const struct form *f, const char *name)
{
    return find(f, name, false);
}

const struct form_field *form_file(const struct form *f, const char *name)
{
    return find(f, name, true);
}

int form_parse_json(struct form *f, const char *body, size_t len, struct buf *err)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root || !json_is_object(root)) {
        json_decref(root);
        buf_adds(err, "Bad Request: can't parse JSON object");
        return ERR_INVALID;
    }
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value)
    {
        if (json_is_string(value)) {
            form_add(f, key, json_string_value(value), json_string_length(value));
        } else if (!json_is_null(value)) {
            char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
            form_add(f, key, text, strlen(text));
            free(text);
        }
    }
    json_decref(root);
    return 0;
}
