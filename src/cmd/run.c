#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "core/xalloc.h"
#include "core/banned.h"

/* Prints what the shop runs with; secrets are never printed. */
static void print_configuration(const struct cmd_env *env)
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
    if (cfg->bot_token)
        printf("  telegram     %s (%s)\n", cfg->telegram_api_url,
               cfg->webhook_url ? "webhook" : "long polling");
    else
        printf("  telegram     sandbox (no BOT_TOKEN set)\n");
    printf("  payments     %s, currency %s\n",
           cfg->payment_provider_token ? "payment provider" : "Telegram Stars", cfg->currency);
    printf("  admin panel  http://%s:%d/\n", cfg->listen_host, cfg->listen_port);
    printf("  media        %s\n", cfg->media_dir);
    printf("  language     %s by default; %zu admin chat%s notified\n", cfg->default_language,
           cfg->admin_chat_count, cfg->admin_chat_count == 1 ? "" : "s");
}

int cmd_run(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {{0}};
    if (cmd_getopt(env, argc, argv, ":", options) != -1)
        return EXIT_USAGE;
    if (optind < argc)
        return cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (cmd_database(env))
        return EXIT_FAIL;
    print_configuration(env);
    printf("The database is ready. The bot, the admin panel and the workers are not part of\n"
           "this build yet; create an admin account with: tgshop user create --username NAME\n");
    return EXIT_OK;
}
