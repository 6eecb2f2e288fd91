#!/bin/bash
# RunTransient (spec §4) through gdbus with a(sv) properties: the unit
# appears (ServiceNew, GetService, ListServices) with its properties
# (Description, MemoryMax: in memory.max in the VM, a warning on this host),
# runs (its output in its log), ends, and lingers until a client reads its
# result (a get of Result), then goes (ServiceRemoved, NoSuchService); an
# unnamed one is called run-N; a failing one shows exit-code and its status.
# CORRAL_TEST_LINGER=1 also waits for the 60 s removal of an unread one.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
corrald_start
monitor_start
T=$(ct_t 10)
rt() { gcall /org/corral1 org.corral1.Manager.RunTransient "$@"; }

# ---- a named transient with MemoryMax ----
# It runs until the test opens its gate: however slow the machine, the
# checks below see it running.
mkfifo "$CT_TMP/tr-one.gate"
out=$(rt "'tr-one'" "['/bin/sh', '-c', 'echo transient says hi; read x <$CT_TMP/tr-one.gate']" \
        "[('MemoryMax', <'32M'>), ('Description', <'transient test'>)]")
obj=$(svc_path tr-one)
ct_expect_eq "RunTransient returns the object path" "$out" "(objectpath '$obj',)"
ct_check "ServiceNew tr-one" monitor_wait "ServiceNew \('tr-one', objectpath '$obj'\)" "$T"
ct_expect_eq "GetService tr-one" "$(call GetService s tr-one)" "o \"$obj\""
ct_expect_match "ListServices lists it" "$(call ListServices)" "\"tr-one\" \"(activating|active)\""
ct_expect_eq "Description from a property" "$(prop tr-one Description)" "transient test"
ct_expect_eq "UnitPath of a transient is empty" "$(prop tr-one UnitPath)" ""
ct_check "it runs: active/running" wait_state tr-one active running "$T"
ct_expect_match "its MainPID is in its cgroup" "$(cg_procs tr-one)" "^$(prop tr-one MainPID)\$"
if [ "$CT_WHERE" = vm ]; then
        ct_expect_eq "memory.max of its cgroup" "$(cat "$(cg_dir tr-one)/memory.max")" 33554432
        ct_expect_eq "MemoryMax on the bus" "$(prop tr-one MemoryMax)" 33554432
else
        ct_expect_match "host: MemoryMax= cannot be enforced: in Warnings" "$(prop tr-one Warnings)" "MemoryMax|memory"
fi
ct_check "its output reaches its log" wait_until "$T" grep -qs "transient says hi" "$(prop tr-one LogPath)"
timeout "$T" sh -c "echo go >'$CT_TMP/tr-one.gate'" || echo "(tr-one did not open its gate)"
# Ended: seen through the signal only; a get of ActiveState or Result
# would be the read of the result after which it may go.
ct_check "it ends (PropertiesChanged inactive)" monitor_wait "$obj: .*'ActiveState': <'inactive'>" "$(ct_t 15)"
ct_sleep_ms 500
ct_expect_eq "it lingers until its result is read (GetService)" "$(call GetService s tr-one)" "o \"$obj\""
ct_expect_eq "SubState dead (not a read of the result)" "$(prop tr-one SubState)" dead
# A GetAll (corralctl list/status/top read every unit so) is no read of the
# result either: only a Get of ActiveState or Result is.
ct_expect_match "GetAll of the ended unit answers" \
        "$(gcall "$obj" org.freedesktop.DBus.Properties.GetAll "'org.corral1.Service'")" "'Result': <'success'>"
ct_sleep_ms 300
ct_expect_eq "after a GetAll it still lingers" "$(call GetService s tr-one)" "o \"$obj\""
ct_expect_match "LogPath stays once it ended: the file is still there" "$(prop tr-one LogPath)" "/tr-one\.log\$"
ct_expect_eq "ExecMainStatus 0" "$(prop tr-one ExecMainStatus)" 0
ct_expect_eq "Result success (the read)" "$(prop tr-one Result)" success
ct_check "then ServiceRemoved" monitor_wait "ServiceRemoved \('tr-one', objectpath '$obj'\)" "$T"
ct_expect_eq "then GetService: NoSuchService" "$(err_name "$(dmgr GetService string:tr-one)")" org.corral1.Error.NoSuchService
ct_check "and its cgroup is gone" [ ! -d "$CT_CGMOUNT$CT_CGROOT/tr-one.service" ]

# ---- unnamed, failing ----
out=$(rt "''" "['/bin/sh', '-c', 'exit 3']" "@a(sv) []")
obj=$(sed -nE "s/^\(objectpath '(.*)',\)\$/\1/p" <<<"$out")
name=$(bctl get-property org.corral1 "$obj" org.corral1.Service Name 2>&1 | sed -nE 's/^s "(.*)"$/\1/p')
ct_expect_match "an unnamed transient is run-N" "$name" '^run-[0-9]+$'
ct_expect_eq "... at the escaped path" "$obj" "$(svc_path "$name")"
ct_check "it fails (PropertiesChanged failed)" monitor_wait "$obj: .*'ActiveState': <'failed'>" "$T"
ct_expect_eq "ExecMainStatus 3" "$(prop "$name" ExecMainStatus)" 3
ct_expect_eq "Result exit-code (the read)" "$(prop "$name" Result)" exit-code
ct_check "then it goes" monitor_wait "ServiceRemoved \('$name'" "$T"

# ---- unread: removed 60 s after it ended ----
if [ "${CORRAL_TEST_LINGER:-}" = 1 ]; then
        rt "'tr-unread'" "['/bin/true']" "@a(sv) []" >/dev/null
        ct_check "tr-unread ends" monitor_wait "$(svc_path tr-unread): .*'ActiveState': <'inactive'>" "$T"
        t0=$(now_ms)
        sleep 50
        ct_expect_eq "tr-unread still there after 50 s" "$(call GetService s tr-unread)" "o \"$(svc_path tr-unread)\""
        ct_check "tr-unread removed about 60 s after it ended" monitor_wait "ServiceRemoved \('tr-unread'" 20
        ct_check "... not before 59 s ($(( $(now_ms) - t0 )) ms)" [ $(( $(now_ms) - t0 )) -ge 59000 ]
else
        echo "(the 60 s removal of an unread transient: CORRAL_TEST_LINGER=1)"
fi

corrald_stop
ct_finish
