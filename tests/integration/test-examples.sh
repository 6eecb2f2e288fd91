#!/bin/bash
# Issue 12: what a user touches first. The examples verify with no warning
# and run under corrald (web, redis, worker@1, worker@2); web answers through
# its forwarded port and redis answers PING (in the VM, on corral's bridge;
# on this host, whose real interfaces tests never touch, web joins a network
# namespace this test makes and redis listens on a unix socket instead);
# corral.unit(5), corrald.conf(5), corralctl(1) and corrald(8) name every
# key, command and option the code has; bash completion completes commands
# and the running services; meson install puts every file in place.
. "$(dirname "$0")/corrald-lib.sh"

ct_init
ct_require_tools curl
cd "$CORRAL_SRC" || exit 1
ctl=$CORRAL_BUILD/supervisor/corralctl
man=docs/man

# ---- examples verify clean ----
for f in examples/*.service; do
        ct_expect_eq "verify $f: valid, no warning" "$("$ctl" verify "$f" 2>&1)" "$f: valid"
done
out=$("$CT_CORRALD" --check --config examples/corrald.conf --units examples 2>&1)
ct_expect_match "corrald --check on examples/ and examples/corrald.conf" "$out" \
        '^examples/corrald.conf: valid$'
ct_expect_match "corrald --check: no error, no warning" "$out" ' 0 invalid; 0 errors, 0 warnings$'

# ---- the man pages cannot drift from the code ---- (static: on the host only)
if [ "$CT_WHERE" = host ]; then
        # Every key of the unit parser's table (units/unit-keys.c: K, KN, KI rows).
        keys=$(sed -nE 's/^[[:space:]]*K[NI]?\("[A-Za-z]+", "([A-Za-z]+)".*/\1/p' units/unit-keys.c | sort -u)
        ct_expect_le "units/unit-keys.c: the key table was found" 60 "$(wc -l <<<"$keys")"
        missing=
        for k in $keys; do grep -qF "*$k=*" "$man/corral.unit.5.scd" || missing+=" $k"; done
        ct_expect_eq "corral.unit(5) names every key of the parser" "${missing:-none}" none
        # Every corrald.conf key (units/manager-config.c), in the man page and in
        # the commented example with its default.
        conf_keys=$(sed -nE 's/.*streq\(key, "([A-Za-z]+)"\).*/\1/p' units/manager-config.c | sort -u)
        ct_expect_le "manager-config.c: the keys were found" 8 "$(wc -l <<<"$conf_keys")"
        missing=
        for k in $conf_keys; do
                grep -qF "*$k=*" "$man/corrald.conf.5.scd" || missing+=" man:$k"
                grep -qE "^#$k=" examples/corrald.conf || missing+=" example:$k"
        done
        ct_expect_eq "corrald.conf(5) and examples/corrald.conf name every key" "${missing:-none}" none
        ct_expect_match "examples/corrald.conf: the defaults" "$(grep -E '^#[A-Za-z]+=' examples/corrald.conf | tr '\n' ' ')" \
                '#RuntimeDirectory=/run/corral #LogDirectory=/var/log/corral #LogMaxBytes=10M #LogKeep=5 .*#UnenforceableLimits=refuse #Bridge=corral0 #Subnet=10.89.0.0/24'
        # Every corralctl command (the command table) in the man page and the completion.
        cmds=$(sed -nE 's/^[[:space:]]*\{ "([a-z-]+)",[[:space:]]+(ctl_|run_).*/\1/p' supervisor/corralctl.c)
        ct_expect_le "corralctl.c: the command table was found" 15 "$(wc -l <<<"$cmds")"
        missing=
        for c in $cmds; do
                grep -qE "^\*(.*\*)?$c\*" "$man/corralctl.1.scd" || missing+=" man:$c"
                grep -qE "(commands=\"|^ +)[a-z -]*\b$c\b" completion/corralctl || missing+=" completion:$c"
        done
        ct_expect_eq "corralctl(1) and the completion name every command" "${missing:-none}" none
        # Every long option of corralctl's getopt tables (corralctl.c, ctl-*.c).
        lopts=$(sed -nE 's/^[[:space:]]*\{ "([a-z-]+)",[[:space:]]+(no|required)_argument.*/\1/p' \
                supervisor/corralctl.c supervisor/ctl-*.c | sort -u)
        ct_expect_le "corralctl: the option tables were found" 10 "$(wc -l <<<"$lopts")"
        missing=
        for o in $lopts; do
                grep -qF -- "*--$o*" "$man/corralctl.1.scd" || missing+=" man:--$o"
                grep -qE -- "(\"| )--$o( |\"|\))" completion/corralctl || missing+=" completion:--$o"
        done
        ct_expect_eq "corralctl(1) and the completion name every long option" "${missing:-none}" none
        # Every corrald option.
        opts=$(sed -nE 's/^[[:space:]]*\{ "([a-z-]+)",[[:space:]]+(no|required)_argument.*/\1/p' supervisor/corrald.c)
        missing=
        for o in $opts; do grep -qF -- "*--$o*" "$man/corrald.8.scd" || missing+=" --$o"; done
        ct_expect_eq "corrald(8) names every option" "${missing:-none}" none
        if [ -f "$CORRAL_BUILD/docs/man/corralctl.1" ]; then
                for p in corrald.8 corralctl.1 corral.unit.5 corrald.conf.5; do
                        ct_check "man page $p built (roff)" grep -q '^\.TH' "$CORRAL_BUILD/docs/man/$p"
                done
        else
                echo "SKIP man page build: scdoc was not found when $CORRAL_BUILD was set up"
        fi
