#include "sandbox/faults.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "sandbox/botapi.h"
#include "core/banned.h"

enum { MAX_RETRY_AFTER = 3600, MAX_DELAY_MS = 60000 };

static int bad(struct buf *err, const char *key, const char *value, const char *expected)
{
    buf_addf(err, "fault %s must be %s, got \"%s\"", key, expected, value);
    return ERR_INVALID;
}

static int int_field(const char *key, const char *value, int64_t min, int64_t max, int *out,
                     const char *expected, struct buf *err)
{
    int64_t n;
    if (parse_int64(value, &n) || n < min || n > max)
        return bad(err, key, value, expected);
    *out = (int)n;
    return 0;
}

static int copy_text(char *out, size_t size, const char *key, const char *value, struct buf *err)
{
    size_t len = strlen(value);
    if (len >= size || !utf8_valid(value, len))
        return bad(err, key, value, "UTF-8 text shorter than its limit");
    memcpy(out, value, len + 1);
    return 0;
}

int fault_set_field(struct sandbox_fault *f, const char *key, const char *value, struct buf *err)
{
    if (!strcmp(key, "method")) {
        const char *name = *value ? botapi_method_name(value) : "";
        if (!strcmp(name, "unknown"))
            return bad(err, key, value, "a Bot API method the sandbox emulates, or empty");
        return copy_text(f->method, sizeof f->method, key, name, err);
    }
    if (!strcmp(key, "chat_id")) {
        int64_t id;
        if (parse_int64(value, &id))
            return bad(err, key, value, "a chat id");
        f->chat_id = id;
        return 0;
    }
    if (!strcmp(key, "status")) {
        if (int_field(key, value, 0, 599, &f->status, "0 or an HTTP status 400-599", err))
            return ERR_INVALID;
        return f->status && f->status < 400 ? bad(err, key, value, "0 or an HTTP status 400-599")
                                            : 0;
    }
    if (!strcmp(key, "description"))
        return copy_text(f->description, sizeof f->description, key, value, err);
    if (!strcmp(key, "retry_after"))
        return int_field(key, value, 0, MAX_RETRY_AFTER, &f->retry_after, "0-3600 seconds", err);
    if (!strcmp(key, "global"))
        return parse_bool(value, &f->global) ? bad(err, key, value, "true or false") : 0;
    if (!strcmp(key, "first"))
        return int_field(key, value, 0, 1000000000, &f->first, "a count >= 0", err);
    if (!strcmp(key, "share")) {
        if (parse_double(value, &f->share) || !(f->share >= 0 && f->share <= 1))
            return bad(err, key, value, "a share from 0 to 1");
        return 0;
    }
    if (!strcmp(key, "delay_ms"))
        return int_field(key, value, 0, MAX_DELAY_MS, &f->delay_ms, "0-60000", err);
    buf_addf(err,
             "unknown fault field \"%s\" (method, chat_id, status, description, retry_after, "
             "global, first, share, delay_ms)",
             key);
    return ERR_INVALID;
}

int sandbox_fault_parse(struct sandbox_fault *out, const char *spec, struct buf *err)
{
    memset(out, 0, sizeof *out);
    char *copy = xstrdup(spec);
    int rc = 0;
    char *save = NULL;
    for (char *pair = strtok_r(copy, ",", &save); pair && !rc; pair = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(pair, '=');
        if (!eq) {
            buf_addf(err, "fault rules are key=value,key=value; \"%s\" has no '='", pair);
            rc = ERR_INVALID;
            break;
        }
        *eq = '\0';
        rc = fault_set_field(out, pair, eq + 1, err);
    }
    free(copy);
    return rc;
}

/* Checks a rule filled in from C and sets out to it with the canonical method name. */
static int fault_check(struct sandbox_fault *out, const struct sandbox_fault *f, struct buf *err)
{
    if (!memchr(f->method, '\0', sizeof f->method) ||
        !memchr(f->description, '\0', sizeof f->description)) {
        buf_adds(err, "fault method and description must be terminated strings");
        return ERR_INVALID;
    }
    *out = *f;
    if (fault_set_field(out, "method", f->method, err) ||
        fault_set_field(out, "description", f->description, err))
        return ERR_INVALID;
    if (f->status < 0 || (f->status && f->status < 400) || f->status > 599) {
        buf_addf(err, "fault status must be 0 or an HTTP status 400-599, got %d", f->status);
        return ERR_INVALID;
    }
    if (f->retry_after < 0 || f->retry_after > MAX_RETRY_AFTER || f->first < 0 ||
        !(f->share >= 0 && f->share <= 1) || f->delay_ms < 0 || f->delay_ms > MAX_DELAY_MS) {
        buf_adds(err, "fault retry_after is 0-3600, first >= 0, share 0..1, delay_ms 0-60000");
        return ERR_INVALID;
    }
    return 0;
}

