#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>

#include "bot/bot.h"
#include "cmd/cmd.h"
#include "jobs/queue.h"
#include "tg/flood.h"
#include "core/parse.h"
#include "http/server.h"
#include "core/xalloc.h"
#include "sandbox/sandbox.h"
#include "web/web.h"
#include "core/banned.h"

/* Prints what the shop runs with; secrets are never printed. */
static void print_configuration(const struct cmd_env *env, const char *telegram)
{
    const struct config *cfg = &env->cfg;
    char *database = config_mask_url(cfg->database_url);
    printf("tgshop %s\n", TGSHOP_VERSION);
    printf("  database     %s (%s)\n", database,
           env->migrations_applied ? "schema created just now" : "schema up to date");
    free(database);
    if (cfg->redis_url) {
        char *redis = config_mask_url(cfg->redis_url);
        printf("  job queue    Redis %s\n", redis);
        free(redis);
    } else {
        printf("  job queue    in the database\n");
    }
    printf("  telegram     %s\n", telegram);
    printf("  payments     %s, currency %s\n",
           cfg->payment_provider_token ? "payment provider" : "Telegram Stars", cfg->currency);
    printf("  media        %s\n", cfg->media_dir);
    printf("  language     %s by default; %zu admin chat%s notified\n", cfg->default_language,
           cfg->admin_chat_count, cfg->admin_chat_count == 1 ? "" : "s");
}

/* A sandbox bot token: a fixed bot id and a fresh random secret for each run. */
static char *sandbox_token(void)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    char secret[36];
    for (size_t i = 0; i < 35; i++)
        secret[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
    secret[35] = '\0';
    struct buf token = BUF_INIT;
    buf_addf(&token, "7000000001:%s", secret);
    return buf_detach(&token, NULL);
}

int cmd_run(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {
        {"no-demo", no_argument, NULL, 'd'},
        {"sandbox-listen", required_argument, NULL, 'l'},
        {"listen", required_argument, NULL, 'L'},
        {"workers", required_argument, NULL, 'w'},
        {0},
    };
    bool demo = true;
    char *sandbox_host = NULL, *admin_host = NULL;
    int admin_port = env->cfg.listen_port;
    int sandbox_port = 8081;
    int64_t workers = 8;
    int c, status = EXIT_OK;
    while (status == EXIT_OK && (c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        if (c == 'd') {
            demo = false;
        } else if (c == 'l') {
            free(sandbox_host);
            sandbox_host = NULL;
            if (config_parse_host_port(optarg, true, &sandbox_host, &sandbox_port))
                status =
                    cmd_usage_error(env, "--sandbox-listen must be HOST:PORT, got \"%s\"", optarg);
        } else if (c == 'L') {
            free(admin_host);
            admin_host = NULL;
            if (config_parse_host_port(optarg, true, &admin_host, &admin_port))
                status = cmd_usage_error(env, "--listen must be HOST:PORT, got \"%s\"", optarg);
        } else if (c == 'w') {
            if (parse_int64(optarg, &workers) || workers < 1 || workers > 32)
                status = cmd_usage_error(env, "--workers must be 1-32, got \"%s\"", optarg);
        } else {
            status = EXIT_USAGE;
        }
    }
    if (status == EXIT_OK && optind < argc)
        status = cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (status == EXIT_OK && env->cfg.webhook_url)
        status = cmd_usage_error(env, "WEBHOOK_URL is set, but tgshop run long-polls; unset it");
    if (status == EXIT_OK && cmd_database(env))
        status = EXIT_FAIL;
    if (status == EXIT_OK && demo)
        status = cmd_demo_seed(env, " (--no-demo skips this)");
    if (status == EXIT_OK)
        status = cmd_first_admin(env);
    if (status != EXIT_OK) {
        free(sandbox_host);
        free(admin_host);
        return status;
    }

    cmd_block_stop_signals();
    struct buf err = BUF_INIT;
    struct sandbox *sb = NULL;
    char *token = NULL;
    struct bot *b = NULL;
    struct cmd_jobs default_jobs = {0}, sending_jobs = {0};
    /* one flood state for every sender of the process: the bot's replies and the jobs' sends */
    struct tg_flood *flood = tg_flood_new(&(struct tg_flood_options){.rate = env->cfg.send_rate});
    struct web *w = NULL;
    struct http_server *ops = NULL;
    const char *api_url = env->cfg.telegram_api_url;
    if ((status = cmd_ops_start(env, &ops)) != EXIT_OK)
        goto done;
    if (!env->cfg.bot_token) {
        token = sandbox_token();
        struct sandbox_options sopt = {
            .listen_host = sandbox_host ? sandbox_host : "127.0.0.1",
            .listen_port = sandbox_port,
            .bot_token = token,
            .bot_username = "tgshop_sandbox_bot",
            .bot_first_name = "tgshop",
        };
        if (sandbox_start(&sb, &sopt, &err)) {
            status = cmd_fail(env, "cannot start the sandbox: %s", err.data);
            goto done;
        }
        api_url = sandbox_url(sb);
    }
    struct bot_options opt = {
        .database_url = env->cfg.database_url,
        .api_url = api_url,
        .token = token ? token : env->cfg.bot_token,
        .workers = (int)workers,
        .long_polling = true,
        .send_rate = env->cfg.send_rate,
        .flood = flood,
    };
    cmd_bot_settings(env, &opt.settings);
    status = cmd_start_bot(env, &b, &opt);
    if (status != EXIT_OK || !b)
        goto done;
    struct web_options wopt;
    cmd_web_options(env, &wopt);
    wopt.sandbox_url = sb ? sandbox_url(sb) : NULL;
    wopt.telegram_api_url = api_url;
    wopt.bot_token = opt.token;
    if (admin_host)
        wopt.listen_host = admin_host;
    wopt.listen_port = admin_port;
    if (web_start(&w, &wopt, &err)) {
        status = cmd_fail(env, "cannot start the admin panel: %s", err.data);
        goto done;
    }
    /* both queues in-process: the default one (with the scheduler) and the senders */
    const char *default_queue[] = {QUEUE_DEFAULT}, *sending_queue[] = {QUEUE_SENDING};
    struct cmd_jobs_options jopt = {.queues = default_queue,
                                    .queue_count = 1,
                                    .concurrency = 2,
                                    .api_url = api_url,
                                    .token = opt.token,
                                    .flood = flood};
    if ((status = cmd_jobs_start(env, &default_jobs, &jopt)) != EXIT_OK)
        goto done;
    jopt.queues = sending_queue;
    jopt.concurrency = 4;
    if ((status = cmd_jobs_start(env, &sending_jobs, &jopt)) != EXIT_OK)
        goto done;
    print_configuration(env, sb ? "sandbox (no BOT_TOKEN set)" : env->cfg.telegram_api_url);
    printf("\nThe shop is running.\n");
    if (sb)
        printf("  sandbox chat  %s/   shop as a customer\n", sandbox_url(sb));
    else
        printf("  Telegram      @%s   shop as a customer\n", bot_username(b));
    printf("  admin panel   %s/   sign in as staff\nStop with Ctrl-C.\n", web_url(w));
    fflush(stdout);
    cmd_wait_for_stop();
    printf("Stopping...\n");
done:
    web_stop(w);
    bot_stop(b);
    cmd_jobs_stop(&default_jobs);
    cmd_jobs_stop(&sending_jobs);
    tg_flood_free(flood);
    sandbox_stop(sb);
    http_server_stop(ops);
    free(token);
    free(sandbox_host);
    free(admin_host);
    buf_release(&err);
    return status;
}
