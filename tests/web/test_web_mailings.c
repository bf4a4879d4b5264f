/* A mailing being sent, in the admin panel, on SQLite and PostgreSQL (the states are made
 * with SQL, as the pipeline would leave them): the live progress (the JSON the page's
 * script polls, the bar and counters, the script allowed by the CSP), pause / resume /
 * cancel with their CSRF checks and audit rows, "paused" shown for a paused mailing, and
 * the end report of a finished one with its error breakdown. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "db/migrate.h"
#include "panel_client.h"
#include "shop/admin_user.h"
#include "shop/customer.h"
#include "testdb.h"
#include "web/web.h"

static const char *backend;

static const char PASSWORD[] = "Counter-shift-2026";

struct fixture {
    char *url;
    struct db *db;
    struct web *web;
    struct panel_client panel;
    struct arena a;
    int64_t mailing, started;
    char page[64];
};

/* A delivery of the mailing to a new customer, settled as status with error. */
static void delivery(struct fixture *f, int64_t tg_id, const char *status, const char *error)
{
    struct customer c;
    struct tg_profile who = {tg_id, NULL, "Reader", NULL, "en"};
    assert_int_equal(customer_touch(f->db, &f->a, &who, &c), 0);
    if (db_exec(f->db,
                "INSERT INTO mailing_delivery (mailing_id, customer_id, status, attempts, "
                "last_error) VALUES (?, ?, ?, 1, ?)",
                DB_INT(f->mailing), DB_INT(c.id), DB_TEXT(status), DB_TEXT(error)))
        fail_msg("delivery: %s", db_errmsg(f->db));
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->url = strdup(testdb_new_url(backend));
    struct buf err = BUF_INIT;
    if (db_open(&f->db, f->url, &err) || migrate_apply(f->db, NULL, &err))
        fail_msg("database: %s", err.data);
    assert_int_equal(admin_user_create(f->db, "clerk", PASSWORD, false, NULL, &err), 0);
    arena_init(&f->a, 0);
    /* sending for two minutes: 4 sent, 2 failed, 1 blocked of 10 */
    f->started = clock_now() - 120;
    if (db_query_int(f->db, &f->mailing,
                     "INSERT INTO mailing (text, audience, status, scheduled_at, started_at, "
                     "total_count, sent_count, failed_count, blocked_count) VALUES ('<b>Sale</b>', "
                     "'all', 'sending', ?, ?, 10, 4, 2, 1) RETURNING id",
                     DB_INT(f->started), DB_INT(f->started)))
        fail_msg("mailing: %s", db_errmsg(f->db));
    delivery(f, 701, "failed", "400: Bad Request: chat not found");
    delivery(f, 702, "failed", "400: Bad Request: chat not found");
    delivery(f, 703, "blocked", "403: <b>Forbidden</b>: bot was blocked by the user");
    snprintf(f->page, sizeof f->page, "/mailings/%lld", (long long)f->mailing);
    struct web_options opt = {.database_url = f->url, .currency = "RUB", .db_connections = 2};
    if (web_start(&f->web, &opt, &err))
        fail_msg("web_start: %s", err.data);
    buf_release(&err);
    panel_client_init(&f->panel, web_url(f->web));
    panel_sign_in(&f->panel, "clerk", PASSWORD);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    panel_client_release(&f->panel);
    web_stop(f->web);
    db_close(f->db);
    arena_release(&f->a);
    free(f->url);
    free(f);
    return 0;
}

/* POSTs fields (with the mailing page's form token) to the mailing's action; the status. */
static long act(struct fixture *f, const char *action, const char *fields)
{
    char path[96];
    snprintf(path, sizeof path, "%s/%s", f->page, action);
    return panel_post(&f->panel, f->page, path, fields);
}

/* GET /mailings/ID/progress as JSON (the caller frees it). */
static json_t *progress(struct fixture *f)
{
    char path[96];
    snprintf(path, sizeof path, "%s/progress", f->page);
    assert_int_equal(panel_get(&f->panel, path), 200);
    assert_string_equal(test_header(&f->panel.resp, "Content-Type"), "application/json");
    assert_string_equal(test_header(&f->panel.resp, "Cache-Control"), "no-store");
    json_t *j = json_loads(f->panel.resp.body.data, 0, NULL);
    assert_non_null(j);
    return j;
}

static json_int_t field(json_t *j, const char *name)
{
    return json_integer_value(json_object_get(j, name));
}

