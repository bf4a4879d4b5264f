/*
 * The storefront benchmark (docs/PERFORMANCE.md): many simulated customers
 * doing the full journey (journey.h) against the sandbox, with the bot in a
 * child process (bench_bot.c) long-polling the sandbox over HTTP exactly as
 * in production. Prints throughput, latencies as the bot and as the customers
 * see them, the bot's peak RSS and CPU, and checks the shop's books at the end.
 *
 *   tgshop_bench --database-url URL --work-dir DIR [--customers N] [--concurrency C]
 *                [--think-ms MS] [--workers W] [--send-rate N] [--label NAME] [--summary FILE]
 *
 * The database must be empty (a fresh SQLite file or PostgreSQL database): the
 * benchmark migrates it, seeds the demo catalogue and gives every product a
 * large stock.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "db/db.h"
#include "db/migrate.h"
#include "journey.h"
#include "media/demo_pictures.h"
#include "sandbox/sandbox.h"
#include "core/banned.h"

enum {
    ADMIN_CHAT_ID = 100000,
    FIRST_CUSTOMER_ID = 200000001,
    STOCK = 1000000,
    FAILURES_SHOWN = 10,
};

static const char BOT_TOKEN[] = "7000000001:BenchmarkSandboxTokenAAAAAAAAAAAAAA";

struct options {
    const char *database_url;
    const char *work_dir;
    const char *bot_bin;
    const char *label;
    const char *summary;
    int64_t customers, concurrency, think_ms, workers, ramp_ms, step_timeout_ms, poll_us;
    int64_t send_rate; /* the bot's SEND_RATE */
};

struct run {
    const struct options *opt;
    struct journey_shared shared;
    _Atomic int64_t next;
    _Atomic int64_t failed;
    pthread_mutex_t lock;
    struct buf failures; /* the first few, one per line */
};

/* ---- the database --------------------------------------------------------------------------- */

static int query_count(struct db *db, int64_t *out, const char *sql)
{
    *out = -1;
    return db_query_intv(db, out, sql, NULL, 0);
}

/* Migrates, checks that the shop is empty, seeds the demo catalogue with a large stock. */
static int prepare_database(const struct options *o, int64_t *out_stock, int *out_products,
                            struct buf *err)
{
    struct db *db;
    int rc = db_open(&db, o->database_url, err);
    if (rc)
        return rc;
    int64_t customers = 0;
    if ((rc = migrate_apply(db, NULL, err)))
        goto done;
    if ((rc = query_count(db, &customers, "SELECT COUNT(*) FROM customer"))) {
        buf_setf(err, "%s", db_errmsg(db));
        goto done;
    }
    if (customers) {
        buf_setf(err, "the database already has %lld customers: use a fresh one",
                 (long long)customers);
        rc = ERR_CONFLICT;
        goto done;
    }
    struct buf media = BUF_INIT;
    buf_addf(&media, "%s/media", o->work_dir);
    struct demo_report report;
    rc = media_demo_seed(db, media.data, "XTR", NULL, &report, err);
    buf_release(&media);
    if (rc)
        goto done;
    *out_products = report.products;
    if ((rc = db_exec(db, "UPDATE product SET stock = ?", DB_INT(STOCK))) ||
        (rc = query_count(db, out_stock, "SELECT SUM(stock) FROM product")))
        buf_setf(err, "%s", db_errmsg(db));
done:
    db_close(db);
    return rc;
}

struct check {
    const char *what;
    const char *sql;
    int64_t want;
};

