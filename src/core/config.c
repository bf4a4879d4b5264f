#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dotenv.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "core/banned.h"

const char *config_lookup(const struct config_source *src, const char *key)
{
    size_t n = strlen(key);
    if (src->environ) {
        for (char *const *e = src->environ; *e; e++)
            if (!strncmp(*e, key, n) && (*e)[n] == '=')
                return *e + n + 1;
    }
    return src->dotenv ? dotenv_get(src->dotenv, key) : NULL;
}

/* A set, non-empty value (an empty variable counts as unset, as in docker-compose files
 * that list keys with no value). */
static const char *lookup(const struct config_source *src, const char *key)
{
    const char *v = config_lookup(src, key);
    return v && *v ? v : NULL;
}

/* The value of key, else of its alias. */
static const char *lookup_alias(const struct config_source *src, const char *key, const char *alias)
{
    const char *v = lookup(src, key);
    return v ? v : lookup(src, alias);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

static bool is_http_url(const char *s)
{
    return (has_prefix(s, "http://") && s[7]) || (has_prefix(s, "https://") && s[8]);
}

char *config_mask_url(const char *url)
{
    /* scheme://user:password@host -> scheme://user:***@host */
    const char *scheme_end = strstr(url, "://");
    if (!scheme_end)
        return xstrdup(url);
    const char *auth = scheme_end + 3;
    const char *at = strchr(auth, '@');
    const char *slash = strchr(auth, '/');
    if (!at || (slash && slash < at))
        return xstrdup(url);
    const char *colon = memchr(auth, ':', (size_t)(at - auth));
    if (!colon)
        return xstrdup(url);
    struct buf out = BUF_INIT;
    buf_add(&out, url, (size_t)(colon + 1 - url));
    buf_adds(&out, "***");
    buf_adds(&out, at);
    return buf_detach(&out, NULL);
}

static int fail(struct buf *err, const char *key, const char *expected, const char *got)
{
    if (got)
        buf_setf(err, "%s must be %s, got \"%s\"", key, expected, got);
    else
        buf_setf(err, "%s must be %s", key, expected);
    return ERR_INVALID;
}

static int resolve_database_url(struct config *cfg, const struct config_source *src,
                                struct buf *err)
{
    const char *url = lookup(src, "DATABASE_URL");
    if (url) {
        bool sqlite = has_prefix(url, "sqlite:") && url[7];
        bool postgres = (has_prefix(url, "postgres://") && url[11]) ||
                        (has_prefix(url, "postgresql://") && url[13]);
        if (!sqlite && !postgres) {
            char *masked = config_mask_url(url);
            fail(err, "DATABASE_URL", "sqlite:PATH or postgres://USER:PASSWORD@HOST:PORT/DB",
                 masked);
            free(masked);
            return ERR_INVALID;
        }
        cfg->database_url = xstrdup(url);
        return 0;
    }
    const char *db = lookup(src, "POSTGRES_DB");
    if (!db) {
        cfg->database_url = xstrdup("sqlite:data/tgshop.db");
        return 0;
    }
    const char *user = lookup(src, "POSTGRES_USER");
    const char *password = lookup(src, "POSTGRES_PASSWORD");
    const char *host = lookup(src, "POSTGRES_HOST");
    const char *port = lookup(src, "POSTGRES_PORT");
    int64_t port_number = 5432;
    if (port && (parse_int64(port, &port_number) || port_number < 1 || port_number > 65535))
        return fail(err, "POSTGRES_PORT", "a port number (1-65535)", port);
    struct buf out = BUF_INIT;
    buf_adds(&out, "postgres://");
    if (user) {
        buf_add_url_encoded(&out, user, strlen(user));
        if (password) {
            buf_addc(&out, ':');
            buf_add_url_encoded(&out, password, strlen(password));
        }
        buf_addc(&out, '@');
    }
    buf_adds(&out, host ? host : "localhost");
    buf_addf(&out, ":%lld/", (long long)port_number);
    buf_add_url_encoded(&out, db, strlen(db));
    cfg->database_url = buf_detach(&out, NULL);
    return 0;
}

int config_parse_host_port(const char *value, bool allow_any_port, char **out_host, int *out_port)
{
    const char *colon = strrchr(value, ':');
    int64_t port;
    if (!colon || colon == value || parse_int64(colon + 1, &port) || port < !allow_any_port ||
        port > 65535)
        return ERR_INVALID;
    const char *host = value;
    size_t host_len = (size_t)(colon - value);
    if (host[0] == '[') {
        if (host_len < 3 || host[host_len - 1] != ']')
            return ERR_INVALID;
        host++;
        host_len -= 2;
    } else if (memchr(host, ':', host_len)) {
        return ERR_INVALID; /* IPv6 needs brackets */
    }
    *out_host = xmemdup(host, host_len);
    *out_port = (int)port;
    return 0;
}

/* An integer setting within [min, max], or its default when unset. */
static int int_setting(const struct config_source *src, const char *key, int64_t min, int64_t max,
                       int fallback, int *out, struct buf *err)
{
    const char *v = lookup(src, key);
    int64_t n = fallback;
    if (v && (parse_int64(v, &n) || n < min || n > max)) {
        char expected[64];
        snprintf(expected, sizeof expected, "a whole number from %lld to %lld", (long long)min,
                 (long long)max);
        return fail(err, key, expected, v);
    }
    *out = (int)n;
    return 0;
}

static int parse_chat_ids(struct config *cfg, const char *list, struct buf *err)
{
    const char *p = list;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        while (len && (*p == ' ' || *p == '\t')) {
            p++;
            len--;
        }
        while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        int64_t id;
        if (parse_int64_n(p, len, &id) || id == 0)
            return fail(err, "ADMIN_CHAT_IDS", "a comma-separated list of Telegram chat ids", list);
        cfg->admin_chat_ids = xreallocarray(cfg->admin_chat_ids, cfg->admin_chat_count + 1,
                                            sizeof *cfg->admin_chat_ids);
        cfg->admin_chat_ids[cfg->admin_chat_count++] = id;
        if (!comma)
            break;
        p = comma + 1;
    }
    return 0;
}

