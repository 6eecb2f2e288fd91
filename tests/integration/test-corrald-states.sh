#!/bin/bash
# corral-test-vm: no (the state machine: no limit or link)
# Every Type= through spec §4's ActiveState/SubState/Result, seen on the bus:
# simple and exec (active/running, MainPID in the service's cgroup), notify
# (activating/start until READY=1, StatusText from STATUS=, a foreign
# sender's READY=1 and MAINPID= ignored), oneshot (StartService returns once
# it exited: inactive/dead, or active/exited with RemainAfterExit=yes);
# failures: exit code (failed/exit-code, ExecMainStatus), an ExecStart= that
# cannot exec (exit-code 203; Type=exec: the start call fails, Type=simple:
# it succeeds, active once forked, then fails), a signal (signal,
# ExecMainStatus = the signal), TimeoutStartSec= (timeout).
. "$(dirname "$0")/corrald-lib.sh"
ct_init
NOTIFY=$CT_HELPERS/helper-notify
[ -x "$NOTIFY" ] || ct_die "$NOTIFY not built"

ct_unit st-simple <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF
ct_unit st-exec <<EOF
[Unit]
AutoStart=no
[Service]
Type=exec
ExecStart=/bin/sleep 1000
EOF
ct_unit st-exec-missing <<EOF
[Unit]
AutoStart=no
[Service]
Type=exec
ExecStart=/nonexistent/st-binary
EOF
# Type=simple is active once forked (systemd): its start does not wait for
# the execve; the failing exec is the main process's exit, 203.
ct_unit st-simple-missing <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=/nonexistent/st-simple-binary
EOF
ct_unit st-exit7 <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=/bin/sh -c "sleep 0.2; exit 7"
EOF
ct_unit st-notify <<EOF
[Unit]
AutoStart=no
[Service]
Type=notify
ExecStart=$NOTIFY serve $((300 * CT_SLOW))
EOF
ct_unit st-notify-wait <<EOF
[Unit]
AutoStart=no
[Service]
Type=notify
TimeoutStartSec=120
ExecStart=$NOTIFY serve never
EOF
ct_unit st-notify-timeout <<EOF
[Unit]
AutoStart=no
[Service]
Type=notify
TimeoutStartSec=$CT_SLOW
ExecStart=$NOTIFY serve never
EOF
oneshot=$(ct_script oneshot.sh <<'EOF'
#!/bin/sh
sleep "$1"
exit 0
EOF
)
ct_unit st-oneshot <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
ExecStart=$oneshot $CT_SLOW
EOF
ct_unit st-oneshot-remain <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=/bin/true
EOF
ct_unit st-oneshot-fail <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
ExecStart=/bin/sh -c "exit 4"
EOF

corrald_start
monitor_start
T5=$(ct_t 5)

# ---- simple: auto-started, active/running, MainPID is the sleep in its cgroup ----
ct_check "simple: active/running" wait_state st-simple active running "$T5"
pid=$(prop st-simple MainPID)
ct_expect_eq "simple: MainPID is the command" "$(cat /proc/$pid/comm 2>/dev/null)" sleep
ct_expect_match "simple: MainPID is in its cgroup $(cg_dir st-simple)" "$(cg_procs st-simple)" "^$pid\$"
ct_expect_eq "simple: Result" "$(prop st-simple Result)" success
ct_expect_match "simple: CgroupPath under CgroupRoot" "$(prop st-simple CgroupPath)" "^$CT_CGROOT/"
t_active=$(prop st-simple ActiveEnterTimestamp)
ct_expect_eq "simple: StopService replies empty" "$(call StopService s st-simple)" ""
ct_expect_eq "simple: stopped: inactive/dead" "$(state_of st-simple)" inactive/dead
ct_expect_eq "simple: stopped: MainPID 0" "$(prop st-simple MainPID)" 0
ct_expect_eq "simple: stopped by us: Result success" "$(prop st-simple Result)" success
ct_check "simple: the process is gone" wait_until "$T5" not_alive "$pid"
t_inactive=$(prop st-simple InactiveEnterTimestamp)
ct_check "simple: InactiveEnterTimestamp ($t_inactive) after ActiveEnterTimestamp ($t_active)" \
        [ "$t_inactive" -gt "$t_active" ]