/* The shop's books after the run; returns how many checks failed and prints each. */
static int check_books(const struct options *o, int64_t stock_before, int64_t paid_journeys)
{
    struct db *db;
    struct buf err = BUF_INIT;
    if (db_open(&db, o->database_url, &err)) {
        printf("  cannot open the database to check it: %s\n", err.data);
        buf_release(&err);
        return 1;
    }
    const struct check checks[] = {
        {"customers", "SELECT COUNT(*) FROM customer", o->customers},
        {"customers without exactly one paid order",
         "SELECT COUNT(*) FROM customer c WHERE (SELECT COUNT(*) FROM orders o "
         "WHERE o.customer_id = c.id AND o.status = 'paid') <> 1",
         o->customers - paid_journeys},
        {"orders not paid", "SELECT COUNT(*) FROM orders WHERE status <> 'paid'", 0},
        {"units in paid orders",
         "SELECT COALESCE(SUM(i.quantity), 0) FROM order_item i JOIN orders o ON o.id = "
         "i.order_id WHERE o.status = 'paid'",
         2 * paid_journeys},
        {"cart items left", "SELECT COUNT(*) FROM cart_item", 0},
        {"checkouts left open", "SELECT COUNT(*) FROM fsm_state", 0},
    };
    int failed = 0;
    for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
        int64_t got;
        int rc = query_count(db, &got, checks[i].sql);
        bool ok = rc == 0 && got == checks[i].want;
        failed += !ok;
        printf("  %-4s %-42s %lld (want %lld)%s%s\n", ok ? "ok" : "FAIL", checks[i].what,
               (long long)got, (long long)checks[i].want, rc ? ": " : "", rc ? db_errmsg(db) : "");
    }
    int64_t stock_after = -1;
    int rc = query_count(db, &stock_after, "SELECT SUM(stock) FROM product");
    bool ok = rc == 0 && stock_before - stock_after == 2 * paid_journeys;
    failed += !ok;
    printf("  %-4s %-42s %lld (want %lld)\n", ok ? "ok" : "FAIL", "stock taken (units)",
           (long long)(stock_before - stock_after), (long long)(2 * paid_journeys));
    db_close(db);
    buf_release(&err);
    return failed;
}

/* ---- the bot process ------------------------------------------------------------------------ */

struct child {
    pid_t pid;
    FILE *in, *out;
};

extern char **environ;

