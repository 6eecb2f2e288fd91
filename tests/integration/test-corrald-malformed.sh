#!/bin/bash
# corral-test-vm: no (refused bus input changes nothing: no limit is applied)
# Bad input (spec §4): an unknown service is org.corral1.Error.NoSuchService
# on every method that names one; malformed names, wrong signatures, bad
# signals and RunTransient with bad properties, types and huge values get
# a clear error (an error name and a message naming what is wrong) and
# create nothing; afterwards corrald is alive, answers, its services are
# untouched and its fd count is what it was.
. "$(dirname "$0")/corrald-lib.sh"
ct_init

ct_unit mf-web <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF
corrald_start
ct_check "mf-web: active/running" wait_state mf-web active running "$(ct_t 10)"
pid=$(prop mf-web MainPID)
nserv=$(mgr_prop NServices)
# One warm-up of each path, so lazily made things (a cached connection to
# a peer, sd-bus's creds) do not count as leaks.
dmgr GetService string:mf-nope >/dev/null
gcall /org/corral1 org.corral1.Manager.RunTransient "''" "@as []" "@a(sv) []" >/dev/null
fds_are() { [ "$(corrald_fds)" = "$1" ] || { echo "  (fds now $(corrald_fds))"; return 1; }; }
fds0=$(corrald_fds)
echo "corrald fds before: $fds0"

NS=org.corral1.Error.NoSuchService IA=org.freedesktop.DBus.Error.InvalidArgs IU=org.corral1.Error.InvalidUnit
# ---- unknown service ----
for m in GetService StartService StopService RestartService FreezeService ThawService ReloadService; do
        out=$(dmgr "$m" string:mf-nope)
        ct_expect_eq "$m of an unknown service: NoSuchService" "$(err_name "$out")" "$NS"
        ct_expect_match "$m: the message names it" "$out" "mf-nope"
done
ct_expect_eq "KillService of an unknown service: NoSuchService" "$(err_name "$(dmgr KillService string:mf-nope int32:15)")" "$NS"
ct_expect_eq "GetService mf-nope.service: NoSuchService" "$(err_name "$(dmgr GetService string:mf-nope.service)")" "$NS"
ct_expect_match "an unknown object path" \
        "$(dcall /org/corral1/service/mf_2dnope org.corral1.Service.Start)" "^Error org.freedesktop.DBus.Error.Unknown(Object|Method)"

# ---- malformed names: a clear error; systemd says InvalidArgs, spec §4 NoSuchService would do too ----
long=$(printf 'x%.0s' $(seq 65))
huge=$(head -c 100000 /dev/zero | tr '\0' a)
for n in "a/b" "" ".hidden" "-x" "a b" "a@b@c" "$long" "../../etc/passwd" "$huge" $'tab\tx' "ümlaut"; do
        out=$(dmgr StartService "string:$n")
        ct_expect_match "StartService '${n:0:20}': InvalidArgs or NoSuchService" "$(err_name "$out")" "^($IA|$NS)\$"
done

# ---- wrong signatures ----
ct_expect_eq "StartService(i): InvalidArgs" "$(err_name "$(dmgr StartService int32:3)")" "$IA"
ct_expect_eq "StartService(): InvalidArgs" "$(err_name "$(dmgr StartService)")" "$IA"
ct_expect_eq "GetService(ss): InvalidArgs" "$(err_name "$(dmgr GetService string:mf-web string:x)")" "$IA"
ct_expect_eq "KillService(s): InvalidArgs" "$(err_name "$(dmgr KillService string:mf-web)")" "$IA"
ct_expect_eq "KillService(is): InvalidArgs" "$(err_name "$(dmgr KillService int32:9 string:mf-web)")" "$IA"
ct_expect_eq "RunTransient(s): InvalidArgs" "$(err_name "$(dmgr RunTransient string:x)")" "$IA"
ct_expect_match "an unknown method" "$(err_name "$(dmgr Explode string:mf-web)")" "^org.freedesktop.DBus.Error.Unknown(Method|Interface)\$"
for sig in 0 -1 65 100000; do
        out=$(dmgr KillService string:mf-web "int32:$sig")
        ct_expect_match "KillService signal $sig: refused" "$(err_name "$out")" "^($IA|org.corral1.Error.Failed)\$"
