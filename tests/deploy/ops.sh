# Operations endpoints of every role: the bot (OPS_LISTEN) and the admin panel answer
# GET /healthz (200 with the database reachable, 503 with its reason when it is not) and
# GET /metrics in the Prometheus text format with the figures of what they did (updates,
# handler latency, messages sent, 429s, HTTP requests by status); JSON log lines carry the
# update and request ids; SIGTERM stops each role with exit 0.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
TOKEN=123456789:ops-test-token-0123456789abcdefghij
export DATABASE_URL=sqlite:ops.db LOG_FORMAT=json LOG_LEVEL=debug OPS_LISTEN=127.0.0.1:0

api() { curl -sf -H 'Content-Type: application/json' "$@"; }
# ops_url FILE: the address a role printed for /healthz and /metrics
ops_url() { sed -n 's|^tgshop [a-z]*: /healthz and /metrics at \(http://[0-9.:]*\)$|\1|p' "$1"; }

"$T" sandbox --listen 127.0.0.1:0 --token "$TOKEN" >sandbox.out 2>sandbox.err </dev/null &
sandbox=$!
pids="$pids $sandbox"
wait_for 30 grep -q "Bot API at" sandbox.out || not_ok "the sandbox did not start"
URL=$(sed -n 's|^Web chat: \(http://[0-9.:]*\)/$|\1|p' sandbox.out)

BOT_TOKEN=$TOKEN TELEGRAM_API_URL=$URL "$T" bot --workers 2 >bot.out 2>bot.err </dev/null &
bot=$!
pids="$pids $bot"
wait_for 30 grep -q "is running" bot.out && ok "the bot starts with OPS_LISTEN" ||
    { not_ok "the bot did not start"; cat bot.out bot.err; finish; }
OPS=$(ops_url bot.out)
[ -n "$OPS" ] && ok "the bot prints its ops address $OPS" || not_ok "no ops address: $(cat bot.out)"

