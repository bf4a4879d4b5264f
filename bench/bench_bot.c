/*
 * The bot process of the benchmark: the same bot as `tgshop bot` (configured
 * from the environment like it: BOT_TOKEN, TELEGRAM_API_URL, DATABASE_URL,
 * ADMIN_CHAT_IDS, ...; long polling), linked with the timing probes of
 * probe.h. It runs in its own process so that its memory and CPU are its own.
 *
 * Protocol with the driver (bench.c): prints "ready" on stdout once the bot
 * runs; when stdin says "stop" (or closes) prints one JSON line with the
 * bot's statistics, the probes, its CPU time and peak RSS, and exits.
 */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "bot/bot.h"
#include "core/config.h"
#include "core/log.h"
#include "core/parse.h"
#include "jobs/queue.h"
#include "probe.h"
#include "core/banned.h"

extern char **environ;

/* A "Key:   N kB" line of /proc/self/status, in KiB; -1 when missing. */
static long long proc_status_kib(const char *key)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long long value = -1;
    size_t klen = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            value = strtoll(line + klen + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return value;
}

static double seconds(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static json_t *report(struct bot *b)
{
    struct bot_stats s;
    bot_get_stats(b, &s);
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        memset(&ru, 0, sizeof ru);
    return json_pack("{s:{s:I, s:I, s:I, s:f, s:f, s:f}, s:o, s:f, s:f, s:I, s:I, s:I, s:I}", "bot",
                     "updates", (json_int_t)s.updates, "failures", (json_int_t)s.failures,
                     "duplicates", (json_int_t)s.duplicates, "p50_ms", s.p50_ms, "p99_ms", s.p99_ms,
                     "max_ms", s.max_ms, "probe", probe_report(), "cpu_user_s",
                     seconds(ru.ru_utime), "cpu_system_s", seconds(ru.ru_stime), "vm_hwm_kib",
                     (json_int_t)proc_status_kib("VmHWM"), "vm_rss_kib",
                     (json_int_t)proc_status_kib("VmRSS"), "maxrss_kib", (json_int_t)ru.ru_maxrss,
                     "threads", (json_int_t)proc_status_kib("Threads"));
}

int main(int argc, char **argv)
{
    static const struct option options[] = {{"workers", required_argument, NULL, 'w'}, {0}};
    int64_t workers = 8;
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        if (c != 'w' || parse_int64(optarg, &workers) || workers < 1 || workers > 32) {
            fprintf(stderr, "usage: tgshop_bench_bot [--workers 1-32] (configured from the "
                            "environment like tgshop bot)\n");
            return 2;
        }
    }
    struct config cfg;
    struct buf err = BUF_INIT;
    struct config_source src = {environ, NULL};
    if (config_load(&cfg, &src, &err)) {
        fprintf(stderr, "tgshop_bench_bot: %s\n", err.data);
        buf_release(&err);
        return 2;
    }
    log_setup(cfg.log_level, cfg.log_format, NULL);
    if (!cfg.bot_token) {
        fprintf(stderr, "tgshop_bench_bot: BOT_TOKEN is not set\n");
        config_release(&cfg);
        buf_release(&err);
        return 2;
    }
    struct queue_config queue = {.database_url = cfg.database_url, .redis_url = cfg.redis_url};
    /* the settings exactly as `tgshop bot` makes them (src/cmd/main.c, cmd_bot_settings) */
    struct bot_options opt = {
        .database_url = cfg.database_url,
        .api_url = cfg.telegram_api_url,
        .token = cfg.bot_token,
        .workers = (int)workers,
        .long_polling = true,
        .send_rate = cfg.send_rate,
        .settings =
            {
                .currency = cfg.currency,
                .provider_token = cfg.payment_provider_token,
                .admin_chat_ids = cfg.admin_chat_ids,
                .admin_chat_count = cfg.admin_chat_count,
                .default_language = cfg.default_language,
                .page_size = cfg.page_size,
                .reserve_seconds = cfg.reservation_minutes * 60LL,
                .gate_cache_seconds = 60,
                .queue = &queue,
            },
    };
    struct bot *b;
    if (bot_start(&b, &opt, &err)) {
        fprintf(stderr, "tgshop_bench_bot: %s\n", err.data);
        config_release(&cfg);
        buf_release(&err);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);
    char line[64];
    while (fgets(line, sizeof line, stdin) && strncmp(line, "stop", 4))
        ;
    json_t *r = report(b);
    char *text = json_dumps(r, JSON_COMPACT);
    json_decref(r);
    if (text) {
        printf("%s\n", text);
        fflush(stdout);
        free(text);
    }
    bot_stop(b);
    config_release(&cfg);
    buf_release(&err);
    return text ? 0 : 1;
}
