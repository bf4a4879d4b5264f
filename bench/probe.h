/*
 * Timing probes inside the benchmark's bot process, without touching the
 * bot's code: the bench_bot executable is linked with
 *   -Wl,--wrap=tg_update_from_json,--wrap=arena_reset,--wrap=curl_easy_perform
 * so that, on each worker thread,
 *   - the handling of an update starts when the worker parses it
 *     (tg_update_from_json, the first thing bot.c's handle() does),
 *   - it ends when the worker resets its arena (the last thing handle() does
 *     before counting the update),
 *   - every libcurl exchange in between (the Bot API calls to the sandbox)
 *     is timed and added up, and so is every database call (db_execv,
 *     db_queryv, db_query_intv, db_next, db_begin, db_commit: the statements
 *     of the bot and of the shop's domain functions it calls).
 * Per update this gives: the handling time (no queueing), the time spent
 * waiting on the Bot API, the difference (our own work: database, parsing,
 * rendering, JSON), the database part of it, the rest, and the thread's CPU
 * time. The probes themselves cost two clock reads per wrapped call.
 */
#ifndef TGSHOP_BENCH_PROBE_H
#define TGSHOP_BENCH_PROBE_H

#include <jansson.h>

/* The figures so far as a JSON object: handle/api/own/db/rest/cpu, each with count, mean_ms,
 * p50_ms, p90_ms, p99_ms, p999_ms, max_ms, plus the totals api_calls (Bot API exchanges),
 * statements and transactions made while handling updates. */
json_t *probe_report(void);

#endif
