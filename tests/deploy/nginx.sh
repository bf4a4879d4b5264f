# deploy/nginx.conf (and the HTTPS snippet nginx-tls.conf) pass `nginx -t` and behave as
# documented when run: static files and images served from disk with caching headers,
# nothing but images from the media volume, the panel and the webhook proxied to the
# upstream (here `tgshop sandbox`, a real HTTP server), gzip, the body size limit,
# /metrics refused, HTTPS with the redirect from plain HTTP.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
. "$TGSHOP_SOURCE_DIR/tests/support/nginx.sh"

if ! command -v nginx >/dev/null || ! command -v openssl >/dev/null; then
    echo "skip: nginx or openssl is not installed (scripts/bootstrap test installs them)"
    exit 77
fi

trap 'nginx_stop "$WORK/ngx"; nginx_stop "$WORK/plain"; for p in $pids; do kill $p 2>/dev/null || true; done; rm -rf "$WORK"' EXIT

mkdir -p static media/demo
# a stylesheet big enough for gzip (gzip_min_length 1024)
for i in $(seq 1 200); do echo ".c$i { color: #123456; }"; done >static/admin.css
printf '\x89PNG\r\n\x1a\n' >media/demo/tea.png
echo '<script>alert(1)</script>' >media/evil.html
chmod -R a+rX "$WORK"

# configuration test, without and with the TLS snippet
nginx_test_conf "$WORK/plain" "$(free_port)" 127.0.0.1:9 "$WORK/static" "$WORK/media"
expect 0 "nginx -t accepts deploy/nginx.conf" nginx -t -p "$WORK/plain" -c "$WORK/plain/nginx.conf"
HTTP=$(free_port)
TLS=$(free_port)
SANDBOX=$(free_port)
nginx_test_conf "$WORK/ngx" "$HTTP" "127.0.0.1:$SANDBOX" "$WORK/static" "$WORK/media" "$TLS"
expect 0 "nginx -t accepts it with deploy/nginx-tls.conf and certificates" \
    nginx -t -p "$WORK/ngx" -c "$WORK/ngx/nginx.conf"

# the upstream: any HTTP server does; the sandbox answers POSTs to its Bot API path
"$TGSHOP_BIN" sandbox --listen "127.0.0.1:$SANDBOX" --token 42:nginx-test >sandbox.out 2>&1 </dev/null &
pids="$pids $!"
wait_for 10 grep -q "Bot API at" sandbox.out || not_ok "the sandbox did not start"
expect 0 "nginx starts" nginx_start "$WORK/ngx"

H="http://127.0.0.1:$HTTP"
S="https://127.0.0.1:$TLS"
# headers CURL_ARGS...: the response's status code and headers, lower case (HTTP/2 is)
headers() { curl -sk -o /dev/null -D - -w 'status %{http_code}\n' "$@" | tr -d '\r' | tr A-Z a-z; }

h=$(headers "$S/static/admin.css")
contains "static: served" "$h" "status 200"
contains "static: cached for an hour" "$h" "cache-control: max-age=3600"
contains "static: public" "$h" "cache-control: public"
contains "static: css type" "$h" "content-type: text/css"
h=$(headers -H 'Accept-Encoding: gzip' "$S/static/admin.css")
contains "static: gzip" "$h" "content-encoding: gzip"
h=$(headers "$S/media/demo/tea.png")
contains "media: an image is served" "$h" "status 200"
contains "media: cached for a day" "$h" "cache-control: max-age=86400"
contains "media: nosniff" "$h" "x-content-type-options: nosniff"
contains "media: image type" "$h" "content-type: image/png"
contains "media: anything else is not served" "$(headers "$S/media/evil.html")" "status 404"
contains "metrics are not public" "$(headers "$S/metrics")" "status 404"
contains "nor the health check" "$(headers "$S/healthz")" "status 404"

# proxied: the sandbox's Bot API through nginx, with the request's Host kept
body=$(curl -sk "$S/bot42:nginx-test/getMe")
contains "the panel's paths reach the upstream" "$body" '"ok":true'
body=$(curl -sk -X POST -H 'Content-Type: application/json' -d '{}' "$S/tg/webhook")
contains "the webhook path reaches the upstream" "$body" 'ok'
h=$(headers -X POST -H 'Content-Type: application/octet-stream' --data-binary @<(head -c 12000000 /dev/zero) "$S/upload")
contains "a body over 11 MiB is refused by nginx" "$h" "status 413"
h=$(headers -X POST -H 'Content-Type: application/json' --data-binary @<(head -c 1100000 /dev/zero) "$S/tg/webhook")
contains "a webhook body over 1 MiB is refused" "$h" "status 413"

h=$(headers "$H/static/admin.css")
contains "plain HTTP redirects to HTTPS once TLS is on" "$h" "status 301"
contains "to the same path" "$h" "location: https://127.0.0.1/static/admin.css"
contains "nginx's own health check stays on plain HTTP" "$(curl -s "$H/nginx-health")" "ok"
contains "HSTS on HTTPS pages" "$(headers "$S/bot42:nginx-test/getMe")" "strict-transport-security"
finish
