/* Queue semantics, run once per backend: sqlite, postgres (the database queue) and redis. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "jobs/queue.h"
#include "jobs/worker.h"
#include "testdb.h"

static const char *backend;
static struct queue_config cfg;
static char prefix[64];
static char database_url[1024];

/* A fresh queue (a new database, or a new Redis key prefix) for each test. */
static int setup(void **state)
{
    static int n;
    if (!strcmp(backend, "redis")) {
        snprintf(prefix, sizeof prefix, "t%ld_%d:", (long)getpid(), ++n);
        cfg = (struct queue_config){.redis_url = testdb_redis_url(), .redis_prefix = prefix};
    } else {
        snprintf(database_url, sizeof database_url, "%s", testdb_new_migrated_url(backend));
        cfg = (struct queue_config){.database_url = database_url};
    }
    *state = NULL;
    return 0;
}

static struct queue *open_queue(void)
{
    struct queue *q = NULL;
    struct buf err = BUF_INIT;
    if (queue_open(&q, &cfg, &err))
        fail_msg("queue_open: %s", err.data);
    buf_release(&err);
    return q;
}

static int64_t enqueue(struct queue *q, const char *queue, const char *kind, const char *payload,
                       int64_t run_at_ms, int max_attempts)
{
    int64_t id = 0;
    struct job_spec spec = {.queue = queue,
                            .kind = kind,
                            .payload = payload,
                            .run_at_ms = run_at_ms,
                            .max_attempts = max_attempts};
    int rc = queue_enqueue(q, &spec, &id);
    if (rc != 1)
        fail_msg("enqueue: %d %s", rc, queue_errmsg(q));
    return id;
}

/* Claims with a deadline: the job, or a failure after ms. */
static void claim_within(struct queue *q, struct job *out, struct arena *a, const char *queue,
                         int64_t lease_ms, int64_t ms)
{
    const char *queues[] = {queue};
    int64_t deadline = clock_mono_ms() + ms;
    while (clock_mono_ms() < deadline) {
        int rc = queue_claim(q, out, a, queues, 1, lease_ms, 100);
        if (rc == 1)
            return;
        if (rc < 0)
            fail_msg("claim: %s", queue_errmsg(q));
    }
    fail_msg("no job within %lld ms", (long long)ms);
}

/* One claim without waiting; on Redis the lease also decides which pending entries are
 * old enough to take over, so a test uses one lease per queue, as workers do. */
static int claim_leased(struct queue *q, struct job *out, struct arena *a, const char *queue,
                        int64_t lease_ms)
{
    const char *queues[] = {queue};
    int rc = queue_claim(q, out, a, queues, 1, lease_ms, 0);
    if (rc < 0)
        fail_msg("claim: %s", queue_errmsg(q));
    return rc;
}

static int claim_now(struct queue *q, struct job *out, struct arena *a, const char *queue)
{
    return claim_leased(q, out, a, queue, 30000);
}

/* What the test handlers saw, shared by the worker threads. */
static struct {
    pthread_mutex_t lock;
    int runs;
    int64_t order[400];
    int64_t times_ms[16];
    atomic_int running[1000]; /* per job id: runs in progress */
    atomic_int done[1000];
    atomic_bool overlap;
    int succeed_from; /* "flaky" succeeds from this attempt on (0 = never) */
} seen = {.lock = PTHREAD_MUTEX_INITIALIZER};

static void reset_seen(void)
{
    pthread_mutex_lock(&seen.lock);
    seen.runs = 0;
    seen.succeed_from = 0;
    for (size_t i = 0; i < 1000; i++) {
        atomic_store(&seen.running[i], 0);
        atomic_store(&seen.done[i], 0);
    }
    atomic_store(&seen.overlap, false);
    pthread_mutex_unlock(&seen.lock);
}

static enum job_result record_job(void *ctx, struct job_run *run, const struct job *job)
{
    (void)ctx;
    (void)run;
    pthread_mutex_lock(&seen.lock);
    if (seen.runs < 400)
        seen.order[seen.runs] = job->id;
    seen.runs++;
    pthread_mutex_unlock(&seen.lock);
    return JOB_DONE;
}

static enum job_result flaky_job(void *ctx, struct job_run *run, const struct job *job)
{
    (void)ctx;
    pthread_mutex_lock(&seen.lock);
    if (seen.runs < 16)
        seen.times_ms[seen.runs] = clock_mono_ms();
    seen.runs++;
    bool ok = seen.succeed_from && job->attempts >= seen.succeed_from;
    pthread_mutex_unlock(&seen.lock);
    if (ok)
        return JOB_DONE;
    buf_setf(run->error, "boom on attempt %d", job->attempts);
    return JOB_RETRY;
}

