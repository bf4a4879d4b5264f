#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "bot/bot.h"
#include "cmd/cmd.h"
#include "core/err.h"
#include "http/server.h"
#include "shop/admin_user.h"
#include "web/web.h"
#include "core/banned.h"

static int submit_update(void *bot, const char *json, size_t len)
{
    return bot_submit(bot, json, len);
}

void cmd_web_options(const struct cmd_env *env, struct web_options *out)
{
    const struct config *cfg = &env->cfg;
    *out = (struct web_options){
        .database_url = cfg->database_url,
        .listen_host = cfg->listen_host,
        .listen_port = cfg->listen_port,
        .media_dir = cfg->media_dir,
        .currency = cfg->currency,
        .telegram_api_url = cfg->telegram_api_url,
        .bot_token = cfg->bot_token,
        .trust_proxy = cfg->trust_proxy,
        .queue = &env->queue,
        .default_language = cfg->default_language,
    };
}

int cmd_first_admin(struct cmd_env *env)
{
    char password[21];
    bool created;
    struct buf err = BUF_INIT;
    int status = EXIT_OK;
    if (admin_user_create_first(env->db, password, &created, &err))
        status = cmd_fail(env, "cannot create the first admin account: %s", err.data);
    else if (created)
        printf("Created the admin panel's first account (shown only this once):\n"
               "  username: admin\n  password: %s\n"
               "Change it after signing in (click your name at the top right).\n",
               password);
    buf_release(&err);
    return status;
}

static int count_account(const struct admin_user *user, void *count)
{
    (void)user;
    ++*(int *)count;
    return 0;
}

int cmd_web(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {{"listen", required_argument, NULL, 'l'}, {0}};
    char *host = NULL;
    int port = env->cfg.listen_port;
    int c, status = EXIT_OK;
    while (status == EXIT_OK && (c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        if (c == 'l') {
            free(host);
            host = NULL;
            if (config_parse_host_port(optarg, true, &host, &port))
                status = cmd_usage_error(env, "--listen must be HOST:PORT, got \"%s\"", optarg);
        } else {
            status = EXIT_USAGE;
        }
    }
    if (status == EXIT_OK && optind < argc)
        status = cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    bool webhook = env->cfg.webhook_url != NULL;
    if (status == EXIT_OK && webhook && (!env->cfg.bot_token || !env->cfg.webhook_secret))
        status = cmd_usage_error(env, "WEBHOOK_URL needs BOT_TOKEN and WEBHOOK_SECRET (the "
                                      "token Telegram sends with every update)");
    if (status == EXIT_OK && cmd_database(env))
        status = EXIT_FAIL;
    if (status != EXIT_OK) {
        free(host);
        return status;
    }
    cmd_block_stop_signals();
    struct buf err = BUF_INIT;
    struct bot *b = NULL;
    struct web *w = NULL;
    struct http_server *ops = NULL;
    if ((status = cmd_ops_start(env, &ops)) != EXIT_OK)
        goto done;
    if (webhook) {
        struct bot_options bopt = {
            .database_url = env->cfg.database_url,
            .api_url = env->cfg.telegram_api_url,
            .token = env->cfg.bot_token,
            .long_polling = false,
            .send_rate = env->cfg.send_rate,
        };
        cmd_bot_settings(env, &bopt.settings);
        /* start-up retries end on Ctrl-C/SIGTERM; stopped then, the panel is not started */
        if ((status = cmd_start_bot(env, &b, &bopt)) != EXIT_OK || !b)
            goto done;
    }
    struct web_options wopt;
    cmd_web_options(env, &wopt);
    if (host)
        wopt.listen_host = host;
    wopt.listen_port = port;
    if (b) {
        wopt.webhook_secret = env->cfg.webhook_secret;
        wopt.on_update = submit_update;
        wopt.update_ctx = b;
    }
    if (web_start(&w, &wopt, &err)) {
        status = cmd_fail(env, "cannot start the admin panel: %s", err.data);
        goto done;
    }
    printf("tgshop web: the admin panel is at %s/", web_url(w));
    if (b)
        printf(" and receives Telegram updates at POST %s/tg/webhook", web_url(w));
    printf(". Stop with Ctrl-C.\n");
    int accounts = 0;
    if (admin_user_list(env->db, count_account, &accounts, &err) == 0 && accounts == 0)
        printf("There is no account yet: create one with\n"
               "  tgshop user create --username NAME --superuser\n");
    fflush(stdout);
    cmd_wait_for_stop();
done:
    web_stop(w);
    bot_stop(b);
    http_server_stop(ops);
    free(host);
    buf_release(&err);
    return status;
}
