#!/bin/bash
# corralctl's read commands (spec §5, issue 12) against one corrald:
# list (80 columns, each cell under its header, values as on the bus,
# --json), status (systemctl's layout, exit 0/3/4, the last log lines, no
# escapes off a TTY, a coloured dot on one, --json), top (one snapshot off
# a TTY with CPU % over a second, --json; on a pty: the full-screen view,
# its keys, the terminal restored after q and after SIGTERM); 144 services
# (more calls than dbus-daemon lets one connection have pending), one of
# them with a name cut to fit 80 columns.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
ct_require_tools python3
NOTIFY=$CT_HELPERS/helper-notify
[ -x "$NOTIFY" ] || ct_die "$NOTIFY not built"
CTL=$CORRAL_BUILD/supervisor/corralctl
ctl() { "$CTL" --bus "$CT_ADDR" "$@"; }
T=$(ct_t 10)
U64_MAX=18446744073709551615
maxlen() { awk '{ if (length > m) m = length } END { print m + 0 }' <<<"$1"; }
show() { printf '%s\n' "$1" | sed 's/^/  | /'; }

web=$(ct_script web.sh <<'EOF'
#!/bin/sh
printf '\033]0;retitled\007rd-web escapes\n'
echo "rd-web says hello"
exec sleep 1000
EOF
)
# Spins for a few seconds once started (during top's second), then sleeps.
burn=$(ct_script burn.sh <<EOF
#!/bin/bash
end=\$((SECONDS + $(ct_t 4)))
while [ \$SECONDS -lt \$end ]; do :; done
exec sleep 1000
EOF
)
ct_unit rd-web <<EOF
[Unit]
Description=Read test web server
[Service]
ExecStart=$web
MemoryMax=64M
TasksMax=50
PrivatePIDs=yes
PrivateNetwork=yes
EOF
ct_unit rd-fail <<EOF
[Unit]
Description=Read test failing service
[Service]
ExecStart=/bin/sh -c "echo rd-fail gives up; exit 3"
EOF
ct_unit rd-notify <<EOF
[Unit]
Description=Read test notify service
[Service]
Type=notify
ExecStart=$NOTIFY serve 0
EOF
ct_unit rd-burn <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=$burn
EOF
corrald_start
ct_check "rd-web runs" wait_state rd-web active running "$T"
ct_check "rd-notify runs" wait_state rd-notify active running "$T"
ct_check "rd-fail failed" wait_state rd-fail failed failed "$T"
ct_check "rd-web's line is in its log" wait_until "$T" grep -qs "rd-web says hello" "$(prop rd-web LogPath)"
ct_check "rd-fail's line is in its log" wait_until "$T" grep -qs "rd-fail gives up" "$(prop rd-fail LogPath)"
ct_check "rd-notify's status" wait_prop rd-notify StatusText ready "$T"
pid_web=$(prop rd-web MainPID)

# ---- list ----
out=$(ctl list); rc=$?
show "$out"
ct_expect_eq "list exits 0" "$rc" 0
ct_expect_match "list: the header" "$(head -n 1 <<<"$out")" '^NAME +ACTIVE +SUB +PID +MEMORY +CPU +TASKS +ADDRESS$'
ct_expect_eq "list: a row a service" "$(wc -l <<<"$out")" 5
ct_expect_le "list: every line within 80 columns" "$(maxlen "$out")" 80
# cells.py LISTING NAME|COLUMN|ERE...: text starts under its header's
# start, numbers end under its end, and the cell matches ERE.
cat >"$CT_TMP/cells.py" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
cols = {m.group(): (m.start(), m.end()) for m in re.finditer(r'\S+', lines[0])}
right = {'PID', 'MEMORY', 'CPU', 'TASKS'}
bad = 0
for spec in sys.argv[2:]:
    name, col, want = spec.split('|', 2)
    rows = [l for l in lines[1:] if l.startswith(name + ' ')]
    if len(rows) != 1:
        print(f'no row for {name}'); bad += 1; continue
    row = rows[0]
    s, e = cols[col]
    if col in right:
        ok = re.search(r'(^|\s)(' + want + r')$', row[:e]) and row[e:e + 1] in ('', ' ')
    else:
        ok = row[s - 1:s] in ('', ' ') and re.match('(' + want + r')(\s|$)', row[s:])
    if not ok:
        print(f'{name} {col}: want /{want}/ at {s}-{e} in: {row!r}'); bad += 1
