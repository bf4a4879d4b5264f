# Webhook mode end to end against the sandbox: `tgshop bot` with WEBHOOK_URL registers the
# webhook (setWebhook with the secret token and the update types the bot handles),
# `tgshop web` receives Telegram's deliveries on POST /tg/webhook, refuses any request
# without the right secret, and its bot answers the customer; `tgshop bot` without
# WEBHOOK_URL deletes the webhook again and long-polls.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
export BOT_TOKEN=123456789:webhook-test-token-0123456789abcdefgh DATABASE_URL=sqlite:hook.db
SECRET=hook_Secret-42

api() { curl -sf -H 'Content-Type: application/json' "$@"; }
hookinfo() { curl -s "$BOTAPI/getWebhookInfo"; }

"$T" sandbox --listen 127.0.0.1:0 --token "$BOT_TOKEN" >sandbox.out 2>sandbox.err </dev/null &
sandbox=$!
pids="$pids $sandbox"
wait_for 30 grep -q "Bot API at" sandbox.out || not_ok "the sandbox did not start"
export TELEGRAM_API_URL=$(sed -n 's|^Web chat: \(http://[0-9.:]*\)/$|\1|p' sandbox.out)
BOTAPI=$TELEGRAM_API_URL/bot$BOT_TOKEN
PORT=$(free_port)
HOOK=http://127.0.0.1:$PORT/tg/webhook

expect 2 "bot: WEBHOOK_URL without WEBHOOK_SECRET is refused" env WEBHOOK_URL=$HOOK "$T" bot
contains "saying why" "$ERR" "WEBHOOK_URL needs WEBHOOK_SECRET"

WEBHOOK_URL=$HOOK WEBHOOK_SECRET=$SECRET "$T" web --listen "127.0.0.1:$PORT" >web.out 2>web.err </dev/null &
web=$!
pids="$pids $web"
wait_for 30 grep -q "receives Telegram updates" web.out && ok "web receives the webhook" ||
    { not_ok "web did not start"; cat web.out web.err; finish; }
WEBHOOK_URL=$HOOK WEBHOOK_SECRET=$SECRET "$T" bot >bot.out 2>bot.err </dev/null &
bot=$!
pids="$pids $bot"
wait_for 30 grep -q "is registered" bot.out && ok "bot registers the webhook" ||
    { not_ok "the bot did not start"; cat bot.out bot.err; finish; }
info=$(hookinfo)
contains "getWebhookInfo: the URL" "$info" "\"url\":\"$HOOK\""
contains "getWebhookInfo: the update types" "$info" \
    '"allowed_updates":["message","callback_query","inline_query","pre_checkout_query","my_chat_member"]'

api -X POST "$TELEGRAM_API_URL/sandbox/api/users" -d '{"id":5151,"first_name":"Ivan"}' >/dev/null
api -X POST "$TELEGRAM_API_URL/sandbox/api/users/5151/messages" -d '{"text":"/start"}' >/dev/null
bot_messages() { api "$TELEGRAM_API_URL/sandbox/api/chats/5151" | grep -o '"is_bot":true' | wc -l; }
answered() { [ "$(bot_messages)" -ge "$1" ]; }
wait_for 30 answered 1 && ok "the customer's /start is answered through the webhook" ||
    not_ok "no answer: $(hookinfo)"
lacks "the sandbox saw no delivery error" "$(hookinfo)" "last_error_message"

update='{"update_id":9,"message":{"message_id":1,"date":1,"chat":{"id":5151,"type":"private"},"from":{"id":5151,"is_bot":false,"first_name":"Ivan"},"text":"/start"}}'
post() { curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' "$@" -d "$update" "$HOOK"; }
[ "$(post)" = 401 ] && ok "web refuses an update without the secret (401)" || not_ok "no secret: $(post)"
[ "$(post -H 'X-Telegram-Bot-Api-Secret-Token: wrong')" = 401 ] &&
    ok "web refuses a wrong secret (401)" || not_ok "wrong secret accepted"
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Telegram-Bot-Api-Secret-Token: $SECRET" \
    -H 'Content-Type: application/json' -d 'not json' "$HOOK")" = 400 ] &&
    ok "web refuses a body that is not an update (400)" || not_ok "not json accepted"
stop $bot "bot in webhook mode"
stop $web "web in webhook mode"

# back to long polling: the webhook is deleted and updates are fetched
"$T" bot >bot2.out 2>bot2.err </dev/null &
bot=$!
pids="$pids $bot"
wait_for 30 grep -q "long polling" bot2.out && ok "bot starts long polling" ||
    { not_ok "the bot did not start"; cat bot2.err; }
contains "the webhook is deleted" "$(hookinfo)" '"url":""'
before=$(bot_messages)
api -X POST "$TELEGRAM_API_URL/sandbox/api/users/5151/messages" -d '{"text":"/start"}' >/dev/null
wait_for 30 answered $((before + 1)) && ok "and the next /start is answered by polling" ||
    not_ok "no answer after switching back"
stop $bot "bot long polling"
stop $sandbox "sandbox"
finish
