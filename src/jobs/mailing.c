#include "jobs/mailing.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "jobs/notify.h"
#include "jobs/queue_backend.h"
#include "shop/mailing.h"
#include "tg/client.h"
#include "core/banned.h"

enum {
    CHECK_MS = 1000, /* state, heartbeat, counters and claims at least this often */
    IDLE_MS = 100,   /* nothing to claim (yet): look again after this */
    NAP_MS = 50,     /* longest sleep between looks at the stop flag */
    /* longest wait for the process's flood control (tg/flood.h) per message: shorter than
     * any retry_after (a second at least), so a 429 is never waited out inside one call to
     * its chat only but comes back here to hold every sender */
    SEND_DEADLINE_MS = 900,
    OUTAGE_MS = 30000,    /* a database or Redis outage this long ends the job (retried) */
    RETRY_MAX_MS = 60000, /* the longest backoff of a delivery */
    JOB_ATTEMPTS = 10,
    REPORT_ERRORS = 3,
};

struct settings {
    int senders, batch, chunk, max_attempts;
    int64_t retry_base_ms, claim_ms, slice_ms;
};

static struct settings settings_of(const struct mailing_jobs *mj)
{
    struct settings s = {
        .senders = mj->senders > 0 ? mj->senders : 8,
        .batch = mj->batch > 0 && mj->batch <= MAILING_BATCH_MAX ? mj->batch : 1000,
        .chunk = mj->chunk > 0 && mj->chunk <= 1000 ? mj->chunk : 50,
        .max_attempts = mj->max_attempts > 0 ? mj->max_attempts : 5,
        .retry_base_ms = mj->retry_base_ms > 0 ? mj->retry_base_ms : 1000,
        .claim_ms = mj->claim_ms > 0 ? mj->claim_ms : 45000,
        .slice_ms = mj->slice_ms > 0 ? mj->slice_ms : 10000,
    };
    if (s.claim_ms < 3 * CHECK_MS)
        s.claim_ms = 3 * CHECK_MS; /* renewed every CHECK_MS: never lapses while alive */
    return s;
}

/* Sleeps ms, or less when the worker stops. */
static void nap(const struct job_run *run, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms, left;
    while (!job_run_stopping(run) && (left = deadline - clock_mono_ms()) > 0)
        clock_sleep_ms(left < NAP_MS ? left : NAP_MS);
}

/* {"mailing_id":N} for the fan-out (sender NULL), {"mailing_id":N,"sender":K} for a sender. */
static int read_payload(struct job_run *run, const struct job *job, int64_t *id, int64_t *sender)
{
    json_t *p = json_loads(job->payload, 0, NULL);
    json_int_t mailing_id = 0, k = 0;
    int rc = p &&
                     !json_unpack(p, sender ? "{s:I, s:I}" : "{s:I, s?:I}", "mailing_id",
                                  &mailing_id, "sender", &k) &&
                     mailing_id > 0 && k >= 0
                 ? 0
                 : ERR_INVALID;
    json_decref(p);
    if (rc)
        buf_setf(run->error, "bad payload: needs mailing_id (and sender for %s)",
                 MAILING_SEND_KIND);
    *id = mailing_id;
    if (sender)
        *sender = k;
    return rc;
}

static int enqueue(struct queue *q, const char *queue, const char *kind, const char *payload,
                   const char *key)
{
    struct job_spec spec = {.queue = queue,
                            .kind = kind,
                            .payload = payload,
                            .max_attempts = JOB_ATTEMPTS,
                            .unique_key = key};
    return queue_enqueue(q, &spec, NULL);
}

int mailing_dispatch(struct queue *q, int64_t mailing_id)
{
    char payload[64], key[64];
    snprintf(payload, sizeof payload, "{\"mailing_id\":%lld}", (long long)mailing_id);
    snprintf(key, sizeof key, "mailing:%lld:fanout", (long long)mailing_id);
    return enqueue(q, QUEUE_DEFAULT, MAILING_FANOUT_KIND, payload, key);
}

