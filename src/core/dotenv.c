#include "core/dotenv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "core/banned.h"

enum { DOTENV_MAX_BYTES = 1 << 20 };

static void set_pair(struct dotenv *env, const char *key, size_t key_len, struct buf *value)
{
    for (size_t i = 0; i < env->count; i++) {
        if (strlen(env->pairs[i].key) == key_len && !memcmp(env->pairs[i].key, key, key_len)) {
            free(env->pairs[i].value);
            env->pairs[i].value = buf_detach(value, NULL);
            return;
        }
    }
    env->pairs = xreallocarray(env->pairs, env->count + 1, sizeof *env->pairs);
    env->pairs[env->count].key = xmemdup(key, key_len);
    env->pairs[env->count].value = buf_detach(value, NULL);
    env->count++;
}

static bool is_key_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_key_char(char c)
{
    return is_key_start(c) || (c >= '0' && c <= '9');
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

/* What may follow a closing quote: spaces, then nothing or a comment. */
static bool only_comment_left(const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    return p == end || *p == '#';
}

/* Parses the value part of one line [p, end) into value; returns NULL or an error text. */
static const char *parse_value(const char *p, const char *end, struct buf *value)
{
    if (p < end && *p == '\'') {
        const char *close = memchr(p + 1, '\'', (size_t)(end - p - 1));
        if (!close)
            return "unterminated single quote";
        buf_add(value, p + 1, (size_t)(close - p - 1));
        return only_comment_left(close + 1, end) ? NULL : "unexpected text after closing quote";
    }
    if (p < end && *p == '"') {
        for (p++; p < end; p++) {
            if (*p == '"')
                return only_comment_left(p + 1, end) ? NULL : "unexpected text after closing quote";
            if (*p != '\\') {
                buf_addc(value, *p);
                continue;
            }
            if (++p == end)
                break;
            switch (*p) {
            case 'n':
                buf_addc(value, '\n');
                break;
            case 't':
                buf_addc(value, '\t');
                break;
            case 'r':
                buf_addc(value, '\r');
                break;
            case '"':
            case '\\':
            case '$':
            case '\'':
                buf_addc(value, *p);
                break;
            default:
                buf_addc(value, '\\');
                buf_addc(value, *p);
            }
        }
        return "unterminated double quote";
    }
    const char *stop = p;
    while (stop < end && !(*stop == '#' && (stop == p || is_space(stop[-1]))))
        stop++;
    while (stop > p && is_space(stop[-1]))
        stop--;
    buf_add(value, p, (size_t)(stop - p));
    return NULL;
}

/* Parses one line; returns NULL or an error text. */
static const char *parse_line(struct dotenv *env, const char *p, const char *end)
{
    while (p < end && is_space(*p))
        p++;
    if (p == end || *p == '#')
        return NULL;
    if (end - p > 7 && !memcmp(p, "export", 6) && is_space(p[6])) {
        p += 7;
        while (p < end && is_space(*p))
            p++;
    }
    const char *key = p;
    if (p == end || !is_key_start(*p))
        return "expected KEY=VALUE (a key starts with a letter or _)";
    while (p < end && is_key_char(*p))
        p++;
    size_t key_len = (size_t)(p - key);
    while (p < end && is_space(*p))
        p++;
    if (p == end || *p != '=')
        return "expected KEY=VALUE (no '=' after the key)";
    p++;
    while (p < end && is_space(*p))
        p++;
    struct buf value = BUF_INIT;
    const char *error = parse_value(p, end, &value);
    if (!error)
        set_pair(env, key, key_len, &value);
    buf_release(&value);
    return error;
}

int dotenv_parse(struct dotenv *out, const char *text, size_t len, const char *name,
                 struct buf *err)
{
    out->pairs = NULL;
    out->count = 0;
    if (memchr(text, '\0', len)) {
        buf_setf(err, "%s: contains a NUL byte; not a text file", name);
        return ERR_INVALID;
    }
    const char *p = text, *end = text + len;
    if (len >= 3 && !memcmp(p, "\xef\xbb\xbf", 3))
        p += 3; /* a byte order mark from a Windows editor */
    for (size_t line = 1; p < end; line++) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        if (line_end > p && line_end[-1] == '\r')
            line_end--;
        const char *error = parse_line(out, p, line_end);
        if (error) {
            buf_setf(err, "%s:%zu: %s", name, line, error);
            dotenv_release(out);
            return ERR_INVALID;
        }
        p = eol ? eol + 1 : end;
    }
    return 0;
}

int dotenv_load(struct dotenv *out, const char *path, struct buf *err)
{
    out->pairs = NULL;
    out->count = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        buf_setf(err, "%s: %s", path, strerror(errno));
        return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
    }
    struct buf text = BUF_INIT;
    text.max = DOTENV_MAX_BYTES;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (buf_add(&text, chunk, n)) {
            buf_setf(err, "%s: larger than %d bytes; not a .env file", path, DOTENV_MAX_BYTES);
            fclose(f);
            buf_release(&text);
            return ERR_TOOBIG;
        }
    }
    int failed = ferror(f);
    fclose(f);
    if (failed) {
        buf_setf(err, "%s: read error", path);
        buf_release(&text);
        return ERR_IO;
    }
    int rc = dotenv_parse(out, text.data, text.len, path, err);
    buf_release(&text);
    return rc;
}

const char *dotenv_get(const struct dotenv *env, const char *key)
{
    for (size_t i = 0; i < env->count; i++)
        if (!strcmp(env->pairs[i].key, key))
            return env->pairs[i].value;
    return NULL;
}

void dotenv_release(struct dotenv *env)
{
    for (size_t i = 0; i < env->count; i++) {
        free(env->pairs[i].key);
        free(env->pairs[i].value);
    }
    free(env->pairs);
    env->pairs = NULL;
    env->count = 0;
}
