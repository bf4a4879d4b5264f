#!/bin/bash
# The admin panel in a real browser (browser_test.js): starts `tgshop run` with
# its sandbox on free loopback ports in a throwaway directory, signs in with
# the first-admin password it prints, then drives headless Chromium through
# the catalogue, an order a sandbox customer places through the bot, the
# order's status, the CSV/XLSX export and a mailing. Installs what it needs
# when missing (tests/support/browser.sh).
# Usage: browser.sh BUILD_DIR   (screenshots go to BUILD_DIR/screenshots/admin-*.png)
source "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
source "$TGSHOP_SOURCE_DIR/tests/support/browser.sh"

BUILD_DIR=$1
NODE_DIR=$BUILD_DIR/node
SHOTS_DIR=$BUILD_DIR/screenshots
RUN_PID=

stop_all() {
    if [ -n "$RUN_PID" ]; then
        kill -TERM "$RUN_PID" 2>/dev/null || true
        local status=0
        wait "$RUN_PID" || status=$?
        if [ "$status" -ne 0 ]; then
            echo "not ok - tgshop run exited with status $status:"
            tail -n 40 "$WORK/run.err"
            exit 1
        fi
    fi
    rm -rf "$WORK"
}
trap stop_all EXIT

browser_setup "$NODE_DIR"

# created here: the background job opens them only after the loop below may have started
: >"$WORK/run.out"
: >"$WORK/run.err"
DATABASE_URL=sqlite:shop.db "$TGSHOP_BIN" run --listen 127.0.0.1:0 --sandbox-listen 127.0.0.1:0 \
    --workers 2 >"$WORK/run.out" 2>"$WORK/run.err" </dev/null &
RUN_PID=$!
deadline=$((SECONDS + 120))
while ! grep -q '^The shop is running' "$WORK/run.out" && [ "$SECONDS" -lt "$deadline" ] &&
    kill -0 "$RUN_PID" 2>/dev/null; do
    sleep 0.1
done
panel=$(sed -n 's|^  admin panel  *\(http://[0-9.:]*\)/ .*|\1|p' "$WORK/run.out")
sandbox=$(sed -n 's|^  sandbox chat  *\(http://[0-9.:]*\)/ .*|\1|p' "$WORK/run.out")
password=$(sed -n 's|^  password: \(.*\)$|\1|p' "$WORK/run.out")
if [ -z "$panel" ] || [ -z "$sandbox" ] || [ -z "$password" ]; then
    not_ok "tgshop run did not print the panel, the sandbox and the first password"
    cat "$WORK/run.out" "$WORK/run.err"
    finish
fi
ok "tgshop run serves the panel at $panel/ and the sandbox at $sandbox/"

mkdir -p "$SHOTS_DIR"
rm -f "$SHOTS_DIR"/admin-*.png
if NODE_PATH=$NODE_DIR/node_modules node "$(dirname "$0")/browser_test.js" "$panel" "$sandbox" \
    "$password" "$SHOTS_DIR" "$WORK" </dev/null; then
    ok "the admin panel works in Chromium (screenshots in $SHOTS_DIR)"
else
    not_ok "the admin panel browser test"
fi
finish
