/* Mailings: drafts (Telegram HTML text, an optional URL button, an audience), a preview
 * with the audience's size, a test message to the staff member's own Telegram id, "Send"
 * (scheduled now or at a time; the job workers send it), back to draft, pause, resume,
 * cancel, delete; the progress bar of the counters (live on the mailing's page:
 * static/mailing.js polls GET /mailings/ID/progress) and the end report. The rules are the
 * domain's (shop/mailing.h). */
#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/utf8.h"
#include "shop/customer.h"
#include "shop/mailing.h"
#include "shop/order_query.h"
#include "tg/client.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "core/banned.h"

static const struct web_column columns[] = {
    {"text", "Text", NULL, false},         {"status", "Status", NULL, false},
    {"audience", "Audience", NULL, false}, {"when", "Scheduled for", NULL, false},
    {"progress", "Progress", NULL, false}, {"created", "Created", "created_at", true},
};

static const char *audience_label(enum mailing_audience a)
{
    return a == MAILING_TO_BUYERS       ? "customers who bought"
           : a == MAILING_TO_NON_BUYERS ? "customers who never bought"
                                        : "every customer";
}

/* The first words of a text for a list. */
static const char *excerpt(struct web_page *p, const char *text)
{
    enum { CHARS = 80 };
    size_t len = strlen(text), cut = utf8_prefix_chars(text, len, CHARS);
    return cut < len ? arena_sprintf(p->arena, "%.*s…", (int)cut, text) : text;
}

/* A character reference at s ("&amp;", "&#8364;") appended decoded to out: its length, or 0
 * when s starts none (the '&' is then itself). */
