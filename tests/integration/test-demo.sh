#!/bin/bash
# Issue 12, "The README's first command": scripts/demo runs corral for real
# (install into a private prefix, corrald on a copy of examples/, corralctl
# start/list/status, a page fetched through web's forwarded port in the
# demo's own network namespace, busctl, a run -P under MemoryMax=), exits 0
# and leaves nothing behind; a Ctrl-C in the middle leaves nothing either.
# It reuses this build tree (CORRAL_DEMO_BUILD) and puts its temp dir under
# ours (TMPDIR), so what it leaves can be found.
. "$(dirname "$0")/corrald-lib.sh"

ct_init
ct_require_tools curl unshare meson python3
cd "$CORRAL_SRC" || exit 1
export CORRAL_DEMO_BUILD=$CORRAL_BUILD TMPDIR=$CT_TMP/tmp
mkdir -p "$TMPDIR"
pins_before=$(ls /run/netns 2>/dev/null | grep '^corral-' | sort | tr '\n' ' ')
demo_cgroups() { ls -d "$CT_CGMOUNT"/corral-demo-* 2>/dev/null; }
# Processes that name our temp dir on their command line or hold a file in it.
demo_procs() {
        local p
        for p in /proc/[0-9]*; do
                [ "${p#/proc/}" = $$ ] && continue
                if { tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | grep -qF -- "$TMPDIR/" ||
                        ls -l "$p/fd" 2>/dev/null | grep -qF -- "$TMPDIR/"; then
                        echo "${p#/proc/}: $({ tr '\0' ' ' <"$p/cmdline"; } 2>/dev/null | head -c 120)"
                fi
        done
}
nothing_left() { # LABEL
        ct_expect_eq "$1: no process of the demo left" "$(demo_procs)" ""
        ct_expect_eq "$1: its temp dir is gone" "$(ls -A "$TMPDIR")" ""
        ct_expect_eq "$1: no corral-demo-* cgroup left" "$(demo_cgroups)" ""
        ct_expect_eq "$1: no new /run/netns/corral-* pin on the host" \
                "$(ls /run/netns 2>/dev/null | grep '^corral-' | sort | tr '\n' ' ')" "$pins_before"
        ct_expect_eq "$1: no new vc-* veth on the host" "$(ct_new_veths)" ""
}
ct_expect_eq "no corral-demo-* cgroup before" "$(demo_cgroups)" ""

# ---- the whole demo ----
start=$(now_ms)
timeout -k 5 $(ct_t 60) scripts/demo >"$CT_TMP/demo.out" 2>&1
rc=$?
took=$(( $(now_ms) - start ))
out=$(cat "$CT_TMP/demo.out")
sed 's/^/  | /' "$CT_TMP/demo.out"
ct_expect_eq "scripts/demo exits 0 (${took} ms)" "$rc" 0
ct_expect_match "installed into a private prefix" "$out" '^  /usr/local/sbin/corrald$'
ct_expect_match "the installed corrald answers" "$out" "^corrald [0-9]+ answers on unix:path=$TMPDIR/corral-demo\.[A-Za-z0-9]+/run/bus"
ct_expect_match "list: web active/running with its address" "$out" '^web +active +running +[0-9]+ .* 10\.89\.0\.[0-9]+$'
ct_expect_match "list: worker@1 active/running" "$out" '^worker@1 +active +running +[0-9]+ '
ct_expect_match "list: worker@2 active/running" "$out" '^worker@2 +active +running +[0-9]+ '
status=$(sed -n '/^--- corralctl status web$/,/^--- /p' "$CT_TMP/demo.out")
ct_expect_match "status web: the title line" "$status" '^● web\.service - Static web server'
ct_expect_match "status web: Active: active (running) since ...; ... ago" "$status" \
        '^ +Active: active \(running\) since .*; .* ago$'
ct_expect_match "status web: Main PID" "$status" '^ +Main PID: [0-9]+$'
ct_expect_match "status web: its namespaces" "$status" '^ +Namespaces: pid mnt net'
ct_expect_match "status web: its log has the request" "$status" '"GET /base-files/copyright HTTP/1\.1" 200'
ct_expect_match "a page through web's forwarded port 127.0.0.1:8080" "$out" '^HTTP/1\.[01] 200 OK$'
ct_expect_match "the page: /usr/share/doc/base-files/copyright" "$out" \
        "^$(head -n 1 /usr/share/doc/base-files/copyright)\$"
ct_expect_match "the page: its length is the file's" "$out" \
        "^Content-Length: $(stat -c %s /usr/share/doc/base-files/copyright)\$"
ct_expect_match "busctl tree: web's object" "$out" '^/org/corral1/service/web$'
ct_expect_match "busctl tree: worker@1's object" "$out" '^/org/corral1/service/worker_401$'
ct_expect_match "busctl get-property: web's IPAddress" "$out" '^s "10\.89\.0\.[0-9]+"$'
ct_expect_match "run -P: a transient unit" "$out" '^Running as unit: run-[0-9]+$'
if [ "$CT_CGMOUNT" = /sys/fs/cgroup ]; then
        ct_expect_nomatch "pure cgroup2: no word of cgroup v1" "$out" 'belong to cgroup v1'
        ct_expect_match "run -P: the shell ran in its own cgroup" "$out" '^in cgroup /.*run-[0-9]+\.service$'
        ct_expect_nomatch "run -P: 100 MiB do not fit in MemoryMax=64M" "$out" '^100 MiB held$'
        ct_expect_match "run -P: the result is oom-kill" "$out" '^Finished with result: oom-kill$'
else
        ct_expect_match "hybrid host: one sentence says so, with the VM path" "$out" \
                "^This host's controllers .* belong to cgroup v1, so corrald runs here with UnenforceableLimits=warn: .*tests/vm/run"
        ct_expect_match "run -P: the shell ran in its own cgroup" "$out" '^in cgroup /corral-demo-[0-9]+/run-[0-9]+\.service$'
        ct_expect_match "run -P: 100 MiB held (no limit here)" "$out" '^100 MiB held$'
        ct_expect_match "run -P: result success, exit status 0" "$out" '^Main processes terminated with: code=exited/status=0$'
fi
ct_expect_match "corrald exits 0 on the demo's SIGTERM" "$out" '^--- corrald exited with status 0$'
ct_expect_nomatch "no sanitizer report from corrald or corralctl" "$out" 'AddressSanitizer|LeakSanitizer|runtime error:'
ct_expect_match "the demo says what it removed" "$out" '^--- done: '
nothing_left "after the demo"

# ---- Ctrl-C in the middle: SIGINT to the demo's process group ----
# (on the host only: a second demo costs a minute in the VM, and the
# cleanup it exercises is the same script)
if [ "$CT_WHERE" = vm ]; then
        echo "SKIP Ctrl-C: on the host only"
        ct_finish
fi
set -m
scripts/demo >"$CT_TMP/demo-int.out" 2>&1 &
dpid=$!
set +m
if wait_until "$(ct_t 30)" grep -q '^--- corralctl list$' "$CT_TMP/demo-int.out"; then
        kill -INT -- "-$dpid"
        wait_until "$(ct_t 60)" not_alive "$dpid" || { ct_fail "the demo did not end within $(ct_t 60) s of Ctrl-C"; kill -9 -- "-$dpid"; }
        wait "$dpid"; rc=$?
        ct_check "Ctrl-C: the demo ends with a failure status ($rc)" [ "$rc" != 0 ]
        ct_expect_nomatch "Ctrl-C: it did not reach the end" "$(cat "$CT_TMP/demo-int.out")" '^--- done: '
else
        ct_fail "the second demo did not reach corralctl list: $(tail -n 5 "$CT_TMP/demo-int.out")"
        kill -INT -- "-$dpid"; wait "$dpid"
fi
nothing_left "after Ctrl-C"

ct_finish