sys.exit(bad != 0)
PY
printf '%s\n' "$out" >"$CT_TMP/list.out"
cell() { python3 "$CT_TMP/cells.py" "$CT_TMP/list.out" "$@"; }
ct_check "list: rd-web's ACTIVE, SUB, PID (= MainPID $pid_web), ADDRESS" \
        cell "rd-web|ACTIVE|active" "rd-web|SUB|running" "rd-web|PID|$pid_web" "rd-web|ADDRESS|-"
ct_check "list: rd-notify's PID = its MainPID" cell "rd-notify|PID|$(prop rd-notify MainPID)"
ct_check "list: rd-fail failed/failed, no PID" cell "rd-fail|ACTIVE|failed" "rd-fail|SUB|failed" "rd-fail|PID|-"
ct_check "list: rd-burn inactive/dead" cell "rd-burn|ACTIVE|inactive" "rd-burn|SUB|dead"
# Counters: "-" exactly when the bus says unknown (UINT64_MAX).
size_re='[0-9]+(\.[0-9])?[BKMGTPE]'
for c in "MemoryCurrent MEMORY $size_re" "TasksCurrent TASKS [0-9]+" "CPUUsageNSec CPU [0-9].*"; do
        read -r p col re <<<"$c"
        [ "$(prop rd-web "$p")" = $U64_MAX ] && re=-
        ct_check "list: rd-web's $col /$re/ as $p on the bus" cell "rd-web|$col|$re"
done

out=$(ctl list --json); rc=$?
ct_expect_eq "list --json exits 0" "$rc" 0
cat >"$CT_TMP/list-json.py" <<'PY'
import json, sys
rows = {r['name']: r for r in json.load(sys.stdin)}
web_pid, web_tasks, web_mem = (int(a) for a in sys.argv[1:4])
U = (1 << 64) - 1
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append(f'{what}: got {got!r}, want {exp!r}')
want('names', sorted(rows), ['rd-burn', 'rd-fail', 'rd-notify', 'rd-web'])
for r in rows.values():
    want(r['name'] + ' keys', sorted(r), ['active', 'address', 'cpu_nsec', 'memory', 'name', 'pid', 'sub', 'tasks'])
w, f = rows['rd-web'], rows['rd-fail']
want('rd-web active', w['active'], 'active')
want('rd-web sub', w['sub'], 'running')
want('rd-web pid', w['pid'], web_pid)
want('rd-web tasks', w['tasks'], None if web_tasks == U else web_tasks)
want('rd-web memory type', type(w['memory']), type(None) if web_mem == U else int)
want('rd-web cpu_nsec type', type(w['cpu_nsec']), int)
want('rd-web address', w['address'], None)
want('rd-fail active', f['active'], 'failed')
want('rd-fail pid', f['pid'], None)
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
ct_check "list --json: fields and types as on the bus" python3 "$CT_TMP/list-json.py" \
        "$pid_web" "$(prop rd-web TasksCurrent)" "$(prop rd-web MemoryCurrent)" <<<"$out"

# ---- status ----
out=$(ctl status rd-web); rc=$?
show "$out"
ct_expect_eq "status rd-web exits 0 (active)" "$rc" 0
ct_expect_eq "status: the title line" "$(head -n 1 <<<"$out")" "● rd-web.service - Read test web server"
ct_expect_match "status: Loaded: its unit file" "$out" "^ +Loaded: $CT_UNITS/rd-web.service\$"
ct_expect_match "status: Active: active (running) since ...; ... ago" "$out" \
        '^ +Active: active \(running\) since [A-Z][a-z]{2} [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} [A-Z]+; [0-9].* ago$'
