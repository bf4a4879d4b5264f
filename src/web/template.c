#include "web/template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/xalloc.h"
#include "core/banned.h"

enum { MAX_DEPTH = 32 };

enum node_kind { N_TEXT, N_VAR, N_SECTION, N_INVERTED, N_PARTIAL };

struct node {
    enum node_kind kind;
    const char *text; /* N_TEXT: points into the embedded file */
    size_t len;
    char *name;
    char *keys; /* the name's segments between the dots, each NUL-terminated */
    int key_count;
    struct node *children;
    size_t child_count;
    size_t partial; /* N_PARTIAL: index in the set, resolved after parsing */
};

struct tpl {
    char *name;
    const char *source;
    struct node *nodes;
    size_t count;
};

struct tpl_set {
    struct tpl *tpls;
    size_t count;
};

struct parser {
    const struct tpl *tpl;
    const char *start, *p, *end;
    struct buf *err;
};

static int line_of(const struct parser *ps, const char *at)
{
    int line = 1;
    for (const char *c = ps->start; c < at; c++)
        line += *c == '\n';
    return line;
}

static int fail(struct parser *ps, const char *at, const char *what, const char *name)
{
    buf_addf(ps->err, "%s: line %d: %s%s%s", ps->tpl->name, line_of(ps, at), what, name ? " " : "",
             name ? name : "");
    return ERR_INVALID;
}

static struct node *push(struct node **nodes, size_t *count, enum node_kind kind)
{
    *nodes = xreallocarray(*nodes, *count + 1, sizeof **nodes);
    struct node *n = &(*nodes)[(*count)++];
    memset(n, 0, sizeof *n);
    n->kind = kind;
    return n;
}

static bool valid_name(const char *s, size_t len)
{
    if (len == 1 && s[0] == '.')
        return true;
    if (!len || s[0] == '.' || s[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || (c == '.' && s[i + 1] == '.'))
            return false;
    }
    return true;
}

/* Parses until {{/closing}} (or the end when closing is NULL). */
static int parse(struct parser *ps, struct node **nodes, size_t *count, const char *closing)
{
    while (ps->p < ps->end) {
        const char *open = strstr(ps->p, "{{");
        if (!open || open >= ps->end)
            open = ps->end;
        if (open > ps->p) {
            struct node *n = push(nodes, count, N_TEXT);
            n->text = ps->p;
            n->len = (size_t)(open - ps->p);
        }
        if (open == ps->end)
            break;
        const char *tag = open + 2;
        const char *close = strstr(tag, "}}");
        if (!close)
            return fail(ps, open, "unclosed tag", NULL);
        ps->p = close + 2;
        char sigil = *tag;
        if (sigil == '!')
            continue;
        if (sigil == '{' || sigil == '&')
            return fail(ps, open, "unescaped output is not supported (use {{name}})", NULL);
        if (sigil == '=')
            return fail(ps, open, "delimiter changes are not supported", NULL);
        const char *name = tag;
        if (sigil == '#' || sigil == '^' || sigil == '/' || sigil == '>')
            name++;
        while (name < close && *name == ' ')
            name++;
        const char *name_end = close;
        while (name_end > name && name_end[-1] == ' ')
            name_end--;
        size_t name_len = (size_t)(name_end - name);
        if (!valid_name(name, name_len))
            return fail(ps, open, "bad tag name", NULL);
        char *copy = xstrndup(name, name_len);
        if (sigil == '/') {
            bool match = closing && !strcmp(copy, closing);
            int rc = match ? 0 : fail(ps, open, "unexpected close of", copy);
            free(copy);
            return match ? 1 : rc;
        }
        enum node_kind kind = sigil == '#'   ? N_SECTION
                              : sigil == '^' ? N_INVERTED
                              : sigil == '>' ? N_PARTIAL
                                             : N_VAR;
        struct node *n = push(nodes, count, kind);
        n->name = copy;
        n->keys = xstrdup(copy);
        n->key_count = 1;
        for (char *c = n->keys; *c && strcmp(copy, "."); c++)
            if (*c == '.') {
                *c = '\0';
                n->key_count++;
            }
        if (kind == N_SECTION || kind == N_INVERTED) {
            struct node *children = NULL;
            size_t child_count = 0;
            int rc = parse(ps, &children, &child_count, copy);
            /* push() may have moved the array while parsing the children */
            n = &(*nodes)[*count - 1];
            n->children = children;
            n->child_count = child_count;
            if (rc < 0)
                return rc;
            if (rc == 0)
                return fail(ps, ps->end, "unclosed section", copy);
        }
    }
    return closing ? 0 : 1;
}

static void free_nodes(struct node *nodes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        free(nodes[i].name);
        free(nodes[i].keys);
        free_nodes(nodes[i].children, nodes[i].child_count);
    }
    free(nodes);
}

static int find_tpl(const struct tpl_set *set, const char *name)
{
    for (size_t i = 0; i < set->count; i++)
        if (!strcmp(set->tpls[i].name, name))
            return (int)i;
    return -1;
}

static int resolve_partials(struct tpl_set *set, const struct tpl *tpl, struct node *nodes,
                            size_t count, struct buf *err)
{
    for (size_t i = 0; i < count; i++) {
        struct node *n = &nodes[i];
        if (n->kind == N_PARTIAL) {
            int idx = find_tpl(set, n->name);
            if (idx < 0) {
                buf_addf(err, "%s: unknown partial %s", tpl->name, n->name);
                return ERR_INVALID;
            }
            n->partial = (size_t)idx;
        }
        if (resolve_partials(set, tpl, n->children, n->child_count, err))
            return ERR_INVALID;
    }
    return 0;
}

