#!/bin/bash
# corral-test-vm: no (a fake core: no cgroup, namespace or limit)
# The D-Bus layer (supervisor/bus*.c, spec §4) on a fake core
# (fake-manager.c, helper-bus-daemon.c), on a private broker started by the
# bus code itself in a test-owned runtime dir. Asserts what clients see:
# busctl/gdbus/dbus-send output, error names, signals on the bus, the
# broker process and the daemon's fd table.
set -u

B=$CORRAL_BUILD/tests/integration
DAEMON=$B/helper-bus-daemon
CLIENT=$B/helper-bus-client
for t in dbus-daemon busctl gdbus dbus-send setpriv; do
        command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (setpriv to uid 65534)"; exit 77; }

T=$(mktemp -d /tmp/corral-test-bus.XXXXXX)
chmod 755 "$T"          # uid 65534 must reach the socket
export CORRAL_BUS_CONFIG=$CORRAL_SRC/supervisor/corral-bus.conf
A=unix:path=$T/bus
DPID= MONPID= BROKER=
failures=0 checks=0

cleanup() {
        [ -n "$MONPID" ] && kill "$MONPID" 2>/dev/null
        [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null
        # The broker is ours (started by our daemon in $T): stop it by its pid.
        [ -f "$T/bus.pid" ] && kill "$(cut -d' ' -f1 "$T/bus.pid")" 2>/dev/null
        [ -n "$BROKER" ] && kill "$BROKER" 2>/dev/null
        if [ "$failures" -gt 0 ] && [ -f "$T/daemon.log" ]; then
                echo "--- daemon.log:"; tail -n 30 "$T/daemon.log"
        fi
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

ok() { checks=$((checks + 1)); echo "ok   $*"; }
fail() { checks=$((checks + 1)); failures=$((failures + 1)); echo "FAIL $*"; }
check() { # DESCRIPTION COMMAND...
        local d=$1; shift
        if "$@"; then ok "$d"; else fail "$d"; fi
}
# expect_eq DESCRIPTION GOT WANT
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', want '$3'"; fi; }
# expect_has DESCRIPTION TEXT PATTERN (grep -E)
expect_has() { if grep -qE -- "$3" <<<"$2"; then ok "$1"; else fail "$1: '$3' not in: $(head -c 600 <<<"$2")"; fi; }

bctl() { busctl --address="$A" "$@"; }
mgr() { bctl call org.corral1 /org/corral1 org.corral1.Manager "$@" 2>&1; }
svc_path() { echo "/org/corral1/service/$1"; }
prop() { bctl get-property org.corral1 "$(svc_path "$1")" org.corral1.Service "$2" 2>&1; }
# dbus-send prints the error name: "Error org.corral1.Error.NoSuchService: ..."
dsend() { dbus-send --bus="$A" --print-reply --dest=org.corral1 "$@" 2>&1; }
dmgr() { local m=$1; shift; dsend /org/corral1 "org.corral1.Manager.$m" "$@"; }
# helper-bus-client's stdout goes to the daemon as a RunTransient fd: a file,
# not a pipe, so that an fd the daemon leaks cannot hang the test.
client() { timeout 30 "$CLIENT" "$A" "$@" >"$T/client.out" 2>&1; cat "$T/client.out"; }
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

start_daemon() { # [ARGS...]: starts $DAEMON, waits for READY
        local line=
        rm -f "$T/ready"
        mkfifo "$T/ready"
        exec 3<>"$T/ready"
        "$DAEMON" "$@" "$T" >&3 2>>"$T/daemon.log" &
        DPID=$!
        read -r -t 20 line <&3
        exec 3>&-
        [ "$line" = READY ]
}

not() { ! "$@"; }
wait_for_prop() { # LABEL PROPERTY VALUE: up to 10 s
        for _ in $(seq 200); do
                [ "$(prop "$1" "$2")" = "s $3" ] && return 0
                sleep 0.05
        done
        return 1
}
# A transient ends by itself; a get of ActiveState once it is inactive is
# the read of its result after which it goes.
reap_transient() { # OBJECT
        for _ in $(seq 200); do
                [ "$(bctl get-property org.corral1 "$1" org.corral1.Service ActiveState 2>/dev/null)" = 's "inactive"' ] && return
                sleep 0.05
        done
}
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
alive() { [ -d "/proc/$1" ] && ! grep -q '^[^)]*) Z' "/proc/$1/stat" 2>/dev/null; }

# ---- 1. the broker ----
check "daemon 1 starts on a private broker it starts" start_daemon
BROKER=$(cut -d' ' -f1 "$T/bus.pid" 2>/dev/null)
expect_eq "bus.pid names a dbus-daemon" "$(cat /proc/$BROKER/comm 2>/dev/null)" dbus-daemon
expect_eq "bus.pid records its start time" "$(cut -d' ' -f2 "$T/bus.pid")" \
        "$(sed 's/^.*) //' /proc/$BROKER/stat | cut -d' ' -f20)"
expect_eq "the broker leads its own session" "$(sed 's/^.*) //' /proc/$BROKER/stat | cut -d' ' -f4)" "$BROKER"
expect_has "the broker runs with an empty signal mask" "$(grep SigBlk /proc/$BROKER/status)" '0{16}$'
expect_eq "socket is world-connectable" "$(stat -c %a "$T/bus")" 666

# ---- 2. objects ----
tree=$(bctl tree org.corral1 2>&1)
for p in /org/corral1 /org/corral1/service/web /org/corral1/service/web_2d1 \
         /org/corral1/service/worker_403 /org/corral1/service/broken; do
        expect_has "busctl tree lists $p" "$tree" "─$p\$"
done
intro=$(bctl introspect org.corral1 /org/corral1 org.corral1.Manager 2>&1)
for m in "ListServices method - a(sssuo)" "GetService method s o" "StartService method s -" \
         "StopService method s -" "RestartService method s -" "KillService method si -" \
         "FreezeService method s -" "ThawService method s -" "Reload method - -" \
         "ReloadService method s -" "RunTransient method sasa(sv) o" \
         "ServiceNew signal so -" "ServiceRemoved signal so -" \
         "Version property s" "CgroupRoot property s" "Controllers property as" "NServices property u"; do
        set -- $m
        got=$(awk -v n=".$1" '$1 == n { print $2, $3, ($2 == "property" ? "" : $4) }' <<<"$intro" | sed 's/ $//')
        want="$2 $3${4:+ $4}"
        expect_eq "Manager introspection: $1" "$got" "$want"
done
intro=$(bctl introspect org.corral1 /org/corral1/service/web_2d1 org.corral1.Service 2>&1)
for m in "Start -" "Stop -" "Restart -" "Reload -" "Kill i" "Freeze -" "Thaw -"; do
        set -- $m
        expect_eq "Service introspection: $1" "$(awk -v n=".$1" '$1 == n { print $2, $3 }' <<<"$intro")" "method $2"
done
for p in ActiveState SubState Result MainPID NRestarts FreezerState StatusText; do
        expect_has "$p emits PropertiesChanged" "$(grep "^\.$p " <<<"$intro")" 'emits-change$'
done
expect_has "busctl introspect of an unknown label fails" \
        "$(bctl introspect org.corral1 /org/corral1/service/nope org.corral1.Service 2>&1)" "Unknown object|unknown object"

# ---- 3. properties ----
v=$(sed -n "s/^ *version : '\(.*\)',/\1/p" "$CORRAL_SRC/meson.build")
expect_eq "Version" "$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager Version)" "s \"$v\""
expect_eq "CgroupRoot" "$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager CgroupRoot)" 's "/corral"'
expect_eq "Controllers" "$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager Controllers)" \
        'as 3 "cpu" "memory" "pids"'
expect_eq "NServices" "$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager NServices)" 'u 4'
for pt in Name:s Description:s UnitPath:s ActiveState:s SubState:s FreezerState:s Result:s MainPID:u \
          ExecMainStatus:i NRestarts:u ActiveEnterTimestamp:t InactiveEnterTimestamp:t CgroupPath:s \
          MemoryCurrent:t MemoryPeak:t MemoryMax:t MemoryHigh:t CPUUsageNSec:t CPUQuotaPerSecUSec:t \
          TasksCurrent:t TasksMax:t IOReadBytes:t IOWriteBytes:t OOMKills:u CPUPressure:d \
          MemoryPressure:d IOPressure:d Namespaces:as 'NamespaceIds:a(st)' Hostname:s IPAddress:s \
          LogPath:s StatusText:s Warnings:as; do
        p=${pt%%:*} t=${pt#*:}
        got=$(prop web_2d1 "$p")
        expect_eq "web-1 $p has type $t" "${got%% *}" "$t"
done
expect_eq "Name" "$(prop web_2d1 Name)" 's "web-1"'
expect_eq "MainPID is the fake's main process" "$(prop web_2d1 MainPID)" "u $DPID"
expect_eq "IPAddress" "$(prop web_2d1 IPAddress)" 's "10.89.0.2"'
expect_eq "Namespaces" "$(prop web_2d1 Namespaces)" 'as 2 "pid" "net"'
expect_eq "counters are read (MemoryCurrent)" "$(prop web_2d1 MemoryCurrent)" 't 12345678'
expect_eq "CPUUsageNSec is ns" "$(prop web_2d1 CPUUsageNSec)" 't 1500000'
expect_eq "MemoryPressure" "$(prop web_2d1 MemoryPressure)" 'd 1.25'
expect_has "Warnings" "$(prop web_2d1 Warnings)" '^as 1 "MemoryMax=1G'
nsids=$(prop web_2d1 NamespaceIds)
for ns in net mnt pid_for_children user; do
        ino=$(readlink /proc/$DPID/ns/$ns | sed 's/.*\[\(.*\)\]/\1/')
        expect_has "NamespaceIds: $ns is /proc/MainPID/ns/$ns" "$nsids" "\"$ns\" $ino( |\$)"
done
expect_eq "not running: MemoryMax from the unit" "$(prop worker_403 MemoryMax)" 't 1048576'
expect_eq "not running: TasksMax from the unit" "$(prop worker_403 TasksMax)" 't 100'
expect_eq "not running: MemoryCurrent unknown" "$(prop worker_403 MemoryCurrent)" 't 18446744073709551615'
expect_eq "not running: CPUPressure -1" "$(prop worker_403 CPUPressure)" 'd -1'
expect_eq "not running: NamespaceIds empty" "$(prop worker_403 NamespaceIds)" 'a(st) 0'
expect_eq "not running: MainPID 0" "$(prop worker_403 MainPID)" 'u 0'
expect_has "GetAll works" "$(dsend /org/corral1/service/web_2d1 org.freedesktop.DBus.Properties.GetAll string:org.corral1.Service)" '"IPAddress"'

# ---- 4. Manager reads ----
expect_has "ListServices" "$(mgr ListServices)" \
        "^a\(sssuo\) 4 \"broken\" \"inactive\" \"dead\" 0 \"/org/corral1/service/broken\" .*\"web-1\" \"active\" \"running\" $DPID \"/org/corral1/service/web_2d1\""
expect_eq "GetService" "$(mgr GetService s web-1)" 'o "/org/corral1/service/web_2d1"'
expect_eq "GetService with .service" "$(mgr GetService s worker@3.service)" 'o "/org/corral1/service/worker_403"'

# ---- 5. jobs and PropertiesChanged ----
wait_for() { # FILE PATTERN: up to 10 s (test side only; the daemon never polls)
        for _ in $(seq 200); do grep -qE -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
        return 1
}
gdbus monitor --address "$A" --dest org.corral1 >"$T/monitor" 2>&1 &
MONPID=$!
check "gdbus monitor subscribed" wait_for "$T/monitor" "is owned by"

t0=$(now_ms)
out=$(mgr StartService s web)
t1=$(now_ms)
expect_eq "StartService web replies empty" "$out" ""
check "StartService replied after the job (300 ms), not at once ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge 250 ]
expect_eq "active when StartService returned" "$(prop web ActiveState)" 's "active"'
expect_eq "MainPID set when StartService returned" "$(prop web MainPID)" "u $DPID"
check "PropertiesChanged activating/start" wait_for "$T/monitor" \
        "^/org/corral1/service/web: org.freedesktop.DBus.Properties.PropertiesChanged \('org.corral1.Service', \{'ActiveState': <'activating'>, 'SubState': <'start'>\}"
check "PropertiesChanged active/running" wait_for "$T/monitor" \
        "^/org/corral1/service/web: .*PropertiesChanged .*'ActiveState': <'active'>, 'SubState': <'running'>"
check "PropertiesChanged MainPID" wait_for "$T/monitor" "^/org/corral1/service/web: .*'MainPID': <uint32 $DPID>"
expect_eq "StartService of a running service replies at once" "$(mgr StartService s web)" ""
t0=$(now_ms)
expect_eq "Service.Stop" "$(bctl call org.corral1 /org/corral1/service/web org.corral1.Service Stop 2>&1)" ""
t1=$(now_ms)
check "Stop replied after the job ($((t1 - t0)) ms)" [ $((t1 - t0)) -ge 250 ]
expect_eq "inactive when Stop returned" "$(prop web ActiveState)" 's "inactive"'
expect_eq "RestartService" "$(mgr RestartService s web-1)" ""
expect_eq "NRestarts counted" "$(prop web_2d1 NRestarts)" 'u 1'
check "PropertiesChanged NRestarts" wait_for "$T/monitor" "web_2d1: .*'NRestarts': <uint32 1>"
expect_eq "FreezeService" "$(mgr FreezeService s web-1)" ""
expect_eq "FreezerState frozen" "$(prop web_2d1 FreezerState)" 's "frozen"'
check "PropertiesChanged FreezerState" wait_for "$T/monitor" "web_2d1: .*'FreezerState': <'frozen'>"
expect_eq "Service.Thaw" "$(bctl call org.corral1 /org/corral1/service/web_2d1 org.corral1.Service Thaw 2>&1)" ""
expect_eq "FreezerState running" "$(prop web_2d1 FreezerState)" 's "running"'
expect_eq "KillService" "$(mgr KillService si web-1 15)" ""
check "PropertiesChanged StatusText (the fake records the signal)" wait_for "$T/monitor" \
        "web_2d1: .*'StatusText': <'signal 15'>"
expect_eq "Service.Kill" "$(bctl call org.corral1 /org/corral1/service/web_2d1 org.corral1.Service Kill i 10 2>&1)" ""
expect_eq "StatusText after Kill(10)" "$(prop web_2d1 StatusText)" 's "signal 10"'
expect_eq "ReloadService" "$(mgr ReloadService s web-1)" ""
expect_eq "Reload" "$(mgr Reload)" ""
check "ServiceNew on Reload" wait_for "$T/monitor" \
        "^/org/corral1: org.corral1.Manager.ServiceNew \('added', objectpath '/org/corral1/service/added'\)"
expect_eq "NServices after Reload" "$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager NServices)" 'u 5'

# ---- 6. errors ----
IA=org.freedesktop.DBus.Error.InvalidArgs
out=$(dmgr StartService string:broken)
expect_has "a failed job: Failed with the core's message" "$out" \
        "^Error org.corral1.Error.Failed: service 'broken': step 'exec': /nonexistent/broken/caf\?: No such file or directory"
expect_eq "Result after the failed start" "$(prop broken Result)" 's "exit-code"'
expect_eq "a Latin-1 Description arrives as valid UTF-8" "$(prop broken Description)" 's "caf? cr?me"'
expect_has "GetAll with it works" "$(dsend /org/corral1/service/broken org.freedesktop.DBus.Properties.GetAll string:org.corral1.Service)" 'caf\? cr\?me'
long=$(printf 'a%.0s' $(seq 79))é
expect_has "a name cut at 80 bytes inside a character" "$(dmgr GetService "string:$long")" \
        "^Error $IA: '$(printf 'a%.0s' $(seq 79))\.\.\.' is not a valid service name"
expect_has "NoSuchService (StartService)" "$(dmgr StartService string:nope)" \
        "^Error org.corral1.Error.NoSuchService: service 'nope' is not loaded"
expect_has "NoSuchService (GetService)" "$(dmgr GetService string:nope)" "^Error org.corral1.Error.NoSuchService"
expect_has "Failed for a refused job" "$(dmgr ReloadService string:web)" \
        "^Error org.corral1.Error.Failed: service 'web': not active"
expect_has "KillService of a stopped service: Failed" "$(dmgr KillService string:web int32:9)" \
        "^Error org.corral1.Error.Failed: service 'web': kill with signal 9: it has no processes"
for n in "a/b" "" ".hidden" "-x" "a@b@c" "$(printf 'x%.0s' $(seq 65))" "tab	x"; do
        expect_has "InvalidArgs for the name '$n'" "$(dmgr StartService "string:$n")" "^Error $IA: '.*' is not a valid service name"
done
expect_has "InvalidArgs: wrong signature" "$(dmgr StartService int32:3)" "^Error $IA"
expect_has "InvalidArgs: missing argument" "$(dmgr KillService string:web-1)" "^Error $IA"
expect_has "InvalidArgs: extra argument" "$(dmgr GetService string:web string:x)" "^Error $IA"
expect_has "InvalidArgs: signal 0" "$(dmgr KillService string:web-1 int32:0)" "^Error $IA: 0 is not a signal number"
expect_has "InvalidArgs: signal 65" "$(dmgr KillService string:web-1 int32:65)" "^Error $IA"
expect_has "InvalidArgs: signal -9" "$(dmgr KillService string:web-1 int32:-9)" "^Error $IA"
expect_has "InvalidArgs: huge name (1 MB)" "$(client get-huge 1000000)" "^ERROR $IA: 'a{80}\.\.\.' is not a valid"
expect_has "RunTransient: bad type 'd'" \
        "$(mgr RunTransient 'sasa(sv)' '' 1 /bin/true 1 Description d 1.5)" "property Description: type 'd' is not accepted"
expect_has "RunTransient: 'h' for another property" "$(client run-h-other)" "^ERROR $IA: RunTransient: property Description: type 'h'"
expect_has "RunTransient: fd property as a string" "$(client run-fd-string)" \
        "^ERROR $IA: RunTransient: property StandardOutputFileDescriptor must have type 'h'"
expect_has "RunTransient: fd property twice" "$(client run-fd-twice)" "^ERROR $IA: .*given twice"
expect_has "RunTransient: nested variant" "$(client run-variant-nested)" "^ERROR $IA: .*type 'a\{sv\}' is not accepted"
expect_has "RunTransient: 100 kB value" "$(client run-huge-value 100000)" "^ERROR $IA: .*value longer than 65536"
expect_has "RunTransient: 200 kB argv element" "$(client run-huge-argv 200000)" "^ERROR $IA: .*argv\[1\] is longer"
expect_has "RunTransient: 2000 assignments" "$(client run-many 2000)" "^ERROR $IA: .*more than 1024"
expect_has "RunTransient: bad name" "$(mgr RunTransient 'sasa(sv)' 'a b' 1 /bin/true 0)" "'a b' is not a valid service name"
expect_has "RunTransient: template name" "$(mgr RunTransient 'sasa(sv)' 'w@' 1 /bin/true 0)" "is a template name"
expect_has "RunTransient: empty argv" "$(mgr RunTransient 'sasa(sv)' '' 0 0)" "argv is empty"
expect_has "RunTransient: bad key" "$(mgr RunTransient 'sasa(sv)' '' 1 /bin/true 1 'Foo=' s x)" "is not a property name"
expect_has "RunTransient: newline in a value" "$(mgr RunTransient 'sasa(sv)' '' 1 /bin/true 1 Description s "$(printf 'a\nExecStart=/bin/evil')")" "contains a newline"
expect_has "RunTransient: the core refuses a key: InvalidUnit" "$(client run-bogus)" \
        "^ERROR org.corral1.Error.InvalidUnit: property 'Bogus': unknown key"
check "the daemon survived the bad input" alive "$DPID"

# ---- 7. RunTransient with the caller's stdout ----
out=$(client run-fd)
expect_has "the transient wrote to the caller's fd" "$out" "^fake transient run-[0-9]+: /bin/echo \(1 properties\)"
expect_has "RunTransient returns the object" "$out" "^OK /org/corral1/service/run_2d[0-9]+$"
out2=$(client run-typed)
expect_has "RunTransient: as, b, i, u, x, t become unit-file assignments" "$out2" \
        "\(7 properties\) \[Environment=A=1\] \[Environment=B=2 3\] \[PrivateNetwork=yes\] \[Nice=-5\] \[LogKeep=7\] \[TimeOffsetSec=-3\] \[MemoryMax=1048576\]\$"
reap_transient "$(sed -n 's/^OK //p' <<<"$out2")"
obj=$(sed -n 's/^OK //p' <<<"$out")
name=$(sed -n 's/^fake transient \(run-[0-9]*\):.*/\1/p' <<<"$out")
check "ServiceNew for the transient" wait_for "$T/monitor" "ServiceNew \('$name', objectpath '$obj'\)"
expect_eq "Description from a property" "$(bctl get-property org.corral1 "$obj" org.corral1.Service Description)" 's "fd test"'
check "the transient ends" wait_for "$T/monitor" "^$obj: .*'ActiveState': <'inactive'>"
expect_eq "reading its result" "$(bctl get-property org.corral1 "$obj" org.corral1.Service Result)" 's "success"'
check "ServiceRemoved once the result was read" wait_for "$T/monitor" "ServiceRemoved \('$name', objectpath '$obj'\)"
expect_has "then it is gone" "$(dmgr GetService "string:$name")" "^Error org.corral1.Error.NoSuchService"

# ---- 8. access ----
AD=org.freedesktop.DBus.Error.AccessDenied
web1=/org/corral1/service/web_2d1
for c in "Manager.StartService string:web" "Manager.StopService string:web-1" \
         "Manager.RestartService string:web-1" "Manager.KillService string:web-1 int32:9" \
         "Manager.FreezeService string:web-1" "Manager.ThawService string:web-1" "Manager.Reload" \
         "Manager.ReloadService string:web-1" "Manager.StartService string:nope"; do
        set -- $c
        out=$(as_nobody dbus-send --bus="$A" --print-reply --dest=org.corral1 /org/corral1 "org.corral1.$@" 2>&1)
        expect_has "uid 65534: $1 denied" "$out" "^Error $AD: ${1#Manager.} needs root or membership in corrald.conf's AdminGroup= \(caller uid 65534\)"
done
for m in Start Stop Restart Reload "Kill int32:9" Freeze Thaw; do
        set -- $m
        out=$(as_nobody dbus-send --bus="$A" --print-reply --dest=org.corral1 $web1 "org.corral1.Service.$@" 2>&1)
        expect_has "uid 65534: Service.$1 denied" "$out" "^Error $AD"
done
expect_has "uid 65534: RunTransient denied" "$(as_nobody timeout 30 "$CLIENT" "$A" run-fd </dev/null 2>&1 >"$T/nobody.out"; cat "$T/nobody.out")" "^ERROR $AD"
expect_eq "nothing changed: web-1 still active" "$(prop web_2d1 ActiveState)" 's "active"'
expect_eq "nothing changed: no restart" "$(prop web_2d1 NRestarts)" 'u 1'
expect_has "uid 65534 may ListServices" "$(as_nobody busctl --address="$A" call org.corral1 /org/corral1 org.corral1.Manager ListServices 2>&1)" '^a\(sssuo\) 5 '
expect_eq "uid 65534 may get a property" "$(as_nobody busctl --address="$A" get-property org.corral1 $web1 org.corral1.Service IPAddress 2>&1)" 's "10.89.0.2"'
expect_has "uid 65534 may GetAll" "$(as_nobody dbus-send --bus="$A" --print-reply --dest=org.corral1 $web1 org.freedesktop.DBus.Properties.GetAll string:org.corral1.Service 2>&1)" '"NamespaceIds"'
expect_has "uid 65534 may introspect" "$(as_nobody busctl --address="$A" introspect org.corral1 /org/corral1 2>&1)" '\.RunTransient'
out=$(setpriv --reuid=65534 --regid=65534 --groups=4242 busctl --address="$A" call org.corral1 /org/corral1 org.corral1.Manager FreezeService s web-1 2>&1)
expect_eq "a member of AdminGroup (gid 4242) may FreezeService" "$out" ""
expect_eq "... and it happened" "$(prop web_2d1 FreezerState)" 's "frozen"'
out=$(setpriv --reuid=65534 --regid=4242 --clear-groups busctl --address="$A" call org.corral1 /org/corral1 org.corral1.Manager ThawService s web-1 2>&1)
expect_eq "egid 4242 counts as AdminGroup" "$out" ""

out=$(as_nobody timeout 20 "$DAEMON" --bus "$A" /nonexistent 2>&1)
expect_has "uid 65534 may not own org.corral1 on the private bus" "$out" "not allowed to own org.corral1"
out=$(as_nobody timeout 5 busctl --address="$A" monitor 2>&1)
expect_has "uid 65534 may not monitor the private bus" "$out" "Access denied|AccessDenied|not permitted|Failed to become"

# ---- 9. no fd leak over 200 calls ----
fds() { ls "/proc/$DPID/fd" | wc -l; }
mgr GetService s web >/dev/null
reap_transient "$(client run-fd | sed -n 's/^OK //p')"
before=$(fds)
for i in $(seq 40); do
        mgr GetService s web-1 >/dev/null
        prop web_2d1 NamespaceIds >/dev/null
        dmgr StartService string:nope >/dev/null
done
for i in $(seq 10); do mgr StartService s web >/dev/null; mgr StopService s web >/dev/null; done
client run-fd 60 >"$T/run-fd.out"
expect_eq "60 RunTransient calls with an fd succeeded" "$(grep -c '^OK ' "$T/run-fd.out")" 60
# Each fake transient holds a pidfd while it runs: let them end, and read
# their results so that they go.
for o in $(sed -n 's/^OK //p' "$T/run-fd.out"); do reap_transient "$o"; done
expect_eq "the 60 transients are gone once read" \
        "$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager NServices)" 'u 5'
expect_eq "daemon fd count unchanged after 200 calls" "$(fds)" "$before"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/daemon.log" && ok "no sanitizer report so far" || fail "sanitizer report"
kill "$MONPID"; wait "$MONPID" 2>/dev/null; MONPID=

# ---- 10. broker lifecycle ----
old=$BROKER
kill -9 "$BROKER"
check "the broker killed under the daemon: it reconnects" wait_for "$T/daemon.log" "connected again after losing the bus"
BROKER=$(cut -d' ' -f1 "$T/bus.pid")
check "... on a new broker" [ "$BROKER" != "$old" ]
check "... and reaped the dead one" [ ! -d "/proc/$old" ]
expect_eq "... and serves again" "$(mgr GetService s web-1)" 'o "/org/corral1/service/web_2d1"'

expect_has "a second daemon refuses while the first owns the name" \
        "$("$DAEMON" "$T" 2>&1; echo "exit $?")" "org.corral1 is owned by another process.*exit 1|exit 1"
expect_eq "... and left the broker alone" "$(cut -d' ' -f1 "$T/bus.pid")" "$BROKER"
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
check "kill -9 of the daemon: the broker lives" alive "$BROKER"
check "... and still answers" bctl --quiet call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus GetId
check "daemon 2 starts" start_daemon
expect_eq "daemon 2 reused the broker" "$(cut -d' ' -f1 "$T/bus.pid")" "$BROKER"
expect_eq "daemon 2 serves" "$(mgr GetService s web-1)" 'o "/org/corral1/service/web_2d1"'
# A StartService in flight when the bus goes first (SIGINT): the job ends
# after bus_close(), on a detached reply (ASan watches).
# (The caller stays connected: corrald asks the broker for its credentials.)
mgr StartService s web >"$T/detached" &
waiter=$!
check "a job is pending" wait_for_prop web ActiveState '"activating"'
kill -INT "$DPID"; wait "$DPID"; rc=$?
expect_eq "daemon 2 exits 0 on SIGINT (no broker stop)" "$rc" 0
wait "$waiter"
expect_eq "the caller learns the daemon left" "$(cat "$T/detached")" \
        "Call failed: Message recipient disconnected from message bus without replying"
check "the broker lives after an exit without stop" alive "$BROKER"
check "daemon 3 on --bus private" start_daemon --bus private
expect_eq "daemon 3 reused the broker" "$(cut -d' ' -f1 "$T/bus.pid")" "$BROKER"
# A caller waiting on a job when corrald exits gets an answer, not a timeout.
mgr StartService s web >"$T/canceled" &
waiter=$!
check "a job is pending" wait_for_prop web ActiveState '"activating"'
kill -TERM "$DPID"; wait "$DPID"; rc=$?
DPID=
expect_eq "daemon 3 exits 0 on SIGTERM" "$rc" 0
wait "$waiter"
expect_eq "the waiting caller was told" "$(cat "$T/canceled")" \
        "Call failed: service 'web': start canceled: the service was removed or corrald is exiting"
check "the clean shutdown stopped the broker" not alive "$BROKER"
check "... and removed its socket" [ ! -e "$T/bus" ]
check "... and bus.pid" [ ! -e "$T/bus.pid" ]
BROKER=
check "daemon 4 starts a new broker" start_daemon
BROKER=$(cut -d' ' -f1 "$T/bus.pid")
kill -9 "$DPID"; wait "$DPID" 2>/dev/null
check "daemon 5 on --bus ADDRESS" start_daemon --bus "$A"
kill -TERM "$DPID"; wait "$DPID"; DPID=
check "a daemon on --bus ADDRESS leaves the broker alone" alive "$BROKER"
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$T/no-system-bus
check "daemon 6 (default --bus: no system bus answers, so the private one)" start_daemon
unset DBUS_SYSTEM_BUS_ADDRESS
expect_eq "daemon 6 reused the broker" "$(cut -d' ' -f1 "$T/bus.pid")" "$BROKER"
kill -TERM "$DPID"; wait "$DPID"; DPID=
check "and stops it" not alive "$BROKER"
expect_has "--bus nonsense is refused" "$("$DAEMON" --bus nonsense "$T" 2>&1)" "'nonsense' is none of system, session, private or a D-Bus address"
! grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/daemon.log" && ok "no sanitizer report" || fail "sanitizer report"

# ---- 10b. a broker that cannot start: a clear error, nothing left behind ----
mkdir -m 755 "$T/bad"
echo '<busconfig><oops' >"$T/bad/broken.conf"
out=$(CORRAL_BUS_CONFIG=$T/bad/broken.conf timeout 20 "$DAEMON" --bus private "$T/bad" 2>&1)
expect_has "a broken broker config: the daemon says so" "$out" "private bus: [^ ]*dbus-daemon exited before listening"
check "... and leaves no bus.pid" [ ! -e "$T/bad/bus.pid" ]
check "... and no dbus-daemon for it" not pgrep -f "address=unix:path=$T/bad/bus"
out=$(CORRAL_DBUS_DAEMON=/nonexistent/dbus-daemon timeout 20 "$DAEMON" --bus private "$T/bad" 2>&1)
expect_has "no dbus-daemon: the daemon says what to do" "$out" \
        "private bus: /nonexistent/dbus-daemon: No such file or directory \(install dbus, or use --bus\)"

# ---- 11. the system bus policy (org.corral1.conf) under system.conf's defaults ----
mkdir -m 755 "$T/sys"
cat >"$T/sys/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <listen>unix:path=$T/sys/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <!-- as /usr/share/dbus-1/system.conf -->
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <include>$CORRAL_SRC/supervisor/org.corral1.conf</include>
</busconfig>
CONF
dbus-daemon --config-file="$T/sys/bus.conf" --nofork --nopidfile --print-address=4 4>"$T/sys/address" 2>>"$T/daemon.log" &
BROKER=$!
check "a system-like bus with org.corral1.conf" wait_for "$T/sys/address" "^unix:"
SA=unix:path=$T/sys/bus
out=$(as_nobody timeout 20 "$DAEMON" --bus "$SA" /nonexistent 2>&1)
expect_has "system policy: uid 65534 may not own org.corral1" "$out" "not allowed to own org.corral1"
check "system policy: root owns org.corral1" start_daemon --bus "$SA"
out=$(as_nobody busctl --address="$SA" call org.corral1 /org/corral1 org.corral1.Manager GetService s web-1 2>&1)
expect_eq "system policy: uid 65534 may call" "$out" 'o "/org/corral1/service/web_2d1"'
out=$(as_nobody busctl --address="$SA" get-property org.corral1 /org/corral1/service/web_2d1 org.corral1.Service MainPID 2>&1)
expect_eq "system policy: uid 65534 may read properties" "$out" "u $DPID"
out=$(as_nobody dbus-send --bus="$SA" --print-reply --dest=org.corral1 /org/corral1 org.corral1.Manager.StopService string:web-1 2>&1)
expect_has "system policy: corrald itself denies uid 65534" "$out" "^Error $AD: StopService needs root"
kill -TERM "$DPID"; wait "$DPID"; DPID=
kill "$BROKER"; wait "$BROKER" 2>/dev/null; BROKER=

echo "$checks checks, $failures failed"
[ $failures -eq 0 ]