ct_expect_match "status: Main PID = MainPID on the bus" "$out" "^ +Main PID: $pid_web\$"
ct_expect_match "status: CPU:" "$out" '^ +CPU: [0-9]'
ct_expect_match "status: Namespaces: its own pid and net" "$out" '^ +Namespaces: (.* )?pid( .*)?$'
ct_expect_match "... net" "$out" '^ +Namespaces: (.* )?net( .*)?$'
ct_expect_eq "status: the log's last line last" "$(tail -n 1 <<<"$out" | cut -d' ' -f2-)" "rd-web says hello"
ct_expect_nomatch "status: no escape codes off a TTY (not even the log's)" "$out" $'\033'
ct_expect_match "status: the log's control characters as \\xNN" "$out" '\\x1b\]0;retitled\\x07rd-web escapes$'
if [ "$CT_WHERE" = vm ]; then
        ct_expect_match "status: Tasks: N (limit: 50)" "$out" '^ +Tasks: [0-9]+ \(limit: 50\)$'
        ct_expect_match "status: Memory: X (max: 64.0M, peak: Y)" "$out" \
                "^ +Memory: $size_re \((high: [^,]*, )?max: 64\.0M, peak: $size_re\)\$"
else
        ct_expect_match "host: Warnings: MemoryMax= not enforced" "$out" '^ +Warnings: .*MemoryMax='
        ct_expect_match "host: ... and TasksMax= on the next line, aligned" "$out" '^ {13}TasksMax='
fi
out=$(ctl status rd-notify)
ct_expect_match "status: Status: \"ready\" from STATUS=" "$out" '^ +Status: "ready"$'

out=$(ctl status rd-fail); rc=$?
show "$out"
ct_expect_eq "status rd-fail exits 3 (not active)" "$rc" 3
ct_expect_match "status: Active: failed (Result: exit-code) since ..." "$out" \
        '^ +Active: failed \(Result: exit-code\) since .* ago$'
ct_expect_match "status: how the main process ended" "$out" '^ +Main PID: \(code=exited, status=3\)$'
ct_expect_match "status: rd-fail's log line" "$out" 'rd-fail gives up$'

out=$(ctl status rd-nope 2>&1); rc=$?
ct_expect_eq "status of an unknown name exits 4" "$rc" 4
ct_expect_eq "... saying so" "$out" "corralctl: no such service 'rd-nope'"
out=$(ctl status rd-web rd-nope 2>/dev/null); rc=$?
ct_expect_eq "status rd-web rd-nope exits 4" "$rc" 4
ct_expect_match "... and shows rd-web" "$out" '^● rd-web.service'
ctl status rd-web rd-fail >/dev/null; rc=$?
ct_expect_eq "status rd-web rd-fail exits 3" "$rc" 3
out=$(ctl status); rc=$?
ct_expect_eq "status without names exits 0" "$rc" 0
ct_expect_eq "status without names: every service" "$(grep -oE '^● [a-z-]+\.service' <<<"$out" | tr '\n' ' ')" \
        "● rd-burn.service ● rd-fail.service ● rd-notify.service ● rd-web.service "

out=$(ctl status --json); rc=$?
ct_expect_eq "status --json exits 0" "$rc" 0
cat >"$CT_TMP/status-json.py" <<'PY'
import json, sys
s = {o['Name']: o for o in json.load(sys.stdin)}
web_pid, where = int(sys.argv[1]), sys.argv[2]
bad = []
def want(what, got, exp):
    if got != exp:
        bad.append(f'{what}: got {got!r}, want {exp!r}')
want('names', sorted(s), ['rd-burn', 'rd-fail', 'rd-notify', 'rd-web'])
w, f, n = s['rd-web'], s['rd-fail'], s['rd-notify']
want('rd-web MainPID', w['MainPID'], web_pid)
want('rd-web ActiveState', w['ActiveState'], 'active')
want('rd-web Description', w['Description'], 'Read test web server')
want('rd-web last log line', w['LogLines'][-1].split(' ', 1)[1], 'rd-web says hello')
want('rd-web ActiveEnterTimestamp type', type(w['ActiveEnterTimestamp']), int)
want('rd-web Namespaces', {'pid', 'net'} <= set(w['Namespaces']), True)
want('rd-web NamespaceIds has pid', type(w['NamespaceIds'].get('pid')), int)
want('rd-web TasksMax', w['TasksMax'], 50 if where == 'vm' else None)
want('rd-web MemoryMax', w['MemoryMax'], 64 << 20 if where == 'vm' else None)
want('rd-fail Result', f['Result'], 'exit-code')
want('rd-fail ExecMainStatus', f['ExecMainStatus'], 3)
want('rd-fail MainPID', f['MainPID'], 0)
want('rd-notify StatusText', n['StatusText'], 'ready')
want('rd-burn ActiveEnterTimestamp (never)', s['rd-burn']['ActiveEnterTimestamp'], None)
print('\n'.join(bad))
sys.exit(1 if bad else 0)
PY
ct_check "status --json: properties and log lines" python3 "$CT_TMP/status-json.py" "$pid_web" "$CT_WHERE" <<<"$out"
ctl status --json rd-fail >/dev/null; rc=$?
ct_expect_eq "status --json rd-fail exits 3" "$rc" 3

