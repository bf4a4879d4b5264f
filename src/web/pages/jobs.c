/* Dead jobs (superusers): the jobs of both queues whose attempts are used up, newest first,
 * with their error, and per job "Retry" (due now with fresh attempts) or "Discard"
 * (jobs/queue.h: queue_dead_list, queue_dead_retry, queue_dead_discard). */
#include <inttypes.h>
#include <string.h>

#include "core/err.h"
#include "core/utf8.h"
#include "jobs/queue.h"
#include "web/pages/shop_forms.h"
#include "web/routes.h"
#include "core/banned.h"

enum { SHOWN = 500, PAYLOAD_CHARS = 160 };

static const char *const queue_names[] = {QUEUE_DEFAULT, QUEUE_SENDING};
enum { QUEUE_COUNT = sizeof queue_names / sizeof *queue_names };

static json_t *job_json(struct web_page *p, const struct job *j)
{
    const char *payload = j->payload ? j->payload : "";
    size_t len = strlen(payload), cut = utf8_prefix_chars(payload, len, PAYLOAD_CHARS);
    if (cut < len)
        payload = arena_sprintf(p->arena, "%.*s…", (int)cut, payload);
    return json_pack("{s:I, s:o, s:o, s:o, s:i, s:i, s:o, s:o}", "id", (json_int_t)j->id, "queue",
                     web_json_str(j->queue), "kind", web_json_str(j->kind), "payload",
                     web_json_str(payload), "attempts", j->attempts, "max_attempts",
                     j->max_attempts, "error", web_json_str(j->last_error), "died_at",
                     web_json_time(j->updated_ms / 1000));
}

void page_jobs(struct web_page *p)
{
    struct job *dead = arena_calloc(p->arena, SHOWN + 1, sizeof *dead);
    size_t n = 0;
    const char *problem = NULL;
    struct queue *q = web_queue_lock(p, &problem);
    int rc = q ? queue_dead_list(q, dead, SHOWN + 1, &n, p->arena) : ERR_NETWORK;
    if (q && rc)
        problem = arena_sprintf(p->arena, "the job queue failed (%s)", queue_errmsg(q));
    const char *backend = q ? queue_backend_name(q) : NULL;
    web_queue_unlock(p);
    if (rc) {
        web_internal_error(p, problem);
        return;
    }
    size_t shown = n > SHOWN ? SHOWN : n;
    int64_t per_queue[QUEUE_COUNT] = {0};
    json_t *rows = json_array();
    for (size_t i = 0; i < shown; i++) {
        json_array_append_new(rows, job_json(p, &dead[i]));
        for (int k = 0; k < QUEUE_COUNT; k++)
            per_queue[k] += dead[i].queue && !strcmp(dead[i].queue, queue_names[k]);
    }
    json_t *counts = json_array();
    for (int k = 0; k < QUEUE_COUNT; k++)
        json_array_append_new(counts, json_pack("{s:s, s:I}", "queue", queue_names[k], "count",
                                                (json_int_t)per_queue[k]));
    json_object_set_new(p->data, "rows", rows);
    json_object_set_new(p->data, "counts", counts);
    json_object_set_new(p->data, "count", json_integer((json_int_t)shown));
    json_object_set_new(p->data, "more", json_boolean(n > SHOWN));
    json_object_set_new(p->data, "backend", web_json_str(backend));
    web_breadcrumb(p, "Dashboard", "/");
    web_render(p, "jobs", "Dead jobs");
}

/* POST /jobs/{id}/retry and /jobs/{id}/discard (asks first). */
static void settle(struct web_page *p, bool retry)
{
    int64_t id;
    if (!shop_page_id(p, "There is no such job.", &id))
        return;
    if (!retry &&
        !web_confirmed(p,
                       arena_sprintf(p->arena,
                                     "Discard dead job #%" PRId64 "? Its work will never be done.",
                                     id),
                       "Discard", "/jobs"))
        return;
    const char *problem = NULL;
    struct queue *q = web_queue_lock(p, &problem);
    int rc = !q ? ERR_NETWORK : retry ? queue_dead_retry(q, id) : queue_dead_discard(q, id);
    if (q && rc && rc != ERR_NOTFOUND)
        problem = arena_sprintf(p->arena, "the job queue failed (%s)", queue_errmsg(q));
    web_queue_unlock(p);
    if (rc == ERR_NOTFOUND) {
        web_redirect(p, "/jobs",
                     arena_sprintf(p->arena,
                                   "Job #%" PRId64 " is not dead (any more): nothing was done.",
                                   id));
        return;
    }
    if (rc) {
        web_internal_error(p, problem);
        return;
    }
    web_audit(p, retry ? "retry" : "discard", "job", id, "%s dead job",
              retry ? "retried" : "discarded");
    web_redirect(p, "/jobs",
                 arena_sprintf(p->arena,
                               retry ? "Job #%" PRId64 " is due again with fresh attempts."
                                     : "Job #%" PRId64 " is discarded.",
                               id));
}

void page_job_retry(struct web_page *p)
{
    settle(p, true);
}

void page_job_discard(struct web_page *p)
{
    settle(p, false);
}
