#!/bin/bash
# corral-test-vm: no (which program a launch runs, and what it maps, is the same on any host)
# corrald launches through corral-executor (ns/ns-executor.c, docs/design.md
# "The executor"): the launch child shares corrald's memory only until it
# execs the executor, which carries out the launch from the plan corrald
# wrote and stays as the service's init. So the init is that small program
# with memory of its own, not a fork of corrald holding a copy of corrald's
# page tables and pages. An executor that cannot be run fails a start
# naming the step and leaves nothing; none installed: corrald says so and
# forks as before.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
T=$(ct_t 10)
ct_unit ex-init <<EOF
[Service]
ExecStart=/bin/sleep 1000
PrivatePIDs=yes
PrivateNetwork=yes
PrivateTmp=yes
ProtectSystem=strict
Environment=MARK=executor-plan
EOF
ct_unit ex-plain <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF
# Another service's secret, in corrald's memory once its unit is loaded.
secret=crl-secret-$RANDOM$RANDOM$RANDOM
ct_unit ex-secret <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=/bin/sleep 1000
Environment=TOKEN=$secret
EOF
# in_memory PID TEXT: TEXT is somewhere in PID's readable memory, as root
# in its service can read it (/proc/1/mem of the service's PID namespace).
in_memory() {
        python3 - "$1" "$2" <<'PY'
import re, sys
pid, text = sys.argv[1], sys.argv[2].encode()
with open(f"/proc/{pid}/maps") as maps, open(f"/proc/{pid}/mem", "rb", 0) as mem:
    for line in maps:
        m = re.match(r"([0-9a-f]+)-([0-9a-f]+) r", line)
        if not m or "[vvar]" in line or "[vsyscall]" in line:
            continue
        a, b = int(m.group(1), 16), int(m.group(2), 16)
        if b - a > 1 << 30:     # ASan's shadow and reservations: nothing of ours
            continue
        for at in range(a, b, 1 << 20):
            try:
                mem.seek(at)
                if text in mem.read(min(b - at, (1 << 20) + len(text))):
                    sys.exit(0)
            except OSError:
                pass
sys.exit(1)
PY
}
ppid_of() { awk '$1 == "PPid:" { print $2 }' "/proc/$1/status"; }
rss_kb_of() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
exe_of() { readlink "/proc/$1/exe"; }

corrald_start
for n in ex-init ex-plain; do ct_check "$n runs" wait_state $n active running "$T"; done
main=$(prop ex-init MainPID)
init=$(ppid_of "$main")
ct_expect_eq "ex-init: the init is corral-executor" "$(exe_of "$init")" "$(readlink -f "$CORRAL_EXECUTOR")"
ct_expect_eq "ex-init: the init maps nothing of corrald's" "$(grep -c '/corrald$' "/proc/$init/maps")" 0
# What root in ex-init can read of its init (/proc/1/mem there): its own
# plan, not corrald's heap with every loaded unit (the control is below).
if in_memory "$init" "$secret"; then ct_fail "ex-init: its init holds ex-secret's Environment="
else ct_ok "ex-init: its init holds no other service's secret"; fi
# (The sanitized build's executor carries ASan's runtime: its size says nothing.)
if ! grep -q libasan "/proc/$init/maps"; then
        ct_expect_le "ex-init: the init's RSS is below half of corrald's" \
                "$(( $(rss_kb_of "$init") * 2 ))" "$(corrald_rss_kb)"
fi
ct_expect_eq "ex-init: the init's parent is corrald" "$(ppid_of "$init")" "$CT_PID"
ct_expect_eq "ex-init: MainPID runs the command" "$(exe_of "$main")" "$(readlink -f /bin/sleep)"
ct_check "ex-init: the plan came through (its environment)" \
        grep -qz '^MARK=executor-plan$' "/proc/$main/environ"
ct_check "ex-init: its own PID namespace" [ "$(readlink "/proc/$main/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
ct_check "ex-init: its own network namespace" [ "$(readlink "/proc/$main/ns/net")" != "$(readlink /proc/self/ns/net)" ]
ct_expect_match "ex-init: /usr read-only inside (the mount plan came through)" \
        "$(nsenter -t "$main" -m touch /usr/.corral-executor-test 2>&1)" "Read-only file system"
ct_expect_eq "ex-init: holds /dev/null, its status pipe and record, its signalfd" \
        "$(ls "/proc/$init/fd" | wc -l)" 6
plain=$(prop ex-plain MainPID)
ct_expect_eq "ex-plain (no init): MainPID runs the command" "$(exe_of "$plain")" "$(readlink -f /bin/sleep)"
# Its init (the status record's writer) is the executor too, a child of corrald.
ct_expect_eq "ex-plain: its init is corral-executor" "$(exe_of "$(ppid_of "$plain")")" \
        "$(readlink -f "$CORRAL_EXECUTOR")"
ct_expect_eq "ex-plain: in corrald's PID namespace" "$(readlink "/proc/$plain/ns/pid")" "$(readlink /proc/self/ns/pid)"
corrald_stop

# An executor that cannot be run: the start fails at the step, nothing stays.
echo 'not a program' >"$CT_TMP/bad-executor"
chmod 644 "$CT_TMP/bad-executor"
CORRAL_EXECUTOR=$CT_TMP/bad-executor corrald_start
ct_check "bad executor: ex-init fails" wait_state ex-init failed failed "$T"
ct_check "bad executor: the log names the step" \
        grep -q "service 'ex-init': step 'executor': execute corral-executor: Permission denied" "$CT_TMP/corrald.log"
ct_expect_eq "bad executor: no process left in its cgroup" "$(cg_procs ex-init)" ""
out=$(dmgr StartService string:ex-plain)
ct_expect_match "bad executor: StartService says why" "$out" "step 'executor': execute corral-executor: Permission denied"
corrald_stop

# None installed: said once, and services are forked as before.
CORRAL_EXECUTOR=$CT_TMP/no-such-executor corrald_start
ct_check "no executor: corrald says so" \
        grep -q "corral-executor ($CT_TMP/no-such-executor): No such file or directory; services are launched by a fork of corrald" \
        "$CT_TMP/corrald.log"
ct_check "no executor: ex-init runs" wait_state ex-init active running "$T"
init=$(ppid_of "$(prop ex-init MainPID)")
ct_expect_eq "no executor: the init is a fork of corrald" "$(exe_of "$init")" "$(readlink -f "$CT_CORRALD")"
# The control for the secret check above (the scan finds what is there):
# a fork of corrald carries every loaded unit in its copy of corrald's heap.
ct_check "no executor: the forked init holds ex-secret's Environment=" in_memory "$init" "$secret"
corrald_stop
ct_finish
