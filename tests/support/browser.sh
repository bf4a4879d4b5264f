# shellcheck shell=bash
# What the browser tests need, installed when missing: Debian's chromium (and
# nodejs, npm, unzip for reading XLSX downloads), playwright-core under
# NODE_DIR (shared by the tests of one build directory; a lock keeps two tests
# from installing it at once). Source it after lib.sh, then call
# browser_setup NODE_DIR.

# browser_quiet LOG CMD...: quiet unless CMD fails (the log stays in $WORK)
browser_quiet() {
    local log=$1
    shift
    if ! "$@" >"$WORK/$log" 2>&1 </dev/null; then
        echo "failed: $*"
        cat "$WORK/$log"
        exit 1
    fi
}

browser_apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    browser_quiet apt-update.log flock /tmp/tgshop-browser-apt.lock apt-get update
    browser_quiet apt-install.log flock /tmp/tgshop-browser-apt.lock \
        apt-get install -y --no-install-recommends "$@"
}

BROWSER_NODE_DIR=
browser_setup() {
    local node_dir=$1
    BROWSER_NODE_DIR=$node_dir
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        browser_apt_install nodejs npm
    fi
    if [ ! -x /usr/bin/chromium ]; then
        browser_apt_install chromium
    fi
    if ! command -v unzip >/dev/null; then
        browser_apt_install unzip
    fi
    mkdir -p "$node_dir"
    if [ ! -f "$node_dir/node_modules/playwright-core/package.json" ]; then
        browser_quiet npm.log flock "$node_dir/.install.lock" sh -c \
            "[ -f '$node_dir/node_modules/playwright-core/package.json' ] ||
             npm install --prefix '$node_dir' --no-audit --no-fund --loglevel=error playwright-core@1"
    fi
    ok "chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version)"
}

# browser_start NAME SECONDS PATTERN CMD...: runs the server CMD in the background
# (stdout in $WORK/NAME.out, stderr in $WORK/NAME.err) and waits until its stdout
# has a line matching PATTERN; on failure prints both logs and returns 1.
# browser_cleanup (set it as the EXIT trap) stops it again.
BROWSER_SERVER_PID=
BROWSER_SERVER_NAME=
browser_start() {
    local name=$1 seconds=$2 pattern=$3
    shift 3
    # created here: the background job opens them only after the loop below may have started
    : >"$WORK/$name.out"
    : >"$WORK/$name.err"
    "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null &
    BROWSER_SERVER_PID=$!
    BROWSER_SERVER_NAME=$name
    local deadline=$((SECONDS + seconds))
    local why
    while ! grep -q "$pattern" "$WORK/$name.out"; do
        why=
        kill -0 "$BROWSER_SERVER_PID" 2>/dev/null || why="exited before printing '$pattern'"
        [ -n "$why" ] || [ "$SECONDS" -lt "$deadline" ] || why="did not print '$pattern' in $seconds s"
        if [ -n "$why" ]; then
            not_ok "$name $why"
            cat "$WORK/$name.out" "$WORK/$name.err"
            return 1
        fi
        sleep 0.05
    done
}

# The EXIT trap: SIGTERM to the server, whose exit status must be 0 (ASan reports
# leaks there); then the scratch directory goes.
browser_cleanup() {
    local status=0
    if [ -n "$BROWSER_SERVER_PID" ]; then
        kill -TERM "$BROWSER_SERVER_PID" 2>/dev/null || true
        wait "$BROWSER_SERVER_PID" || status=$?
        if [ "$status" -ne 0 ]; then
            echo "not ok - $BROWSER_SERVER_NAME exited with status $status:"
            tail -n 40 "$WORK/$BROWSER_SERVER_NAME.err"
        fi
    fi
    rm -rf "$WORK"
    [ "$status" -eq 0 ] || exit 1
}

# browser_node WHAT SHOTS_DIR PREFIX SCRIPT ARGS...: runs the node SCRIPT with
# playwright-core from browser_setup's NODE_DIR, after removing the old
# SHOTS_DIR/PREFIX*.png; ok or not_ok WHAT.
browser_node() {
    local what=$1 shots=$2 prefix=$3
    shift 3
    mkdir -p "$shots"
    rm -f "$shots/$prefix"*.png
    if NODE_PATH=$BROWSER_NODE_DIR/node_modules node "$@" </dev/null; then
        ok "$what (screenshots in $shots/$prefix*.png)"
    else
        not_ok "$what"
    fi
}
