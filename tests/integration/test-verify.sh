#!/bin/bash
# corral-test-vm: no (unit parsing only)
# corralctl verify on the tests/units corpus: the output must match each
# NAME.expected exactly, good units must exit 0 and bad ones 1. Also the
# examples, --json, the usage exit code, and corrald --check (exact output
# in tests/units/check.expected).
set -u
cd "${CORRAL_SRC:?}" || exit 1
ctl=${CORRAL_BUILD:?}/supervisor/corralctl
daemon=$CORRAL_BUILD/supervisor/corrald
fail=0 n=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

check() { # FILE WANT_RC
        local f=$1 want=$2 rc
        n=$((n + 1))
        "$ctl" verify "$f" >"$tmp/out" 2>&1
        rc=$?
        if [ "$rc" != "$want" ]; then
                echo "FAIL $f: exit $rc, expected $want"; fail=$((fail + 1)); return
        fi
        if ! diff -u "${f%.service}.expected" "$tmp/out"; then
                echo "FAIL $f: output differs from ${f%.service}.expected"; fail=$((fail + 1))
        fi
}

for f in tests/units/good/*.service; do check "$f" 0; done
for f in tests/units/bad/*.service; do check "$f" 1; done

# The man-page units (values checked by tests/unit/test-units-man.c):
# valid with no diagnostic at all.
for f in tests/units/man/*.service; do
        n=$((n + 1))
        out=$("$ctl" verify "$f" 2>&1)
        [ "$out" = "$f: valid" ] || { echo "FAIL $f:"; echo "$out"; fail=$((fail + 1)); }
done

# The shipped examples: the good ones verify clean, examples/bad/ fails.
for f in examples/*.service; do
        n=$((n + 1))
        "$ctl" verify "$f" >"$tmp/out" 2>&1 || { echo "FAIL $f:"; cat "$tmp/out"; fail=$((fail + 1)); }
done
for f in examples/bad/*.service; do
        n=$((n + 1))
        "$ctl" verify "$f" >"$tmp/out" 2>&1
        rc=$?
        [ "$rc" = 1 ] || { echo "FAIL $f: exit $rc, expected 1"; fail=$((fail + 1)); }
done

n=$((n + 1))
"$ctl" verify >/dev/null 2>&1
rc=$?
[ "$rc" = 2 ] || { echo "FAIL: verify without FILE exited $rc, expected 2"; fail=$((fail + 1)); }

n=$((n + 1))
"$ctl" verify tests/units/good/web.service tests/units/bad/exec.service >/dev/null 2>&1
rc=$?
[ "$rc" = 1 ] || { echo "FAIL: a good and a bad file exited $rc, expected 1"; fail=$((fail + 1)); }

# --json: one document with the same diagnostics.
n=$((n + 1))
"$ctl" --json verify tests/units/good/warnings.service tests/units/bad/exec.service >"$tmp/json" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! python3 - "$tmp/json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["valid"] is False
good, bad = d["files"]
assert good["valid"] is True and good["errors"] == [] and len(good["warnings"]) == 6
assert bad["path"] == "tests/units/bad/exec.service" and bad["valid"] is False
assert len(bad["errors"]) == 5 and bad["errors"][0].startswith("tests/units/bad/exec.service:3: ExecStart: ")
PY
then
        echo "FAIL: --json verify (exit $rc):"; cat "$tmp/json"; fail=$((fail + 1))
fi

# corrald --check over both corpus dirs (bad/ wins for sandbox.service):
# exact output, exit 1.
n=$((n + 1))
"$daemon" --check --config tests/units/corrald.conf --units tests/units/good --units tests/units/bad \
        >"$tmp/check" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! diff -u tests/units/check.expected "$tmp/check"; then
        echo "FAIL: corrald --check output or exit ($rc) differs from tests/units/check.expected"; fail=$((fail + 1))
fi

# corrald --check across units: addresses and host ports (warnings, exit 0).
n=$((n + 1))
"$daemon" --check --config tests/units/network/absent.conf --units tests/units/network >"$tmp/check" 2>&1
rc=$?
if [ "$rc" != 0 ] || ! diff -u tests/units/network.expected "$tmp/check"; then
        echo "FAIL: corrald --check output or exit ($rc) differs from tests/units/network.expected"; fail=$((fail + 1))
fi

# corrald --check: the good corpus is clean apart from warnings.
n=$((n + 1))
if ! "$daemon" --check --config "$tmp/absent.conf" --units tests/units/good >"$tmp/check" 2>&1; then
        echo "FAIL: corrald --check on the good corpus"; cat "$tmp/check"; fail=$((fail + 1))
fi
n=$((n + 1))
cp -r tests/units/good "$tmp/units"
cp tests/units/bad/exec.service "$tmp/units/"
printf '[Manager]\nLogKeep=many\n' >"$tmp/corrald.conf"
"$daemon" --check --config "$tmp/corrald.conf" --units "$tmp/units" >"$tmp/check" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! grep -q "^$tmp/corrald.conf:2: LogKeep: " "$tmp/check" ||
   ! grep -q "^exec: invalid, will not be started$" "$tmp/check" ||
   ! grep -q "^10 units: 9 valid, 1 invalid; " "$tmp/check"; then
        echo "FAIL: corrald --check with a bad unit and config (exit $rc):"; cat "$tmp/check"; fail=$((fail + 1))
fi

# Never hang: a FIFO as a unit file, a drop-in or corrald.conf is refused by
# its type before it is opened for reading (it used to block forever).
n=$((n + 1))
mkdir -p "$tmp/fifo/web.service.d"
mkfifo "$tmp/fifo/fifo.service" "$tmp/fifo/web.service.d/a.conf" "$tmp/fifo/corrald.conf"
printf '[Service]\nExecStart=/bin/true\n' >"$tmp/fifo/web.service"
timeout 10 "$ctl" verify "$tmp/fifo/fifo.service" "$tmp/fifo/web.service" >"$tmp/out" 2>&1
rc=$?
{
        echo "$tmp/fifo/fifo.service:0: is a FIFO, not a regular file; refusing to read it"
        echo "$tmp/fifo/fifo.service: invalid (1 error, 0 warnings)"
        echo "$tmp/fifo/web.service.d/a.conf:0: is a FIFO, not a regular file; refusing to read it"
        echo "$tmp/fifo/web.service: invalid (1 error, 0 warnings)"
} >"$tmp/want"
if [ "$rc" != 1 ] || ! diff -u "$tmp/want" "$tmp/out"; then
        echo "FAIL: verify of FIFOs (exit $rc, 124 = hung)"; fail=$((fail + 1))
fi
n=$((n + 1))
timeout 10 "$daemon" --check --config "$tmp/fifo/corrald.conf" --units "$tmp/fifo" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! grep -qxF "$tmp/fifo/corrald.conf:0: is a FIFO, not a regular file; refusing to read it" "$tmp/out" ||
   ! grep -qxF "$tmp/fifo/web.service.d/a.conf:0: is a FIFO, not a regular file; refusing to read it" "$tmp/out"; then
        echo "FAIL: corrald --check with FIFOs (exit $rc, 124 = hung):"; cat "$tmp/out"; fail=$((fail + 1))
fi

# A units directory as /lib/systemd/system has it: an alias is one service
# with two names, masked units are not loaded, broken links and non-files
# are reported (none silently skipped), and Requires= may use an alias.
n=$((n + 1))
d=$tmp/dir
mkdir -p "$d"
printf '[Service]\nExecStart=/bin/true\n' >"$d/web.service"
printf '[Unit]\nRequires=alias\n[Service]\nExecStart=/bin/true\n' >"$d/ref.service"
ln -s web.service "$d/alias.service"
ln -s /dev/null "$d/masked.service"
: >"$d/empty.service"
ln -s nowhere.service "$d/dangling.service"
ln -s loop2.service "$d/loop1.service"
ln -s loop1.service "$d/loop2.service"
mkfifo "$d/fifo.service"
ln -s gone.service "$d/orphan.service"
ln -s "$d/other/x.service" "$d/alias-out.service"
printf '[Service]\nExecStart=/bin/true\n' >"$d/$(printf 'e\033[2J').service"
mkdir "$d/other" && printf '[Service]\nExecStart=/bin/true\n' >"$d/other/x.service"
timeout 10 "$daemon" --check --config "$tmp/absent.conf" --units "$d" >"$tmp/out" 2>&1
rc=$?
{
        echo "$tmp/absent.conf: absent, using defaults"
        echo "$d/alias-out.service:0: an alias of x.service, which is no unit in the units directories, ignoring"
        echo "$d/dangling.service:0: a symbolic link to nowhere.service, which does not exist (No such file or directory), will not be started"
        echo "$d/e\\x1b[2J.service:0: \"e\\x1b[2J\" is not a valid unit name (use 1-64 characters of A-Z a-z 0-9 _ . - : \\, not starting with . or -, and one @ for templates), will not be started"
        echo "empty: masked ($d/empty.service is a link to /dev/null or an empty file), will not be started"
        echo "$d/fifo.service:0: is a FIFO, not a regular file, will not be started"
        echo "$d/loop1.service:0: symbolic links that loop (Too many levels of symbolic links), will not be started"
        echo "$d/loop2.service:0: symbolic links that loop (Too many levels of symbolic links), will not be started"
        echo "masked: masked ($d/masked.service is a link to /dev/null or an empty file), will not be started"
        echo "$d/orphan.service:0: a symbolic link to gone.service, which does not exist (No such file or directory), will not be started"
        echo "8 units: 2 valid, 6 invalid; 6 errors, 1 warning"
} >"$tmp/want"
if [ "$rc" != 1 ] || ! diff -u "$tmp/want" "$tmp/out"; then
        echo "FAIL: corrald --check of a directory with aliases, masks and broken links (exit $rc)"; fail=$((fail + 1))
fi
# A --units directory that does not exist is an error, not an empty list.
n=$((n + 1))
"$daemon" --check --config "$tmp/absent.conf" --units "$tmp/no-such-dir" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" != 1 ] || ! grep -qxF "$tmp/no-such-dir: No such file or directory; no units can be read from it" "$tmp/out"; then
        echo "FAIL: corrald --check of a missing --units directory (exit $rc):"; cat "$tmp/out"; fail=$((fail + 1))
fi

echo "verify corpus: $((n - fail)) of $n checks passed"
[ "$fail" -eq 0 ]
