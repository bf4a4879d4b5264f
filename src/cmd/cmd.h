/*
 * The tgshop command line: one table of commands (main.c), one file per
 * command. The table says what each command needs and main() prepares it
 * (configuration, logging, database, migrations) before calling it, so a
 * command only parses its own flags and wires components.
 *
 * To add a command: write cmd_NAME(argc, argv, env) in src/cmd/NAME.c,
 * declare it below, add a row to `commands` in main.c with its needs, a
 * one-line summary and its usage text, and add the file to CMakeLists.txt.
 *
 * Exit status: 0 success, 1 the work failed (database unreachable, ...),
 * 2 bad usage or bad configuration. Only src/cmd/ ends the process.
 */
#ifndef TGSHOP_CMD_CMD_H
#define TGSHOP_CMD_CMD_H

#include <stdbool.h>

#include "core/config.h"
#include "db/db.h"
#include "jobs/mailing.h"
#include "jobs/notify.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

enum cmd_needs {
    NEED_CONFIG = 1 << 0,   /* configuration loaded and logging set up before the command runs */
    NEED_DB = 1 << 1,       /* cmd_database() opens the database (implies NEED_CONFIG) */
    NEED_MIGRATED = 1 << 2, /* cmd_database() also applies migrations (implies NEED_DB) */
};

struct cmd_env {
    const struct command *cmd;
    struct config cfg;
    struct db *db;             /* set by cmd_database() */
    struct queue_config queue; /* the job queue from DATABASE_URL / REDIS_URL */
    int migrations_applied;    /* how many cmd_database() applied just now */
};

typedef int cmd_fn(int argc, char **argv, struct cmd_env *env);

struct command {
    const char *name;
    cmd_fn *fn;
    unsigned needs;
    const char *summary;
    const char *usage; /* full --help text after the "usage:" line */
};

/* Opens env->db as the command's needs say (and migrates for NEED_MIGRATED). Commands call
 * it after parsing their flags, so bad usage never touches the database. Returns EXIT_OK,
 * or EXIT_FAIL after printing why. */
int cmd_database(struct cmd_env *env);
/* Prints "tgshop NAME: message" and the command's usage line to stderr; returns EXIT_USAGE. */
int cmd_usage_error(const struct cmd_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Prints "tgshop NAME: message" to stderr; returns EXIT_FAIL. */
int cmd_fail(const struct cmd_env *env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Parses flags with getopt_long (start shortopts with ':' so that a missing value is told
 * apart), reporting unknown flags and missing values through cmd_usage_error. Returns the
 * option character, -1 at the end, or '?' after reporting. */
int cmd_getopt(struct cmd_env *env, int argc, char **argv, const char *shortopts,
               const void *longopts);

/* For a command without flags or arguments: EXIT_OK, or EXIT_USAGE after reporting. */
int cmd_no_arguments(struct cmd_env *env, int argc, char **argv);

/* Blocks SIGINT and SIGTERM in the calling thread, so that every thread started afterwards
 * inherits the mask and only cmd_wait_for_stop() sees them. Call before starting threads. */
void cmd_block_stop_signals(void);
/* Waits for SIGINT or SIGTERM (blocked by cmd_block_stop_signals). */
void cmd_wait_for_stop(void);

/* Whether SIGINT or SIGTERM is waiting (blocked by cmd_block_stop_signals, not yet taken
 * by cmd_wait_for_stop). */
bool cmd_stop_requested(void);

struct bot;
struct bot_options;
struct bot_settings;
/* The bot's settings from the configuration (strings point into env->cfg). */
void cmd_bot_settings(const struct cmd_env *env, struct bot_settings *out);
/* bot_start() that gives up on SIGINT/SIGTERM. Returns EXIT_OK with *out the bot, EXIT_OK
 * with *out NULL when stopped during start-up, or EXIT_FAIL after printing "cannot start
 * the bot: ..." (one line; a wrong token says so). */
int cmd_start_bot(const struct cmd_env *env, struct bot **out, struct bot_options *opt);

struct web_options;
/* The admin panel's options from the configuration (LISTEN, MEDIA_DIR, CURRENCY, ...). */
void cmd_web_options(const struct cmd_env *env, struct web_options *out);
/* Creates the superuser "admin" with a random password when there is no account yet and
 * prints the password once. Returns an exit status. */
int cmd_first_admin(struct cmd_env *env);

struct http_server;
/* Sets what GET /healthz checks (the database; the broker with REDIS_URL) and, with OPS_LISTEN,
 * starts the listener for /healthz and /metrics (*out; NULL without OPS_LISTEN). Every role
 * calls it after cmd_block_stop_signals(); stop *out with http_server_stop(). Returns EXIT_OK
 * or EXIT_FAIL after printing why. */
int cmd_ops_start(const struct cmd_env *env, struct http_server **out);

/* The job workers and the scheduler of `tgshop worker` and `tgshop run` (worker.c). */
struct cmd_jobs_options {
    const char *const *queues; /* one or two queue names */
    size_t queue_count;
    int concurrency;
    const char *api_url;    /* the Bot API the senders use */
    const char *token;      /* NULL: no sending (default queue only) */
    struct tg_flood *flood; /* the process's flood state, shared with the bot (tg/flood.h) */
};
struct cmd_jobs {
    struct worker *worker;
    struct scheduler *scheduler; /* with the default queue */
    struct notify_ctx notify;
    struct mailing_jobs mailing;
};
/* Starts one worker over the queues (and the scheduler with the default queue). Returns
 * EXIT_OK, or EXIT_FAIL after printing why (nothing left running). */
int cmd_jobs_start(const struct cmd_env *env, struct cmd_jobs *out,
                   const struct cmd_jobs_options *opt);
/* Finishes the jobs in hand and stops everything cmd_jobs_start started. */
void cmd_jobs_stop(struct cmd_jobs *jobs);

cmd_fn cmd_run;
cmd_fn cmd_worker;
cmd_fn cmd_web;
cmd_fn cmd_bot;
cmd_fn cmd_migrate;
cmd_fn cmd_user;
cmd_fn cmd_sandbox;
cmd_fn cmd_export;
cmd_fn cmd_seed_demo;

/* Seeds the demo catalogue into env->db (an empty catalogue only) and says what it did;
 * hint ends the "Seeded ..." line (run: how to skip it). Returns an exit status. */
int cmd_demo_seed(struct cmd_env *env, const char *hint);

#endif