fi

# ---- meson install (host: the VM's overlay gains nothing from it) ----
if [ "$CT_WHERE" = host ] && command -v meson >/dev/null; then
        dest=$CT_TMP/dest
        if meson install -C "$CORRAL_BUILD" --destdir "$dest" --no-rebuild --quiet >"$CT_TMP/install.log" 2>&1; then
                ct_ok "meson install into a DESTDIR"
                want="bin/corralctl sbin/corrald libexec/corral/corral-log share/corral/corral-bus.conf
                      share/dbus-1/system.d/org.corral1.conf lib/systemd/system/corrald.service
                      share/bash-completion/completions/corralctl"
                [ -f "$CORRAL_BUILD/docs/man/corralctl.1" ] &&
                        want+=" share/man/man1/corralctl.1 share/man/man5/corral.unit.5
                               share/man/man5/corrald.conf.5 share/man/man8/corrald.8"
                installed=$(cd "$dest" && find . -type f | sed 's|^\./||')
                missing=
                for w in $want; do grep -qE "(^|/)$w\$" <<<"$installed" || missing+=" $w"; done
                ct_expect_eq "installed: corrald, corralctl, corral-log, bus configs, unit, completion, man pages" \
                        "${missing:-none}" none
                unit=$(find "$dest" -name corrald.service | head -n 1)
                ct_expect_match "corrald.service: Delegate=yes" "$(cat "$unit")" '^Delegate=yes$'
                ct_expect_match "corrald.service: ExecStart= names the installed corrald" \
                        "$(grep ^ExecStart= "$unit")" '^ExecStart=/.*/sbin/corrald --bus system$'
        else
                ct_fail "meson install: $(tail -n 5 "$CT_TMP/install.log")"
        fi
fi

