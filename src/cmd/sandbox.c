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
        {"fault", required_argument, NULL, 'f'},
        {0},
    };
    struct sandbox_options opt = {.bot_token = "123456789:sandbox-token",
                                  .global_rate = 30,
                                  .per_chat_rate = 1,
                                  .per_chat_burst = 3};
    struct sandbox_fault faults[SANDBOX_MAX_FAULTS];
    size_t fault_count = 0;
    struct buf err = BUF_INIT;
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
        case 'f':
            if (fault_count == SANDBOX_MAX_FAULTS)
                status = cmd_usage_error(env, "at most %d --fault rules", SANDBOX_MAX_FAULTS);
            else if (sandbox_fault_parse(&faults[fault_count++], optarg, &err))
                status = cmd_usage_error(env, "--fault: %s", err.data);
            break;
        default:
            status = EXIT_USAGE;
        }
    }
    if (status == EXIT_OK && optind < argc)
        status = cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    if (status != EXIT_OK) {
        buf_release(&err);
        free(host);
        return status;
    }
    opt.listen_host = host ? host : "127.0.0.1";
    if (!host)
        opt.listen_port = 8081;

    cmd_block_stop_signals();

    struct sandbox *sb = NULL;
    if (sandbox_start(&sb, &opt, &err) || sandbox_set_faults(sb, faults, fault_count, &err)) {
        sandbox_stop(sb);
        status = cmd_fail(env, "%s", err.data);
        buf_release(&err);
        free(host);
        return status;
    }
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
