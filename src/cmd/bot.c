#include <getopt.h>
#include <stdio.h>

#include "bot/bot.h"
#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/banned.h"

int cmd_bot(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {{"workers", required_argument, NULL, 'w'}, {0}};
    int64_t workers = 8;
    int c;
    while ((c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        if (c == '?')
            return EXIT_USAGE;
        if (parse_int64(optarg, &workers) || workers < 1 || workers > 32)
            return cmd_usage_error(env, "--workers must be 1-32, got \"%s\"", optarg);
    }
    if (optind < argc)
        return cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (!env->cfg.bot_token)
        return cmd_usage_error(env, "BOT_TOKEN is not set; to try the shop without Telegram, "
                                    "use tgshop run (it starts the sandbox)");
    if (env->cfg.webhook_url)
        return cmd_usage_error(env, "WEBHOOK_URL is set: in webhook mode updates are received by "
                                    "the web process; unset it to long-poll");
    if (cmd_database(env))
        return EXIT_FAIL;
    struct bot_options opt = {
        .database_url = env->cfg.database_url,
        .api_url = env->cfg.telegram_api_url,
        .token = env->cfg.bot_token,
        .workers = (int)workers,
        .long_polling = true,
        .send_rate = env->cfg.send_rate,
    };
    cmd_bot_settings(env, &opt.settings);
    cmd_block_stop_signals();
    struct bot *b;
    int status = cmd_start_bot(env, &b, &opt);
    if (status != EXIT_OK || !b)
        return status;
    printf("tgshop bot: @%s is running (long polling %s). Stop with Ctrl-C.\n", bot_username(b),
           env->cfg.telegram_api_url);
    fflush(stdout);
    cmd_wait_for_stop();
    bot_stop(b);
    return EXIT_OK;
}
