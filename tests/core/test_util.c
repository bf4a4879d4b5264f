/* core/util.h: ARRAY_SIZE counts elements; BUG() logs where the invariant broke and aborts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

static void array_size_counts_elements(void **state)
{
    (void)state;
    static const char *const words[] = {"a", "b", "c"};
    int64_t numbers[7];
    struct {
        char c;
        double d;
    } pairs[2];
    assert_int_equal(ARRAY_SIZE(words), 3);
    assert_int_equal(ARRAY_SIZE(numbers), 7);
    assert_int_equal(ARRAY_SIZE(pairs), 2);
    (void)numbers;
    (void)pairs;
}

static void bug_logs_the_place_and_aborts(void **state)
{
    (void)state;
    FILE *log = tmpfile();
    assert_non_null(log);
    fflush(stderr);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        log_setup(LOG_INFO, LOG_TEXT, log);
        BUG("route %d has %d arguments", 7, 9);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGABRT);
    char line[512] = "";
    rewind(log);
    size_t n = fread(line, 1, sizeof line - 1, log);
    line[n] = '\0';
    fclose(log);
    if (!strstr(line, "BUG: ") || !strstr(line, "test_util.c:") ||
        !strstr(line, "route 7 has 9 arguments"))
        fail_msg("BUG() logged: %s", line);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(array_size_counts_elements),
        cmocka_unit_test(bug_logs_the_place_and_aborts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
