#!/bin/bash
# corrald killed with -9 while services run: the next corrald re-adopts them
# (same MainPID, no second copy in the cgroup), cleans a record whose
# process is gone and a cgroup nobody recorded, and a status record no
# service holds, and on SIGTERM leaves no cgroup, record or status record. Host: cgroup2 at /sys/fs/cgroup/unified (the VM: at
# /sys/fs/cgroup), a root of the test's own, UnenforceableLimits=warn, no bus.
set -u

mnt=/sys/fs/cgroup/unified
[ "${CORRAL_TEST_WHERE:-}" = vm ] && mnt=/sys/fs/cgroup
[ "$(id -u)" = 0 ] && [ -e $mnt/cgroup.procs ] || { echo "needs root and cgroup2 at $mnt"; exit 77; }
corrald=$CORRAL_BUILD/supervisor/corrald
dir=$(mktemp -d /tmp/corrald-adopt.XXXXXX)
root=/corral-adopt-$$
cg=$mnt$root
fails=0
pid=

check() {       # check DESCRIPTION COMMAND...
        local what=$1; shift
        if "$@"; then echo "ok   $what"; else echo "FAIL $what"; fails=$((fails + 1)); fi
}

cleanup() {
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
        # The private broker outlives a killed corrald by design.
        [ -f "$dir/run/bus.pid" ] && kill -TERM "$(cut -d' ' -f1 "$dir/run/bus.pid")" 2>/dev/null
        [ -n "${stray:-}" ] && kill -KILL "$stray" 2>/dev/null
        for s in "$cg"/*.service; do [ -d "$s" ] && echo 1 >"$s/cgroup.kill"; done
        for _ in $(seq 50); do rmdir "$cg"/*.service "$cg" 2>/dev/null; [ -d "$cg" ] || break; sleep 0.1; done
        rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' TERM INT

# The build tree's broker config and log process; a private bus of the
# test's own (never the host's system bus).
export CORRAL_BUS_CONFIG=$CORRAL_SRC/supervisor/corral-bus.conf
export CORRAL_LOG_HELPER=$CORRAL_BUILD/supervisor/corral-log
export CORRAL_EXECUTOR=$CORRAL_BUILD/ns/corral-executor

start_corrald() {       # start_corrald LOG
        "$corrald" --config "$dir/corrald.conf" --units "$dir/units" --cgroup-root "$root" --bus private \
                --log-level info >"$1" 2>&1 &
        pid=$!
}

wait_for() {    # wait_for FILE PATTERN
        for _ in $(seq 400); do grep -q "$2" "$1" && return 0; sleep 0.1; done
        return 1
}

procs() { cat "$cg/$1.service/cgroup.procs" 2>/dev/null | sort | tr '\n' ' '; }

mkdir -p "$dir/units" "$dir/run"
printf '[Manager]\nUnenforceableLimits=warn\nRuntimeDirectory=%s/run\nLogDirectory=%s/log\n' "$dir" "$dir" \
        >"$dir/corrald.conf"
printf '[Service]\nExecStart=/bin/sleep 1000\n' >"$dir/units/simple.service"
printf '[Service]\nType=notify\nExecStart=/bin/sh -c "systemd-notify --ready; exec sleep 1000"\n' \
        >"$dir/units/ready.service"
printf '[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=/bin/true\n' >"$dir/units/once.service"

start_corrald "$dir/log1"
check "first corrald: simple running" wait_for "$dir/log1" "service 'simple': active/running"
check "first corrald: ready running" wait_for "$dir/log1" "service 'ready': active/running"
check "first corrald: once exited" wait_for "$dir/log1" "service 'once': active/exited"
main=$(sed -n 's/^MAIN_PID=//p' "$dir/run/services/simple")
init=$(sed -n 's/^INIT_PID=//p' "$dir/run/services/simple")
before=$(procs simple)
# The status record keeps corral's init above the command (the shim).
check "the record names the processes in the cgroup (init $init, main $main: $before)" \
        test "$before" = "$(printf '%s\n' "$init" "$main" | sort | tr '\n' ' ')"
check "simple has an empty status record" test -f "$dir/run/status/simple" -a ! -s "$dir/run/status/simple"
kill -KILL "$pid"; wait "$pid" 2>/dev/null; pid=
check "simple keeps running without corrald" kill -0 "$main"

# A record whose process is gone, and a cgroup no record names.
printf 'NAME=ghost\nMAIN_PID=999999\nMAIN_START_TIME=1\nINIT_PID=999999\nINIT_START_TIME=1\nSUB_STATE=running\n' \
        >"$dir/run/services/ghost"
: >"$dir/run/status/ghost"
mkdir "$cg/stray.service"
sleep 1000 &
stray=$!
echo "$stray" >"$cg/stray.service/cgroup.procs"

start_corrald "$dir/log2"
check "second corrald: simple adopted with MainPID $main" \
        wait_for "$dir/log2" "service 'simple': adopted, main process $main\$"
check "second corrald: ready adopted" wait_for "$dir/log2" "service 'ready': adopted"
sleep 1
check "simple not started twice (cgroup.procs: $(procs simple))" test "$(procs simple)" = "$before"
check "no 'main process ... started' for simple in the second log" \
        bash -c "! grep -q \"service 'simple': main process .* started\" '$dir/log2'"
check "once stays active/exited (adopted or not restarted)" \
        bash -c "! grep -q \"service 'once': main process .* started\" '$dir/log2'"
check "the dead record is gone" test ! -e "$dir/run/services/ghost"
check "the status record nobody holds is gone" test ! -e "$dir/run/status/ghost"
alive() { [ -e /proc/$stray ] && [ "$(awk '{print $3}' /proc/$stray/stat 2>/dev/null)" != Z ]; }
for _ in $(seq 50); do alive || break; sleep 0.1; done
alive && kill -TERM "$stray"    # not killed by corrald: end it, the check below fails
wait "$stray" 2>/dev/null
rc=$?
check "the stray cgroup's process was killed (status $rc)" test "$rc" = 137
check "the stray cgroup is gone" test ! -d "$cg/stray.service"

# The adopted main process ends: corrald notices through its pidfd.
kill -TERM "$main"
check "the adopted process's end is seen" wait_for "$dir/log2" "service 'simple': inactive/dead"

kill -TERM "$pid"; wait "$pid"; rc=$?; pid=
check "SIGTERM: exit 0 (got $rc)" test "$rc" = 0
check "SIGTERM: no cgroup left" test ! -d "$cg"
check "SIGTERM: no record left ($(ls "$dir/run/services"))" test -z "$(ls "$dir/run/services")"
check "SIGTERM: no status record left ($(ls -A "$dir/run/status"))" test -z "$(ls -A "$dir/run/status")"
echo "test-corrald-adopt: $fails failed"
[ "$fails" = 0 ]
