# docker-compose.yml: the topology checker (check_compose.py) accepts it and refuses
# copies broken in each way it looks for; Debian's docker-compose validates it with the
# keys of .env.example; .env.example and the README list every key tgshop reads.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
SRC=$TGSHOP_SOURCE_DIR
CHECK=$SRC/tests/deploy/check_compose.py

if ! python3 -c 'import yaml' 2>/dev/null; then
    echo "skip: python3 with PyYAML is needed (scripts/bootstrap test installs python3-yaml)"
    exit 77
fi

expect 0 "the checker accepts docker-compose.yml" python3 "$CHECK" "$SRC/docker-compose.yml"

# broken FIND REPLACE WANTED: a copy with FIND replaced must be refused, saying WANTED
broken() {
    local find=$1 replace=$2 wanted=$3
    FIND=$find REPLACE=$replace perl -0pe 's/\Q$ENV{FIND}\E/$ENV{REPLACE}/' \
        "$SRC/docker-compose.yml" >broken.yml
    if cmp -s broken.yml "$SRC/docker-compose.yml"; then
        not_ok "mutation '$find' does not change docker-compose.yml any more"
        return
    fi
    expect 1 "refused: $wanted" python3 "$CHECK" broken.yml
    contains "says: $wanted" "$OUT" "$wanted"
}
broken '"telegram_sending_queue"]' '"default"]' \
    "sender runs ['worker', '--queue', 'default'], wanted ['worker', '--queue', 'telegram_sending_queue']"
broken '"--appendonly", "yes"' '"--appendonly", "no"' "redis does not run with --appendonly yes"
broken 'condition: service_completed_successfully' 'condition: service_started' \
    "web must depend on migrate with condition service_completed_successfully"
broken '  restart: unless-stopped
  stop_grace_period' '  restart: always
  stop_grace_period' "web has restart: always, wanted unless-stopped"
broken '      - pgdata:/var/lib/postgresql/data' '      - /tmp/pg:/var/lib/postgresql/data' \
    "postgres does not keep /var/lib/postgresql/data on the volume pgdata"
broken '    healthcheck:
      test: ["CMD", "redis-cli", "ping"]' '    healthcheck:
      disable: true
      test: ["CMD", "redis-cli", "ping"]' "redis has no healthcheck"
broken '  nginx:' '  front:' "service nginx is missing"
broken '  sender:
    <<: *app' '  sender:
    <<: *app
    container_name: sender' "sender cannot be scaled"
broken 'command: ["migrate"]
    restart: "no"' 'command: ["migrate"]
    restart: unless-stopped' "migrate must not restart after it is done"
expect 1 "a file that is not YAML is refused" python3 "$CHECK" "$SRC/README.md"

# every key tgshop reads is in .env.example and the README's configuration table
keys=$(grep -oE '(lookup|lookup_alias|int_setting)\(src, "[A-Z_]+"(, "[A-Z_]+")?' \
    "$SRC/src/core/config.c" | grep -oE '"[A-Z_]+"' | tr -d '"' | sort -u)
[ -n "$keys" ] && ok "config.c's keys found ($(echo $keys | wc -w))" || not_ok "no keys in config.c"
missing_env= missing_readme=
for k in $keys; do
    grep -q "^$k=" "$SRC/.env.example" || missing_env="$missing_env $k"
    grep -q "\`$k\`" "$SRC/README.md" || missing_readme="$missing_readme $k"
done
[ -z "$missing_env" ] && ok ".env.example has every key" || not_ok ".env.example lacks:$missing_env"
[ -z "$missing_readme" ] && ok "README has every key" || not_ok "README lacks:$missing_readme"

# docker-compose's own validation, with .env made from .env.example
if ! command -v docker-compose >/dev/null; then
    echo "skip: docker-compose is not installed (scripts/bootstrap test installs it)"
    finish
    exit 77
fi
mkdir stack
cp "$SRC/docker-compose.yml" stack/
sed 's/^POSTGRES_PASSWORD=$/POSTGRES_PASSWORD=compose-test/' "$SRC/.env.example" >stack/.env
expect 0 "docker-compose config -q accepts it with .env.example's keys" \
    docker-compose --project-directory stack -f stack/docker-compose.yml config -q
sed 's/^POSTGRES_PASSWORD=.*$/POSTGRES_PASSWORD=/' stack/.env >stack/.env.new
mv stack/.env.new stack/.env
expect 1 "without POSTGRES_PASSWORD it refuses" \
    docker-compose --project-directory stack -f stack/docker-compose.yml config -q
contains "and says so" "$ERR" "set POSTGRES_PASSWORD in .env"
sed 's/condition: service_healthy/condition: when_ready/' "$SRC/docker-compose.yml" >stack/docker-compose.yml
echo POSTGRES_PASSWORD=x >>stack/.env
expect 1 "docker-compose refuses a wrong depends_on condition" \
    docker-compose --project-directory stack -f stack/docker-compose.yml config -q
finish