/* Marks the job running for a moment; two runs at once of one job set `overlap`. */
static enum job_result exclusive_job(void *ctx, struct job_run *run, const struct job *job)
{
    (void)ctx;
    (void)run;
    size_t slot = (size_t)job->id % 1000;
    if (atomic_fetch_add(&seen.running[slot], 1) != 0)
        atomic_store(&seen.overlap, true);
    clock_sleep_ms(1);
    atomic_fetch_sub(&seen.running[slot], 1);
    atomic_fetch_add(&seen.done[slot], 1);
    return JOB_DONE;
}

/* Works until the worker stops, then finishes (payload "finish") or hands back. */
static enum job_result slow_job(void *ctx, struct job_run *run, const struct job *job)
{
    (void)ctx;
    pthread_mutex_lock(&seen.lock);
    seen.runs++;
    pthread_mutex_unlock(&seen.lock);
    while (!job_run_stopping(run))
        clock_sleep_ms(10);
    if (strstr(job->payload, "finish")) {
        clock_sleep_ms(200);
        atomic_fetch_add(&seen.done[job->id % 1000], 1);
        return JOB_DONE;
    }
    return JOB_HAND_BACK;
}

static struct worker *start_worker(const char *queue, int concurrency, int64_t lease_ms)
{
    struct worker_options opt = {
        .queue = cfg,
        .queues = {queue},
        .queue_count = 1,
        .concurrency = concurrency,
        .lease_ms = lease_ms,
        .poll_ms = 50,
        .backoff_base_ms = 1000,
    };
    struct worker *w = worker_new(&opt);
    worker_register(w, "record", record_job, NULL);
    worker_register(w, "flaky", flaky_job, NULL);
    worker_register(w, "exclusive", exclusive_job, NULL);
    worker_register(w, "slow", slow_job, NULL);
    struct buf err = BUF_INIT;
    if (worker_start(w, &err))
        fail_msg("worker_start: %s", err.data);
    buf_release(&err);
    return w;
}

static int runs(void)
{
    pthread_mutex_lock(&seen.lock);
    int n = seen.runs;
    pthread_mutex_unlock(&seen.lock);
    return n;
}

static void wait_runs(int n, int64_t ms)
{
    int64_t deadline = clock_mono_ms() + ms;
    while (runs() < n && clock_mono_ms() < deadline)
        clock_sleep_ms(10);
    if (runs() < n)
        fail_msg("%d runs after %lld ms, wanted %d", runs(), (long long)ms, n);
}

static void assert_empty(struct queue *q, const char *queue)
{
    struct arena a = ARENA_INIT;
    struct job job;
    assert_int_equal(claim_now(q, &job, &a, queue), 0);
    arena_release(&a);
}

static void test_fifo_within_a_queue(void **state)
{
    (void)state;
    reset_seen();
    struct queue *q = open_queue();
    int64_t ids[30];
    for (int i = 0; i < 30; i++)
        ids[i] = enqueue(q, QUEUE_DEFAULT, "record", "{}", 0, 1);
    enqueue(q, QUEUE_SENDING, "record", "{}", 0, 1); /* another queue: not this worker's */
    struct worker *w = start_worker(QUEUE_DEFAULT, 1, 30000);
    wait_runs(30, 20000);
    worker_free(w);
    assert_int_equal(runs(), 30);
    for (int i = 0; i < 30; i++)
        assert_int_equal(seen.order[i], ids[i]);
    assert_empty(q, QUEUE_DEFAULT);
    struct arena a = ARENA_INIT;
    struct job job;
    assert_int_equal(claim_now(q, &job, &a, QUEUE_SENDING), 1);
    assert_int_equal(queue_ack(q, &job), 0);
    arena_release(&a);
    queue_close(q);
}

static void test_delayed_job_waits_for_its_time(void **state)
{
    (void)state;
    struct queue *q = open_queue();
    struct arena a = ARENA_INIT;
    struct job job;
    int64_t due = clock_now_ms() + 1500;
    int64_t id = enqueue(q, QUEUE_DEFAULT, "record", "{\"x\":1}", due, 1);
    assert_int_equal(claim_now(q, &job, &a, QUEUE_DEFAULT), 0);
    claim_within(q, &job, &a, QUEUE_DEFAULT, 30000, 10000);
    assert_true(clock_now_ms() >= due - 50);
    assert_int_equal(job.id, id);
    assert_string_equal(job.kind, "record");
    assert_string_equal(job.payload, "{\"x\":1}");
    assert_int_equal(job.attempts, 1);
    assert_int_equal(queue_ack(q, &job), 0);
    assert_empty(q, QUEUE_DEFAULT);
    arena_release(&a);
    queue_close(q);
}

