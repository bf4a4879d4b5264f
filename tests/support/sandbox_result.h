/*
 * The in-process sandbox's user API for tests (tests/jobs, tests/web): one call, its
 * "result" or a test failure naming the call.
 */
#ifndef TGSHOP_TESTS_SANDBOX_RESULT_H
#define TGSHOP_TESTS_SANDBOX_RESULT_H

#include <jansson.h>

#include "sandbox/sandbox.h"

/* Calls sandbox_user_api; fails the test unless it answers 200 with a result, which the
 * caller owns (json_decref). */
json_t *sandbox_result(struct sandbox *sb, const char *method, const char *path, const char *body);

#endif
