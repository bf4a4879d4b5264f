/*
 * The Redis queue backend (hiredis 0.14, Redis 7). Keys, all under a prefix (default
 * "tgshop:"):
 *
 *   q:QUEUE        a stream of {job: ID} entries; consumer group "tgshop"
 *   delayed:QUEUE  sorted set: job ids by due time (ms), moved to the stream when due
 *   job:ID         hash: queue, kind, payload, attempts, max_attempts, unique_key,
 *                  last_error, updated_ms
 *   dead           sorted set: dead job ids by time of death
 *   unique:KEY     the id of the job holding a unique key
 *   seq            the last job id;  lease:NAME  a named lease (the scheduler's)
 *
 * Every step that touches more than one key is a Lua script (EVAL), so it is atomic. A
 * claim moves the due delayed jobs, then takes over (XAUTOCLAIM) an entry that has been
 * pending longer than the lease (its consumer died), then reads a new one (XREADGROUP);
 * with nothing there it waits with XREAD BLOCK for the streams to grow. Settling checks
 * that the entry is still pending for this consumer (XPENDING), so a claimant whose entry
 * was taken over changes nothing. Run Redis with AOF for durability across restarts; a
 * handle whose connection broke reconnects on its next call.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/err.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "jobs/queue_backend.h"
#include "core/banned.h"

#define GROUP "tgshop"

struct queue_redis {
    struct queue base;
    redisContext *c;
    char *host;
    int port;
    char *password;
    int64_t database;
    char *prefix;
    char consumer[64];
    char cursor[2][48]; /* XAUTOCLAIM cursors of the last claim's queues */
};

static struct queue_redis *as_redis(struct queue *q)
{
    return (struct queue_redis *)q;
}

/* Lua helpers shared by the scripts: the server's clock in ms. */
#define LUA_NOW                                                                                    \
    "local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + "                            \
    "math.floor(tonumber(t[2]) / 1000) "

/* ARGV: prefix, queue, kind, payload, max_attempts, run_at_ms (0 = now), unique_key ('' = none)
 * -> the new id, or 0 when the unique key is taken. */
static const char enqueue_lua[] = LUA_NOW
    "local p, q = ARGV[1], ARGV[2] "
    "local id = redis.call('INCR', p .. 'seq') "
    "if ARGV[7] ~= '' and not redis.call('SET', p .. 'unique:' .. ARGV[7], id, 'NX') "
    "then return 0 end "
    "redis.call('HSET', p .. 'job:' .. id, 'queue', q, 'kind', ARGV[3], 'payload', ARGV[4], "
    "'attempts', 0, 'max_attempts', ARGV[5], 'unique_key', ARGV[7], 'updated_ms', now) "
    "local run_at = tonumber(ARGV[6]) "
    "if run_at > now then redis.call('ZADD', p .. 'delayed:' .. q, run_at, id) "
    "else redis.call('XADD', p .. 'q:' .. q, '*', 'job', id) end "
    "return id";

/* ARGV: prefix, consumer, lease_ms, then QUEUE CURSOR pairs.
 * -> {cursor1, cursor2, last_id1, last_id2, next_due_ms or -1,
 *     [queue, entry, id, kind, payload, attempts, max_attempts]} */