static size_t reference(const char *s, struct buf *out)
{
    static const char *const named[][2] = {
        {"&lt;", "<"}, {"&gt;", ">"}, {"&amp;", "&"}, {"&quot;", "\""}};
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (!strncmp(s, named[i][0], strlen(named[i][0]))) {
            buf_adds(out, named[i][1]);
            return strlen(named[i][0]);
        }
    if (s[1] != '#')
        return 0;
    bool hex = s[2] == 'x' || s[2] == 'X';
    size_t digits = strspn(s + 2 + hex, hex ? "0123456789abcdefABCDEF" : "0123456789");
    int64_t cp = 0;
    if (!digits || digits > 7 || s[2 + hex + digits] != ';')
        return 0;
    for (size_t i = 0; i < digits; i++) {
        char c = s[2 + hex + i];
        cp = cp * (hex ? 16 : 10) + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    if (cp <= 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    utf8_encode(out, (unsigned)cp);
    return 2 + (size_t)hex + digits + 1;
}

/* The value of attribute name="..." in a tag's text, in a; NULL when absent. */
static const char *attribute(struct web_page *p, const char *tag, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i + n + 2 < len; i++)
        if (!strncmp(tag + i, name, n) && tag[i + n] == '=' &&
            (tag[i + n + 1] == '"' || tag[i + n + 1] == '\'')) {
            const char *v = tag + i + n + 2;
            const char *end = memchr(v, tag[i + n + 1], len - (size_t)(v - tag));
            return end ? arena_strndup(p->arena, v, (size_t)(end - v)) : NULL;
        }
    return NULL;
}

/* The preview of Telegram HTML (already checked by the domain) as segments of plain text
 * with the formats in force: the template escapes the text and maps the formats to CSS
 * classes, so nothing of the staff's markup reaches the page as markup. */
static json_t *preview(struct web_page *p, const char *text)
{
    static const char *const formats[][2] = {
        {"b", "fmt-b"},          {"strong", "fmt-b"},
        {"i", "fmt-i"},          {"em", "fmt-i"},
        {"u", "fmt-u"},          {"ins", "fmt-u"},
        {"s", "fmt-s"},          {"strike", "fmt-s"},
        {"del", "fmt-s"},        {"code", "fmt-code"},
        {"pre", "fmt-code"},     {"tg-spoiler", "fmt-spoiler"},
        {"span", "fmt-spoiler"}, {"blockquote", "fmt-quote"},
        {"a", "fmt-link"},
    };
    enum { DEPTH = 32 };
    const char *stack[DEPTH], *href[DEPTH];
    int depth = 0;
    json_t *segments = json_array();
    struct buf run = BUF_INIT;
    const char *link = NULL;
    for (const char *s = text;;) {
        if (*s == '<' || !*s) {
            if (run.len) {
                struct buf classes = BUF_INIT;
                for (int i = 0; i < depth; i++)
                    if (stack[i])
                        buf_addf(&classes, "%s%s", classes.len ? " " : "", stack[i]);
                json_t *seg = json_pack("{s:s, s:s}", "text", run.data, "classes", classes.data);
                if (seg && link)
                    json_object_set_new(seg, "href", json_string(link));
                if (seg)
                    json_array_append_new(segments, seg);
                buf_release(&classes);
                buf_reset(&run);
            }
            if (!*s)
                break;
            const char *end = strchr(s, '>');
            if (!end)
                break;
            if (s[1] == '/') {
                if (depth)
                    depth--;
            } else if (depth < DEPTH) {
                size_t n = strcspn(s + 1, " \t\n>");
                stack[depth] = NULL;
                for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
                    if (strlen(formats[i][0]) == n && !strncasecmp(s + 1, formats[i][0], n))
                        stack[depth] = formats[i][1];
                const char *url = n == 1 && (s[1] == 'a' || s[1] == 'A')
                                      ? attribute(p, s, (size_t)(end - s), "href")
                                      : NULL;
                href[depth] = url && (!strncmp(url, "https://", 8) || !strncmp(url, "http://", 7))
                                  ? url
                                  : NULL;
                depth++;
            }
            link = NULL;
            for (int i = 0; i < depth; i++)
                if (href[i])
                    link = href[i];
            s = end + 1;
        } else if (*s == '&') {
            size_t n = reference(s, &run);
            if (!n)
                buf_addc(&run, '&');
            s += n ? n : 1;
        } else {
            buf_addc(&run, *s++);
        }
    }
    buf_release(&run);
    return segments;
}

enum { BAR_WIDTH = 1000 }; /* the progress bar's SVG units (static/mailing.js: the same) */

/* A mailing that is sending with paused_at set shows as "paused". */
static bool is_paused(const struct mailing *m)
{
    return m->status == MAILING_SENDING && m->paused_at;
}

static const char *status_label(const struct mailing *m)
{
    return is_paused(m) ? "paused" : mailing_status_name(m->status);
}

/* The counters and the stacked bar (sent, failed, blocked, then pending) of a mailing: what
 * the page shows and GET /mailings/ID/progress answers. */
static json_t *progress_json(const struct mailing *m)
{
    int64_t done = m->sent + m->failed + m->blocked, total = m->total;
    int64_t scale = total > done ? total : done; /* never wider than the bar */
    int64_t sent_w = scale ? m->sent * BAR_WIDTH / scale : 0,
            failed_w = scale ? m->failed * BAR_WIDTH / scale : 0,
            blocked_w = scale ? m->blocked * BAR_WIDTH / scale : 0;
    return json_pack(
        "{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I, s:I, s:I}}", "status",
        status_label(m), "live", m->status == MAILING_SCHEDULED || m->status == MAILING_SENDING,
        "total", (json_int_t)total, "sent", (json_int_t)m->sent, "failed", (json_int_t)m->failed,
        "blocked", (json_int_t)m->blocked, "pending", (json_int_t)m->pending, "done",
        (json_int_t)done, "percent", (json_int_t)(scale ? done * 100 / scale : 0), "bar", "sent",
        (json_int_t)sent_w, "failed_x", (json_int_t)sent_w, "failed", (json_int_t)failed_w,
        "blocked_x", (json_int_t)(sent_w + failed_w), "blocked", (json_int_t)blocked_w);
}

/* The buttons of the state's moves, in order: {action (the POST path's last part), label,
 * style (a button class)}. Sending (now or at a time) has its own forms. */
static json_t *actions_json(const struct mailing *m)
{
    const struct {
        const char *action, *label, *style;
        bool shown;
    } all[] = {
        {"unschedule", "Back to draft", "secondary", m->status == MAILING_SCHEDULED},
        {"pause", "Pause", "secondary", m->status == MAILING_SENDING && !m->paused_at},
        {"resume", "Resume", "", is_paused(m)},
        {"cancel", "Cancel", "danger", mailing_transition_allowed(m->status, MAILING_CANCELLED)},
        {"delete", "Delete", "danger",
         m->status != MAILING_SCHEDULED && m->status != MAILING_SENDING},
    };
    json_t *out = json_array();
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (all[i].shown)
            json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "action", all[i].action,
                                                 "label", all[i].label, "style", all[i].style));
    return out;
}

