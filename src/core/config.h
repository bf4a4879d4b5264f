/*
 * Configuration: environment variables, optionally from a .env file (the
 * real environment wins over the file, as in docker-compose). Every key is
 * validated at load; the first bad one produces one line naming the key and
 * what is expected, e.g.  SEND_RATE must be a positive number, got "fast".
 *
 * Keys (DESIGN §5):
 *   DATABASE_URL        sqlite:PATH (default sqlite:data/tgshop.db) or postgres://...
 *   POSTGRES_DB, POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_HOST, POSTGRES_PORT
 *                       the seed's keys: build a postgres:// URL when DATABASE_URL is unset
 *   REDIS_URL           redis://[:password@]host[:port][/db]; unset = queue in the database
 *   BOT_TOKEN           Telegram bot token; unset = sandbox
 *   TELEGRAM_API_URL    default https://api.telegram.org
 *   WEBHOOK_URL, WEBHOOK_SECRET
 *   PAYMENT_PROVIDER_TOKEN  unset = Telegram Stars
 *   CURRENCY            ISO 4217 code; XTR (Stars) when there is no provider token
 *   ADMIN_CHAT_IDS      comma-separated chat ids
 *   LISTEN              host:port, default 127.0.0.1:8000
 *   OPS_LISTEN          host:port where every role also serves /healthz and /metrics; unset = not
 *   TRUST_PROXY         true: the admin panel sits behind a proxy (nginx) on a loopback or
 *                       private address and takes the client address from its
 *                       X-Forwarded-For; default false
 *   MEDIA_DIR           default data/media
 *   DEFAULT_LANGUAGE    ru | en, default ru
 *   SEND_RATE           messages per second, default 30
 *   PAGE_SIZE           items per page of the bot's lists, 1-20, default 6
 *   RESERVATION_MINUTES how long an unpaid order holds its stock, 1-1440, default 30
 *   LOG_LEVEL           debug | info | warn | error, default info
 *   LOG_FORMAT          text | json, default text
 *   SECRET_KEY (alias DJANGO_KEY), DEBUG (alias DJANGO_DEBUG)
 *
 * Secret values are registered with the logger so they never appear in logs.
 */
#ifndef TGSHOP_CORE_CONFIG_H
#define TGSHOP_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/log.h"

struct dotenv;

struct config {
    char *database_url; /* always set: resolved from DATABASE_URL or POSTGRES_* */
    char *redis_url;    /* NULL: jobs go through the database */
    char *bot_token;    /* NULL: use the sandbox */
    char *telegram_api_url;
    char *webhook_url; /* NULL: long polling */
    char *webhook_secret;
    char *payment_provider_token; /* NULL: Telegram Stars */
    char *currency;
    int64_t *admin_chat_ids;
    size_t admin_chat_count;
    char *listen_host;
    int listen_port;
    char *ops_listen_host; /* NULL: no ops listener (OPS_LISTEN unset) */
    int ops_listen_port;
    bool trust_proxy;
    char *media_dir;
    char *default_language;
    double send_rate;
    int page_size;
    int reservation_minutes;
    enum log_level log_level;
    enum log_format log_format;
    char *secret_key; /* NULL when not configured */
    bool debug;
};

/* Where values come from: a NULL-terminated "KEY=VALUE" array (normally
 * environ) and an optional parsed .env file. */
struct config_source {
    char *const *environ;
    const struct dotenv *dotenv;
};

/* Loads and validates. On error returns ERR_INVALID with one line in err and
 * leaves out released. */
int config_load(struct config *out, const struct config_source *src, struct buf *err);
void config_release(struct config *cfg);

/* The environment's value of key from src (environment first, then .env). */
const char *config_lookup(const struct config_source *src, const char *key);

/* Parses "HOST:PORT" or "[IPv6]:PORT" into a new host string (free it) and a port; port 0
 * is accepted only when allow_any_port. Returns 0 or ERR_INVALID. */
int config_parse_host_port(const char *value, bool allow_any_port, char **out_host, int *out_port);

/* Copies url with its password replaced by "***" (for messages and logs). */
char *config_mask_url(const char *url);

#endif