static int enqueue_senders(struct queue *q, int64_t mailing_id, int senders)
{
    for (int k = 0; k < senders; k++) {
        char payload[80], key[64];
        snprintf(payload, sizeof payload, "{\"mailing_id\":%lld,\"sender\":%d}",
                 (long long)mailing_id, k);
        snprintf(key, sizeof key, "mailing:%lld:send:%d", (long long)mailing_id, k);
        int rc = enqueue(q, QUEUE_SENDING, MAILING_SEND_KIND, payload, key);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static enum job_result db_trouble(struct job_run *run, const char *what)
{
    buf_setf(run->error, "%s: %s", what, db_errmsg(run->db));
    return JOB_RETRY;
}

/* "1 h 2 min", "3 min 5 s", "9 s" */
static void add_duration(struct buf *b, int64_t s)
{
    if (s < 0)
        s = 0;
    if (s >= 3600)
        buf_addf(b, "%lld h %lld min", (long long)(s / 3600), (long long)(s % 3600 / 60));
    else if (s >= 60)
        buf_addf(b, "%lld min %lld s", (long long)(s / 60), (long long)(s % 60));
    else
        buf_addf(b, "%lld s", (long long)s);
}

/* The end report to every ADMIN_CHAT_IDS chat, once per mailing and chat. */
static void report(const struct mailing_jobs *mj, struct job_run *run, int64_t id)
{
    if (!mj->admin_chat_count)
        return;
    struct mailing m;
    struct mailing_error_count *errors = NULL;
    int n = 0;
    if (mailing_get(run->db, run->arena, id, &m) ||
        mailing_errors(run->db, run->arena, id, REPORT_ERRORS, &errors, &n)) {
        log_warn("mailing %lld: no report: %s", (long long)id, db_errmsg(run->db));
        return;
    }
    struct buf text = BUF_INIT;
    buf_addf(&text, "Mailing #%lld done: %lld sent, %lld failed, %lld blocked of %lld in ",
             (long long)id, (long long)m.sent, (long long)m.failed, (long long)m.blocked,
             (long long)m.total);
    add_duration(&text, m.finished_at - m.started_at);
    buf_adds(&text, ".");
    for (int i = 0; i < n; i++) {
        buf_addf(&text, "\n%lld × ", (long long)errors[i].count);
        buf_add_html_escaped(&text, errors[i].error, strlen(errors[i].error));
    }
    for (size_t i = 0; i < mj->admin_chat_count; i++) {
        char key[80];
        snprintf(key, sizeof key, "mailing-report:%lld:%lld", (long long)id,
                 (long long)mj->admin_chats[i]);
        if (notify_enqueue(run->queue, mj->admin_chats[i], text.data, key) < 0)
            log_warn("mailing %lld: report to %lld not queued: %s", (long long)id,
                     (long long)mj->admin_chats[i], queue_errmsg(run->queue));
    }
    buf_release(&text);
}

/* Ends the mailing if nothing is left to send, with the report. */
static int finish(const struct mailing_jobs *mj, struct job_run *run, int64_t id)
{
    bool finished = false;
    int rc = mailing_finish_if_settled(run->db, id, clock_now(), &finished);
    if (!rc && finished) {
        log_info("mailing %lld done", (long long)id);
        report(mj, run, id);
    }
    return rc;
}

enum job_result mailing_fanout_job(void *ctx, struct job_run *run, const struct job *job)
{
    const struct mailing_jobs *mj = ctx;
    struct settings s = settings_of(mj);
    int64_t id;
    if (read_payload(run, job, &id, NULL))
        return JOB_FAILED;
    struct mailing_progress none = {0};
    struct mailing_state st;
    int rc = mailing_report_progress(run->db, run->arena, id, clock_now(), &none, &st);
    if (rc == ERR_NOTFOUND)
        return JOB_DONE;
    if (rc)
        return db_trouble(run, "mailing state");
    if (st.status != MAILING_SENDING || st.paused)
        return JOB_DONE; /* a resume dispatches it again */
    if (enqueue_senders(run->queue, id, s.senders) < 0) {
        buf_setf(run->error, "enqueueing the senders: %s", queue_errmsg(run->queue));
        return JOB_RETRY;
    }
    int64_t started = clock_mono_ms(), checked = started;
    bool complete = st.fanout_complete;
    while (!complete) {
        if (job_run_stopping(run) || clock_mono_ms() - started >= s.slice_ms)
            return JOB_HAND_BACK;
        if (clock_mono_ms() - checked >= CHECK_MS) {
            if ((rc = mailing_report_progress(run->db, run->arena, id, clock_now(), &none, &st)))
                return rc == ERR_NOTFOUND ? JOB_DONE : db_trouble(run, "mailing state");
            if (st.status != MAILING_SENDING || st.paused)
                return JOB_DONE;
            checked = clock_mono_ms();
        }
        int64_t added;
        if (mailing_fanout_step(run->db, id, s.batch, clock_now(), &added, &complete))
            return db_trouble(run, "fan-out");
    }
    return finish(mj, run, id) ? db_trouble(run, "finishing") : JOB_DONE;
}

/* --- the senders --- */

/* What a sender does next. */
enum verdict { GO_ON, END_DONE, END_HAND_BACK, END_RETRY, END_FAILED };

struct sender {
    struct mailing_jobs *mj;
    struct settings s;
    struct job_run *run;
    int64_t id;
    struct mailing m;
    const char *photo_file_id; /* Telegram's, once known */
    struct tg_keyboard *kb;
    char token[33];
    struct mailing_progress delta; /* recorded since the last report */
    struct mailing_state st;
    int64_t started_ms, checked_ms; /* clock_mono_ms */
    int64_t outage_since;           /* the first of the failures in a row, 0 = none */
    struct mailing_recipient *chunk;
};

/* A database or Redis failure: the sender goes on after a pause through an outage shorter
 * than OUTAGE_MS (a server restarting), else the job ends to be retried. */
static enum verdict trouble(struct sender *sn, const char *what, const char *why)
{
    int64_t now = clock_mono_ms();
    if (!sn->outage_since) {
        sn->outage_since = now;
        log_warn("mailing %lld: %s: %s; trying again", (long long)sn->id, what, why);
    } else if (now - sn->outage_since > OUTAGE_MS) {
        buf_setf(sn->run->error, "%s: %s", what, why);
        return END_RETRY;
    }
    clock_sleep_ms(200);
    return GO_ON;
}

/* Ends the job's turn when the worker stops or the slice is over; reports the counts, reads
 * the state and renews the claims when CHECK_MS has passed (or when forced). */
static enum verdict checkpoint(struct sender *sn, bool force)
{
    if (job_run_stopping(sn->run) || clock_mono_ms() - sn->started_ms >= sn->s.slice_ms)
        return END_HAND_BACK;
    if (!force && clock_mono_ms() - sn->checked_ms < CHECK_MS)
        return GO_ON;
    struct db *db = sn->run->db;
    int rc = mailing_report_progress(db, sn->run->arena, sn->id, clock_now(), &sn->delta, &sn->st);
    if (rc == ERR_NOTFOUND)
        return END_DONE;
    if (rc)
        return trouble(sn, "mailing state", db_errmsg(db));
    sn->delta = (struct mailing_progress){0}; /* counted: never reported twice */
    if (mailing_claim_renew(db, sn->token, clock_now_ms() + sn->s.claim_ms))
        return trouble(sn, "mailing claims", db_errmsg(db));
    sn->outage_since = 0;
    sn->checked_ms = clock_mono_ms();
    if (!sn->photo_file_id)
        sn->photo_file_id = sn->st.photo_file_id;
    return sn->st.status == MAILING_SENDING && !sn->st.paused ? GO_ON : END_DONE;
}

/* The 429s the process's clients met so far (0 without a flood state). */
static uint64_t flood_reports(struct tg_flood *f)
{
    struct tg_flood_stats st = {0};
    if (f)
        tg_flood_get_stats(f, &st);
    return st.reports;
}

/* Every sender of the process, and with Redis of every process, waits ms (a 429). */
static void hold(struct sender *sn, int retry_after_s)
{
    int64_t ms = (int64_t)(retry_after_s > 0 ? retry_after_s : 1) * 1000;
    int64_t until = clock_mono_ms() + ms;
    int64_t cur = atomic_load(&sn->mj->hold_until_ms);
    while (cur < until && !atomic_compare_exchange_weak(&sn->mj->hold_until_ms, &cur, until))
        ;
    if (queue_rate_hold(sn->run->queue, ms))
        log_warn("mailing %lld: the 429 hold is this process's only: %s", (long long)sn->id,
                 queue_errmsg(sn->run->queue));
}

/* Waits for the send rate's slot for chat (the shared SEND_RATE and one message a second to
 * a chat), looking at the mailing's state meanwhile. */
static enum verdict wait_for_slot(struct sender *sn, int64_t chat)
{
    for (;;) {
        enum verdict v = checkpoint(sn, false);
        if (v != GO_ON)
            return v;
        int64_t held = atomic_load(&sn->mj->hold_until_ms) - clock_mono_ms();
        if (held > 0) {
            nap(sn->run, held < NAP_MS ? held : NAP_MS);
            continue;
        }
        int64_t wait = 0;
        if (queue_rate_take(sn->run->queue, sn->mj->send_rate, chat, &wait)) {
            if ((v = trouble(sn, "send rate", queue_errmsg(sn->run->queue))) != GO_ON)
                return v;
            continue;
        }
        if (!wait)
            return GO_ON;
        nap(sn->run, wait < NAP_MS ? wait : NAP_MS);
    }
}

/* Records a delivery's outcome, trying again through a short database outage (the message
 * went out: forgetting it would send it again). */
static enum verdict record(struct sender *sn, const struct mailing_recipient *r,
                           const struct mailing_outcome *o)
{
    enum mailing_delivery_status got = MAILING_DELIVERY_PENDING;
    while (mailing_record(sn->run->db, r->delivery_id, sn->token, clock_now(), o, &got))
        if (trouble(sn, "recording a delivery", db_errmsg(sn->run->db)) != GO_ON)
            return END_RETRY;
    sn->outage_since = 0;
    sn->delta.sent += got == MAILING_DELIVERY_SENT;
    sn->delta.failed += got == MAILING_DELIVERY_FAILED;
    sn->delta.blocked += got == MAILING_DELIVERY_BLOCKED;
    return GO_ON;
}

/* One message; *out the answer's message (valid until the next call on the client). */
static void send_one(struct sender *sn, int64_t chat, bool by_file_id,
                     const struct tg_message **out)
{
    struct tg_client *tg = sn->run->tg;
    struct tg_send_options opt = {.parse_mode = TG_PARSE_HTML, .reply_markup = sn->kb};
    tg_client_set_deadline(tg, clock_mono_us() + SEND_DEADLINE_MS * 1000LL);
    if (!sn->m.photo_path) {
        tg_send_message(tg, out, chat, sn->m.text, &opt);
        return;
    }
    struct tg_photo photo = {by_file_id ? TG_PHOTO_FILE_ID : TG_PHOTO_PATH,
                             by_file_id ? sn->photo_file_id : sn->m.photo_path, NULL, 0, NULL};
    tg_send_photo(tg, out, chat, &photo, sn->m.text, &opt);
}

/* Sends one claimed delivery and records what Telegram answered. */
static enum verdict deliver(struct sender *sn, const struct mailing_recipient *r)
{
    struct job_run *run = sn->run;
    for (;;) {
        enum verdict v = wait_for_slot(sn, r->chat_id);
        if (v != GO_ON)
            return v;
        bool by_file_id = sn->m.photo_path && sn->photo_file_id;
        const struct tg_message *msg = NULL;
        uint64_t reports = flood_reports(sn->mj->flood);
        send_one(sn, r->chat_id, by_file_id, &msg);
        const struct tg_result *res = tg_client_result(run->tg);
        if (by_file_id && res->reason == TG_REASON_INVALID_FILE_ID) {
            /* Telegram forgot the picture: upload it again */
            if (mailing_set_photo_file_id(run->db, sn->id, sn->photo_file_id, NULL))
                log_warn("mailing %lld: stale file_id kept: %s", (long long)sn->id,
                         db_errmsg(run->db));
            sn->photo_file_id = NULL;
            sn->st.photo_file_id = NULL;
            continue;
        }
        if (res->kind == TG_FLOOD) {
            /* a 429 (the client reported it) holds everyone; a wait for the process's pacer
             * longer than the deadline (a small SEND_RATE) is only tried again */
            if (!sn->mj->flood || flood_reports(sn->mj->flood) != reports)
                hold(sn, res->retry_after);
            continue;
        }
        struct mailing_outcome o = {0};
        char error[300];
        switch (res->kind) {
        case TG_OK:
        case TG_NOT_MODIFIED:
            o.status = MAILING_DELIVERY_SENT;
            o.message_id = msg ? msg->message_id : 0;
            if (sn->m.photo_path && !by_file_id && msg && msg->photo_file_id) {
                sn->photo_file_id = arena_strdup(run->arena, msg->photo_file_id);
                if (mailing_set_photo_file_id(run->db, sn->id, NULL, sn->photo_file_id))
                    log_warn("mailing %lld: file_id not cached: %s", (long long)sn->id,
                             db_errmsg(run->db));
            }
            break;
        case TG_FORBIDDEN:
            o.status = MAILING_DELIVERY_BLOCKED;
            o.error = res->description;
            break;
        case TG_SERVER:
        case TG_NETWORK:
        case TG_TIMEOUT:
            snprintf(error, sizeof error, "%d: %s", res->error_code, res->description);
            o.status = MAILING_DELIVERY_PENDING;
            o.error = error;
            o.retry_at_ms = clock_now_ms() + queue_backoff_ms((int)r->attempts + 1,
                                                              sn->s.retry_base_ms, RETRY_MAX_MS);
            o.max_attempts = sn->s.max_attempts;
            break;
        case TG_INVALID:      /* nothing was sent: the photo file is missing, ... */
        case TG_UNAUTHORIZED: /* the token */
        case TG_NOT_FOUND:
            buf_setf(run->error, "%s (%s): the deliveries stay pending",
                     tg_result_kind_name(res->kind), res->description);
            return END_FAILED;
        default:
            o.status = MAILING_DELIVERY_FAILED;
            o.error = res->description;
            break;
        }
        return record(sn, r, &o);
    }
}

/* Nothing to claim: the fan-out is still at work, deliveries wait for their retry, or the
 * rest is in other senders' hands (then this one is done, and the last one ends the
 * mailing). */
static enum verdict idle(struct sender *sn)
{
    if (sn->st.fanout_complete) {
        int64_t unheld = 0;
        if (mailing_unheld(sn->run->db, sn->id, clock_now_ms() + sn->s.claim_ms / 2, &unheld))
            return trouble(sn, "pending deliveries", db_errmsg(sn->run->db));
        if (!unheld)
            return finish(sn->mj, sn->run, sn->id)
                       ? trouble(sn, "finishing", db_errmsg(sn->run->db))
                       : END_DONE;
    }
    nap(sn->run, IDLE_MS);
    return GO_ON;
}

/* Claims a chunk and sends it. */
static enum verdict send_chunk(struct sender *sn)
{
    enum verdict v = checkpoint(sn, false);
    if (v != GO_ON)
        return v;
    int n = 0;
    int64_t now_ms = clock_now_ms();
    if (mailing_claim(sn->run->db, sn->id, sn->token, now_ms, now_ms + sn->s.claim_ms, sn->s.chunk,
                      sn->chunk, &n))
        return trouble(sn, "claiming deliveries", db_errmsg(sn->run->db));
    if (!n)
        return idle(sn);
    for (int i = 0; i < n && v == GO_ON; i++)
        v = deliver(sn, &sn->chunk[i]);
    return v;
}

enum job_result mailing_send_job(void *ctx, struct job_run *run, const struct job *job)
{
    struct sender sn = {.mj = ctx, .s = settings_of(ctx), .run = run};
    int64_t k;
    if (read_payload(run, job, &sn.id, &k))
        return JOB_FAILED;
    int rc = mailing_get(run->db, run->arena, sn.id, &sn.m);
    if (rc == ERR_NOTFOUND)
        return JOB_DONE;
    if (rc)
        return db_trouble(run, "mailing");
    if (sn.m.status != MAILING_SENDING)
        return JOB_DONE;
    if (!run->tg) {
        buf_setf(run->error, "this worker has no Bot API client (no BOT_TOKEN)");
        return JOB_FAILED;
    }
    sn.photo_file_id = sn.m.photo_file_id;
    if (sn.m.button_text) {
        sn.kb = tg_keyboard_inline();
        tg_keyboard_url(sn.kb, sn.m.button_text, sn.m.button_url);
    }
    queue_token(sn.token, sizeof sn.token);
    sn.chunk = arena_calloc(run->arena, (size_t)sn.s.chunk, sizeof *sn.chunk);
    sn.started_ms = clock_mono_ms();
    enum verdict v = checkpoint(&sn, true);
    while (v == GO_ON)
        v = send_chunk(&sn);
    /* unsent claims back to the others, the last counts in */
    if (mailing_claim_release(run->db, sn.token))
        log_warn("mailing %lld: sender %lld: %s (its claims run out by themselves)",
                 (long long)sn.id, (long long)k, db_errmsg(run->db));
    rc = mailing_report_progress(run->db, run->arena, sn.id, clock_now(), &sn.delta, &sn.st);
    if (rc && rc != ERR_NOTFOUND)
        log_warn("mailing %lld: sender %lld: %s (the counts are recounted at the end)",
                 (long long)sn.id, (long long)k, db_errmsg(run->db));
    tg_keyboard_free(sn.kb);
    tg_client_set_deadline(run->tg, 0); /* the thread's next jobs get the client's default */
    switch (v) {
    case END_DONE:
        return JOB_DONE;
    case END_HAND_BACK:
        return JOB_HAND_BACK;
    case END_FAILED:
        return JOB_FAILED;
    default:
        return JOB_RETRY;
    }
}
