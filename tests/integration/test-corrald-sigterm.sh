#!/bin/bash
# SIGTERM to corrald (spec §3): every service stops, dependents first
# (reverse After= order), corrald exits 0, and nothing is left: no process
# of a service, no cgroup under CgroupRoot (nor the root corrald made), no
# runtime file (service records, notify sockets, the private broker and its
# socket), no log process. In the VM also networked services: no vc-* veth,
# no /run/netns/corral-* pin.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
NOTIFY=$CT_HELPERS/helper-notify
[ -x "$NOTIFY" ] || ct_die "$NOTIFY not built"

ct_unit sg-a <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF
ct_unit sg-b <<EOF
[Unit]
Requires=sg-a.service
After=sg-a.service
[Service]
ExecStart=/bin/sh -c "echo b runs; exec sleep 1000"
EOF
ct_unit sg-notify <<EOF
[Service]
Type=notify
ExecStart=$NOTIFY serve
EOF
names="sg-a sg-b sg-notify"
if [ "$CT_WHERE" = vm ]; then
        ct_unit sg-veth <<EOF
[Service]
PrivatePIDs=yes
ExecStart=/bin/sleep 1000
[Network]
VirtualEthernet=yes
EOF
        ct_unit sg-netns <<EOF
[Service]
PrivateNetwork=yes
ExecStart=/bin/sleep 1000
EOF
        names+=" sg-veth sg-netns"
else
        echo "host: no networked services (veths and netns pins are for the VM)"
fi

corrald_start
monitor_start
T=$(ct_t 15)
pids=
for n in $names; do
        ct_check "$n: active/running" wait_state "$n" active running "$T"
        pids+=" $(prop "$n" MainPID)"
done
if [ "$CT_WHERE" = vm ]; then
        ct_check "sg-veth: its netns is pinned at /run/netns/corral-sg-veth" [ -e /run/netns/corral-sg-veth ]
        ct_check "sg-veth: a vc- veth exists" [ -n "$(ct_new_veths)" ]
        ct_expect_match "sg-veth: IPAddress" "$(prop sg-veth IPAddress)" '^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$'
fi
loggers=$(ct_our_loggers | tr '\n' ' ')
echo "service pids:$pids; loggers: $loggers"
ct_check "the services have log processes" [ -n "$loggers" ]
broker=$(cut -d' ' -f1 "$CT_RUN/bus.pid")

corrald_stop
monitor_stop

# Order: sg-b (After=sg-a) went inactive before sg-a.
order=$(grep -nE "($(svc_path sg-a)|$(svc_path sg-b)): .*'ActiveState': <'inactive'>" "$CT_TMP/monitor" |
        sed -E 's/^.*service\/(sg_2d[ab]).*/\1/' | tr '\n' ' ')
ct_expect_eq "dependents first: sg-b inactive before sg-a" "$order" "sg_2db sg_2da "

left=
for p in $pids; do ct_alive "$p" && left+=" $p"; done
ct_expect_eq "no service process is left" "$left" ""
ct_check "no cgroup is left: $CT_CGMOUNT$CT_CGROOT is gone" [ ! -d "$CT_CGMOUNT$CT_CGROOT" ]
ct_check "the private broker $broker stopped" wait_until "$T" not_alive "$broker"
ct_check "the bus socket is gone" [ ! -e "$CT_RUN/bus" ]
ct_check "the log processes ended" wait_until "$T" ct_no_loggers
# Runtime files: nothing but the address leases, which are kept per service
# across runs (spec §2 Address=auto) and say so.
files=$(cd "$CT_RUN" && find . ! -type d | grep -vE '^\./net/(ipam-[^/]+|lock)$' | sort | tr '\n' ' ')
ct_expect_eq "no runtime file is left in $CT_RUN" "$files" ""
if [ "$CT_WHERE" = vm ]; then
        ct_expect_eq "no vc-* veth is left" "$(ct_new_veths | tr '\n' ' ')" ""
        ct_expect_eq "no /run/netns/corral-* pin is left" "$(ls /run/netns 2>/dev/null | grep '^corral-sg-' | tr '\n' ' ')" ""
        ct_expect_nomatch "no corral-sg-* in ip netns list" "$(ip netns list 2>/dev/null)" "corral-sg-"
fi
ct_finish
