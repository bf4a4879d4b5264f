# The command line: help, exit codes and one clear line for bad input.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN

expect 0 "--help" "$T" --help
contains "--help lists commands" "$OUT" "migrate"
expect 0 "--version" "$T" --version
contains "--version" "$OUT" "tgshop "
expect 2 "no command" "$T"
contains "no command shows usage" "$ERR" "usage: tgshop"
expect 2 "unknown command" "$T" frobnicate
contains "unknown command named" "$ERR" "'frobnicate' is not a tgshop command"
expect 2 "unknown global flag" "$T" --colour
contains "unknown global flag named" "$ERR" "unknown option --colour"
expect 0 "help migrate" "$T" help migrate
contains "help migrate" "$OUT" "--status"
for cmd in run web migrate user; do
    expect 0 "$cmd --help needs no configuration" env DATABASE_URL=mysql://x "$T" "$cmd" --help
    contains "$cmd --help" "$OUT" "usage: tgshop $cmd"
done
expect 2 "unknown flag" "$T" migrate --force
contains "unknown flag named" "$ERR" "option --force is not known"
contains "unknown flag shows usage" "$ERR" "usage: tgshop migrate"
expect 2 "stray argument" "$T" migrate now
expect 2 "missing flag value" "$T" user create --username
contains "missing value named" "$ERR" "needs a value"
expect 2 "user without subcommand" "$T" user
expect 2 "unknown user subcommand" "$T" user delete x
contains "unknown subcommand" "$ERR" "'delete' is not a user subcommand"

# configuration errors: exit 2, the key named, secrets not echoed
expect 2 "bad DATABASE_URL" env DATABASE_URL='mysql://root:hunter2@db/x' "$T" migrate
contains "bad DATABASE_URL named" "$ERR" "DATABASE_URL must be sqlite:PATH or postgres://"
lacks "password masked" "$ERR" "hunter2"
expect 2 "bad SEND_RATE" env SEND_RATE=fast "$T" migrate
contains "bad SEND_RATE" "$ERR" 'SEND_RATE must be a number of messages per second from 0.1 to 100000, got "fast"'
[ "$(printf '%s\n' "$ERR" | wc -l)" = 1 ] && ok "one line" || not_ok "one line: $ERR"
expect 2 "bad BOT_TOKEN" env BOT_TOKEN=nope "$T" run
lacks "token not echoed" "$ERR" "nope"

# .env: used, overridden by the environment, malformed lines reported
printf 'DATABASE_URL=sqlite:from-dotenv.db\nSEND_RATE=12\n' >.env
expect 0 ".env read" "$T" migrate
[ -f from-dotenv.db ] && ok ".env DATABASE_URL used" || not_ok ".env DATABASE_URL used"
expect 0 "environment wins over .env" env DATABASE_URL=sqlite:from-env.db "$T" migrate
[ -f from-env.db ] && ok "environment DATABASE_URL used" || not_ok "environment DATABASE_URL used"
printf 'A=1\nnot a line\n' >broken.env
expect 2 "malformed .env" "$T" --env-file broken.env migrate
contains "malformed .env located" "$ERR" "broken.env:2: expected KEY=VALUE"
expect 2 "missing --env-file" "$T" --env-file missing.env migrate
contains "missing env file named" "$ERR" "missing.env"
expect 2 "TGSHOP_ENV_FILE" env TGSHOP_ENV_FILE=broken.env "$T" migrate
rm .env

# databases that cannot be opened: exit 1 quickly, no hang, no password
start=$(date +%s)
expect 1 "unreachable PostgreSQL" env DATABASE_URL=postgres://shop:topsecret@127.0.0.1:1/shop "$T" migrate
elapsed=$(($(date +%s) - start))
[ "$elapsed" -le 6 ] && ok "unreachable PostgreSQL answered in ${elapsed}s" || not_ok "took ${elapsed}s"
contains "unreachable PostgreSQL explained" "$ERR" "cannot open the database postgres://shop:***@127.0.0.1:1/shop"
lacks "no password in the error" "$ERR" "topsecret"
expect 1 "unwritable SQLite path" env DATABASE_URL=sqlite:/proc/nope/x.db "$T" migrate
contains "SQLite path explained" "$ERR" "cannot open the database sqlite:/proc/nope/x.db"

