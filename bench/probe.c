#include "probe.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "db/db.h"
#include "hist.h"
#include "tg/update.h"
#include "core/banned.h"

/* The real functions and their wrappers (ld --wrap). */
int __real_tg_update_from_json(struct tg_update *out, struct arena *a, const json_t *update,
                               struct buf *err);
int __wrap_tg_update_from_json(struct tg_update *out, struct arena *a, const json_t *update,
                               struct buf *err);
void __real_arena_reset(struct arena *a);
void __wrap_arena_reset(struct arena *a);
CURLcode __real_curl_easy_perform(CURL *curl);
CURLcode __wrap_curl_easy_perform(CURL *curl);
int __real_db_execv(struct db *db, const char *sql, const struct db_param *params, size_t n);
int __wrap_db_execv(struct db *db, const char *sql, const struct db_param *params, size_t n);
int __real_db_queryv(struct db *db, struct db_rows **out, const char *sql,
                     const struct db_param *params, size_t n);
int __wrap_db_queryv(struct db *db, struct db_rows **out, const char *sql,
                     const struct db_param *params, size_t n);
int __real_db_query_intv(struct db *db, int64_t *out, const char *sql,
                         const struct db_param *params, size_t n);
int __wrap_db_query_intv(struct db *db, int64_t *out, const char *sql,
                         const struct db_param *params, size_t n);
int __real_db_next(struct db_rows *rows);
int __wrap_db_next(struct db_rows *rows);
int __real_db_begin(struct db *db);
int __wrap_db_begin(struct db *db);
int __real_db_commit(struct db *db);
int __wrap_db_commit(struct db *db);

struct probe_thread {
    bool active; /* between the parse and the reset of an update */
    const struct arena *arena;
    int64_t start_us, cpu_start_ns, api_us, db_us;
    uint64_t api_calls, statements, transactions;
};

static _Thread_local struct probe_thread current;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct hist handle_hist, api_hist, own_hist, cpu_hist, db_hist, rest_hist;
static uint64_t api_calls_total, statements_total, transactions_total;

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts))
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int __wrap_tg_update_from_json(struct tg_update *out, struct arena *a, const json_t *update,
                               struct buf *err)
{
    current = (struct probe_thread){true, a, clock_mono_us(), thread_cpu_ns(), 0, 0, 0, 0, 0};
    return __real_tg_update_from_json(out, a, update, err);
}

CURLcode __wrap_curl_easy_perform(CURL *curl)
{
    if (!current.active)
        return __real_curl_easy_perform(curl);
    int64_t start = clock_mono_us();
    CURLcode rc = __real_curl_easy_perform(curl);
    current.api_us += clock_mono_us() - start;
    current.api_calls++;
    return rc;
}

/* Times one database call made while an update is handled. */
#define TIMED_DB(call, counter)                                                                    \
    do {                                                                                           \
        if (!current.active)                                                                       \
            return call;                                                                           \
        int64_t start_ = clock_mono_us();                                                          \
        int rc_ = call;                                                                            \
        current.db_us += clock_mono_us() - start_;                                                 \
        counter;                                                                                   \
        return rc_;                                                                                \
    } while (0)

int __wrap_db_execv(struct db *db, const char *sql, const struct db_param *params, size_t n)
{
    TIMED_DB(__real_db_execv(db, sql, params, n), current.statements++);
}

int __wrap_db_queryv(struct db *db, struct db_rows **out, const char *sql,
                     const struct db_param *params, size_t n)
{
    TIMED_DB(__real_db_queryv(db, out, sql, params, n), current.statements++);
}

int __wrap_db_query_intv(struct db *db, int64_t *out, const char *sql,
                         const struct db_param *params, size_t n)
{
    TIMED_DB(__real_db_query_intv(db, out, sql, params, n), current.statements++);
}

int __wrap_db_next(struct db_rows *rows)
{
    TIMED_DB(__real_db_next(rows), (void)0);
}

int __wrap_db_begin(struct db *db)
{
    TIMED_DB(__real_db_begin(db), current.transactions++);
}

int __wrap_db_commit(struct db *db)
{
    TIMED_DB(__real_db_commit(db), (void)0);
}

void __wrap_arena_reset(struct arena *a)
{
    if (current.active && a == current.arena) {
        int64_t handle = clock_mono_us() - current.start_us;
        int64_t cpu = (thread_cpu_ns() - current.cpu_start_ns) / 1000;
        current.active = false;
        pthread_mutex_lock(&lock);
        hist_add(&handle_hist, handle);
        hist_add(&api_hist, current.api_us);
        hist_add(&own_hist, handle - current.api_us);
        hist_add(&cpu_hist, cpu);
        hist_add(&db_hist, current.db_us);
        hist_add(&rest_hist, handle - current.api_us - current.db_us);
        api_calls_total += current.api_calls;
        statements_total += current.statements;
        transactions_total += current.transactions;
        pthread_mutex_unlock(&lock);
    }
    __real_arena_reset(a);
}

static json_t *hist_json(const struct hist *h)
{
    return json_pack("{s:I, s:f, s:f, s:f, s:f, s:f, s:f}", "count", (json_int_t)h->count,
                     "mean_ms", hist_mean_ms(h), "p50_ms", hist_quantile_ms(h, 0.50), "p90_ms",
                     hist_quantile_ms(h, 0.90), "p99_ms", hist_quantile_ms(h, 0.99), "p999_ms",
                     hist_quantile_ms(h, 0.999), "max_ms", hist_max_ms(h));
}

json_t *probe_report(void)
{
    pthread_mutex_lock(&lock);
    json_t *report =
        json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "handle",
                  hist_json(&handle_hist), "api", hist_json(&api_hist), "own", hist_json(&own_hist),
                  "cpu", hist_json(&cpu_hist), "db", hist_json(&db_hist), "rest",
                  hist_json(&rest_hist), "api_calls", (json_int_t)api_calls_total, "statements",
                  (json_int_t)statements_total, "transactions", (json_int_t)transactions_total);
    pthread_mutex_unlock(&lock);
    return report;
}
