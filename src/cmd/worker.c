#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "http/server.h"
#include "core/parse.h"
#include "jobs/mailing.h"
#include "jobs/notify.h"
#include "jobs/scheduler.h"
#include "jobs/worker.h"
#include "tg/flood.h"
#include "core/banned.h"

int cmd_jobs_start(const struct cmd_env *env, struct cmd_jobs *out,
                   const struct cmd_jobs_options *opt)
{
    const struct config *cfg = &env->cfg;
    memset(out, 0, sizeof *out);
    out->notify = (struct notify_ctx){.send_rate = cfg->send_rate};
    out->mailing = (struct mailing_jobs){.send_rate = cfg->send_rate,
                                         .flood = opt->flood,
                                         .admin_chats = cfg->admin_chat_ids,
                                         .admin_chat_count = cfg->admin_chat_count};
    struct worker_options wopt = {
        .queue = env->queue,
        .database_url = cfg->database_url,
        .queue_count = opt->queue_count,
        .concurrency = opt->concurrency,
    };
    bool sending = false, default_queue = false;
    for (size_t i = 0; i < opt->queue_count; i++) {
        wopt.queues[i] = opt->queues[i];
        sending = sending || !strcmp(opt->queues[i], QUEUE_SENDING);
        default_queue = default_queue || !strcmp(opt->queues[i], QUEUE_DEFAULT);
    }
    if (sending) {
        wopt.api_url = opt->api_url;
        wopt.token = opt->token;
        wopt.flood = opt->flood;
    }
    out->worker = worker_new(&wopt);
    if (sending) {
        worker_register(out->worker, NOTIFY_KIND, notify_message_job, &out->notify);
        worker_register(out->worker, MAILING_SEND_KIND, mailing_send_job, &out->mailing);
    }
    if (default_queue)
        worker_register(out->worker, MAILING_FANOUT_KIND, mailing_fanout_job, &out->mailing);
    struct buf err = BUF_INIT;
    int status = EXIT_OK;
    if (worker_start(out->worker, &err))
        status = cmd_fail(env, "cannot start the job worker: %s", err.data);
    struct scheduler_options sopt = {.queue = env->queue, .database_url = cfg->database_url};
    if (status == EXIT_OK && default_queue && scheduler_start(&out->scheduler, &sopt, &err))
        status = cmd_fail(env, "cannot start the scheduler: %s", err.data);
    buf_release(&err);
    if (status != EXIT_OK)
        cmd_jobs_stop(out);
    return status;
}

void cmd_jobs_stop(struct cmd_jobs *jobs)
{
    scheduler_free(jobs->scheduler);
    worker_free(jobs->worker);
    memset(jobs, 0, sizeof *jobs);
}

/* "default,telegram_sending_queue" into names; EXIT_OK or a usage error. */
static int parse_queues(struct cmd_env *env, const char *list, char names[2][32], size_t *count)
{
    *count = 0;
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        if (*count == 2 || n == 0 || n >= 32)
            return cmd_usage_error(env,
                                   "--queue takes default and/or telegram_sending_queue, "
                                   "comma-separated; got \"%s\"",
                                   list);
        memcpy(names[*count], p, n);
        names[*count][n] = '\0';
        if (!queue_name_valid(names[*count]) || (*count == 1 && !strcmp(names[0], names[1])))
            return cmd_usage_error(env,
                                   "--queue takes default and/or telegram_sending_queue, "
                                   "comma-separated; got \"%s\"",
                                   list);
        (*count)++;
        p += n;
        if (*p == ',')
            p++;
    }
    return *count ? EXIT_OK : cmd_usage_error(env, "--queue needs a queue name");
}

int cmd_worker(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {
        {"queue", required_argument, NULL, 'q'},
        {"concurrency", required_argument, NULL, 'c'},
        {0},
    };
    char names[2][32];
    size_t count = 0;
    int64_t concurrency = 4;
    int c, status = EXIT_OK;
    while (status == EXIT_OK && (c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        if (c == 'q')
            status = parse_queues(env, optarg, names, &count);
        else if (c == 'c' &&
                 (parse_int64(optarg, &concurrency) || concurrency < 1 || concurrency > 64))
            status = cmd_usage_error(env, "--concurrency must be 1-64, got \"%s\"", optarg);
        else if (c != 'c')
            status = EXIT_USAGE;
    }
    if (status == EXIT_OK && optind < argc)
        status = cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (status == EXIT_OK && !count)
        status = cmd_usage_error(env, "--queue is required");
    bool sending = status == EXIT_OK && (!strcmp(names[0], QUEUE_SENDING) ||
                                         (count == 2 && !strcmp(names[1], QUEUE_SENDING)));
    if (sending && !env->cfg.bot_token)
        status = cmd_usage_error(env, "BOT_TOKEN is not set: the telegram_sending_queue "
                                      "worker sends through the bot");
    if (status == EXIT_OK && cmd_database(env))
        status = EXIT_FAIL;
    if (status != EXIT_OK)
        return status;

    cmd_block_stop_signals();
    const char *queues[2] = {names[0], count == 2 ? names[1] : NULL};
    struct cmd_jobs jobs;
    struct tg_flood *flood = tg_flood_new(&(struct tg_flood_options){.rate = env->cfg.send_rate});
    struct cmd_jobs_options opt = {.flood = flood,
                                   .queues = queues,
                                   .queue_count = count,
                                   .concurrency = (int)concurrency,
                                   .api_url = env->cfg.telegram_api_url,
                                   .token = env->cfg.bot_token};
    struct http_server *ops = NULL;
    status = cmd_jobs_start(env, &jobs, &opt);
    if (status == EXIT_OK && (status = cmd_ops_start(env, &ops)) != EXIT_OK)
        cmd_jobs_stop(&jobs);
    if (status != EXIT_OK) {
        tg_flood_free(flood);
        return status;
    }
    printf("tgshop worker: queue%s %s%s%s, %lld thread%s, jobs in %s%s\n", count == 2 ? "s" : "",
           names[0], count == 2 ? ", " : "", count == 2 ? names[1] : "", (long long)concurrency,
           concurrency == 1 ? "" : "s", env->cfg.redis_url ? "Redis" : "the database",
           jobs.scheduler ? "; scheduler on" : "");
    fflush(stdout);
    cmd_wait_for_stop();
    printf("Stopping: finishing the jobs in hand...\n");
    fflush(stdout);
    cmd_jobs_stop(&jobs);
    http_server_stop(ops);
    tg_flood_free(flood);
    return EXIT_OK;
}
