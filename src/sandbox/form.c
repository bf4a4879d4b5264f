#include "sandbox/form.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

static int parse_json(struct form *f, const char *body, size_t len, struct buf *err)
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

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Decodes %XX and '+' into a new string in the arena. */
static char *url_decode(struct arena *a, const char *s, size_t len, size_t *out_len)
{
    char *out = arena_alloc(a, len + 1);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        int hi, lo;
        if (s[i] == '+') {
            out[n++] = ' ';
        } else if (s[i] == '%' && i + 2 < len && (hi = hex_value(s[i + 1])) >= 0 &&
                   (lo = hex_value(s[i + 2])) >= 0) {
            out[n++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

static int parse_urlencoded(struct form *f, const char *body, size_t len)
{
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(body + i, '&', len - i);
        size_t end = amp ? (size_t)(amp - body) : len;
        const char *eq = memchr(body + i, '=', end - i);
        size_t key_end = eq ? (size_t)(eq - body) : end;
        if (key_end > i) {
            size_t key_len, value_len = 0;
            char *key = url_decode(f->arena, body + i, key_end - i, &key_len);
            char *value = eq ? url_decode(f->arena, eq + 1, end - key_end - 1, &value_len) : "";
            form_add(f, key, value, value_len);
        }
        i = end + 1;
    }
    return 0;
}

/* The first occurrence of needle in [hay, hay + len), or NULL (memmem is a GNU extension). */
static const char *find_bytes(const char *hay, size_t len, const char *needle, size_t nlen)
{
    for (size_t i = 0; nlen <= len && i <= len - nlen; i++)
        if (hay[i] == needle[0] && !memcmp(hay + i, needle, nlen))
            return hay + i;
    return NULL;
}

/* The value of param (e.g. boundary, name, filename) in a header value like
 * `form-data; name="photo"; filename="a.png"`, quoted or not. */
static char *header_param(struct arena *a, const char *header, size_t len, const char *param)
{
    size_t plen = strlen(param);
    size_t i = 0;
    while (i < len) {
        while (i < len && (header[i] == ';' || header[i] == ' ' || header[i] == '\t'))
            i++;
        size_t start = i;
        bool quoted = false;
        while (i < len && (quoted || header[i] != ';')) {
            if (header[i] == '"')
                quoted = !quoted;
            i++;
        }
        const char *item = header + start;
        size_t ilen = i - start;
        if (ilen > plen && !strncasecmp(item, param, plen) && item[plen] == '=') {
            const char *v = item + plen + 1;
            size_t vlen = ilen - plen - 1;
            while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
                vlen--;
            if (vlen >= 2 && v[0] == '"' && v[vlen - 1] == '"') {
                v++;
                vlen -= 2;
            }
            return arena_strndup(a, v, vlen);
        }
    }
    return NULL;
}

static int multipart_part(struct form *f, const char *part, size_t len)
{
    const char *sep = find_bytes(part, len, "\r\n\r\n", 4);
    if (!sep)
        return ERR_INVALID;
    const char *headers = part;
    size_t headers_len = (size_t)(sep - part);
    char *name = NULL, *filename = NULL, *content_type = NULL;
    size_t i = 0;
    while (i < headers_len) {
        const char *eol = find_bytes(headers + i, headers_len - i, "\r\n", 2);
        size_t end = eol ? (size_t)(eol - headers) : headers_len;
        const char *line = headers + i;
        size_t line_len = end - i;
        const char *colon = memchr(line, ':', line_len);
        if (colon) {
            size_t key_len = (size_t)(colon - line);
            const char *value = colon + 1;
            size_t value_len = line_len - key_len - 1;
            while (value_len && *value == ' ') {
                value++;
                value_len--;
            }
            if (key_len == 19 && !strncasecmp(line, "Content-Disposition", 19)) {
                name = header_param(f->arena, value, value_len, "name");
                filename = header_param(f->arena, value, value_len, "filename");
            } else if (key_len == 12 && !strncasecmp(line, "Content-Type", 12)) {
                content_type = arena_strndup(f->arena, value, value_len);
            }
        }
        i = end + 2;
    }
    if (!name || !*name)
        return ERR_INVALID;
    form_add(f, name, sep + 4, len - headers_len - 4);
    struct form_field *field = &f->fields[f->count - 1];
    field->filename = filename;
    field->content_type = content_type;
    return 0;
}

static int parse_multipart(struct form *f, const char *content_type, const char *body, size_t len)
{
    char *boundary = header_param(f->arena, content_type, strlen(content_type), "boundary");
    if (!boundary || !*boundary || strlen(boundary) > 200)
        return ERR_INVALID;
    char *delim = arena_sprintf(f->arena, "--%s", boundary);
    size_t dlen = strlen(delim);
    const char *p = find_bytes(body, len, delim, dlen);
    if (!p)
        return ERR_INVALID;
    for (;;) {
        p += dlen;
        size_t left = len - (size_t)(p - body);
        if (left >= 2 && p[0] == '-' && p[1] == '-')
            return 0;
        if (left < 2 || p[0] != '\r' || p[1] != '\n')
            return ERR_INVALID;
        p += 2;
        left -= 2;
        char *next_delim = arena_sprintf(f->arena, "\r\n%s", delim);
        const char *next = find_bytes(p, left, next_delim, dlen + 2);
        if (!next)
            return ERR_INVALID;
        if (multipart_part(f, p, (size_t)(next - p)))
            return ERR_INVALID;
        p = next + 2;
    }
}

int form_parse_body(struct form *f, const char *content_type, const char *body, size_t len,
                    struct buf *err)
{
    if (!content_type)
        content_type = "";
    size_t type_len = strcspn(content_type, ";");
    while (type_len && content_type[type_len - 1] == ' ')
        type_len--;
#define IS_TYPE(t) (type_len == sizeof(t) - 1 && !strncasecmp(content_type, t, type_len))
    if (IS_TYPE("application/json"))
        return parse_json(f, body, len, err);
    if (IS_TYPE("application/x-www-form-urlencoded"))
        return parse_urlencoded(f, body, len);
    if (IS_TYPE("multipart/form-data")) {
        if (parse_multipart(f, content_type, body, len)) {
            buf_adds(err, "Bad Request: can't parse multipart/form-data request");
            return ERR_INVALID;
        }
        return 0;
    }
#undef IS_TYPE
    if (len) {
        buf_adds(err, "Bad Request: unsupported Content-Type of the request body");
        return ERR_INVALID;
    }
    return 0;
}
