#!/bin/bash
# corral-test-vm: no (bus access rules: no limit or link)
# Access (spec §4): uid 65534 gets org.freedesktop.DBus.Error.AccessDenied
# from every method that changes anything (Manager and Service objects,
# RunTransient, Reload), and nothing changes; it may read: ListServices,
# GetService, properties, GetAll, introspection. A member of corrald.conf's
# AdminGroup= (supplementary group or egid) may change things.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
# An existing local group that uid 65534 is not in, for AdminGroup=.
admin_group= admin_gid=
for g in adm staff operator; do
        if getent group "$g" >/dev/null && ! id -nG nobody 2>/dev/null | grep -qw "$g"; then
                admin_group=$g admin_gid=$(getent group "$g" | cut -d: -f3); break
        fi
done
[ -n "$admin_group" ] && CT_CONF_EXTRA=("AdminGroup=$admin_group")

ct_unit ac-web <<EOF
[Service]
ExecStart=/bin/sleep 1000
ExecReload=/bin/true
EOF
corrald_start
ct_check "ac-web: active/running" wait_state ac-web active running "$(ct_t 10)"
pid=$(prop ac-web MainPID)
nserv=$(mgr_prop NServices)
obj=$(svc_path ac-web)
AD=org.freedesktop.DBus.Error.AccessDenied

nobody_gcall() { as_nobody gdbus call --address "$CT_ADDR" --dest org.corral1 "$@" 2>&1; }
while read -r object method args; do
        out=$(eval nobody_gcall --object-path "$object" --method "$method" $args)
        ct_expect_eq "uid 65534: $method denied" "$(err_name "$out")" "$AD"
done <<EOF
/org/corral1 org.corral1.Manager.StartService "'ac-web'"
/org/corral1 org.corral1.Manager.StopService "'ac-web'"
/org/corral1 org.corral1.Manager.RestartService "'ac-web'"
/org/corral1 org.corral1.Manager.KillService "'ac-web'" 9
/org/corral1 org.corral1.Manager.FreezeService "'ac-web'"
/org/corral1 org.corral1.Manager.ThawService "'ac-web'"
/org/corral1 org.corral1.Manager.Reload
/org/corral1 org.corral1.Manager.ReloadService "'ac-web'"
/org/corral1 org.corral1.Manager.RunTransient "'ac-evil'" "['/bin/true']" "@a(sv) []"
/org/corral1 org.corral1.Manager.StartService "'ac-nonexistent'"
$obj org.corral1.Service.Start
$obj org.corral1.Service.Stop
$obj org.corral1.Service.Restart
$obj org.corral1.Service.Reload
$obj org.corral1.Service.Kill 9
$obj org.corral1.Service.Freeze
$obj org.corral1.Service.Thaw
EOF
# The same through busctl, as a user would type it.
out=$(as_nobody busctl --address="$CT_ADDR" call org.corral1 /org/corral1 org.corral1.Manager StopService s ac-web 2>&1)
ct_expect_match "uid 65534: busctl StopService fails" "$out" "needs root|[Aa]ccess|denied|[Pp]ermission"

ct_expect_eq "nothing changed: active/running" "$(state_of ac-web)" active/running
ct_expect_eq "nothing changed: same MainPID" "$(prop ac-web MainPID)" "$pid"
ct_check "nothing changed: the process lives" ct_alive "$pid"
ct_expect_eq "nothing changed: not frozen" "$(prop ac-web FreezerState)" running
ct_expect_eq "nothing changed: NServices" "$(mgr_prop NServices)" "$nserv"
ct_expect_eq "nothing changed: no ac-evil" "$(err_name "$(dmgr GetService string:ac-evil)")" org.corral1.Error.NoSuchService

out=$(as_nobody busctl --address="$CT_ADDR" call org.corral1 /org/corral1 org.corral1.Manager ListServices 2>&1)
ct_expect_match "uid 65534 may ListServices" "$out" "^a\(sssuo\) [0-9]+ .*\"ac-web\" \"active\" \"running\" $pid \"$obj\""
ct_expect_eq "uid 65534 may GetService" \
        "$(as_nobody busctl --address="$CT_ADDR" call org.corral1 /org/corral1 org.corral1.Manager GetService s ac-web 2>&1)" "o \"$obj\""
ct_expect_eq "uid 65534 may get-property" \
        "$(as_nobody busctl --address="$CT_ADDR" get-property org.corral1 "$obj" org.corral1.Service ActiveState 2>&1)" 's "active"'
ct_expect_match "uid 65534 may GetAll" \
        "$(as_nobody busctl --address="$CT_ADDR" call org.corral1 "$obj" org.freedesktop.DBus.Properties GetAll s org.corral1.Service 2>&1)" '"MainPID" u '"$pid"
ct_expect_match "uid 65534 may introspect" \
        "$(as_nobody busctl --address="$CT_ADDR" introspect org.corral1 /org/corral1 2>&1)" '\.RunTransient'
ct_expect_match "uid 65534 may read Manager properties" \
        "$(as_nobody busctl --address="$CT_ADDR" get-property org.corral1 /org/corral1 org.corral1.Manager CgroupRoot 2>&1)" "\"$CT_CGROOT\""

if [ -z "$admin_group" ]; then
        ct_fail "no local group (adm, staff, operator) to test AdminGroup= with"
else
        echo "AdminGroup=$admin_group (gid $admin_gid)"
        out=$(setpriv --reuid=65534 --regid=65534 --groups="$admin_gid" busctl --address="$CT_ADDR" \
                call org.corral1 /org/corral1 org.corral1.Manager FreezeService s ac-web 2>&1)
        ct_expect_eq "AdminGroup member (supplementary) may FreezeService" "$out" ""
        ct_expect_eq "... and it is frozen" "$(prop ac-web FreezerState)" frozen
        ct_expect_eq "... cgroup.freeze says so" "$(cat "$(cg_dir ac-web)/cgroup.freeze")" 1
        out=$(setpriv --reuid=65534 --regid="$admin_gid" --clear-groups busctl --address="$CT_ADDR" \
                call org.corral1 /org/corral1 org.corral1.Manager ThawService s ac-web 2>&1)
        ct_expect_eq "AdminGroup as egid may ThawService" "$out" ""
        ct_expect_eq "... and it runs" "$(prop ac-web FreezerState)" running
        out=$(setpriv --reuid=65534 --regid=65534 --groups="$admin_gid" busctl --address="$CT_ADDR" \
                call org.corral1 "$obj" org.corral1.Service Restart 2>&1)
        ct_expect_eq "AdminGroup member may Restart" "$out" ""
        ct_check "... a new main process" [ "$(prop ac-web MainPID)" != "$pid" ]
fi

corrald_stop
ct_finish