static int spawn_bot(struct child *out, const struct options *o, const char *api_url,
                     struct buf *err)
{
    int to_child[2], from_child[2];
    if (pipe(to_child)) {
        buf_setf(err, "pipe: %s", strerror(errno));
        return ERR_IO;
    }
    if (pipe(from_child)) {
        close(to_child[0]);
        close(to_child[1]);
        buf_setf(err, "pipe: %s", strerror(errno));
        return ERR_IO;
    }
    struct buf log_path = BUF_INIT, workers = BUF_INIT, send_rate = BUF_INIT;
    buf_addf(&log_path, "%s/bot.log", o->work_dir);
    buf_addf(&workers, "%lld", (long long)o->workers);
    buf_addf(&send_rate, "%lld", (long long)o->send_rate);
    /* the configuration of `tgshop bot`, and nothing of the caller's environment but PATH */
    char *env[16];
    size_t n = 0;
    struct buf vars[8];
    const char *path = getenv("PATH");
    const char *names[] = {"BOT_TOKEN", "TELEGRAM_API_URL", "DATABASE_URL", "ADMIN_CHAT_IDS",
                           "MEDIA_DIR", "LOG_LEVEL",        "SEND_RATE",    "PATH"};
    struct buf media = BUF_INIT;
    buf_addf(&media, "%s/media", o->work_dir);
    const char *values[] = {BOT_TOKEN,  api_url, o->database_url, "100000",
                            media.data, "info",  send_rate.data,  path ? path : "/usr/bin:/bin"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        vars[i] = (struct buf)BUF_INIT;
        buf_addf(&vars[i], "%s=%s", names[i], values[i]);
        env[n++] = vars[i].data;
    }
    env[n] = NULL;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, to_child[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, from_child[1], STDOUT_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, log_path.data,
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addclose(&fa, to_child[1]);
    posix_spawn_file_actions_addclose(&fa, from_child[0]);
    char *argv[] = {(char *)o->bot_bin, "--workers", workers.data, NULL};
    int rc = posix_spawn(&out->pid, o->bot_bin, &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    close(to_child[0]);
    close(from_child[1]);
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        buf_release(&vars[i]);
    buf_release(&media);
    buf_release(&workers);
    buf_release(&send_rate);
    if (rc) {
        close(to_child[1]);
        close(from_child[0]);
        buf_setf(err, "cannot start %s: %s", o->bot_bin, strerror(rc));
        buf_release(&log_path);
        return ERR_IO;
    }
    out->in = fdopen(to_child[1], "w");
    out->out = fdopen(from_child[0], "r");
    char line[256];
    if (!out->in || !out->out || !fgets(line, sizeof line, out->out) || strncmp(line, "ready", 5)) {
        buf_setf(err, "the bot did not start; see %s", log_path.data);
        rc = ERR_IO;
    }
    buf_release(&log_path);
    return rc;
}

/* Asks the bot for its figures (it prints them before it stops). *out: the parsed JSON or NULL. */
static void ask_figures(struct child *c, json_t **out)
{
    *out = NULL;
    if (c->in) {
        fputs("stop\n", c->in);
        fclose(c->in);
        c->in = NULL;
    }
    if (c->out) {
        char *line = NULL;
        size_t cap = 0;
        if (getline(&line, &cap, c->out) > 0)
            *out = json_loads(line, 0, NULL);
        free(line);
        fclose(c->out);
        c->out = NULL;
    }
}

/* Waits for the bot to end (stop the sandbox first: that answers its long poll at once). */
static void wait_bot(struct child *c)
{
    int status;
    if (c->pid > 0)
        waitpid(c->pid, &status, 0);
    c->pid = 0;
}

/* ---- the customers -------------------------------------------------------------------------- */

static void driver_main(struct run *r, int slot)
{
    struct buf why = BUF_INIT;
    for (;;) {
        int64_t i = atomic_fetch_add(&r->next, 1);
        if (i >= r->opt->customers)
            break;
        buf_reset(&why);
        if (journey_run(&r->shared, slot, FIRST_CUSTOMER_ID + i, (unsigned)i * 2654435761u, &why)) {
            int64_t nth = atomic_fetch_add(&r->failed, 1);
            if (nth < FAILURES_SHOWN) {
                pthread_mutex_lock(&r->lock);
                buf_addf(&r->failures, "    customer %lld: %s\n",
                         (long long)(FIRST_CUSTOMER_ID + i), why.data);
                pthread_mutex_unlock(&r->lock);
            }
        }
    }
    buf_release(&why);
}

struct stagger {
    struct run *run;
    int slot;
    int64_t delay_ms;
};

static void *staggered_main(void *arg)
{
    struct stagger *s = arg;
    clock_sleep_ms(s->delay_ms);
    driver_main(s->run, s->slot);
    return NULL;
}

static int create_users(struct sandbox *sb, const struct options *o, struct buf *err)
{
    struct buf out = BUF_INIT, body = BUF_INIT;
    int rc = 0;
    for (int64_t i = -1; i < o->customers && !rc; i++) {
        buf_reset(&out);
        buf_reset(&body);
        if (i < 0) /* the shop's admin chat, which gets every new order */
            buf_addf(&body, "{\"id\":%d,\"first_name\":\"Admin\",\"started\":true}", ADMIN_CHAT_ID);
        else
            buf_addf(&body,
                     "{\"id\":%lld,\"first_name\":\"Customer\",\"last_name\":\"%lld\","
                     "\"username\":\"customer%lld\",\"language_code\":\"en\"}",
                     (long long)(FIRST_CUSTOMER_ID + i), (long long)i, (long long)i);
        int status = sandbox_user_api(sb, "POST", "/sandbox/api/users", body.data, &out);
        if (status != 200) {
            buf_setf(err, "cannot create a sandbox user: %d %s", status, out.data);
            rc = ERR_INVALID;
        }
    }
    buf_release(&out);
    buf_release(&body);
    return rc;
}

/* ---- the report ------------------------------------------------------------------------------ */

static double num(json_t *obj, const char *path)
{
    char key[64];
    const char *p = path;
    json_t *v = obj;
    while (v && *p) {
        size_t len = strcspn(p, ".");
        snprintf(key, sizeof key, "%.*s", (int)len, p);
        v = json_object_get(v, key);
        p += len + (p[len] == '.');
    }
    return json_number_value(v);
}

static void print_latency(const char *what, json_t *h)
{
    printf("  %-50s p50 %7.2f  p99 %7.2f  max %8.2f ms\n", what, num(h, "p50_ms"), num(h, "p99_ms"),
           num(h, "max_ms"));
}

/* Bot API calls by method, from the sandbox's statistics. */
static uint64_t print_api_calls(struct sandbox *sb, uint64_t updates, int64_t *out_errors)
{
    struct buf out = BUF_INIT;
    sandbox_user_api(sb, "GET", "/sandbox/api/stats", NULL, &out);
    json_t *stats = json_loads(out.data, 0, NULL);
    buf_release(&out);
    json_t *methods = json_object_get(json_object_get(stats, "result"), "methods");
    const char *name;
    json_t *m;
    uint64_t total = 0;
    *out_errors = 0;
    struct buf line = BUF_INIT;
    json_object_foreach(methods, name, m)
    {
        int64_t calls = json_integer_value(json_object_get(m, "calls"));
        int64_t errors = json_integer_value(json_object_get(m, "errors"));
        total += (uint64_t)calls;
        *out_errors += errors;
        buf_addf(&line, " %s %lld", name, (long long)calls);
        if (errors)
            buf_addf(&line, " (%lld refused)", (long long)errors);
    }
    printf("  Bot API calls: %llu (%.2f per update):%s\n", (unsigned long long)total,
           updates ? (double)total / (double)updates : 0.0, line.data);
    json_t *r = json_object_get(stats, "result");
    printf("  Telegram's rules: %lld updates fetched again, at most %lld messages to one chat in a "
           "second, %lld deliveries over the per-chat limit, %lld calls during a flood ban\n",
           (long long)json_integer_value(json_object_get(r, "updates_refetched")),
           (long long)json_integer_value(json_object_get(r, "max_per_second")),
           (long long)json_integer_value(json_object_get(r, "bursts_over_limit")),
           (long long)json_integer_value(json_object_get(r, "flood_violations")));
    buf_release(&line);
    json_decref(stats);
    return total;
}

/* The rate over the middle of the run: seconds fully inside [10 %, 90 %] of its length. */
static double steady_rate(const struct journey_shared *s, double wall_s)
{
    int64_t first = (int64_t)(wall_s * 0.1) + 1, last = (int64_t)(wall_s * 0.9) - 1;
    if (last >= JOURNEY_SECONDS_MAX)
        last = JOURNEY_SECONDS_MAX - 1;
    if (last < first)
        return 0;
    uint64_t sum = 0;
    for (int64_t i = first; i <= last; i++)
        sum += atomic_load(&s->per_second[i]);
    return (double)sum / (double)(last - first + 1);
}

static int usage(void)
{
    fprintf(
        stderr,
        "usage: tgshop_bench --database-url URL --work-dir DIR [--customers N]\n"
        "                    [--concurrency C] [--think-ms MS] [--workers W] [--ramp-ms MS]\n"
        "                    [--send-rate N] [--bot-bin PATH] [--label NAME] [--summary FILE]\n");
    return 2;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    static const struct option options[] = {
        {"database-url", required_argument, NULL, 'd'},
        {"work-dir", required_argument, NULL, 'W'},
        {"customers", required_argument, NULL, 'n'},
        {"concurrency", required_argument, NULL, 'c'},
        {"think-ms", required_argument, NULL, 't'},
        {"workers", required_argument, NULL, 'w'},
        {"ramp-ms", required_argument, NULL, 'r'},
        {"bot-bin", required_argument, NULL, 'b'},
        {"label", required_argument, NULL, 'l'},
        {"summary", required_argument, NULL, 's'},
        {"step-timeout-ms", required_argument, NULL, 'T'},
        {"poll-us", required_argument, NULL, 'p'},
        {"send-rate", required_argument, NULL, 'R'},
        {0},
    };
    *o = (struct options){.customers = 2000,
                          .concurrency = 600,
                          .think_ms = 300,
                          .workers = 8,
                          .ramp_ms = 2000,
                          .step_timeout_ms = 30000,
                          .poll_us = 250,
                          .send_rate = 1000,
                          .label = "run"};
    int c;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        int64_t *target = NULL, min = 0, max = 0;
        switch (c) {
        case 'd':
            o->database_url = optarg;
            break;
        case 'W':
            o->work_dir = optarg;
            break;
        case 'b':
            o->bot_bin = optarg;
            break;
        case 'l':
            o->label = optarg;
            break;
        case 's':
            o->summary = optarg;
            break;
        case 'n':
            target = &o->customers, min = 1, max = 1000000;
            break;
        case 'c':
            target = &o->concurrency, min = 1, max = 4000;
            break;
        case 't':
            target = &o->think_ms, min = 0, max = 60000;
            break;
        case 'w':
            target = &o->workers, min = 1, max = 32;
            break;
        case 'r':
            target = &o->ramp_ms, min = 0, max = 600000;
            break;
        case 'T':
            target = &o->step_timeout_ms, min = 100, max = 600000;
            break;
        case 'p':
            target = &o->poll_us, min = 50, max = 1000000;
            break;
        case 'R':
            target = &o->send_rate, min = 1, max = 1000;
            break;
        default:
            return usage();
        }
        if (target && (parse_int64(optarg, target) || *target < min || *target > max)) {
            const char *name = "?";
            for (const struct option *op = options; op->name; op++)
                if (op->val == c)
                    name = op->name;
            fprintf(stderr, "tgshop_bench: --%s must be %lld-%lld, got \"%s\"\n", name,
                    (long long)min, (long long)max, optarg);
            return 2;
        }
    }
    if (!o->database_url || !o->work_dir || optind < argc)
        return usage();
    if (o->concurrency > o->customers)
        o->concurrency = o->customers;
    return 0;
}

/* The bench_bot executable next to this one, unless --bot-bin says otherwise. */
static char *default_bot_bin(void)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return xstrdup("tgshop_bench_bot");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    struct buf path = BUF_INIT;
    buf_addf(&path, "%.*s/tgshop_bench_bot", slash ? (int)(slash - self) : 0, self);
    return buf_detach(&path, NULL);
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse_options(argc, argv, &o);
    if (rc)
        return rc;
    log_setup(LOG_WARN, LOG_TEXT, NULL);
    signal(SIGPIPE, SIG_IGN);
    char *bot_bin = o.bot_bin ? NULL : default_bot_bin();
    if (bot_bin)
        o.bot_bin = bot_bin;
    mkdir(o.work_dir, 0755);

