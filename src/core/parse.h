/*
 * Strict parsers for numbers and flags from configuration, CLI flags, forms
 * and callback data: the whole string must be consumed, ranges are checked,
 * and failure is reported instead of guessed (unlike atoi).
 */
#ifndef TGSHOP_CORE_PARSE_H
#define TGSHOP_CORE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decimal integer with optional sign, no spaces. Returns 0 or ERR_INVALID. */
int parse_int64(const char *s, int64_t *out);
/* Like parse_int64 for a byte range that need not be NUL-terminated. */
int parse_int64_n(const char *s, size_t len, int64_t *out);
/* Finite decimal number ("30", "0.5"). Returns 0 or ERR_INVALID. */
int parse_double(const char *s, double *out);
/* true/false, yes/no, on/off, 1/0, any case (Django's "True" included). */
int parse_bool(const char *s, bool *out);

#endif