static int64_t audited(struct fixture *f, const char *action)
{
    int64_t n = -1;
    assert_int_equal(
        db_query_int(f->db, &n,
                     "SELECT count(*) FROM audit_log WHERE action = ? AND "
                     "object_type = 'mailing' AND object_id = ? AND username = 'clerk'",
                     DB_TEXT(action), DB_INT(f->mailing)),
        0);
    return n;
}

static void sending_mailing_is_live_and_controlled(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(panel_get(&f->panel, f->page), 200);
    panel_has(&f->panel, "<span class=\"badge\">sending</span>");
    /* the bar: sent 400 of 1000 units, failed 200 after them, blocked 100 after those */
    panel_has(&f->panel, "data-bar=\"sent\" width=\"400\"");
    panel_has(&f->panel, "data-bar=\"failed\" x=\"400\" width=\"200\"");
    panel_has(&f->panel, "data-bar=\"blocked\" x=\"600\" width=\"100\"");
    panel_has(&f->panel,
              "<span data-count=\"sent\">4</span> sent · <span data-count=\"failed\">2</span> "
              "failed · <span data-count=\"blocked\">1</span> blocked · <span "
              "data-count=\"pending\">3</span> pending of <span data-count=\"total\">10</span> "
              "(<span data-count=\"percent\">70</span>%)");
    char live[128];
    snprintf(live, sizeof live, "data-progress=\"%s/progress\" data-status=\"sending\"", f->page);
    panel_has(&f->panel, live);
    panel_has(&f->panel, "<script src=\"/static/mailing.js\" defer></script>");
    panel_lacks(&f->panel, "}}"); /* no template text leaks */
    panel_lacks(&f->panel, "http-equiv=\"refresh\"");
    panel_has(&f->panel, ">Pause</button>");
    panel_lacks(&f->panel, ">Resume</button>");
    panel_has(&f->panel, ">Cancel</button>");
    panel_lacks(&f->panel, "<h2>Report</h2>");
    /* the CSP lets the panel's own script run, and nothing inline */
    const char *csp = test_header(&f->panel.resp, "Content-Security-Policy");
    assert_non_null(strstr(csp, "script-src 'self'"));
    assert_null(strstr(csp, "unsafe-inline"));
    assert_int_equal(panel_get(&f->panel, "/static/mailing.js"), 200);
    assert_string_equal(test_header(&f->panel.resp, "Content-Type"),
                        "text/javascript; charset=utf-8");
    panel_has(&f->panel, "data-progress");
    /* the JSON the script polls follows the counters */
    json_t *j = progress(f);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "sending");
    assert_true(json_is_true(json_object_get(j, "live")));
    assert_int_equal(field(j, "total"), 10);
    assert_int_equal(field(j, "sent"), 4);
    assert_int_equal(field(j, "pending"), 3);
    assert_int_equal(field(j, "percent"), 70);
    assert_int_equal(field(json_object_get(j, "bar"), "blocked_x"), 600);
    json_decref(j);
    assert_int_equal(
        db_exec(f->db, "UPDATE mailing SET sent_count = 6 WHERE id = ?", DB_INT(f->mailing)), 0);
    j = progress(f);
    assert_int_equal(field(j, "sent"), 6);
    assert_int_equal(field(j, "pending"), 1);
    assert_int_equal(field(json_object_get(j, "bar"), "sent"), 600);
    json_decref(j);
    assert_int_equal(panel_get(&f->panel, "/mailings/999999/progress"), 404);

    /* pause: not without the form's token; then "paused" everywhere */
    char path[96];
    snprintf(path, sizeof path, "%s/pause", f->page);
    assert_int_equal(test_post_form(&f->panel.browser, &f->panel.resp, path, "csrf=wrong"), 403);
    assert_int_equal(act(f, "pause", ""), 303);
    panel_follow(&f->panel);
    panel_has(&f->panel, "The mailing is paused");
    panel_has(&f->panel, "<span class=\"badge\">paused</span>");
    panel_has(&f->panel, "data-status=\"paused\"");
    panel_has(&f->panel, ">Resume</button>");
    panel_lacks(&f->panel, ">Pause</button>");
    int64_t paused_at = 0;
    assert_int_equal(db_query_int(f->db, &paused_at,
                                  "SELECT coalesce(paused_at, 0) FROM mailing WHERE id = ?",
                                  DB_INT(f->mailing)),
                     0);
    assert_true(paused_at > 0);
    assert_int_equal(audited(f, "pause"), 1);
    j = progress(f);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "paused");
    json_decref(j);
    assert_int_equal(panel_get(&f->panel, "/mailings"), 200);
    panel_has(&f->panel, "<span class=\"badge\">paused</span>");
    /* pausing twice is refused with the reason, nothing changes */
    assert_int_equal(act(f, "pause", ""), 303);
    panel_follow(&f->panel);
    panel_has(&f->panel, "The mailing is paused already.");
    panel_has(&f->panel, "<span class=\"badge\">paused</span>");
    /* resume */
    assert_int_equal(act(f, "resume", ""), 303);
    panel_follow(&f->panel);
    panel_has(&f->panel, "The mailing goes on.");
    panel_has(&f->panel, "<span class=\"badge\">sending</span>");
    assert_int_equal(audited(f, "resume"), 1);
    /* cancel asks first; a cancelled mailing is not live and has its report */
    assert_int_equal(act(f, "cancel", ""), 200);
    panel_has(&f->panel, "Nobody else will receive it.");
    assert_int_equal(act(f, "cancel", "confirm=yes"), 303);
    panel_follow(&f->panel);
    panel_has(&f->panel, "The mailing is cancelled.");
    panel_has(&f->panel, "<span class=\"badge\">cancelled</span>");
    panel_lacks(&f->panel, "data-progress=");
    panel_lacks(&f->panel, ">Resume</button>");
    panel_has(&f->panel, "<h2>Report</h2>");
    assert_int_equal(audited(f, "cancel"), 1);
    j = progress(f);
    assert_true(json_is_false(json_object_get(j, "live")));
    json_decref(j);
    /* signed out, the progress is not shown */
    test_client_clear_cookies(&f->panel.browser);
    snprintf(path, sizeof path, "%s/progress", f->page);
    assert_int_equal(panel_get(&f->panel, path), 303);
}