static const char claim_lua[] = LUA_NOW
    "local p, consumer, lease = ARGV[1], ARGV[2], ARGV[3] "
    "local out = {'', '', '0-0', '0-0', -1} "
    "local function take(q, s, entry, id) "
    "  local jk = p .. 'job:' .. id "
    "  if redis.call('EXISTS', jk) == 0 then "
    "    redis.call('XACK', s, '" GROUP "', entry) redis.call('XDEL', s, entry) return false end "
    "  local attempts = redis.call('HINCRBY', jk, 'attempts', 1) "
    "  if attempts > tonumber(redis.call('HGET', jk, 'max_attempts')) then "
    "    redis.call('HINCRBY', jk, 'attempts', -1) "
    "    redis.call('HSET', jk, 'last_error', "
    "      'lease expired: the worker stopped without an answer', 'updated_ms', now) "
    "    redis.call('XACK', s, '" GROUP "', entry) redis.call('XDEL', s, entry) "
    "    redis.call('ZADD', p .. 'dead', now, id) return false end "
    "  local h = redis.call('HMGET', jk, 'kind', 'payload', 'max_attempts') "
    "  for _, v in ipairs({q, entry, id, h[1], h[2], attempts, h[3]}) do out[#out + 1] = v end "
    "  return true "
    "end "
    "local n = (#ARGV - 3) / 2 "
    "for i = 1, n do "
    "  local q, cursor = ARGV[2 + 2 * i], ARGV[3 + 2 * i] "
    "  local s, d = p .. 'q:' .. q, p .. 'delayed:' .. q "
    "  for _, id in ipairs(redis.call('ZRANGEBYSCORE', d, '-inf', now, 'LIMIT', 0, 100)) do "
    "    redis.call('XADD', s, '*', 'job', id) redis.call('ZREM', d, id) end "
    "  local due_next = redis.call('ZRANGE', d, 0, 0, 'WITHSCORES') "
    "  if due_next[2] and (out[5] < 0 or tonumber(due_next[2]) < out[5]) then "
    "    out[5] = tonumber(due_next[2]) end "
    "  local last = redis.call('XREVRANGE', s, '+', '-', 'COUNT', 1) "
    "  if last[1] then out[2 + i] = last[1][1] end "
    "end "
    "for i = 1, n do "
    "  local q, cursor = ARGV[2 + 2 * i], ARGV[3 + 2 * i] "
    "  local s = p .. 'q:' .. q "
    "  local r = redis.call('XAUTOCLAIM', s, '" GROUP "', consumer, lease, cursor, 'COUNT', 1) "
    "  out[i] = r[1] "
    "  for _, e in ipairs(r[2]) do "
    "    if take(q, s, e[1], e[2][2]) then return out end end "
    "end "
    "for i = 1, n do "
    "  local q = ARGV[2 + 2 * i] "
    "  local s = p .. 'q:' .. q "
    "  local r = redis.call('XREADGROUP', 'GROUP', '" GROUP "', consumer, 'COUNT', 1, "
    "    'STREAMS', s, '>') "
    "  if r then for _, e in ipairs(r[1][2]) do "
    "    if take(q, s, e[1], e[2][2]) then return out end end end "
    "end "
    "return out";

/* ARGV: prefix, op (ack|retry|bury|release), queue, entry, id, consumer, run_at_ms, error
 * -> 1, or 0 when the entry is no longer this consumer's. */
static const char settle_lua[] = LUA_NOW
    "local p, op, q, entry, id = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5] "
    "local s, jk = p .. 'q:' .. q, p .. 'job:' .. id "
    "if #redis.call('XPENDING', s, '" GROUP "', entry, entry, 1, ARGV[6]) == 0 then return 0 end "
    "redis.call('XACK', s, '" GROUP "', entry) redis.call('XDEL', s, entry) "
    "if op == 'ack' then "
    "  local uk = redis.call('HGET', jk, 'unique_key') "
    "  if uk and uk ~= '' then redis.call('DEL', p .. 'unique:' .. uk) end "
    "  redis.call('DEL', jk) "
    "elseif op == 'retry' then "
    "  redis.call('HSET', jk, 'last_error', ARGV[8], 'updated_ms', now) "
    "  redis.call('ZADD', p .. 'delayed:' .. q, ARGV[7], id) "
    "elseif op == 'bury' then "
    "  redis.call('HSET', jk, 'last_error', ARGV[8], 'updated_ms', now) "
    "  redis.call('ZADD', p .. 'dead', now, id) "
    "else "
    "  redis.call('HINCRBY', jk, 'attempts', -1) "
    "  redis.call('XADD', s, '*', 'job', id) "
    "end "
    "return 1";

