#!/bin/bash
# corral-test-vm: no (joins namespaces the test made: no limit or link)
# JoinsNamespaceOf=OTHER (spec §2, systemd semantics) through corrald: the
# service, and its ExecStartPre=, run in OTHER's network, IPC and /tmp
# namespaces (the same /proc/PID/ns links, OTHER's file in /tmp), not the
# host's; its start waits for OTHER's, even started together; with OTHER not
# running the start fails, naming OTHER.
. "$(dirname "$0")/corrald-lib.sh"
ct_init

ct_unit jn-a <<EOF
[Service]
PrivateNetwork=yes
PrivateIPC=yes
PrivateTmp=yes
ExecStart=/bin/sh -c "echo from-a >/tmp/a-was-here; exec sleep 1000"
EOF
# Started with jn-a at corrald's start, no After=: it still waits for jn-a.
# Its output goes to its log: $CT_TMP is under the host's /tmp, which a
# PrivateTmp= service does not see.
# (corral: JoinsNamespaceOf= instead of PrivateNetwork=/PrivateIPC=, not
# with; PrivateTmp=yes then means OTHER's /tmp, as systemd.)
ct_unit jn-b <<EOF
[Unit]
JoinsNamespaceOf=jn-a.service
[Service]
PrivateTmp=yes
ExecStartPre=/bin/sh -c "echo pre \$(readlink /proc/self/ns/net)"
ExecStart=/bin/sh -c "echo saw \$(cat /tmp/a-was-here); exec sleep 1000"
EOF
ct_unit jn-off <<EOF
[Unit]
AutoStart=no
[Service]
PrivateNetwork=yes
ExecStart=/bin/sleep 1000
EOF
ct_unit jn-lone <<EOF
[Unit]
AutoStart=no
JoinsNamespaceOf=jn-off
[Service]
ExecStart=/bin/sh -c "touch $CT_TMP/lone.ran; exec sleep 1000"
EOF

ns_of() { readlink "/proc/$1/ns/$2"; }
T=$(ct_t 10)
corrald_start
for n in jn-a jn-b; do ct_check "$n: active/running" wait_state "$n" active running "$T"; done
pa=$(prop jn-a MainPID) pb=$(prop jn-b MainPID)
for t in net ipc; do
        ct_expect_eq "jn-b is in jn-a's $t namespace" "$(ns_of "$pb" $t)" "$(ns_of "$pa" $t)"
done
ct_check "... which is not the host's network" [ "$(ns_of "$pa" net)" != "$(ns_of $$ net)" ]
blog=$(prop jn-b LogPath)
ct_check "jn-b reads jn-a's /tmp" wait_until "$T" grep -q " saw from-a\$" "$blog"
ct_check "jn-b's ExecStartPre= ran in jn-a's network" grep -qF " pre $(ns_of "$pa" net)" "$blog"

out=$(dmgr StartService string:jn-lone)
ct_expect_eq "jn-lone (OTHER not running): StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_match "... naming OTHER" "$out" "JoinsNamespaceOf=jn-off.*not running"
ct_expect_eq "jn-lone: failed" "$(prop jn-lone ActiveState)" failed
ct_check "jn-lone never ran" [ ! -e "$CT_TMP/lone.ran" ]

ct_expect_eq "StartService jn-off" "$(call StartService s jn-off)" ""
ct_expect_eq "StartService jn-lone once OTHER runs" "$(call StartService s jn-lone)" ""
ct_expect_eq "jn-lone is in jn-off's network" "$(ns_of "$(prop jn-lone MainPID)" net)" \
        "$(ns_of "$(prop jn-off MainPID)" net)"

# PrivateTmp= goes with the run (systemd: fresh at each start), but not
# while a service that joined it runs.
ptmp=$CT_RUN/private-tmp/jn-a
ct_check "jn-a's private /tmp is in corrald's runtime dir" [ -f "$ptmp/tmp/a-was-here" ]
ct_expect_eq "StopService jn-a" "$(call StopService s jn-a)" ""
ct_check "jn-a stopped, jn-b (joined) runs: the /tmp stays" [ -f "$ptmp/tmp/a-was-here" ]
ct_expect_eq "StopService jn-b" "$(call StopService s jn-b)" ""
ct_check "both stopped: jn-a's private /tmp is gone" [ ! -e "$ptmp" ]
ct_expect_eq "StartService jn-a again" "$(call StartService s jn-a)" ""
ct_check "jn-a runs again, with a fresh /tmp" wait_until "$T" [ -f "$ptmp/tmp/a-was-here" ]
ct_expect_eq "... only its own file" "$(ls -A "$ptmp/tmp")" a-was-here

corrald_stop
ct_check "corrald stopped: no private /tmp left" [ ! -e "$ptmp" ]
ct_finish
