/*
 * application/x-www-form-urlencoded text ("a=1&b=x+y%21", a query string) parsed into
 * fields, for requests made in-process without a connection (the sandbox's
 * sandbox_user_api()), and the percent-decoding the server applies to every request's path
 * and query. '+' is a space (not in a path),
 * %XX a byte, except %00, which stays as the three characters (see docs/http.md). A pair
 * without '=' is a name with an empty value; an empty name is skipped.
 */
#ifndef TGSHOP_HTTP_URLENCODED_H
#define TGSHOP_HTTP_URLENCODED_H

#include <stdbool.h>
#include <stddef.h>

#include "core/arena.h"
#include "http/server.h"

/* Decodes s[0, len) into out (which may be s itself: decoding never lengthens) as the rule
 * above says, '+' only when plus_is_space; NUL-terminates and returns the length. */
size_t http_url_decode(char *out, const char *s, size_t len, bool plus_is_space);
/* Appends the fields of s[0, len) to out; strings live in arena a. */
void http_urlencoded_parse(struct http_fields *out, struct arena *a, const char *s, size_t len);

#endif
