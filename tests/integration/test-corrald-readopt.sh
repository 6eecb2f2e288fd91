#!/bin/bash
# kill -9 of corrald while services run and write (spec §3): the services
# live on and keep writing (not blocked, no SIGPIPE, no failed write), their
# lines keep reaching the log; the next corrald re-adopts them with the same
# MainPID (same process: pid and start time), starts no second copy (one
# writer in the whole cgroup tree, one row in ListServices), NRestarts 0;
# $NOTIFY_SOCKET works again; a service that died while corrald was down is
# not shown running; the log has every line, none lost.
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
        echo "$i" >"$1/writer.count"
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

# The writer's last line; retried: a read may meet the file just truncated.
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
for n in rd-writer rd-notify rd-dies; do ct_check "$n: active/running" wait_state "$n" active running "$T"; done
wpid=$(prop rd-writer MainPID) npid=$(prop rd-notify MainPID) dpid=$(prop rd-dies MainPID)
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
ct_sleep_ms 1000
c2=$(count)
ct_check "the writer was not blocked while corrald was down (line $c1 -> $c2)" [ "$c2" -ge $((c1 + 10)) ]
ct_check "its lines reached the log while corrald was down" wait_until "$T" grep -qs "line $c2\$" "$log"

corrald_start
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
ct_finish