/* ARGV: prefix, limit -> flat {id, queue, kind, payload, attempts, max_attempts, last_error,
 * updated_ms} per dead job, newest first. */
static const char dead_list_lua[] =
    "local p = ARGV[1] local out = {} "
    "for _, id in ipairs(redis.call('ZREVRANGE', p .. 'dead', 0, tonumber(ARGV[2]) - 1)) do "
    "  local h = redis.call('HMGET', p .. 'job:' .. id, 'queue', 'kind', 'payload', 'attempts', "
    "    'max_attempts', 'last_error', 'updated_ms') "
    "  out[#out + 1] = id "
    "  for k = 1, 7 do out[#out + 1] = h[k] or '' end "
    "end "
    "return out";

/* ARGV: prefix, op (retry|discard), id -> 1, or 0 when the job is not dead. */
static const char dead_change_lua[] =
    LUA_NOW "local p, id = ARGV[1], ARGV[3] "
            "local jk = p .. 'job:' .. id "
            "if redis.call('ZREM', p .. 'dead', id) == 0 then return 0 end "
            "if ARGV[2] == 'retry' then "
            "  redis.call('HSET', jk, 'attempts', 0, 'updated_ms', now) "
            "  redis.call('XADD', p .. 'q:' .. redis.call('HGET', jk, 'queue'), '*', 'job', id) "
            "else "
            "  local uk = redis.call('HGET', jk, 'unique_key') "
            "  if uk and uk ~= '' then redis.call('DEL', p .. 'unique:' .. uk) end "
            "  redis.call('DEL', jk) "
            "end "
            "return 1";

/* ARGV: key, holder, ttl_ms -> 1 when holder has the lease. */
static const char lease_lua[] = "local cur = redis.call('GET', ARGV[1]) "
                                "if cur and cur ~= ARGV[2] then return 0 end "
                                "redis.call('SET', ARGV[1], ARGV[2], 'PX', ARGV[3]) return 1";

/* ARGV: prefix, per_second, chat_id ('0' = none), chat gap ms -> 0 when the slot is taken, else the
 * ms to wait. GCRA without burst on rate:tat (the next free slot, ms with decimals). */
static const char rate_take_lua[] = LUA_NOW
    "local p, chat = ARGV[1], ARGV[3] "
    "local hold = redis.call('PTTL', p .. 'rate:hold') "
    "if hold > 0 then return hold end "
    "if chat ~= '0' then "
    "  local w = redis.call('PTTL', p .. 'rate:chat:' .. chat) "
    "  if w > 0 then return w end end "
    "local tat = tonumber(redis.call('GET', p .. 'rate:tat') or '0') "
    "if tat > now then return math.ceil(tat - now) end "
    "if tat < now - 1 then tat = now end "
    "redis.call('SET', p .. 'rate:tat', string.format('%.3f', tat + 1000 / "
    "tonumber(ARGV[2])), 'PX', 60000) "
    "if chat ~= '0' then redis.call('SET', p .. 'rate:chat:' .. chat, 1, 'PX', ARGV[4]) end "
    "return 0";

/* ARGV: prefix, ms: holds every sender for ms unless a longer hold is on. */
static const char rate_hold_lua[] = "local k = ARGV[1] .. 'rate:hold' "
                                    "if redis.call('PTTL', k) < tonumber(ARGV[2]) then "
                                    "  redis.call('SET', k, 1, 'PX', ARGV[2]) end return 0";

static void disconnect(struct queue_redis *r)
{
    if (r->c)
        redisFree(r->c);
    r->c = NULL;
}

static int network_failure(struct queue_redis *r, const char *what)
{
    int rc = queue_fail(&r->base, ERR_NETWORK, "Redis %s:%d: %s", r->host, r->port,
                        r->c && r->c->errstr[0] ? r->c->errstr : what);
    disconnect(r);
    return rc;
}

