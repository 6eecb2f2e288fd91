#!/bin/bash
# corral-test-vm: no (corralctl exec: no limit or link)
# corralctl exec (spec §5): the command runs in every namespace of the
# service's main process, in its cgroup, with its root (its PrivateTmp=
# /tmp) and working directory, stdio attached, its exit status passed on,
# -u USER looked up inside; a stopped or unknown service is refused (3, 4),
# a non-root caller too (1).
. "$(dirname "$0")/corrald-lib.sh"
ct_init
CTL=$CORRAL_BUILD/supervisor/corralctl
ctl() { "$CTL" --bus "$CT_ADDR" "$@"; }
run_ctl() {
        out=$(ctl "$@" 2>"$CT_TMP/err"); rc=$?
        err=$(cat "$CT_TMP/err")
}

ct_unit ce-svc <<EOF
[Service]
PrivatePIDs=yes
PrivateTmp=yes
PrivateIPC=yes
PrivateNetwork=yes
Hostname=ce-host
WorkingDirectory=/tmp
# PrivateTmp= hides $CT_TMP (under /tmp): no script file.
ExecStart=/bin/sh -c "echo private >/tmp/only-here; exec sleep 1000"
EOF
ct_unit ce-stopped <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF
corrald_start
ct_check "ce-svc: active/running" wait_state ce-svc active running "$(ct_t 10)"
pid=$(prop ce-svc MainPID)
ct_check "ce-svc wrote its /tmp file" wait_until "$(ct_t 5)" \
        sh -c "nsenter -t $pid -m cat /tmp/only-here 2>/dev/null | grep -q private"

# Namespaces: the inode of each /proc/self/ns/* inside equals the main process's.
want=$(for t in pid mnt uts ipc net cgroup user; do stat -L -c "$t %i" "/proc/$pid/ns/$t"; done)
run_ctl exec ce-svc -- sh -c 'for t in pid mnt uts ipc net cgroup user; do echo "$t $(stat -L -c %i /proc/self/ns/$t)"; done'
ct_expect_eq "exec: exit 0" "$rc" 0
ct_expect_eq "exec: the service's namespaces" "$out" "$want"
ct_check "exec: not the host's net namespace" test "$(stat -L -c %i /proc/self/ns/net)" != \
        "$(sed -n 's/^net //p' <<<"$out")"
ids=$(bctl get-property org.corral1 "$(svc_path ce-svc)" org.corral1.Service NamespaceIds 2>&1)
ct_expect_match "exec: NamespaceIds agrees (net)" "$ids" "\"net\" $(sed -n 's/^net //p' <<<"$want")"

# cgroup: the command's own /proc/self/cgroup, read from the host side.
"$CTL" --bus "$CT_ADDR" exec ce-svc -- sleep 1000 &
epid=$!
child_of() { cat "/proc/$1/task/$1/children" 2>/dev/null | awk '{ print $1 }'; }
has_child() { [ -n "$(child_of "$epid")" ]; }
ct_check "exec: the command runs" wait_until "$(ct_t 5)" has_child
cpid=$(child_of "$epid")
ct_check "exec: the command ($cpid) is in the service's cgroup.procs" grep -qx "$cpid" "$(cg_dir ce-svc)/cgroup.procs"
kill -TERM "$epid"
wait "$epid"; rc=$?
ct_expect_eq "exec: SIGTERM to corralctl is passed on (128+15)" "$rc" 143
ct_check "exec: the command ended" not_alive "$cpid"
run_ctl exec ce-svc -- cat /proc/self/cgroup
ct_expect_match "exec: /proc/self/cgroup inside is the service's" "$out" "^0::$(prop ce-svc CgroupPath)$"

# Root, working directory, hostname, PID namespace.
run_ctl exec ce-svc -- sh -c 'cat /tmp/only-here; pwd; hostname; echo $$'
ct_expect_eq "exec: PrivateTmp /tmp, cwd, Hostname=" "$(head -n 3 <<<"$out" | tr '\n' ,)" "private,/tmp,ce-host,"
ct_expect_le "exec: a small pid in the service's PID namespace" "$(tail -n 1 <<<"$out")" 50
ct_check "exec: the host's /tmp lacks the file" test ! -e /tmp/only-here

# stdio and exit status.
ct_expect_eq "exec: stdin/stdout round trip" "$(echo hi | ctl exec ce-svc -- cat)" hi
ct_expect_eq "exec: stderr attached" "$(ctl exec ce-svc -- sh -c 'echo oops >&2' 2>&1 >/dev/null)" oops
ctl exec ce-svc -- sh -c 'exit 7'
ct_expect_eq "exec: exit status passed on" "$?" 7
ctl exec ce-svc -- sh -c 'kill -USR1 $$'
ct_expect_eq "exec: a signal is 128+N" "$?" $((128 + 10))
# On a terminal the command shares corralctl's (script(1) makes one).
if command -v script >/dev/null; then
        script -qec "$CTL --bus $CT_ADDR exec ce-svc -- sh -c 'test -t 0 && test -t 1 && exit 5'" /dev/null >/dev/null
        ct_expect_eq "exec on a terminal: the command's stdin/stdout are a tty" "$?" 5
fi
run_ctl exec -u nobody ce-svc -- id -u
ct_expect_eq "exec -u nobody: uid 65534" "$out" 65534
run_ctl exec ce-svc -- id -u
ct_expect_eq "exec: root by default" "$out" 0

# Refusals.
run_ctl exec ce-svc -- /nonexistent/cmd
ct_expect_eq "exec of a missing command: exit 1" "$rc" 1
ct_expect_match "exec of a missing command: says so" "$err" "^corralctl: exec in ce-svc: .*No such file or directory"
ctl stop ce-stopped
run_ctl exec ce-stopped -- true
ct_expect_eq "exec on a stopped service: exit 3" "$rc" 3
ct_expect_eq "exec on a stopped service: message" "$err" "corralctl: 'ce-stopped' is not running"
run_ctl exec ce-nosuch -- true
ct_expect_eq "exec on an unknown service: exit 4" "$rc" 4
ct_expect_eq "exec on an unknown service: message" "$err" "corralctl: no such service 'ce-nosuch'"
run_ctl exec ce-svc
ct_expect_eq "exec without a command: exit 2" "$rc" 2
out=$(as_nobody "$CTL" --bus "$CT_ADDR" exec ce-svc -- true 2>&1); rc=$?
ct_expect_eq "exec as uid 65534: exit 1" "$rc" 1
ct_expect_match "exec as uid 65534: needs root" "$out" "^corralctl: exec needs root"
ct_expect_eq "the service still runs, same main process" "$(prop ce-svc MainPID)" "$pid"

corrald_stop
ct_finish
