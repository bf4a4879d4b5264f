# The Dockerfile: dockerfilelint (npm, installed under BUILD_DIR/node when missing) finds
# nothing, and the build follows README "Production": debian:bookworm-slim stages, the
# -dev packages of scripts/bootstrap only in the build stage, a non-root runtime with a
# health check on /healthz, and every COPY source present and not excluded by
# .dockerignore. Usage: dockerfile.sh BUILD_DIR
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
SRC=$TGSHOP_SOURCE_DIR
NODE_DIR=$1/node
DF=$SRC/Dockerfile

# stage NAME: the lines of the Dockerfile's stage NAME
stage() { awk -v s="$1" '/^FROM /{on = ($NF == s)} on' "$DF"; }

for s in build nginx app; do
    [ "$(stage "$s" | head -1)" = "FROM debian:bookworm-slim AS $s" ] &&
        ok "stage $s is on debian:bookworm-slim" || not_ok "stage $s: $(stage "$s" | head -1)"
done
[ "$(grep '^FROM ' "$DF" | tail -1 | awk '{print $NF}')" = app ] &&
    ok "the application is the default (last) stage" || not_ok "the last stage is not app"

# the build stage installs every -dev package of scripts/bootstrap, the others none
dev_pkgs=$(sed -n '/^build_pkgs=(/,/)/p' "$SRC/scripts/bootstrap" | grep -oE '[a-z0-9.+-]+-dev')
build=$(stage build)
missing=
for p in $dev_pkgs; do
    grep -qw -- "$p" <<<"$build" || missing="$missing $p"
done
[ -z "$missing" ] && ok "the build stage has bootstrap's -dev packages" ||
    not_ok "the build stage lacks:$missing"
dev_at_runtime=$( (stage app; stage nginx) | grep -oE '[a-z0-9.+-]+-dev\b' || true)
[ -z "$dev_at_runtime" ] && ok "no -dev package at run time" || not_ok "run time has $dev_at_runtime"

app=$(stage app)
user=$(grep '^USER ' <<<"$app" | tail -1 | awk '{print $2}')
case ${user%%:*} in
"" | 0 | root) not_ok "the runtime runs as root ('$user')" ;;
*) ok "the runtime runs as user $user" ;;
esac
contains "the runtime has a health check on /healthz" "$(grep -A1 '^HEALTHCHECK' <<<"$app")" /healthz
contains "the runtime runs the one binary" "$app" 'ENTRYPOINT ["tgshop"]'

# COPY sources: in the repository, and sent to the daemon (.dockerignore allows them)
while read -r src; do
    if [ ! -e "$SRC/$src" ]; then
        not_ok "COPY $src: no such file in the repository"
    elif ! grep -qxF "!${src%/}" "$SRC/.dockerignore" &&
        ! grep -qxF "!${src%%/*}/" "$SRC/.dockerignore" &&
        ! grep -qxF "!${src%/}/" "$SRC/.dockerignore"; then
        not_ok "COPY $src is excluded by .dockerignore"
    else
        ok "COPY $src is in the build context"
    fi
done < <(grep -E '^COPY ' "$DF" | grep -v -- '--from=' | awk '{print $2}')

# the linter
lint=$NODE_DIR/node_modules/.bin/dockerfilelint
if [ ! -x "$lint" ] && command -v npm >/dev/null; then
    npm install --prefix "$NODE_DIR" --no-audit --no-fund --loglevel=error dockerfilelint@1 \
        >npm.log 2>&1 || cat npm.log
fi
if [ ! -x "$lint" ]; then
    echo "skip: dockerfilelint could not be installed from npm (see above)"
    finish
    exit 77
fi
expect 0 "dockerfilelint finds nothing" "$lint" "$DF"
# its exit status is the number of issues
printf 'FROM debian:bookworm-slim\nRUN apt-get update\nEXPOSE eighty\n' >bad.Dockerfile
expect 3 "dockerfilelint finds the three issues of a bad Dockerfile" "$lint" bad.Dockerfile
contains "such as the port" "$OUT" "Invalid Port Exposed"
finish