/* Runs a command given as strings. On success *out is the reply (freeReplyObject it);
 * a Redis error reply becomes ERR_DB with its text. */
static int run(struct queue_redis *r, redisReply **out, int argc, const char **argv,
               const size_t *lens);

static int connect_redis(struct queue_redis *r)
{
    if (r->c)
        return 0;
    struct timeval connect_timeout = {2, 0}, command_timeout = {10, 0};
    r->c = redisConnectWithTimeout(r->host, r->port, connect_timeout);
    if (!r->c || r->c->err)
        return network_failure(r, "cannot connect");
    if (redisSetTimeout(r->c, command_timeout) != REDIS_OK)
        return network_failure(r, "cannot set the timeout");
    redisReply *reply = NULL;
    int rc = 0;
    if (r->password) {
        const char *argv[] = {"AUTH", r->password};
        rc = run(r, &reply, 2, argv, NULL);
        freeReplyObject(reply);
    }
    if (!rc && r->database) {
        char num[24];
        snprintf(num, sizeof num, "%lld", (long long)r->database);
        const char *argv[] = {"SELECT", num};
        rc = run(r, &reply, 2, argv, NULL);
        freeReplyObject(reply);
    }
    if (rc)
        disconnect(r);
    return rc;
}

static int run(struct queue_redis *r, redisReply **out, int argc, const char **argv,
               const size_t *lens)
{
    *out = NULL;
    int rc = connect_redis(r);
    if (rc)
        return rc;
    size_t computed[16];
    if (!lens) {
        for (int i = 0; i < argc && i < 16; i++)
            computed[i] = strlen(argv[i]);
        lens = computed;
    }
    redisReply *reply = redisCommandArgv(r->c, argc, argv, lens);
    if (!reply)
        return network_failure(r, "connection lost");
    if (reply->type == REDIS_REPLY_ERROR) {
        rc = queue_fail(&r->base, ERR_DB, "Redis: %s", reply->str);
        freeReplyObject(reply);
        return rc;
    }
    *out = reply;
    return 0;
}

/* EVAL script with no keys and the given arguments. */
static int eval(struct queue_redis *r, redisReply **out, const char *script, int argc,
                const char **args)
{
    const char *argv[16] = {"EVAL", script, "0"};
    for (int i = 0; i < argc && i + 3 < 16; i++)
        argv[i + 3] = args[i];
    return run(r, out, argc + 3, argv, NULL);
}

static int redis_enqueue(struct queue *q, const struct job_spec *s, int64_t *out_id)
{
    struct queue_redis *r = as_redis(q);
    char max[16], run_at[24];
    snprintf(max, sizeof max, "%d", s->max_attempts);
    snprintf(run_at, sizeof run_at, "%lld", (long long)s->run_at_ms);
    const char *args[] = {
        r->prefix, s->queue, s->kind, s->payload, max, run_at, s->unique_key ? s->unique_key : ""};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, enqueue_lua, 7, args);
    if (rc)
        return rc;
    int64_t id = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -1;
    freeReplyObject(reply);
    if (id < 0)
        return queue_fail(q, ERR_INTERNAL, "Redis: unexpected reply to enqueue");
    if (out_id)
        *out_id = id;
    return id > 0;
}

static int ensure_group(struct queue_redis *r, const char *queue)
{
    char stream[256];
    snprintf(stream, sizeof stream, "%sq:%s", r->prefix, queue);
    const char *argv[] = {"XGROUP", "CREATE", stream, GROUP, "0", "MKSTREAM"};
    redisReply *reply = NULL;
    int rc = run(r, &reply, 6, argv, NULL);
    freeReplyObject(reply);
    if (rc == ERR_DB && strstr(r->base.error, "BUSYGROUP"))
        rc = 0;
    return rc;
}

static const char *element(const redisReply *reply, size_t i)
{
    if (i >= reply->elements)
        return "";
    const redisReply *e = reply->element[i];
    return e->type == REDIS_REPLY_STRING ? e->str : "";
}

