#!/bin/bash
# corral-test-vm: no (corralctl's control verbs: no limit or link)
# corralctl's control commands and logs (spec §5) against a real corrald:
# start/stop/restart/reload/kill/freeze/thaw/daemon-reload wait for the
# daemon and exit 0/1/2/4 with its reasons; a non-root caller gets the
# daemon's AccessDenied message; logs -n N prints exactly the last N lines;
# logs -f follows NAME.log across corral-log's rotations, every line once.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
CT_CONF_EXTRA=(LogMaxBytes=4K LogKeep=3)
CTL=$CORRAL_BUILD/supervisor/corralctl
ctl() { "$CTL" --bus "$CT_ADDR" "$@"; }
# run_ctl ARGS...: sets rc, out (stdout) and err (stderr).
run_ctl() {
        out=$(ctl "$@" 2>"$CT_TMP/err"); rc=$?
        err=$(cat "$CT_TMP/err")
}

web=$(ct_script web.sh <<EOF
#!/bin/sh
trap 'touch $CT_TMP/usr1' USR1
while :; do sleep 1 & wait \$!; done
EOF
)
ct_unit cc-web <<EOF
[Service]
ExecStart=$web
ExecReload=/bin/touch $CT_TMP/reloaded
EOF
ct_unit cc-bad <<EOF
[Service]
BindPaths=$CT_TMP/missing:/data
ExecStart=/bin/sleep 100
EOF
lines=$(ct_script lines.sh <<'EOF'
#!/bin/sh
for i in $(seq 1 20); do echo "line $i"; done
exec sleep 1000
EOF
)
ct_unit cc-lines <<EOF
[Service]
ExecStart=$lines
EOF
ct_unit cc-file <<EOF
[Service]
StandardOutput=file:$CT_TMP/cc-file.out
StandardError=inherit
ExecStart=/bin/sh -c "echo hello file; exec sleep 1000"
EOF
ct_unit cc-journal <<EOF
[Service]
StandardOutput=journal
ExecStart=/bin/sleep 100
EOF
# 300 numbered lines of ~95 bytes with time stamps, ~7 rotations at 4K,
# in bursts, once $CT_TMP/go exists.
rot=$(ct_script rot.sh <<EOF
#!/bin/sh
while [ ! -e $CT_TMP/go ]; do sleep 0.05; done
i=1
while [ \$i -le 300 ]; do
        echo "rot \$i ................................................"
        [ \$((i % 20)) -eq 0 ] && sleep 0.02
        i=\$((i + 1))
done
exec sleep 1000
EOF
)
ct_unit cc-rot <<EOF
[Service]
ExecStart=$rot
EOF
corrald_start

# ---- start / reload / kill / freeze / thaw / restart / stop ----
run_ctl start cc-web
ct_expect_eq "start cc-web exits 0" "$rc" 0
ct_expect_eq "start returns once running" "$(state_of cc-web)" active/running
pid=$(prop cc-web MainPID)
run_ctl reload cc-web
ct_expect_eq "reload exits 0" "$rc" 0
ct_check "reload ran ExecReload=" test -e "$CT_TMP/reloaded"
run_ctl freeze cc-web
ct_expect_eq "freeze exits 0" "$rc" 0
ct_expect_eq "FreezerState frozen" "$(prop cc-web FreezerState)" frozen
ct_expect_eq "cgroup.freeze is 1" "$(cat "$(cg_dir cc-web)/cgroup.freeze")" 1
run_ctl thaw cc-web
ct_expect_eq "thaw exits 0" "$rc" 0
ct_expect_eq "FreezerState running" "$(prop cc-web FreezerState)" running
ct_expect_eq "cgroup.freeze is 0" "$(cat "$(cg_dir cc-web)/cgroup.freeze")" 0
run_ctl kill -s USR1 cc-web
ct_expect_eq "kill -s USR1 exits 0" "$rc" 0
ct_check "the service trapped USR1" wait_until "$(ct_t 5)" test -e "$CT_TMP/usr1"
# A kill walk freezes and thaws the cgroup itself; a freeze right behind
# it must still be answered (its change can merge with the walk's thaw).
for i in 1 2 3; do
        ctl kill -s USR1 cc-web
        out=$(timeout "$(ct_t 20)" "$CTL" --bus "$CT_ADDR" freeze cc-web 2>&1); rc=$?
        ct_expect_eq "kill then freeze at once ($i): exit 0" "$rc" 0
        ct_expect_eq "kill then freeze at once ($i): FreezerState frozen" "$(prop cc-web FreezerState)" frozen
        run_ctl thaw cc-web
        ct_expect_eq "then thaw ($i): FreezerState running" "$(prop cc-web FreezerState)" running
done
run_ctl kill -s SIGBOGUS cc-web
ct_expect_eq "kill -s SIGBOGUS: exit 2" "$rc" 2
ct_expect_eq "kill -s SIGBOGUS: one line" "$(wc -l <<<"$err")" 1
ct_expect_match "kill -s SIGBOGUS: says why" "$err" "unknown signal 'SIGBOGUS'"
run_ctl start --help
ct_expect_eq "start --help: exit 0, as systemctl" "$rc" 0
ct_expect_match "start --help: the usage" "$out" "^Usage: corralctl "
run_ctl restart cc-web
ct_expect_eq "restart exits 0" "$rc" 0
ct_expect_eq "restart returns once running" "$(state_of cc-web)" active/running
ct_check "restart: a new main process" test "$(prop cc-web MainPID)" != "$pid"
ct_check "restart: the old one is gone" not_alive "$pid"
pid=$(prop cc-web MainPID)
run_ctl kill cc-web
ct_expect_eq "kill (SIGTERM) exits 0" "$rc" 0
ct_check "kill: SIGTERM ended the main process" wait_until "$(ct_t 5)" not_alive "$pid"
ctl start cc-web
run_ctl stop cc-web
ct_expect_eq "stop exits 0" "$rc" 0
ct_expect_eq "stop returns once stopped" "$(state_of cc-web)" inactive/dead

