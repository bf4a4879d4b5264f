#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/util.h"
#include "core/xalloc.h"
#include "core/banned.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static enum log_level min_level = LOG_INFO;
static enum log_format format = LOG_TEXT;
static FILE *sink;
static char **secrets;
static size_t nsecrets;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level level, enum log_format fmt, FILE *out)
{
    pthread_mutex_lock(&log_lock);
    min_level = level;
    format = fmt;
    sink = out;
    pthread_mutex_unlock(&log_lock);
}

void log_add_secret(const char *secret)
{
    if (!secret || strlen(secret) < 4)
        return;
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < nsecrets; i++) {
        if (!strcmp(secrets[i], secret)) {
            pthread_mutex_unlock(&log_lock);
            return;
        }
    }
    secrets = xreallocarray(secrets, nsecrets + 1, sizeof *secrets);
    secrets[nsecrets++] = xstrdup(secret);
    pthread_mutex_unlock(&log_lock);
}

void log_clear_secrets(void)
{
    pthread_mutex_lock(&log_lock);
    for (size_t i = 0; i < nsecrets; i++)
        free(secrets[i]);
    free(secrets);
    secrets = NULL;
    nsecrets = 0;
    pthread_mutex_unlock(&log_lock);
}

int log_level_parse(const char *s, enum log_level *out)
{
    for (size_t i = 0; i < ARRAY_SIZE(level_names); i++) {
        if (!strcmp(s, level_names[i])) {
            *out = (enum log_level)i;
            return 0;
        }
    }
    if (!strcmp(s, "warning")) {
        *out = LOG_WARN;
        return 0;
    }
    return ERR_INVALID;
}

int log_format_parse(const char *s, enum log_format *out)
{
    if (!strcmp(s, "text")) {
        *out = LOG_TEXT;
        return 0;
    }
    if (!strcmp(s, "json")) {
        *out = LOG_JSON;
        return 0;
    }
    return ERR_INVALID;
}

int log_enabled(enum log_level level)
{
    return level >= min_level;
}

/* Replaces every registered secret in msg; called with log_lock held. */
static void mask_secrets(struct buf *msg)
{
    for (size_t i = 0; i < nsecrets; i++) {
        size_t n = strlen(secrets[i]);
        char *hit;
        size_t from = 0;
        while ((hit = strstr(msg->data + from, secrets[i])) != NULL) {
            size_t at = (size_t)(hit - msg->data);
            struct buf rest = BUF_INIT;
            buf_adds(&rest, hit + n);
            buf_truncate(msg, at);
            buf_adds(msg, "***");
            from = msg->len;
            buf_add(msg, rest.data, rest.len);
            buf_release(&rest);
        }
    }
}

void log_write(enum log_level level, const char *fmt, ...)
{
    if (level < min_level)
        return;
    struct buf msg = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vaddf(&msg, fmt, ap);
    va_end(ap);

    int64_t ms = clock_now_ms();
    char stamp[32];
    clock_format_iso(ms / 1000, stamp, sizeof stamp);
    stamp[19] = '\0'; /* drop the Z: milliseconds go in between */

    pthread_mutex_lock(&log_lock);
    mask_secrets(&msg);
    struct buf line = BUF_INIT;
    if (format == LOG_JSON) {
        buf_addf(&line, "{\"ts\":\"%s.%03dZ\",\"level\":\"%s\",\"msg\":\"", stamp, (int)(ms % 1000),
                 level_names[level]);
        buf_add_json_escaped(&line, msg.data, msg.len);
        buf_adds(&line, "\"}\n");
    } else {
        buf_addf(&line, "%s.%03dZ %-5s ", stamp, (int)(ms % 1000), level_names[level]);
        /* one event, one line: a newline inside a message (from user input) must not forge
         * a second log line */
        for (size_t i = 0; i < msg.len; i++) {
            char c = msg.data[i];
            if (c == '\n')
                buf_adds(&line, "\\n");
            else if (c == '\r')
                buf_adds(&line, "\\r");
            else
                buf_addc(&line, c);
        }
        buf_addc(&line, '\n');
    }
    FILE *out = sink ? sink : stderr;
    fwrite(line.data, 1, line.len, out);
    fflush(out);
    pthread_mutex_unlock(&log_lock);
    buf_release(&line);
    buf_release(&msg);
}
