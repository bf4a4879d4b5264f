#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bot/bot.h"
#include "bot/context.h"
#include "cmd/cmd.h"
#include "core/dotenv.h"
#include "core/err.h"
#include "core/log.h"
#include "db/migrate.h"
#include "core/banned.h"

extern char **environ;

static const struct command commands[] = {
    {"run", cmd_run, NEED_MIGRATED, "run the whole shop in one process",
     "tgshop run [--no-demo] [--listen HOST:PORT] [--sandbox-listen HOST:PORT] [--workers N]\n\n"
     "Migrates the database, seeds a demo catalogue into an empty one, and runs the\n"
     "bot, the admin panel (on LISTEN, default 127.0.0.1:8000), a worker for each job\n"
     "queue (mailings, notifications) and the scheduler until Ctrl-C. On\n"
     "the first run it creates the superuser admin and prints its password once. Without BOT_TOKEN "
     "it also starts the sandbox (a Telegram\n"
     "Bot API emulator with a web chat) and points the bot at it, so the shop can be\n"
     "tried in a browser without Telegram.\n\n"
     "  --no-demo                   do not seed the demo catalogue\n"
     "  --listen HOST:PORT          where the admin panel listens instead of LISTEN\n"
     "  --sandbox-listen HOST:PORT  where the sandbox listens (default 127.0.0.1:8081)\n"
     "  --workers N                 threads handling updates (1-32, default 8)\n"},
    {"web", cmd_web, NEED_MIGRATED, "run the admin panel (and the Telegram webhook endpoint)",
     "tgshop web [--listen HOST:PORT]\n\n"
     "Serves the admin panel on LISTEN (default 127.0.0.1:8000) until Ctrl-C. Sign in\n"
     "with an account from tgshop user create. With WEBHOOK_URL set (and BOT_TOKEN,\n"
     "WEBHOOK_SECRET) it also runs the bot on updates Telegram posts to /tg/webhook.\n"
     "GET /healthz and GET /metrics answer there too, and on OPS_LISTEN when set\n"
     "(docs/operations.md).\n\n"
     "  --listen HOST:PORT   where to listen instead of LISTEN (port 0 = any free port)\n"},
    {"worker", cmd_worker, NEED_MIGRATED, "run job workers for one or both queues",
     "tgshop worker --queue default|telegram_sending_queue[,...] [--concurrency N]\n\n"
     "Runs jobs from the named queues until SIGTERM or Ctrl-C, then finishes (or hands\n"
     "back) the jobs in hand. The queue is Redis when REDIS_URL is set, else the\n"
     "database. default: background work (the fan-out of mailings) and, in the same\n"
     "process, the scheduler (starts scheduled mailings, expires unpaid orders; one\n"
     "scheduler works at a time however many run). telegram_sending_queue: messages to\n"
     "customers (mailings) and staff, at most SEND_RATE a second across every sender\n"
     "(needs BOT_TOKEN). docs/jobs.md.\n\n"
     "  --queue NAMES       default, telegram_sending_queue, or both comma-separated\n"
     "  --concurrency N     threads taking jobs (1-64, default 4)\n"},
    {"bot", cmd_bot, NEED_MIGRATED,
     "run the Telegram bot (long polling, or the webhook's registration)",
     "tgshop bot [--workers N]\n\n"
     "Runs the bot with BOT_TOKEN against TELEGRAM_API_URL, long polling for updates,\n"
     "until Ctrl-C; long polling deletes a webhook set before. With WEBHOOK_URL (and\n"
     "WEBHOOK_SECRET) it registers that webhook instead (setWebhook with the secret token\n"
     "and the update types the bot handles) and tgshop web receives the updates.\n"
     "With OPS_LISTEN it serves /healthz and /metrics there.\n\n"
     "  --workers N   threads handling updates (1-32, default 8)\n"},
    {"migrate", cmd_migrate, NEED_DB, "apply database schema migrations",
     "tgshop migrate [--status]\n\n"
     "Applies the schema migrations built into this binary that the database does\n"
     "not have yet, each in its own transaction. Safe to run at any time and from\n"
     "several processes at once.\n\n"
     "  --status   list every migration and whether it is applied; change nothing\n"},
    {"user", cmd_user, NEED_MIGRATED, "manage admin panel accounts",
     "tgshop user create --username NAME [--superuser] [--password-stdin]\n"
     "       tgshop user passwd NAME [--password-stdin]\n"
     "       tgshop user list\n\n"
     "create   add an account; the password is asked twice on the terminal, or read\n"
     "         as one line from standard input with --password-stdin\n"
     "passwd   set a new password (ends the account's sessions)\n"
     "list     show every account\n\n"
     "Passwords need at least 8 characters, not only digits, not a well-known\n"
     "password and not close to the username. They are stored as argon2id hashes.\n"},
    {"export", cmd_export, NEED_MIGRATED, "export orders to CSV or XLSX",
     "tgshop export orders --format csv|xlsx [--status S] [--from DATE] [--to DATE]\n"
     "       [--search TEXT] [--bom] [-o FILE]\n\n"
     "Writes the orders that match the filters, newest first, one row per order with\n"
     "its items, customer, contact and payment ids (docs/export.md), to FILE or to\n"
     "standard output. FILE appears only when the export is complete. On a terminal\n"
     "the progress shows on standard error.\n\n"
     "  --format csv|xlsx   CSV (RFC 4180, UTF-8) or an Excel workbook (needs -o FILE or\n"
     "                      a redirected standard output)\n"
     "  --status S          only orders in status S: new, awaiting_payment, paid,\n"
     "                      shipped, delivered, cancelled, refunded\n"
     "  --from DATE         only orders created on DATE (YYYY-MM-DD, UTC) or later\n"
     "  --to DATE           only orders created on DATE or earlier\n"
     "  --search TEXT       only orders whose number, contact name, phone or customer\n"
     "                      name or username contains TEXT\n"
     "  --bom               CSV: start with a byte order mark (Excel then reads UTF-8)\n"
     "  -o, --output FILE   write to FILE instead of standard output\n"},
    {"seed-demo", cmd_seed_demo, NEED_MIGRATED, "seed the demo catalogue",
     "tgshop seed-demo\n\n"
     "Migrates the database and seeds the demo catalogue into it: a tea and coffee shop\n"
     "in Russian (categories, products with pictures in MEDIA_DIR/demo, FAQ entries),\n"
     "priced in CURRENCY. Only an empty catalogue is seeded, so running it again changes\n"
     "nothing; tgshop run does the same on an empty database unless --no-demo.\n"},
    {"sandbox", cmd_sandbox, NEED_CONFIG, "run the Telegram Bot API emulator alone",
     "tgshop sandbox [--listen HOST:PORT] [--token TOKEN] [rate and fault flags]\n\n"
     "Serves an emulator of the Telegram Bot API at http://HOST:PORT/bot<TOKEN>/METHOD\n"
     "and its user-side API at /sandbox/api/ (docs/sandbox.md) until Ctrl-C.\n\n"
     "  --listen HOST:PORT          where to listen (default 127.0.0.1:8081; port 0 = any)\n"
     "  --token TOKEN               the bot token to accept (default 123456789:sandbox-token)\n"
     "  --global-rate N             messages/s to all chats before 429 (default 30; 0 = no limit)\n"
     "  --chat-rate N               messages/s to one chat (default 1; 0 = no limit)\n"
     "  --chat-burst N              messages one chat may get at once (default 3)\n"
     "  --precheckout-timeout SEC   the bot's time to answer a pre_checkout_query (default 10)\n"
     "  --fault RULE                a fault rule for Bot API calls, key=value,... with keys\n"
     "                              method, chat_id, status, description, retry_after,\n"
     "                              global, first, share, delay_ms (docs/sandbox.md);\n"
     "                              repeatable. Examples:\n"
     "                                method=setMyCommands,status=500\n"
     "                                method=getMe,status=502,first=3\n"
     "                                status=429,retry_after=2,share=0.05\n"
     "                                share=0.1,delay_ms=2000\n"},
};