# ---- failures and exit codes ----
run_ctl start cc-bad
ct_expect_eq "start cc-bad: exit 1" "$rc" 1
ct_expect_match "start cc-bad: the daemon's reason" "$err" \
        "^corralctl: failed to start cc-bad: .*$CT_TMP/missing.*No such file or directory"
run_ctl start cc-nosuch
ct_expect_eq "start unknown: exit 4" "$rc" 4
ct_expect_eq "start unknown: message" "$err" "corralctl: no such service 'cc-nosuch'"
run_ctl start cc-web cc-nosuch cc-bad
ct_expect_eq "several names: the worst exit code" "$rc" 4
ct_expect_eq "several names: each one done" "$(state_of cc-web)" active/running
ct_expect_eq "several names: two messages" "$(wc -l <<<"$err")" 2
run_ctl start
ct_expect_eq "start without NAME: exit 2" "$rc" 2
ct_expect_match "start without NAME: a hint" "$err" "^corralctl: start: missing service name \(usage: "
run_ctl stop -x cc-web
ct_expect_eq "unknown option: exit 2" "$rc" 2
run_ctl daemon-reload cc-web
ct_expect_eq "daemon-reload NAME: exit 2" "$rc" 2
out=$(as_nobody "$CTL" --bus "$CT_ADDR" stop cc-web 2>&1); rc=$?
ct_expect_eq "uid 65534: stop exits 1" "$rc" 1
ct_expect_match "uid 65534: the daemon's message" "$out" "^corralctl: StopService needs root"
ct_expect_eq "uid 65534: nothing stopped" "$(state_of cc-web)" active/running

# ---- daemon-reload ----
ct_unit cc-new <<EOF
[Service]
ExecStart=/bin/sleep 1000
EOF
run_ctl start cc-new
ct_expect_eq "cc-new before daemon-reload: exit 4" "$rc" 4
run_ctl daemon-reload
ct_expect_eq "daemon-reload exits 0" "$rc" 0
run_ctl start cc-new
ct_expect_eq "daemon-reload loaded cc-new: start exits 0" "$rc" 0

# ---- logs ----
ctl start cc-lines
ct_check "cc-lines wrote 20 lines" wait_until "$(ct_t 5)" grep -q "line 20$" "$CT_LOG/cc-lines.log"
run_ctl logs -n 3 cc-lines
ct_expect_eq "logs -n 3: exit 0" "$rc" 0
ct_expect_eq "logs -n 3: the last 3 lines" "$(sed 's/^[^ ]* //' <<<"$out" | tr '\n' ,)" "line 18,line 19,line 20,"
run_ctl logs cc-lines
ct_expect_eq "logs: every line by default" "$(wc -l <<<"$out")" 20
ct_expect_match "logs: time-stamped" "$(head -n 1 <<<"$out")" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[+-][0-9:]+ line 1$"
run_ctl logs -n 0 cc-lines
ct_expect_eq "logs -n 0: nothing" "$out" ""
ctl start cc-file
ct_check "cc-file wrote its file" wait_until "$(ct_t 5)" grep -q "hello file" "$CT_TMP/cc-file.out"
run_ctl logs cc-file
ct_expect_eq "logs of StandardOutput=file:PATH shows PATH" "$out" "hello file"
run_ctl logs cc-journal
ct_expect_eq "logs of a journal service: exit 1" "$rc" 1
ct_expect_match "logs of a journal service: says where" "$err" "journalctl -t cc-journal"
run_ctl logs cc-nosuch
ct_expect_eq "logs of an unknown service: exit 4" "$rc" 4
run_ctl logs -n x cc-lines
ct_expect_eq "logs -n x: exit 2" "$rc" 2

# logs -f across rotations: a follower started before the writer sees
# every line once, in order, the last one written long after a rotation.
ctl start cc-rot
"$CTL" --bus "$CT_ADDR" logs -f cc-rot >"$CT_TMP/follow" 2>"$CT_TMP/follow.err" &
fpid=$!
has_inotify() { ls -l "/proc/$fpid/fd" 2>/dev/null | grep -q inotify; }
ct_check "logs -f watches the log directory" wait_until "$(ct_t 5)" has_inotify
touch "$CT_TMP/go"
ct_check "logs -f: the last line arrives" wait_until "$(ct_t 10)" grep -q "rot 300 " "$CT_TMP/follow"
ct_check "the log rotated" test -e "$CT_LOG/cc-rot.log.2"
got=$(sed -n 's/^[^ ]* rot \([0-9]*\) .*/\1/p' "$CT_TMP/follow" | tr '\n' ' ')
ct_expect_eq "logs -f: every line once, in order" "$got" "$(seq 1 300 | tr '\n' ' ')"
ct_expect_eq "logs -f: nothing else" "$(wc -l <"$CT_TMP/follow")" 300
kill -TERM "$fpid"
wait "$fpid"; rc=$?
ct_expect_eq "logs -f ends with 0 on SIGTERM" "$rc" 0
ct_expect_eq "logs -f: no error" "$(cat "$CT_TMP/follow.err")" ""

corrald_stop
ct_finish
