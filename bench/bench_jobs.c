/*
 * The sending benchmark (docs/PERFORMANCE.md, bench/jobs): N messages to N sandbox users as
 * N notify.message jobs on telegram_sending_queue (one job per message, like the original
 * design's one Celery task per message), sent by a real `tgshop worker` process against an
 * in-process sandbox whose global limit is --limit messages/s (0 = none). Prints one
 * Markdown table row: backend, messages, limit, SEND_RATE, enqueue rate, send rate (over the
 * steady part), the share of the limit, 429s, and the worker's peak RSS.
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

#define TOKEN      "123456789:bench-jobs-token-0123456789abcdef"
#define FIRST_USER 1000000000LL

extern char **environ;

struct sent {
    int64_t ok, rate_limited;
};

static struct sent sandbox_sent(struct sandbox *sb)
{
    struct buf out = BUF_INIT;
    struct sent s = {0, 0};
    if (sandbox_user_api(sb, "GET", "/sandbox/api/stats", NULL, &out) == 200) {
        json_t *j = json_loads(out.data, 0, NULL);
        json_t *m = json_object_get(
            json_object_get(json_object_get(json_object_get(j, "result"), "methods"),
                            "sendMessage"),
            "ok");
        s.ok = json_integer_value(m);
        s.rate_limited = json_integer_value(json_object_get(
            json_object_get(json_object_get(json_object_get(j, "result"), "methods"),
                            "sendMessage"),
            "rate_limited"));
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
        {"label", required_argument, NULL, 'b'},
        {0},
    };
    const char *tgshop = NULL, *database_url = NULL, *redis_url = NULL, *label = "";
    int64_t messages = 1000, limit = 0, concurrency = 8;
    double send_rate = 1000;
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
        else
            bad = 1;
        if (bad) {
            fprintf(stderr, "tgshop_bench_jobs: bad option\n");
            return 2;
        }
    }
    if (!tgshop || !database_url) {
        fprintf(stderr, "usage: tgshop_bench_jobs --tgshop PATH --database-url URL [--redis-url "
                        "URL] [--messages N] [--limit N] [--send-rate R] [--concurrency N]\n");
        return 2;
    }

    struct buf err = BUF_INIT;
    struct sandbox *sb = NULL;
    struct sandbox_options sopt = {.bot_token = TOKEN,
                                   .global_rate = (double)limit,
                                   .per_chat_rate = 0,
                                   .max_messages_per_chat = 4};
    if (sandbox_start(&sb, &sopt, &err)) {
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
    if (db_open(&db, database_url, &err) || migrate_apply(db, NULL, &err)) {
        fprintf(stderr, "database: %s\n", err.data);
        return 1;
    }
    db_close(db);
    struct queue *q = NULL;
    struct queue_config qc = {.database_url = database_url, .redis_url = redis_url};
    if (queue_open(&q, &qc, &err)) {
        fprintf(stderr, "queue: %s\n", err.data);
        return 1;
    }
    int64_t t0 = clock_mono_us();
    for (int64_t i = 0; i < messages; i++)
        if (notify_enqueue(q, FIRST_USER + i, "Spring sale: <b>-20%</b> on every tea", NULL) != 1) {
            fprintf(stderr, "enqueue: %s\n", queue_errmsg(q));
            return 1;
        }
    double enqueue_s = (double)(clock_mono_us() - t0) / 1e6;
    queue_close(q);

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
    char *args[] = {(char *)tgshop,  "worker", "--queue", "telegram_sending_queue",
                    "--concurrency", conc,     NULL};
    pid_t pid;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid, tgshop, &fa, NULL, args, envp)) {
        fprintf(stderr, "cannot start %s\n", tgshop);
        return 1;
    }
    posix_spawn_file_actions_destroy(&fa);

    /* the steady part: from the first poll that saw a message to the last before the end */
    /* stats list every chat: poll seldom, so the sandbox spends its time on the sends */
    int64_t poll_ms = messages > 2000 ? 2000 : 200;
    int64_t first_us = 0, last_us = 0, deadline = clock_mono_ms() + 3600 * 1000;
    struct sent first = {0, 0}, last = {0, 0}, now = {0, 0};
    long rss = -1;
    while (now.ok < messages && clock_mono_ms() < deadline) {
        clock_sleep_ms(poll_ms);
        now = sandbox_sent(sb);
        long r = peak_rss_kib(pid);
        if (r > rss)
            rss = r;
        if (now.ok && !first_us) {
            first_us = clock_mono_us();
            first = now;
        } else if (now.ok < messages) {
            last_us = clock_mono_us();
            last = now;
        }
    }
    long r = peak_rss_kib(pid);
    if (r > rss)
        rss = r;
    kill(pid, SIGTERM);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    double seconds = (double)(last_us - first_us) / 1e6;
    double achieved = seconds > 0 ? (double)(last.ok - first.ok) / seconds : 0;
    char limit_text[24] = "none", share[24] = "-";
    if (limit) {
        snprintf(limit_text, sizeof limit_text, "%lld", (long long)limit);
        snprintf(share, sizeof share, "%.1f%%", 100 * achieved / (double)limit);
    }
    printf("| %s | %lld | %s | %s | %.0f | %.0f | %s | %lld | %.1f |\n", label, (long long)messages,
           limit_text, rate, (double)messages / enqueue_s, achieved, share,
           (long long)now.rate_limited, (double)rss / 1024);
    sandbox_stop(sb);
    buf_release(&err);
    return now.ok >= messages && WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0 ? 0 : 1;
}
