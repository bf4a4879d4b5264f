# Bot start-up against a Bot API that answers badly: needed calls (getMe, deleteWebhook)
# are retried, cosmetic ones (setMyCommands) are warnings retried in the background, a
# wrong token ends the process with one line and exit 1, Ctrl-C ends the retries.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
TOKEN=123456789:startup-test-token-0123456789abcdef
export DATABASE_URL=sqlite:startup.db

api() { curl -sf -H 'Content-Type: application/json' "$@"; }

"$T" sandbox --listen 127.0.0.1:0 --token "$TOKEN" \
    --fault method=setMyCommands,status=500 \
    --fault method=getMe,status=502,first=2 \
    --fault method=deleteWebhook,status=429,retry_after=1,first=1 >sandbox.out 2>sandbox.err &
sandbox=$!
pids="$sandbox"
wait_for 30 grep -q "Bot API at" sandbox.out || not_ok "the sandbox did not start"
URL=$(sed -n 's|^Web chat: \(http://[0-9.:]*\)/$|\1|p' sandbox.out)
export TELEGRAM_API_URL=$URL

# the whole shop against it: it starts despite the faults and serves /start
BOT_TOKEN=$TOKEN "$T" run --workers 2 >run.out 2>run.err </dev/null &
run=$!
pids="$pids $run"
if wait_for 60 grep -q "The shop is running" run.out; then
    ok "run starts despite getMe 502 twice, a 429 on deleteWebhook and setMyCommands 500"
else
    not_ok "run did not start"
    cat run.err
fi
log=$(cat run.err)
[ "$(grep -c 'getMe failed (Bad Gateway)' run.err)" = 2 ] && ok "one line per getMe failure" ||
    not_ok "getMe failures logged: $log"
contains "the 429 is logged with its retry_after" "$log" \
    "deleteWebhook failed (Too Many Requests: retry after 1); retrying in 1 s"
contains "setMyCommands is a warning" "$log" "warn  setMyCommands failed (Internal Server Error)"
violations=$(api "$URL/sandbox/api/flood" | sed -n 's/.*"violations":\([0-9]*\).*/\1/p')
[ "$violations" = 0 ] && ok "the retry waited for retry_after (no flood violation)" ||
    not_ok "flood violations: '$violations'"

api -X POST "$URL/sandbox/api/users" -d '{"id":4242,"first_name":"Ann"}' >/dev/null
api -X POST "$URL/sandbox/api/users/4242/messages" -d '{"text":"/start"}' >/dev/null
bot_answered() { api "$URL/sandbox/api/chats/4242" | grep -q '"is_bot":true'; }
wait_for 30 bot_answered && ok "the bot answers /start" || not_ok "no answer to /start"

# once Telegram answers again, the command menu is set in the background
api -X POST "$URL/sandbox/api/faults" -d '{"rules":[]}' >/dev/null
commands_set() { api "$URL/sandbox/api/bot" | grep -q '"command":"start"'; }
wait_for 60 commands_set && ok "setMyCommands retried until it worked" ||
    not_ok "the commands were never set"
stop $run "run"

# a wrong token: exit 1 at once, one clear line
expect 1 "bot with a wrong token" env BOT_TOKEN=123456789:wrong-token-0123456789abcdefghij "$T" bot
contains "wrong token explained" "$ERR" \
    "tgshop bot: cannot start the bot: Telegram refused the bot token (getMe: 401 Unauthorized); check BOT_TOKEN"
[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && ok "one line" || not_ok "more than one line: $ERR"
lacks "the token is not printed" "$ERR" "wrong-token"
expect 1 "run with a wrong token" env BOT_TOKEN=123456789:wrong-token-0123456789abcdefghij "$T" run
contains "run explains" "$ERR" "Telegram refused the bot token"

# Ctrl-C while getMe keeps failing ends the retries
api -X POST "$URL/sandbox/api/faults" -d '{"rules":[{"method":"getMe","status":500}]}' >/dev/null
BOT_TOKEN=$TOKEN "$T" bot >bot.out 2>bot.err </dev/null &
bot=$!
pids="$pids $bot"
wait_for 30 grep -q "getMe failed (Internal Server Error)" bot.err && ok "getMe 500 is retried" ||
    not_ok "no getMe retry logged"
stop $bot "bot in its start-up retries"

# the same for the admin panel running the bot in webhook mode
WEBHOOK_URL=https://shop.example/tg/webhook WEBHOOK_SECRET=webhook-secret-0123 BOT_TOKEN=$TOKEN \
    LISTEN=127.0.0.1:$(free_port) "$T" web >web.out 2>web.err </dev/null &
web=$!
pids="$pids $web"
wait_for 30 grep -q "getMe failed (Internal Server Error)" web.err && ok "web: getMe 500 is retried" ||
    not_ok "web: no getMe retry logged"
stop $web "web in its bot's start-up retries"
stop $sandbox "sandbox"
finish