# ---- top, off a TTY: rd-burn spins through the measured second ----
call StartService s rd-burn >/dev/null
ct_check "rd-burn runs" wait_state rd-burn active running "$T"
out=$(ctl top </dev/null); rc=$?
show "$out"
ct_expect_eq "top off a TTY exits 0" "$rc" 0
ct_expect_match "top: the header" "$(head -n 1 <<<"$out")" '^NAME +ACTIVE +CPU% +MEMORY +TASKS +READ/s +WRITE/s$'
ct_expect_eq "top: one snapshot, every service" "$(tail -n +2 <<<"$out" | awk '{ print $1 }' | sort | tr '\n' ' ')" \
        "rd-burn rd-fail rd-notify rd-web "
ct_expect_match "top: rd-burn first (by CPU), busy" "$(sed -n 2p <<<"$out")" '^rd-burn +active +([3-9][0-9]|[1-9][0-9][0-9])\.[0-9] '
ct_expect_match "top: rd-web's CPU % over the second" "$out" '^rd-web +active +[0-9]+\.[0-9] '
ct_expect_nomatch "top: no escape codes off a TTY" "$out" $'\033'
ct_expect_le "top: every line within 80 columns" "$(maxlen "$out")" 80
out=$(ctl top --json); rc=$?
ct_expect_eq "top --json exits 0" "$rc" 0
ct_check "top --json: every service, a CPU % for the running ones" python3 -c '
import json, sys
rows = {r["name"]: r for r in json.load(sys.stdin)}
assert sorted(rows) == ["rd-burn", "rd-fail", "rd-notify", "rd-web"], sorted(rows)
assert isinstance(rows["rd-web"]["cpu_percent"], (int, float)), rows["rd-web"]
assert rows["rd-fail"]["cpu_percent"] is None, rows["rd-fail"]
assert rows["rd-web"]["tasks"] is None or rows["rd-web"]["tasks"] >= 1, rows["rd-web"]
' <<<"$out"

# ---- a service killed by a signal ----
call KillService si rd-burn 9 >/dev/null
ct_check "rd-burn killed: failed" wait_state rd-burn failed failed "$T"
out=$(ctl status rd-burn); rc=$?
ct_expect_eq "status rd-burn exits 3" "$rc" 3
ct_expect_match "status: Active: failed (Result: signal)" "$out" '^ +Active: failed \(Result: signal\) since '
ct_expect_match "status: the signal that ended it" "$out" '^ +Main PID: \(code=killed, signal=9\)$'

