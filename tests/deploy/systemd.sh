# deploy/systemd/: `systemd-analyze verify` has nothing to say about any unit (it reports
# unknown keys and bad values on stderr with exit 0, so its output must be empty), each
# unit runs its role with the shared environment file and the hardening set, and the
# roles start after the migrations.
. "$TGSHOP_SOURCE_DIR/tests/support/lib.sh"
UNITS=$TGSHOP_SOURCE_DIR/deploy/systemd

if ! command -v systemd-analyze >/dev/null; then
    echo "skip: systemd-analyze is not installed (Debian's systemd package)"
    exit 77
fi

mkdir units
for f in "$UNITS"/*.service; do
    sed "s|/usr/local/bin/tgshop|$TGSHOP_BIN|" "$f" >"units/$(basename "$f")"
done
# verify UNIT: prints what systemd-analyze says about it (nothing when it is right)
verify() { (cd units && systemd-analyze verify "./$1" 2>&1); }

declare -A exec=(
    [tgshop-migrate.service]="migrate"
    [tgshop-web.service]="web"
    [tgshop-bot.service]="bot"
    [tgshop-worker@.service]="worker --queue %i"
)
for unit in "${!exec[@]}"; do
    f=$UNITS/$unit
    if [ ! -f "$f" ]; then
        not_ok "$unit is missing"
        continue
    fi
    said=$(verify "$unit")
    [ -z "$said" ] && ok "$unit: systemd-analyze verify is silent" ||
        not_ok "$unit: systemd-analyze verify says: $said"
    text=$(cat "$f")
    contains "$unit runs tgshop ${exec[$unit]}" "$text" "ExecStart=/usr/local/bin/tgshop ${exec[$unit]}"
    for line in EnvironmentFile=/etc/tgshop/tgshop.env User=tgshop NoNewPrivileges=yes \
        ProtectSystem=strict ProtectHome=yes PrivateTmp=yes CapabilityBoundingSet= \
        SystemCallFilter=@system-service; do
        grep -qx -- "$line" "$f" || not_ok "$unit lacks $line"
    done
    if [ "$unit" = tgshop-migrate.service ]; then
        contains "migrate is a oneshot that stays active" "$text" $'Type=oneshot\nRemainAfterExit=yes'
    else
        contains "$unit needs the migrations" "$text" "Requires=tgshop-migrate.service"
        contains "$unit starts after them" "$text" "tgshop-migrate.service"$'\n'
        contains "$unit restarts on failure" "$text" "Restart=on-failure"
    fi
done

# the check is not blind: a misspelt key and a bad value are reported
sed -i 's/^ProtectSystem=strict/ProtectSystm=strict/; s/^RestartSec=2s/RestartSec=soon/' \
    units/tgshop-web.service
said=$(verify tgshop-web.service)
contains "a misspelt key is reported" "$said" "Unknown key 'ProtectSystm'"
contains "a bad value is reported" "$said" "Failed to parse sec value, ignoring: soon"
finish
