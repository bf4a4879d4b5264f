/*
 * The Bot API methods the sandbox emulates (the list is in docs/sandbox.md).
 * botapi_call() runs one method with w->lock held, exactly as Telegram would:
 * same result objects, same error codes and descriptions. getUpdates may wait
 * on w->changed (releasing the lock) for its long poll.
 */
#ifndef TGSHOP_SANDBOX_BOTAPI_H
#define TGSHOP_SANDBOX_BOTAPI_H

#include <jansson.h>

#include "core/buf.h"
#include "sandbox/form.h"
#include "sandbox/world.h"

struct botapi_reply {
    int status;             /* the HTTP status, also error_code when not 200 */
    json_t *result;         /* on success */
    struct buf description; /* errors; also the few successes that carry one */
    int retry_after;        /* 429 */
};

void botapi_reply_init(struct botapi_reply *rep);
void botapi_reply_release(struct botapi_reply *rep);
/* Sets rep to an error (status and "Bad Request: ..."-style description). */
void botapi_fail(struct botapi_reply *rep, int status, const char *description);

/* Runs method (case-insensitive, as Telegram) with its parameters. */
void botapi_call(struct world *w, const char *method, const struct form *params,
                 struct botapi_reply *rep);
/* The canonical name of a known method ("sendmessage" -> "sendMessage"), else "unknown". */
const char *botapi_method_name(const char *method);
/* Appends Telegram's answer JSON for rep to out. */
void botapi_reply_json(const struct botapi_reply *rep, struct buf *out);

#endif
