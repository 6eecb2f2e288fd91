#!/bin/bash
# corral-test-vm: no (re-adoption after a restart of corrald: cgroup.procs and pidfds, no limit or link)
# kill -9 of corrald while services run and write (spec §3): the services
# live on and keep writing (not blocked, no SIGPIPE, no failed write), their
# lines keep reaching the log; the next corrald re-adopts them with the same
# MainPID (same process: pid and start time), starts no second copy (one
# writer in the whole cgroup tree, one row in ListServices), NRestarts 0;
# $NOTIFY_SOCKET works again; a service that died while corrald was down is
# not shown running; the log has every line, none lost.
# Status records (RUNTIME_DIR/status/NAME, written by corral's init): an
# adopted service whose main process then exits 3 shows ExecMainStatus 3,
# Result exit-code and is restarted by Restart=on-failure; a main process
# that exits 7 while corrald is down is seen as such by the next corrald:
# Restart=no failed/failed, Restart=on-failure restarted exactly once; an
# init killed while corrald is down is Result signal, ExecMainStatus 0; what
# was left in those cgroups is killed; SIGTERM leaves no status record.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
NOTIFY=$CT_HELPERS/helper-notify
[ -x "$NOTIFY" ] || ct_die "$NOTIFY not built"

writer=$(ct_script writer.sh <<'EOF'
#!/bin/bash
# writer.sh DIR: numbered lines on stdout; any failure to write is recorded.
trap 'echo "SIGPIPE after line $i" >>"$1/writer.errors"' PIPE
i=0
while :; do
        i=$((i + 1))
        echo "line $i" || echo "write of line $i failed" >>"$1/writer.errors"
        # tmp + rename: a SIGTERM between truncate and write would leave it empty
        echo "$i" >"$1/writer.count.tmp" && mv -f "$1/writer.count.tmp" "$1/writer.count"
        sleep 0.01
done
EOF
)
ct_unit rd-writer <<EOF
[Service]
ExecStart=$writer $CT_TMP
EOF
ct_unit rd-notify <<EOF
[Service]
Type=notify
ExecStart=$NOTIFY serve
EOF
# Started by the test, not at startup: a new corrald would start it again.
ct_unit rd-dies <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=/bin/sleep 1000
EOF

# exits.sh CODE: runs (with a child in its cgroup) until SIGUSR1, then exits CODE.
exits=$(ct_script exits.sh <<'EOF'
#!/bin/sh
trap 'exit $1' USR1
sleep 1000 &
while :; do wait; done
EOF
)
RS=$(ct_t 2)
ct_unit rd-fail3 <<EOF
[Service]
ExecStart=$exits 3
Restart=on-failure
RestartSec=${RS}s
EOF
ct_unit rd-down-no <<EOF
[Service]
ExecStart=$exits 7
EOF
ct_unit rd-down-restart <<EOF
[Service]
ExecStart=$exits 7
Restart=on-failure
EOF
ct_unit rd-initkill <<EOF
[Service]
ExecStart=$exits 0
EOF
# rd-orphan's unit goes while corrald is down: its cgroup is a left-over.
ct_unit rd-orphan <<EOF
[Service]
ExecStart=/bin/sh -c "trap '' TERM; sleep 1000 & wait; sleep 1000"
EOF
rec_key() { sed -n "s/^$2=//p" "$CT_RUN/services/$1" 2>/dev/null; }    # NAME KEY

# The writer's last line (the file is replaced whole, never empty once made).
count() {
        local c= i
        for i in $(seq 100); do
                c=$(cat "$CT_TMP/writer.count" 2>/dev/null)
                [ -n "$c" ] && break
                sleep 0.01
        done
        echo "${c:-0}"
}
count_at_least() { [ "$(count)" -ge "$1" ]; }
writers() { # processes running writer.sh anywhere in our cgroup tree
        local p n=0
        for p in $(ct_all_procs); do ct_cmdline "$p" | grep -q "writer.sh" && n=$((n + 1)); done
        echo $n
}
T=$(ct_t 10)
not_state() { [ "$(state_of "$1")" != "$2" ]; }

corrald_start
ct_expect_eq "rd-dies: StartService" "$(call StartService s rd-dies)" ""
for n in rd-writer rd-notify rd-dies rd-fail3 rd-down-no rd-down-restart rd-initkill rd-orphan; do
        ct_check "$n: active/running" wait_state "$n" active running "$T"
done
opid=$(prop rd-orphan MainPID) ocg=$(cg_dir rd-orphan)
wpid=$(prop rd-writer MainPID) npid=$(prop rd-notify MainPID) dpid=$(prop rd-dies MainPID)
f3pid=$(prop rd-fail3 MainPID) nopid=$(prop rd-down-no MainPID) rspid=$(prop rd-down-restart MainPID)
ikpid=$(prop rd-initkill MainPID)
for n in rd-fail3 rd-down-no rd-down-restart rd-initkill; do
        ct_check "$n: its status record exists, empty" test -f "$CT_RUN/status/$n" -a ! -s "$CT_RUN/status/$n"
