# tgshop seed-demo on the database named by $1 (sqlite or postgres): seeds the demo
# catalogue once; running it again changes nothing.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
if [ "${1:-sqlite}" = postgres ]; then
    export DATABASE_URL=$(pg_new_database "seed_demo_$$")
    sql() { psql -qtA "${DATABASE_URL}" -c "$1"; }
else
    export DATABASE_URL=sqlite:demo.db
    sql() { sqlite3 demo.db "$1"; }
fi
export MEDIA_DIR=$WORK/media

# the catalogue as one text: every category, product and FAQ entry with what a customer sees
catalogue() {
    sql "SELECT 'c', c.name, COALESCE(p.name, '-'), c.position FROM category c
           LEFT JOIN category p ON p.id = c.parent_id ORDER BY c.name" &&
        sql "SELECT 'p', p.name, c.name, p.price, p.stock, p.photo_path FROM product p
               JOIN category c ON c.id = p.category_id ORDER BY p.name" &&
        sql "SELECT 'f', question, answer FROM faq ORDER BY question"
}

expect 0 "seed-demo --help" "$T" seed-demo --help
contains "--help explains" "$OUT" "usage: tgshop seed-demo"
expect 2 "seed-demo with an argument" "$T" seed-demo now
expect 2 "seed-demo with an unknown flag" "$T" seed-demo --force
expect 2 "seed-demo with a bad currency" env CURRENCY=euro "$T" seed-demo

expect 0 "seed-demo on a new database" "$T" seed-demo
contains "seeded" "$OUT" "Seeded the demo catalogue: 9 categories, 30 products"
first=$(catalogue)
[ "$(sql 'SELECT count(*) FROM product')" = 30 ] && ok "30 products" || not_ok "products: $(sql 'SELECT count(*) FROM product')"
[ "$(sql 'SELECT count(*) FROM faq')" -gt 0 ] && ok "FAQ entries" || not_ok "no FAQ entries"
pictures=$(find "$MEDIA_DIR/demo" -name '*.jpg' | wc -l)
[ "$pictures" = 30 ] && ok "30 pictures in MEDIA_DIR/demo" || not_ok "$pictures pictures"

expect 0 "seed-demo again" "$T" seed-demo
contains "again: nothing seeded" "$OUT" "The catalogue is not empty: nothing seeded."
[ "$(catalogue)" = "$first" ] && ok "the same catalogue, no duplicates" ||
    not_ok "the catalogue changed: $(diff <(echo "$first") <(catalogue) | head -5)"

expect 1 "seed-demo into an unreachable database" \
    env DATABASE_URL=postgres://shop:secret@127.0.0.1:1/shop "$T" seed-demo
contains "explained" "$ERR" "cannot open the database"
finish
