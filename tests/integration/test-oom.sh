#!/bin/bash
# A process in a cgroup with memory.max=32M that touches 200 MiB must be
# OOM-killed by the kernel: SIGKILL (exit 137) and memory.events oom_kill 1.
# Needs a writable cgroup2 with the memory controller: the VM only.
set -u

if [ "${CORRAL_TEST_WHERE:-}" != vm ]; then
        echo "needs the VM (CORRAL_TEST_WHERE=vm): it sets memory.max under /sys/fs/cgroup, which tests never do on the host"
        exit 77
fi

root=/sys/fs/cgroup
helper=$CORRAL_BUILD/tests/integration/helper-alloc
[ -x "$helper" ] || { echo "FAIL: $helper not built"; exit 1; }
grep -qw memory "$root/cgroup.subtree_control" ||
        { echo "FAIL: memory is not enabled in $root/cgroup.subtree_control"; exit 1; }

cg=$root/corral-test-oom.$$
cleanup() {
        [ -d "$cg" ] || return 0
        echo 1 >"$cg/cgroup.kill" 2>/dev/null
        # The kill is asynchronous: retry rmdir for up to 5 s.
        for _ in $(seq 50); do rmdir "$cg" 2>/dev/null && return 0; sleep 0.1; done
        echo "warning: could not remove $cg"
}
trap cleanup EXIT

mkdir "$cg" || { echo "FAIL: mkdir $cg"; exit 1; }
echo 32M >"$cg/memory.max" || { echo "FAIL: write memory.max"; exit 1; }
if [ -e "$cg/memory.swap.max" ]; then
        echo 0 >"$cg/memory.swap.max" || { echo "FAIL: write memory.swap.max"; exit 1; }
fi
max=$(cat "$cg/memory.max")
[ "$max" = 33554432 ] || { echo "FAIL: memory.max reads '$max', want 33554432"; exit 1; }

# The shell joins the cgroup, then becomes the helper.
CG=$cg bash -c 'echo $$ >"$CG/cgroup.procs" && exec "$0" 200' "$helper"
rc=$?
echo "helper exit status: $rc"
echo "memory.events:"; sed 's/^/  /' "$cg/memory.events"

failures=0
[ $rc -eq 137 ] || { echo "FAIL: exit status $rc, want 137 (SIGKILL)"; failures=$((failures + 1)); }
kills=$(awk '$1 == "oom_kill" { print $2 }' "$cg/memory.events")
[ "$kills" = 1 ] || { echo "FAIL: memory.events oom_kill is '$kills', want 1"; failures=$((failures + 1)); }
procs=$(cat "$cg/cgroup.procs")
[ -z "$procs" ] || { echo "FAIL: cgroup still has processes: $procs"; failures=$((failures + 1)); }
[ $failures -eq 0 ] || exit 1
echo "OOM kill confirmed by the kernel"