static void done_mailing_has_its_end_report(void **state)
{
    struct fixture *f = *state;
    /* 7 sent, 2 failed, 1 blocked of 10 in 5 seconds */
    assert_int_equal(db_exec(f->db,
                             "UPDATE mailing SET status = 'done', sent_count = 7, finished_at = ? "
                             "WHERE id = ?",
                             DB_INT(f->started + 5), DB_INT(f->mailing)),
                     0);
    assert_int_equal(panel_get(&f->panel, f->page), 200);
    panel_has(&f->panel, "<span class=\"badge\">done</span>");
    panel_lacks(&f->panel, "data-progress=");
    panel_lacks(&f->panel, ">Pause</button>");
    panel_lacks(&f->panel, ">Cancel</button>");
    panel_has(&f->panel, "<span data-count=\"sent\">7</span> sent");
    panel_has(&f->panel, "<span data-count=\"pending\">0</span> pending");
    panel_has(&f->panel, "(<span data-count=\"percent\">100</span>%)");
    panel_has(&f->panel, "<h2>Report</h2>");
    panel_has(&f->panel, "<dt>Took</dt><dd>5 s</dd>");
    panel_has(&f->panel, "<dt>Rate</dt><dd>1.4 messages/s</dd>");
    panel_has(&f->panel, "<dt>Finished</dt>");
    /* the reasons, most common first, escaped */
    panel_has(&f->panel,
              "<tr><td>400: Bad Request: chat not found</td><td>2</td></tr><tr><td>403: "
              "&lt;b&gt;Forbidden&lt;/b&gt;: bot was blocked by the user</td><td>1</td></tr>");
    /* a long run reads in minutes and hours */
    assert_int_equal(db_exec(f->db, "UPDATE mailing SET finished_at = ? WHERE id = ?",
                             DB_INT(f->started + 3725), DB_INT(f->mailing)),
                     0);
    assert_int_equal(panel_get(&f->panel, f->page), 200);
    panel_has(&f->panel, "<dt>Took</dt><dd>1 h 02 min</dd>");
    panel_has(&f->panel, "<dt>Rate</dt><dd>0.0 messages/s</dd>");
    assert_int_equal(db_exec(f->db, "UPDATE mailing SET finished_at = ? WHERE id = ?",
                             DB_INT(f->started + 192), DB_INT(f->mailing)),
                     0);
    assert_int_equal(panel_get(&f->panel, f->page), 200);
    panel_has(&f->panel, "<dt>Took</dt><dd>3 min 12 s</dd>");
}

int main(int argc, char **argv)
{
    backend = testdb_backend(argc, argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(sending_mailing_is_live_and_controlled, setup, teardown),
        cmocka_unit_test_setup_teardown(done_mailing_has_its_end_report, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    testdb_cleanup();
    return failed;
}
