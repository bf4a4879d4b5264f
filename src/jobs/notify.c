#include <jansson.h>
#include <stdlib.h>

#include "core/err.h"
#include "core/log.h"
#include "jobs/notify.h"
#include "tg/client.h"
#include "core/banned.h"

int notify_enqueue(struct queue *q, int64_t chat_id, const char *html, const char *unique_key)
{
    json_t *payload = json_pack("{s:I, s:s}", "chat_id", (json_int_t)chat_id, "text", html);
    char *text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);
    if (!text)
        return ERR_INVALID; /* not UTF-8 */
    struct job_spec spec = {.queue = QUEUE_SENDING,
                            .kind = NOTIFY_KIND,
                            .payload = text,
                            .max_attempts = 8,
                            .unique_key = unique_key};
    int rc = queue_enqueue(q, &spec, NULL);
    free(text);
    return rc;
}

enum job_result notify_result_of(struct job_run *run, const struct tg_result *r)
{
    switch (r->kind) {
    case TG_OK:
    case TG_NOT_MODIFIED:
        return JOB_DONE;
    case TG_FLOOD:
        queue_rate_hold(run->queue, r->retry_after * 1000LL);
        buf_setf(run->error, "429: retry after %d s", r->retry_after);
        return JOB_RETRY;
    case TG_SERVER:
    case TG_NETWORK:
    case TG_TIMEOUT:
        buf_setf(run->error, "%d: %s", r->error_code, r->description);
        return JOB_RETRY;
    default:
        buf_setf(run->error, "%d: %s", r->error_code, r->description);
        return JOB_FAILED;
    }
}

enum job_result notify_message_job(void *ctx, struct job_run *run, const struct job *job)
{
    const struct notify_ctx *n = ctx;
    json_error_t jerr;
    json_t *payload = json_loads(job->payload, 0, &jerr);
    json_int_t chat_id = 0;
    const char *text = NULL;
    if (!payload || json_unpack(payload, "{s:I, s:s}", "chat_id", &chat_id, "text", &text)) {
        json_decref(payload);
        buf_setf(run->error, "bad payload: needs chat_id and text");
        return JOB_FAILED;
    }
    enum job_result result = JOB_RETRY;
    if (!run->tg) {
        buf_setf(run->error, "this worker has no Bot API client (no BOT_TOKEN)");
        result = JOB_FAILED;
    } else if (queue_rate_wait(run->queue, n->send_rate, (int64_t)chat_id, run->stopping)) {
        result = job_run_stopping(run) ? JOB_HAND_BACK : JOB_RETRY;
        buf_setf(run->error, "%s", queue_errmsg(run->queue));
    } else {
        struct tg_send_options opt = {.parse_mode = TG_PARSE_HTML, .disable_link_preview = true};
        tg_send_message(run->tg, NULL, (int64_t)chat_id, text, &opt);
        result = notify_result_of(run, tg_client_result(run->tg));
    }
    json_decref(payload);
    return result;
}
