#!/bin/bash
# corral-test-vm: no (the exec environment: no limit or link)
# What a command gets from its unit, seen from inside it through corrald:
# EnvironmentFile= (read at each start and before each command, in order
# after Environment=, in $VAR expansion; '-' missing is fine; a missing
# required file fails the start naming file and errno, Result resources),
# and the Exec*= prefixes '@' (argv[0] is the second word), '!' (User= not
# applied: uid 0, $USER still the unit's) and '+' (outside the sandbox: the
# host's network and PID namespaces, no User=, yet in the service's cgroup;
# for ExecStartPre=, ExecStartPost= while the main process runs, ExecStop=
# and ExecStart=).
. "$(dirname "$0")/corrald-lib.sh"
ct_init
T5=$(ct_t 5)
OUT=$CT_TMP/out
mkdir -m 1777 "$OUT"

# Writes "uid USER argv0 netns pidns cgroup ARGS..." to OUT/$1.
report=$(ct_script report.sh <<'EOF'
#!/bin/sh
f=$1; shift
echo "$(id -u) ${USER:--} $0 $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/pid) $(sed -n 's/^0:://p' /proc/self/cgroup) $*" >"$f.tmp"
mv "$f.tmp" "$f"
EOF
)
# The environment as the command sees it.
envdump=$(ct_script envdump.sh <<'EOF'
#!/bin/sh
f=$1; shift
{ echo "args: $*"; env | sort; } >"$f.tmp"
mv "$f.tmp" "$f"
EOF
)
# report, then wait to be stopped.
serve=$(ct_script serve.sh <<EOF
#!/bin/sh
$report "\$@"
exec sleep 1000
EOF
)

cat >"$CT_TMP/a.env" <<'EOF'
# later files and later lines win; Environment= loses
FOO=bar
SHARED=from-a
export QUOTED="two words"
EOF
cat >"$CT_TMP/b.env" <<'EOF'
SHARED=from-b
EOF
ct_unit envfile <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
Environment=FOO=unit UNITONLY=u SHARED=unit
EnvironmentFile=$CT_TMP/a.env
EnvironmentFile=-$CT_TMP/does-not-exist.env
EnvironmentFile=$CT_TMP/b.env
ExecStart=$envdump $OUT/envfile \${FOO} \$QUOTED
EOF
ct_unit envfile-missing <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
EnvironmentFile=$CT_TMP/nope.env
ExecStart=$envdump $OUT/envfile-missing
EOF
ct_unit envfile-pre-missing <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
EnvironmentFile=$CT_TMP/nope.env
ExecStartPre=-/bin/true
ExecStart=$envdump $OUT/envfile-pre-missing
EOF
# ExecStartPre= writes the file ExecStart= then reads.
ct_unit envfile-gen <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
EnvironmentFile=-$CT_TMP/gen.env
ExecStartPre=/bin/sh -c "echo GEN=generated-by-pre > $CT_TMP/gen.env"
ExecStart=$envdump $OUT/envfile-gen \${GEN}
EOF
# Control commands inside the running service get the environment too.
ct_unit post-env <<EOF
[Unit]
AutoStart=no
[Service]
Environment=X=unit SHARED=unit
EnvironmentFile=$CT_TMP/b.env
ExecStart=/bin/sleep 1000
ExecStartPost=$envdump $OUT/post-env
ExecStartPost=env
EOF
ct_unit at <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
ExecStart=@/bin/sh shname -c 'echo \$0 >$OUT/at-sh'
EOF
ct_unit at-sleep <<EOF
[Unit]
AutoStart=no
[Service]
ExecStart=@/bin/sleep mysleep 1000
EOF
ct_unit bang <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
User=nobody
ExecStartPre=$report $OUT/bang-plain
ExecStart=!$report $OUT/bang
ExecStartPost=!!$report $OUT/bangbang
EOF
ct_unit plus <<EOF
[Unit]
AutoStart=no
[Service]
User=nobody
PrivateNetwork=yes
PrivatePIDs=yes
ExecStartPre=+$report $OUT/plus-pre
ExecStart=$serve $OUT/plus-main
ExecStartPost=+$report $OUT/plus-post
ExecStartPost=$report $OUT/plain-post
ExecStop=+$report $OUT/plus-stop
EOF
ct_unit plus-main <<EOF
[Unit]
AutoStart=no
[Service]
Type=oneshot
User=nobody
PrivateNetwork=yes
ExecStart=+$report $OUT/plus-main-only
EOF

