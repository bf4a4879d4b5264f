# tgshop export orders, on the database named by $1 (sqlite or postgres): flags, filters,
# files, terminals and failures.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
if [ "${1:-sqlite}" = postgres ]; then
    export DATABASE_URL=$(pg_new_database "export_$$")
    sql() { psql -qtA "$DATABASE_URL" -c "$1"; }
else
    export DATABASE_URL=sqlite:shop.db
    sql() { sqlite3 shop.db "$1"; }
fi
expect 0 "migrate" "$T" migrate

# three orders: paid on 2025-12-01, new on 2025-12-02, cancelled on 2025-12-03 (UTC)
sql "INSERT INTO customer (tg_id, username, first_name) VALUES (42, 'olga', 'Ольга')"
sql "INSERT INTO orders (customer_id, status, contact_name, phone, total, currency,
         telegram_payment_charge_id, created_at, updated_at, paid_at) VALUES
     (1, 'paid', 'Ольга', '+79990000001', 129000, 'RUB', 'ch-1', 1764547200, 1764547200, 1764547300),
     (1, 'new', '=2+3', '', 450, 'XTR', NULL, 1764633600, 1764633600, NULL),
     (1, 'cancelled', 'Olga', '', 100, 'RUB', NULL, 1764720000 + 86399, 1764806399, NULL)"
sql "INSERT INTO order_item (order_id, name, price, quantity) VALUES (1, 'Чай', 43000, 3)"

header='Order,Created (UTC),Status,Total,Currency,Items,Units'

# usage errors: exit 2 and one clear line
expect 2 "no format" "$T" export orders
contains "no format explained" "$ERR" "--format csv or --format xlsx is needed"
expect 2 "bad format" "$T" export orders --format xls
contains "bad format explained" "$ERR" '--format must be csv or xlsx, got "xls"'
expect 2 "bad status" "$T" export orders --format csv --status sent
contains "bad status explained" "$ERR" 'one of new, awaiting_payment, paid'
expect 2 "impossible date" "$T" export orders --format csv --from 2025-02-30
contains "bad date explained" "$ERR" '--from must be a date YYYY-MM-DD (UTC), got "2025-02-30"'
expect 2 "bad date form" "$T" export orders --format csv --to 1.12.2025
contains "bad --to explained" "$ERR" '--to must be a date'
expect 2 "from after to" "$T" export orders --format csv --from 2025-12-03 --to 2025-12-01
contains "range explained" "$ERR" "--from 2025-12-03 is after --to 2025-12-01"
expect 2 "nothing to export" "$T" export --format csv
contains "what explained" "$ERR" "what to export?"
expect 2 "customers are not exported" "$T" export customers --format csv
expect 2 "unknown flag" "$T" export orders --format csv --colour
expect 2 "bom with xlsx" "$T" export orders --format xlsx --bom -o x.xlsx
contains "bom explained" "$ERR" "--bom is for CSV only"
[ ! -e x.xlsx ] && ok "no file after a usage error" || not_ok "x.xlsx was created"
expect 0 "help" "$T" export --help
contains "help shows the filters" "$OUT" "--status S"

# CSV to standard output, quiet when stderr is not a terminal
expect 0 "csv to stdout" "$T" export orders --format csv
contains "header" "$OUT" "$header"
contains "the paid order" "$OUT" '1,2025-12-01 00:00:00,paid,1290.00,RUB,Чай × 3 @ 430.00,3,Ольга,'
contains "stars without decimals" "$OUT" '2,2025-12-02 00:00:00,new,450,XTR'
contains "formula neutralised" "$OUT" "\"'=2+3\""
[ -z "$ERR" ] && ok "nothing on stderr" || not_ok "stderr: $ERR"
[ "$(printf '%s\n' "$OUT" | wc -l)" = 4 ] && ok "four lines" || not_ok "lines: $OUT"

# filters: a status, and a date range including both days
expect 0 "paid only" "$T" export orders --format csv --status paid
[ "$(printf '%s\n' "$OUT" | wc -l)" = 2 ] && ok "one paid order" || not_ok "paid: $OUT"
expect 0 "two days" "$T" export orders --format csv --from 2025-12-02 --to 2025-12-03
contains "the new order" "$OUT" "2,2025-12-02"
contains "the order of 23:59:59" "$OUT" "3,2025-12-03 23:59:59"
lacks "not the first day" "$OUT" "2025-12-01 00:00:00,paid"
expect 0 "search" "$T" export orders --format csv --search olga
[ "$(printf '%s\n' "$OUT" | wc -l)" = 4 ] && ok "the username matches all three" \
    || not_ok "search: $OUT"
expect 0 "nothing matches" "$T" export orders --format csv --status refunded
[ "$OUT" = "$header,Contact name,Phone,Address,Comment,Telegram id,Username,Customer,Paid (UTC),Telegram charge id,Provider charge id,Updated (UTC)"$'\r' ] \
    && ok "only the header" || not_ok "empty export: $OUT"

# the BOM
"$T" export orders --format csv --bom -o bom.csv
[ "$(head -c 3 bom.csv | od -An -tx1 | tr -d ' ')" = efbbbf ] && ok "BOM first" || not_ok "no BOM"
"$T" export orders --format csv -o plain.csv
[ "$(head -c 5 plain.csv)" = Order ] && ok "no BOM unless asked" || not_ok "plain starts wrong"
[ "$(tail -c +4 bom.csv | md5sum)" = "$(md5sum <plain.csv)" ] && ok "same rows with BOM" \
    || not_ok "BOM file differs"

# XLSX to a file, and to a pipe
expect 0 "xlsx to a file" "$T" export orders --format xlsx -o orders.xlsx
contains "a workbook" "$(unzip -l orders.xlsx)" "xl/worksheets/sheet1.xml"
contains "sheet has the rows" "$(unzip -p orders.xlsx xl/worksheets/sheet1.xml)" 'ref="A1:R4"'
"$T" export orders --format xlsx | cat >piped.xlsx
cmp -s <(unzip -p orders.xlsx xl/worksheets/sheet1.xml) <(unzip -p piped.xlsx xl/worksheets/sheet1.xml) \
    && ok "same workbook through a pipe" || not_ok "piped workbook differs"
[ -z "$(ls | grep -E '\.[A-Za-z0-9]{6}$' || true)" ] && ok "no temporary files left" \
    || not_ok "left: $(ls)"

# a terminal: progress and a summary on stderr; XLSX refused on a terminal stdout
term=$(script -qec "'$T' export orders --format csv -o tty.csv" /dev/null </dev/null)
contains "summary on a terminal" "$term" "exported 3 orders to tty.csv"
contains "progress on a terminal" "$term" "exporting orders: 3 of 3"
term=$(script -qec "'$T' export orders --format xlsx; echo status=\$?" /dev/null </dev/null)
contains "xlsx refused on a terminal" "$term" "an XLSX file on a terminal is unreadable"
contains "with status 2" "$term" "status=2"

# failures: exit 1, and an old file survives a failed export
echo keep >old.csv
expect 1 "unwritable directory" "$T" export orders --format csv -o /proc/nope/x.csv
contains "explained" "$ERR" "cannot create /proc/nope/x.csv"
expect 1 "unreachable database" env DATABASE_URL=postgres://x:y@127.0.0.1:1/x \
    "$T" export orders --format csv -o old.csv
[ "$(cat old.csv)" = keep ] && ok "old file kept" || not_ok "old file clobbered"
finish
