#!/bin/bash
# corrald --probe must describe the cgroup setup the kernel really has: the
# expected mode and controller lines are derived from /proc/self/mountinfo
# and the cgroup2 root's cgroup.controllers, not hard-coded for one machine.
# In the VM (pure cgroup2, every controller) the result is also pinned.
set -u

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

probe=$CORRAL_BUILD/supervisor/corrald
[ -x "$probe" ] || { echo "FAIL: $probe not built"; exit 1; }
out=$("$probe" --probe 2>&1)
rc=$?
echo "--- corrald --probe (exit $rc):"
echo "$out"
echo "---"
[ $rc -eq 0 ] || fail "corrald --probe exited $rc"

has_line() { grep -qxF -- "$1" <<<"$out"; }
expect_line() { has_line "$1" || fail "expected the line '$1'"; }

# "fstype mountpoint superopts" of the topmost mount at PATH, from mountinfo.
mount_at() { # PATH
        awk -v want="$1" '{
                for (i = 7; $i != "-"; i++) ;
                if ($5 == want) found = $(i + 1) " " $5 " " $(i + 3)
        } END { if (found) print found }' /proc/self/mountinfo
}

# Mount point of the first cgroup v1 hierarchy carrying CONTROLLER.
v1_mount_of() { # CONTROLLER
        awk -v want="$1" '{
                for (i = 7; $i != "-"; i++) ;
                if ($(i + 1) != "cgroup") next
                n = split($(i + 3), o, ",")
                for (j = 1; j <= n; j++) if (o[j] == want) { print $5; exit }
        }' /proc/self/mountinfo
}

top=$(mount_at /sys/fs/cgroup)
uni=$(mount_at /sys/fs/cgroup/unified)
case "$top" in
cgroup2\ *) mode=unified; root=/sys/fs/cgroup ;;
tmpfs\ *)
        if [ "${uni%% *}" = cgroup2 ]; then mode=hybrid; root=/sys/fs/cgroup/unified
        else mode=legacy; root=""; fi ;;
*) echo "FAIL: /sys/fs/cgroup is neither cgroup2 nor tmpfs here: '$top'"; exit 1 ;;
esac
echo "mountinfo says: mode $mode, cgroup2 root '${root:-none}'"

if [ -n "$root" ]; then
        expect_line "cgroup mode: $mode (cgroup2 at $root)"
        kernel_ctrls=" $(cat "$root/cgroup.controllers") "
else
        expect_line "cgroup mode: $mode (no cgroup2 mount)"
        kernel_ctrls=" "
fi
echo "kernel offers at the cgroup2 root:$kernel_ctrls"

for c in cpu memory pids io cpuset; do
        v1name=$c
        [ "$c" = io ] && v1name=blkio
        case "$kernel_ctrls" in
        *" $c "*) expect_line "controller $c: available" ;;
        *)
                v1=$(v1_mount_of "$v1name")
                if [ -n "$v1" ]; then
                        expect_line "controller $c: unavailable ($c: bound to a cgroup v1 hierarchy at $v1)"
                else
                        grep -q "^controller $c: unavailable ($c: " <<<"$out" ||
                                fail "expected controller $c to be unavailable with a reason"
                fi ;;
        esac
done

if [ "${CORRAL_TEST_WHERE:-}" = vm ]; then
        # The VM is built to be pure cgroup2 with every controller.
        expect_line "cgroup mode: unified (cgroup2 at /sys/fs/cgroup)"
        for c in cpu memory pids io cpuset; do
                case "$kernel_ctrls" in *" $c "*) ;; *) fail "VM kernel does not offer $c" ;; esac
                expect_line "controller $c: available"
        done
        has_line "note: cgroup v2 limits cannot be enforced on a unified host for controllers held by v1" &&
                fail "unexpected v1 note on a unified host"
fi

if [ $failures -ne 0 ]; then
        echo "$failures check(s) failed"
        exit 1
fi
echo "probe output matches the kernel ($mode)"