int tpl_set_compile(struct tpl_set **out, const struct embedded_file *files, struct buf *err)
{
    struct tpl_set *set = xcalloc(1, sizeof *set);
    int rc = 0;
    for (const struct embedded_file *f = files; f->name && !rc; f++) {
        set->tpls = xreallocarray(set->tpls, set->count + 1, sizeof *set->tpls);
        struct tpl *t = &set->tpls[set->count++];
        memset(t, 0, sizeof *t);
        const char *dot = strrchr(f->name, '.');
        t->name = xstrndup(f->name, dot ? (size_t)(dot - f->name) : strlen(f->name));
        t->source = f->text;
        struct parser ps = {t, f->text, f->text, f->text + f->len, err};
        rc = parse(&ps, &t->nodes, &t->count, NULL) < 0 ? ERR_INVALID : 0;
    }
    for (size_t i = 0; i < set->count && !rc; i++)
        rc = resolve_partials(set, &set->tpls[i], set->tpls[i].nodes, set->tpls[i].count, err);
    if (rc) {
        tpl_set_free(set);
        *out = NULL;
        return rc;
    }
    *out = set;
    return 0;
}

void tpl_set_free(struct tpl_set *set)
{
    if (!set)
        return;
    for (size_t i = 0; i < set->count; i++) {
        free(set->tpls[i].name);
        free_nodes(set->tpls[i].nodes, set->tpls[i].count);
    }
    free(set->tpls);
    free(set);
}

int tpl_exists(const struct tpl_set *set, const char *name)
{
    return find_tpl(set, name) >= 0;
}

struct render {
    const struct tpl_set *set;
    json_t *stack[MAX_DEPTH * 2];
    size_t depth;
    int partials;
    const struct tpl_prerendered *pre;
    struct buf *out;
};

/* Looks the node's name up: the first segment from the innermost context out, the rest
 * inside it. */
static json_t *lookup(const struct render *r, const struct node *n)
{
    if (n->name[0] == '.')
        return r->depth ? r->stack[r->depth - 1] : NULL;
    const char *key = n->keys;
    json_t *v = NULL;
    for (size_t i = r->depth; i-- > 0 && !v;)
        if (json_is_object(r->stack[i]))
            v = json_object_get(r->stack[i], key);
    for (int k = 1; v && k < n->key_count; k++) {
        key += strlen(key) + 1;
        v = json_object_get(v, key);
    }
    return v;
}

static bool truthy(const json_t *v)
{
    if (!v || json_is_null(v) || json_is_false(v))
        return false;
    if (json_is_array(v))
        return json_array_size(v) > 0;
    if (json_is_string(v))
        return json_string_length(v) > 0;
    if (json_is_integer(v))
        return json_integer_value(v) != 0;
    return true;
}

static void write_value(struct buf *out, const json_t *v)
{
    char num[64];
    if (json_is_string(v)) {
        buf_add_html_escaped(out, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        buf_add_int(out, json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(num, sizeof num, "%.2f", json_real_value(v));
        buf_adds(out, num);
    } else if (json_is_true(v)) {
        buf_adds(out, "true");
    }
}

static int render_nodes(struct render *r, const struct node *nodes, size_t count);

static int render_with(struct render *r, json_t *ctx, const struct node *n)
{
    if (r->depth == sizeof r->stack / sizeof *r->stack)
        return ERR_TOOBIG;
    r->stack[r->depth++] = ctx;
    int rc = render_nodes(r, n->children, n->child_count);
    r->depth--;
    return rc;
}

static int render_nodes(struct render *r, const struct node *nodes, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        const struct node *n = &nodes[i];
        json_t *v;
        int rc = 0;
        switch (n->kind) {
        case N_TEXT:
            buf_add(r->out, n->text, n->len);
            break;
        case N_VAR:
            if ((v = lookup(r, n)))
                write_value(r->out, v);
            break;
        case N_SECTION:
            v = lookup(r, n);
            if (!truthy(v))
                break;
            if (json_is_array(v)) {
                size_t idx;
                json_t *item;
                json_array_foreach(v, idx, item)
                {
                    if ((rc = render_with(r, item, n)))
                        return rc;
                }
            } else {
                rc = render_with(r, v, n);
            }
            break;
        case N_INVERTED:
            if (!truthy(lookup(r, n)))
                rc = render_nodes(r, n->children, n->child_count);
            break;
        case N_PARTIAL:
            if (r->pre && r->pre->partial && !strcmp(n->name, r->pre->partial)) {
                buf_add(r->out, r->pre->html, r->pre->len);
                break;
            }
            if (++r->partials > MAX_DEPTH)
                return ERR_TOOBIG;
            rc = render_nodes(r, r->set->tpls[n->partial].nodes, r->set->tpls[n->partial].count);
            r->partials--;
            break;
        }
        if (rc)
            return rc;
    }
    return 0;
}

int tpl_render(const struct tpl_set *set, const char *name, json_t *data, struct buf *out)
{
    return tpl_render_with(set, name, data, NULL, out);
}

int tpl_render_with(const struct tpl_set *set, const char *name, json_t *data,
                    const struct tpl_prerendered *pre, struct buf *out)
{
    int idx = find_tpl(set, name);
    if (idx < 0)
        return ERR_NOTFOUND;
    struct render r = {.set = set, .pre = pre, .out = out};
    r.stack[r.depth++] = data;
    const struct tpl *t = &set->tpls[idx];
    return render_nodes(&r, t->nodes, t->count);
}
