#!/bin/bash
# corral-test-vm: no (service logs: no limit or link)
# Service output (spec §1, §2 StandardOutput=log): stdout and stderr lines
# in LogDirectory/NAME.log (LogPath on the bus), in the order written, each
# line time-stamped (a time that parses and is now); rotation by
# corrald.conf LogMaxBytes=/LogKeep=: NAME.log, .1 .. .LogKeep, none beyond,
# no file over LogMaxBytes, and the newest lines kept without a gap.
. "$(dirname "$0")/corrald-lib.sh"
ct_init
CT_CONF_EXTRA=(LogMaxBytes=4K LogKeep=2)

hello=$(ct_script hello.sh <<'EOF'
#!/bin/sh
echo "hello stdout"
echo "hello stderr" >&2
echo "bye stdout"
exec sleep 1000
EOF
)
many=$(ct_script many.sh <<'EOF'
#!/bin/bash
# 300 lines of 100 bytes: about 40 KB with time stamps, ten times LogMaxBytes.
for ((i = 1; i <= 300; i++)); do printf 'line %04d %s\n' "$i" "$(printf '%089d' 0)"; done
exec sleep 1000
EOF
)
ct_unit lg-hello <<EOF
[Service]
ExecStart=$hello
EOF
ct_unit lg-many <<EOF
[Service]
ExecStart=$many
EOF

in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
t_before=$(date +%s)
corrald_start
T=$(ct_t 10)
log=$CT_LOG/lg-hello.log
ct_expect_eq "LogPath" "$(prop lg-hello LogPath)" "$log"
ct_check "lg-hello's lines reach $log" wait_until "$T" grep -qs "bye stdout" "$log"
t_after=$(date +%s)
cat "$log" | sed 's/^/  | /'
ct_expect_eq "three lines, stdout and stderr in the order written" \
        "$(sed -E 's/^[^ ]+ //' "$log" | tr '\n' '|')" "hello stdout|hello stderr|bye stdout|"
while read -r stamp rest; do
        ct_expect_match "time stamp of '$rest' is RFC 3339 with µs and offset" "$stamp" \
                '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{2}:[0-9]{2}$'
        s=$(date -d "$stamp" +%s 2>/dev/null)
        ct_check "time stamp of '$rest' ($stamp) is now" in_range "$s" $((t_before - 1)) $((t_after + 1))
done <"$log"

base=$CT_LOG/lg-many.log
ct_check "lg-many: line 300 logged" wait_until "$T" grep -qs "line 0300" "$base"
sleep 0.2
ls -l "$CT_LOG" | sed 's/^/  | /'
ct_check "rotated: lg-many.log.1 exists" [ -f "$base.1" ]
ct_check "rotated: lg-many.log.2 exists" [ -f "$base.2" ]
ct_check "LogKeep=2: no lg-many.log.3" [ ! -e "$base.3" ]
for f in "$base" "$base.1" "$base.2"; do
        ct_expect_le "$(basename "$f") within LogMaxBytes=4K" "$(stat -c %s "$f")" 4096
done
# The newest lines, oldest file first: a run ending at 300 without a gap.
nums=$(cat "$base.2" "$base.1" "$base" | sed -nE 's/^[^ ]+ line ([0-9]{4}) 0+$/\1/p' | sed 's/^0*//')
first=$(head -n 1 <<<"$nums")
ct_expect_eq "the kept lines are consecutive up to 300" "$(tr '\n' ' ' <<<"$nums")" "$(seq -s ' ' "$first" 300) "
ct_check "they are more than one file's worth ($((300 - first + 1)) lines)" [ $((300 - first + 1)) -gt 30 ]
ct_expect_eq "every kept line is stamped" \
        "$(cat "$base.2" "$base.1" "$base" | grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[^ ]+ line ')" 0

corrald_stop
ct_finish