static const char main_usage[] =
    "usage: tgshop [--env-file FILE] COMMAND [ARGS]\n"
    "       tgshop COMMAND --help\n"
    "       tgshop --version\n\n"
    "Configuration comes from the environment and from FILE (default: .env in the\n"
    "current directory, if present; also TGSHOP_ENV_FILE). The environment wins.\n\n"
    "Exit status: 0 success, 1 the work failed, 2 bad usage or configuration.\n\n"
    "Commands:\n";

static void print_main_usage(FILE *out)
{
    fputs(main_usage, out);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
}

static void print_command_usage(const struct command *cmd, FILE *out)
{
    fprintf(out, "usage: %s", cmd->usage);
}

static void vreport(const struct cmd_env *env, const char *fmt, va_list ap)
{
    fprintf(stderr, "tgshop %s: ", env->cmd->name);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

int cmd_usage_error(const struct cmd_env *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(env, fmt, ap);
    va_end(ap);
    /* the first line of the usage text is enough to show the right form */
    const char *eol = strchr(env->cmd->usage, '\n');
    fprintf(stderr, "usage: %.*s\n",
            eol ? (int)(eol - env->cmd->usage) : (int)strlen(env->cmd->usage), env->cmd->usage);
    return EXIT_USAGE;
}

int cmd_fail(const struct cmd_env *env, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(env, fmt, ap);
    va_end(ap);
    return EXIT_FAIL;
}

int cmd_getopt(struct cmd_env *env, int argc, char **argv, const char *shortopts,
               const void *longopts)
{
    opterr = 0;
    int c = getopt_long(argc, argv, shortopts, longopts, NULL);
    if (c != '?' && c != ':')
        return c;
    const char *problem = c == ':' ? "needs a value" : "is not known";
    if (optopt && optopt != '?' && optopt != ':' && optopt < 256)
        cmd_usage_error(env, "option -%c %s", optopt, problem);
    else
        cmd_usage_error(env, "option %s %s", argv[optind - 1], problem);
    return '?';
}

static sigset_t stop_signals(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    return set;
}

void cmd_block_stop_signals(void)
{
    sigset_t set = stop_signals();
    pthread_sigmask(SIG_BLOCK, &set, NULL);
}

void cmd_wait_for_stop(void)
{
    sigset_t set = stop_signals();
    int signal_number;
    sigwait(&set, &signal_number);
}

int cmd_no_arguments(struct cmd_env *env, int argc, char **argv)
{
    static const struct option none[] = {{0}};
    if (cmd_getopt(env, argc, argv, ":", none) != -1)
        return EXIT_USAGE;
    if (optind < argc)
        return cmd_usage_error(env, "unexpected argument '%s'", argv[optind]);
    return EXIT_OK;
}

bool cmd_stop_requested(void)
{
    sigset_t pending;
    return sigpending(&pending) == 0 &&
           (sigismember(&pending, SIGINT) == 1 || sigismember(&pending, SIGTERM) == 1);
}

int cmd_start_bot(const struct cmd_env *env, struct bot **out, struct bot_options *opt)
{
    opt->stop_requested = cmd_stop_requested;
    struct buf err = BUF_INIT;
    int status = EXIT_OK;
    if (bot_start(out, opt, &err) && !cmd_stop_requested())
        status = cmd_fail(env, "cannot start the bot: %s", err.data);
    buf_release(&err);
    return status;
}

void cmd_bot_settings(const struct cmd_env *env, struct bot_settings *out)
{
    const struct config *cfg = &env->cfg;
    *out = (struct bot_settings){
        .currency = cfg->currency,
        .provider_token = cfg->payment_provider_token,
        .admin_chat_ids = cfg->admin_chat_ids,
        .admin_chat_count = cfg->admin_chat_count,
        .default_language = cfg->default_language,
        .page_size = cfg->page_size,
        .reserve_seconds = cfg->reservation_minutes * 60LL,
        .gate_cache_seconds = 60,
        .queue = &env->queue,
    };
}

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static bool wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            return true;
    return false;
}

