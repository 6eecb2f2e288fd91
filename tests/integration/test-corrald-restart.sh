#!/bin/bash
# corral-test-vm: no (restart policies and back-off: no limit or link)
# Restart= (spec §2, systemd semantics) seen from outside: each run of the
# service stamps its start time into a file. on-failure restarts a failing
# service after RestartSec= and counts NRestarts; it does not restart a
# success; RestartSteps=/RestartMaxDelaySec= grow the delay from RestartSec=
# to the maximum and no further; StartLimitBurst= starts within
# StartLimitIntervalSec= and the next one is failed/start-limit-hit, with no
# further run.
. "$(dirname "$0")/corrald-lib.sh"
ct_init

# run.sh FILE FAILURES: stamp the time (ms), fail for the first FAILURES
# runs, then stay up.
run=$(ct_script run.sh <<'EOF'
#!/bin/sh
echo "$(($(date +%s%N) / 1000000))" >>"$1"
n=$(wc -l <"$1")
[ "$n" -le "$2" ] && exit 3
exec sleep 1000
EOF
)
S=$CT_SLOW
ct_unit rs-fail <<EOF
[Unit]
AutoStart=no
StartLimitBurst=100
[Service]
Restart=on-failure
RestartSec=$((200 * S))ms
ExecStart=$run $CT_TMP/rs-fail.runs 3
EOF
ct_unit rs-ok <<EOF
[Unit]
AutoStart=no
[Service]
Restart=on-failure
RestartSec=100ms
ExecStart=/bin/sh -c "echo x >>$CT_TMP/rs-ok.runs"
EOF
# Delays 200, 400, 800, 1600, 1600 ms (x CT_SLOW): RestartSec x 8^(n/3), capped.
ct_unit rs-steps <<EOF
[Unit]
AutoStart=no
StartLimitBurst=100
[Service]
Restart=on-failure
RestartSec=$((200 * S))ms
RestartSteps=3
RestartMaxDelaySec=$((1600 * S))ms
ExecStart=$run $CT_TMP/rs-steps.runs 5
EOF
ct_unit rs-again <<EOF
[Unit]
Description=before
AutoStart=no
StartLimitIntervalSec=600
StartLimitBurst=2
[Service]
ExecStart=$run $CT_TMP/rs-again.runs 0
EOF
ct_unit rs-limit <<EOF
[Unit]
AutoStart=no
StartLimitIntervalSec=600
StartLimitBurst=3
[Service]
Restart=always
RestartSec=100ms
ExecStart=$run $CT_TMP/rs-limit.runs 1000
EOF

corrald_start
monitor_start

# deltas FILE: the gaps between consecutive runs, ms, one a line.
deltas() { awk 'NR > 1 { print $1 - prev } { prev = $1 }' "$1"; }
# runs_are FILE N: the service has started N times. A failing run is
# active/running too until it exits, so "running" alone is no proof that the
# run which stays up has come: wait for its stamp first.
runs_are() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# ---- on-failure: 3 failures, 3 restarts, then running ----
call StartService s rs-fail >/dev/null
ct_check "on-failure: a 4th run" wait_until "$(ct_t 10)" runs_are "$CT_TMP/rs-fail.runs" 4
ct_check "on-failure: running after 3 failed runs" wait_state rs-fail active running "$(ct_t 10)"
ct_expect_eq "on-failure: 4 runs" "$(wc -l <"$CT_TMP/rs-fail.runs")" 4
ct_expect_eq "on-failure: NRestarts" "$(prop rs-fail NRestarts)" 3
ct_check "PropertiesChanged NRestarts 3" monitor_wait "$(svc_path rs-fail): .*'NRestarts': <uint32 3>" "$(ct_t 2)"
ct_expect_match "on-failure: went through auto-restart" "$(monitor_substates rs-fail)" "^auto-restart\$"
for d in $(deltas "$CT_TMP/rs-fail.runs"); do
        ct_check "on-failure: restart after >= RestartSec=$((200 * S))ms (${d} ms)" [ "$d" -ge $((200 * S - 10)) ]
        ct_check "on-failure: restart not much later than RestartSec= (${d} ms)" [ "$d" -le $((200 * S + 1000 * S)) ]
done
ct_expect_eq "on-failure: Result of the running service" "$(prop rs-fail Result)" success

# ---- on-failure does not restart a success ----
ct_expect_eq "success: StartService" "$(call StartService s rs-ok)" ""
ct_check "success: inactive/dead" wait_state rs-ok inactive dead "$(ct_t 5)"
ct_sleep_ms 500
ct_expect_eq "success: ran once" "$(wc -l <"$CT_TMP/rs-ok.runs")" 1
ct_expect_eq "success: NRestarts 0" "$(prop rs-ok NRestarts)" 0
ct_expect_eq "success: Result" "$(prop rs-ok Result)" success

