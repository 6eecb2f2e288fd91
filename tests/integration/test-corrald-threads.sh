#!/bin/bash
# corrald has exactly one thread at all times (issue 11 "The loop"):
# /proc/PID/task sampled continuously (no fork per sample) while networked
# services (veth, netns pin, PID namespace) start, run and stop, and while
# corrald stops them on SIGTERM. VM only: veths and netns pins.
. "$(dirname "$0")/corrald-lib.sh"
ct_require_vm "networked services (veth, netns pins)"
ct_init

names=
for i in 1 2 3 4; do
        ct_unit "th-net$i" <<EOF
[Unit]
AutoStart=no
[Service]
PrivatePIDs=yes
PrivateMounts=yes
ExecStart=/bin/sleep 1000
[Network]
VirtualEthernet=yes
EOF
        names+=" th-net$i"
done
corrald_start

# sampler PID OUT: until OUT.stop exists, count PID's tasks; writes
# "SAMPLES MAX" to OUT. Globs and builtins only: thousands of samples a second.
sampler() {
        local pid=$1 out=$2 n=0 max=0 t
        shopt -s nullglob
        while [ ! -e "$out.stop" ]; do
                t=(/proc/"$pid"/task/*)
                [ ${#t[@]} -eq 0 ] && break     # corrald exited
                [ ${#t[@]} -gt "$max" ] && max=${#t[@]}
                n=$((n + 1))
        done
        echo "$n $max" >"$out"
}
sampler "$CT_PID" "$CT_TMP/tasks" &
spid=$!
CT_BG_PIDS+=("$spid")

T=$(ct_t 20)
for n in $names; do call StartService s "$n" >/dev/null & done
wait_for_all() { local n; for n in $names; do ct_state_is "$n" active/running || return 1; done; }
ct_check "four networked services active/running (started in parallel)" wait_until "$T" wait_for_all
for n in $names; do call StopService s "$n" >/dev/null & done
wait_all_dead() { local n; for n in $names; do ct_state_is "$n" inactive/dead || return 1; done; }
ct_check "all four stopped" wait_until "$T" wait_all_dead
for n in th-net1 th-net2; do call StartService s "$n" >/dev/null; done
pid=$CT_PID
corrald_stop            # SIGTERM stops th-net1 and th-net2 while the sampler runs
touch "$CT_TMP/tasks.stop"
wait "$spid"
read -r samples max <"$CT_TMP/tasks"
echo "$samples samples of /proc/$pid/task, at most $max"
ct_check "enough samples ($samples)" [ "${samples:-0}" -ge 100 ]
ct_expect_eq "corrald never had more than one thread" "$max" 1
ct_finish
