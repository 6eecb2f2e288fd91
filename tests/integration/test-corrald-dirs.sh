#!/bin/bash
# corral-test-vm: no (service directories and credentials: no limit or link)
# RuntimeDirectory= & co. and credentials through corrald: a unit under
# ProtectSystem=strict as User=nobody finds its directories (owned by it,
# writable, named by $RUNTIME_DIRECTORY and $STATE_DIRECTORY) and its
# credentials (read-only, its own); a command run inside it by ExecReload=
# gets the same variables; RuntimeDirectoryPreserve=restart keeps the
# runtime directory over a restart, the stop removes it, the state one stays.
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
        stat -c 'own %U %a' "\$RUNTIME_DIRECTORY" "\$STATE_DIRECTORY"
        true >"\$RUNTIME_DIRECTORY/pid" && true >"\$STATE_DIRECTORY/data" && echo "write ok"
        read -r t <"\$CREDENTIALS_DIRECTORY/token"; read -r g <"\$CREDENTIALS_DIRECTORY/greet"
        echo "cred \$t \$g"
        { echo x >"\$CREDENTIALS_DIRECTORY/token"; } 2>/dev/null && echo "cred-write yes" || echo "cred-write no"
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
RuntimeDirectoryPreserve=restart
StateDirectory=web
LoadCredential=token:$CT_TMP/token
SetCredential=greet:hello
EOF
corrald_start
ct_check "web runs" wait_state web active running "$T"
ct_check "web reported" wait_until "$T" test -s "$OUT/start"
ct_expect_eq "directories, variables, owners, credentials as the service sees them" "$(cat "$OUT/start" 2>&1)" \
"env $D/run/web $D/var/lib/web
own nobody 755
own nobody 755
write ok
cred tok3n hello
cred-write no"
ct_expect_eq "on the host, $D/run/web is nobody's" "$(stat -c %U "$D/run/web" 2>&1)" nobody
call ReloadService s web >/dev/null
ct_expect_eq "a command inside the service (ExecReload=) gets the variables" "$(cat "$OUT/reload" 2>&1)" \
        "$D/run/web $D/run/credentials/web.service"
touch "$D/run/web/mark"
call RestartService s web >/dev/null
ct_check "RuntimeDirectoryPreserve=restart kept it over the restart" test -e "$D/run/web/mark"
call StopService s web >/dev/null
ct_check "the runtime directory is gone after the stop" test ! -e "$D/run/web"
ct_check "the state directory stays, with its file" test -e "$D/var/lib/web/data"
corrald_stop
ct_finish
