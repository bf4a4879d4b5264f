#include "shop/texts.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/embed.h"
#include "core/err.h"
#include "core/banned.h"

extern const struct embedded_file shop_locales[];

enum { MAX_LOCALES = 4 };

static struct {
    char lang[8];
    json_t *texts;
} locales[MAX_LOCALES];
static int locale_count;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct buf load_error = BUF_INIT;

/* Every key of a must be in b. */
static int same_keys(const char *a_name, json_t *a, const char *b_name, json_t *b)
{
    const char *key;
    json_t *value;
    json_object_foreach(a, key, value)
    {
        (void)value;
        if (!json_object_get(b, key)) {
            buf_setf(&load_error, "locale %s has \"%s\" but %s does not", a_name, key, b_name);
            return ERR_INVALID;
        }
    }
    return 0;
}

static void load(void)
{
    for (const struct embedded_file *f = shop_locales; f->name; f++) {
        if (locale_count == MAX_LOCALES) {
            buf_setf(&load_error, "too many locale files");
            return;
        }
        json_error_t jerr;
        json_t *texts = json_loadb(f->text, f->len, 0, &jerr);
        if (!json_is_object(texts)) {
            buf_setf(&load_error, "locale %s: line %d: %s", f->name, jerr.line, jerr.text);
            json_decref(texts);
            return;
        }
        const char *key;
        json_t *value;
        json_object_foreach(texts, key, value)
        {
            if (!json_is_string(value)) {
                buf_setf(&load_error, "locale %s: \"%s\" is not a string", f->name, key);
                json_decref(texts);
                return;
            }
        }
        size_t stem = strcspn(f->name, ".");
        snprintf(locales[locale_count].lang, sizeof locales[0].lang, "%.*s", (int)stem, f->name);
        locales[locale_count++].texts = texts;
    }
    for (int i = 0; i < locale_count; i++)
        for (int j = 0; j < locale_count; j++)
            if (i != j &&
                same_keys(locales[i].lang, locales[i].texts, locales[j].lang, locales[j].texts))
                return;
    if (!locale_count)
        buf_setf(&load_error, "no locale files");
}

int texts_init(struct buf *err)
{
    pthread_once(&once, load);
    if (load_error.len) {
        buf_setf(err, "%s", load_error.data);
        return ERR_INVALID;
    }
    return 0;
}

static json_t *locale(const char *lang)
{
    for (int i = 0; i < locale_count; i++)
        if (!strcmp(locales[i].lang, lang))
            return locales[i].texts;
    return locale_count ? locales[0].texts : NULL;
}

const char *texts_lang(const char *language_code, const char *default_lang)
{
    if (language_code) {
        size_t n = strcspn(language_code, "-_");
        for (int i = 0; i < locale_count; i++)
            if (strlen(locales[i].lang) == n && !strncmp(locales[i].lang, language_code, n))
                return locales[i].lang;
    }
    return default_lang;
}

const char *text_get(const char *lang, const char *key)
{
    const char *s = json_string_value(json_object_get(locale(lang), key));
    return s ? s : key;
}

void text_render(struct buf *out, const char *lang, const char *key, ...)
{
    const char *text = text_get(lang, key);
    const char *names[16], *values[16];
    int n = 0;
    va_list ap;
    va_start(ap, key);
    for (const char *name; n < 16 && (name = va_arg(ap, const char *)) != NULL; n++) {
        names[n] = name;
        values[n] = va_arg(ap, const char *);
    }
    va_end(ap);
    for (const char *p = text; *p;) {
        const char *open = strchr(p, '{');
        if (!open) {
            buf_adds(out, p);
            break;
        }
        buf_add(out, p, (size_t)(open - p));
        const char *close = strchr(open, '}');
        int match = -1;
        for (int i = 0; close && i < n && match < 0; i++)
            if ((size_t)(close - open - 1) == strlen(names[i]) &&
                !strncmp(open + 1, names[i], (size_t)(close - open - 1)))
                match = i;
        if (match < 0) {
            buf_addc(out, '{');
            p = open + 1;
            continue;
        }
        const char *v = values[match] ? values[match] : "";
        buf_add_html_escaped(out, v, strlen(v));
        p = close + 1;
    }
}

const char *text_order_status(const char *lang, enum order_status status)
{
    char key[40];
    snprintf(key, sizeof key, "status_%s", order_status_name(status));
    return text_get(lang, key);
}
