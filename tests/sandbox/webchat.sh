#!/bin/bash
# The sandbox's web chat in a real browser (webchat_test.js): starts
# `tgshop sandbox` on a free port, then Chromium driven by playwright-core
# with the echo bot of webchat_echo_bot.js. Installs what it needs when
# missing: Debian's chromium (and nodejs), playwright-core under BUILD_DIR/node.
# Usage: webchat.sh BUILD_DIR   (screenshots go to BUILD_DIR/screenshots)
source "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"

BUILD_DIR=$1
NODE_DIR=$BUILD_DIR/node
SHOTS_DIR=$BUILD_DIR/screenshots
TOKEN=424242:webchat-test
SANDBOX_PID=

stop_all() {
    if [ -n "$SANDBOX_PID" ]; then
        kill -TERM "$SANDBOX_PID" 2>/dev/null || true
        local status=0
        wait "$SANDBOX_PID" || status=$?
        if [ "$status" -ne 0 ]; then
            echo "the sandbox exited with status $status:"
            cat "$WORK/sandbox.err"
        fi
    fi
    rm -rf "$WORK"
}
trap stop_all EXIT

# run LOG CMD...: quiet unless CMD fails
run() {
    local log=$1
    shift
    if ! "$@" >"$WORK/$log" 2>&1 </dev/null; then
        echo "failed: $*"
        cat "$WORK/$log"
        exit 1
    fi
}

apt_install() {
    export DEBIAN_FRONTEND=noninteractive
    run apt-update.log apt-get update
    run apt-install.log apt-get install -y --no-install-recommends "$@"
}

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    apt_install nodejs npm
fi
if [ ! -x /usr/bin/chromium ]; then
    apt_install chromium
fi
if [ ! -f "$NODE_DIR/node_modules/playwright-core/package.json" ]; then
    run npm.log npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error \
        playwright-core@1
fi
ok "chromium $(/usr/bin/chromium --version 2>/dev/null | awk '{print $2}'), node $(node --version)"

# created here: the background job opens them only after the loop below may have started
: >"$WORK/sandbox.out"
: >"$WORK/sandbox.err"
"$TGSHOP_BIN" sandbox --listen 127.0.0.1:0 --token "$TOKEN" --chat-rate 0 \
    >"$WORK/sandbox.out" 2>"$WORK/sandbox.err" </dev/null &
SANDBOX_PID=$!
url=
deadline=$((SECONDS + 10))
while [ -z "$url" ] && [ "$SECONDS" -lt "$deadline" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; do
    url=$(sed -n 's|^Web chat: \(http://.*\)/$|\1|p' "$WORK/sandbox.out")
    [ -n "$url" ] || sleep 0.05
done
if [ -z "$url" ]; then
    not_ok "tgshop sandbox did not print its web chat URL"
    cat "$WORK/sandbox.out" "$WORK/sandbox.err"
    finish
fi
ok "tgshop sandbox prints the web chat URL $url/"

mkdir -p "$SHOTS_DIR"
rm -f "$SHOTS_DIR"/webchat-*.png
if NODE_PATH=$NODE_DIR/node_modules node "$(dirname "$0")/webchat_test.js" "$url" "$TOKEN" \
    "$SHOTS_DIR" "$WORK/profile" </dev/null; then
    ok "the web chat works in Chromium (screenshots in $SHOTS_DIR)"
else
    not_ok "the web chat browser test"
fi
finish
