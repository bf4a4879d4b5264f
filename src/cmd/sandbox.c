#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "sandbox/sandbox.h"
#include "core/banned.h"

static int parse_rate(struct cmd_env *env, const char *flag, const char *value, double *out)
{
    if (parse_double(value, out) || *out < 0)
        return cmd_usage_error(env, "%s must be a number >= 0, got \"%s\"", flag, value);
    return 0;
}

int cmd_sandbox(int argc, char **argv, struct cmd_env *env)
{
    static const struct option options[] = {
        {"listen", required_argument, NULL, 'l'},
        {"token", required_argument, NULL, 't'},
        {"global-rate", required_argument, NULL, 'g'},
        {"chat-rate", required_argument, NULL, 'c'},
        {"chat-burst", required_argument, NULL, 'b'},
        {"precheckout-timeout", required_argument, NULL, 'p'},
        {"error-share", required_argument, NULL, 'e'},
        {"slow-share", required_argument, NULL, 's'},
        {"slow-ms", required_argument, NULL, 'm'},
        {0},
    };
    struct sandbox_options opt = {.bot_token = "123456789:sandbox-token",
                                  .global_rate = 30,
                                  .per_chat_rate = 1,
                                  .per_chat_burst = 3};
    struct sandbox_faults faults = {0};
    char *host = NULL;
    int c, status = EXIT_OK;
    double number;
    while (status == EXIT_OK && (c = cmd_getopt(env, argc, argv, ":", options)) != -1) {
        switch (c) {
        case 'l':
            free(host);
            host = NULL;
            if (config_parse_host_port(optarg, true, &host, &opt.listen_port))
                status = cmd_usage_error(env, "--listen must be HOST:PORT, got \"%s\"", optarg);
            break;
        case 't':
            opt.bot_token = optarg;
            break;
        case 'g':
            status = parse_rate(env, "--global-rate", optarg, &opt.global_rate);
            break;
        case 'c':
            status = parse_rate(env, "--chat-rate", optarg, &opt.per_chat_rate);
            break;
        case 'b':
            status = parse_rate(env, "--chat-burst", optarg, &opt.per_chat_burst);
            break;
        case 'p':
            status = parse_rate(env, "--precheckout-timeout", optarg, &number);
            opt.precheckout_timeout_ms = (int)(number * 1000);
            if (!status && (number < 0.001 || number > 3600))
                status = cmd_usage_error(env, "--precheckout-timeout must be 0.001-3600 seconds");
            break;
        case 'e':
            status = parse_rate(env, "--error-share", optarg, &faults.error_share);
            break;
        case 's':
            status = parse_rate(env, "--slow-share", optarg, &faults.slow_share);
            break;
        case 'm':
            status = parse_rate(env, "--slow-ms", optarg, &number);
            faults.slow_ms = (int)number;
            break;
        default:
            status = EXIT_USAGE;
        }
    }
    if (status == EXIT_OK && optind < argc)
        status = cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (status == EXIT_OK && (faults.error_share > 1 || faults.slow_share > 1))
        status = cmd_usage_error(env, "--error-share and --slow-share are shares from 0 to 1");
    if (status != EXIT_OK) {
        free(host);
        return status;
    }
    opt.listen_host = host ? host : "127.0.0.1";
    if (!host)
        opt.listen_port = 8081;

    cmd_block_stop_signals();

    struct buf err = BUF_INIT;
    struct sandbox *sb = NULL;
    if (sandbox_start(&sb, &opt, &err)) {
        status = cmd_fail(env, "%s", err.data);
        buf_release(&err);
        free(host);
        return status;
    }
    sandbox_set_faults(sb, &faults);
    const char *url = sandbox_url(sb);
    printf("tgshop sandbox: Bot API at %s/bot%s/METHOD, user API at %s/sandbox/api/\n"
           "Web chat: %s/\n"
           "Set TELEGRAM_API_URL=%s and BOT_TOKEN=%s. Stop with Ctrl-C.\n",
           url, opt.bot_token, url, url, url, opt.bot_token);
    fflush(stdout);
    cmd_wait_for_stop();
    sandbox_stop(sb);
    buf_release(&err);
    free(host);
    return EXIT_OK;
}
