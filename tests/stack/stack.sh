# The production topology as plain processes on loopback (docker-compose.yml's services):
# PostgreSQL, Redis with AOF, nginx with deploy/nginx.conf (ports and paths substituted),
# `tgshop migrate` once, `tgshop web` receiving the webhook, `tgshop bot` registering it,
# and the sandbox as Telegram delivering updates through nginx. Through nginx it signs in
# to the admin panel, creates a category and products there and reads static files and
# product photos. Customers buy those products through the webhook path (tests/stack/buyer.py: catalogue, card, cart, checkout, Stars payment) before
# and after a PostgreSQL restart, and others say /start in rounds around the PostgreSQL and
# then a Redis restart. Every order must be paid once with the stock down by what was sold,
# every update handled exactly once and answered, Redis's data must survive from its AOF,
# and every role must stop cleanly. A worker and two senders run beside them, healthy
# (database and broker) across both restarts, and send a 3,000-recipient mailing between
# them within the global rate limit while PostgreSQL and then Redis restart: every
# recipient gets exactly one message (tests/support/mailing.py).
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
. "$TGSHOP_SOURCE_DIR/tests/support/nginx.sh"
T=$TGSHOP_BIN
PG=$TGSHOP_SOURCE_DIR/tests/support/pg.sh
CUSTOMERS=${STACK_CUSTOMERS:-25}
BUYERS=${STACK_BUYERS:-10}
# the mailing: sandbox users 700000000.. who speak German (the shop's customers speak
# English), sent at SENDER_RATE by both senders together under the sandbox's LIMIT
RECIPIENTS=${STACK_RECIPIENTS:-3000}
FIRST_RECIPIENT=700000000
LIMIT=300
SENDER_RATE=150
MAIL=$TGSHOP_SOURCE_DIR/tests/support/mailing.py

for tool in nginx redis-server redis-cli psql python3; do
    command -v $tool >/dev/null || { echo "skip: $tool is not installed (scripts/bootstrap test)"; exit 77; }
done