done
noinit=$(rec_key rd-down-no INIT_PID) rsinit=$(rec_key rd-down-restart INIT_PID) ikinit=$(rec_key rd-initkill INIT_PID)
ct_check "rd-down-no: an init (shim) above MainPID $nopid: $noinit" test -n "$noinit" -a "$noinit" != "$nopid"
wstart=$(ct_starttime "$wpid") nstart=$(ct_starttime "$npid")
broker=$(cut -d' ' -f1 "$CT_RUN/bus.pid")
log=$CT_LOG/rd-writer.log
ct_check "the writer writes" wait_until "$T" count_at_least 20

corrald_kill9
c1=$(count)
echo "corrald killed at line $c1"
ct_check "the writer lives on" ct_alive "$wpid"
ct_check "the broker lives on" ct_alive "$broker"
kill -9 "$dpid"     # rd-dies dies while nobody watches
kill -USR1 "$nopid" "$rspid"    # exit 7 while nobody watches
kill -9 "$ikinit"               # an init dies first: nothing recorded
rm "$CT_UNITS/rd-orphan.service"
ct_check "rd-down-no: its init recorded exit 7 and ended" wait_until "$T" not_alive "$noinit"
ct_check "rd-down-restart: its init recorded exit 7 and ended" wait_until "$T" not_alive "$rsinit"
ct_expect_match "rd-down-no: the status record" "$(cat "$CT_RUN/status/rd-down-no")" '^exited 7 [0-9]+$'
ct_check "rd-initkill: its command lives on without its init" ct_alive "$ikpid"
ct_sleep_ms 1000
c2=$(count)
ct_check "the writer was not blocked while corrald was down (line $c1 -> $c2)" [ "$c2" -ge $((c1 + 10)) ]
ct_check "its lines reached the log while corrald was down" wait_until "$T" grep -qs "line $c2\$" "$log"

corrald_start
# Killed (cgroup.kill) and removed once empty, by an event, not a wait.
ct_check "rd-orphan (unit gone): its left-over cgroup is removed" wait_until "$T" test ! -d "$ocg"
ct_check "rd-orphan: its process is gone" wait_until "$T" not_alive "$opid"
ct_expect_eq "rd-orphan: not loaded" "$(err_name "$(dmgr GetService string:rd-orphan)")" org.corral1.Error.NoSuchService
ct_check "rd-writer re-adopted: active/running" wait_state rd-writer active running "$T"
ct_check "rd-notify re-adopted: active/running" wait_state rd-notify active running "$T"
ct_expect_eq "rd-writer: same MainPID" "$(prop rd-writer MainPID)" "$wpid"
ct_expect_eq "rd-writer: the same process (start time)" "$(ct_starttime "$wpid")" "$wstart"
ct_expect_eq "rd-notify: same MainPID" "$(prop rd-notify MainPID)" "$npid"
ct_expect_eq "rd-notify: the same process (start time)" "$(ct_starttime "$npid")" "$nstart"
ct_expect_eq "rd-writer: NRestarts 0" "$(prop rd-writer NRestarts)" 0
ct_expect_eq "no second writer anywhere in the cgroup tree" "$(writers)" 1
ct_expect_eq "one rd-writer in ListServices" "$(call ListServices | grep -o '"rd-writer"' | wc -l)" 1
ct_expect_eq "corrald reused the broker" "$(cut -d' ' -f1 "$CT_RUN/bus.pid")" "$broker"
ct_check "rd-dies (died while corrald was down) is not shown running" \
        wait_until "$T" not_state rd-dies active/running
ct_expect_eq "rd-dies: no MainPID (not its stale $dpid)" "$(prop rd-dies MainPID)" 0
ct_check "rd-dies: its cgroup is cleaned up" wait_until "$T" test ! -d "$CT_CGMOUNT$CT_CGROOT/rd-dies.service"
ct_expect_eq "rd-dies: failed/failed (killed while corrald was down)" "$(state_of rd-dies)" failed/failed
ct_expect_eq "rd-dies: Result signal" "$(prop rd-dies Result)" signal
ct_expect_eq "rd-dies: ExecMainStatus 9" "$(prop rd-dies ExecMainStatus)" 9

# (b) Exit 7 while corrald was down.
ct_check "rd-down-no: failed/failed" wait_state rd-down-no failed failed "$T"
ct_expect_eq "rd-down-no: Result exit-code" "$(prop rd-down-no Result)" exit-code
ct_expect_eq "rd-down-no: ExecMainStatus 7" "$(prop rd-down-no ExecMainStatus)" 7
ct_expect_eq "rd-down-no: MainPID 0" "$(prop rd-down-no MainPID)" 0
ct_expect_eq "rd-down-no: NRestarts 0" "$(prop rd-down-no NRestarts)" 0
ct_check "rd-down-no: its cgroup (its sleep) is cleaned up" \
        wait_until "$T" test ! -d "$CT_CGMOUNT$CT_CGROOT/rd-down-no.service"