static void test_retries_back_off_then_the_job_dies(void **state)
{
    (void)state;
    reset_seen();
    struct queue *q = open_queue();
    int64_t id = enqueue(q, QUEUE_DEFAULT, "flaky", "{}", 0, 3);
    int64_t other = enqueue(q, QUEUE_DEFAULT, "no-such-kind", "{}", 0, 5);
    struct worker *w = start_worker(QUEUE_DEFAULT, 1, 30000);
    wait_runs(3, 20000);
    struct arena a = ARENA_INIT;
    struct job dead[4];
    size_t n = 0;
    int64_t deadline = clock_mono_ms() + 10000;
    while (n < 2 && clock_mono_ms() < deadline) {
        arena_reset(&a);
        assert_int_equal(queue_dead_list(q, dead, 4, &n, &a), 0);
        clock_sleep_ms(20);
    }
    worker_free(w);
    assert_int_equal(runs(), 3);
    /* backoff: about 1 s, then about 2 s (jitter keeps at least half) */
    assert_true(seen.times_ms[1] - seen.times_ms[0] >= 450);
    assert_true(seen.times_ms[2] - seen.times_ms[1] >= 950);
    assert_int_equal(n, 2);
    struct job *flaky = dead[0].id == id ? &dead[0] : &dead[1];
    struct job *unknown = dead[0].id == id ? &dead[1] : &dead[0];
    assert_int_equal(flaky->id, id);
    assert_int_equal(flaky->attempts, 3);
    assert_string_equal(flaky->last_error, "boom on attempt 3");
    assert_string_equal(flaky->kind, "flaky");
    assert_int_equal(unknown->id, other);
    assert_int_equal(unknown->attempts, 1);
    assert_non_null(strstr(unknown->last_error, "no handler"));
    assert_empty(q, QUEUE_DEFAULT);

    /* the admin's actions: retry one (it now succeeds), discard the other */
    assert_int_equal(queue_dead_discard(q, other), 0);
    assert_int_equal(queue_dead_discard(q, other), ERR_NOTFOUND);
    reset_seen();
    seen.succeed_from = 1;
    assert_int_equal(queue_dead_retry(q, id), 0);
    assert_int_equal(queue_dead_retry(q, id), ERR_NOTFOUND);
    w = start_worker(QUEUE_DEFAULT, 1, 30000);
    wait_runs(1, 10000);
    worker_free(w);
    arena_reset(&a);
    assert_int_equal(queue_dead_list(q, dead, 4, &n, &a), 0);
    assert_int_equal(n, 0);
    assert_empty(q, QUEUE_DEFAULT);
    arena_release(&a);
    queue_close(q);
}

static void test_expired_lease_is_delivered_again(void **state)
{
    (void)state;
    struct queue *crashed = open_queue(), *q = open_queue();
    struct arena a = ARENA_INIT;
    struct job lost, job;
    int64_t id = enqueue(q, QUEUE_DEFAULT, "record", "{}", 0, 2);
    claim_within(crashed, &lost, &a, QUEUE_DEFAULT, 1000, 5000);
    assert_int_equal(lost.id, id);
    int64_t claimed_at = clock_mono_ms();
    /* the first claimant "crashed": nobody else gets the job before its lease ends */
    assert_int_equal(claim_leased(q, &job, &a, QUEUE_DEFAULT, 1000), 0);
    claim_within(q, &job, &a, QUEUE_DEFAULT, 1000, 10000);
    assert_true(clock_mono_ms() - claimed_at >= 900);
    assert_int_equal(job.id, id);
    assert_int_equal(job.attempts, 2);
    /* the old claimant's late answer changes nothing */
    assert_int_equal(queue_ack(crashed, &lost), ERR_CONFLICT);
    /* that was its last attempt: when this lease expires too, the job is dead */
    int64_t deadline = clock_mono_ms() + 10000;
    struct job dead[1];
    size_t n = 0;
    while (!n && clock_mono_ms() < deadline) {
        struct job none;
        assert_int_equal(claim_leased(q, &none, &a, QUEUE_DEFAULT, 1000), 0);
        assert_int_equal(queue_dead_list(q, dead, 1, &n, &a), 0);
        clock_sleep_ms(50);
    }
    assert_int_equal(n, 1);
    assert_int_equal(dead[0].id, id);
    assert_non_null(strstr(dead[0].last_error, "lease expired"));
    assert_int_equal(queue_ack(q, &job), ERR_CONFLICT);
    arena_release(&a);
    queue_close(crashed);
    queue_close(q);
}

