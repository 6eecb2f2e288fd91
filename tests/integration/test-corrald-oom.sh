#!/bin/bash
# MemoryMax=32M and a service that touches 200 MiB: the kernel OOM-kills it
# (memory.events oom_kill) and the bus shows Result=oom-kill, OOMKills >= 1
# and failed/failed (OOMPolicy=stop); the PropertiesChanged for Result comes
# promptly. Needs enforced limits: the VM only.
. "$(dirname "$0")/corrald-lib.sh"
ct_require_vm "MemoryMax= must be enforced (memory controller on cgroup2)"
ct_init
ALLOC=$CT_HELPERS/helper-alloc
[ -x "$ALLOC" ] || ct_die "$ALLOC not built"

ct_unit oom-hog <<EOF
[Unit]
AutoStart=no
[Service]
MemoryMax=32M
MemorySwapMax=0
ExecStart=/bin/sh -c "sleep 2; exec $ALLOC 200"
EOF

corrald_start
monitor_start
call StartService s oom-hog >/dev/null
cg=$(cg_dir oom-hog)
ct_expect_eq "memory.max of the service's cgroup" "$(cat "$cg/memory.max" 2>/dev/null)" 33554432
ct_expect_eq "MemoryMax on the bus" "$(prop oom-hog MemoryMax)" 33554432

# When the kernel counts the kill: the parent's memory.events (hierarchical:
# it counts the service's kills, and outlives the service's cgroup, which a
# slow VM saw removed before the first read), read without forking
# every 2 ms ($EPOCHREALTIME without the dot: µs; read -t on an idle FIFO
# is a sleep without a fork). When the bus said so: the monitor's stamp.
mkfifo "$CT_TMP/idle"
exec 9<>"$CT_TMP/idle"
kernel_us= deadline=$(( ${EPOCHREALTIME/./} + $(ct_t 30) * 1000000 ))
while [ "${EPOCHREALTIME/./}" -lt "$deadline" ]; do
        mapfile -t ev <"${cg%/*}/memory.events" 2>/dev/null
        for l in "${ev[@]}"; do
                [[ $l =~ ^oom_kill\ ([0-9]+)$ ]] && [ "${BASH_REMATCH[1]}" -ge 1 ] && kernel_us=${EPOCHREALTIME/./}
        done
        [ -n "$kernel_us" ] && break
        read -r -t 0.002 -u 9
done
exec 9>&-
[ -n "$kernel_us" ] || ct_die "memory.events never counted an oom_kill"
ct_ok "the kernel OOM-killed the hog (memory.events oom_kill)"
pattern="$(svc_path oom-hog): .*'Result': <'oom-kill'>"
ct_check "PropertiesChanged Result oom-kill" monitor_wait "$pattern" "$(ct_t 5)"
bus_us=$(monitor_time "$pattern")
ct_check "Result=oom-kill signalled $(( (${bus_us:-0} - kernel_us) / 1000 )) ms after the kernel's count (<= $((50 * CT_SLOW)))" \
        [ $(( ${bus_us:-0} - kernel_us )) -le $(( 50000 * CT_SLOW )) ]
ct_expect_eq "Result oom-kill" "$(prop oom-hog Result)" oom-kill
ct_check "the hog ends failed/failed" wait_state oom-hog failed failed "$(ct_t 10)"
ct_expect_nomatch "the hog never finished its allocation" "$(cat "$CT_LOG/oom-hog.log" 2>/dev/null)" "touched 200 MiB"
ct_check "no cgroup left" [ ! -d "$cg" ]

corrald_stop
ct_finish
