#!/bin/bash
# corral-test-vm: no (ordering of starts and stops: no limit or link)
# Dependencies (spec §1, §2): at startup, After=/Requires= order the starts
# (ActiveEnterTimestamp: the dependency is active before its dependent
# starts); a Requires= dependency that fails fails the dependent's start
# with a message naming it, and the dependent never runs; Requires= of a
# missing service fails naming it; an After= cycle is refused naming the
# cycle (corrald's log and --check), while every other unit still loads.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
NOTIFY=$CT_HELPERS/helper-notify
[ -x "$NOTIFY" ] || ct_die "$NOTIFY not built"

# od-a is ready only after 300 ms: without ordering, od-b and od-c would be
# active before it.
ct_unit od-a <<EOF
[Service]
Type=notify
ExecStart=$NOTIFY serve $((300 * CT_SLOW))
EOF
ct_unit od-b <<EOF
[Unit]
Requires=od-a.service
After=od-a.service
[Service]
ExecStart=/bin/sleep 1000
ExecStop=/bin/sleep $(awk -v k="$CT_SLOW" 'BEGIN { print 0.4 * k }')
EOF
ct_unit od-c <<EOF
[Unit]
Requires=od-b
After=od-b
[Service]
ExecStart=/bin/sleep 1000
EOF
# od-w only wants od-a: an explicit stop of od-a leaves it running.
ct_unit od-w <<EOF
[Unit]
Wants=od-a.service
After=od-a.service
[Service]
ExecStart=/bin/sleep 1000
EOF
# od-bad cannot start; od-dep requires it and would write a marker.
ct_unit od-bad <<EOF
[Unit]
AutoStart=no
[Service]
Type=exec
ExecStart=/nonexistent/od-bad
EOF
ct_unit od-dep <<EOF
[Unit]
AutoStart=no
Requires=od-bad.service
After=od-bad.service
[Service]
ExecStart=/bin/sh -c "touch $CT_TMP/od-dep.ran; exec sleep 1000"
EOF
ct_unit od-orphan <<EOF
[Unit]
AutoStart=no
Requires=od-missing.service
[Service]
ExecStart=/bin/sh -c "touch $CT_TMP/od-orphan.ran; exec sleep 1000"
EOF
# After=/Wants= of a missing service and non-service units are ignored.
ct_unit od-lax <<EOF
[Unit]
After=od-nowhere.service network.target
Wants=od-nowhere.service
[Service]
ExecStart=/bin/sleep 1000
EOF
ct_unit od-x <<EOF
[Unit]
After=od-y.service
[Service]
ExecStart=/bin/sleep 1000
EOF
ct_unit od-y <<EOF
[Unit]
After=od-x.service
[Service]
ExecStart=/bin/sleep 1000
EOF

out=$("$CT_CORRALD" --check --config /dev/null --units "$CT_UNITS" 2>&1); rc=$?
echo "$out" | sed 's/^/  check | /'
ct_expect_eq "--check: the cycle is a problem (exit 1)" "$rc" 1
ct_expect_match "--check names the cycle" "$out" "cycle.*od-(x|y).*od-(x|y)"

corrald_start
T=$(ct_t 10)
for n in od-a od-b od-c od-lax; do ct_check "$n: active/running" wait_state "$n" active running "$T"; done
ta=$(prop od-a ActiveEnterTimestamp) tb=$(prop od-b ActiveEnterTimestamp) tc=$(prop od-c ActiveEnterTimestamp)
echo "ActiveEnterTimestamp: a $ta, b $tb, c $tc"
ct_check "od-b (After=od-a) became active after od-a" [ "$tb" -gt "$ta" ]
ct_check "od-c (After=od-b) became active after od-b" [ "$tc" -gt "$tb" ]

out=$(dmgr StartService string:od-dep)
ct_expect_eq "od-dep: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_match "od-dep: the error names the failed dependency" "$out" "od-bad"
ct_expect_eq "od-dep: failed" "$(prop od-dep ActiveState)" failed
ct_expect_eq "od-bad: failed" "$(prop od-bad ActiveState)" failed
ct_check "od-dep never ran" [ ! -e "$CT_TMP/od-dep.ran" ]
ct_expect_eq "od-dep: no MainPID" "$(prop od-dep MainPID)" 0

out=$(dmgr StartService string:od-orphan)
ct_expect_eq "od-orphan: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_match "od-orphan: the error names the missing service" "$out" "od-missing"
ct_check "od-orphan never ran" [ ! -e "$CT_TMP/od-orphan.ran" ]

for n in od-x od-y; do
        ct_expect_eq "$n (in the cycle) is not loaded" "$(err_name "$(dmgr GetService "string:$n")")" \
                org.corral1.Error.NoSuchService
done
ct_expect_match "corrald's log names the cycle" "$(cat "$CT_TMP/corrald.log")" "cycle.*od-(x|y).*od-(x|y)"
ct_check "no cgroup for the cycle's units" [ ! -d "$CT_CGMOUNT$CT_CGROOT/od-x.service" ]

# ---- Requires= propagates an explicit restart and stop (systemd.unit(5)) ----
ct_check "od-w: active/running" wait_state od-w active running "$T"
pa=$(prop od-a MainPID) pb=$(prop od-b MainPID) pc=$(prop od-c MainPID) pw=$(prop od-w MainPID)
ct_expect_eq "RestartService od-a" "$(call RestartService s od-a)" ""
for n in od-a od-b od-c; do ct_check "$n: active/running after the restart" wait_state "$n" active running "$T"; done
ct_check "od-b (Requires=od-a) was restarted with it: new MainPID" [ "$(prop od-b MainPID)" != "$pb" ]
ct_check "od-c (Requires=od-b) too: new MainPID" [ "$(prop od-c MainPID)" != "$pc" ]
ct_expect_eq "od-w (Wants= only) was left alone" "$(prop od-w MainPID)" "$pw"
ta=$(prop od-a ActiveEnterTimestamp) tb=$(prop od-b ActiveEnterTimestamp)
ct_check "after the restart od-b is active after od-a again" [ "$tb" -gt "$ta" ]
ct_check "od-a has a new MainPID" [ "$(prop od-a MainPID)" != "$pa" ]

ct_expect_eq "StopService od-a" "$(call StopService s od-a)" ""
for n in od-a od-b od-c; do ct_expect_eq "$n: stopped with od-a" "$(state_of "$n")" inactive/dead; done
ia=$(prop od-a InactiveEnterTimestamp) ib=$(prop od-b InactiveEnterTimestamp) ic=$(prop od-c InactiveEnterTimestamp)
echo "InactiveEnterTimestamp: a $ia, b $ib, c $ic"
# od-b's ExecStop= takes 0.4 s: od-a, ordered before it, stops only after.
ct_check "stop order is After= reversed: od-b stopped before od-a" [ "$ib" -le "$ia" ]
ct_check "... and od-c before od-b" [ "$ic" -le "$ib" ]
ct_expect_eq "od-w (Wants= only) still runs" "$(state_of od-w)" active/running
ct_expect_eq "od-w: same MainPID" "$(prop od-w MainPID)" "$pw"

corrald_stop
ct_finish