static void test_graceful_shutdown_finishes_or_hands_back(void **state)
{
    (void)state;
    reset_seen();
    struct queue *q = open_queue();
    int64_t finish = enqueue(q, QUEUE_DEFAULT, "slow", "{\"then\":\"finish\"}", 0, 3);
    int64_t hand_back = enqueue(q, QUEUE_DEFAULT, "slow", "{\"then\":\"hand back\"}", 0, 3);
    struct worker *w = start_worker(QUEUE_DEFAULT, 2, 30000);
    wait_runs(2, 10000);
    worker_free(w); /* as on SIGTERM: both jobs are in hand */
    assert_int_equal(atomic_load(&seen.done[finish % 1000]), 1);
    struct arena a = ARENA_INIT;
    struct job job;
    /* the handed-back job is due at once, its attempt not counted; the finished one is gone */
    assert_int_equal(claim_now(q, &job, &a, QUEUE_DEFAULT), 1);
    assert_int_equal(job.id, hand_back);
    assert_int_equal(job.attempts, 1);
    assert_int_equal(queue_ack(q, &job), 0);
    assert_empty(q, QUEUE_DEFAULT);
    arena_release(&a);
    queue_close(q);
}

static void test_two_workers_never_run_one_job_at_once(void **state)
{
    (void)state;
    reset_seen();
    struct queue *q = open_queue();
    enum { JOBS = 300 };
    int64_t ids[JOBS];
    for (int i = 0; i < JOBS; i++)
        ids[i] = enqueue(q, QUEUE_SENDING, "exclusive", "{}", 0, 3);
    struct worker *a = start_worker(QUEUE_SENDING, 3, 30000);
    struct worker *b = start_worker(QUEUE_SENDING, 3, 30000);
    int64_t deadline = clock_mono_ms() + 60000;
    int total = 0;
    while (clock_mono_ms() < deadline) {
        total = 0;
        for (int i = 0; i < JOBS; i++)
            total += atomic_load(&seen.done[ids[i] % 1000]);
        if (total >= JOBS)
            break;
        clock_sleep_ms(20);
    }
    worker_free(a);
    worker_free(b);
    assert_false(atomic_load(&seen.overlap));
    for (int i = 0; i < JOBS; i++)
        assert_int_equal(atomic_load(&seen.done[ids[i] % 1000]), 1);
    assert_empty(q, QUEUE_SENDING);
    queue_close(q);
}

static void test_unique_key_enqueues_once(void **state)
{
    (void)state;
    struct queue *q = open_queue();
    struct job_spec spec = {.queue = QUEUE_DEFAULT, .kind = "record", .unique_key = "mailing:7"};
    int64_t id = 0;
    assert_int_equal(queue_enqueue(q, &spec, &id), 1);
    assert_int_equal(queue_enqueue(q, &spec, NULL), 0);
    struct arena a = ARENA_INIT;
    struct job job;
    assert_int_equal(claim_now(q, &job, &a, QUEUE_DEFAULT), 1);
    assert_int_equal(job.id, id);
    assert_int_equal(queue_ack(q, &job), 0);
    assert_int_equal(queue_enqueue(q, &spec, NULL), 1); /* done: the key is free again */
    spec.queue = "nope";
    assert_int_equal(queue_enqueue(q, &spec, NULL), ERR_INVALID);
    arena_release(&a);
    queue_close(q);
}

static void test_lease_has_one_holder(void **state)
{
    (void)state;
    struct queue *q = open_queue();
    assert_int_equal(queue_lease(q, "scheduler", "a", 1000), 1);
    assert_int_equal(queue_lease(q, "scheduler", "b", 1000), 0);
    assert_int_equal(queue_lease(q, "scheduler", "a", 1000), 1);
    int64_t deadline = clock_mono_ms() + 5000;
    int got = 0;
    while (!got && clock_mono_ms() < deadline) {
        got = queue_lease(q, "scheduler", "b", 1000);
        clock_sleep_ms(50);
    }
    assert_int_equal(got, 1);
    assert_int_equal(queue_lease(q, "scheduler", "a", 1000), 0);
    queue_close(q);
}