static int64_t element_int(const redisReply *reply, size_t i)
{
    if (i >= reply->elements)
        return 0;
    const redisReply *e = reply->element[i];
    if (e->type == REDIS_REPLY_INTEGER)
        return e->integer;
    int64_t v = 0;
    return e->type == REDIS_REPLY_STRING && !parse_int64(e->str, &v) ? v : 0;
}

/* One non-blocking claim. Returns 1/0/negative; on 0 fills last_ids and *next_due_ms. */
static int claim_once(struct queue_redis *r, struct job *out, struct arena *a,
                      const char *const *queues, size_t n, int64_t lease_ms, char last_ids[2][48],
                      int64_t *next_due_ms)
{
    char lease[24];
    snprintf(lease, sizeof lease, "%lld", (long long)lease_ms);
    const char *args[7] = {r->prefix, r->consumer, lease};
    for (size_t i = 0; i < n; i++) {
        args[3 + 2 * i] = queues[i];
        args[4 + 2 * i] = r->cursor[i][0] ? r->cursor[i] : "0-0";
    }
    redisReply *reply = NULL;
    int rc = eval(r, &reply, claim_lua, (int)(3 + 2 * n), args);
    if (rc)
        return rc;
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements < 5) {
        freeReplyObject(reply);
        return queue_fail(&r->base, ERR_INTERNAL, "Redis: unexpected reply to claim");
    }
    for (size_t i = 0; i < n; i++) {
        snprintf(r->cursor[i], sizeof r->cursor[i], "%s", element(reply, i));
        snprintf(last_ids[i], sizeof last_ids[i], "%s", element(reply, 2 + i));
    }
    *next_due_ms = element_int(reply, 4);
    int got = reply->elements >= 12;
    if (got) {
        out->queue = arena_strdup(a, element(reply, 5));
        out->lease = arena_strdup(a, element(reply, 6));
        out->id = element_int(reply, 7);
        out->kind = arena_strdup(a, element(reply, 8));
        out->payload = arena_strdup(a, element(reply, 9));
        out->attempts = (int)element_int(reply, 10);
        out->max_attempts = (int)element_int(reply, 11);
    }
    freeReplyObject(reply);
    return got;
}

/* Waits up to ms for any of the streams to grow past last_ids. */
static int wait_for_entries(struct queue_redis *r, const char *const *queues, size_t n,
                            char last_ids[2][48], int64_t ms)
{
    char block[24], streams[2][256];
    snprintf(block, sizeof block, "%lld", (long long)(ms > 0 ? ms : 1));
    const char *argv[9] = {"XREAD", "COUNT", "1", "BLOCK", block, "STREAMS"};
    int argc = 6;
    for (size_t i = 0; i < n; i++) {
        snprintf(streams[i], sizeof streams[i], "%sq:%s", r->prefix, queues[i]);
        argv[argc++] = streams[i];
    }
    for (size_t i = 0; i < n; i++)
        argv[argc++] = last_ids[i];
    redisReply *reply = NULL;
    int rc = run(r, &reply, argc, argv, NULL);
    freeReplyObject(reply);
    return rc;
}

static int redis_claim(struct queue *q, struct job *out, struct arena *a, const char *const *queues,
                       size_t n, int64_t lease_ms, int64_t wait_ms)
{
    struct queue_redis *r = as_redis(q);
    for (size_t i = 0; i < n; i++) {
        int rc = ensure_group(r, queues[i]);
        if (rc)
            return rc;
    }
    char last_ids[2][48];
    int64_t next_due = -1;
    int got = claim_once(r, out, a, queues, n, lease_ms, last_ids, &next_due);
    if (got || !wait_ms)
        return got;
    int64_t wait = wait_ms;
    if (next_due >= 0) {
        int64_t until_due = next_due - clock_now_ms();
        if (until_due < wait)
            wait = until_due < 1 ? 1 : until_due;
    }
    int rc = wait_for_entries(r, queues, n, last_ids, wait);
    if (rc)
        return rc;
    return claim_once(r, out, a, queues, n, lease_ms, last_ids, &next_due);
}

