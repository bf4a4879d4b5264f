/* The flood-control state (tg/flood.h): holds after a 429, the per-chat pacer and the global
 * rate, on a clock the tests give (tg_flood_reserve), and the blocking acquire across threads. */
#include <pthread.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/err.h"
#include "tg/flood.h"
#include "core/banned.h"

enum { S = 1000000, MS = 1000 };

/* The tests' time: well after the states' warm-up (a new state takes every chat as having just
 * had its burst), set in main. */
static int64_t T0;

/* When a call asked for at now actually goes, asking again at the time it is told to (as
 * tg_flood_acquire does). */
static int64_t slot(struct tg_flood *f, int64_t chat, enum tg_flood_use use, int64_t now)
{
    int64_t at = -1;
    while (tg_flood_reserve(f, &at, chat, use, now) == ERR_FLOOD) {
        assert_true(at > now);
        now = at;
    }
    assert_int_equal(at, now);
    return at;
}

static void test_per_chat_burst_then_one_a_second(void **state)
{
    (void)state;
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = 1000, .chat_rate = 1});
    /* three at once, then one a second */
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0), T0);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0), T0);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0), T0);
    int64_t at;
    assert_int_equal(tg_flood_reserve(f, &at, 42, TG_FLOOD_MESSAGE, T0), ERR_FLOOD);
    assert_int_equal(at, T0 + S);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0), T0 + S);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0 + S), T0 + 2 * S);
    /* another chat is not slowed down, and other calls are not paced */
    assert_int_equal(slot(f, 43, TG_FLOOD_MESSAGE, T0 + 2 * S), T0 + 2 * S);
    assert_int_equal(slot(f, 42, TG_FLOOD_CALL, T0 + 2 * S), T0 + 2 * S);
    /* after a quiet while the burst is back */
    int64_t later = T0 + 10 * S;
    for (int i = 0; i < 3; i++)
        assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, later), later);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, later), later + S);
    tg_flood_free(f);
}

static void test_no_window_ever_exceeds_the_chat_limit(void **state)
{
    (void)state;
    /* a chat asked for 50 messages, one every 100 ms: in any 1 s window at most the burst
     * (3) go, and all of them do go, at one a second */
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = 1000, .chat_rate = 1});
    int64_t at[50], now = T0;
    for (int i = 0; i < 50; i++) {
        int64_t asked = T0 + i * 100 * MS;
        at[i] = slot(f, 7, TG_FLOOD_MESSAGE, asked > now ? asked : now);
        now = at[i];
    }
    for (int i = 0; i < 50; i++) {
        int in_window = 0;
        for (int j = i; j < 50 && at[j] < at[i] + S; j++)
            in_window++;
        assert_true(in_window <= 3);
    }
    assert_true(at[49] <= T0 + 48 * S);
    tg_flood_free(f);
}

static void test_ready_at_tells_without_taking(void **state)
{
    (void)state;
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = 1000, .chat_rate = 1});
    assert_int_equal(tg_flood_ready_at(f, 42, T0), T0); /* a chat never seen */
    for (int i = 0; i < 3; i++)
        slot(f, 42, TG_FLOOD_MESSAGE, T0);
    assert_int_equal(tg_flood_ready_at(f, 42, T0), T0 + S);
    assert_int_equal(tg_flood_ready_at(f, 42, T0), T0 + S); /* asking took nothing */
    tg_flood_report(f, 42, 5, T0);
    assert_int_equal(tg_flood_ready_at(f, 42, T0), T0 + 5 * S);
    tg_flood_report(f, 0, 7, T0); /* the bot's hold counts for every chat */
    assert_int_equal(tg_flood_ready_at(f, 43, T0), T0 + 7 * S);
    tg_flood_free(f);
}

