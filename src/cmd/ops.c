#include <stdio.h>

#include "cmd/cmd.h"
#include "core/metrics.h"
#include "jobs/queue.h"
#include "ops/ops.h"
#include "core/banned.h"

/* The broker is reachable: a queue connection to REDIS_URL opens. */
static int check_broker(void *redis_url, struct buf *error)
{
    struct queue *q;
    struct queue_config cfg = {.redis_url = redis_url};
    int rc = queue_open(&q, &cfg, error);
    queue_close(q);
    return rc;
}

int cmd_ops_start(const struct cmd_env *env, struct http_server **out)
{
    static struct ops_check checks[2];
    size_t count = 0;
    checks[count++] = (struct ops_check){"database", ops_check_database, env->cfg.database_url};
    if (env->cfg.redis_url)
        checks[count++] = (struct ops_check){"broker", check_broker, env->cfg.redis_url};
    ops_set_checks(checks, count);
    metric_set(&metric_build_info, 1, TGSHOP_VERSION, NULL);
    *out = NULL;
    if (!env->cfg.ops_listen_host)
        return EXIT_OK;
    struct buf err = BUF_INIT;
    int status = EXIT_OK;
    if (ops_server_start(out, env->cfg.ops_listen_host, env->cfg.ops_listen_port, &err))
        status = cmd_fail(env, "cannot serve OPS_LISTEN: %s", err.data);
    else
        printf("tgshop %s: /healthz and /metrics at %s\n", env->cmd->name, http_server_url(*out));
    fflush(stdout);
    buf_release(&err);
    return status;
}
