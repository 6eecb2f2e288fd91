#!/bin/bash
# corral-test-vm: no (bus calls during slow control steps: no limit or link)
# A control command inside a running service is launched as events (issue
# 11): with the service frozen (FreezeService), ExecReload='s child is born
# frozen before its exec. While it is stuck corrald still answers on the
# bus at once and starts another service; after ThawService the reload
# completes. A second stuck reload ends at TimeoutStartSec=: the reload
# fails, the child is killed and reaped (nothing left in the cgroup or in
# /proc), the service stays active/running.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
S=$CT_SLOW

reload=$(ct_script reload.sh <<EOF
#!/bin/sh
echo "reloaded \$MAINPID" >>$CT_TMP/reload.out
EOF
)
ct_unit ca-stuck <<EOF
[Service]
ExecStart=/bin/sleep 1000
ExecReload=$reload
TimeoutStartSec=$((3 * S))
EOF
ct_unit ca-other <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF

nprocs() { wc -l <"$1/cgroup.procs"; }
has_nprocs() { [ "$(nprocs "$1")" -eq "$2" ]; }
ping_ms() { # how long Peer.Ping takes, or "timeout"
        local t0
        t0=$(now_ms)
        corrald_answers || { echo timeout; return; }
        echo $(($(now_ms) - t0))
}
# ReloadService in the background: its output and "rc N" in $CT_TMP/reload.N
reload_bg() {
        ( call ReloadService s ca-stuck >"$CT_TMP/reload.$1" 2>&1; echo "rc $?" >>"$CT_TMP/reload.$1" ) &
        CT_BG_PIDS+=($!)
}
reload_done() { grep -q '^rc ' "$CT_TMP/reload.$1" 2>/dev/null; }
reload_pending() { ! reload_done "$1"; }
fast_ping() { local ms; ms=$(ping_ms); echo "  (Peer.Ping: $ms ms)"; [ "$ms" != timeout ] && [ "$ms" -le $((500 * S)) ]; }

corrald_start
ct_check "ca-stuck: active/running" wait_state ca-stuck active running "$(ct_t 5)"
cg=$(cg_dir ca-stuck)
main=$(prop ca-stuck MainPID)
# The command and corral's init above it (the status record's shim).
base=$(nprocs "$cg")
ct_expect_eq "ca-stuck: its main process and its init in $cg" "$base" 2
cp "$cg/cgroup.procs" "$CT_TMP/base.procs"
ct_expect_eq "FreezeService" "$(call FreezeService s ca-stuck)" ""

# 1. Stuck, then thawed: completes.
reload_bg 1
ct_check "the reload's child is in the frozen cgroup" wait_until "$(ct_t 5)" has_nprocs "$cg" $((base + 1))
sleep "$S"
ct_check "... and stays stuck there (no reply yet)" reload_pending 1
ct_check "Peer.Ping answers at once while it is stuck" fast_ping
ct_expect_match "ListServices answers while it is stuck" "$(call ListServices)" '"ca-other"'
ct_expect_eq "StartService ca-other while it is stuck" "$(call StartService s ca-other)" ""
ct_check "ca-other: active/running" wait_state ca-other active running "$(ct_t 5)"
ct_check "the reload did not run yet" [ ! -e "$CT_TMP/reload.out" ]
ct_expect_eq "ThawService" "$(call ThawService s ca-stuck)" ""
ct_check "ReloadService returns once thawed" wait_until "$(ct_t 10)" reload_done 1
ct_expect_eq "ReloadService succeeded" "$(cat "$CT_TMP/reload.1")" "rc 0"
ct_expect_eq "ExecReload= ran with \$MAINPID" "$(cat "$CT_TMP/reload.out" 2>/dev/null)" "reloaded $main"
ct_expect_eq "ca-stuck: active/running" "$(state_of ca-stuck)" active/running

# 2. Stuck until TimeoutStartSec=: aborted and reaped.
ct_expect_eq "FreezeService again" "$(call FreezeService s ca-stuck)" ""
t0=$(now_ms)
reload_bg 2
ct_check "the second reload's child is in the frozen cgroup" wait_until "$(ct_t 5)" has_nprocs "$cg" $((base + 1))
child=$(grep -vxF -f "$CT_TMP/base.procs" "$cg/cgroup.procs")
ct_check "Peer.Ping answers at once while it is stuck" fast_ping
ct_check "ReloadService fails after TimeoutStartSec=" wait_until "$(ct_t 10)" reload_done 2
t1=$(now_ms)
ct_check "... not before it ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge $((3000 * S - 100)) ]
ct_expect_match "ReloadService failed" "$(cat "$CT_TMP/reload.2")" "rc [1-9]"
ct_check "the stuck child $child is gone from the cgroup" wait_until "$(ct_t 5)" has_nprocs "$cg" "$base"
ct_check "... and from /proc (reaped, no zombie)" wait_until "$(ct_t 5)" test ! -d "/proc/$child"
ct_expect_eq "ca-stuck: active/running" "$(state_of ca-stuck)" active/running
ct_expect_eq "ca-stuck: same MainPID" "$(prop ca-stuck MainPID)" "$main"
ct_expect_eq "ThawService" "$(call ThawService s ca-stuck)" ""
ct_expect_eq "the aborted reload never ran" "$(wc -l <"$CT_TMP/reload.out")" 1

corrald_stop
ct_finish
