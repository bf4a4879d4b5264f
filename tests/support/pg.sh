#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the tests: loopback, a free port, a data
# directory under /tmp, fsync off. State (port, URL, data dir) is kept in
# STATE_DIR/pg.env so every test and the final stop find it.
#
#   pg.sh start STATE_DIR     initdb + start; prints the URL
#   pg.sh stop STATE_DIR      stop and delete the data directory
#   pg.sh restart STATE_DIR   stop and start the same cluster on the same port
set -euo pipefail

action=${1:?usage: pg.sh start|stop|restart STATE_DIR}
state_dir=${2:?usage: pg.sh start|stop|restart STATE_DIR}
env_file=$state_dir/pg.env

bin=/usr/lib/postgresql/15/bin
[ -x "$bin/initdb" ] || { echo "pg.sh: PostgreSQL 15 is not installed ($bin/initdb)" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

start_server() { # data_dir port
    as_owner "$bin/pg_ctl" -D "$1" -l "$1/server.log" -w -t 30 \
        -o "-c listen_addresses=127.0.0.1 -c port=$2 -c unix_socket_directories='$1' -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
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
    data_dir=$(mktemp -d /tmp/tgshop-pg.XXXXXX)
    chmod 755 "$data_dir"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$data_dir"
    as_owner "$bin/initdb" -D "$data_dir/data" -U postgres -A trust --no-locale -E UTF8 >/dev/null
    for _ in $(seq 1 20); do
        port=$((20000 + RANDOM % 30000))
        if start_server "$data_dir/data" "$port" 2>/dev/null; then
            url="postgres://postgres@127.0.0.1:$port/postgres"
            printf 'PG_DATA=%s\nPG_PORT=%s\nPG_URL=%s\n' "$data_dir" "$port" "$url" >"$env_file"
            echo "$url"
            exit 0
        fi
    done
    echo "pg.sh: could not start PostgreSQL; log:" >&2
    cat "$data_dir/data/server.log" >&2 || true
    rm -rf "$data_dir"
    exit 1
    ;;
stop)
    [ -f "$env_file" ] || exit 0
    . "$env_file"
    as_owner "$bin/pg_ctl" -D "$PG_DATA/data" -m immediate -w stop >/dev/null 2>&1 || true
    wait_port_closed "$PG_PORT"
    rm -rf "$PG_DATA" "$env_file"
    ;;
restart)
    . "$env_file"
    as_owner "$bin/pg_ctl" -D "$PG_DATA/data" -m fast -w stop >/dev/null
    wait_port_closed "$PG_PORT"
    start_server "$PG_DATA/data" "$PG_PORT"
    ;;
*)
    echo "pg.sh: unknown action $action" >&2
    exit 2
    ;;
esac