static json_t *mailing_json(struct web_page *p, const struct mailing *m)
{
    json_t *o = json_pack(
        "{s:I, s:o, s:o, s:s, s:s, s:o, s:o}", "id", (json_int_t)m->id, "text",
        web_json_str(m->text), "excerpt", web_json_str(excerpt(p, m->text)), "audience",
        mailing_audience_name(m->audience), "audience_label", audience_label(m->audience),
        "scheduled_at", web_json_time(m->scheduled_at), "created_at", web_json_time(m->created_at));
    json_object_set_new(o, "progress", progress_json(m));
    json_object_set_new(o, "status", json_string(status_label(m)));
    json_object_set_new(o, "button_text", web_json_str(m->button_text));
    json_object_set_new(o, "button_url", web_json_str(m->button_url));
    json_object_set_new(o, "language", web_json_str(m->language));
    json_object_set_new(o, "is_draft", json_boolean(m->status == MAILING_DRAFT));
    json_object_set_new(o, "actions", actions_json(m));
    return o;
}

void page_mailings(struct web_page *p)
{
    struct web_list list;
    web_list_begin(p, &list, columns, sizeof columns / sizeof *columns, "created", "id");
    struct mailing *rows;
    int n;
    int64_t total;
    if (mailing_list(p->db, p->arena, shop_page_offset(&list), (int)list.per_page, &rows, &n,
                     &total)) {
        web_db_error(p, "listing mailings");
        return;
    }
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, mailing_json(p, &rows[i]));
    json_object_set_new(p->data, "rows", out);
    web_list_finish(p, &list, total);
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "mailings", "Mailings");
}

/* Languages of customers as choices, `selected` marked. */
static int language_options(struct web_page *p, const char *selected)
{
    char **codes;
    int n;
    int rc = customer_languages(p->db, p->arena, &codes, &n);
    if (rc)
        return rc;
    json_t *out = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(out, json_pack("{s:s, s:b}", "code", codes[i], "selected",
                                             selected && !strcmp(selected, codes[i])));
    json_object_set_new(p->data, "languages", out);
    return 0;
}

static void render_form(struct web_page *p, int64_t id, const char *language)
{
    if (language_options(p, language)) {
        web_db_error(p, "listing languages");
        return;
    }
    json_object_set_new(p->data, "mailing_id", json_integer(id));
    web_breadcrumb(p, "Mailings", "/mailings");
    web_render(p, "mailing_form", id ? "Edit the draft" : "New mailing");
}

void page_mailing_new_form(struct web_page *p)
{
    json_object_set_new(p->data, "form", json_pack("{s:b}", "audience_all", 1));
    render_form(p, 0, NULL);
}

static bool load(struct web_page *p, struct mailing *out)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such mailing.", &id))
        return false;
    int rc = mailing_get(p->db, p->arena, id, out);
    if (rc) {
        struct listing_problem why = {.message = "There is no such mailing."};
        shop_page_refused(p, rc, &why, "loading a mailing");
    }
    return rc == 0;
}

/* "YYYY-MM-DD" as that day's first second, for the form. */
static const char *day_text(struct web_page *p, int64_t t)
{
    char iso[32];
    if (!t)
        return "";
    clock_format_iso(t, iso, sizeof iso);
    return arena_strndup(p->arena, iso, 10);
}