REDIS_PORT=
cleanup() {
    for p in $pids; do kill $p 2>/dev/null || true; done
    nginx_stop "$WORK/nginx"
    [ -z "$REDIS_PORT" ] || redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    "$PG" stop "$WORK/pg" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
chmod a+rx "$WORK" # nginx's workers (nobody) read the media directory below
api() { curl -sf -H 'Content-Type: application/json' "$@"; }

# --- the servers ---
started=$(date +%s)
PG_URL=$("$PG" start "$WORK/pg")
export DATABASE_URL=$PG_URL MEDIA_DIR=$WORK/media LOG_FORMAT=json
ok "PostgreSQL at ${PG_URL%%@*}@…"

REDIS_PORT=$(free_port)
mkdir redis
start_redis() {
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --appendonly yes --appendfsync always \
        --save '' --dir "$WORK/redis" --daemonize yes --pidfile "$WORK/redis/redis.pid" \
        --logfile "$WORK/redis/redis.log"
    wait_for 10 sh -c "redis-cli -p $REDIS_PORT ping 2>/dev/null | grep -q PONG"
}
start_redis && ok "Redis with AOF on port $REDIS_PORT" || not_ok "Redis did not start"

"$T" sandbox --listen 127.0.0.1:0 --token 123456789:stack-token-0123456789abcdefghijkl \
    --global-rate $LIMIT >sandbox.out 2>sandbox.err </dev/null &
pids="$pids $!"
wait_for 30 grep -q "Bot API at" sandbox.out || not_ok "the sandbox did not start"
export BOT_TOKEN=123456789:stack-token-0123456789abcdefghijkl
export TELEGRAM_API_URL=$(sed -n 's|^Web chat: \(http://[0-9.:]*\)/$|\1|p' sandbox.out)
BOTAPI=$TELEGRAM_API_URL/bot$BOT_TOKEN

WEB_PORT=$(free_port)
HTTP_PORT=$(free_port)
nginx_test_conf "$WORK/nginx" "$HTTP_PORT" "127.0.0.1:$WEB_PORT" \
    "$TGSHOP_SOURCE_DIR/src/web/static" "$WORK/media" || not_ok "nginx.conf cannot be adapted"
expect 0 "nginx starts with deploy/nginx.conf" nginx_start "$WORK/nginx"
FRONT=http://127.0.0.1:$HTTP_PORT
export WEBHOOK_URL=$FRONT/tg/webhook WEBHOOK_SECRET=stack_secret-0123456789

# --- migrations once, the catalogue, the first admin (README "Production") ---
expect 0 "tgshop migrate (the one-shot service)" "$T" migrate
expect 0 "tgshop seed-demo" "$T" seed-demo
chmod -R a+rX "$WORK/media"
printf 'stack-Pass-2026\n' >pw
expect 0 "the first admin" sh -c "'$T' user create --username boss --superuser --password-stdin <pw"

export REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0
"$T" web --listen "127.0.0.1:$WEB_PORT" >web.out 2>web.err </dev/null &
web=$!
pids="$pids $web"
wait_for 30 grep -q "receives Telegram updates" web.out && ok "web runs in webhook mode" ||
    { not_ok "web did not start"; cat web.out web.err; finish; }
OPS_LISTEN=127.0.0.1:0 "$T" bot >bot.out 2>bot.err </dev/null &
bot=$!
pids="$pids $bot"
wait_for 30 grep -q "is registered" bot.out && ok "bot registers the webhook" ||
    { not_ok "bot did not start"; cat bot.out bot.err; finish; }
BOT_OPS=$(sed -n 's|^tgshop bot: /healthz and /metrics at \(http://[0-9.:]*\)$|\1|p' bot.out)
# the job workers: one for the default queue, two senders (docker-compose.yml's worker and
# sender --scale 2) sharing SENDER_RATE through Redis (the bot in web keeps the default 30/s)
workers=""
for role in default telegram_sending_queue telegram_sending_queue; do
    n=$(($(echo $workers | wc -w) + 1))
    SEND_RATE=$SENDER_RATE OPS_LISTEN=127.0.0.1:0 "$T" worker --queue $role >"worker$n.out" \
        2>"worker$n.err" </dev/null &
    workers="$workers $!"
done
pids="$pids $workers"
workers_up() { [ "$(grep -l "/healthz and /metrics at" worker*.out 2>/dev/null | wc -l)" = 3 ]; }
wait_for 30 workers_up && ok "a worker and two senders run" ||
    { not_ok "the workers did not start"; cat worker*.err; }
worker_ops() { sed -n 's|^tgshop worker: /healthz and /metrics at \(http://[0-9.:]*\)$|\1|p' worker*.out; }
workers_healthy() {
    for u in $(worker_ops); do
        [ "$(curl -s "$u/healthz")" = '{"status":"ok","checks":{"database":"ok","broker":"ok"}}' ] || return 1
    done
}
workers_healthy && ok "every worker's /healthz: database and broker ok" || not_ok "a worker is unhealthy"
contains "the webhook points at nginx" "$(curl -s "$BOTAPI/getWebhookInfo")" "\"url\":\"$WEBHOOK_URL\""
contains "web /healthz" "$(curl -s "http://127.0.0.1:$WEB_PORT/healthz")" '"status":"ok"'
contains "bot /healthz" "$(curl -s "$BOT_OPS/healthz")" '"status":"ok"'

# --- the admin panel through nginx ---
csrf=$(curl -sf -c jar -b jar "$FRONT/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
signin=$(curl -s -c jar -b jar -o /dev/null -w '%{http_code} %{redirect_url}' --data-urlencode "csrf=$csrf" \
    --data-urlencode "username=boss" --data-urlencode "password=stack-Pass-2026" "$FRONT/login")
curl -s -c jar -b jar -o dashboard.html "$FRONT/"
[ "${signin%% *}" = 303 ] && grep -q '<h1>Dashboard</h1>' dashboard.html &&
    ok "sign in to the admin panel through nginx" ||
    { not_ok "sign-in through nginx: $signin"; cat jar; head -c 600 dashboard.html; }
# staff create a category and three products through nginx; the customers buy those
form_csrf() { curl -s -b jar -c jar "$FRONT$1" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -1; }
code=$(curl -s -b jar -c jar -o /dev/null -w '%{http_code}' --data-urlencode "csrf=$(form_csrf /categories/new)" \
    --data-urlencode "name=Stack blends" --data-urlencode "description=Made by the stack test" \
    -d parent_id= -d is_active=1 "$FRONT/categories/new")
CATEGORY=$(psql -Atq "$PG_URL" -c "SELECT id FROM category WHERE name = 'Stack blends'")
[ "$code" = 303 ] && [ -n "$CATEGORY" ] && ok "a category created in the panel through nginx" ||
    not_ok "category form answered $code"
made=0
for k in 1 2 3; do
    code=$(curl -s -b jar -c jar -o /dev/null -w '%{http_code}' -F "csrf=$(form_csrf /products/new)" \
        -F "category_id=$CATEGORY" -F "name=Stack blend $k" -F "description=Blend number $k" \
        -F "price=$((100 * k))" -F "stock=40" -F "is_active=1" "$FRONT/products/new")
    [ "$code" = 303 ] && made=$((made + 1))
done
[ "$(psql -Atq "$PG_URL" -c "SELECT count(*) FROM product WHERE category_id = $CATEGORY")" = 3 ] &&
    [ "$made" = 3 ] && ok "three products created in the panel (multipart form)" ||
    not_ok "products created: $made"
h=$(curl -s -o /dev/null -D - "$FRONT/static/admin.css" | tr -d '\r' | tr A-Z a-z)
contains "nginx serves the panel's CSS from disk, cached" "$h" "cache-control: max-age=3600"
photo=$(cd "$WORK/media" && find . -type f \( -name '*.jpg' -o -name '*.png' -o -name '*.webp' \) | head -1)
[ -n "$photo" ] && [ "$(curl -s -o /dev/null -w '%{http_code}' "$FRONT/media/${photo#./}")" = 200 ] &&
    ok "nginx serves a product photo from MEDIA_DIR" || not_ok "no photo served ('$photo')"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$FRONT/metrics")" = 404 ] &&
    ok "metrics stay inside" || not_ok "/metrics is public"

# --- customers through the webhook, in rounds around restarts ---
for i in $(seq 1 "$CUSTOMERS"); do
    api -X POST "$TELEGRAM_API_URL/sandbox/api/users" \
        -d "{\"id\":$((600000 + i)),\"first_name\":\"C$i\",\"language_code\":\"en\"}" >/dev/null
done
# bot_messages ID: how many messages the bot has in the customer's chat
bot_messages() { api "$TELEGRAM_API_URL/sandbox/api/chats/$1" | grep -o '"is_bot":true' | wc -l; }
round() {
    for i in $(seq 1 "$CUSTOMERS"); do
        api -X POST "$TELEGRAM_API_URL/sandbox/api/users/$((600000 + i))/messages" \
            -d '{"text":"/start"}' >/dev/null
    done
}
# all_answered N: every customer has at least N bot messages
all_answered() {
    for i in $(seq 1 "$CUSTOMERS"); do
        [ "$(bot_messages $((600000 + i)))" -ge "$1" ] || return 1
    done
}
round
wait_for 60 all_answered 1 && ok "round 1: all $CUSTOMERS customers answered via nginx" ||
    not_ok "round 1: unanswered customers"
per_start=$(bot_messages 600001)

# customers buy through the webhook (tests/stack/buyer.py: catalogue, card, cart, checkout,
# Stars invoice, payment), half before and half after a PostgreSQL restart. (A restart while
# updates are in flight fails those updates: the bot tries a non-payment update once, so a
# customer's press can go unanswered; docs/operations.md.)
stock_before=$(psql -Atq "$PG_URL" -c "SELECT sum(stock) FROM product")
# buy FROM TO: customers FROM..TO shop at once; all must pay
buy() {
    local buyers="" lost=0
    for i in $(seq "$1" "$2"); do
        api -X POST "$TELEGRAM_API_URL/sandbox/api/users" \
            -d "{\"id\":$((610000 + i)),\"first_name\":\"B$i\",\"language_code\":\"en\"}" >/dev/null
        python3 "$TGSHOP_SOURCE_DIR/tests/stack/buyer.py" "$TELEGRAM_API_URL" $((610000 + i)) \
            "Stack blends" >"buyer.$i" 2>&1 &
        buyers="$buyers $!"
    done
    pids="$pids $buyers"
    for b in $buyers; do wait "$b" || lost=$((lost + 1)); done
    [ "$lost" = 0 ] && ok "customers $1-$2 bought and paid through nginx and the webhook" ||
        { not_ok "$lost purchases of customers $1-$2 did not finish"; cat buyer.* | grep -v '^paid' | head -5; }
}
half=$((BUYERS / 2))
buy 1 "$half"

# --- the mailing: RECIPIENTS sandbox users as customers by SQL, started as "Send now" leaves it;
# PostgreSQL restarts when a fifth is sent, Redis when half is ---
t0=$(date +%s)
python3 "$MAIL" recipients "$TELEGRAM_API_URL" "$PG_URL" $FIRST_RECIPIENT "$RECIPIENTS" de ||
    not_ok "recipients not made"
MAILING=$(python3 "$MAIL" start "$PG_URL" de "$RECIPIENTS")
ok "a mailing to $RECIPIENTS customers started (made in $(($(date +%s) - t0)) s)"
mail_started=$(date +%s)
delivered() { python3 "$MAIL" delivered "$TELEGRAM_API_URL" $FIRST_RECIPIENT "$RECIPIENTS"; }
past() { [ "$(delivered)" -ge "$1" ]; }
wait_for 120 past $((RECIPIENTS / 5)) || not_ok "the mailing did not get going: $(delivered) sent"
at=$(delivered)
expect 0 "PostgreSQL restarts" "$PG" restart "$WORK/pg"
[ "$at" -lt "$RECIPIENTS" ] && ok "PostgreSQL restarted in the middle of the mailing ($at of $RECIPIENTS sent)" ||
    not_ok "the mailing was over before the PostgreSQL restart"
wait_for 120 past $((RECIPIENTS / 2)) || not_ok "the mailing stalls after the PostgreSQL restart: $(delivered) sent"
at=$(delivered)
redis-cli -p "$REDIS_PORT" rpush tgshop:stack-test queued-1 queued-2 >/dev/null
redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
wait_for 10 sh -c "! (exec 3<>/dev/tcp/127.0.0.1/$REDIS_PORT) 2>/dev/null" ||
    not_ok "Redis did not shut down"
start_redis && ok "Redis restarts" || not_ok "Redis did not restart"
[ "$at" -lt "$RECIPIENTS" ] && ok "Redis restarted in the middle of the mailing ($at of $RECIPIENTS sent)" ||
    not_ok "the mailing was over before the Redis restart"
wait_for 30 workers_healthy && ok "the workers see the broker again after its restart" ||
    not_ok "a worker stays unhealthy after the Redis restart"
[ "$(redis-cli -p "$REDIS_PORT" lrange tgshop:stack-test 0 -1 | tr '\n' ' ')" = "queued-1 queued-2 " ] &&
    ok "what was queued in Redis survived its restart (AOF, no snapshot)" || not_ok "Redis lost its data"

# the second wave of purchases while the mailing ends
buy $((half + 1)) "$BUYERS"
q() { psql -Atq "$PG_URL" -c "$1"; }
[ "$(q "SELECT count(*) FROM orders WHERE status = 'paid'")" = "$BUYERS" ] &&
    ok "$BUYERS orders, all paid" || not_ok "orders: $(q "SELECT status, count(*) FROM orders GROUP BY status")"
sold=$(q "SELECT coalesce(sum(i.quantity), 0) FROM order_item i JOIN orders o ON o.id = i.order_id WHERE o.status IN ('paid', 'awaiting_payment')")
[ $(($(q "SELECT sum(stock) FROM product") + sold)) = "$stock_before" ] &&
    ok "stock went down by exactly what was sold ($sold)" || not_ok "stock and sales disagree"
[ "$(q "SELECT count(*) FROM orders o WHERE total <> (SELECT sum(price * quantity) FROM order_item WHERE order_id = o.id)")" = 0 ] &&
    ok "every order's total is the sum of its lines" || not_ok "an order's total is off"
[ "$(q "SELECT count(*) FROM order_item i JOIN product p ON p.id = i.product_id WHERE p.category_id = $CATEGORY")" = "$BUYERS" ] &&
    ok "they bought the products made in the panel" || not_ok "orders of other products"
[ "$(q "SELECT count(DISTINCT telegram_payment_charge_id) FROM orders WHERE status = 'paid'")" = "$BUYERS" ] &&
    ok "one payment per order" || not_ok "payment charge ids repeat"
round
wait_for 60 all_answered $((2 * per_start)) && ok "round 2 after both restarts: all answered" ||
    not_ok "round 2: unanswered after the restarts"

# the mailing: done, every recipient exactly one message, no 429 for it, the counters and rows
mailing_done() { python3 "$MAIL" done "$PG_URL" "$MAILING"; }
wait_for 300 mailing_done && ok "the mailing is done ($RECIPIENTS messages in $(($(date +%s) - mail_started)) s)" ||
    not_ok "the mailing is not done: $(delivered) of $RECIPIENTS sent"
python3 "$MAIL" check "$TELEGRAM_API_URL" "$PG_URL" "$MAILING" $FIRST_RECIPIENT "$RECIPIENTS" >mailing.check 2>&1 ||
    true
while IFS= read -r line; do
    case $line in
    "ok - "*) ok "mailing: ${line#ok - }" ;;
    "not ok - "*) not_ok "mailing: ${line#not ok - }" ;;
    Traceback*) not_ok "mailing check failed: $(cat mailing.check)" ;;
    esac