done

# ---- RunTransient with bad properties: InvalidArgs (bus) or InvalidUnit (unit), naming the property ----
rt() { gcall /org/corral1 org.corral1.Manager.RunTransient "$@"; }
bad_rt() { # DESCRIPTION PROPERTY-NAME-IN-MESSAGE ARGS...
        local d=$1 what=$2 out; shift 2
        out=$(rt "$@")
        ct_expect_match "RunTransient $d: InvalidArgs or InvalidUnit" "$(err_name "$out")" "^($IA|$IU)\$"
        [ -n "$what" ] && ct_expect_match "RunTransient $d: the message names $what" "$out" "$what"
}
bad_rt "unknown key" Bogus "'mf-t1'" "['/bin/true']" "[('Bogus', <'x'>)]"
bad_rt "bad size" MemoryMax "'mf-t2'" "['/bin/true']" "[('MemoryMax', <'lots'>)]"
bad_rt "huge size" MemoryMax "'mf-t3'" "['/bin/true']" "[('MemoryMax', <'99999999999999999999999T'>)]"
bad_rt "CPUWeight 0" CPUWeight "'mf-t4'" "['/bin/true']" "[('CPUWeight', <'0'>)]"
bad_rt "CPUWeight 10001 as u" CPUWeight "'mf-t5'" "['/bin/true']" "[('CPUWeight', <uint32 10001>)]"
bad_rt "huge TimeoutStartSec" TimeoutStartSec "'mf-t6'" "['/bin/true']" "[('TimeoutStartSec', <'99999999999999999999999h'>)]"
bad_rt "type d" Description "'mf-t7'" "['/bin/true']" "[('Description', <1.5>)]"
bad_rt "nested variant" Description "'mf-t8'" "['/bin/true']" "[('Description', <<'x'>>)]"
bad_rt "dict value" Environment "'mf-t9'" "['/bin/true']" "[('Environment', <{'A': 'B'}>)]"
bad_rt "fd property as a string" StandardOutputFileDescriptor "'mf-t10'" "['/bin/true']" "[('StandardOutputFileDescriptor', <'1'>)]"
bad_rt "newline in a value" Description "'mf-t11'" "['/bin/true']" "[('Description', <'a\nExecStartPre=/bin/false'>)]"
bad_rt "key with =" "" "'mf-t12'" "['/bin/true']" "[('Description=x', <'y'>)]"
bad_rt "empty argv" "" "'mf-t13'" "@as []" "@a(sv) []"
bad_rt "bad name" "" "'a/b'" "['/bin/true']" "@a(sv) []"
bad_rt "template name" "" "'mf-t@'" "['/bin/true']" "@a(sv) []"
bad_rt "100 kB value" Description "'mf-t14'" "['/bin/true']" "[('Description', <'$(head -c 100000 /dev/zero | tr '\0' d)'>)]"
bad_rt "bad Type" Type "'mf-t15'" "['/bin/true']" "[('Type', <'bogus-type'>)]"
many=$(for i in $(seq 2000); do printf "('Environment', <'A%d=1'>)," "$i"; done)
bad_rt "2000 assignments" "" "'mf-t16'" "['/bin/true']" "[${many%,}]"
ct_expect_eq "RunTransient of a loaded name: refused" \
        "$(err_name "$(rt "'mf-web'" "['/bin/true']" "@a(sv) []")" | grep -c .)" 1

# ---- nothing was made, nothing broke ----
ct_check "corrald is alive" corrald_alive
ct_check "corrald answers" corrald_answers
ct_expect_eq "NServices unchanged" "$(mgr_prop NServices)" "$nserv"
ct_expect_eq "no mf-t* service appeared" "$(call ListServices | grep -o '"mf-t[0-9]*"' | tr '\n' ' ')" ""
ct_expect_eq "no cgroup for a refused transient" "$(ct_cgroup_tree | grep -c mf-t)" 0
ct_expect_eq "mf-web untouched" "$(state_of mf-web) $(prop mf-web MainPID)" "active/running $pid"
ct_check "corrald's fd count is unchanged ($fds0)" wait_until "$(ct_t 2)" fds_are "$fds0"
corrald_stop
ct_finish
