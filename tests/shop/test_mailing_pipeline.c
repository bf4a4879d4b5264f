/* The pipeline's side of shop/mailing.h on both backends: pause and resume, the fan-out's
 * steps (a repeated one adds nothing), starting and dispatching again, claims (exclusive,
 * taken over once expired, renewed, released), the exactly-once record of each outcome, the
 * counters and the end: done with exact counters and the error breakdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/err.h"
#include "shop/customer.h"
#include "shop/mailing.h"
#include "testdb.h"

static int64_t query_int(struct testdb_fixture *f, const char *sql, int64_t arg)
{
    int64_t n = -1;
    if (db_query_int(f->db, &n, sql, DB_INT(arg)))
        fail_msg("%s: %s", sql, db_errmsg(f->db));
    return n;
}

/* n customers with tg ids 1001.., and a scheduled mailing to all of them */
static int64_t mailing_to(struct testdb_fixture *f, int n)
{
    for (int i = 0; i < n; i++) {
        struct tg_profile p = {1001 + i, NULL, "C", NULL, "en"};
        struct customer c;
        assert_int_equal(customer_touch(f->db, &f->a, &p, &c), 0);
    }
    struct mailing_input in = {.text = "<b>Sale</b>", .audience = MAILING_TO_ALL};
    struct listing_problem why;
    int64_t id;
    assert_int_equal(mailing_save(f->db, &in, &id, &why), 0);
    assert_int_equal(mailing_schedule(f->db, id, 0, clock_now(), &why), 0);
    return id;
}

static void fan_out(struct testdb_fixture *f, int64_t id, int batch)
{
    bool complete = false;
    int64_t added;
    while (!complete)
        assert_int_equal(mailing_fanout_step(f->db, id, batch, clock_now(), &added, &complete), 0);
}

