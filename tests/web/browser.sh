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
trap browser_cleanup EXIT

browser_setup "$BUILD_DIR/node"
# generous: migrations and the demo's pictures under ASan on a loaded machine
browser_start run 120 '^The shop is running' env DATABASE_URL=sqlite:shop.db \
    "$TGSHOP_BIN" run --listen 127.0.0.1:0 --sandbox-listen 127.0.0.1:0 --workers 2 || finish
panel=$(sed -n 's|^  admin panel  *\(http://[0-9.:]*\)/ .*|\1|p' "$WORK/run.out")
sandbox=$(sed -n 's|^  sandbox chat  *\(http://[0-9.:]*\)/ .*|\1|p' "$WORK/run.out")
password=$(sed -n 's|^  password: \(.*\)$|\1|p' "$WORK/run.out")
if [ -z "$panel" ] || [ -z "$sandbox" ] || [ -z "$password" ]; then
    not_ok "tgshop run did not print the panel, the sandbox and the first password"
    cat "$WORK/run.out"
    finish
fi
ok "tgshop run serves the panel at $panel/ and the sandbox at $sandbox/"

browser_node "the admin panel works in Chromium" "$BUILD_DIR/screenshots" admin- \
    "$(dirname "$0")/browser_test.js" "$panel" "$sandbox" "$password" "$BUILD_DIR/screenshots" "$WORK"
finish
