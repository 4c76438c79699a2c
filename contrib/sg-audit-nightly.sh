#!/bin/sh
# sg-audit-nightly.sh — the nightly security-group report, for cron or systemd.
#
# Scans, writes the JSON (tomorrow's baseline), HTML, JUnit and CSV reports
# atomically into $SG_AUDIT_STATE, compares with last night, and exits with
# sg-audit's code (0 clean, 1 new failing findings, 2 incomplete scan, 3 usage,
# 4 credentials, 5 internal), so cron mails / systemd marks failed only when
# something is wrong.
#
# Two runs never overlap: the whole run holds an exclusive flock on
# $SG_AUDIT_LOCK. A second run started meanwhile gives up at once with exit
# code 75 (EX_TEMPFAIL) and touches nothing. The lock is taken here, so the
# guarantee holds however the script is started (cron, the timer, by hand).
#
# Settings (environment; the systemd unit and the cron line set them):
#   SG_AUDIT          the binary                       (default: sg-audit on PATH)
#   SG_AUDIT_STATE    where reports live               (default: /var/lib/sg-audit)
#   SG_AUDIT_LOCK     the lock file                    (default: $SG_AUDIT_STATE/.lock)
#   SG_AUDIT_REGIONS  --regions value                  (default: all)
#   SG_AUDIT_FAIL_ON  --fail-on value                  (default: new)
#   SG_AUDIT_FAIL_SEVERITY  --fail-severity value      (default: high)
#   SG_AUDIT_ARGS     more arguments, e.g. "--scope-tag environment=pci --waivers /etc/sg-audit/waivers.json"
#   AWS_PROFILE, AWS_REGION, ... as the AWS CLI reads them
set -u

SG_AUDIT=${SG_AUDIT:-sg-audit}
STATE=${SG_AUDIT_STATE:-/var/lib/sg-audit}
LOCK=${SG_AUDIT_LOCK:-$STATE/.lock}
REGIONS=${SG_AUDIT_REGIONS:-all}
FAIL_ON=${SG_AUDIT_FAIL_ON:-new}
FAIL_SEVERITY=${SG_AUDIT_FAIL_SEVERITY:-high}

mkdir -p "$STATE" || exit 3
umask 027

# Re-exec under the lock unless we already hold it.
if [ "${SG_AUDIT_LOCKED:-}" != "$LOCK" ]; then
	SG_AUDIT_LOCKED=$LOCK exec flock -n -E 75 "$LOCK" "$0" "$@"
fi

day=$(date -u +%Y-%m-%d)
baseline=""
[ -f "$STATE/last.json" ] && baseline="--baseline $STATE/last.json"

# The baseline is read before any output is written, so last.json can be both.
# shellcheck disable=SC2086 # word splitting of $baseline and $SG_AUDIT_ARGS is intended
"$SG_AUDIT" scan --regions "$REGIONS" $baseline \
	--output "json:$STATE/last.json" \
	--output "html:$STATE/report.html" \
	--output "junit:$STATE/junit.xml" \
	--output "csv:$STATE/findings.csv" \
	--fail-on "$FAIL_ON" --fail-severity "$FAIL_SEVERITY" \
	${SG_AUDIT_ARGS:-} "$@"
rc=$?

# Keep a dated copy of the JSON for the audit trail (hard link: atomic, no copy).
if [ -f "$STATE/last.json" ]; then
	mkdir -p "$STATE/history"
	ln -f "$STATE/last.json" "$STATE/history/$day.json" 2>/dev/null || true
fi
exit $rc
