# tgshop worker: flags, start-up line, SIGTERM ends it with exit 0, and on the database
# queue a notification job (inserted as the shop would) reaches the sandbox chat.
# Its scheduler cancels an unpaid order whose reservation expired and starts a mailing that
# the worker sends.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
TOKEN=123456789:worker-test-token-0123456789abcdef
export DATABASE_URL=sqlite:worker.db

api() { curl -sf -H 'Content-Type: application/json' "$@"; }
# the running worker writes too (scheduler, heartbeats): wait for its lock, as the shop does
sql() { sqlite3 -cmd '.timeout 10000' worker.db "$@"; }

expect 2 "worker needs --queue" "$T" worker
contains "says so" "$ERR" "--queue is required"
expect 2 "unknown queue" "$T" worker --queue emails
contains "names the queues" "$ERR" "--queue takes default and/or telegram_sending_queue"
expect 2 "a queue twice" "$T" worker --queue default,default
expect 2 "bad concurrency" "$T" worker --queue default --concurrency 0
contains "names the range" "$ERR" "--concurrency must be 1-64"
expect 2 "sending without a token" "$T" worker --queue telegram_sending_queue
contains "needs BOT_TOKEN" "$ERR" "BOT_TOKEN is not set"
expect 0 "help" "$T" worker --help
contains "help names the queues" "$OUT" "default|telegram_sending_queue"

"$T" sandbox --listen 127.0.0.1:0 --token "$TOKEN" >sandbox.out 2>sandbox.err &
sandbox=$!
pids="$sandbox"
wait_for 30 grep -q "Bot API at" sandbox.out || not_ok "the sandbox did not start"
URL=$(sed -n 's|^Web chat: \(http://[0-9.:]*\)/$|\1|p' sandbox.out)
export TELEGRAM_API_URL=$URL BOT_TOKEN=$TOKEN
api -X POST "$URL/sandbox/api/users" -d '{"id":4242,"first_name":"Staff","started":true}' >/dev/null

"$T" worker --queue default,telegram_sending_queue --concurrency 2 >worker.out 2>worker.err &
worker=$!
pids="$pids $worker"
if wait_for 30 grep -q "tgshop worker: queues default, telegram_sending_queue, 2 threads" worker.out; then
    ok "the worker starts on both queues"
else
    not_ok "no start-up line: $(cat worker.out worker.err)"
fi
contains "the scheduler runs with the default queue" "$(cat worker.out)" "scheduler on"
sql "INSERT INTO job (queue, kind, payload) VALUES ('telegram_sending_queue',
    'notify.message', '{\"chat_id\":4242,\"text\":\"New order <b>#1</b>\"}')"
got_note() { api "$URL/sandbox/api/chats/4242" | grep -q 'New order'; }
wait_for 30 got_note && ok "a notification job reaches the chat" || not_ok "no notification"
left=$(sql "SELECT count(*) FROM job")
[ "$left" = 0 ] && ok "the job is done and gone" || not_ok "$left jobs left"

# the scheduler: an unpaid order past its reservation is cancelled, its stock returned
sql "
    INSERT INTO customer (id, tg_id) VALUES (1, 4242);
    INSERT INTO category (id, name) VALUES (1, 'Tea');
    INSERT INTO product (id, category_id, name, price, stock) VALUES (1, 1, 'Oolong', 100, 5);
    INSERT INTO orders (id, customer_id, status, total, currency, reserved_until)
        VALUES (1, 1, 'awaiting_payment', 200, 'XTR', strftime('%s', 'now') - 10);
    INSERT INTO order_item (order_id, product_id, name, price, quantity) VALUES (1, 1, 'Oolong', 100, 2);"
cancelled() { [ "$(sql "SELECT status || stock FROM orders, product")" = cancelled7 ]; }
wait_for 30 cancelled && ok "the scheduler cancels the expired order and returns its stock" ||
    not_ok "order and stock: $(sql "SELECT status, stock FROM orders, product")"
# a mailing started by SQL (as the admin panel's "Send now" leaves it): the scheduler starts
# it, the fan-out and the sender of this one process send it
sql "INSERT INTO mailing (id, text, status, scheduled_at, total_count)
    VALUES (1, 'Spring <b>sale</b>', 'scheduled', strftime('%s', 'now'), 1)"
got_mailing() { api "$URL/sandbox/api/chats/4242" | grep -q 'Spring sale'; }
wait_for 30 got_mailing && ok "a mailing reaches the customer" || not_ok "no mailing"
mailing_done() { [ "$(sql "SELECT status || sent_count FROM mailing")" = done1 ]; }
wait_for 30 mailing_done && ok "the mailing is done with its counters" ||
    not_ok "mailing: $(sql "SELECT status, sent_count, total_count FROM mailing")"
stop $worker "worker"
stop $sandbox "sandbox"
finish