done <mailing.check
# split between the two senders: each sent some, together exactly one per recipient
sent_by() { curl -s "$1/metrics" | grep '^tgshop_messages_total{result="sent"}' | awk '{s += $NF} END {print s + 0}'; }
set -- $(worker_ops)
one=$(sent_by "$2") two=$(sent_by "$3")
[ "$one" -gt 0 ] && [ "$two" -gt 0 ] && [ $((one + two)) = "$RECIPIENTS" ] &&
    ok "both senders sent ($one + $two = $RECIPIENTS)" || not_ok "the senders sent $one and $two"

round
wait_for 60 all_answered $((3 * per_start)) && ok "round 3 after the mailing: all answered" ||
    not_ok "round 3: unanswered"

# exactly once: no customer got an answer twice, every update handled once
# the sandbox holds no update that was not delivered and answered
settled() { case $(curl -s "$TELEGRAM_API_URL/sandbox/api/stats") in *'"updates_pending":0,'* | *'"updates_pending":0}'*) ;; *) return 1 ;; esac; }
wait_for 30 settled && ok "the sandbox has delivered every update" || not_ok "updates still pending"
extra=0
for i in $(seq 1 "$CUSTOMERS"); do
    [ "$(bot_messages $((600000 + i)))" -eq $((3 * per_start)) ] || extra=$((extra + 1))