ct_check "rd-down-no: its status record is gone" test ! -e "$CT_RUN/status/rd-down-no"
ct_check "rd-down-restart: restarted: active/running" wait_state rd-down-restart active running "$T"
ct_expect_eq "rd-down-restart: NRestarts 1" "$(prop rd-down-restart NRestarts)" 1
ct_expect_eq "rd-down-restart: ExecMainStatus 7 (the run that ended)" "$(prop rd-down-restart ExecMainStatus)" 7
rs2=$(prop rd-down-restart MainPID)
ct_check "rd-down-restart: a new MainPID ($rspid -> $rs2)" test "$rs2" != "$rspid" -a "$rs2" != 0
ct_check "rd-down-restart: a fresh status record" \
        test -f "$CT_RUN/status/rd-down-restart" -a ! -s "$CT_RUN/status/rd-down-restart"
ct_sleep_ms 1000
ct_expect_eq "rd-down-restart: still NRestarts 1 (not started twice)" "$(prop rd-down-restart NRestarts)" 1
ct_expect_eq "rd-down-restart: still the same MainPID" "$(prop rd-down-restart MainPID)" "$rs2"
ct_expect_eq "rd-down-restart: one run in its cgroup (init, script, sleep)" \
        "$(wc -l <"$CT_CGMOUNT$CT_CGROOT/rd-down-restart.service/cgroup.procs")" 3
# An init killed while corrald was down: no record line, Result signal.
ct_check "rd-initkill: failed/failed" wait_state rd-initkill failed failed "$T"
ct_expect_eq "rd-initkill: Result signal" "$(prop rd-initkill Result)" signal
ct_expect_eq "rd-initkill: ExecMainStatus 0 (unknown)" "$(prop rd-initkill ExecMainStatus)" 0
ct_check "rd-initkill: its orphaned command was killed" wait_until "$T" not_alive "$ikpid"

# (a) Adopted, then exit 3: known from the status record, restarted.
ct_expect_eq "rd-fail3: adopted with the same MainPID" "$(prop rd-fail3 MainPID)" "$f3pid"
kill -USR1 "$f3pid"
ct_check "rd-fail3: auto-restart after exit 3" wait_state rd-fail3 activating auto-restart "$T"
ct_expect_eq "rd-fail3: Result exit-code" "$(prop rd-fail3 Result)" exit-code
ct_expect_eq "rd-fail3: ExecMainStatus 3" "$(prop rd-fail3 ExecMainStatus)" 3
ct_check "rd-fail3: restarted: active/running" wait_state rd-fail3 active running "$(ct_t 10)"
ct_expect_eq "rd-fail3: NRestarts 1" "$(prop rd-fail3 NRestarts)" 1
ct_check "rd-fail3: a new MainPID" test "$(prop rd-fail3 MainPID)" != "$f3pid"

ct_expect_eq "rd-notify: KillService SIGUSR1" "$(call KillService si rd-notify 10)" ""
ct_check "rd-notify: \$NOTIFY_SOCKET works again (StatusText from the service)" \
        wait_prop rd-notify StatusText "usr1 1" "$T"

ct_expect_eq "rd-writer: StopService" "$(call StopService s rd-writer)" ""
ct_expect_eq "rd-writer: inactive/dead" "$(state_of rd-writer)" inactive/dead
ct_expect_eq "rd-writer: Result success (stopped by us, not SIGPIPE)" "$(prop rd-writer Result)" success
ct_check "the writer is gone" not_alive "$wpid"
cf=$(count)
ct_check "the log has the last line ($cf)" wait_until "$T" grep -qs "line $cf\$" "$log"
ct_expect_eq "no SIGPIPE and no failed write in the writer" "$(cat "$CT_TMP/writer.errors" 2>/dev/null)" ""
nums=$(sed -nE 's/^[^ ]+ line ([0-9]+)$/\1/p' "$log")
max=$(tail -n 1 <<<"$nums")
ct_check "the log ends at or after line $cf (ends at $max)" [ "${max:-0}" -ge "$cf" ]
ct_expect_eq "no line lost or doubled: lines 1..$max in order" "$(cksum <<<"$nums")" "$(seq 1 "${max:-0}" | cksum)"

corrald_stop
# (c) SIGTERM stops everything and leaves no runtime file behind.
ct_expect_eq "no status record left after SIGTERM" "$(ls -A "$CT_RUN/status" 2>&1)" ""
ct_expect_eq "no runtime state left after SIGTERM" "$(ls -A "$CT_RUN/services" 2>&1)" ""
ct_finish