# ---- corrald on a copy of examples/ ----
cp examples/*.service "$CT_UNITS/"
have_redis=1
if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
        echo "SKIP redis: redis-server or redis-cli is not installed (apt install redis-server)"
        rm "$CT_UNITS/redis.service"; have_redis=0
fi
if [ "$CT_WHERE" = host ]; then
        # No bridge or veth on this host: web joins a network namespace of
        # ours (lo only), redis serves a unix socket in its private /tmp
        # (PrivateUsers= cannot join a namespace of the host's user namespace).
        ct_bg unshare --net -- sh -c "ip link set lo up && touch '$CT_TMP/netns-ready' && exec sleep 600"
        netns_pid=${CT_BG_PIDS[-1]}
        wait_until 5 test -e "$CT_TMP/netns-ready" || ct_die "unshare --net did not come up"
        mkdir -p "$CT_UNITS/web.service.d" "$CT_UNITS/redis.service.d"
        printf '[Network]\nVirtualEthernet=no\nPort=\n[Service]\nNetworkNamespacePath=/proc/%s/ns/net\n' \
                "$netns_pid" >"$CT_UNITS/web.service.d/host.conf"
        printf '[Network]\nVirtualEthernet=no\n[Service]\nExecStart=\nExecStart=%s\n' \
                '/usr/bin/redis-server --port 0 --unixsocket /tmp/redis.sock --save "" --daemonize no --dir /tmp' \
                >"$CT_UNITS/redis.service.d/host.conf"
fi
corrald_start
T=$(ct_t 20)
ct_check "web: active/running (AutoStart)" wait_state web active running "$T"
[ $have_redis = 1 ] && ct_check "redis: active/running (AutoStart)" wait_state redis active running "$T"
ct_expect_eq "worker@.service: a template is not started by itself" "$(state_of worker@)" inactive/dead
for i in 1 2; do
        ct_expect_eq "StartService worker@$i" "$(call StartService s "worker@$i")" ""
        ct_check "worker@$i: active/running" wait_state "worker@$i" active running "$T"
done
ct_expect_eq "worker@2: Hostname=%p-%i" "$(prop worker@2 Hostname)" worker-2
w1=$(prop worker@1 MainPID)
ct_expect_eq "worker@1: QUEUE=jobs-%i in its environment" \
        "$(tr '\0' '\n' <"/proc/$w1/environ" | grep '^QUEUE=')" QUEUE=jobs-1
w2=$(prop worker@2 MainPID)
b1=$(awk '{ print $2 }' "/proc/$w1/uid_map") b2=$(awk '{ print $2 }' "/proc/$w2/uid_map")
ct_expect_match "worker@1: PrivateUsers=pick maps 65536 ids" "$(cat "/proc/$w1/uid_map")" '^ +0 +[0-9]+ +65536$'
ct_check "worker@1, worker@2: ranges of their own from 0x80000 up ($b1, $b2)" \
        [ "${b1:-0}" -ge 524288 ] && [ "${b2:-0}" -ge 524288 ] && [ "$b1" != "$b2" ]
wpid=$(prop web MainPID)
ct_expect_eq "web: runs as nobody" "$(awk '$1 == "Uid:" { print $2 }' "/proc/$wpid/status")" 65534
ct_check "web: in a PID namespace of its own" [ "$(readlink "/proc/$wpid/ns/pid")" != "$(readlink /proc/self/ns/pid)" ]
ct_expect_match "web: / is read-only (ProtectSystem=strict)" \
        "$(awk '$5 == "/" { print $6 }' "/proc/$wpid/mountinfo" | tail -n 1)" '^ro(,|$)'

# web serves /usr/share/doc: one small file of it, compared with the file;
# the listing on the host only (in the VM a stat per entry goes over 9p).
doc=base-files/copyright
page() { curl -sS --max-time "$(ct_t 10)" "$@" 2>&1; }
same_file() { [ "$1" = "$(cat "/usr/share/doc/$doc")" ]; }
if [ "$CT_WHERE" = vm ]; then
        ip=$(prop web IPAddress)
        ct_expect_match "web: an address on the bridge" "$ip" '^10\.89\.0\.[0-9]+$'
        wait_until "$T" curl -sf --max-time 3 -o /dev/null "http://$ip:8000/$doc" || true
        ct_check "web: /$doc on its own address, port 8000" same_file "$(page "http://$ip:8000/$doc")"
        ct_check "web: the same through Port=8080:8000 on 127.0.0.1:8080" same_file "$(page "http://127.0.0.1:8080/$doc")"
        ct_check "web: and on the bridge's address, 10.89.0.1:8080" same_file "$(page "http://10.89.0.1:8080/$doc")"
        if [ $have_redis = 1 ]; then
                rip=$(prop redis IPAddress)
                wait_until "$T" sh -c "redis-cli -h '$rip' ping 2>/dev/null | grep -q PONG" || true
                ct_expect_eq "redis: PING on its bridge address" "$(redis-cli -h "$rip" ping 2>&1)" PONG
        fi
else
        inns() { nsenter --net="/proc/$netns_pid/ns/net" "$@"; }
        wait_until "$T" inns curl -sf --max-time 3 -o /dev/null "http://127.0.0.1:8000/$doc" || true
        ct_check "web: /$doc on port 8000 in the network namespace it joined" \
                same_file "$(inns curl -sS --max-time 10 "http://127.0.0.1:8000/$doc" 2>&1)"
        ct_expect_match "web: the directory listing" "$(inns curl -sS --max-time 10 http://127.0.0.1:8000/ 2>&1)" \
                'Directory listing for /'
        if [ $have_redis = 1 ]; then
                sock=/proc/$(prop redis MainPID)/root/tmp/redis.sock
                wait_until "$T" test -S "$sock" || true
                ct_expect_eq "redis: PING on its unix socket in its private /tmp" "$(redis-cli -s "$sock" ping 2>&1)" PONG
                ct_check "redis: /tmp is private (no socket in the host's /tmp)" [ ! -e /tmp/redis.sock ]
        fi
fi

# ---- bash completion against this corrald ----
if [ -f /usr/share/bash-completion/bash_completion ]; then
        comp() { # WORDS...: what the completion offers for the last word
                bash -c 'source /usr/share/bash-completion/bash_completion
                         source "$0"
                         COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
                         COMP_LINE="${COMP_WORDS[*]}"; COMP_POINT=${#COMP_LINE}
                         _corralctl; for w in "${COMPREPLY[@]}"; do printf "%s\n" "$w"; done' \
                        "$CORRAL_SRC/completion/corralctl" "$@" 2>/dev/null | sort | tr '\n' ' '
        }
        if [ "$CT_WHERE" = host ]; then
                ct_expect_eq "completion: commands" "$(comp corralctl re)" "reload restart "
                ct_expect_eq "completion: global options" "$(comp corralctl --j)" "--json "
                ct_expect_eq "completion: --bus values" "$(comp corralctl --bus p)" "private "
                ct_expect_eq "completion: logs options" "$(comp corralctl logs -)" "--follow --lines -f -n "
                ct_expect_eq "completion: no --help where the command has none" "$(comp corralctl start -)" ""
        fi
        ct_expect_eq "completion: service names from corrald (ListServices)" \
                "$(comp corralctl --bus "$CT_ADDR" stop wo)" "worker@ worker@1 worker@2 "
        ct_expect_match "completion: every running service" "$(comp corralctl --bus "$CT_ADDR" status '')" \
                '(^| )web .*worker@1 worker@2 '
        ct_expect_eq "completion: no daemon, no names" "$(comp corralctl --bus unix:path=$CT_TMP/none status '')" ""
else
        echo "SKIP completion: bash-completion is not installed"
fi

corrald_stop
ct_finish
