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

browser_setup() {
    local node_dir=$1
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
