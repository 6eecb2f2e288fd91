#!/bin/bash
# corral-test-vm: no (cgroup BPF attaches on the host's cgroup2 too: no limit or link; test-launch-bpf runs in the VM)
# The cgroup BPF programs through corrald (issue 14): DevicePolicy=closed
# with IPAddressDeny=any loads a device and two IP programs once per loaded
# unit and attaches them to each new cgroup of the unit:
# - /dev/kmsg (not one of closed's standard devices) cannot be opened by
#   the service, /dev/null can; without DevicePolicy= /dev/kmsg opens (the
#   check can fail);
# - three starts (each a fresh cgroup): one "cgroup BPF programs loaded"
#   debug line, the open still refused in every run, and corrald holds the
#   same three programs (kernel prog ids in its fdinfo) throughout;
# - an edited file (DeviceAllow=/dev/kmsg r) and Reload: loaded again, once;
#   the open works from then on and the old programs are gone from corrald.
# Runs on the host (its hybrid cgroup2 takes cgroup BPF) and in the VM.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
CT_LOG_LEVEL=debug      # the "programs loaded" lines are debug

# Opens each path for reading; one line each: PATH:ok or PATH:the error.
OPEN=$(ct_script open-each <<'EOF'
#!/bin/sh
for p in "$@"; do
        if err=$( { exec 3<"$p"; } 2>&1 ); then
                echo "$p:ok"
        else
                case $err in
                *"not permitted"*) echo "$p:EPERM" ;;
                *) echo "$p:$err" ;;
                esac
        fi
done
EOF
)

# bp_unit NAME KEY-LINES...: a oneshot opening /dev/null and /dev/kmsg.
bp_unit() { local n=$1; shift; ct_oneshot_unit "$n" "$OPEN /dev/null /dev/kmsg" "$@"; }
# What NAME's service printed at a fresh start, one line.
run_bp() { ct_run_oneshot "$1"; }
loaded() { grep -c "service '$1': cgroup BPF programs loaded" "$CT_TMP/corrald.log"; }
# The kernel ids of the BPF programs corrald holds, sorted, on one line.
prog_ids() {
        local fd
        for fd in /proc/"$CT_PID"/fd/*; do
                [ "$(readlink "$fd" 2>/dev/null)" = "anon_inode:bpf-prog" ] &&
                        awk '$1 == "prog_id:" { print $2 }' "/proc/$CT_PID/fdinfo/${fd##*/}"
        done | sort -n | tr '\n' ' ' | sed 's/ $//'
}
n_ids() { wc -w <<<"$1"; }

bp_unit bp-plain
bp_unit bp-closed "DevicePolicy=closed" "IPAddressDeny=any"
corrald_start

# ---- without a device policy /dev/kmsg opens: the checks below can fail ----
ct_expect_eq "bp-plain: no policy, both open" "$(run_bp bp-plain)" "/dev/null:ok /dev/kmsg:ok"
ct_expect_eq "bp-plain: no programs loaded" "$(loaded bp-plain)" 0
ct_expect_eq "bp-plain: corrald holds no BPF program" "$(prog_ids)" ""

# ---- loaded once, attached at every start ----
ct_expect_eq "bp-closed start 1: /dev/kmsg refused, /dev/null opens" "$(run_bp bp-closed)" \
        "/dev/null:ok /dev/kmsg:EPERM"
ids=$(prog_ids)
ct_expect_eq "bp-closed: corrald holds 3 programs (device, IP in, IP out): '$ids'" "$(n_ids "$ids")" 3
for i in 2 3; do
        ct_expect_eq "bp-closed start $i (a new cgroup): /dev/kmsg still refused" "$(run_bp bp-closed)" \
                "/dev/null:ok /dev/kmsg:EPERM"
done
ct_expect_eq "bp-closed: three starts, the programs loaded once" "$(loaded bp-closed)" 1
ct_expect_eq "bp-closed: after three starts corrald holds the same programs" "$(prog_ids)" "$ids"
ct_expect_match "bp-closed: the load line counts 3 programs" "$(cat "$CT_TMP/corrald.log")" \
        "service 'bp-closed': cgroup BPF programs loaded \\(3 programs\\)"

# ---- a new unit load: loaded again, once; the old programs go ----
bp_unit bp-closed "DevicePolicy=closed" "DeviceAllow=/dev/kmsg r" "IPAddressDeny=any"
ct_expect_eq "Reload after the edit" "$(call Reload)" ""
ct_expect_eq "bp-closed: after Reload DeviceAllow=/dev/kmsg r applies" "$(run_bp bp-closed)" \
        "/dev/null:ok /dev/kmsg:ok"
ct_expect_eq "bp-closed: and again" "$(run_bp bp-closed)" "/dev/null:ok /dev/kmsg:ok"
ct_expect_eq "bp-closed: the programs were loaded again, once" "$(loaded bp-closed)" 2
new=$(prog_ids)
ct_expect_eq "bp-closed: corrald holds 3 programs after the reload: '$new'" "$(n_ids "$new")" 3
ct_expect_nomatch "bp-closed: none of the old programs is held ('$ids' vs '$new')" " $new " \
        " ($(tr ' ' '|' <<<"$ids")) "

corrald_stop
ct_finish
