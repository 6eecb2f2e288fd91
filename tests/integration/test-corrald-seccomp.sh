#!/bin/bash
# corral-test-vm: no (seccomp through corrald: no limit or link; the launcher-level test-launch-seccomp runs in the VM)
# The seccomp keys through corrald (issue 14), as the service and a D-Bus
# client see them: helper-seccomp makes the calls inside a started unit and
# writes what the kernel answered to its StandardOutput=file:.
# - SystemCallFilter=~@clock with SystemCallErrorNumber=EPERM: adjtimex()
#   fails with EPERM, uname() works (the same helper without the key gets
#   both, so the check can fail);
# - without SystemCallErrorNumber= the denied call kills the service with
#   SIGSYS: Result signal, ExecMainStatus 31, over D-Bus;
# - the filter is built once per loaded unit: three starts, one "seccomp
#   filters built" debug line; an edited file and Reload: a second one, and
#   the call the edit denies fails from then on;
# - an unknown syscall name is a FILE:LINE warning and the rest of the line
#   still applies (systemd's rule, docs/design.md "seccomp"); an unknown
#   @group is a FILE:LINE error: the unit is not loaded, and an edit of a
#   loaded unit into one changes nothing (old filter, no rebuild).
# Seccomp needs no cgroup controller: it runs on the host too.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
CT_LOG_LEVEL=debug      # the "filters built" lines are debug
T=$(ct_t 10)
OUT=$CT_TMP/out    # ct_oneshot_unit writes there
HELPER=$CT_HELPERS/helper-seccomp
[ -x "$HELPER" ] || ct_die "$HELPER is not built"
CTL=$CORRAL_BUILD/supervisor/corralctl

# sc_unit NAME KEY-LINES...: a oneshot running the helper (the calls in
# SC_CALLS: adjtimex, then uname) with its output in $OUT/NAME.
sc_unit() {
        local n=$1; shift
        # Deterministic: a SIGSYS core would make Result core-dump.
        ct_oneshot_unit "$n" "$HELPER ${SC_CALLS:-adjtimex uname}" LimitCORE=0 "$@"
}
# What NAME's helper printed at a fresh start, one line: "adjtimex:EPERM uname:ok".
run_sc() { ct_run_oneshot "$1"; }
built() { grep -c "service '$1': seccomp filters built" "$CT_TMP/corrald.log"; }
# The line of the unit file that has TEXT.
line_of() { grep -nF -- "$2" "$CT_UNITS/$1.service" | head -n 1 | cut -d: -f1; }
# corrald's log from line FROM on.
log_since() { tail -n +"$1" "$CT_TMP/corrald.log"; }
log_lines() { wc -l <"$CT_TMP/corrald.log"; }

sc_unit sc-plain
sc_unit sc-errno "SystemCallFilter=~@clock" "SystemCallErrorNumber=EPERM"
SC_CALLS="uname adjtimex" sc_unit sc-kill "SystemCallFilter=~@clock"
sc_unit sc-unknown "SystemCallFilter=~@clock nosuchcall_corral" "SystemCallErrorNumber=EPERM"
sc_unit sc-badgroup "SystemCallFilter=~@nosuchgroup_corral" "SystemCallErrorNumber=EPERM"
corrald_start

# ---- without a filter both calls work: the checks below can fail ----
ct_expect_eq "sc-plain: no filter, both calls work" "$(run_sc sc-plain)" "adjtimex:ok uname:ok"
ct_expect_eq "sc-plain: no filter built" "$(built sc-plain)" 0

# ---- 1. deny-list with SystemCallErrorNumber=EPERM ----
ct_expect_eq "sc-errno: ~@clock denies adjtimex with EPERM, uname works" "$(run_sc sc-errno)" \
        "adjtimex:EPERM uname:ok"