    struct buf err = BUF_INIT;
    struct sandbox *sb = NULL;
    struct child bot = {0};
    json_t *bot_report = NULL;
    struct run *r = xcalloc(1, sizeof *r);
    pthread_t *threads = NULL;
    struct stagger *staggers = NULL;
    int status = 1;
    int64_t stock = 0;
    int products = 0;

    printf("tgshop benchmark: %s (%s)\n", o.label, o.database_url);
    printf("  %lld customers, %lld at a time, thinking %lld-%lld ms between steps; bot workers "
           "%lld; %ld CPUs\n",
           (long long)o.customers, (long long)o.concurrency, (long long)o.think_ms,
           (long long)(o.think_ms * 3 / 2), (long long)o.workers, sysconf(_SC_NPROCESSORS_ONLN));
    fflush(stdout);
    if ((rc = prepare_database(&o, &stock, &products, &err))) {
        fprintf(stderr, "tgshop_bench: %s\n", err.data);
        goto done;
    }
    struct sandbox_options sopt = {
        .bot_token = BOT_TOKEN,
        .bot_username = "tgshop_bench_bot",
        /* at most one update per customer waits at a time; the event ring is as large (at least
         * 1000), and every read of a chat's events scans it: keep it small */
        .max_updates = (size_t)(o.concurrency + 100),
    };
    if ((rc = sandbox_start(&sb, &sopt, &err)) || (rc = create_users(sb, &o, &err)) ||
        (rc = spawn_bot(&bot, &o, sandbox_url(sb), &err))) {
        fprintf(stderr, "tgshop_bench: %s\n", err.data);
        goto done;
    }

