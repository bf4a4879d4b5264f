/* core/metrics.h: the Prometheus text a scraper reads (types, labels escaped, histogram
 * buckets cumulative), the "other" series past METRIC_SERIES_MAX, exact counts under
 * concurrent updates; core/log.h: the request and update ids on every line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/log.h"
#include "core/metrics.h"

static char *rendered(void)
{
    struct buf out = BUF_INIT;
    metrics_render(&out);
    return buf_detach(&out, NULL);
}

static int reset(void **state)
{
    (void)state;
    metrics_reset();
    return 0;
}

static void counters_render_with_help_type_and_labels(void **state)
{
    (void)state;
    metric_inc(&metric_http_requests, "admin", "200");
    metric_inc(&metric_http_requests, "admin", "200");
    metric_add(&metric_http_requests, 5, "admin", "404");
    char *text = rendered();
    assert_non_null(strstr(text, "# HELP tgshop_http_requests_total "));
    assert_non_null(strstr(text, "# TYPE tgshop_http_requests_total counter\n"));
    assert_non_null(
        strstr(text, "tgshop_http_requests_total{server=\"admin\",status=\"200\"} 2\n"));
    assert_non_null(
        strstr(text, "tgshop_http_requests_total{server=\"admin\",status=\"404\"} 5\n"));
    /* a metric without labels reads 0 before its first use; one with labels has no series */
    assert_non_null(strstr(text, "\ntgshop_telegram_429_total 0\n"));
    assert_null(strstr(text, "tgshop_jobs_total{"));
    free(text);
}

static void label_values_are_escaped_and_cut(void **state)
{
    (void)state;
    metric_inc(&metric_messages, "a\"b\\c\nd", NULL);
    char long_value[100];
    memset(long_value, 'x', sizeof long_value - 1);
    long_value[sizeof long_value - 1] = '\0';
    metric_inc(&metric_messages, long_value, NULL);
    char *text = rendered();
    assert_non_null(strstr(text, "tgshop_messages_total{result=\"a\\\"b\\\\c\\nd\"} 1\n"));
    char want[128];
    snprintf(want, sizeof want, "{result=\"%.*s\"} 1\n", METRIC_VALUE_MAX - 1, long_value);
    assert_non_null(strstr(text, want));
    free(text);
}

static void gauges_set_and_add(void **state)
{
    (void)state;
    metric_set(&metric_mailing_recipients, 3000, "pending", NULL);
    metric_gauge_add(&metric_mailing_recipients, -120, "pending", NULL);
    metric_gauge_add(&metric_mailing_recipients, 120, "sent", NULL);
    char *text = rendered();
    assert_non_null(strstr(text, "# TYPE tgshop_mailing_recipients gauge\n"));
    assert_non_null(strstr(text, "tgshop_mailing_recipients{state=\"pending\"} 2880\n"));
    assert_non_null(strstr(text, "tgshop_mailing_recipients{state=\"sent\"} 120\n"));
    free(text);
}

static void histogram_buckets_are_cumulative(void **state)
{
    (void)state;
    metric_observe(&metric_update_seconds, 0.0005, NULL, NULL);
    metric_observe(&metric_update_seconds, 0.03, NULL, NULL);
    metric_observe(&metric_update_seconds, 0.03, NULL, NULL);
    metric_observe(&metric_update_seconds, 60, NULL, NULL);
    metric_observe(&metric_update_seconds, -1, NULL, NULL); /* a clock step: counts as 0 */
    char *text = rendered();
    const char *h = "tgshop_update_handler_seconds";
    char want[128];
    static const struct {
        const char *le;
        int count;
    } rows[] = {{"0.001", 2}, {"0.025", 2}, {"0.05", 4}, {"10", 4}, {"+Inf", 5}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        snprintf(want, sizeof want, "%s_bucket{le=\"%s\"} %d\n", h, rows[i].le, rows[i].count);
        assert_non_null(strstr(text, want));
    }
    snprintf(want, sizeof want, "%s_sum 60.060500\n%s_count 5\n", h, h);
    assert_non_null(strstr(text, want));
    free(text);
}