done
[ "$extra" = 0 ] && ok "no customer was answered twice ($((3 * per_start)) bot messages each)" ||
    not_ok "$extra customers have more or fewer than $((3 * per_start)) bot messages"
# web's metrics against the database: every update handled once and none failed (a successful
# payment is applied by its charge id, without a processed_update row)
metrics=$(curl -s "http://127.0.0.1:$WEB_PORT/metrics")
sum_of() { printf '%s\n' "$metrics" | grep "^tgshop_updates_total{.*result=\"$1\"}" | awk '{s += $NF} END {print s + 0}'; }
handled=$(psql -Atq "$PG_URL" -c "SELECT count(*) FROM processed_update")
[ "$(sum_of ok)" = $((handled + BUYERS)) ] && ok "every update handled once ($(sum_of ok))" ||
    not_ok "web handled $(sum_of ok) updates, processed_update has $handled (+ $BUYERS payments)"
[ "$(sum_of failed)" = 0 ] && ok "no update failed, not even across the restarts" ||
    not_ok "$(sum_of failed) updates failed: $(printf '%s\n' "$metrics" | grep 'result="failed"')"
lacks "no delivery error at Telegram's side" "$(curl -s "$BOTAPI/getWebhookInfo")" "last_error_message"

for w in $workers; do stop $w "worker $w"; done
stop $bot "bot"
stop $web "web"
echo "stack test: $BUYERS purchases, $CUSTOMERS customers x 3 rounds, a mailing to $RECIPIENTS, two restarts, $(($(date +%s) - started)) s"
finish