static void test_global_rate(void **state)
{
    (void)state;
    /* 10 messages/s with a burst of 1: 100 different chats get one every 100 ms */
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = 10, .burst = 1});
    int64_t now = T0;
    for (int i = 0; i < 100; i++) {
        now = slot(f, 1000 + i, TG_FLOOD_MESSAGE, now);
        assert_int_equal(now, T0 + i * 100 * MS);
    }
    /* other calls are not held by the rate */
    assert_int_equal(slot(f, 1000, TG_FLOOD_CALL, now), now);
    tg_flood_free(f);
}

static void test_hold_for_a_chat(void **state)
{
    (void)state;
    struct tg_flood *f = tg_flood_new(NULL);
    tg_flood_report(f, 42, 3, T0);
    /* other chats and chat-less calls go at once */
    assert_int_equal(slot(f, 43, TG_FLOOD_MESSAGE, T0 + S), T0 + S);
    assert_int_equal(slot(f, 0, TG_FLOOD_CALL, T0 + S), T0 + S);
    /* every call to that chat waits until retry_after has passed, messages or not */
    assert_int_equal(slot(f, 42, TG_FLOOD_CALL, T0 + S), T0 + 3 * S);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0 + S), T0 + 3 * S);
    /* a later, shorter report does not shorten it */
    tg_flood_report(f, 42, 1, T0 + S);
    assert_int_equal(slot(f, 42, TG_FLOOD_CALL, T0 + S), T0 + 3 * S);
    assert_int_equal(slot(f, 42, TG_FLOOD_CALL, T0 + 4 * S), T0 + 4 * S);
    tg_flood_free(f);
}

static void test_hold_for_the_bot(void **state)
{
    (void)state;
    struct tg_flood *f = tg_flood_new(NULL);
    tg_flood_report(f, 0, 2, T0);
    assert_int_equal(slot(f, 42, TG_FLOOD_MESSAGE, T0), T0 + 2 * S);
    assert_int_equal(slot(f, 43, TG_FLOOD_CALL, T0), T0 + 2 * S);
    assert_int_equal(slot(f, 0, TG_FLOOD_CALL, T0 + S), T0 + 2 * S);
    struct tg_flood_stats st;
    tg_flood_get_stats(f, &st);
    assert_int_equal(st.reports, 1);
    tg_flood_free(f);
}

static void test_deadline_fails_fast_and_takes_nothing(void **state)
{
    (void)state;
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.chat_rate = 1});
    int64_t wait = 0, started = clock_mono_us();
    tg_flood_report(f, 99, 30, clock_mono_us());
    assert_int_equal(
        tg_flood_acquire(f, 99, TG_FLOOD_MESSAGE, clock_mono_us() + 100 * MS, NULL, &wait),
        ERR_FLOOD);
    assert_true(wait > 29 * S);                      /* how long it would have waited */
    assert_true(clock_mono_us() - started < 10 * S); /* it did not wait */
    struct tg_flood_stats st;
    tg_flood_get_stats(f, &st);
    assert_int_equal(st.failed_fast, 1);
    /* the refused message took no pacer place: the burst is all there when the hold ends */
    int64_t end = started + 31 * S;
    for (int i = 0; i < 3; i++)
        assert_int_equal(slot(f, 99, TG_FLOOD_MESSAGE, end), end);
    tg_flood_free(f);
}

static void test_many_chats_are_forgotten(void **state)
{
    (void)state;
    /* a mailing's worth of chats: the table keeps only chats with state still running */
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = 1000, .chat_rate = 1});
    for (int64_t i = 1; i <= 100000; i++)
        assert_int_equal(slot(f, i, TG_FLOOD_MESSAGE, T0 + i * 10 * MS), T0 + i * 10 * MS);
    /* the chats long done were forgotten: an old one has its whole burst again */
    for (int i = 0; i < 3; i++)
        assert_int_equal(slot(f, 1, TG_FLOOD_MESSAGE, T0 + 1000 * S), T0 + 1000 * S);
    tg_flood_report(f, 5, 1, T0 + 1000 * S);
    assert_int_equal(slot(f, 5, TG_FLOOD_CALL, T0 + 1000 * S), T0 + 1001 * S);
    tg_flood_free(f);
}

struct racer {
    struct tg_flood *f;
    int64_t sent_at[4];
};

