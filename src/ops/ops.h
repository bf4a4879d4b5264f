/*
 * The operations endpoints every role answers (docs/operations.md):
 *
 *   GET /healthz   200 {"status":"ok","checks":{"database":"ok","broker":"ok"}} when every
 *                  check passes, else 503 with the failing check's reason in place of "ok"
 *   GET /metrics   the process's metrics (core/metrics.h) in the Prometheus text format
 *
 * The admin panel serves them on its own listener (web/routes.c); roles without it (bot,
 * worker) start a small server of their own with ops_server_start (OPS_LISTEN).
 *
 * The checks are process-wide: src/cmd/ sets them once with ops_set_checks before any
 * server starts. A check connects afresh each time, so it proves the server is reachable
 * now, not that a pooled connection once was.
 */
#ifndef TGSHOP_OPS_OPS_H
#define TGSHOP_OPS_OPS_H

#include <stddef.h>

#include "core/buf.h"
#include "http/server.h"

struct ops_check {
    const char *name;                         /* "database", "broker" */
    int (*run)(void *ctx, struct buf *error); /* 0, or a negative code with the reason */
    void *ctx;
};

/* The checks /healthz runs, in order; the array must live as long as the servers. */
void ops_set_checks(const struct ops_check *checks, size_t count);

/* Route handlers for an http_route table. */
void ops_healthz(struct http_request *req, struct http_response *res);
void ops_metrics(struct http_request *req, struct http_response *res);

/* A check for ops_check.run: opens the database at ctx (a DATABASE_URL) and runs SELECT 1. */
int ops_check_database(void *database_url, struct buf *error);

/* Serves /healthz and /metrics on host:port (port 0 = any) until http_server_stop. */
int ops_server_start(struct http_server **out, const char *host, int port, struct buf *err);

#endif