body=$(curl -s -w ' %{http_code}' "$OPS/healthz")
[ "$body" = '{"status":"ok","checks":{"database":"ok"}}
 200' ] && ok "bot /healthz: 200 with the database ok" || not_ok "bot /healthz: $body"

api -X POST "$URL/sandbox/api/users" -d '{"id":4242,"first_name":"Ann"}' >/dev/null
api -X POST "$URL/sandbox/api/users/4242/messages" -d '{"text":"/start"}' >/dev/null
# metric SERIES: its value ("name" or 'name{labels}'), empty when there is none
metric() { curl -s "$OPS/metrics" | grep -F "$1 " | grep -v '^#' | awk '{print $NF}' | head -1; }
handled() { [ "$(metric 'tgshop_updates_total{type="message",result="ok"}')" = 1 ]; }
wait_for 30 handled && ok "metrics: one message update handled" ||
    { not_ok "updates: $(curl -s "$OPS/metrics" | grep updates_total)"; }
sent() { [ "${1:-$(metric 'tgshop_messages_total{result="sent"}')}" -ge 1 ] 2>/dev/null; }
wait_for 10 sent && ok "metrics: the answer counted as sent" ||
    not_ok "messages: $(curl -s "$OPS/metrics" | grep messages_total)"
[ "$(metric 'tgshop_update_handler_seconds_count')" = 1 ] &&
    ok "metrics: the handler's latency observed" || not_ok "no latency observation"
[ "$(metric 'tgshop_telegram_429_total')" = 0 ] && ok "metrics: no 429 yet" ||
    not_ok "429s: $(metric tgshop_telegram_429_total)"
api -X POST "$URL/sandbox/api/faults" \
    -d '{"rules":[{"method":"sendMessage","status":429,"retry_after":1,"first":1}]}' >/dev/null
api -X POST "$URL/sandbox/api/users/4242/messages" -d '{"text":"/start"}' >/dev/null
seen_429() { [ "$(metric 'tgshop_telegram_429_total')" = 1 ]; }
wait_for 30 seen_429 && ok "metrics: a 429 from Telegram is counted" ||
    not_ok "429s: $(metric tgshop_telegram_429_total)"
text=$(curl -s -D headers "$OPS/metrics")
contains "metrics: Prometheus content type" "$(tr -d '\r' <headers)" \
    "Content-Type: text/plain; version=0.0.4"
contains "metrics: the histogram's buckets" "$text" 'tgshop_update_handler_seconds_bucket{le="+Inf"} '
contains "metrics: the ops requests by status" "$text" 'tgshop_http_requests_total{server="ops",status="200"}'
contains "metrics: the version" "$text" 'tgshop_build_info{version="'
line=$(grep '"update_id":' bot.err | head -1)
contains "a log line while handling carries the update id" "$line" '"level":'
lacks "the token is not logged" "$(cat bot.err)" "ops-test-token"
stop $bot "bot"

# the admin panel: /healthz and /metrics on its own listener, and on OPS_LISTEN
"$T" web --listen 127.0.0.1:0 >web.out 2>web.err </dev/null &
web=$!
pids="$pids $web"
wait_for 30 grep -q "admin panel is at" web.out || { not_ok "web did not start"; cat web.err; finish; }
WEB=$(sed -n 's|.*admin panel is at \(http://[0-9.:]*\)/.*|\1|p' web.out)
body=$(curl -s -D headers -w ' %{http_code}' "$WEB/healthz")
contains "web /healthz: 200 and ok" "$body" '{"status":"ok","checks":{"database":"ok"}}'
id=$(tr -d '\r' <headers | sed -n 's/^X-Request-Id: //p')
[ -n "$id" ] && ok "responses carry X-Request-Id ($id)" || not_ok "no X-Request-Id"
grep -q "\"request_id\":$id,.*GET /healthz" web.err && ok "its log line carries the same id" ||
    not_ok "no log line with request_id $id"
curl -s -o /dev/null "$WEB/no-such-page"
contains "web /metrics counts the 404" "$(curl -s "$WEB/metrics")" \
    'tgshop_http_requests_total{server="admin",status="404"} 1'
contains "web also answers on OPS_LISTEN" "$(curl -s "$(ops_url web.out)/healthz")" '"status":"ok"'
# the database goes away: the next check fails with its reason
mv ops.db ops.db.away
mkdir ops.db
body=$(curl -s -w ' %{http_code}' "$WEB/healthz")
contains "web /healthz: 503 when the database cannot be opened" "$body" ' 503'
contains "with status fail" "$body" '{"status":"fail","checks":{"database":"'
rmdir ops.db
mv ops.db.away ops.db
contains "and 200 again when it is back" "$(curl -s -w ' %{http_code}' "$WEB/healthz")" ' 200'
stop $web "web"

# with REDIS_URL the broker is checked too: here nothing listens there
REDIS_URL=redis://127.0.0.1:$(free_port)/0 "$T" web --listen 127.0.0.1:0 >web2.out 2>web2.err </dev/null &
web=$!
pids="$pids $web"
wait_for 30 grep -q "admin panel is at" web2.out || not_ok "web with REDIS_URL did not start"
WEB=$(sed -n 's|.*admin panel is at \(http://[0-9.:]*\)/.*|\1|p' web2.out)
body=$(curl -s -w ' %{http_code}' "$WEB/healthz")
contains "web /healthz: 503 when the broker is unreachable" "$body" ' 503'
contains "naming the broker's problem" "$body" '"database":"ok","broker":"Redis 127.0.0.1:'
stop $web "web with an unreachable broker"

expect 2 "a bad OPS_LISTEN is refused" env OPS_LISTEN=nowhere "$T" web
contains "naming the key" "$ERR" 'OPS_LISTEN must be HOST:PORT'
stop $sandbox "sandbox"
finish