/* Loads configuration (environment over .env). Returns an exit status. */
static int load_config(struct cmd_env *env, const char *env_file)
{
    struct buf err = BUF_INIT;
    struct dotenv dotenv = DOTENV_INIT;
    bool explicit_file = env_file != NULL;
    if (!env_file)
        env_file = getenv("TGSHOP_ENV_FILE");
    explicit_file = explicit_file || (env_file && *env_file);
    if (!env_file || !*env_file)
        env_file = ".env";
    int rc = dotenv_load(&dotenv, env_file, &err);
    if (rc && !(rc == ERR_NOTFOUND && !explicit_file)) {
        fprintf(stderr, "tgshop: %s\n", err.data);
        buf_release(&err);
        return EXIT_USAGE;
    }
    struct config_source src = {environ, &dotenv};
    rc = config_load(&env->cfg, &src, &err);
    dotenv_release(&dotenv);
    if (rc) {
        fprintf(stderr, "tgshop: %s\n", err.data);
        buf_release(&err);
        return EXIT_USAGE;
    }
    buf_release(&err);
    log_setup(env->cfg.log_level, env->cfg.log_format, NULL);
    env->queue = (struct queue_config){.database_url = env->cfg.database_url,
                                       .redis_url = env->cfg.redis_url};
    return EXIT_OK;
}