# ---- 2. no SystemCallErrorNumber=: SIGSYS ----
rm -f "$OUT/sc-kill"
out=$(dmgr StartService string:sc-kill)
ct_expect_eq "sc-kill: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_check "sc-kill: failed/failed" wait_state sc-kill failed failed "$T"
# One busctl for both: every process counts in the TCG VM.
ct_expect_eq "sc-kill: Result signal, ExecMainStatus SIGSYS ($(kill -l SYS))" \
        "$(bctl get-property org.corral1 "$(svc_path sc-kill)" org.corral1.Service Result ExecMainStatus 2>&1 | tr '\n' ' ')" \
        "s \"signal\" i $(kill -l SYS) "
ct_expect_eq "sc-kill: uname worked, then it died at adjtimex" "$(cat "$OUT/sc-kill" 2>&1)" "uname:ok"

# ---- 3. built once per loaded unit ----
ct_expect_eq "sc-errno: second start, same answers" "$(run_sc sc-errno)" "adjtimex:EPERM uname:ok"
ct_expect_eq "sc-errno: third start, same answers" "$(run_sc sc-errno)" "adjtimex:EPERM uname:ok"
ct_expect_eq "sc-errno: three starts, the filter built once" "$(built sc-errno)" 1
sc_unit sc-errno "SystemCallFilter=~@clock uname" "SystemCallErrorNumber=EPERM"
ct_expect_eq "Reload after the edit" "$(call Reload)" ""
ct_expect_eq "sc-errno: after Reload the edit applies: uname denied too" "$(run_sc sc-errno)" \
        "adjtimex:EPERM uname:EPERM"
ct_expect_eq "sc-errno: the filter was built again, once" "$(built sc-errno)" 2

# ---- 4. unknown names ----
line=$(line_of sc-unknown nosuchcall_corral)
ct_expect_match "sc-unknown: FILE:LINE warning in corrald's log" "$(cat "$CT_TMP/corrald.log")" \
        "$CT_UNITS/sc-unknown.service:$line: SystemCallFilter: unknown system call \"nosuchcall_corral\".*ignoring"
ct_expect_eq "sc-unknown: loaded; the rest of its line still denies adjtimex" "$(run_sc sc-unknown)" \
        "adjtimex:EPERM uname:ok"
line=$(line_of sc-badgroup nosuchgroup_corral)
ct_expect_match "sc-badgroup: FILE:LINE error in corrald's log" "$(cat "$CT_TMP/corrald.log")" \
        "$CT_UNITS/sc-badgroup.service:$line: SystemCallFilter: unknown system call group \"@nosuchgroup_corral\""
ct_expect_eq "sc-badgroup: not loaded" "$(err_name "$(dmgr GetService string:sc-badgroup)")" \
        org.corral1.Error.NoSuchService
out=$("$CTL" verify "$CT_UNITS/sc-badgroup.service" 2>&1); rc=$?
ct_expect_eq "sc-badgroup: corralctl verify exits 1" "$rc" 1
ct_expect_match "sc-badgroup: corralctl verify names FILE:LINE" "$out" \
        "sc-badgroup.service:$line: SystemCallFilter: unknown system call group"
ct_expect_match "sc-badgroup: corralctl verify says invalid" "$out" "sc-badgroup.service: invalid \\(1 error"
# A loaded unit edited into an invalid one: Reload says so, the old unit stays.
sc_unit sc-errno "SystemCallFilter=~@nosuchgroup_corral" "SystemCallErrorNumber=EPERM"
from=$(( $(log_lines) + 1 ))
ct_expect_eq "Reload with sc-errno invalid: the Reload itself succeeds" "$(call Reload)" ""
line=$(line_of sc-errno nosuchgroup_corral)
ct_expect_match "sc-errno invalid: FILE:LINE error at the Reload" "$(log_since "$from")" \
        "$CT_UNITS/sc-errno.service:$line: SystemCallFilter: unknown system call group"
ct_expect_eq "sc-errno invalid: still loaded, still the last valid filter, not rebuilt" \
        "$(run_sc sc-errno) $(built sc-errno)" "adjtimex:EPERM uname:EPERM 2"

corrald_stop
ct_finish