int faults_set(struct world *w, const struct sandbox_fault *rules, size_t count, struct buf *err)
{
    if (count > SANDBOX_MAX_FAULTS) {
        buf_addf(err, "at most %d fault rules", SANDBOX_MAX_FAULTS);
        return ERR_INVALID;
    }
    struct sandbox_fault checked[SANDBOX_MAX_FAULTS];
    for (size_t i = 0; i < count; i++)
        if (fault_check(&checked[i], &rules[i], err))
            return ERR_INVALID;
    for (size_t i = 0; i < count; i++)
        w->faults[i] = (struct world_fault){.rule = checked[i]};
    w->fault_count = count;
    return 0;
}

json_t *faults_json(const struct world *w)
{
    json_t *rules = json_array();
    for (size_t i = 0; i < w->fault_count; i++) {
        const struct world_fault *wf = &w->faults[i];
        const struct sandbox_fault *f = &wf->rule;
        json_array_append_new(
            rules,
            json_pack("{s:s, s:I, s:i, s:s, s:i, s:b, s:i, s:f, s:i, s:I, s:I}", "method",
                      f->method, "chat_id", (json_int_t)f->chat_id, "status", f->status,
                      "description", f->description, "retry_after", f->retry_after, "global",
                      f->global, "first", f->first, "share", f->share, "delay_ms", f->delay_ms,
                      "matched", (json_int_t)wf->matched, "hits", (json_int_t)wf->hits));
    }
    return rules;
}

/* Whether the rule's next matching call is hit; counts it. */
static bool fault_fires(struct world_fault *wf)
{
    const struct sandbox_fault *f = &wf->rule;
    wf->matched++;
    if (f->first > 0)
        return wf->matched <= f->first;
    if (f->share <= 0 || f->share >= 1)
        return true;
    wf->share_acc += f->share;
    if (wf->share_acc < 1 - 1e-9)
        return false;
    wf->share_acc -= 1;
    return true;
}

void faults_draw(struct world *w, const char *method, int64_t chat_id, struct fault_hit *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < w->fault_count; i++) {
        struct world_fault *wf = &w->faults[i];
        const struct sandbox_fault *f = &wf->rule;
        if ((f->method[0] && strcmp(f->method, method)) || (f->chat_id && f->chat_id != chat_id))
            continue;
        if (!fault_fires(wf))
            continue;
        wf->hits++;
        if (f->delay_ms > out->delay_ms)
            out->delay_ms = f->delay_ms;
        if (f->status && !out->status) {
            out->status = f->status;
            out->retry_after = f->retry_after ? f->retry_after : 1;
            out->global = f->global;
            out->description = f->description[0] ? f->description : NULL;
        }
    }
    if (out->status)
        w->faults_injected++;
}

static void add_violation(struct world *w, const char *method, int64_t chat_id, int64_t early_ms,
                          bool global)
{
    if (!w->violations)
        w->violations = xcalloc(MAX_FLOOD_VIOLATIONS, sizeof *w->violations);
    struct flood_violation *v = &w->violations[w->violation_count++ % MAX_FLOOD_VIOLATIONS];
    size_t len = strlen(method);
    if (len >= sizeof v->method)
        len = sizeof v->method - 1;
    memcpy(v->method, method, len);
    v->method[len] = '\0';
    v->chat_id = chat_id;
    v->early_ms = early_ms;
    v->global = global;
}

void flood_check(struct world *w, const char *method, struct sb_chat *chat)
{
    int64_t now = clock_mono_ms();
    if (chat && chat->flood_until_ms > now)
        add_violation(w, method, chat->id, chat->flood_until_ms - now, false);
    else if (w->flood_until_ms > now && strcmp(method, "getUpdates"))
        add_violation(w, method, chat ? chat->id : 0, w->flood_until_ms - now, true);
}

void flood_ban(struct world *w, struct sb_chat *chat, int seconds)
{
    int64_t until = clock_mono_ms() + (int64_t)seconds * 1000;
    int64_t *slot = chat ? &chat->flood_until_ms : &w->flood_until_ms;
    if (until > *slot)
        *slot = until;
}

json_t *flood_json(const struct world *w)
{
    json_t *calls = json_array();
    int64_t kept =
        w->violation_count < MAX_FLOOD_VIOLATIONS ? w->violation_count : MAX_FLOOD_VIOLATIONS;
    for (int64_t i = w->violation_count - kept; i < w->violation_count; i++) {
        const struct flood_violation *v = &w->violations[i % MAX_FLOOD_VIOLATIONS];
        json_array_append_new(calls, json_pack("{s:s, s:I, s:I, s:b}", "method", v->method,
                                               "chat_id", (json_int_t)v->chat_id, "early_ms",
                                               (json_int_t)v->early_ms, "global", v->global));
    }
    return json_pack("{s:I, s:o}", "violations", (json_int_t)w->violation_count, "calls", calls);
}