void page_mailing_edit(struct web_page *p)
{
    struct mailing m;
    if (!load(p, &m))
        return;
    json_t *form =
        json_pack("{s:o, s:o, s:o, s:s, s:s}", "text", web_json_str(m.text), "button_text",
                  web_json_str(m.button_text), "button_url", web_json_str(m.button_url),
                  "ordered_from", day_text(p, m.ordered_from), "ordered_to",
                  day_text(p, m.ordered_to ? m.ordered_to - 1 : 0));
    json_object_set_new(form,
                        arena_sprintf(p->arena, "audience_%s", mailing_audience_name(m.audience)),
                        json_true());
    json_object_set_new(p->data, "form", form);
    render_form(p, m.id, m.language);
}

/* A date field of the form as UTC seconds (the day's start, or the next day's with end). */
static int64_t form_day(struct web_page *p, const char *name, bool end)
{
    const char *s = web_form_text(p, name);
    int64_t t = 0;
    if (*s && order_filter_parse_date(s, end, &t))
        web_field_error(p, name, "Give a date as YYYY-MM-DD.");
    return *s && end ? t + 1 : t;
}

static void save(struct web_page *p, int64_t id)
{
    struct mailing_input in = {
        .id = id,
        .text = http_form(p->req, "text") ? http_form(p->req, "text") : "",
        .button_text = web_form_text(p, "button_text"),
        .button_url = web_form_text(p, "button_url"),
        .language = web_form_text(p, "language"),
        .ordered_from = form_day(p, "ordered_from", false),
        .ordered_to = form_day(p, "ordered_to", true),
        .created_by = p->user->id,
    };
    if (mailing_audience_parse(web_form_text(p, "audience"), &in.audience))
        web_field_error(p, "audience", "Choose who receives the mailing.");
    struct listing_problem why = {0};
    int64_t saved = 0;
    int rc = web_has_errors(p) ? ERR_INVALID : mailing_save(p->db, &in, &saved, &why);
    if (rc && (web_has_errors(p) || shop_page_refused(p, rc, &why, "saving a mailing"))) {
        web_form_keep(p);
        json_object_set_new(
            json_object_get(p->data, "form"),
            arena_sprintf(p->arena, "audience_%s", mailing_audience_name(in.audience)),
            json_true());
        p->res->status = 400;
        render_form(p, id, in.language);
        return;
    }
    if (rc)
        return;
    web_audit(p, id ? "update" : "create", "mailing", saved, "draft for %s",
              audience_label(in.audience));
    web_redirect(p, arena_sprintf(p->arena, "/mailings/%" PRId64, saved), "The draft is saved.");
}

void page_mailing_create(struct web_page *p)
{
    save(p, 0);
}

void page_mailing_update(struct web_page *p)
{
    int64_t id;
    if (shop_page_id(p, "There is no such mailing.", &id))
        save(p, id);
}

/* "1 h 02 min", "3 min 12 s", "45 s". */
static const char *duration_text(struct web_page *p, int64_t s)
{
    if (s >= 3600)
        return arena_sprintf(p->arena, "%" PRId64 " h %02" PRId64 " min", s / 3600, s % 3600 / 60);
    if (s >= 60)
        return arena_sprintf(p->arena, "%" PRId64 " min %" PRId64 " s", s / 60, s % 60);
    return arena_sprintf(p->arena, "%" PRId64 " s", s);
}

enum { REPORT_ERRORS = 10 };

/* The end report of a finished (or cancelled) mailing: when it ran, how long, how fast, and
 * the most common reasons deliveries failed. NULL when the database fails. */
