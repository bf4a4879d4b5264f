/*
 * Templates: a small mustache subset of our own (no Debian C package fits), rendering
 * jansson values. Every template of the admin panel is compiled once at start, so a
 * template error (unclosed section, unknown partial, bad tag) fails the start, never a
 * request.
 *
 *   {{name}}         the value, HTML-escaped: always (strings as they are, integers in
 *                    decimal, true as "true", null/false/missing as nothing)
 *   {{a.b}}          dotted names: a is looked up from the innermost context outwards
 *   {{.}}            the current item (lists of strings)
 *   {{#name}}…{{/name}}  a section: once per item of a non-empty array, once with an
 *                    object pushed as the context, once for any other true value
 *   {{^name}}…{{/name}}  inverted: when the value is missing, null, false, 0, "" or []
 *   {{>name}}        the template called name (a partial), in the current context
 *   {{! comment }}
 *
 * There is no unescaped output ({{{x}}} and {{&x}} are compile errors): markup comes only
 * from templates, so a product named <script> always shows as text.
 * Template names are the embedded files' names without the extension.
 */
#ifndef TGSHOP_WEB_TEMPLATE_H
#define TGSHOP_WEB_TEMPLATE_H

#include <jansson.h>

#include "core/buf.h"
#include "core/embed.h"

struct tpl_set;

/* Compiles every file of files. On error returns ERR_INVALID with "name.html:LINE: what"
 * in err. */
int tpl_set_compile(struct tpl_set **out, const struct embedded_file *files, struct buf *err);
void tpl_set_free(struct tpl_set *set);
/* True when the set has a template called name. */
int tpl_exists(const struct tpl_set *set, const char *name);
/* Renders template name with data appended to out. ERR_NOTFOUND for an unknown name. */
int tpl_render(const struct tpl_set *set, const char *name, json_t *data, struct buf *out);

/* A partial rendered ahead of time by tpl_render (so its markup still comes from the template
 * and its values are escaped), kept by a caller that renders it with the same values often. */
struct tpl_prerendered {
    const char *partial; /* its name; NULL: none */
    const char *html;
    size_t len;
};
/* tpl_render, writing every {{>partial}} of pre->partial as pre->html instead of rendering it
 * (the caller knows that rendering it in this context gives that text). */
int tpl_render_with(const struct tpl_set *set, const char *name, json_t *data,
                    const struct tpl_prerendered *pre, struct buf *out);

#endif