# ---- RestartSteps= back-off between RestartSec= and RestartMaxDelaySec= ----
call StartService s rs-steps >/dev/null
ct_check "steps: a 6th run" wait_until "$(ct_t 20)" runs_are "$CT_TMP/rs-steps.runs" 6
ct_check "steps: running after 5 failed runs" wait_state rs-steps active running "$(ct_t 20)"
ct_expect_eq "steps: NRestarts" "$(prop rs-steps NRestarts)" 5
mapfile -t d <<<"$(deltas "$CT_TMP/rs-steps.runs")"
echo "steps: gaps between runs (ms): ${d[*]}"
ct_expect_eq "steps: 5 gaps" "${#d[@]}" 5
# systemd's back-off: RestartSec x (max/RestartSec)^(n/steps), n = restarts
# so far. A gap is the delay plus a run that fails at once and a fork: a
# little more, never less. The slack is for a loaded 2-core host.
want=(200 400 800 1600 1600)
slack=$((600 * S))
for i in "${!d[@]}"; do
        w=$((want[i] * S))
        ct_check "steps: gap $i (${d[$i]} ms) >= $((w * 9 / 10)) (RestartSteps= delay $w)" [ "${d[$i]}" -ge $((w * 9 / 10)) ]
        ct_check "steps: gap $i (${d[$i]} ms) <= $w + $slack" [ "${d[$i]}" -le $((w + slack)) ]
done
# Load only ever lengthens a gap (a loaded host made the first one 550 ms):
# the formula is unit-tested (test-service-state.c); here the first delay
# must be the short one, below the third's 800 ms.
ct_check "steps: the first gap is the shortest (${d[0]} ms < gap 2 ${d[2]} ms)" [ "${d[0]}" -lt "${d[2]}" ]
ct_check "steps: the last gap reached RestartMaxDelaySec= (${d[4]} ms >= 0.9 x 1600)" [ "${d[4]}" -ge $((1440 * S)) ]

# ---- StartLimitBurst=3: three runs, then failed/start-limit-hit ----
call StartService s rs-limit >/dev/null
ct_check "limit: failed/failed" wait_state rs-limit failed failed "$(ct_t 10)"
ct_expect_eq "limit: Result" "$(prop rs-limit Result)" start-limit-hit
ct_expect_eq "limit: exactly StartLimitBurst=3 runs" "$(wc -l <"$CT_TMP/rs-limit.runs")" 3
n=$(prop rs-limit NRestarts)
# systemd counts the restart that the limit refuses (3); 2 would count runs.
ct_expect_match "limit: NRestarts is 2 or 3" "$n" '^[23]$'
ct_sleep_ms 600
ct_expect_eq "limit: no run after start-limit-hit" "$(wc -l <"$CT_TMP/rs-limit.runs")" 3
ct_expect_eq "limit: still failed" "$(state_of rs-limit)" failed/failed
ct_check "limit: no cgroup left" [ ! -d "$CT_CGMOUNT$CT_CGROOT/rs-limit.service" ]
# Still within StartLimitIntervalSec=: a start is refused, and says so at once.
t0=$(now_ms)
out=$(bctl --timeout="$(ct_t 5)" call org.corral1 /org/corral1 org.corral1.Manager StartService s rs-limit 2>&1)
t1=$(now_ms)
ct_expect_match "limit: StartService again is refused, naming the limit" "$out" "StartLimitBurst|start limit|too often"
ct_check "limit: ... with a prompt reply ($((t1 - t0)) ms)" [ $((t1 - t0)) -lt $((2000 * S)) ]
ct_expect_eq "limit: no run for the refused start" "$(wc -l <"$CT_TMP/rs-limit.runs")" 3
# A reload with an edited unit keeps the start history, as systemd's
# daemon-reload does: here a failed service's unit is replaced at once (and
# a smaller StartLimitBurst= keeps the latest starts) ...
sed -i -e 's/^RestartSec=.*/RestartSec=150ms/' -e 's/^StartLimitBurst=.*/StartLimitBurst=2/' "$CT_UNITS/rs-limit.service"
ct_expect_eq "limit: Reload" "$(call Reload)" ""
out=$(bctl --timeout="$(ct_t 5)" call org.corral1 /org/corral1 org.corral1.Manager StartService s rs-limit 2>&1)
ct_expect_match "limit: after a Reload StartService is still refused" "$out" "StartLimitBurst|start limit|too often"
ct_expect_eq "limit: no run after the Reload" "$(wc -l <"$CT_TMP/rs-limit.runs")" 3
# ... and a running service's at its next start.
ct_expect_eq "limit: again: start 1" "$(call StartService s rs-again)" ""
ct_check "limit: again: run 1" wait_until "$(ct_t 5)" runs_are "$CT_TMP/rs-again.runs" 1
ct_expect_eq "limit: again: stop 1" "$(call StopService s rs-again)" ""
ct_expect_eq "limit: again: start 2" "$(call StartService s rs-again)" ""
ct_check "limit: again: run 2" wait_until "$(ct_t 5)" runs_are "$CT_TMP/rs-again.runs" 2
sed -i 's/^Description=.*/Description=edited/' "$CT_UNITS/rs-again.service"
ct_expect_eq "limit: again: Reload while running" "$(call Reload)" ""
ct_expect_eq "limit: again: stop 2" "$(call StopService s rs-again)" ""
out=$(call StartService s rs-again)
ct_expect_match "limit: again: a 3rd start (burst 2) after the Reload is refused" "$out" \
        "StartLimitBurst|start limit|too often"
ct_expect_eq "limit: again: 2 runs" "$(wc -l <"$CT_TMP/rs-again.runs")" 2
ct_expect_eq "on-failure: StopService" "$(call StopService s rs-fail)" ""
ct_expect_eq "on-failure: stopped by us: inactive/dead" "$(state_of rs-fail)" inactive/dead

corrald_stop
ct_finish
