# deploy/nginx.conf as a test server: source it, then
#
#   nginx_test_conf DIR HTTP_PORT WEB_ADDR STATIC_DIR MEDIA_DIR [TLS_PORT]
#
# writes DIR/nginx.conf: the production file with its listen port, upstream, static and
# media paths replaced, and pid, logs and the five *_temp_path directories under DIR
# (DESIGN §10). With TLS_PORT, DIR/tls/ holds deploy/nginx-tls.conf (on that port) and a
# fresh self-signed certificate, as README "Production" describes for HTTPS. Every
# replaced text must be in the file, so a change of nginx.conf cannot slip past the test.
#
#   nginx_start DIR     starts it (daemon, pid in DIR/nginx.pid); nginx_stop DIR

# nginx_subst FILE OLD NEW: replaces every OLD (a fixed string) with NEW
nginx_subst() {
    local file=$1 old=$2 new=$3
    if ! grep -qF -- "$old" "$file"; then
        echo "nginx_test_conf: '$old' is not in $file any more" >&2
        return 1
    fi
    OLD=$old NEW=$new perl -0pi -e 's/\Q$ENV{OLD}\E/$ENV{NEW}/g' "$file"
}

nginx_test_conf() {
    local dir=$1 port=$2 web=$3 static=$4 media=$5 tls_port=${6:-}
    local src=$TGSHOP_SOURCE_DIR/deploy conf=$dir/nginx.conf
    mkdir -p "$dir/tmp" "$dir/tls"
    cp "$src/nginx.conf" "$conf"
    nginx_subst "$conf" "worker_processes auto;" "worker_processes 1;" &&
        nginx_subst "$conf" "pid /run/nginx.pid;" "pid $dir/nginx.pid;" &&
        nginx_subst "$conf" "error_log /dev/stderr warn;" "error_log $dir/error.log warn;" &&
        nginx_subst "$conf" "access_log /dev/stdout;" "access_log $dir/access.log;" &&
        nginx_subst "$conf" "/var/lib/nginx/" "$dir/tmp/" &&
        nginx_subst "$conf" "listen 80 default_server;" "listen 127.0.0.1:$port default_server;" &&
        nginx_subst "$conf" "server web:8000;" "server $web;" &&
        nginx_subst "$conf" "alias /srv/tgshop/static/;" "alias $static/;" &&
        nginx_subst "$conf" "alias /var/lib/tgshop/media/;" "alias $media/;" &&
        nginx_subst "$conf" "/etc/nginx/tgshop-tls/" "$dir/tls/" || return 1
    if [ -n "$tls_port" ]; then
        cp "$src/nginx-tls.conf" "$dir/tls/nginx-tls.conf"
        nginx_subst "$dir/tls/nginx-tls.conf" "listen 443 ssl" "listen 127.0.0.1:$tls_port ssl" &&
            nginx_subst "$dir/tls/nginx-tls.conf" "/etc/nginx/tgshop-tls/" "$dir/tls/" || return 1
        openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost \
            -keyout "$dir/tls/privkey.pem" -out "$dir/tls/fullchain.pem" 2>/dev/null
    fi
}

nginx_start() {
    nginx -p "$1" -c "$1/nginx.conf"
}

nginx_stop() {
    [ -f "$1/nginx.pid" ] || return 0
    nginx -p "$1" -c "$1/nginx.conf" -s stop 2>/dev/null || true
}