    r->opt = &o;
    pthread_mutex_init(&r->lock, NULL);
    pthread_mutex_init(&r->shared.lock, NULL);
    r->shared.sb = sb;
    r->shared.think_ms = (int)o.think_ms;
    r->shared.step_timeout_ms = (int)o.step_timeout_ms;
    r->shared.poll_us = (int)o.poll_us;
    if (journey_pump_start(&r->shared, (int)o.concurrency)) {
        fprintf(stderr, "tgshop_bench: cannot start the event pump\n");
        goto done;
    }
    threads = xcalloc((size_t)o.concurrency, sizeof *threads);
    staggers = xcalloc((size_t)o.concurrency, sizeof *staggers);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    struct rusage ru0, ru1;
    getrusage(RUSAGE_SELF, &ru0);
    int64_t t0 = clock_mono_ms();
    r->shared.t0_ms = t0;
    int64_t started = 0;
    for (int64_t i = 0; i < o.concurrency; i++) {
        staggers[i] = (struct stagger){r, (int)i, o.ramp_ms * i / o.concurrency};
        if (pthread_create(&threads[i], &attr, staggered_main, &staggers[i]))
            break;
        started++;
    }
    pthread_attr_destroy(&attr);
    for (int64_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    int64_t t1 = atomic_load(&r->shared.last_done_ms);
    journey_pump_stop(&r->shared);
    getrusage(RUSAGE_SELF, &ru1);
    if (started < o.concurrency)
        fprintf(stderr, "tgshop_bench: only %lld driver threads started\n", (long long)started);
    ask_figures(&bot, &bot_report);
    if (!bot_report) {
        fprintf(stderr, "tgshop_bench: no figures from the bot; see %s/bot.log\n", o.work_dir);
        goto done;
    }

    /* ---- the figures ---- */
    double wall = (double)(t1 - t0) / 1000.0;
    double bot_updates = num(bot_report, "bot.updates");
    double bot_cpu = num(bot_report, "cpu_user_s") + num(bot_report, "cpu_system_s");
    double driver_cpu = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                        (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6 +
                        (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
                        (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
    int64_t failed = atomic_load(&r->failed);
    json_t *probe = json_object_get(bot_report, "probe");
    printf("\n  updates handled by the bot     %.0f in %.2f s = %.0f updates/s (steady: %.0f/s)\n",
           bot_updates, wall, wall > 0 ? bot_updates / wall : 0, steady_rate(&r->shared, wall));
    printf("  journeys                       %lld paid, %lld failed\n",
           (long long)(o.customers - failed), (long long)failed);
    if (r->failures.len)
        printf("%s", r->failures.data);
    printf("  bot failures / duplicates      %.0f / %.0f\n", num(bot_report, "bot.failures"),
           num(bot_report, "bot.duplicates"));
    printf("\n  latency of one update, as the bot sees it:\n");
    printf("  %-50s p50 %7.2f  p99 %7.2f  max %8.2f ms\n",
           "receipt -> handler return (bot_get_stats)", num(bot_report, "bot.p50_ms"),
           num(bot_report, "bot.p99_ms"), num(bot_report, "bot.max_ms"));
    print_latency("handling (parse -> done, no queueing)", json_object_get(probe, "handle"));
    print_latency("  of which waiting on the Bot API (sandbox)", json_object_get(probe, "api"));
    print_latency("  own processing (handling - Bot API wait)", json_object_get(probe, "own"));
    print_latency("    of which in database calls", json_object_get(probe, "db"));
    print_latency("    of which the rest (parse, render, JSON, ...)",
                  json_object_get(probe, "rest"));
    print_latency("  CPU time of the worker thread", json_object_get(probe, "cpu"));
    double handled = num(probe, "handle.count");
    if (handled > 0)
        printf("  per update: %.2f Bot API calls, %.2f SQL statements, %.2f transactions\n",
               num(probe, "api_calls") / handled, num(probe, "statements") / handled,
               num(probe, "transactions") / handled);
    printf("\n  latency as the customer sees it (action -> the bot's answer in the chat):\n");
    struct journey_shared *s = &r->shared;
    printf("  %-50s p50 %7.2f  p99 %7.2f  max %8.2f ms\n", "every step",
           hist_quantile_ms(&s->all, 0.5), hist_quantile_ms(&s->all, 0.99), hist_max_ms(&s->all));
    for (int i = 0; i < STEP_COUNT; i++)
        printf("    %-48s p50 %7.2f  p99 %7.2f  max %8.2f ms\n", journey_step_names[i],
               hist_quantile_ms(&s->steps[i], 0.5), hist_quantile_ms(&s->steps[i], 0.99),
               hist_max_ms(&s->steps[i]));
    double hwm_mib = num(bot_report, "vm_hwm_kib") / 1024.0;
    printf("\n  bot process: peak RSS (VmHWM) %.1f MiB, %.0f threads, CPU %.2f s "
           "(%.0f µs per update, %.2f cores)\n",
           hwm_mib, num(bot_report, "threads"), bot_cpu,
           bot_updates > 0 ? bot_cpu / bot_updates * 1e6 : 0, wall > 0 ? bot_cpu / wall : 0);
    printf("  driver + sandbox process: CPU %.2f s (%.2f cores)\n", driver_cpu,
           wall > 0 ? driver_cpu / wall : 0);
    int64_t api_errors;
    print_api_calls(sb, (uint64_t)bot_updates, &api_errors);

    printf("\n  checks:\n");
    int bad = check_books(&o, stock, o.customers - failed);
    bool clean = bad == 0 && failed == 0 && num(bot_report, "bot.failures") == 0 &&
                 num(bot_report, "bot.duplicates") == 0 && api_errors == 0 &&
                 bot_updates == (double)atomic_load(&s->updates);
    printf("  %-4s %-42s %.0f (want %llu)\n",
           bot_updates == (double)atomic_load(&s->updates) ? "ok" : "FAIL",
           "updates handled = updates sent", bot_updates,
           (unsigned long long)atomic_load(&s->updates));
    printf("  %-4s %-42s %lld\n", api_errors ? "FAIL" : "ok", "Bot API calls refused",
           (long long)api_errors);
    printf("  => %s\n", clean ? "all checks passed" : "CHECKS FAILED");

    if (o.summary) {
        FILE *f = fopen(o.summary, "a");
        if (f) {
            fprintf(f,
                    "| %s | %.0f | %.1f | %.0f | %.0f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | "
                    "%.2f / %.2f | %.0f | %.1f | %s |\n",
                    o.label, bot_updates, wall, wall > 0 ? bot_updates / wall : 0,
                    steady_rate(s, wall), num(bot_report, "bot.p50_ms"),
                    num(bot_report, "bot.p99_ms"), num(probe, "own.p50_ms"),
                    num(probe, "own.p99_ms"), num(probe, "cpu.p50_ms"), num(probe, "cpu.p99_ms"),
                    hist_quantile_ms(&s->all, 0.5), hist_quantile_ms(&s->all, 0.99),
                    bot_updates > 0 ? bot_cpu / bot_updates * 1e6 : 0, hwm_mib,
                    clean ? "ok" : "FAILED");
            fclose(f);
        }
    }
    status = clean ? 0 : 1;
done:
    if (bot.pid > 0 && !bot_report) {
        json_t *ignored;
        ask_figures(&bot, &ignored);
        json_decref(ignored);
    }
    json_decref(bot_report);
    journey_pump_stop(&r->shared);
    sandbox_stop(sb);
    wait_bot(&bot);
    free(threads);
    free(staggers);
    buf_release(&r->failures);
    free(r);
    free(bot_bin);
    buf_release(&err);
    return status;
}