static void *race(void *arg)
{
    struct racer *r = arg;
    for (int i = 0; i < 4; i++) {
        assert_int_equal(tg_flood_acquire(r->f, 42, TG_FLOOD_MESSAGE, 0, NULL, NULL), 0);
        r->sent_at[i] = clock_mono_us();
    }
    return NULL;
}

static int cmp64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void test_threads_share_one_pacer(void **state)
{
    (void)state;
    /* two threads send 4 messages each to one chat, with a 4-message burst and 20/s: the 8
     * go out no faster than the chat's rate allows, whichever thread sends them */
    struct tg_flood *f =
        tg_flood_new(&(struct tg_flood_options){.rate = 1000, .chat_rate = 20, .chat_burst = 4});
    struct racer a = {f, {0}}, b = {f, {0}};
    pthread_t ta, tb;
    int64_t start = clock_mono_us();
    assert_int_equal(pthread_create(&ta, NULL, race, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, race, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    int64_t all[8];
    for (int i = 0; i < 4; i++) {
        all[i] = a.sent_at[i];
        all[4 + i] = b.sent_at[i];
    }
    qsort(all, 8, sizeof *all, cmp64);
    /* the 4 beyond the burst come at 50 ms steps: the last no sooner than 200 ms after start */
    assert_true(all[7] - start >= 195 * MS);
    for (int i = 4; i < 8; i++)
        assert_true(all[i] - start >= (i - 3) * 50 * MS - 5 * MS);
    struct tg_flood_stats st;
    tg_flood_get_stats(f, &st);
    assert_true(st.paced >= 4); /* and the first ones, in the new state's warm-up */
    tg_flood_free(f);
}

static void test_cancel_ends_a_wait(void **state)
{
    (void)state;
    struct tg_flood *f = tg_flood_new(NULL);
    atomic_bool cancel = true;
    tg_flood_report(f, 42, 10, clock_mono_us());
    int64_t started = clock_mono_us();
    assert_int_equal(tg_flood_acquire(f, 42, TG_FLOOD_CALL, 0, &cancel, NULL), ERR_TIMEOUT);
    assert_true(clock_mono_us() - started < 5 * S);
    tg_flood_free(f);
}

static void test_a_new_state_assumes_a_burst_was_just_sent(void **state)
{
    (void)state;
    /* a restarted bot: the chat may have had its burst from the process before */
    int64_t now = clock_mono_us();
    struct tg_flood *f = tg_flood_new(&(struct tg_flood_options){.rate = 1000, .chat_rate = 1});
    int64_t at;
    assert_int_equal(tg_flood_reserve(f, &at, 42, TG_FLOOD_MESSAGE, now), ERR_FLOOD);
    assert_true(at >= now + S - 50 * MS && at <= now + S + 50 * MS);
    /* other calls are not paced, and a few seconds later the whole burst is there */
    assert_int_equal(tg_flood_reserve(f, &at, 42, TG_FLOOD_CALL, now), 0);
    int64_t later = now + 4 * S;
    for (int i = 0; i < 3; i++)
        assert_int_equal(slot(f, 43, TG_FLOOD_MESSAGE, later), later);
    tg_flood_free(f);
}

int main(void)
{
    T0 = clock_mono_us() + 100 * S;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_per_chat_burst_then_one_a_second),
        cmocka_unit_test(test_a_new_state_assumes_a_burst_was_just_sent),
        cmocka_unit_test(test_no_window_ever_exceeds_the_chat_limit),
        cmocka_unit_test(test_ready_at_tells_without_taking),
        cmocka_unit_test(test_global_rate),
        cmocka_unit_test(test_hold_for_a_chat),
        cmocka_unit_test(test_hold_for_the_bot),
        cmocka_unit_test(test_deadline_fails_fast_and_takes_nothing),
        cmocka_unit_test(test_many_chats_are_forgotten),
        cmocka_unit_test(test_threads_share_one_pacer),
        cmocka_unit_test(test_cancel_ends_a_wait),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
