# Shared helpers for the shell tests. Source it; it sets -euo pipefail and a
# scratch directory $WORK removed on exit.
set -euo pipefail

: "${TGSHOP_BIN:?TGSHOP_BIN must point to the tgshop binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tgshop-sh.XXXXXX")
# background processes: add their pids to $pids; those still running are killed on exit
pids=""
trap 'for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
cd "$WORK"
# a clean configuration: nothing from the developer's environment leaks in
unset DATABASE_URL POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD POSTGRES_HOST POSTGRES_PORT \
    BOT_TOKEN REDIS_URL TGSHOP_ENV_FILE LOG_LEVEL LOG_FORMAT 2>/dev/null || true

passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $*"; }
not_ok() { failed=$((failed + 1)); echo "not ok - $*"; }

# expect STATUS "description" CMD...: runs CMD, keeps stdout/stderr in $OUT/$ERR
expect() {
    local want=$1 what=$2
    shift 2
    local got=0
    "$@" >"$WORK/out" 2>"$WORK/err" </dev/null || got=$?
    OUT=$(cat "$WORK/out")
    ERR=$(cat "$WORK/err")
    if [ "$got" = "$want" ]; then
        ok "$what (exit $got)"
    else
        not_ok "$what: exit $got, wanted $want"
        echo "  stdout: $OUT"
        echo "  stderr: $ERR"
    fi
}

# contains "description" HAYSTACK NEEDLE
contains() {
    case $2 in
    *"$3"*) ok "$1" ;;
    *)
        not_ok "$1: no '$3' in:"
        printf '%s\n' "$2" | sed 's/^/  /'
        ;;
    esac
}

lacks() {
    case $2 in
    *"$3"*)
        not_ok "$1: '$3' should not be in:"
        printf '%s\n' "$2" | sed 's/^/  /'
        ;;
    *) ok "$1" ;;
    esac
}

# a one-line count for the log, then the exit status
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

# the URL of the shared test PostgreSQL
pg_admin_url() {
    sed -n 's/^PG_URL=//p' "$TGSHOP_TEST_STATE/pg.env"
}

# a new empty PostgreSQL database; prints its URL
pg_new_database() {
    local name=$1 admin
    admin=$(pg_admin_url)
    psql -q "$admin" -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    echo "${admin%/*}/$name"
}

# wait_for SECONDS CMD...: polls CMD until it succeeds or the deadline passes
wait_for() {
    local deadline=$(($(date +%s) + $1))
    shift
    until "$@"; do
        [ "$(date +%s)" -ge $deadline ] && return 1
        sleep 0.1
    done
}

# stop PID NAME: SIGTERM, then the exit status must be 0 within 15 s
stop() {
    kill -TERM "$1"
    local status=0
    wait_for 15 sh -c "! kill -0 $1 2>/dev/null" || not_ok "$2 did not stop in 15 s"
    wait "$1" || status=$?
    [ $status -eq 0 ] && ok "$2 stops cleanly (exit 0)" || not_ok "$2 exited $status"
}
