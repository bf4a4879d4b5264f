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

source "$TGSHOP_SOURCE_DIR/tests/support/browser.sh"
browser_setup "$NODE_DIR"

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
