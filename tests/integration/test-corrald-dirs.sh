#!/bin/bash
# RuntimeDirectory= & co. and credentials through corrald: a unit under
# ProtectSystem=strict as User=nobody finds its directories (owned by it,
# writable, named by $RUNTIME_DIRECTORY and $STATE_DIRECTORY) and its
# credentials (read-only, its own); a command run inside it by ExecReload=
# gets the same variables; at stop the runtime directory goes, the state
# one stays; RuntimeDirectoryPreserve=restart keeps it over a restart.
# Everything below ServiceDirectoryRoot= in the test's temp dir.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
T=$(ct_t 10)
D=$CT_TMP/dirs
OUT=$CT_TMP/out
mkdir -m 1777 "$OUT"
printf 'tok3n' >"$CT_TMP/token"
chmod 600 "$CT_TMP/token"
CT_CONF_EXTRA=("ServiceDirectoryRoot=$D")

probe=$(ct_script probe.sh <<EOF
#!/bin/sh
{
        echo "env \$RUNTIME_DIRECTORY \$STATE_DIRECTORY"
        echo "own \$(stat -c '%U %a' "\$RUNTIME_DIRECTORY" "\$STATE_DIRECTORY" | tr '\n' ' ')"
        touch "\$RUNTIME_DIRECTORY/pid" "\$STATE_DIRECTORY/data" && echo "write ok"
        echo "cred \$(cat "\$CREDENTIALS_DIRECTORY/token") \$(cat "\$CREDENTIALS_DIRECTORY/greet")"
        (echo x >"\$CREDENTIALS_DIRECTORY/token") 2>/dev/null && echo "cred-write yes" || echo "cred-write no"
} >"$OUT/\$1.tmp" 2>&1
mv "$OUT/\$1.tmp" "$OUT/\$1"
EOF
)
ct_unit web <<EOF
[Service]
ExecStart=/bin/sh -c '$probe start; exec sleep 1000'
ExecReload=/bin/sh -c 'echo "\$\$RUNTIME_DIRECTORY \$\$CREDENTIALS_DIRECTORY" >$OUT/reload'
User=nobody
ProtectSystem=strict
ReadWritePaths=$OUT
RuntimeDirectory=web
StateDirectory=web
LoadCredential=token:$CT_TMP/token
SetCredential=greet:hello
EOF
ct_unit keep <<EOF
[Service]
ExecStart=/bin/sleep 1000
RuntimeDirectory=keep
RuntimeDirectoryPreserve=restart
EOF
corrald_start
ct_check "web runs" wait_state web active running "$T"
ct_check "web reported" wait_until "$T" test -s "$OUT/start"
rep=$(cat "$OUT/start" 2>/dev/null)
ct_expect_match "the variables name the directories" "$rep" "^env $D/run/web $D/var/lib/web$"
ct_expect_match "owned by nobody, 0755" "$rep" "^own nobody 755 nobody 755 $"
ct_expect_match "writable under ProtectSystem=strict" "$rep" "^write ok$"
ct_expect_match "credentials readable" "$rep" "^cred tok3n hello$"
ct_expect_match "credentials read-only" "$rep" "^cred-write no$"
ct_expect_eq "on the host, $D/run/web is nobody's" "$(stat -c %U "$D/run/web" 2>&1)" nobody
call ReloadService s web >/dev/null
ct_check "ExecReload= ran" wait_until "$T" test -s "$OUT/reload"
ct_expect_eq "a command inside the service gets the variables" "$(cat "$OUT/reload" 2>/dev/null)" \
        "$D/run/web $D/run/credentials/web.service"
call StopService s web >/dev/null
ct_check "web stopped" wait_state web inactive dead "$T"
ct_check "the runtime directory is gone after the stop" test ! -e "$D/run/web"
ct_check "the state directory stays, with its file" test -e "$D/var/lib/web/data"

ct_check "keep runs" wait_state keep active running "$T"
touch "$D/run/keep/mark"
call RestartService s keep >/dev/null
ct_check "keep runs again" wait_state keep active running "$T"
ct_check "RuntimeDirectoryPreserve=restart kept it over the restart" test -e "$D/run/keep/mark"
call StopService s keep >/dev/null
ct_check "keep stopped" wait_state keep inactive dead "$T"
ct_check "... and removed it at the stop" test ! -e "$D/run/keep"
corrald_stop
ct_finish