static void pause_resume_and_start(void **state)
{
    struct testdb_fixture *f = *state;
    int64_t id = mailing_to(f, 3);
    int64_t now = clock_now();
    struct listing_problem why;
    assert_int_equal(mailing_pause(f->db, id, now, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "A scheduled mailing cannot be paused");

    /* due: started once, however many schedulers ask */
    int64_t *ids;
    int n;
    assert_int_equal(mailing_start_due(f->db, &f->a, now - 10, 10, &ids, &n), 0);
    assert_int_equal(n, 0); /* not yet */
    assert_int_equal(mailing_start_due(f->db, &f->a, now, 10, &ids, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], id);
    assert_int_equal(mailing_start_due(f->db, &f->a, now, 10, &ids, &n), 0);
    assert_int_equal(n, 0);
    struct mailing m;
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.status, MAILING_SENDING);
    assert_int_equal(m.started_at, now);
    assert_int_equal(m.pending, 3);
    assert_int_equal(m.paused_at, 0);

    /* just dispatched: nothing to dispatch again until it is stale */
    assert_int_equal(mailing_redispatch_due(f->db, &f->a, now, 30, 10, &ids, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(mailing_redispatch_due(f->db, &f->a, now + 31, 30, 10, &ids, &n), 0);
    assert_int_equal(n, 1);
    assert_int_equal(mailing_redispatch_due(f->db, &f->a, now + 32, 30, 10, &ids, &n), 0);
    assert_int_equal(n, 0); /* marked dispatched */

    assert_int_equal(mailing_resume(f->db, id, now, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "The mailing is not paused");
    assert_int_equal(mailing_pause(f->db, id, now + 1, &why), 0);
    assert_int_equal(mailing_pause(f->db, id, now + 1, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "The mailing is paused already");
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.status, MAILING_SENDING);
    assert_int_equal(m.paused_at, now + 1);
    /* a paused mailing is not dispatched, however stale */
    assert_int_equal(mailing_redispatch_due(f->db, &f->a, now + 999, 30, 10, &ids, &n), 0);
    assert_int_equal(n, 0);
    /* a resumed one at once */
    assert_int_equal(mailing_resume(f->db, id, now + 2, &why), 0);
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.paused_at, 0);
    assert_int_equal(mailing_redispatch_due(f->db, &f->a, now + 2, 30, 10, &ids, &n), 0);
    assert_int_equal(n, 1);

    assert_int_equal(mailing_pause(f->db, 999999, now, &why), ERR_NOTFOUND);
    assert_int_equal(mailing_cancel(f->db, id, now, &why), 0);
    assert_int_equal(mailing_resume(f->db, id, now, &why), ERR_CONFLICT);
    assert_string_equal(why.message, "A cancelled mailing cannot be resumed");
}

static void fanout_steps_add_each_recipient_once(void **state)
{
    struct testdb_fixture *f = *state;
    int64_t id = mailing_to(f, 7);
    int64_t added = 0, sum = 0;
    bool complete = false;
    int steps = 0;
    while (!complete) {
        assert_int_equal(mailing_fanout_step(f->db, id, 3, clock_now(), &added, &complete), 0);
        sum += added;
        steps++;
    }
    assert_int_equal(sum, 7);
    assert_int_equal(steps, 4); /* 3 + 3 + 1, then the empty step that completes it */
    /* a re-delivered fan-out adds nothing */
    assert_int_equal(mailing_fanout_step(f->db, id, 3, clock_now(), &added, &complete), 0);
    assert_int_equal(added, 0);
    assert_true(complete);
    /* a customer who arrives later is not in a complete fan-out */
    struct tg_profile p = {5000, NULL, "Late", NULL, "en"};
    struct customer c;
    assert_int_equal(customer_touch(f->db, &f->a, &p, &c), 0);
    assert_int_equal(mailing_fanout_step(f->db, id, 3, clock_now(), &added, &complete), 0);
    assert_int_equal(added, 0);
    assert_int_equal(query_int(f, "SELECT count(*) FROM mailing_delivery WHERE mailing_id = ?", id),
                     7);
    struct mailing m;
    assert_int_equal(mailing_get(f->db, &f->a, id, &m), 0);
    assert_int_equal(m.total, 7);
    assert_int_equal(mailing_fanout_step(f->db, 999999, 3, clock_now(), &added, &complete),
                     ERR_NOTFOUND);
}

static void claims_records_and_the_end(void **state)
{
    struct testdb_fixture *f = *state;
    int64_t id = mailing_to(f, 6);
    int64_t *ids;
    int n;
    assert_int_equal(mailing_start_due(f->db, &f->a, clock_now(), 10, &ids, &n), 0);
    fan_out(f, id, 100);
    int64_t now_ms = clock_now_ms(), now = clock_now();

    struct mailing_recipient r[10], other[10];
    assert_int_equal(mailing_claim(f->db, id, "a", now_ms, now_ms + 10000, 4, r, &n), 0);
    assert_int_equal(n, 4);
    for (int i = 0; i < n; i++)
        assert_true(r[i].chat_id >= 1001 && r[i].chat_id <= 1006);
    /* another sender gets the rest only */
    int m;
    assert_int_equal(mailing_claim(f->db, id, "b", now_ms, now_ms + 1000, 10, other, &m), 0);
    assert_int_equal(m, 2);
    int64_t unheld = -1;
    assert_int_equal(mailing_unheld(f->db, id, now_ms, &unheld), 0);
    assert_int_equal(unheld, 0);
    /* b's claims end soon: they are not firmly held */
    assert_int_equal(mailing_unheld(f->db, id, now_ms + 5000, &unheld), 0);
    assert_int_equal(unheld, 2);
    /* b dies; once its claims expired, c takes them over */
    assert_int_equal(mailing_claim(f->db, id, "c", now_ms + 500, now_ms + 9000, 10, other, &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(mailing_claim(f->db, id, "c", now_ms + 1001, now_ms + 9000, 10, other, &m), 0);
    assert_int_equal(m, 2);
    assert_int_equal(mailing_claim_renew(f->db, "c", now_ms + 20000), 0);
    assert_int_equal(mailing_unheld(f->db, id, now_ms + 9500, &unheld), 0);
    assert_int_equal(unheld, 0);

    enum mailing_delivery_status got;
    struct mailing_outcome sent = {.status = MAILING_DELIVERY_SENT, .message_id = 77};
    assert_int_equal(mailing_record(f->db, r[0].delivery_id, "a", now, &sent, &got), 0);
    assert_int_equal(got, MAILING_DELIVERY_SENT);
    /* never recorded twice */
    assert_int_equal(mailing_record(f->db, r[0].delivery_id, "a", now, &sent, &got), 0);
    assert_int_equal(got, MAILING_DELIVERY_PENDING);
    assert_int_equal(
        query_int(f, "SELECT message_id FROM mailing_delivery WHERE id = ?", r[0].delivery_id), 77);

    struct mailing_outcome blocked = {.status = MAILING_DELIVERY_BLOCKED,
                                      .error = "Forbidden: bot was blocked by the user"};
    assert_int_equal(mailing_record(f->db, r[1].delivery_id, "a", now, &blocked, &got), 0);
    assert_int_equal(got, MAILING_DELIVERY_BLOCKED);
    assert_int_equal(query_int(f, "SELECT is_blocked FROM customer WHERE tg_id = ?", r[1].chat_id),
                     1);
    struct mailing_outcome failed = {.status = MAILING_DELIVERY_FAILED,
                                     .error = "Bad Request: chat not found"};
    assert_int_equal(mailing_record(f->db, r[2].delivery_id, "a", now, &failed, &got), 0);
    assert_int_equal(got, MAILING_DELIVERY_FAILED);

    /* a retry: counted, due later, back to anyone; recorded only by the claim's holder */
    struct mailing_outcome retry = {.status = MAILING_DELIVERY_PENDING,
                                    .error = "500: Internal Server Error",
                                    .retry_at_ms = now_ms + 60000,
                                    .max_attempts = 2};
    assert_int_equal(mailing_record(f->db, r[3].delivery_id, "zombie", now, &retry, &got), 0);
    assert_int_equal(
        query_int(f, "SELECT attempts FROM mailing_delivery WHERE id = ?", r[3].delivery_id), 0);
    assert_int_equal(mailing_record(f->db, r[3].delivery_id, "a", now, &retry, &got), 0);
    assert_int_equal(got, MAILING_DELIVERY_PENDING);
    assert_int_equal(mailing_claim(f->db, id, "d", now_ms, now_ms + 9000, 10, other, &m), 0);
    assert_int_equal(m, 0); /* not due yet */
    assert_int_equal(mailing_unheld(f->db, id, now_ms, &unheld), 0);
    assert_int_equal(unheld, 1); /* waiting for its retry */
    assert_int_equal(mailing_claim(f->db, id, "d", now_ms + 60000, now_ms + 70000, 1, other, &m),
                     0);
    assert_int_equal(m, 1);
    assert_int_equal(other[0].delivery_id, r[3].delivery_id);
    assert_int_equal(other[0].attempts, 1);
    /* the last attempt fails it */
    assert_int_equal(mailing_record(f->db, other[0].delivery_id, "d", now, &retry, &got), 0);
    assert_int_equal(got, MAILING_DELIVERY_FAILED);

    /* a release hands c's rows back at once */
    assert_int_equal(mailing_claim_release(f->db, "c"), 0);
    assert_int_equal(mailing_claim(f->db, id, "e", now_ms, now_ms + 9000, 10, other, &m), 0);
    assert_int_equal(m, 2);

    /* the counters move with the senders' reports, not once done */
    struct mailing_state st;
    struct mailing_progress delta = {.sent = 1, .failed = 2, .blocked = 1};
    assert_int_equal(mailing_report_progress(f->db, &f->a, id, now, &delta, &st), 0);
    assert_int_equal(st.status, MAILING_SENDING);
    assert_false(st.paused);
    assert_true(st.fanout_complete);
    assert_null(st.photo_file_id);
    struct mailing mm;
    assert_int_equal(mailing_get(f->db, &f->a, id, &mm), 0);
    assert_int_equal(mm.sent + mm.failed + mm.blocked, 4);
    assert_int_equal(mm.pending, 2);
    int64_t total = 0;
    struct mailing_progress sum;
    assert_int_equal(mailing_sending_totals(f->db, &total, &sum), 0);
    assert_int_equal(total, 6);
    assert_int_equal(sum.sent + sum.failed + sum.blocked, 4);

    bool finished = true;
    assert_int_equal(mailing_finish_if_settled(f->db, id, now, &finished), 0);
    assert_false(finished); /* two are pending */
    for (int i = 0; i < 2; i++)
        assert_int_equal(mailing_record(f->db, other[i].delivery_id, "e", now, &sent, &got), 0);
    assert_int_equal(mailing_finish_if_settled(f->db, id, now + 5, &finished), 0);
    assert_true(finished);
    assert_int_equal(mailing_finish_if_settled(f->db, id, now + 5, &finished), 0);
    assert_false(finished); /* once */
    delta = (struct mailing_progress){.sent = 5};
    assert_int_equal(mailing_report_progress(f->db, &f->a, id, now, &delta, &st), 0);
    assert_int_equal(st.status, MAILING_DONE);
    assert_int_equal(mailing_get(f->db, &f->a, id, &mm), 0);
    assert_int_equal(mm.status, MAILING_DONE);
    assert_int_equal(mm.finished_at, now + 5);
    assert_int_equal(mm.sent, 3);
    assert_int_equal(mm.failed, 2);
    assert_int_equal(mm.blocked, 1);
    assert_int_equal(mm.total, 6);
    assert_int_equal(mm.pending, 0);
    assert_int_equal(mailing_sending_totals(f->db, &total, &sum), 0);
    assert_int_equal(total, 0); /* none is sending now */

    struct mailing_error_count *errors;
    assert_int_equal(mailing_errors(f->db, &f->a, id, 5, &errors, &n), 0);
    assert_int_equal(n, 3);
    assert_string_equal(errors[0].error, "500: Internal Server Error");
    assert_int_equal(errors[0].count, 1);
    assert_int_equal(errors[0].count + errors[1].count + errors[2].count, 3);
    assert_int_equal(mailing_errors(f->db, &f->a, id, 0, &errors, &n), ERR_INVALID);

    /* the photo's file_id is cached once, and forgotten when Telegram no longer has it */
    assert_int_equal(mailing_set_photo_file_id(f->db, id, NULL, "AgAD1"), 0);
    assert_int_equal(mailing_set_photo_file_id(f->db, id, NULL, "AgAD2"), 0);
    assert_int_equal(mailing_report_progress(f->db, &f->a, id, now, &delta, &st), 0);
    assert_string_equal(st.photo_file_id, "AgAD1");
    assert_int_equal(mailing_set_photo_file_id(f->db, id, "AgAD1", NULL), 0);
    assert_int_equal(mailing_report_progress(f->db, &f->a, id, now, &delta, &st), 0);
    assert_null(st.photo_file_id);
    assert_int_equal(mailing_report_progress(f->db, &f->a, 999999, now, &delta, &st), ERR_NOTFOUND);
}

static void empty_audience_finishes_at_once(void **state)
{
    struct testdb_fixture *f = *state;
    int64_t id = mailing_to(f, 0);
    int64_t *ids;
    int n;
    assert_int_equal(mailing_start_due(f->db, &f->a, clock_now(), 10, &ids, &n), 0);
    bool finished = false;
    assert_int_equal(mailing_finish_if_settled(f->db, id, clock_now(), &finished), 0);
    assert_false(finished); /* the fan-out has not run */
    fan_out(f, id, 10);
    assert_int_equal(mailing_finish_if_settled(f->db, id, clock_now(), &finished), 0);
    assert_true(finished);
}

int main(int argc, char **argv)
{
    testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pause_resume_and_start, testdb_fixture_setup,
                                        testdb_fixture_teardown),
        cmocka_unit_test_setup_teardown(fanout_steps_add_each_recipient_once, testdb_fixture_setup,
                                        testdb_fixture_teardown),
        cmocka_unit_test_setup_teardown(claims_records_and_the_end, testdb_fixture_setup,
                                        testdb_fixture_teardown),
        cmocka_unit_test_setup_teardown(empty_audience_finishes_at_once, testdb_fixture_setup,
                                        testdb_fixture_teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
