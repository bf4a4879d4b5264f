/*
 * Logging to stderr, one line per event, as text or JSON (LOG_FORMAT).
 *
 * Secrets never reach the log: every string registered with
 * log_add_secret() (the bot token, passwords, DSN passwords, provider token,
 * secret key) is replaced by "***" in each line before it is written,
 * whatever the caller formatted. Thread-safe.
 *
 * A thread may name what it works on: log_set_ids(request_id, update_id) adds
 * "request_id=17 update_id=123456" after the level of every line it logs (text), or the
 * fields "request_id":17,"update_id":123456 (JSON); 0 leaves an id out.
 */
#ifndef TGSHOP_CORE_LOG_H
#define TGSHOP_CORE_LOG_H

#include <stdint.h>
#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_TEXT, LOG_JSON };

/* Sets level, format and destination (NULL = stderr). Safe to call again. */
void log_setup(enum log_level level, enum log_format format, FILE *out);
/* Adds a string to mask in every later line; strings shorter than 4 bytes are ignored
 * (masking "a" would destroy every line). The logger keeps its own copy. */
void log_add_secret(const char *secret);
/* Forgets every secret (tests). */
void log_clear_secrets(void);
/* Parses "debug|info|warn|error" / "text|json"; 0 on success, ERR_INVALID otherwise. */
int log_level_parse(const char *s, enum log_level *out);
int log_format_parse(const char *s, enum log_format *out);
int log_enabled(enum log_level level);
/* The calling thread's ids for its later lines (0 = none); log_set_ids(0, 0) clears them. */
void log_set_ids(uint64_t request_id, int64_t update_id);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_ERROR, __VA_ARGS__)

#endif
