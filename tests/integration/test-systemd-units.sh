#!/bin/bash
# Every service unit this machine's systemd ships (/lib/systemd/system), read
# by `corralctl verify` and by systemd's own `systemd-analyze verify`
# (issue 13): corral never hangs or crashes on one, prints every diagnostic
# as FILE[:LINE]: ..., refuses a masked unit as systemd does, accepts every
# unit systemd accepts except for the features corral does not build (the
# allow-list below), and accepts none that systemd refuses for a reason in
# the file. Prints the counts docs/design.md quotes.
#
# usage: test-systemd-units.sh [BUILD_DIR] (or CORRAL_BUILD); exit 77
# without systemd-analyze or without service units.
set -u
build=${1:-${CORRAL_BUILD:-build}}
ctl="$build/supervisor/corralctl"
dir=${CORRAL_SYSTEMD_UNITS:-/lib/systemd/system}
[ -x "$ctl" ] || { echo "no $ctl: build first"; exit 1; }
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze (package systemd)"; exit 77; }
command -v python3 >/dev/null || { echo "no python3"; exit 77; }
ls "$dir"/*.service >/dev/null 2>&1 || { echo "no service units in $dir"; exit 77; }

# corral's errors that name a feature it does not build: such a unit is
# refused on purpose (spec §2, "not all built yet"), never misread.
unsupported='Type: "(forking|dbus|notify-reload)" is not supported by corral'
# A unit without ExecStart= that only triggers SuccessAction= (systemd-exit,
# -reboot, -poweroff): corral has no SuccessAction=.
no_exec='ExecStart: missing; a service needs an ExecStart= command'
masked=':0: is masked \(a link to /dev/null or an empty file\), not loading it$'

# systemd's verdicts, from one run over all units (0.2 s; one run per unit
# took 24 s): man pages are not checked (--man=no). A unit of a template is
# checked as the instance "i", as corral does.
sa_out=$(cd / && timeout 60 systemd-analyze verify --man=no "$dir"/*.service 2>&1)

# 0 accepts, 1 refuses for a reason in the file, 2 masked. Reasons of this
# machine (a binary that is not installed) are no refusal; lines starting
# with the file's path are warnings about single assignments (ignored).
sa_verdict() { # FILE
        local n
        n=$(basename "$1")
        n=${n/@./@i.}
        printf '%s\n' "$sa_out" | grep -qxF "Unit $n is masked." && return 2
        printf '%s\n' "$sa_out" | grep -v 'is not executable: ' |
                awk -v n="$n" 'index($0, n ": ") == 1 || index($0, "Unit " n " ") == 1 ||
                               (index($0, "Failed to ") == 1 && index($0, " " n)) { found = 1 }
                               END { exit !found }' && return 1
        return 0
}

# The errors of corral's --json verify, one a line.
json_errors() {
        python3 -c 'import json, sys
for f in json.load(sys.stdin)["files"]:
    for e in f["errors"]:
        print(e)'
}

total=0 valid=0 n_masked=0 n_unsupported=0 fail=0
for f in "$dir"/*.service; do
        total=$((total + 1))
        out=$(timeout 20 "$ctl" verify "$f" 2>&1)
        rc=$?
        sa_verdict "$f"
        sa=$?
        case $rc in
        0|1) ;;
        *) echo "FAIL $f: corralctl verify exit $rc (hang or crash)"; echo "$out" | tail -5
           fail=$((fail + 1)); continue;;
        esac
        # Every line names its file (the unit or a drop-in), then a colon.
        bad=$(echo "$out" | grep -v -E '^/[^:]+(:[0-9]+)?: ')
        if [ -n "$bad" ]; then
                echo "FAIL $f: diagnostic without FILE[:LINE]: $bad"
                fail=$((fail + 1))
                continue
        fi
        if [ "$rc" = 0 ]; then
                valid=$((valid + 1))
                if [ "$sa" != 0 ]; then
                        echo "FAIL $f: corral accepts it, systemd refuses it:"
                        (cd / && systemd-analyze verify --man=no "$f" 2>&1) | sed 's/^/    /'
                        fail=$((fail + 1))
                fi
                continue
        fi
        errors=$(timeout 20 "$ctl" --json verify "$f" 2>/dev/null | json_errors)
        if echo "$errors" | grep -q -E "$masked"; then
                n_masked=$((n_masked + 1))
                [ "$sa" = 2 ] || { echo "FAIL $f: masked for corral, not for systemd ($sa)"; fail=$((fail + 1)); }
                continue
        fi
        if ! echo "$errors" | grep -v -E "$unsupported" | grep -q . ||
           { [ "$errors" = "$f:0: $no_exec" ] && echo "$out" | grep -q ': SuccessAction: unknown key'; }; then
                n_unsupported=$((n_unsupported + 1))
                continue
        fi
        if [ "$sa" = 0 ]; then
                echo "FAIL $f: systemd accepts it, corral does not:"
                echo "$out" | sed 's/^/    /'
                fail=$((fail + 1))
        fi
done
echo "units in $dir: $total; valid: $valid; masked: $n_masked;" \
     "refused for a feature corral does not build: $n_unsupported"
echo "test-systemd-units: $((total - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
