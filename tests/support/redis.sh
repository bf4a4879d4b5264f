#!/usr/bin/env bash
# A throwaway Redis for the tests: loopback, a free port, a directory under /tmp,
# append-only file on (fsync always, or $REDIS_APPENDFSYNC) so a restart keeps every job. State (port, URL,
# directory) is kept in STATE_DIR/redis.env so every test and the final stop find it.
#
#   redis.sh start STATE_DIR     start; prints the URL
#   redis.sh stop STATE_DIR      stop and delete the directory
#   redis.sh restart STATE_DIR   stop and start the same server on the same port
set -euo pipefail

action=${1:?usage: redis.sh start|stop|restart STATE_DIR}
state_dir=${2:?usage: redis.sh start|stop|restart STATE_DIR}
env_file=$state_dir/redis.env

command -v redis-server >/dev/null || { echo "redis.sh: redis-server is not installed" >&2; exit 1; }

start_server() { # dir port
    redis-server --bind 127.0.0.1 --port "$2" --save "" --appendonly yes \
        --appendfsync "${REDIS_APPENDFSYNC:-always}" \
        --dir "$1" --daemonize yes --pidfile "$1/redis.pid" --logfile "$1/redis.log" >/dev/null
    for _ in $(seq 1 100); do
        redis-cli -p "$2" ping 2>/dev/null | grep -q PONG && return 0
        sleep 0.05
    done
    return 1
}

wait_port_closed() { # port
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null || return 0
        sleep 0.05
    done
}

case $action in
start)
    mkdir -p "$state_dir"
    if [ -f "$env_file" ]; then
        "$0" stop "$state_dir" || true
    fi
    dir=$(mktemp -d /tmp/tgshop-redis.XXXXXX)
    for _ in $(seq 1 20); do
        port=$((20000 + RANDOM % 30000))
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
        if start_server "$dir" "$port" 2>/dev/null; then
            url="redis://127.0.0.1:$port"
            printf 'REDIS_DIR=%s\nREDIS_PORT=%s\nREDIS_URL=%s\n' "$dir" "$port" "$url" >"$env_file"
            echo "$url"
            exit 0
        fi
    done
    echo "redis.sh: could not start Redis; log:" >&2
    cat "$dir/redis.log" >&2 || true
    rm -rf "$dir"
    exit 1
    ;;
stop)
    [ -f "$env_file" ] || exit 0
    . "$env_file"
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    wait_port_closed "$REDIS_PORT"
    rm -rf "$REDIS_DIR" "$env_file"
    ;;
restart)
    . "$env_file"
    # SHUTDOWN with AOF on: everything acknowledged is in the file (appendfsync always)
    redis-cli -p "$REDIS_PORT" shutdown >/dev/null 2>&1 || true
    wait_port_closed "$REDIS_PORT"
    start_server "$REDIS_DIR" "$REDIS_PORT"
    ;;
*)
    echo "redis.sh: unknown action $action" >&2
    exit 2
    ;;
esac