# migrate on the default database
expect 0 "migrate creates the default database" "$T" migrate
# as many migrations as the source has (each helper branch may add one)
migrations=$(ls "$TGSHOP_SOURCE_DIR"/src/db/migrations/*.sql | wc -l)
[ "$migrations" -eq 1 ] && noun=migration || noun=migrations
contains "migrate says so" "$OUT" "applied $migrations $noun"
[ -f data/tgshop.db ] && ok "data/tgshop.db created" || not_ok "data/tgshop.db created"
expect 0 "migrate --status" "$T" migrate --status
contains "status lists the schema" "$OUT" "0001_schema.sql"
contains "status counts" "$OUT" "$migrations of $migrations applied"
expect 0 "migrate again" "$T" migrate
contains "nothing to apply" "$OUT" "nothing to apply"

# run: bad flags are refused before anything starts
expect 2 "run with an argument" "$T" run now
expect 2 "run with a bad --workers" "$T" run --workers 0
expect 2 "run with a bad --sandbox-listen" "$T" run --sandbox-listen nowhere
expect 2 "sandbox with a bad --fault" "$T" sandbox --fault method=getMe,status=200
contains "bad --fault explained" "$ERR" "fault status must be 0 or an HTTP status 400-599"
expect 2 "sandbox with an unknown fault field" "$T" sandbox --fault colour=red
expect 2 "run with a bad --listen" "$T" run --listen nowhere
expect 2 "web with an argument" "$T" web now
expect 2 "web with a bad --listen" "$T" web --listen nowhere
expect 2 "web in webhook mode without a secret" env WEBHOOK_URL=https://x.example/tg BOT_TOKEN=123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw "$T" web
contains "webhook mode explains" "$ERR" "WEBHOOK_SECRET"
expect 2 "bot without a token" "$T" bot
contains "bot explains" "$ERR" "BOT_TOKEN is not set"

# wait_for_line FILE TEXT PID SECONDS: until FILE has TEXT, PID ended or the time is up
wait_for_line() {
    local deadline=$(($(date +%s) + $4))
    until grep -q "$2" "$1" 2>/dev/null || [ "$(date +%s)" -ge $deadline ] ||
        ! kill -0 "$3" 2>/dev/null; do
        sleep 0.1
    done
}

# run: the whole shop on a fresh database, with the sandbox, until SIGTERM
"$T" run --sandbox-listen 127.0.0.1:0 --listen 127.0.0.1:0 --workers 2 >run.out 2>run.err </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$WORK"' EXIT # never leave the shop running
wait_for_line run.out "The shop is running" $pid 60
contains "run starts the shop" "$(cat run.out)" "sandbox chat  http://"
contains "run seeds the demo" "$(cat run.out)" "Seeded the demo catalogue: 9 categories, 30 products"
contains "run creates the first admin" "$(cat run.out)" "username: admin"
url=$(sed -n 's|^  sandbox chat  \(http://127.0.0.1:[0-9]*\)/ .*|\1|p' run.out)
admin=$(sed -n 's|^  admin panel   \(http://127.0.0.1:[0-9]*\)/ .*|\1|p' run.out)
if [ -n "$admin" ] && curl -sf "$admin/login" | grep -q 'name="password"'; then
    ok "the admin panel answers at $admin"
else
    not_ok "the admin panel does not answer at '$admin'"
fi
# the printed first password signs in
password=$(sed -n 's/^  password: //p' run.out)
csrf=$(curl -sf -c jar -b jar "$admin/login" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p')
signin=$(curl -s -c jar -b jar -o signin.html -w '%{http_code}' --data-urlencode "csrf=$csrf" \
    --data-urlencode "username=admin" --data-urlencode "password=$password" "$admin/login")
dashboard=$(curl -s -c jar -b jar -o dashboard.html -w '%{http_code}' "$admin/")
if [ "$signin" = 303 ] && grep -q '<h1>Dashboard</h1>' dashboard.html; then
    ok "the printed admin password signs in"
else
    not_ok "cannot sign in as admin with '$password' (answers $signin, $dashboard)"
    grep -o 'form-error[^<]*\|<p>[^<]*' signin.html dashboard.html
    grep admin run.err
fi
if [ -n "$url" ] && curl -sf "$url/sandbox/api/stats" >/dev/null; then
    ok "the sandbox answers at $url"
else
    not_ok "the sandbox does not answer at '$url'"
fi
kill -TERM $pid
stop_started=$(date +%s)
status=0
wait $pid || status=$?
[ $status -eq 0 ] && ok "run stops cleanly on SIGTERM" || { not_ok "run exited $status"; cat run.err; }
stop_took=$(($(date +%s) - stop_started))
# the bot's long poll (25 s) must not hold the shutdown
[ $stop_took -le 5 ] && ok "run stopped in ${stop_took}s" || not_ok "run took ${stop_took}s to stop"

# web: the admin panel alone, on a database without accounts
env DATABASE_URL=sqlite:no-accounts.db "$T" web --listen 127.0.0.1:0 >web.out 2>web.err </dev/null &
web_pid=$!
trap 'kill $pid $web_pid 2>/dev/null || true; rm -rf "$WORK"' EXIT
wait_for_line web.out "Stop with Ctrl-C" $web_pid 30
contains "web says where it listens" "$(cat web.out)" "the admin panel is at http://127.0.0.1:"
contains "web tells how to make the first account" "$(cat web.out)" "tgshop user create"
kill -TERM $web_pid
status=0
wait $web_pid || status=$?
[ $status -eq 0 ] && ok "web stops cleanly on SIGTERM" || { not_ok "web exited $status"; cat web.err; }

finish