int cmd_database(struct cmd_env *env)
{
    bool migrate = env->cmd->needs & NEED_MIGRATED;
    struct buf err = BUF_INIT;
    char *masked = config_mask_url(env->cfg.database_url);
    int status = EXIT_OK;
    if (db_open(&env->db, env->cfg.database_url, &err)) {
        fprintf(stderr, "tgshop: cannot open the database %s: %s\n", masked, err.data);
        status = EXIT_FAIL;
    } else if (migrate && migrate_apply(env->db, &env->migrations_applied, &err)) {
        fprintf(stderr, "tgshop: %s\n", err.data);
        status = EXIT_FAIL;
    }
    free(masked);
    buf_release(&err);
    return status;
}

int main(int argc, char **argv)
{
    const char *env_file = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            print_main_usage(stdout);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--version")) {
            printf("tgshop %s\n", TGSHOP_VERSION);
            return EXIT_OK;
        } else if (!strcmp(argv[i], "--env-file") && i + 1 < argc) {
            env_file = argv[++i];
        } else if (!strncmp(argv[i], "--env-file=", 11)) {
            env_file = argv[i] + 11;
        } else {
            fprintf(stderr, "tgshop: unknown option %s\n\n", argv[i]);
            print_main_usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (i == argc) {
        print_main_usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[i];
    if (!strcmp(name, "help")) {
        const struct command *topic = i + 1 < argc ? find_command(argv[i + 1]) : NULL;
        if (topic)
            print_command_usage(topic, stdout);
        else
            print_main_usage(stdout);
        return EXIT_OK;
    }
    const struct command *cmd = find_command(name);
    if (!cmd) {
        fprintf(stderr, "tgshop: '%s' is not a tgshop command\n\n", name);
        print_main_usage(stderr);
        return EXIT_USAGE;
    }
    int cmd_argc = argc - i;
    char **cmd_argv = argv + i;
    if (wants_help(cmd_argc, cmd_argv)) {
        print_command_usage(cmd, stdout);
        return EXIT_OK;
    }
    if (sodium_init() < 0) {
        fprintf(stderr, "tgshop: libsodium cannot initialise (no entropy source?)\n");
        return EXIT_FAIL;
    }

    struct cmd_env env = {.cmd = cmd};
    unsigned needs = cmd->needs;
    if (needs & NEED_MIGRATED)
        needs |= NEED_DB;
    if (needs & NEED_DB)
        needs |= NEED_CONFIG;
    int status = EXIT_OK;
    if (needs & NEED_CONFIG)
        status = load_config(&env, env_file);
    if (status == EXIT_OK) {
        optind = 0; /* glibc: a full getopt reset for the command's own flags */
        status = cmd->fn(cmd_argc, cmd_argv, &env);
    }
    db_close(env.db);
    config_release(&env.cfg);
    log_clear_secrets();
    return status;
}