static json_t *end_report(struct web_page *p, const struct mailing *m)
{
    struct mailing_error_count *errors;
    int n;
    if (mailing_errors(p->db, p->arena, m->id, REPORT_ERRORS, &errors, &n))
        return NULL;
    int64_t end = m->finished_at ? m->finished_at : m->updated_at;
    int64_t seconds = end > m->started_at ? end - m->started_at : 0;
    json_t *list = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(list, json_pack("{s:o, s:I}", "error", web_json_str(errors[i].error),
                                              "count", (json_int_t)errors[i].count));
    /* messages a second, to a tenth; under a second counts as one */
    int64_t tenths = m->sent * 10 / (seconds ? seconds : 1);
    return json_pack("{s:o, s:o, s:s, s:s, s:b, s:o}", "started_at", web_json_time(m->started_at),
                     "finished_at", web_json_time(m->finished_at), "duration",
                     duration_text(p, seconds), "rate",
                     arena_sprintf(p->arena, "%" PRId64 ".%" PRId64, tenths / 10, tenths % 10),
                     "has_errors", n > 0, "errors", list);
}

/* GET /mailings/{id}/progress: the counters as JSON, polled by static/mailing.js. */
void page_mailing_progress(struct web_page *p)
{
    struct mailing m;
    if (load(p, &m))
        web_json_reply(p, progress_json(&m));
}

void page_mailing(struct web_page *p)
{
    struct mailing m;
    if (!load(p, &m))
        return;
    int64_t reach = 0;
    if (mailing_audience_count(p->db, m.id, &reach)) {
        web_db_error(p, "counting a mailing's audience");
        return;
    }
    json_t *o = mailing_json(p, &m);
    json_object_set_new(o, "reach", json_integer(reach));
    json_object_set_new(o, "preview", preview(p, m.text));
    if ((m.status == MAILING_DONE || m.status == MAILING_CANCELLED) && m.started_at) {
        json_t *report = end_report(p, &m);
        if (!report) {
            web_db_error(p, "reading a mailing's errors");
            json_decref(o);
            return;
        }
        json_object_set_new(o, "report", report);
    }
    json_object_set_new(p->data, "mailing", o);
    web_breadcrumb(p, "Mailings", "/mailings");
    web_render(p, "mailing", arena_sprintf(p->arena, "Mailing #%" PRId64, m.id));
}

/* "YYYY-MM-DDTHH:MM" (a datetime-local field, UTC) as seconds; 0 and a field error when bad. */
static int64_t form_time(struct web_page *p, const char *name)
{
    const char *s = web_form_text(p, name);
    int64_t day = 0, hours = 0, minutes = 0;
    char date[11];
    if (strlen(s) == 16 && s[10] == 'T' && s[13] == ':') {
        memcpy(date, s, 10);
        date[10] = '\0';
        if (!order_filter_parse_date(date, false, &day) && !parse_int64_n(s + 11, 2, &hours) &&
            !parse_int64_n(s + 14, 2, &minutes) && hours >= 0 && hours < 24 && minutes >= 0 &&
            minutes < 60)
            return day + hours * 3600 + minutes * 60;
    }
    web_field_error(p, name, "Give the time as YYYY-MM-DDTHH:MM (UTC).");
    return 0;
}

/* POST /mailings/{id}/schedule: now=1, or at=YYYY-MM-DDTHH:MM. */
void page_mailing_schedule(struct web_page *p)
{
    struct mailing m;
    if (!load(p, &m))
        return;
    int64_t now = clock_now();
    int64_t at = web_form_checked(p, "now") ? 0 : form_time(p, "at");
    struct listing_problem why = {0};
    int rc = web_has_errors(p) ? ERR_INVALID : mailing_schedule(p->db, m.id, at, now, &why);
    const char *back = arena_sprintf(p->arena, "/mailings/%" PRId64, m.id);
    if (rc == ERR_INVALID || rc == ERR_CONFLICT) {
        const char *message = web_has_errors(p) ? "Give the time as YYYY-MM-DDTHH:MM (UTC)."
                                                : arena_sprintf(p->arena, "%s.", why.message);
        web_redirect(p, back, message);
        return;
    }
    if (rc) {
        shop_page_refused(p, rc, &why, "scheduling a mailing");
        return;
    }
    web_audit(p, "schedule", "mailing", m.id, "%s",
              at ? arena_sprintf(p->arena, "for %" PRId64, at) : "now");
    web_redirect(p, back,
                 at ? "The mailing is scheduled." : "The mailing is queued to be sent now.");
}

