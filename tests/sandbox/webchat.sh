#!/bin/bash
# The sandbox's web chat in a real browser (webchat_test.js): starts
# `tgshop sandbox` on a free port, then Chromium driven by playwright-core
# with the echo bot of webchat_echo_bot.js. Installs what it needs when
# missing (tests/support/browser.sh).
# Usage: webchat.sh BUILD_DIR   (screenshots go to BUILD_DIR/screenshots)
source "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
source "$TGSHOP_SOURCE_DIR/tests/support/browser.sh"

BUILD_DIR=$1
TOKEN=424242:webchat-test
trap browser_cleanup EXIT

browser_setup "$BUILD_DIR/node"
browser_start sandbox 30 '^Web chat: http://' \
    "$TGSHOP_BIN" sandbox --listen 127.0.0.1:0 --token "$TOKEN" --chat-rate 0 || finish
url=$(sed -n 's|^Web chat: \(http://.*\)/$|\1|p' "$WORK/sandbox.out")
ok "tgshop sandbox prints the web chat URL $url/"

browser_node "the web chat works in Chromium" "$BUILD_DIR/screenshots" webchat- \
    "$(dirname "$0")/webchat_test.js" "$url" "$TOKEN" "$BUILD_DIR/screenshots" "$WORK/profile"
finish
