# tgshop user create / passwd / list, on the database named by $1 (sqlite or postgres).
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
T=$TGSHOP_BIN
if [ "${1:-sqlite}" = postgres ]; then
    export DATABASE_URL=$(pg_new_database "users_$$")
else
    export DATABASE_URL=sqlite:users.db
fi

create() { printf '%s\n' "$2" | "$T" user create --username "$1" --password-stdin "${@:3}"; }

expect 0 "empty list" "$T" user list
contains "empty list explained" "$OUT" "no accounts yet"
expect 0 "create superuser" create boss 'Correct-Horse-7' --superuser
contains "created" "$OUT" 'created superuser "boss"'
expect 2 "duplicate name, other case" create BOSS 'Another-Pass-9'
contains "duplicate explained" "$ERR" 'a user named "BOSS" already exists'
for weak in '' 'short1' '1234567890' 'aaaaaaaaaaaa' 'password123' 'my-staff1-pass'; do
    expect 2 "weak password '$weak' refused" create staff1 "$weak"
done
contains "weak password explained" "$ERR" "password is too similar to the username"
expect 2 "bad username" create 'bad name' 'Correct-Horse-7'
contains "bad username explained" "$ERR" "username may contain only"
expect 2 "no --username" "$T" user create --password-stdin
expect 2 "no terminal and no --password-stdin" "$T" user create --username x
contains "explains --password-stdin" "$ERR" "--password-stdin"
expect 0 "create staff" create clerk 'Counter-Shift-2026'
expect 0 "list" "$T" user list
contains "list shows the superuser" "$OUT" "boss"
contains "list shows roles" "$OUT" "superuser"
contains "list shows staff" "$OUT" "clerk"

# the hash, never the password, is stored
if [ "${1:-sqlite}" = postgres ]; then
    stored=$(psql -tA "$DATABASE_URL" -c "SELECT password_hash FROM admin_user WHERE username = 'clerk'")
else
    stored=$(sqlite3 users.db "SELECT password_hash FROM admin_user WHERE username = 'clerk'")
fi
contains "argon2id hash stored" "$stored" '$argon2id$'
lacks "no plain password stored" "$stored" "Counter-Shift-2026"

expect 0 "passwd" sh -c "printf 'New-Secret-Pass-1\n' | '$T' user passwd clerk --password-stdin"
contains "passwd confirms" "$OUT" 'password of "clerk" changed'
expect 2 "passwd unknown user" sh -c "printf 'New-Secret-Pass-1\n' | '$T' user passwd ghost --password-stdin"
contains "unknown user named" "$ERR" 'no user named "ghost"'
expect 2 "passwd weak" sh -c "printf 'abc\n' | '$T' user passwd clerk --password-stdin"
expect 2 "passwd needs a name" "$T" user passwd

finish