corrald_start
host_net=$(readlink /proc/self/ns/net)
host_pid=$(readlink /proc/self/ns/pid)
field() { cut -d' ' -f"$2" <"$OUT/$1" 2>/dev/null; }
differs() { [ -n "$1" ] && [ "$1" != "$2" ]; }

# ---- EnvironmentFile=: contents in the command's environment and its $VAR ----
ct_expect_eq "envfile: StartService" "$(call StartService s envfile)" ""
dump=$(cat "$OUT/envfile" 2>/dev/null)
ct_expect_match "envfile: FOO from the file wins over Environment=" "$dump" "^FOO=bar$"
ct_expect_match "envfile: the later file wins" "$dump" "^SHARED=from-b$"
ct_expect_match "envfile: Environment= alone stays" "$dump" "^UNITONLY=u$"
ct_expect_match "envfile: quoted value" "$dump" "^QUOTED=two words$"
ct_expect_match "envfile: \${FOO} and \$QUOTED expanded from the files (split)" "$dump" "^args: bar two words$"
ct_expect_eq "envfile: Result" "$(prop envfile Result)" success
# Read again at the next start.
echo "FOO=changed" >>"$CT_TMP/a.env"
call StartService s envfile >/dev/null
ct_expect_match "envfile: the file is read again at each start" "$(cat "$OUT/envfile" 2>/dev/null)" "^FOO=changed$"

# ---- a required file missing: the start fails and says which and why ----
out=$(dmgr StartService string:envfile-missing)
ct_expect_eq "missing: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_match "missing: the error names file and errno" "$out" \
        "EnvironmentFile=$CT_TMP/nope.env: No such file or directory"
ct_check "missing: failed/failed" wait_state envfile-missing failed failed "$T5"
ct_expect_eq "missing: Result resources" "$(prop envfile-missing Result)" resources
ct_check "missing: the command did not run" [ ! -e "$OUT/envfile-missing" ]
# Also before an ExecStartPre=, whose '-' is about its exit, not the environment.
out=$(dmgr StartService string:envfile-pre-missing)
ct_expect_eq "missing before ExecStartPre=-: StartService fails" "$(err_name "$out")" org.corral1.Error.Failed
ct_expect_match "missing before ExecStartPre=-: the error names the file" "$out" "EnvironmentFile=$CT_TMP/nope.env"
ct_check "missing before ExecStartPre=-: failed/failed" wait_state envfile-pre-missing failed failed "$T5"
ct_expect_eq "missing before ExecStartPre=-: Result resources" "$(prop envfile-pre-missing Result)" resources
ct_check "missing before ExecStartPre=-: ExecStart= did not run" [ ! -e "$OUT/envfile-pre-missing" ]

# ---- read before each command: ExecStartPre= writes what ExecStart= gets ----
ct_expect_eq "gen: StartService" "$(call StartService s envfile-gen)" ""
ct_expect_match "gen: ExecStart= saw the file ExecStartPre= wrote" "$(cat "$OUT/envfile-gen" 2>/dev/null)" \
        "^args: generated-by-pre$"

# ---- ExecStartPost= inside the running service: the same environment ----
ct_expect_eq "post-env: StartService (an ExecStartPost= found in PATH)" "$(call StartService s post-env)" ""
dump=$(cat "$OUT/post-env" 2>/dev/null)
ct_expect_match "post-env: Environment=" "$dump" "^X=unit$"
ct_expect_match "post-env: EnvironmentFile= wins over Environment=" "$dump" "^SHARED=from-b$"
ct_expect_match "post-env: MAINPID" "$dump" "^MAINPID=$(prop post-env MainPID)$"
ct_expect_match "post-env: PATH" "$dump" "^PATH=/"
call StopService s post-env >/dev/null