static void series_past_the_limit_count_as_other(void **state)
{
    (void)state;
    char code[16];
    for (int i = 0; i < METRIC_SERIES_MAX + 10; i++) {
        snprintf(code, sizeof code, "%d", 100 + i);
        metric_inc(&metric_http_requests, "admin", code);
    }
    char *text = rendered();
    assert_non_null(strstr(text, "{server=\"admin\",status=\"100\"} 1\n"));
    assert_non_null(strstr(text, "{server=\"other\",status=\"other\"} 11\n"));
    snprintf(code, sizeof code, "\"%d\"", 100 + METRIC_SERIES_MAX - 1);
    assert_null(strstr(text, code));
    free(text);
}

enum { THREADS = 8, ROUNDS = 20000 };

static void *hammer(void *arg)
{
    const char *label = arg;
    for (int i = 0; i < ROUNDS; i++) {
        metric_inc(&metric_jobs, "default", label);
        metric_observe(&metric_update_seconds, 0.002, NULL, NULL);
    }
    return NULL;
}

static void concurrent_updates_are_all_counted(void **state)
{
    (void)state;
    pthread_t threads[THREADS];
    static const char *const labels[] = {"done", "retried"};
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, (void *)labels[i % 2]), 0);
    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_join(threads[i], NULL), 0);
    char *text = rendered();
    char want[128];
    snprintf(want, sizeof want, "tgshop_jobs_total{queue=\"default\",state=\"done\"} %d\n",
             THREADS / 2 * ROUNDS);
    assert_non_null(strstr(text, want));
    snprintf(want, sizeof want, "tgshop_jobs_total{queue=\"default\",state=\"retried\"} %d\n",
             THREADS / 2 * ROUNDS);
    assert_non_null(strstr(text, want));
    /* one series per label set, however many threads made it at once */
    const char *first = strstr(text, "state=\"done\"");
    assert_null(strstr(first + 1, "state=\"done\""));
    snprintf(want, sizeof want, "tgshop_update_handler_seconds_count %d\n", THREADS * ROUNDS);
    assert_non_null(strstr(text, want));
    free(text);
}

static char *logged(enum log_format format, uint64_t request_id, int64_t update_id)
{
    FILE *f = tmpfile();
    assert_non_null(f);
    log_setup(LOG_INFO, format, f);
    log_set_ids(request_id, update_id);
    log_info("handled");
    log_set_ids(0, 0);
    log_setup(LOG_INFO, LOG_TEXT, NULL);
    long size = ftell(f);
    assert_true(size > 0);
    char *line = calloc(1, (size_t)size + 1);
    rewind(f);
    assert_int_equal(fread(line, 1, (size_t)size, f), (size_t)size);
    fclose(f);
    return line;
}

static void log_lines_carry_the_ids(void **state)
{
    (void)state;
    char *line = logged(LOG_TEXT, 17, 123456);
    assert_non_null(strstr(line, " info  request_id=17 update_id=123456 handled\n"));
    free(line);
    line = logged(LOG_JSON, 0, 99);
    assert_non_null(strstr(line, "\"level\":\"info\",\"update_id\":99,\"msg\":\"handled\"}"));
    assert_null(strstr(line, "request_id"));
    free(line);
    line = logged(LOG_TEXT, 0, 0);
    assert_non_null(strstr(line, " info  handled\n"));
    free(line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(counters_render_with_help_type_and_labels, reset),
        cmocka_unit_test_setup(label_values_are_escaped_and_cut, reset),
        cmocka_unit_test_setup(gauges_set_and_add, reset),
        cmocka_unit_test_setup(histogram_buckets_are_cumulative, reset),
        cmocka_unit_test_setup(series_past_the_limit_count_as_other, reset),
        cmocka_unit_test_setup(concurrent_updates_are_all_counted, reset),
        cmocka_unit_test(log_lines_carry_the_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