/* POST /mailings/{id}/unschedule, /pause, /resume, /cancel, /delete. */
static void change(struct web_page *p, const char *action)
{
    struct mailing m;
    if (!load(p, &m))
        return;
    struct listing_problem why = {0};
    const char *back = arena_sprintf(p->arena, "/mailings/%" PRId64, m.id), *flash;
    int rc;
    if (!strcmp(action, "unschedule")) {
        rc = mailing_unschedule(p->db, m.id, &why);
        flash = "The mailing is a draft again.";
    } else if (!strcmp(action, "pause")) {
        rc = mailing_pause(p->db, m.id, clock_now(), &why);
        flash = "The mailing is paused: nothing more is sent until you resume it.";
    } else if (!strcmp(action, "resume")) {
        rc = mailing_resume(p->db, m.id, clock_now(), &why);
        flash = "The mailing goes on.";
    } else if (!strcmp(action, "cancel")) {
        if (!web_confirmed(p, "Cancel this mailing? Nobody else will receive it.",
                           "Cancel the mailing", back))
            return;
        rc = mailing_cancel(p->db, m.id, clock_now(), &why);
        flash = "The mailing is cancelled.";
    } else {
        if (!web_confirmed(p, "Delete this mailing?", "Delete", back))
            return;
        rc = mailing_delete(p->db, m.id, &why);
        flash = "The mailing is deleted.";
        back = "/mailings";
    }
    if (rc == ERR_CONFLICT) {
        web_redirect(p, arena_sprintf(p->arena, "/mailings/%" PRId64, m.id),
                     arena_sprintf(p->arena, "%s.", why.message));
        return;
    }
    if (rc) {
        shop_page_refused(p, rc, &why, "changing a mailing");
        return;
    }
    web_audit(p, action, "mailing", m.id, "%s", action);
    web_redirect(p, back, flash);
}

void page_mailing_unschedule(struct web_page *p)
{
    change(p, "unschedule");
}

void page_mailing_pause(struct web_page *p)
{
    change(p, "pause");
}

void page_mailing_resume(struct web_page *p)
{
    change(p, "resume");
}

void page_mailing_cancel(struct web_page *p)
{
    change(p, "cancel");
}

void page_mailing_delete(struct web_page *p)
{
    change(p, "delete");
}

/* POST /mailings/{id}/test (tg_id): the message exactly as recipients will get it. */
void page_mailing_test(struct web_page *p)
{
    struct mailing m;
    if (!load(p, &m))
        return;
    const char *back = arena_sprintf(p->arena, "/mailings/%" PRId64, m.id);
    int64_t chat = 0;
    if (parse_int64(web_form_text(p, "tg_id"), &chat) || chat <= 0) {
        web_redirect(p, back, "Give your Telegram id (a number; @userinfobot tells it).");
        return;
    }
    const char *problem;
    struct tg_client *tg = shop_page_telegram(p, &problem);
    if (!tg) {
        web_redirect(p, back, problem);
        return;
    }
    struct tg_keyboard *kb = NULL;
    if (m.button_text) {
        kb = tg_keyboard_inline();
        tg_keyboard_url(kb, m.button_text, m.button_url);
    }
    struct tg_send_options opt = {.parse_mode = TG_PARSE_HTML, .reply_markup = kb};
    int rc = tg_send_message(tg, NULL, chat, m.text, &opt);
    const char *flash = rc ? arena_sprintf(p->arena, "Telegram did not take the test message: %s.",
                                           tg_client_result(tg)->description)
                           : "The test message is sent: look in your Telegram.";
    tg_keyboard_free(kb);
    tg_client_free(tg);
    if (!rc)
        web_audit(p, "test", "mailing", m.id, "test message to %" PRId64, chat);
    web_redirect(p, back, flash);
}