# ---- a signal ends the main process: failed/signal ----
ct_expect_eq "simple: StartService again" "$(call StartService s st-simple)" ""
pid=$(prop st-simple MainPID)
ct_expect_eq "KillService SIGUSR1" "$(call KillService si st-simple 10)" ""
ct_check "signal: failed/failed" wait_state st-simple failed failed "$T5"
ct_expect_eq "signal: Result" "$(prop st-simple Result)" signal
ct_expect_eq "signal: ExecMainStatus is the signal" "$(prop st-simple ExecMainStatus)" 10
ct_expect_eq "signal: MainPID 0" "$(prop st-simple MainPID)" 0

# ---- exec: active once execve succeeded ----
ct_expect_eq "exec: StartService" "$(call StartService s st-exec)" ""
ct_expect_eq "exec: active/running when StartService returned" "$(state_of st-exec)" active/running
pid=$(prop st-exec MainPID)
ct_expect_match "exec: MainPID runs the new image" "$(readlink /proc/$pid/exe)" "/sleep\$"

# ---- exec of a missing binary: the start fails, exit-code 203 ----
out=$(dmgr StartService string:st-exec-missing)
ct_expect_eq "exec-missing: StartService fails with Failed" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_match "exec-missing: the error names the path" "$out" "/nonexistent/st-binary"
ct_expect_eq "exec-missing: failed/failed" "$(state_of st-exec-missing)" failed/failed
ct_expect_eq "exec-missing: Result" "$(prop st-exec-missing Result)" exit-code
ct_expect_eq "exec-missing: ExecMainStatus 203 (systemd's EXIT_EXEC)" "$(prop st-exec-missing ExecMainStatus)" 203

# ---- simple with a missing binary: the start succeeds, then exit-code 203 ----
ct_expect_eq "simple-missing: StartService succeeds (active once forked)" \
        "$(call StartService s st-simple-missing)" ""
ct_check "simple-missing: then failed/failed" wait_state st-simple-missing failed failed "$T5"
ct_expect_eq "simple-missing: Result" "$(prop st-simple-missing Result)" exit-code
ct_expect_eq "simple-missing: ExecMainStatus 203 (EXIT_EXEC)" "$(prop st-simple-missing ExecMainStatus)" 203
ct_expect_match "simple-missing: corrald's log names the path" "$(cat "$CT_TMP/corrald.log")" \
        "st-simple-missing.*status 203.*/nonexistent/st-simple-binary"

# ---- a main process that exits 7 ----
call StartService s st-exit7 >/dev/null
ct_check "exit 7: failed/failed" wait_state st-exit7 failed failed "$T5"
ct_expect_eq "exit 7: Result" "$(prop st-exit7 Result)" exit-code
ct_expect_eq "exit 7: ExecMainStatus" "$(prop st-exit7 ExecMainStatus)" 7

# ---- notify: activating/start until READY=1 ----
t0=$(now_ms)
out=$(call StartService s st-notify)
t1=$(now_ms)
ct_expect_eq "notify: StartService" "$out" ""
ct_check "notify: StartService returned after READY=1 ($((t1 - t0)) ms >= $((300 * CT_SLOW)))" \
        [ $((t1 - t0)) -ge $((300 * CT_SLOW)) ]
ct_expect_eq "notify: active/running" "$(state_of st-notify)" active/running
ct_expect_eq "notify: StatusText from STATUS=" "$(prop st-notify StatusText)" ready
ct_expect_eq "notify: MainPID is the helper" "$(cat /proc/$(prop st-notify MainPID)/comm 2>/dev/null)" helper-notify
ct_expect_eq "notify: went through activating/start, then active/running" \
        "$(monitor_substates st-notify | uniq | grep -E '^(start|running)$' | tr '\n' ' ')" "start running "
ct_check "notify: PropertiesChanged StatusText 'ready'" \
        monitor_wait "$(svc_path st-notify): .*'StatusText': <'ready'>" "$T5"

