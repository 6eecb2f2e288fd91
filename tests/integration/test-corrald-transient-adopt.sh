#!/bin/bash
# Transient units survive a restart of corrald (spec §3, §4; issue 11), as
# systemd's /run/systemd/transient: RunTransient writes
# RUNTIME/transient/NAME.service. After kill -9 of corrald the next one
# finds a running transient (GetService) with the same MainPID, active/
# running, its Description and MemoryMax, its argv exactly (spaces,
# quotes, $, %, backslashes: a Restart runs exactly that argv from the
# file read back), its cgroup kept, not started twice (a run counter);
# SIGHUP keeps it; when it ends it lingers until its result is
# read, then goes with its file. One that exits 5 while corrald is down is
# failed/exit-code with ExecMainStatus 5 and lingers; one that had ended
# before the kill (nothing runs) is removed with its file. SIGTERM leaves no
# file in RUNTIME/transient.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
corrald_start
monitor_start
T=$(ct_t 10)
TDIR=$CT_RUN/transient

# sh -c SCRIPT DIR/NAME ARGS...: counts its runs, records its argv, then
# waits on its gate and exits with the code written into it.
script='echo run >>"$0.count"; printf "%s\n" "$@" >"$0.args"; read x <"$0.gate"; exit "$x"'
# $VAR expansion applies to RunTransient's argv at its start (as systemd's
# ExecStart= from the bus): '$$x ${NOPE}y' reaches the process as '$x y'.
nasty=('a b' ' lead' 'q"uote' "it's" '$$x ${NOPE}y' '100%' '%n %i %%' 'back\slash' 'tab	x' ';' '\;' '#x' 'end\' '')
want=('a b' ' lead' 'q"uote' "it's" '$x y' '100%' '%n %i %%' 'back\slash' 'tab	x' ';' '\;' '#x' 'end\' '')
# busctl, with "--" so that argv elements such as -c are no options.
rt() { bctl --timeout="$CT_CALL_TIMEOUT" call -- org.corral1 /org/corral1 org.corral1.Manager RunTransient 'sasa(sv)' "$@" 2>&1; }
run_gated() { # NAME MORE-PROPERTIES-COUNT PROPERTIES...
        local n=$1 k=$2; shift 2
        mkfifo "$CT_TMP/$n.gate"
        rt "$n" $((4 + ${#nasty[@]})) /bin/sh -c "$script" "$CT_TMP/$n" "${nasty[@]}" \
                "$k" "$@"
}
gate() { timeout "$T" sh -c "echo $2 >'$CT_TMP/$1.gate'" || echo "($1 did not open its gate)"; }

out=$(run_gated ta-run 2 MemoryMax s 32M Description s 'transient "adopt" 100%')
ct_expect_eq "RunTransient ta-run" "$out" "o \"$(svc_path ta-run)\""
run_gated ta-five 0 >/dev/null
rt ta-done 1 /bin/true 0 >/dev/null
ct_check "ta-run runs" wait_state ta-run active running "$T"
ct_check "ta-five runs" wait_state ta-five active running "$T"
ct_check "ta-done ends (and lingers, unread)" monitor_wait "$(svc_path ta-done): .*'ActiveState': <'inactive'>" "$T"
ct_check "ta-run recorded its argv" wait_until "$T" test -s "$CT_TMP/ta-run.args"
ct_check "its unit file RUNTIME/transient/ta-run.service" [ -f "$TDIR/ta-run.service" ]
ct_expect_match "... with MemoryMax= in [Service]" "$(sed -n '/^\[Service\]/,/^\[/p' "$TDIR/ta-run.service")" "^MemoryMax=32M$"
ct_expect_eq "the argv as it reached the process" "$(cat "$CT_TMP/ta-run.args")" "$(printf '%s\n' "${want[@]}")"
pid=$(prop ta-run MainPID) start=$(ct_starttime "$pid") cg=$(cg_dir ta-run)
five_cg=$(cg_dir ta-five)
ct_check "MainPID $pid is in its cgroup" grep -qx "$pid" "$cg/cgroup.procs"

corrald_kill9
# ta-five's main process exits 5 while no corrald watches; its init
# records that and exits: its cgroup empties.
gate ta-five 5
ct_check "ta-five's cgroup empties while corrald is down" wait_until "$T" sh -c "[ -z \"\$(cat '$five_cg/cgroup.procs')\" ]"
ct_check "ta-run lives on while corrald is down" ct_alive "$pid"
corrald_start

# ---- the running one: adopted ----
ct_expect_eq "GetService ta-run after the restart" "$(call GetService s ta-run)" "o \"$(svc_path ta-run)\""
ct_expect_eq "same MainPID" "$(prop ta-run MainPID)" "$pid"
ct_expect_eq "... the same process (start time)" "$(ct_starttime "$pid")" "$start"
ct_expect_eq "active/running" "$(state_of ta-run)" active/running
ct_expect_eq "NRestarts 0" "$(prop ta-run NRestarts)" 0
ct_expect_eq "Description intact" "$(prop ta-run Description)" 'transient \"adopt\" 100%'
ct_expect_eq "UnitPath still empty (a transient unit)" "$(prop ta-run UnitPath)" ""
if [ "$CT_WHERE" = vm ]; then
        ct_expect_eq "MemoryMax on the bus" "$(prop ta-run MemoryMax)" 33554432
        ct_expect_eq "memory.max of its cgroup" "$(cat "$cg/memory.max")" 33554432
fi
ct_expect_eq "its cgroup kept" "$(prop ta-run CgroupPath)" "${cg#"$CT_CGMOUNT"}"
ct_check "... still holding MainPID" grep -qx "$pid" "$cg/cgroup.procs"
ct_sleep_ms 500
ct_expect_eq "not started twice (one run)" "$(wc -l <"$CT_TMP/ta-run.count")" 1
ct_expect_eq "one ta-run in ListServices" "$(call ListServices | grep -o '"ta-run"' | wc -l)" 1

kill -HUP "$CT_PID"
ct_sleep_ms 500
ct_expect_eq "SIGHUP (Reload) keeps it: GetService" "$(call GetService s ta-run)" "o \"$(svc_path ta-run)\""
ct_expect_eq "... still active/running, same MainPID" "$(state_of ta-run) $(prop ta-run MainPID)" "active/running $pid"
ct_check "... and its file" [ -f "$TDIR/ta-run.service" ]

# What the new corrald read back from the file runs the same argv: a
# Restart launches it from there.
rm -f "$CT_TMP/ta-run.args"
ct_expect_eq "Restart of the re-loaded ta-run" "$(svc_call ta-run Restart)" ""
ct_check "it runs again" wait_state ta-run active running "$T"
ct_check "... and records its argv" wait_until "$T" test -s "$CT_TMP/ta-run.args"
ct_expect_eq "exactly the argv RunTransient was given" "$(cat "$CT_TMP/ta-run.args")" "$(printf '%s\n' "${want[@]}")"
ct_expect_eq "a second run: the Restart's" "$(wc -l <"$CT_TMP/ta-run.count")" 2

# ---- the one that exited 5 while corrald was down: failed, lingers ----
ct_expect_eq "GetService ta-five" "$(call GetService s ta-five)" "o \"$(svc_path ta-five)\""
ct_check "ta-five failed (SubState)" wait_prop ta-five SubState failed "$T"
ct_expect_eq "ExecMainStatus 5" "$(prop ta-five ExecMainStatus)" 5
ct_expect_eq "not started again (one run)" "$(wc -l <"$CT_TMP/ta-five.count")" 1
ct_sleep_ms 500
ct_expect_eq "it lingers until its result is read" "$(call GetService s ta-five)" "o \"$(svc_path ta-five)\""
ct_check "... with its file" [ -f "$TDIR/ta-five.service" ]
ct_expect_eq "Result exit-code (the read)" "$(prop ta-five Result)" exit-code
ct_check "then ServiceRemoved ta-five" monitor_wait "ServiceRemoved \('ta-five'" "$T"
ct_check "... and its file is gone" wait_until "$T" test ! -e "$TDIR/ta-five.service"

# ---- the one that had ended before the kill: nothing runs, removed ----
ct_expect_eq "ta-done: NoSuchService" "$(err_name "$(dmgr GetService string:ta-done)")" org.corral1.Error.NoSuchService
ct_check "... and its file is gone" [ ! -e "$TDIR/ta-done.service" ]

# ---- the adopted one ends, lingers, is read, goes ----
gate ta-run 0
ct_check "ta-run ends (PropertiesChanged inactive)" monitor_wait "$(svc_path ta-run): .*'ActiveState': <'inactive'>" "$T"
ct_sleep_ms 500
ct_expect_eq "it lingers until its result is read" "$(call GetService s ta-run)" "o \"$(svc_path ta-run)\""
ct_expect_eq "SubState dead, ExecMainStatus 0" "$(prop ta-run SubState) $(prop ta-run ExecMainStatus)" "dead 0"
ct_expect_eq "Result success (the read)" "$(prop ta-run Result)" success
ct_check "then ServiceRemoved ta-run" monitor_wait "ServiceRemoved \('ta-run'" "$T"
ct_check "... its file is gone" wait_until "$T" test ! -e "$TDIR/ta-run.service"
ct_check "... and its cgroup" wait_until "$T" test ! -d "$cg"
ct_expect_eq "still two runs of it" "$(wc -l <"$CT_TMP/ta-run.count")" 2

# ---- SIGTERM: no transient file outlives corrald ----
rt ta-last 2 /bin/sleep 1000 0 >/dev/null
ct_check "ta-last runs" wait_state ta-last active running "$T"
last=$(prop ta-last MainPID)
ct_check "its file" [ -f "$TDIR/ta-last.service" ]
corrald_stop
ct_expect_eq "RUNTIME/transient is empty after SIGTERM" "$(ls -A "$TDIR")" ""
ct_check "ta-last was stopped" not_alive "$last"
ct_finish
