#include "bot/staff.h"

#include "core/log.h"
#include "jobs/notify.h"
#include "core/banned.h"

int staff_queue_open(struct queue **out, const struct bot_settings *settings, struct buf *err)
{
    return queue_open(out, settings->queue, err);
}

void staff_queue_close(struct queue *q)
{
    queue_close(q);
}

int staff_notify(struct bot_ctx *c, int64_t chat_id, const char *html, const char *key)
{
    const char *unique = arena_sprintf(c->arena, "%s:%lld", key, (long long)chat_id);
    int rc = notify_enqueue(c->queue, chat_id, html, unique);
    if (rc < 0)
        log_warn("cannot queue a note to chat %lld: %s", (long long)chat_id,
                 queue_errmsg(c->queue));
    return rc < 0 ? rc : 0;
}
