#!/bin/bash
# corral-test-vm: no (stop timeouts and signals: no limit or link)
# StopService of a process tree that ignores SIGTERM: ExecStop= runs first
# (in the service's cgroup, with $MAINPID), then deactivating/stop-sigterm,
# after TimeoutStopSec= deactivating/stop-sigkill and every process of the
# tree dies; the call returns only then, the cgroup is gone, and the stop
# that needed SIGKILL ends failed/timeout (as systemd). A service that obeys
# SIGTERM stops at once and ends inactive/dead, success.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
S=$CT_SLOW

tree=$(ct_script stubborn.sh <<'EOF'
#!/bin/bash
# SIG_IGN survives fork and exec: the whole tree ignores SIGTERM.
trap '' TERM
sleep 1000 &
sleep 1000 &
bash -c 'sleep 1000 & wait' &
echo started
wait
EOF
)
execstop=$(ct_script execstop.sh <<EOF
#!/bin/sh
echo "\$MAINPID" >$CT_TMP/execstop.out
cat /proc/self/cgroup >>$CT_TMP/execstop.out
EOF
)
ct_unit sp-stubborn <<EOF
[Service]
ExecStart=$tree
ExecStop=$execstop
TimeoutStopSec=$S
EOF
ct_unit sp-polite <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF

corrald_start
monitor_start
ct_check "stubborn: active/running" wait_state sp-stubborn active running "$(ct_t 5)"
ct_check "polite: active/running" wait_state sp-polite active running "$(ct_t 5)"
cg=$(cg_dir sp-stubborn)
test_nprocs() { [ "$(wc -l <"$1/cgroup.procs")" -ge "$2" ]; }
ct_check "stubborn: the whole tree is in $cg (5 processes)" wait_until "$(ct_t 5)" test_nprocs "$cg" 5
pids=$(cat "$cg/cgroup.procs")
main=$(prop sp-stubborn MainPID)
echo "tree: $(tr '\n' ' ' <<<"$pids"), main $main"

t0=$(now_ms)
out=$(call StopService s sp-stubborn)
t1=$(now_ms)
echo "StopService: '$out' after $((t1 - t0)) ms"
ct_check "stubborn: StopService returned after TimeoutStopSec=${S}s ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge $((S * 1000 - 50)) ]
ct_check "stubborn: ... and not much later" [ $((t1 - t0)) -le $((S * 1000 + 5000 * S)) ]
subs=$(monitor_substates sp-stubborn | uniq | tr '\n' ' ')
ct_expect_match "stubborn: stop-sigterm, then stop-sigkill" "$subs" "stop-sigterm (.* )?stop-sigkill "
ct_expect_match "stubborn: ended failed" "$subs" "stop-sigkill (.* )?failed ?\$"
ct_expect_eq "stubborn: failed/failed" "$(state_of sp-stubborn)" failed/failed
ct_expect_eq "stubborn: Result timeout" "$(prop sp-stubborn Result)" timeout
ct_expect_eq "stubborn: MainPID 0" "$(prop sp-stubborn MainPID)" 0
left=
for p in $pids; do ct_alive "$p" && left+=" $p($(cat /proc/$p/comm))"; done
ct_expect_eq "stubborn: no process of the tree is left" "$left" ""
ct_check "stubborn: its cgroup is gone" [ ! -d "$cg" ]
ct_expect_eq "ExecStop= ran with \$MAINPID" "$(head -n 1 "$CT_TMP/execstop.out" 2>/dev/null)" "$main"
ct_expect_match "ExecStop= ran in the service's cgroup" "$(tail -n +2 "$CT_TMP/execstop.out" 2>/dev/null)" \
        "^0::$CT_CGROOT/sp-stubborn\.service(/|\$)"

pid=$(prop sp-polite MainPID)
t0=$(now_ms)
ct_expect_eq "polite: StopService" "$(call StopService s sp-polite)" ""
t1=$(now_ms)
ct_check "polite: stopped well before its 10 s TimeoutStopSec= ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt $((2000 * S)) ]
ct_expect_eq "polite: inactive/dead" "$(state_of sp-polite)" inactive/dead
ct_expect_eq "polite: Result success" "$(prop sp-polite Result)" success
ct_expect_nomatch "polite: never stop-sigkill" "$(monitor_substates sp-polite)" "stop-sigkill"
ct_check "polite: the process is gone" not_alive "$pid"

corrald_stop
ct_finish
