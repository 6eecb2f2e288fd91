#!/bin/bash
# The mount namespace a service starts from (docs/design.md, "The mount
# template"): copied from a template made when corrald started, not from
# corrald's own namespace with every service's /run/netns pin in it.
# Checked from inside services: a bind source mounted on the host after
# corrald started is there (sources are taken from the host's current
# view); no /run/netns pin of another running service is visible; and a
# mount the service makes below its bind mount of a *shared* host mount
# does not show up on the host (the bound tree is a slave, not a peer).
# Also the open files limit: corrald lifts its own (about seven fds a
# service; 1024 would stop it at ~140 services), services get the limit
# corrald started with back unless LimitNOFILE= says otherwise.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
LATE=$CT_TMP/late
trap 'rc=$?; umount -l "$LATE" 2>/dev/null; (exit $rc); ct_cleanup' EXIT
T=$(ct_t 10)
OUT=$CT_TMP/out
mkdir -m 1777 "$OUT"
mkdir "$LATE"

# Reports what it sees, makes a mount below the bind mount, and waits.
probe=$(ct_script probe.sh <<EOF
#!/bin/sh
{
        echo "marker \$(cat /late/marker 2>&1)"
        echo "pins \$(for f in /run/netns/*; do stat -f -c %T "\$f"; done 2>/dev/null | grep -c nsfs)"
        echo "pinmounts \$(grep -c ' /run/netns' /proc/self/mountinfo)"
        mkdir -p /late/sub && mount -t tmpfs corral-leak-probe /late/sub && echo "mounted yes"
} >"$OUT/late.tmp" 2>&1
mv "$OUT/late.tmp" "$OUT/late"
exec sleep 1000
EOF
)
ct_unit netholder <<EOF
[Service]
ExecStart=/bin/sleep 1000
PrivateNetwork=yes
PrivatePIDs=yes
EOF
ct_unit nofile <<EOF
[Service]
ExecStart=/bin/sleep 1000
LimitNOFILE=2048
EOF
ct_unit late <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=$probe
PrivatePIDs=yes
PrivateNetwork=yes
BindPaths=$LATE:/late
EOF
corrald_start
soft_limit() { awk '/^Max open files/ { print $4 }' "/proc/$1/limits"; }
ct_check "corrald lifted its open files limit ($(soft_limit "$CT_PID"))" \
        test "$(soft_limit "$CT_PID")" -ge "$(ulimit -Hn)"
# With CAP_SYS_RESOURCE (the VM; not this host) beyond the hard limit too.
if [ "$CT_WHERE" = vm ]; then
        ct_check "... past the hard limit it started with ($(ulimit -Hn))" test "$(soft_limit "$CT_PID")" -ge 65536
fi
ct_check "nofile runs" wait_state nofile active running "$T"
ct_check "netholder runs (its network namespace is pinned on the host)" wait_state netholder active running "$T"
if [ -e /run/netns/corral-netholder ]; then ct_ok "pin /run/netns/corral-netholder exists on the host"; else ct_fail "no pin /run/netns/corral-netholder on the host"; fi

# Only now, after corrald made its template: a shared tmpfs with a marker.
mount -t tmpfs -o size=1m corral-late "$LATE" || ct_die "cannot mount a tmpfs at $LATE"
mount --make-shared "$LATE" || ct_die "cannot make $LATE shared"
echo "made-after-corrald" >"$LATE/marker"
call StartService s late >/dev/null
ct_check "late runs" wait_state late active running "$T"
ct_check "late reported" wait_until "$T" test -s "$OUT/late"
ct_expect_eq "a service without LimitNOFILE= has the limit corrald started with" \
        "$(soft_limit "$(prop late MainPID)")" "$(ulimit -Sn)"
ct_expect_eq "LimitNOFILE=2048 is 2048" "$(soft_limit "$(prop nofile MainPID)")" 2048
rep=$(cat "$OUT/late" 2>/dev/null)
ct_expect_match "a bind source mounted after corrald started is seen" "$rep" "^marker made-after-corrald$"
ct_expect_match "no network namespace under /run/netns inside the service" "$rep" "^pins 0$"
ct_expect_match "no /run/netns mount inside the service" "$rep" "^pinmounts 0$"
ct_expect_match "the service made a mount below /late" "$rep" "^mounted yes$"
ct_expect_eq "that mount does not reach the host's shared $LATE" \
        "$(grep -c corral-leak-probe /proc/self/mountinfo)" 0
ct_check "nor is $LATE/sub a mount point on the host" sh -c "! mountpoint -q '$LATE/sub'"
corrald_stop
umount "$LATE" && ct_ok "the host's $LATE unmounts (nothing of the service holds it)" || ct_fail "umount $LATE"
ct_finish