static int settle(struct queue *q, const struct job *job, const char *op, int64_t run_at_ms,
                  const char *error)
{
    struct queue_redis *r = as_redis(q);
    char id[24], run_at[24];
    snprintf(id, sizeof id, "%lld", (long long)job->id);
    snprintf(run_at, sizeof run_at, "%lld", (long long)run_at_ms);
    const char *args[] = {r->prefix, op, job->queue, job->lease, id, r->consumer, run_at, error};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, settle_lua, 8, args);
    if (rc)
        return rc;
    bool held = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject(reply);
    return held ? 0 : queue_fail(q, ERR_CONFLICT, "the job's lease was lost");
}

static int redis_ack(struct queue *q, const struct job *job)
{
    return settle(q, job, "ack", 0, "");
}

static int redis_retry(struct queue *q, const struct job *job, int64_t run_at_ms, const char *error)
{
    return settle(q, job, "retry", run_at_ms, error);
}

static int redis_bury(struct queue *q, const struct job *job, const char *error)
{
    return settle(q, job, "bury", 0, error);
}

static int redis_release(struct queue *q, const struct job *job)
{
    return settle(q, job, "release", 0, "");
}

static int redis_dead_list(struct queue *q, struct job *out, size_t limit, size_t *out_count,
                           struct arena *a)
{
    struct queue_redis *r = as_redis(q);
    char lim[24];
    snprintf(lim, sizeof lim, "%zu", limit);
    const char *args[] = {r->prefix, lim};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, dead_list_lua, 2, args);
    if (rc)
        return rc;
    for (size_t i = 0; i + 8 <= reply->elements && *out_count < limit; i += 8) {
        struct job *j = &out[(*out_count)++];
        memset(j, 0, sizeof *j);
        j->id = element_int(reply, i);
        j->queue = arena_strdup(a, element(reply, i + 1));
        j->kind = arena_strdup(a, element(reply, i + 2));
        j->payload = arena_strdup(a, element(reply, i + 3));
        j->attempts = (int)element_int(reply, i + 4);
        j->max_attempts = (int)element_int(reply, i + 5);
        j->last_error = arena_strdup(a, element(reply, i + 6));
        j->updated_ms = element_int(reply, i + 7);
    }
    freeReplyObject(reply);
    return 0;
}

static int dead_change(struct queue *q, const char *op, int64_t job_id)
{
    struct queue_redis *r = as_redis(q);
    char id[24];
    snprintf(id, sizeof id, "%lld", (long long)job_id);
    const char *args[] = {r->prefix, op, id};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, dead_change_lua, 3, args);
    if (rc)
        return rc;
    bool changed = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject(reply);
    return changed ? 0 : queue_fail(q, ERR_NOTFOUND, "no such dead job");
}

static int redis_dead_retry(struct queue *q, int64_t id)
{
    return dead_change(q, "retry", id);
}

static int redis_dead_discard(struct queue *q, int64_t id)
{
    return dead_change(q, "discard", id);
}

static int redis_lease(struct queue *q, const char *name, const char *holder, int64_t ttl_ms)
{
    struct queue_redis *r = as_redis(q);
    char key[256], ttl[24];
    snprintf(key, sizeof key, "%slease:%s", r->prefix, name);
    snprintf(ttl, sizeof ttl, "%lld", (long long)ttl_ms);
    const char *args[] = {key, holder, ttl};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, lease_lua, 3, args);
    if (rc)
        return rc;
    bool held = reply->type == REDIS_REPLY_INTEGER && reply->integer == 1;
    freeReplyObject(reply);
    return held;
}