static bool valid_bot_token(const char *t)
{
    /* "<bot id>:<secret>", the secret being 30+ chars of [A-Za-z0-9_-] */
    const char *colon = strchr(t, ':');
    if (!colon || colon == t)
        return false;
    for (const char *p = t; p < colon; p++)
        if (*p < '0' || *p > '9')
            return false;
    size_t n = 0;
    for (const char *p = colon + 1; *p; p++, n++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return n >= 30;
}

static bool valid_webhook_secret(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 256)
        return false;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_' || *s == '-'))
            return false;
    return true;
}

static bool valid_currency(const char *s)
{
    if (strlen(s) != 3)
        return false;
    for (; *s; s++)
        if (*s < 'A' || *s > 'Z')
            return false;
    return true;
}

static int load(struct config *cfg, const struct config_source *src, struct buf *err)
{
    const char *v;
    int rc;
    if ((rc = resolve_database_url(cfg, src, err)))
        return rc;

    if ((v = lookup(src, "REDIS_URL"))) {
        if (!(has_prefix(v, "redis://") && v[8]) && !(has_prefix(v, "rediss://") && v[9])) {
            char *masked = config_mask_url(v);
            fail(err, "REDIS_URL", "redis://[:PASSWORD@]HOST[:PORT][/DB]", masked);
            free(masked);
            return ERR_INVALID;
        }
        cfg->redis_url = xstrdup(v);
    }

    if ((v = lookup(src, "BOT_TOKEN"))) {
        if (!valid_bot_token(v)) {
            buf_setf(err,
                     "BOT_TOKEN must be a token from @BotFather (123456789:ABC...), got a "
                     "value of %zu characters that is not one",
                     strlen(v));
            return ERR_INVALID;
        }
        cfg->bot_token = xstrdup(v);
    }

    v = lookup(src, "TELEGRAM_API_URL");
    if (v && !is_http_url(v))
        return fail(err, "TELEGRAM_API_URL", "an http:// or https:// URL", v);
    cfg->telegram_api_url = xstrdup(v ? v : "https://api.telegram.org");
    size_t n = strlen(cfg->telegram_api_url);
    while (n > 8 && cfg->telegram_api_url[n - 1] == '/')
        cfg->telegram_api_url[--n] = '\0';

    if ((v = lookup(src, "WEBHOOK_URL"))) {
        if (!is_http_url(v))
            return fail(err, "WEBHOOK_URL", "an https:// URL Telegram can reach", v);
        cfg->webhook_url = xstrdup(v);
    }
    if ((v = lookup(src, "WEBHOOK_SECRET"))) {
        if (!valid_webhook_secret(v))
            return fail(err, "WEBHOOK_SECRET", "1-256 characters of A-Z, a-z, 0-9, _ and -", NULL);
        cfg->webhook_secret = xstrdup(v);
    }

    cfg->payment_provider_token = dup_or_null(lookup(src, "PAYMENT_PROVIDER_TOKEN"));
    v = lookup(src, "CURRENCY");
    if (v && !valid_currency(v))
        return fail(err, "CURRENCY", "a three-letter ISO 4217 code such as RUB, USD or XTR", v);
    if (!cfg->payment_provider_token && v && strcmp(v, "XTR"))
        return fail(err, "CURRENCY",
                    "XTR (Telegram Stars) when PAYMENT_PROVIDER_TOKEN is unset; set the "
                    "provider token to take payments in other currencies",
                    v);
    cfg->currency = xstrdup(v ? v : cfg->payment_provider_token ? "RUB" : "XTR");

    if ((v = lookup(src, "ADMIN_CHAT_IDS")) && (rc = parse_chat_ids(cfg, v, err)))
        return rc;

    v = lookup(src, "LISTEN");
    if (config_parse_host_port(v ? v : "127.0.0.1:8000", false, &cfg->listen_host,
                               &cfg->listen_port))
        return fail(err, "LISTEN", "HOST:PORT (for example 127.0.0.1:8000 or [::1]:8000)", v);

    if ((v = lookup(src, "OPS_LISTEN")) &&
        config_parse_host_port(v, true, &cfg->ops_listen_host, &cfg->ops_listen_port))
        return fail(err, "OPS_LISTEN", "HOST:PORT (for example 0.0.0.0:9100)", v);
    if ((v = lookup(src, "TRUST_PROXY")) && parse_bool(v, &cfg->trust_proxy))
        return fail(err, "TRUST_PROXY", "true or false", v);

    cfg->media_dir = xstrdup((v = lookup(src, "MEDIA_DIR")) ? v : "data/media");

    v = lookup(src, "DEFAULT_LANGUAGE");
    if (v && strcmp(v, "ru") && strcmp(v, "en"))
        return fail(err, "DEFAULT_LANGUAGE", "ru or en", v);
    cfg->default_language = xstrdup(v ? v : "ru");

    cfg->send_rate = 30;
    if ((v = lookup(src, "SEND_RATE")) &&
        (parse_double(v, &cfg->send_rate) || cfg->send_rate < 0.1 || cfg->send_rate > 100000))
        return fail(err, "SEND_RATE", "a number of messages per second from 0.1 to 100000", v);

    if ((rc = int_setting(src, "PAGE_SIZE", 1, 20, 6, &cfg->page_size, err)) ||
        (rc = int_setting(src, "RESERVATION_MINUTES", 1, 1440, 30, &cfg->reservation_minutes, err)))
        return rc;

    cfg->log_level = LOG_INFO;
    if ((v = lookup(src, "LOG_LEVEL")) && log_level_parse(v, &cfg->log_level))
        return fail(err, "LOG_LEVEL", "one of debug, info, warn, error", v);
    cfg->log_format = LOG_TEXT;
    if ((v = lookup(src, "LOG_FORMAT")) && log_format_parse(v, &cfg->log_format))
        return fail(err, "LOG_FORMAT", "text or json", v);

    v = lookup_alias(src, "SECRET_KEY", "DJANGO_KEY");
    if (v && strlen(v) < 16)
        return fail(err, "SECRET_KEY", "at least 16 characters long (it signs sessions)", NULL);
    cfg->secret_key = dup_or_null(v);

    if ((v = lookup_alias(src, "DEBUG", "DJANGO_DEBUG")) && parse_bool(v, &cfg->debug))
        return fail(err, "DEBUG", "true or false", v);
    return 0;
}