# ---- '@': the second word is argv[0] ----
ct_expect_eq "@: StartService" "$(call StartService s at)" ""
ct_expect_eq "@: /bin/sh sees \$0 = shname" "$(cat "$OUT/at-sh" 2>/dev/null)" shname
ct_expect_eq "@: StartService (sleep)" "$(call StartService s at-sleep)" ""
pid=$(prop at-sleep MainPID)
ct_expect_eq "@: the process's argv is 'mysleep 1000'" "$(ct_cmdline "$pid")" "mysleep 1000 "
ct_expect_match "@: it runs /bin/sleep (the first word)" "$(readlink "/proc/$pid/exe")" "/sleep\$"
call StopService s at-sleep >/dev/null

# ---- '!': no User= for that command; '!!' is a plain command here ----
ct_expect_eq "!: StartService" "$(call StartService s bang)" ""
ct_expect_eq "!: a plain command runs as User=nobody" "$(field bang-plain 1)" 65534
ct_expect_eq "!: the '!' command runs as root" "$(field bang 1)" 0
ct_expect_eq "!: \$USER is still the unit's" "$(field bang 2)" nobody
ct_expect_eq "!!: with ambient capabilities, as a plain command: User= applies" "$(field bangbang 1)" 65534

# ---- '+': outside the sandbox, inside the cgroup ----
ct_expect_eq "+: StartService" "$(call StartService s plus)" ""
ct_check "+: active/running" wait_state plus active running "$T5"
cg=$(prop plus CgroupPath)
ct_check "+: ExecStart= reported" wait_until "$T5" [ -s "$OUT/plus-main" ]
ct_expect_eq "+: ExecStartPre=+ runs as root despite User=" "$(field plus-pre 1)" 0
ct_expect_eq "+: ExecStartPre=+ is in the host's network namespace" "$(field plus-pre 4)" "$host_net"
ct_expect_eq "+: ExecStartPre=+ is in the host's PID namespace" "$(field plus-pre 5)" "$host_pid"
ct_expect_eq "+: ExecStartPre=+ is in the service's cgroup" "$(field plus-pre 6)" "$cg"
ct_expect_eq "+: ExecStart= runs as User=" "$(field plus-main 1)" 65534
main_net=$(field plus-main 4)
ct_check "+: ExecStart= has a network namespace of its own ($main_net)" differs "$main_net" "$host_net"
ct_check "+: ExecStart= has a PID namespace of its own" differs "$(field plus-main 5)" "$host_pid"
ct_expect_match "+: the main process is in the service's cgroup" "$(cg_procs plus)" "^$(prop plus MainPID)\$"
ct_expect_eq "+: ExecStartPost=+ (main running) is not in its namespaces: the host's" \
        "$(field plus-post 4)" "$host_net"
ct_expect_eq "+: ExecStartPost=+ runs as root" "$(field plus-post 1)" 0
ct_expect_eq "+: ExecStartPost=+ is in the service's cgroup" "$(field plus-post 6)" "$cg"
ct_expect_eq "+: a plain ExecStartPost= joins the main process's network namespace" \
        "$(field plain-post 4)" "$main_net"
ct_expect_eq "+: StopService" "$(call StopService s plus)" ""
ct_expect_eq "+: ExecStop=+ ran in the host's network namespace" "$(field plus-stop 4)" "$host_net"
ct_expect_eq "+: ExecStop=+ ran in the service's cgroup" "$(field plus-stop 6)" "$cg"
ct_expect_eq "+: stopped: inactive/dead" "$(state_of plus)" inactive/dead

ct_expect_eq "+ExecStart: StartService" "$(call StartService s plus-main)" ""
ct_expect_eq "+ExecStart: root despite User=" "$(field plus-main-only 1)" 0
ct_expect_eq "+ExecStart: the host's network despite PrivateNetwork=" "$(field plus-main-only 4)" "$host_net"
ct_expect_match "+ExecStart: in the service's cgroup" "$(field plus-main-only 6)" "^$CT_CGROOT/plus-main"
ct_expect_eq "+ExecStart: Result" "$(prop plus-main Result)" success

corrald_stop
ct_finish
