#!/bin/bash
# corral-test-vm: no (Warnings come from limits this hybrid host cannot enforce)
# Warnings under UnenforceableLimits=warn: services with the same limits
# show the same lines, one with other limits its own. corrald keeps one
# counted copy of each distinct list for all the services that have it
# (supervisor/service.c: WarningList), so each service's list must stay
# its own through a restart of another, the removal of another (its file
# gone, Reload) and its own restart; corrald's SIGTERM frees the
# rest (the sanitized build checks that).
. "$(dirname "$0")/corrald-lib.sh"
ct_init
ctl=$(cat "$CT_CGMOUNT/cgroup.controllers" 2>/dev/null)
case " $ctl " in *" memory "*" pids "*|*" pids "*" memory "*)
        ct_skip "memory and pids are on cgroup2 here: MemoryMax= and TasksMax= are enforced, no Warnings";;
esac
T=$(ct_t 10)
for n in wn-a wn-b; do
        ct_unit $n <<EOF
[Service]
ExecStart=/bin/sleep 1000
MemoryMax=64M
TasksMax=16
EOF
done
ct_unit wn-c <<EOF
[Service]
ExecStart=/bin/sleep 1000
MemoryMax=64M
EOF
corrald_start
for n in wn-a wn-b wn-c; do ct_check "$n runs" wait_state $n active running "$T"; done

two=$(prop wn-a Warnings)
ct_expect_match "wn-a: MemoryMax= and TasksMax= not enforced" "$two" \
        '^2 "MemoryMax= is not enforced: [^"]+" "TasksMax= is not enforced: [^"]+"$'
ct_expect_eq "wn-b: the same lines" "$(prop wn-b Warnings)" "$two"
one=$(prop wn-c Warnings)
ct_expect_match "wn-c: MemoryMax= only" "$one" '^1 "MemoryMax= is not enforced: [^"]+"$'

ct_expect_eq "RestartService wn-a" "$(call RestartService s wn-a)" ""
ct_check "wn-a runs again" wait_state wn-a active running "$T"
ct_expect_eq "wn-a after its restart: the same lines" "$(prop wn-a Warnings)" "$two"
ct_expect_eq "wn-b after wn-a's restart: unchanged" "$(prop wn-b Warnings)" "$two"

rm -f "$CT_UNITS/wn-a.service"
ct_expect_eq "Reload after wn-a's file went" "$(call Reload)" ""
# A running service whose file went is 'not loaded' for StopService:
# Reload stops it and removes it once stopped.
gone() { [ "$(err_name "$(dmgr GetService string:wn-a)")" = org.corral1.Error.NoSuchService ]; }
ct_check "wn-a is removed" wait_until "$T" gone
ct_expect_eq "wn-b after wn-a's removal: unchanged" "$(prop wn-b Warnings)" "$two"
ct_expect_eq "wn-c after wn-a's removal: unchanged" "$(prop wn-c Warnings)" "$one"

ct_expect_eq "RestartService wn-b" "$(call RestartService s wn-b)" ""
ct_check "wn-b runs again" wait_state wn-b active running "$T"
ct_expect_eq "wn-b after its restart: the same lines" "$(prop wn-b Warnings)" "$two"
ct_expect_eq "wn-c: unchanged" "$(prop wn-c Warnings)" "$one"

corrald_stop
ct_finish