static int redis_rate_take(struct queue *q, double per_second, int64_t chat_id,
                           int64_t *out_wait_ms)
{
    struct queue_redis *r = as_redis(q);
    char rate[32], chat[24], gap[16];
    snprintf(rate, sizeof rate, "%.6f", per_second);
    snprintf(chat, sizeof chat, "%lld", (long long)chat_id);
    snprintf(gap, sizeof gap, "%d", QUEUE_CHAT_GAP_MS);
    const char *args[] = {r->prefix, rate, chat, gap};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, rate_take_lua, 4, args);
    if (rc)
        return rc;
    *out_wait_ms = reply->type == REDIS_REPLY_INTEGER && reply->integer > 0 ? reply->integer : 0;
    freeReplyObject(reply);
    return 0;
}

static int redis_rate_hold(struct queue *q, int64_t ms)
{
    struct queue_redis *r = as_redis(q);
    char hold[24];
    snprintf(hold, sizeof hold, "%lld", (long long)ms);
    const char *args[] = {r->prefix, hold};
    redisReply *reply = NULL;
    int rc = eval(r, &reply, rate_hold_lua, 2, args);
    freeReplyObject(reply);
    return rc;
}

static void redis_close(struct queue *q)
{
    struct queue_redis *r = as_redis(q);
    disconnect(r);
    free(r->host);
    free(r->password);
    free(r->prefix);
    free(r);
}

static const struct queue_ops redis_ops = {
    .name = "redis",
    .enqueue = redis_enqueue,
    .claim = redis_claim,
    .ack = redis_ack,
    .retry = redis_retry,
    .bury = redis_bury,
    .release = redis_release,
    .dead_list = redis_dead_list,
    .dead_retry = redis_dead_retry,
    .dead_discard = redis_dead_discard,
    .lease = redis_lease,
    .rate_take = redis_rate_take,
    .rate_hold = redis_rate_hold,
    .close = redis_close,
};

/* redis://[[USER]:PASSWORD@]HOST[:PORT][/DB] */
static int parse_url(struct queue_redis *r, const char *url, struct buf *err)
{
    static const char scheme[] = "redis://";
    if (strncmp(url, scheme, sizeof scheme - 1)) {
        buf_setf(err, "REDIS_URL must start with redis://");
        return ERR_INVALID;
    }
    const char *p = url + sizeof scheme - 1;
    const char *at = strrchr(p, '@');
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        if (colon && at > colon + 1)
            r->password = xstrndup(colon + 1, (size_t)(at - colon - 1));
        p = at + 1;
    }
    size_t host_len = strcspn(p, ":/");
    r->host = host_len ? xstrndup(p, host_len) : xstrdup("127.0.0.1");
    p += host_len;
    int64_t port = 6379;
    if (*p == ':') {
        size_t n = strcspn(p + 1, "/");
        if (parse_int64_n(p + 1, n, &port) || port < 1 || port > 65535) {
            buf_setf(err, "REDIS_URL has a bad port");
            return ERR_INVALID;
        }
        p += 1 + n;
    }
    r->port = (int)port;
    if (*p == '/' && p[1] && (parse_int64(p + 1, &r->database) || r->database < 0)) {
        buf_setf(err, "REDIS_URL has a bad database number");
        return ERR_INVALID;
    }
    return 0;
}

int queue_redis_open(struct queue **out, const char *redis_url, const char *prefix, struct buf *err)
{
    struct queue_redis *r = xcalloc(1, sizeof *r);
    r->base.ops = &redis_ops;
    r->prefix = xstrdup(prefix);
    char host[32] = "";
    gethostname(host, sizeof host - 1);
    char token[9];
    queue_token(token, sizeof token);
    snprintf(r->consumer, sizeof r->consumer, "%s-%ld-%s", host, (long)getpid(), token);
    int rc = parse_url(r, redis_url, err);
    if (!rc && (rc = connect_redis(r)))
        buf_setf(err, "%s", r->base.error);
    if (rc) {
        redis_close(&r->base);
        return rc;
    }
    *out = &r->base;
    return 0;
}
