#!/bin/sh
# 72 — contrib/: the nightly script holds a lock so two runs never overlap,
# passes last night's JSON as the baseline, writes every report, keeps a dated
# copy, and hands sg-audit's exit code back. Driven with a stand-in sg-audit
# (a shell script) so the lock is tested on its own; the real binary's outputs
# are tested by 70/71 and test_report.
set -u
ROOT=${SG_ROOT:-$(pwd)}
NIGHTLY="$ROOT/contrib/sg-audit-nightly.sh"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }

T=$(mktemp -d /tmp/sg-72-XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

# Stand-in: records its arguments, writes each --output file, sleeps, exits 1.
cat > "$T/fake-sg-audit" <<'FAKE'
#!/bin/sh
echo "$*" >> "$FAKE_LOG"
prev=""
for a in "$@"; do
	if [ "$prev" = "--output" ]; then
		path=${a#*:}
		printf '{"schema":"sg-audit/report","n":%s}\n' "$(wc -l < "$FAKE_LOG")" > "$path.tmp" &&
			mv "$path.tmp" "$path"
	fi
	prev=$a
done
sleep "${FAKE_SLEEP:-0}"
exit "${FAKE_RC:-1}"
FAKE
chmod +x "$T/fake-sg-audit"

export SG_AUDIT="$T/fake-sg-audit" SG_AUDIT_STATE="$T/state" FAKE_LOG="$T/calls"
: > "$FAKE_LOG"

# Night 1, with a second start while the first still runs.
FAKE_SLEEP=2 sh "$NIGHTLY" > "$T/a.out" 2>&1 &
a=$!
i=0
while [ ! -s "$FAKE_LOG" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
start=$(date +%s)
sh "$NIGHTLY" > "$T/b.out" 2>&1
rc_b=$?
end=$(date +%s)
wait $a
rc_a=$?
[ $rc_b -eq 75 ] && ok "a second run while one holds the lock exits 75" ||
	bad "second run exit $rc_b, want 75"
[ $((end - start)) -le 1 ] && ok "the second run gives up at once" || bad "second run waited"
[ "$(wc -l < "$FAKE_LOG")" -eq 1 ] && ok "only one sg-audit ran" ||
	bad "sg-audit ran $(wc -l < "$FAKE_LOG") times"
[ $rc_a -eq 1 ] && ok "the run's exit code is sg-audit's (1)" || bad "exit $rc_a, want 1"
for f in last.json report.html junit.xml findings.csv; do
	[ -s "$T/state/$f" ] && ok "wrote $f" || bad "no $f"
done
grep -q -- "--baseline" "$FAKE_LOG" && bad "night 1 passed a baseline that did not exist" ||
	ok "night 1: no baseline yet"
[ -f "$T/state/history/$(date -u +%Y-%m-%d).json" ] && ok "dated copy kept in history/" ||
	bad "no dated copy"

# Night 2: last night's JSON is the baseline; the flags reach sg-audit.
FAKE_RC=0 SG_AUDIT_FAIL_ON=any SG_AUDIT_ARGS="--scope-tag environment=pci" sh "$NIGHTLY" > /dev/null 2>&1
rc=$?
tail -n 1 "$FAKE_LOG" | grep -q -- "--baseline $T/state/last.json" && ok "night 2 compares with last.json" ||
	bad "night 2 args: $(tail -n 1 "$FAKE_LOG")"
tail -n 1 "$FAKE_LOG" | grep -q -- "--fail-on any --fail-severity high --scope-tag environment=pci" &&
	ok "settings reach sg-audit" || bad "settings lost: $(tail -n 1 "$FAKE_LOG")"
[ $rc -eq 0 ] && ok "clean night exits 0" || bad "exit $rc, want 0"

# The lock is released when a run is killed as a whole (cron's or systemd's
# kill reaches the process group): the run is started in its own session
# and its group is killed; the next run must get the lock.
FAKE_SLEEP=5 setsid sh "$NIGHTLY" > /dev/null 2>&1 &
k=$!
i=0
n=$(wc -l < "$FAKE_LOG")
while [ "$(wc -l < "$FAKE_LOG")" -eq "$n" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
kill -KILL -- -$k 2>/dev/null
wait $k 2>/dev/null
FAKE_RC=0 sh "$NIGHTLY" > /dev/null 2>&1
rc=$?
[ $rc -ne 75 ] && ok "a killed run does not leave the lock held" || bad "lock still held after kill"

# The cron line and the units are well-formed.
line=$(grep -v '^#' "$ROOT/contrib/sg-audit.cron" | grep -E '^[0-9*]' | head -n 1)
set -f
set -- $line
set +f
[ $# -ge 7 ] && [ "$6" = "sg-audit" ] && ok "cron line: 5 time fields, a user, a command" ||
	bad "cron line malformed: $line"
grep -q '^ExecStart=.*sg-audit-nightly.sh' "$ROOT/contrib/sg-audit.service" &&
	grep -q '^Type=oneshot' "$ROOT/contrib/sg-audit.service" &&
	grep -q '^SuccessExitStatus=75' "$ROOT/contrib/sg-audit.service" &&
	ok "service: oneshot running the nightly script; 75 is not a failure" || bad "service unit"
grep -q '^OnCalendar=' "$ROOT/contrib/sg-audit.timer" && grep -q '^Unit=sg-audit.service' \
	"$ROOT/contrib/sg-audit.timer" && ok "timer: OnCalendar starts the service" || bad "timer unit"
if command -v systemd-analyze > /dev/null 2>&1; then
	cal=$(sed -n 's/^OnCalendar=//p' "$ROOT/contrib/sg-audit.timer")
	systemd-analyze calendar "$cal" > /dev/null 2>&1 && ok "timer: systemd-analyze accepts OnCalendar" ||
		bad "systemd-analyze rejects OnCalendar=$cal"
else
	echo "note: systemd-analyze not installed; OnCalendar syntax checked by pattern only"
fi

echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