static void register_secrets(const struct config *cfg)
{
    log_add_secret(cfg->bot_token);
    log_add_secret(cfg->payment_provider_token);
    log_add_secret(cfg->webhook_secret);
    log_add_secret(cfg->secret_key);
    /* the password part of each URL */
    const char *urls[] = {cfg->database_url, cfg->redis_url};
    for (size_t i = 0; i < 2; i++) {
        if (!urls[i])
            continue;
        char *masked = config_mask_url(urls[i]);
        const char *star = strstr(masked, ":***@");
        if (star) {
            size_t start = (size_t)(star - masked) + 1;
            const char *at = strchr(urls[i] + start, '@');
            char *password = xmemdup(urls[i] + start, (size_t)(at - (urls[i] + start)));
            log_add_secret(password);
            free(password);
        }
        free(masked);
    }
}

int config_load(struct config *out, const struct config_source *src, struct buf *err)
{
    memset(out, 0, sizeof *out);
    int rc = load(out, src, err);
    if (rc) {
        config_release(out);
        return rc;
    }
    register_secrets(out);
    return 0;
}

void config_release(struct config *cfg)
{
    free(cfg->database_url);
    free(cfg->redis_url);
    free(cfg->bot_token);
    free(cfg->telegram_api_url);
    free(cfg->webhook_url);
    free(cfg->webhook_secret);
    free(cfg->payment_provider_token);
    free(cfg->currency);
    free(cfg->admin_chat_ids);
    free(cfg->listen_host);
    free(cfg->ops_listen_host);
    free(cfg->media_dir);
    free(cfg->default_language);
    free(cfg->secret_key);
    memset(cfg, 0, sizeof *cfg);
}
