#include "ops/ops.h"

#include "core/err.h"
#include "core/metrics.h"
#include "core/util.h"
#include "db/db.h"
#include "core/banned.h"

static const struct ops_check *checks;
static size_t check_count;

void ops_set_checks(const struct ops_check *list, size_t count)
{
    checks = list;
    check_count = count;
}

void ops_healthz(struct http_request *req, struct http_response *res)
{
    (void)req;
    bool healthy = true;
    struct buf results = BUF_INIT, error = BUF_INIT;
    for (size_t i = 0; i < check_count; i++) {
        buf_reset(&error);
        int rc = checks[i].run(checks[i].ctx, &error);
        if (rc && !error.len)
            buf_adds(&error, err_str(rc));
        healthy = healthy && !rc;
        buf_addf(&results, "%s\"%s\":\"", i ? "," : "", checks[i].name);
        if (rc)
            buf_add_json_escaped(&results, error.data, error.len);
        else
            buf_adds(&results, "ok");
        buf_addc(&results, '"');
    }
    buf_addf(&res->body, "{\"status\":\"%s\",\"checks\":{%s}}\n", healthy ? "ok" : "fail",
             results.len ? results.data : "");
    buf_release(&results);
    buf_release(&error);
    res->status = healthy ? 200 : 503;
    res->content_type = "application/json";
    http_response_header(res, "Cache-Control", "no-store");
}

void ops_metrics(struct http_request *req, struct http_response *res)
{
    (void)req;
    metrics_render(&res->body);
    res->content_type = metrics_content_type;
    http_response_header(res, "Cache-Control", "no-store");
}

int ops_check_database(void *database_url, struct buf *error)
{
    struct db *db = NULL;
    int64_t one;
    int rc = db_open(&db, database_url, error);
    if (!rc && (rc = db_query_int(db, &one, "SELECT 1")))
        buf_adds(error, db_errmsg(db));
    db_close(db);
    return rc;
}

static const struct http_route routes[] = {
    {"GET", "/healthz", ops_healthz, 0, NULL},
    {"GET", "/metrics", ops_metrics, 0, NULL},
};

int ops_server_start(struct http_server **out, const char *host, int port, struct buf *err)
{
    struct http_options opt = {
        .listen_host = host,
        .listen_port = port,
        .routes = routes,
        .route_count = ARRAY_SIZE(routes),
        .connection_limit = 16,
        .name = "ops",
    };
    return http_server_start(out, &opt, err);
}