# ---- on a pty: status's coloured dot, top's screen, keys and exits ----
cat >"$CT_TMP/ctl-pty.py" <<'PY'
# ctl-pty.py MODE CTL ARGS...: run CTL ARGS on a pty; MODE "out" prints its
# output; "keys" sends 'm' then 'q' once it drew; "term" sends SIGTERM.
# Prints "exit N", "echo on|off" (the terminal after it).
import os, pty, select, signal, sys, termios, time
mode, argv = sys.argv[1], sys.argv[2:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(argv[0], argv)
out = b''
def read_until(pred, secs):
    global out
    end = time.time() + secs
    while not pred() and time.time() < end:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
if mode == 'keys':
    read_until(lambda: b'rd-web' in out, 10)
    os.write(fd, b'm')
    read_until(lambda: b'by memory' in out, 5)
    os.write(fd, b'q')
elif mode == 'term':
    read_until(lambda: b'rd-web' in out, 10)
    os.kill(pid, signal.SIGTERM)
end = time.time() + 10
status = None
while time.time() < end:
    read_until(lambda: False, 0.1)
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        break
read_until(lambda: False, 0.2)
echo = termios.tcgetattr(fd)[3] & termios.ECHO
sys.stdout.write(out.decode(errors='replace'))
code = os.waitstatus_to_exitcode(status) if p else 'none (still running)'
if not p:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print(f'\nexit {code}\necho {"on" if echo else "off"}')
PY
pty_run() { python3 "$CT_TMP/ctl-pty.py" "$@" 2>&1; }
out=$(unset NO_COLOR; TERM=xterm pty_run out "$CTL" --bus "$CT_ADDR" status rd-web rd-fail)
ct_expect_match "status on a TTY: a green dot for rd-web" "$out" $'\033\\[0;1;32m●\033\\[0m rd-web.service'
ct_expect_match "... a red one for rd-fail" "$out" $'\033\\[0;1;31m●\033\\[0m rd-fail.service'
out=$(NO_COLOR=1 TERM=xterm pty_run out "$CTL" --bus "$CT_ADDR" status rd-web)
ct_expect_match "status on a TTY with NO_COLOR: the dot" "$out" '^● rd-web.service'
ct_expect_nomatch "... without escapes" "$out" $'\033'
out=$(TERM=xterm pty_run keys "$CTL" --bus "$CT_ADDR" top)
ct_expect_match "top on a TTY: the alternate screen" "$out" $'\033\\[\\?1049h'
ct_expect_eq "... every service on it" "$(grep -oE '^rd-[a-z]+ ' <<<"$out" | sort -u | tr -d '\n')" \
        "rd-burn rd-fail rd-notify rd-web "
ct_expect_match "... by CPU first" "$out" 'services, by cpu '
ct_expect_match "... 'm': by memory" "$out" 'services, by memory '
ct_expect_match "... 'q' leaves the alternate screen" "$out" $'\033\\[\\?1049l'
ct_expect_match "... exits 0" "$out" '^exit 0$'
ct_expect_match "... and the terminal echoes again" "$out" '^echo on$'
out=$(TERM=xterm pty_run term "$CTL" --bus "$CT_ADDR" top)
ct_expect_match "top on a TTY, SIGTERM: leaves the alternate screen" "$out" $'\033\\[\\?1049l'
ct_expect_match "... exits 0" "$out" '^exit 0$'
ct_expect_match "... and the terminal echoes again" "$out" '^echo on$'

# ---- more services than dbus-daemon lets one connection wait for (128) ----
# ... one with a name too long for 80 columns among them.
long=with-a-name-far-too-long-for-eighty-columns-of-list
for i in $(seq 1 139) "$long"; do
        printf '[Unit]\nAutoStart=no\n[Service]\nExecStart=/bin/true\n' >"$CT_UNITS/rd-many-$i.service"
done
call Reload >/dev/null
ct_check "Reload: 144 services" wait_until "$T" [ "$(mgr_prop NServices)" = 144 ]
out=$(ctl list 2>&1); rc=$?
ct_expect_eq "list of 144 services exits 0" "$rc" 0
ct_expect_eq "... a row each" "$(tail -n +2 <<<"$out" | wc -l)" 144
ct_expect_le "... every line within 80 columns" "$(maxlen "$out")" 80
ct_expect_match "... the long name cut, ending in ~" "$out" '^rd-many-with-a-name-[a-z-]*~ inactive '
out=$(ctl top </dev/null)
ct_expect_le "top: every line within 80 columns, the long name too" "$(maxlen "$out")" 80
ct_expect_match "... the long name cut, ending in ~" "$out" '^rd-many-with-a-name-[a-z-]*~ inactive '
out=$(ctl status --json 2>&1); rc=$?
ct_expect_eq "status --json of 144 services exits 0" "$rc" 0
ct_check "... all of them" python3 -c 'import json, sys; assert len(json.load(sys.stdin)) == 144' <<<"$out"

corrald_stop
ct_finish