static void test_send_rate_is_kept(void **state)
{
    (void)state;
    struct queue *q = open_queue();
    /* 50 a second for one second: 50 slots (the first at once) */
    int64_t start = clock_mono_ms();
    int slots = 0;
    while (clock_mono_ms() - start < 1000) {
        int64_t wait = 0;
        assert_int_equal(queue_rate_take(q, 50, 0, &wait), 0);
        if (wait) {
            clock_sleep_ms(wait < 5 ? wait : 5);
            continue;
        }
        slots++;
    }
    assert_in_range(slots, 30, 51); /* fewer only when the machine is slow */
    /* one chat: the second message waits about a second */
    int64_t wait = 0;
    assert_int_equal(queue_rate_wait(q, 1000, 77, NULL), 0);
    assert_int_equal(queue_rate_take(q, 1000, 77, &wait), 0);
    assert_in_range(wait, 800, 1300);
    /* a 429: every sender waits */
    assert_int_equal(queue_rate_hold(q, 400), 0);
    assert_int_equal(queue_rate_take(q, 1000, 0, &wait), 0);
    assert_in_range(wait, 250, 400);
    queue_close(q);
}

/* Redis goes away mid-run and comes back (AOF): every job still runs. */
static void test_redis_restart_loses_nothing(void **state)
{
    (void)state;
    reset_seen();
    struct queue *q = open_queue();
    enum { JOBS = 200 };
    int64_t ids[JOBS];
    for (int i = 0; i < JOBS / 2; i++)
        ids[i] = enqueue(q, QUEUE_SENDING, "exclusive", "{}", 0, 5);
    struct worker *w = start_worker(QUEUE_SENDING, 2, 5000);
    int64_t deadline = clock_mono_ms() + 10000;
    int done = 0;
    while (done < 20 && clock_mono_ms() < deadline) {
        done = 0;
        for (int i = 0; i < JOBS / 2; i++)
            done += atomic_load(&seen.done[ids[i] % 1000]) > 0;
        clock_sleep_ms(1);
    }
    assert_int_equal(testdb_redis_script("restart"), 0);
    for (int i = JOBS / 2; i < JOBS; i++) {
        int64_t enqueue_deadline = clock_mono_ms() + 10000;
        int rc;
        while (
            (rc = queue_enqueue(
                 q,
                 &(struct job_spec){.queue = QUEUE_SENDING, .kind = "exclusive", .max_attempts = 5},
                 &ids[i])) != 1 &&
            clock_mono_ms() < enqueue_deadline)
            clock_sleep_ms(50);
        assert_int_equal(rc, 1);
    }
    deadline = clock_mono_ms() + 60000;
    while (clock_mono_ms() < deadline) {
        done = 0;
        for (int i = 0; i < JOBS; i++)
            done += atomic_load(&seen.done[ids[i] % 1000]) > 0;
        if (done == JOBS)
            break;
        clock_sleep_ms(20);
    }
    worker_free(w);
    assert_int_equal(done, JOBS);
    assert_false(atomic_load(&seen.overlap));
    assert_empty(q, QUEUE_SENDING);
    queue_close(q);
}

int main(int argc, char **argv)
{
    backend = testdb_queue_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_fifo_within_a_queue, setup),
        cmocka_unit_test_setup(test_delayed_job_waits_for_its_time, setup),
        cmocka_unit_test_setup(test_retries_back_off_then_the_job_dies, setup),
        cmocka_unit_test_setup(test_expired_lease_is_delivered_again, setup),
        cmocka_unit_test_setup(test_graceful_shutdown_finishes_or_hands_back, setup),
        cmocka_unit_test_setup(test_two_workers_never_run_one_job_at_once, setup),
        cmocka_unit_test_setup(test_unique_key_enqueues_once, setup),
        cmocka_unit_test_setup(test_lease_has_one_holder, setup),
        /* Redis's alone: the database backend leaves the send rate to tg/flood.h */
        cmocka_unit_test_setup(test_send_rate_is_kept, setup),
        cmocka_unit_test_setup(test_redis_restart_loses_nothing, setup),
    };
    size_t count = sizeof tests / sizeof *tests;
    if (strcmp(backend, "redis"))
        count -= 2; /* the last two are Redis's */
    int failed = _cmocka_run_group_tests(backend, tests, count, NULL, NULL);
    testdb_cleanup();
    return failed;
}
