# shellcheck shell=bash
# Black-box helpers for the test-corrald-*.sh tests: each test starts its
# own corrald on a private broker in a private temp dir, drives it as a user
# would (busctl, gdbus, dbus-send) and checks what the kernel shows (/proc,
# the cgroup tree, links, netns pins, log files). Source it, then:
#
#   ct_init                      # skips (77) when something needed is missing
#   ct_unit web <<'EOF' ... EOF  # units/web.service
#   corrald_start                # waits until org.corral1 answers
#   wait_state web active running 5 || ...
#   corrald_stop                 # SIGTERM, asserts exit 0
#   ct_finish                    # exit 0 or 1; the EXIT trap cleans up
#
# Tests may poll with short sleeps (product code may not); every wait here
# is bounded. Cleanup kills only what this test started, by its own pids:
# corrald ($CT_PID), the broker recorded in OUR runtime dir, loggers whose
# fds point into OUR temp dir, our cgroup subtree, our units' netns pins and
# veths (VM only).
#
# Environment: CORRAL_BUILD, CORRAL_SRC, CORRAL_TEST_WHERE (host|vm) as set
# by tests/integration/run; CT_LOG_LEVEL (default info).
set -u

CT_NAME=$(basename "$0" .sh)
CT_NAME=${CT_NAME#test-corrald-}
CT_WHERE=${CORRAL_TEST_WHERE:-host}
CT_CORRALD=${CORRAL_BUILD:-}/supervisor/corrald
CT_HELPERS=${CORRAL_BUILD:-}/tests/integration
# The VM is a TCG guest: everything is several times slower there.
if [ "$CT_WHERE" = vm ]; then CT_SLOW=${CT_SLOW:-4}; else CT_SLOW=${CT_SLOW:-1}; fi
CT_TMP= CT_PID= CT_MONPID= CT_MONREADER= CT_CGMOUNT= CT_CGROOT= CT_ADDR=
CT_RUN= CT_LOG= CT_UNITS= CT_VETHS_BEFORE=
CT_BG_PIDS=()
CT_CONF_EXTRA=()
ct_failures=0 ct_checks=0

# ---- results ----
ct_ok() { ct_checks=$((ct_checks + 1)); echo "ok   $*"; }
ct_fail() { ct_checks=$((ct_checks + 1)); ct_failures=$((ct_failures + 1)); echo "FAIL $*"; }
# Stop the test here: a later step makes no sense after this failure.
ct_die() { ct_fail "$*"; ct_show_log; exit 1; }
ct_skip() { echo "SKIP: $*"; exit 77; }
ct_check() { # DESCRIPTION COMMAND...
        local d=$1; shift
        if "$@"; then ct_ok "$d"; else ct_fail "$d"; fi
}
ct_expect_eq() { # DESCRIPTION GOT WANT
        if [ "$2" = "$3" ]; then ct_ok "$1"; else ct_fail "$1: got '$2', want '$3'"; fi
}
ct_expect_match() { # DESCRIPTION TEXT ERE
        if grep -qE -- "$3" <<<"$2"; then ct_ok "$1"; else ct_fail "$1: /$3/ not in: $(head -c 800 <<<"$2")"; fi
}
ct_expect_nomatch() { # DESCRIPTION TEXT ERE
        if grep -qE -- "$3" <<<"$2"; then ct_fail "$1: /$3/ found in: $(head -c 800 <<<"$2")"; else ct_ok "$1"; fi
}
ct_expect_le() { # DESCRIPTION A B: integers, A <= B
        if [ "$2" -le "$3" ] 2>/dev/null; then ct_ok "$1 ($2 <= $3)"; else ct_fail "$1: $2 > $3"; fi
}
ct_show_log() {
        [ -n "$CT_TMP" ] && [ -s "$CT_TMP/corrald.log" ] || return 0
        echo "--- corrald log (last 40 lines):"
        tail -n 40 "$CT_TMP/corrald.log" | sed 's/^/  | /'
}
ct_finish() {
        if grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" "$CT_TMP/corrald.log" 2>/dev/null; then
                ct_fail "sanitizer report in corrald's log"
        fi
        echo "$ct_checks checks, $ct_failures failed"
        [ $ct_failures -eq 0 ] || { ct_show_log; exit 1; }
        exit 0
}

# ---- time ----
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
now_us() { echo $(( $(date +%s%N) / 1000 )); }
# Seconds scaled for where we run: ct_t 2 is 2 s on the host, 8 s in the VM.
ct_t() { echo $(( $1 * CT_SLOW )); }
# ct_sleep_ms MS: MS milliseconds, scaled like ct_t.
ct_sleep_ms() { sleep "$(awk -v ms="$1" -v k="$CT_SLOW" 'BEGIN { printf "%.3f", ms * k / 1000 }')"; }
# wait_until SECONDS COMMAND...: poll every 50 ms; 0 once COMMAND succeeds.
wait_until() {
        local deadline=$(( $(now_ms) + $1 * 1000 )); shift
        while :; do
                "$@" && return 0
                [ "$(now_ms)" -ge "$deadline" ] && return 1
                sleep 0.05
        done
}

# ---- prerequisites ----
ct_require_root() { [ "$(id -u)" = 0 ] || ct_skip "needs root"; }
ct_require_vm() { # WHY
        [ "$CT_WHERE" = vm ] || ct_skip "needs the VM (CORRAL_TEST_WHERE=vm): $1"
}
ct_require_tools() {
        local t
        for t in "$@"; do command -v "$t" >/dev/null || ct_skip "$t is not installed"; done
}
# The cgroup2 mount: /sys/fs/cgroup in the VM (pure v2), /sys/fs/cgroup/unified
# on this hybrid host.
ct_find_cgroup2() {
        local m
        for m in /sys/fs/cgroup /sys/fs/cgroup/unified; do
                if [ "$(stat -f -c %T "$m" 2>/dev/null)" = cgroup2fs ]; then echo "$m"; return 0; fi
        done
        return 1
}

# ct_init: check what every test needs, make the temp dir, set the traps.
ct_init() {
        local probe
        [ -n "${CORRAL_BUILD:-}" ] && [ -n "${CORRAL_SRC:-}" ] ||
                ct_skip "run through tests/integration/run (CORRAL_BUILD, CORRAL_SRC unset)"
        ct_require_root
        ct_require_tools busctl gdbus dbus-daemon dbus-send setpriv
        [ -x "$CT_CORRALD" ] || { echo "FAIL: $CT_CORRALD not built"; exit 1; }
        CT_CGMOUNT=$(ct_find_cgroup2) || ct_skip "no cgroup2 mount"
        probe=$CT_CGMOUNT/corral-test-probe.$$
        mkdir "$probe" 2>/dev/null && rmdir "$probe" || ct_skip "cgroup2 at $CT_CGMOUNT is not writable"
        CT_CGROOT=/corral-test-$CT_NAME.$$
        [ -e "$CT_CGMOUNT$CT_CGROOT" ] && ct_skip "$CT_CGMOUNT$CT_CGROOT exists already"
        # The build tree's broker config and log process (corrald's
        # installed defaults are under the prefix).
        export CORRAL_BUS_CONFIG=$CORRAL_SRC/supervisor/corral-bus.conf
        export CORRAL_LOG_HELPER=$CORRAL_BUILD/supervisor/corral-log
        export CORRAL_EXECUTOR=$CORRAL_BUILD/ns/corral-executor
        if [ ! -f "$CORRAL_BUS_CONFIG" ]; then
                [ -f "$CORRAL_SRC/supervisor/bus.c" ] && { echo "FAIL: no $CORRAL_BUS_CONFIG"; exit 1; }
                ct_skip "no $CORRAL_BUS_CONFIG (the bus branch is not merged)"
        fi
        CT_TMP=$(mktemp -d "/tmp/corral-$CT_NAME.XXXXXX") || ct_skip "mktemp failed"
        trap ct_cleanup EXIT
        trap 'exit 143' TERM INT HUP
        # uid 65534 must reach the bus socket (access test).
        chmod 755 "$CT_TMP"
        mkdir -p "$CT_TMP/units" "$CT_TMP/run" "$CT_TMP/log"
        chmod 755 "$CT_TMP/run"
        CT_RUN=$CT_TMP/run CT_LOG=$CT_TMP/log CT_UNITS=$CT_TMP/units
        CT_ADDR=unix:path=$CT_RUN/bus
        CT_VETHS_BEFORE=$(ct_links vc-)
        echo "temp dir $CT_TMP, cgroup root $CT_CGMOUNT$CT_CGROOT, bus $CT_ADDR"
}

# ---- files ----
# ct_unit NAME: units/NAME.service from stdin.
ct_unit() { cat >"$CT_UNITS/$1.service"; }
# ct_script NAME: an executable $CT_TMP/NAME from stdin; prints its path.
# Scripts keep shell syntax out of ExecStart= (where $ and % are corral's).
ct_script() { cat >"$CT_TMP/$1"; chmod 755 "$CT_TMP/$1"; echo "$CT_TMP/$1"; }
# corrald.conf: the test's dirs, plus CT_CONF_EXTRA lines for [Manager]
# and CT_CONF_NETWORK lines for [Network].
ct_write_config() {
        {
                echo "[Manager]"
                echo "CgroupRoot=$CT_CGROOT"
                echo "RuntimeDirectory=$CT_RUN"
                echo "LogDirectory=$CT_LOG"
                # This hybrid host has no controllers on cgroup2; the VM
                # enforces every limit.
                [ "$CT_WHERE" = vm ] || echo "UnenforceableLimits=warn"
                [ ${#CT_CONF_EXTRA[@]} -gt 0 ] && printf '%s\n' "${CT_CONF_EXTRA[@]}"
                if [ -n "${CT_CONF_NETWORK:-}" ]; then echo "[Network]"; echo "$CT_CONF_NETWORK"; fi
        } >"$CT_TMP/corrald.conf"
}

# ---- corrald ----
bctl() { busctl --address="$CT_ADDR" "$@"; }
corrald_answers() {
        bctl --timeout=2 call org.corral1 /org/corral1 org.freedesktop.DBus.Peer Ping >/dev/null 2>&1
}
corrald_alive() { [ -n "$CT_PID" ] && kill -0 "$CT_PID" 2>/dev/null && ! ct_is_zombie "$CT_PID"; }
ct_is_zombie() { [ "$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" = Z ]; }

# corrald_start [EXTRA ARGS...]: start corrald, wait until org.corral1
# answers (bounded), die if it exits first.
corrald_start() {
        local deadline
        ct_write_config
        echo "=== corrald start $(date +%T.%N)" >>"$CT_TMP/corrald.log"
        "$CT_CORRALD" --config "$CT_TMP/corrald.conf" --units "$CT_UNITS" --bus private \
                --log-level "${CT_LOG_LEVEL:-info}" "$@" >>"$CT_TMP/corrald.log" 2>&1 &
        CT_PID=$!
        deadline=$(( $(now_ms) + $(ct_t 15) * 1000 ))
        until corrald_answers; do
                corrald_alive || { wait "$CT_PID"; local rc=$?; CT_PID=; ct_die "corrald exited ($rc) before org.corral1 answered"; }
                [ "$(now_ms)" -ge "$deadline" ] && ct_die "org.corral1 did not answer within $(ct_t 15) s"
                sleep 0.05
        done
        echo "corrald $CT_PID answers on $CT_ADDR"
}
# corrald_stop: SIGTERM, wait (bounded), assert exit status 0.
corrald_stop() {
        local rc
        [ -n "$CT_PID" ] || { ct_fail "corrald_stop: no corrald"; return 1; }
        kill -TERM "$CT_PID"
        if ! wait_until "$(ct_t 30)" ct_gone_or_zombie "$CT_PID"; then
                ct_fail "corrald did not exit within $(ct_t 30) s of SIGTERM"
                kill -9 "$CT_PID"
        fi
        wait "$CT_PID"; rc=$?
        CT_PID=
        ct_expect_eq "corrald exits 0 on SIGTERM" "$rc" 0
}
ct_gone_or_zombie() { [ ! -d "/proc/$1" ] || ct_is_zombie "$1"; }
# corrald_kill9: kill -9 and reap it; the services and the broker live on.
corrald_kill9() {
        kill -9 "$CT_PID"; wait "$CT_PID" 2>/dev/null; CT_PID=
}
corrald_fds() { ls "/proc/$CT_PID/fd" | wc -l; }
corrald_tasks() { ls "/proc/$CT_PID/task" | wc -l; }
corrald_rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$CT_PID/status"; }

# ---- bus ----
# "web-1" -> /org/corral1/service/web_2d1 (spec §4).
svc_path() {
        local n=$1 out= c i
        for ((i = 0; i < ${#n}; i++)); do
                c=${n:i:1}
                case "$c" in
                [A-Za-z0-9]) out+=$c ;;
                *) out+=$(printf '_%02x' "'$c") ;;
                esac
        done
        echo "/org/corral1/service/$out"
}
# call METHOD [SIGNATURE ARGS...]: Manager method through busctl; its output,
# busctl's exit status.
CT_CALL_TIMEOUT=$((60 * CT_SLOW))
call() { bctl --timeout="$CT_CALL_TIMEOUT" call org.corral1 /org/corral1 org.corral1.Manager "$@" 2>&1; }
svc_call() { local n=$1; shift; bctl --timeout="$CT_CALL_TIMEOUT" call org.corral1 "$(svc_path "$n")" org.corral1.Service "$@" 2>&1; }
# prop NAME PROP: the value, without its type and, for strings, quotes:
# 's "active"' -> active, 'u 42' -> 42, 'as 2 "a" "b"' -> 2 "a" "b".
prop_raw() { bctl get-property org.corral1 "$(svc_path "$1")" org.corral1.Service "$2" 2>&1; }
prop() {
        local v
        v=$(prop_raw "$1" "$2") || { echo "<error: $v>"; return 1; }
        v=${v#* }
        case "$v" in \"*\") v=${v#\"}; v=${v%\"} ;; esac
        echo "$v"
}
mgr_prop() {
        local v
        v=$(bctl get-property org.corral1 /org/corral1 org.corral1.Manager "$1" 2>&1) || { echo "<error: $v>"; return 1; }
        v=${v#* }; case "$v" in \"*\") v=${v#\"}; v=${v%\"} ;; esac
        echo "$v"
}
state_of() { echo "$(prop "$1" ActiveState)/$(prop "$1" SubState)"; }
# dcall OBJECT IFACE.METHOD [type:value...]: dbus-send, which prints the
# error name ("Error org.corral1.Error.NoSuchService: ...").
dcall() {
        local obj=$1 m=$2; shift 2
        dbus-send --bus="$CT_ADDR" --print-reply --reply-timeout=$((CT_CALL_TIMEOUT * 1000)) --dest=org.corral1 "$obj" "$m" "$@" 2>&1
}
dmgr() { local m=$1; shift; dcall /org/corral1 "org.corral1.Manager.$m" "$@"; }
# gcall OBJECT IFACE.METHOD GVARIANT-ARGS...: gdbus, for a(sv) arguments.
gcall() {
        local obj=$1 m=$2; shift 2
        gdbus call --address "$CT_ADDR" --dest org.corral1 --object-path "$obj" --method "$m" "$@" 2>&1
}
# The D-Bus error name in dbus-send's or gdbus's output, or "" for none.
err_name() {
        sed -nE 's/^Error ([A-Za-z0-9_.]+): .*/\1/p; s/.*GDBus\.Error:([A-Za-z0-9_.]+): .*/\1/p' <<<"$1" | head -n 1
}
as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }

# wait_state NAME ACTIVE SUB SECONDS: bounded; says what it saw on timeout.
wait_state() {
        local n=$1 a=$2 s=$3 t=$4
        if wait_until "$t" ct_state_is "$n" "$a/$s"; then return 0; fi
        echo "  (wait_state $n: want $a/$s after $t s, have $(state_of "$n"))"
        return 1
}
ct_state_is() { [ "$(state_of "$1")" = "$2" ]; }
wait_prop() { # NAME PROP VALUE SECONDS
        if wait_until "$4" ct_prop_is "$1" "$2" "$3"; then return 0; fi
        echo "  (wait_prop $1 $2: want '$3' after $4 s, have '$(prop "$1" "$2")')"
        return 1
}
ct_prop_is() { [ "$(prop "$1" "$2")" = "$3" ]; }

# ---- signals: gdbus monitor into $CT_TMP/monitor ----
# Each line is "USEC LINE": USEC is when the line reached us (CLOCK_REALTIME,
# $EPOCHREALTIME: no fork per line), for latency checks (monitor_time).
monitor_start() {
        : >"$CT_TMP/monitor"
        rm -f "$CT_TMP/monitor.fifo"
        mkfifo "$CT_TMP/monitor.fifo"
        ( while IFS= read -r l; do printf '%s %s\n' "${EPOCHREALTIME/./}" "$l"; done \
                <"$CT_TMP/monitor.fifo" >>"$CT_TMP/monitor" ) &
        CT_MONREADER=$!
        gdbus monitor --address "$CT_ADDR" --dest org.corral1 >"$CT_TMP/monitor.fifo" 2>&1 &
        CT_MONPID=$!
        wait_until "$(ct_t 5)" grep -q "is owned by" "$CT_TMP/monitor" ||
                ct_fail "gdbus monitor did not subscribe"
}
monitor_stop() {
        [ -n "$CT_MONPID" ] && kill "$CT_MONPID" 2>/dev/null && wait "$CT_MONPID" 2>/dev/null
        # The reader ends at the FIFO's EOF.
        [ -n "$CT_MONREADER" ] && { wait_until 2 not_alive "$CT_MONREADER" || kill "$CT_MONREADER"; } 2>/dev/null
        CT_MONPID= CT_MONREADER=
}
monitor_wait() { wait_until "$2" grep -qE -- "$1" "$CT_TMP/monitor"; }  # ERE SECONDS
# When the first line matching ERE arrived (µs since the epoch), or nothing.
monitor_time() { grep -E -- "$1" "$CT_TMP/monitor" | head -n 1 | cut -d' ' -f1; }
# The SubState values NAME went through, in order, one a line.
monitor_substates() {
        grep -F "$(svc_path "$1"): " "$CT_TMP/monitor" | grep -oE "'SubState': <'[a-z-]+'>" | sed -E "s/.*<'(.*)'>/\1/"
}
monitor_activestates() {
        grep -F "$(svc_path "$1"): " "$CT_TMP/monitor" | grep -oE "'ActiveState': <'[a-z-]+'>" | sed -E "s/.*<'(.*)'>/\1/"
}

# ct_oneshot_unit NAME COMMAND [KEY-LINES...]: a oneshot unit that is not
# auto-started, has no start limit (tests start it often) and writes its
# stdout to $CT_TMP/out/NAME; ct_run_oneshot NAME starts it afresh and
# prints that output on one line.
ct_oneshot_unit() {
        local n=$1 cmd=$2; shift 2
        mkdir -p "$CT_TMP/out"
        {
                printf '[Unit]\nAutoStart=no\nStartLimitIntervalSec=0\n[Service]\nType=oneshot\n'
                printf 'ExecStart=%s\nStandardOutput=file:%s/out/%s\n' "$cmd" "$CT_TMP" "$n"
                [ $# -gt 0 ] && printf '%s\n' "$@"
        } | ct_unit "$n"
}
ct_run_oneshot() {
        rm -f "$CT_TMP/out/$1"
        call StartService s "$1" >/dev/null
        tr '\n' ' ' <"$CT_TMP/out/$1" 2>/dev/null | sed 's/ $//'
}

# ---- kernel-side views ----
cg_dir() { local p; p=$(prop "$1" CgroupPath) && [ -n "$p" ] && echo "$CT_CGMOUNT$p"; }
cg_procs() { cat "$(cg_dir "$1")/cgroup.procs" 2>/dev/null; }
# Every process in our cgroup subtree.
ct_all_procs() { find "$CT_CGMOUNT$CT_CGROOT" -name cgroup.procs -exec cat {} + 2>/dev/null; }
# The cgroup dirs under our root, relative to it, sorted.
ct_cgroup_tree() { (cd "$CT_CGMOUNT$CT_CGROOT" 2>/dev/null && find . -type d | sort); }
# vc-* links that were not there at ct_init. (No <(...): the VM has no /dev/fd.)
ct_new_veths() {
        local l
        for l in $(ct_links vc-); do grep -qxF -- "$l" <<<"$CT_VETHS_BEFORE" || echo "$l"; done
}
ct_links() { ip -o link show 2>/dev/null | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep "^$1" | sort; }
ct_cmdline() { tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline"; }
# /proc/PID/stat field 22, to tell a pid from its reuse.
ct_starttime() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }
# Zombies whose parent is PID.
ct_zombies_of() {
        local p n=0
        for p in /proc/[0-9]*/stat; do
                read -r -a f <<<"$(sed 's/^.*) //' "$p" 2>/dev/null)" || continue
                [ "${f[0]:-}" = Z ] && [ "${f[1]:-}" = "$1" ] && n=$((n + 1))
        done
        echo $n
}
# A process that is alive (not gone, not a zombie).
ct_alive() { [ -d "/proc/$1" ] && ! ct_is_zombie "$1"; }
not_alive() { ! ct_alive "$1"; }
ct_bg() { "$@" & CT_BG_PIDS+=($!); }

# ---- cleanup: only what this test made ----
ct_kill_cgroup_tree() {
        local root=$CT_CGMOUNT$CT_CGROOT d
        [ -n "$CT_CGMOUNT" ] && [ -d "$root" ] || return 0
        for d in $(find "$root" -depth -type d); do
                if [ -e "$d/cgroup.kill" ]; then
                        echo 1 >"$d/cgroup.kill" 2>/dev/null
                else
                        xargs -r kill -9 <"$d/cgroup.procs" 2>/dev/null
                fi
        done
        for d in $(find "$root" -depth -type d); do
                wait_until 5 rmdir "$d" 2>/dev/null || echo "warning: could not remove cgroup $d"
        done
}
ct_kill_broker() {
        local pid start
        [ -f "$CT_RUN/bus.pid" ] || return 0
        read -r pid start <"$CT_RUN/bus.pid" || return 0
        # The recorded process, if still that one: comm and start time.
        [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dbus-daemon ] && [ "$(ct_starttime "$pid")" = "$start" ] &&
                kill "$pid" 2>/dev/null
}
# corral-log processes holding a file in our temp dir.
ct_our_loggers() {
        local p
        for p in $(pidof corral-log 2>/dev/null); do
                ls -l "/proc/$p/fd" 2>/dev/null | grep -qF -- "$CT_TMP/" && echo "$p"
        done
}
ct_no_loggers() { [ -z "$(ct_our_loggers)" ]; }
ct_cleanup() {
        local rc=$? p n
        trap - EXIT
        monitor_stop
        for p in "${CT_BG_PIDS[@]}"; do kill "$p" 2>/dev/null; done
        if [ -n "$CT_PID" ]; then kill -9 "$CT_PID" 2>/dev/null; wait "$CT_PID" 2>/dev/null; fi
        ct_kill_cgroup_tree
        ct_kill_broker
        if [ -n "$CT_TMP" ]; then
                # Loggers end at EOF once the services are gone; any left is ours.
                wait_until 3 ct_no_loggers || ct_our_loggers | xargs -r kill 2>/dev/null
                if [ "$CT_WHERE" = vm ]; then
                        for n in "$CT_UNITS"/*.service; do
                                n=$(basename "$n" .service)
                                if [ -e "/run/netns/corral-$n" ]; then
                                        umount "/run/netns/corral-$n" 2>/dev/null
                                        rm -f "/run/netns/corral-$n"
                                fi
                        done
                        for n in $(ct_new_veths); do
                                ip link del "$n" 2>/dev/null
                        done
                fi
                rm -rf "$CT_TMP"
        fi
        exit $rc
}
