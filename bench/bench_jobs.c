/*
 * The sending benchmark (docs/PERFORMANCE.md, bench/jobs): N messages to N users of an
 * in-process sandbox whose global limit is --limit messages/s (0 = none), sent by real
 * `tgshop worker` processes. Two shapes:
 *
 *   --shape mailing  (default) a mailing to N customers, started as "Send now" leaves it
 *                    (status scheduled, scheduled_at now): one `tgshop worker --queue
 *                    default` runs the scheduler and the fan-out, --senders processes of
 *                    `--queue telegram_sending_queue` send the batches
 *   --shape notify   N notify.message jobs, one per message (the original design's one
 *                    Celery task per message), sent by one sender process
 *
 * Prints one Markdown table row: the run, messages, limit, SEND_RATE, the time to the first
 * message, the rate over the steady part (between two polls of the sandbox's count of
 * sendMessage calls: a fault rule that only counts, far cheaper than the stats, which list
 * every chat; calls equal deliveries while there is no 429), the
 * end-to-end rate (N over the time from the start to the last message), the share of the
 * limit, 429s, how many messages the sandbox delivered, the workers' CPU time per message
 * (user + system, microseconds; the senders' together) and their peak RSS (VmHWM; the
 * largest sender's). Exit status 1 when not every user got exactly one message.
 */
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/parse.h"
#include "db/db.h"
#include "db/migrate.h"
#include "jobs/notify.h"
#include "sandbox/sandbox.h"
#include "core/banned.h"

#define TOKEN       "123456789:bench-jobs-token-0123456789abcdef"
#define FIRST_USER  1000000000LL
#define TEXT        "Spring sale: <b>-20%</b> on every tea"
#define MAX_SENDERS 8

extern char **environ;

struct sent {
    int64_t ok, rate_limited;
};

static int64_t send_counter(json_t *methods, const char *field)
{
    return json_integer_value(json_object_get(json_object_get(methods, "sendMessage"), field));
}

/* The sendMessage calls the sandbox has seen (the counting rule's matches). */
static int64_t sandbox_calls(struct sandbox *sb)
{
    struct buf out = BUF_INIT;
    int64_t calls = 0;
    if (sandbox_user_api(sb, "GET", "/sandbox/api/faults", NULL, &out) == 200) {
        json_t *j = json_loads(out.data, 0, NULL);
        calls = json_integer_value(
            json_object_get(json_array_get(json_object_get(j, "result"), 0), "matched"));
        json_decref(j);
    }
    buf_release(&out);
    return calls;
}

/* The sandbox's sendMessage counters, and how many of the users got a message other than
 * exactly one (the stats list every chat: asked once, at the end). */
static struct sent sandbox_sent(struct sandbox *sb, int64_t users, int64_t *out_wrong)
{
    struct buf out = BUF_INIT;
    struct sent s = {0, 0};
    if (sandbox_user_api(sb, "GET", "/sandbox/api/stats", NULL, &out) == 200) {
        json_t *j = json_loads(out.data, 0, NULL);
        json_t *result = json_object_get(j, "result");
        json_t *methods = json_object_get(result, "methods");
        s.ok = send_counter(methods, "ok");
        s.rate_limited = send_counter(methods, "rate_limited");
        json_t *chats = json_object_get(result, "chats");
        *out_wrong = 0;
        for (int64_t i = 0; i < users; i++) {
            char id[24];
            snprintf(id, sizeof id, "%lld", (long long)(FIRST_USER + i));
            json_t *d = json_object_get(json_object_get(chats, id), "delivered");
            if (json_integer_value(d) != 1)
                (*out_wrong)++;
        }
        json_decref(j);
    }
    buf_release(&out);
    return s;
}