# ---- notify: a foreign READY=1 is ignored ----
bgout=$CT_TMP/notify-wait.start
( bctl --timeout=$((120 * CT_SLOW)) call org.corral1 /org/corral1 org.corral1.Manager StartService s st-notify-wait >"$bgout"; echo "rc=$?" >>"$bgout" ) &
bgpid=$!
ct_check "notify-wait: activating/start" wait_state st-notify-wait activating start "$T5"
pid=$(prop st-notify-wait MainPID)
ct_check "notify-wait: StatusText starting" wait_prop st-notify-wait StatusText starting "$T5"
sock=$(tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | sed -n 's/^NOTIFY_SOCKET=//p')
ct_check "notify-wait: the service got a NOTIFY_SOCKET ($sock)" [ -S "$sock" ]
out=$(NOTIFY_SOCKET=$sock "$NOTIFY" send $'READY=1\nSTATUS=foreign\nMAINPID='$$)
ct_expect_match "a foreign process (the test, outside the cgroup) could send" "$out" "sent"
ct_sleep_ms 500
ct_expect_eq "foreign READY=1 ignored: still activating/start" "$(state_of st-notify-wait)" activating/start
ct_expect_eq "foreign STATUS= ignored" "$(prop st-notify-wait StatusText)" starting
ct_expect_eq "foreign MAINPID= ignored" "$(prop st-notify-wait MainPID)" "$pid"
ct_expect_eq "the pending StartService has not returned" "$(cat "$bgout")" ""
# Now the service itself says READY=1 (on SIGUSR1).
call KillService si st-notify-wait 10 >/dev/null
ct_check "notify-wait: its own READY=1: active/running" wait_state st-notify-wait active running "$T5"
ct_expect_eq "notify-wait: StatusText from the service" "$(prop st-notify-wait StatusText)" "usr1 1"
wait "$bgpid"
ct_expect_eq "the pending StartService succeeded" "$(tr '\n' ' ' <"$bgout")" "rc=0 "

# ---- notify that never says READY=1: TimeoutStartSec= ----
t0=$(now_ms)
out=$(dmgr StartService string:st-notify-timeout)
t1=$(now_ms)
ct_expect_eq "timeout: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_check "timeout: not before TimeoutStartSec=$CT_SLOW ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge $((CT_SLOW * 1000 - 50)) ]
ct_check "timeout: within TimeoutStartSec + 5 s" [ $((t1 - t0)) -le $((CT_SLOW * 1000 + 5000)) ]
ct_check "timeout: failed/failed" wait_state st-notify-timeout failed failed "$T5"
ct_expect_eq "timeout: Result" "$(prop st-notify-timeout Result)" timeout
ct_check "timeout: its cgroup is gone" [ ! -d "$CT_CGMOUNT$CT_CGROOT/st-notify-timeout.service" ]

# ---- oneshot: StartService returns once it exited ----
t0=$(now_ms)
out=$(call StartService s st-oneshot)
t1=$(now_ms)
ct_expect_eq "oneshot: StartService" "$out" ""
ct_check "oneshot: StartService returned after the command ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge $((CT_SLOW * 1000 - 50)) ]
ct_expect_eq "oneshot: inactive/dead after success" "$(state_of st-oneshot)" inactive/dead
ct_expect_eq "oneshot: Result" "$(prop st-oneshot Result)" success
ct_expect_eq "oneshot: ExecMainStatus" "$(prop st-oneshot ExecMainStatus)" 0
ct_expect_match "oneshot: was activating/start while it ran" "$(monitor_substates st-oneshot)" "^start\$"
ct_expect_eq "oneshot+RemainAfterExit: StartService" "$(call StartService s st-oneshot-remain)" ""
ct_expect_eq "oneshot+RemainAfterExit: active/exited" "$(state_of st-oneshot-remain)" active/exited
ct_expect_eq "oneshot+RemainAfterExit: MainPID 0" "$(prop st-oneshot-remain MainPID)" 0
ct_expect_eq "oneshot+RemainAfterExit: Result" "$(prop st-oneshot-remain Result)" success
ct_expect_eq "oneshot+RemainAfterExit: StopService" "$(call StopService s st-oneshot-remain)" ""
ct_expect_eq "oneshot+RemainAfterExit: stopped: inactive/dead" "$(state_of st-oneshot-remain)" inactive/dead
out=$(dmgr StartService string:st-oneshot-fail)
ct_expect_eq "oneshot exit 4: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_eq "oneshot exit 4: failed/failed" "$(state_of st-oneshot-fail)" failed/failed
ct_expect_eq "oneshot exit 4: Result" "$(prop st-oneshot-fail Result)" exit-code
ct_expect_eq "oneshot exit 4: ExecMainStatus" "$(prop st-oneshot-fail ExecMainStatus)" 4

corrald_stop
ct_finish
