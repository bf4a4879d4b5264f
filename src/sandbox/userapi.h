/*
 * The user side of the sandbox (docs/sandbox.md): JSON routes under
 * /sandbox/api/ to create users and channels, act as a user (send text,
 * press buttons, share a contact, inline queries, pay invoices, block the
 * bot, join channels), read chats with long polling, read counters and
 * configure faults. userapi_handle() takes w->lock itself.
 */
#ifndef TGSHOP_SANDBOX_USERAPI_H
#define TGSHOP_SANDBOX_USERAPI_H

#include "core/buf.h"
#include "sandbox/form.h"
#include "sandbox/world.h"

struct userapi_reply {
    int status;
    struct buf body;
    const char *content_type; /* static string */
    char *location;           /* a redirect target, or NULL */
};

void userapi_reply_init(struct userapi_reply *rep);
void userapi_reply_release(struct userapi_reply *rep);

/* Serves one request: method "GET"/"POST", path starting with /sandbox/api/,
 * query arguments and the body (a JSON object or empty). */
void userapi_handle(struct world *w, const char *method, const char *path, const struct form *query,
                    const char *body, size_t body_len, struct userapi_reply *rep);

#endif