static long peak_rss_kib(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%ld/status", (long)pid);
    FILE *f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

/* The CPU time (user + system, seconds) a process has used so far. */
static double cpu_seconds(pid_t pid)
{
    char path[64], line[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    FILE *f = fopen(path, "r");
    double seconds = 0;
    if (f && fgets(line, sizeof line, f)) {
        const char *p = strrchr(line, ')'); /* the name may hold spaces */
        unsigned long long utime = 0, stime = 0;
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                        &stime) == 2)
            seconds = (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
    }
    if (f)
        fclose(f);
    return seconds;
}

static pid_t spawn_worker(const char *tgshop, const char *queue, const char *concurrency,
                          char **envp)
{
    char *args[] = {(char *)tgshop,      "worker", "--queue", (char *)queue, "--concurrency",
                    (char *)concurrency, NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    int failed = posix_spawn(&pid, tgshop, &fa, NULL, args, envp);
    posix_spawn_file_actions_destroy(&fa);
    if (failed) {
        fprintf(stderr, "cannot start %s\n", tgshop);
        return -1;
    }
    return pid;
}

/* N customers (the sandbox users) and a mailing to all of them, due now; its id. */
static int prepare_mailing(struct db *db, int64_t messages, int64_t *out_id)
{
    if (db_exec(db,
                "INSERT INTO customer (tg_id, first_name, language_code) "
                "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) "
                "SELECT ? + i, 'U', 'en' FROM n",
                DB_INT(messages - 1), DB_INT(FIRST_USER)))
        return -1;
    return db_query_int(db, out_id,
                        "INSERT INTO mailing (text, button_text, button_url, audience, status, "
                        "scheduled_at, total_count) VALUES (?, 'Open the shop', "
                        "'https://shop.example/sale', 'all', 'scheduled', ?, ?) RETURNING id",
                        DB_TEXT(TEXT), DB_INT(clock_now()), DB_INT(messages));
}

static int enqueue_notes(const char *database_url, const char *redis_url, int64_t messages,
                         struct buf *err)
{
    struct queue *q = NULL;
    struct queue_config qc = {.database_url = database_url, .redis_url = redis_url};
    if (queue_open(&q, &qc, err))
        return -1;
    int status = 0;
    for (int64_t i = 0; i < messages && !status; i++)
        if (notify_enqueue(q, FIRST_USER + i, TEXT, NULL) != 1) {
            buf_addf(err, "enqueue: %s", queue_errmsg(q));
            status = -1;
        }
    queue_close(q);
    return status;
}

int main(int argc, char **argv)
{
    static const struct option options[] = {
        {"tgshop", required_argument, NULL, 't'},
        {"database-url", required_argument, NULL, 'd'},
        {"redis-url", required_argument, NULL, 'r'},
        {"messages", required_argument, NULL, 'n'},
        {"limit", required_argument, NULL, 'l'},
        {"send-rate", required_argument, NULL, 's'},
        {"concurrency", required_argument, NULL, 'c'},
        {"senders", required_argument, NULL, 'k'},
        {"shape", required_argument, NULL, 'p'},
        {"label", required_argument, NULL, 'b'},
        {0},
    };
    const char *tgshop = NULL, *database_url = NULL, *redis_url = NULL, *label = "";
    int64_t messages = 1000, limit = 0, concurrency = 8, senders = 1;
    double send_rate = 1000;
    bool notes = false;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        int bad = 0;
        if (c == 't')
            tgshop = optarg;
        else if (c == 'd')
            database_url = optarg;
        else if (c == 'r')
            redis_url = optarg;
        else if (c == 'b')
            label = optarg;
        else if (c == 'n')
            bad = parse_int64(optarg, &messages) || messages < 1;
        else if (c == 'l')
            bad = parse_int64(optarg, &limit) || limit < 0;
        else if (c == 's')
            bad = parse_double(optarg, &send_rate) || send_rate <= 0;
        else if (c == 'c')
            bad = parse_int64(optarg, &concurrency) || concurrency < 1;
        else if (c == 'k')
            bad = parse_int64(optarg, &senders) || senders < 1 || senders > MAX_SENDERS;
        else if (c == 'p')
            bad = !(notes = !strcmp(optarg, "notify")) && strcmp(optarg, "mailing");
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "tgshop_bench_jobs: bad option\n");
            return 2;
        }
    }
    if (!tgshop || !database_url || (notes && senders > 1)) {
        fprintf(stderr, "usage: tgshop_bench_jobs --tgshop PATH --database-url URL [--redis-url "
                        "URL] [--messages N] [--limit N] [--send-rate R] [--concurrency N] "
                        "[--senders K (mailing)] [--shape mailing|notify] [--label TEXT]\n");
        return 2;
    }

    struct buf err = BUF_INIT;
    struct sandbox *sb = NULL;
    struct sandbox_options sopt = {.bot_token = TOKEN,
                                   .global_rate = (double)limit,
                                   .per_chat_rate = 0,
                                   .max_messages_per_chat = 4};
    struct sandbox_fault counting = {.method = "sendMessage"};
    if (sandbox_start(&sb, &sopt, &err) || sandbox_set_faults(sb, &counting, 1, &err)) {
        fprintf(stderr, "sandbox: %s\n", err.data);
        return 1;
    }
    for (int64_t i = 0; i < messages; i++) {
        char body[96];
        struct buf out = BUF_INIT;
        snprintf(body, sizeof body, "{\"id\":%lld,\"first_name\":\"U\",\"started\":true}",
                 (long long)(FIRST_USER + i));
        sandbox_user_api(sb, "POST", "/sandbox/api/users", body, &out);
        buf_release(&out);
    }
    struct db *db = NULL;
    int64_t mailing_id = 0;
    if (db_open(&db, database_url, &err) || migrate_apply(db, NULL, &err)) {
        fprintf(stderr, "database: %s\n", err.data);
        return 1;
    }
    if (notes && enqueue_notes(database_url, redis_url, messages, &err)) {
        fprintf(stderr, "queue: %s\n", err.data);
        return 1;
    }

    char rate[32], conc[16], env_db[1100], env_redis[1100], env_api[300], env_rate[64];
    snprintf(rate, sizeof rate, "%g", send_rate);
    snprintf(conc, sizeof conc, "%lld", (long long)concurrency);
    snprintf(env_db, sizeof env_db, "DATABASE_URL=%s", database_url);
    snprintf(env_redis, sizeof env_redis, "REDIS_URL=%s", redis_url ? redis_url : "");
    snprintf(env_api, sizeof env_api, "TELEGRAM_API_URL=%s", sandbox_url(sb));
    snprintf(env_rate, sizeof env_rate, "SEND_RATE=%s", rate);
    char *envp[] = {env_db,
                    env_api,
                    env_rate,
                    "BOT_TOKEN=" TOKEN,
                    "LOG_LEVEL=error",
                    redis_url ? env_redis : NULL,
                    NULL};
    pid_t pids[MAX_SENDERS + 1];
    long rss[MAX_SENDERS + 1];
    int nproc = 0;
    if (!notes)
        pids[nproc++] = spawn_worker(tgshop, "default", "2", envp);
    for (int64_t i = 0; i < senders; i++)
        pids[nproc++] = spawn_worker(tgshop, "telegram_sending_queue", conc, envp);
    for (int i = 0; i < nproc; i++) {
        rss[i] = -1;
        if (pids[i] < 0)
            return 1;
    }
    int64_t t0 = clock_mono_us();
    if (!notes && prepare_mailing(db, messages, &mailing_id)) {
        fprintf(stderr, "mailing: %s\n", db_errmsg(db));
        return 1;
    }

    /* the steady part: from the first poll that saw a message to the last before the end */
    int64_t first_us = 0, last_us = 0, end_us = 0, deadline = clock_mono_ms() + 3600 * 1000;
    int64_t first = 0, last = 0, calls = 0;
    while (calls < messages && clock_mono_ms() < deadline) {
        clock_sleep_ms(200);
        calls = sandbox_calls(sb);
        for (int i = 0; i < nproc; i++) {
            long r = peak_rss_kib(pids[i]);
            if (r > rss[i])
                rss[i] = r;
        }
        if (calls && !first_us) {
            first_us = clock_mono_us();
            first = calls;
        } else if (calls < messages) {
            last_us = clock_mono_us();
            last = calls;
        }
    }
    end_us = clock_mono_us();
    if (!notes) {
        /* settled: the mailing is done (its last rows recorded) */
        int64_t done = 0;
        while (!done && clock_mono_ms() < deadline) {
            if (db_query_int(db, &done,
                             "SELECT count(*) FROM mailing WHERE id = ? AND status = "
                             "'done'",
                             DB_INT(mailing_id)))
                break;
            if (!done)
                clock_sleep_ms(100);
        }
    }
    int64_t wrong = 0;
    struct sent now = sandbox_sent(sb, messages, &wrong);
    long sender_rss = -1;
    double sender_cpu = 0, default_cpu = notes ? 0 : cpu_seconds(pids[0]);
    for (int i = 0; i < nproc; i++) {
        long r = peak_rss_kib(pids[i]);
        if (r > rss[i])
            rss[i] = r;
        if (i >= (notes ? 0 : 1) && rss[i] > sender_rss)
            sender_rss = rss[i];
        if (i >= (notes ? 0 : 1))
            sender_cpu += cpu_seconds(pids[i]);
        kill(pids[i], SIGTERM);
    }
    int stopped = 1;
    for (int i = 0; i < nproc; i++) {
        int wstatus = 0;
        waitpid(pids[i], &wstatus, 0);
        stopped = stopped && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    }
    double seconds = (double)(last_us - first_us) / 1e6;
    double achieved = seconds > 0 ? (double)(last - first) / seconds : 0;
    double whole = (double)(end_us - t0) / 1e6;
    char limit_text[24] = "none", share[24] = "-", rss_text[48];
    if (limit) {
        snprintf(limit_text, sizeof limit_text, "%lld", (long long)limit);
        snprintf(share, sizeof share, "%.1f%%", 100 * achieved / (double)limit);
    }
    if (notes)
        snprintf(rss_text, sizeof rss_text, "%.1f", (double)sender_rss / 1024);
    else
        snprintf(rss_text, sizeof rss_text, "%.1f / %.1f", (double)rss[0] / 1024,
                 (double)sender_rss / 1024);
    printf("| %s | %lld | %s | %s | %.1f | %.0f | %.0f | %s | %lld | %lld%s | %.0f / %.0f | %s |\n",
           label, (long long)messages, limit_text, rate, (double)(first_us - t0) / 1e6, achieved,
           (double)messages / whole, share, (long long)now.rate_limited, (long long)now.ok,
           wrong ? " (not exactly once!)" : "", 1e6 * default_cpu / (double)messages,
           1e6 * sender_cpu / (double)messages, rss_text);
    db_close(db);
    sandbox_stop(sb);
    buf_release(&err);
    return now.ok == messages && !wrong && stopped ? 0 : 1;
}
