# Two `tgshop migrate` processes on one empty database at the same moment:
# both succeed and every migration is applied exactly once. $1: sqlite or postgres.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
backend=${1:-sqlite}

count_sql="SELECT count(*), count(DISTINCT version) FROM schema_migrations"
for round in 1 2 3 4 5; do
    if [ "$backend" = postgres ]; then
        url=$(pg_new_database "race_${$}_$round")
        query() { psql -tA -F' ' "$url" -c "$1"; }
    else
        url=sqlite:race$round.db
        query() { sqlite3 -separator ' ' "race$round.db" "$1"; }
    fi
    DATABASE_URL=$url "$T" migrate >a.out 2>a.err &
    a=$!
    DATABASE_URL=$url "$T" migrate >b.out 2>b.err &
    b=$!
    sa=0; sb=0
    wait $a || sa=$?
    wait $b || sb=$?
    if [ $sa -eq 0 ] && [ $sb -eq 0 ]; then
        ok "round $round: both processes succeeded"
    else
        not_ok "round $round: exit $sa and $sb"
        cat a.err b.err
    fi
    expected=$(ls "$TGSHOP_SOURCE_DIR"/src/db/migrations/*.sql | wc -l)
    got=$(query "$count_sql")
    [ "$got" = "$expected $expected" ] && ok "round $round: each migration recorded once ($got)" \
        || not_ok "round $round: schema_migrations has '$got', wanted '$expected $expected'"
    # each migration runs under the lock on its own, so the two may share the work: what
    # they say they applied adds up to every migration exactly once
    applied=$(cat a.out b.out | sed -n 's/^applied \([0-9]*\) migration.*/\1/p' |
        awk '{ n += $1 } END { print n + 0 }')
    [ "$applied" = "$expected" ] && ok "round $round: the migrations were applied once in all" \
        || not_ok "round $round: the processes say they applied $applied of $expected"
    tables=$(query "SELECT count(*) FROM customer")
    [ "$tables" = 0 ] && ok "round $round: schema usable" || not_ok "round $round: $tables"
done
finish
