#!/bin/sh
# The policy engine on the fixture accounts (fixtures/accounts/*.json),
# offline through 'sg-audit policies eval': exactly the expected findings and
# PCI verdicts (tests/integration/expected/*.findings), the verdict's exit
# codes, and waivers (live, expired, stale, malformed). Prints one line per
# case and "N passed, M failed".
set -u
: "${SG_AUDIT:?}"
: "${SG_ROOT:?}"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export SG_POLICY_DIR="$SG_ROOT/policies"
acc="$SG_ROOT/fixtures/accounts"
exp="$SG_ROOT/tests/integration/expected"
NOW=1767225600 # 2026-01-01T00:00:00Z: evaluation never reads the clock

ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; }

# name, account, expected exit, flags...
run() {
	name=$1 account=$2 want=$3
	shift 3
	"$SG_AUDIT" policies eval --account "$acc/$account.json" --now $NOW "$@" >"$tmp/$name.out" 2>"$tmp/err"
	rc=$?
	sed 's/ | .*//' "$tmp/$name.out" >"$tmp/$name.findings"
	if [ $rc -ne "$want" ]; then
		ko "$name: exit $rc, want $want ($(head -1 "$tmp/err"))"
	elif ! diff -u "$exp/$name.findings" "$tmp/$name.findings" >"$tmp/diff"; then
		ko "$name: findings differ from expected/$name.findings"
		head -20 "$tmp/diff" | sed 's/^/    /'
	else
		ok "$name: $(grep -c . "$tmp/$name.findings") lines as expected; $(tail -1 "$tmp/$name.findings" | cut -c1-110)"
	fi
}

run demo demo 1 --regions-all
run demo-pci demo 1 --regions-all --scope-tag environment=pci
run demo-named demo 2
run clean clean 0 --regions-all
run clean-pci clean 0 --regions-all --scope-tag environment=pci

# Each of the seventeen case groups appears with its verdict.
for c in 01:100 02:100 03:100 04:100 05:100 06:90 07:90 08:40 09:90 10:90 11:0 15:90 16:90 17:90; do
	n=${c%%:*} risk=${c#*:}
	state=FAIL; [ "$risk" = 0 ] && state=INFO
	grep -q "sg-0ca5e${n}0000000000 AWS.SecurityGroup.InternetExposure $state [a-z]* $risk " "$tmp/demo.findings" ||
		{ ko "case $n: no InternetExposure $state $risk finding"; continue; }
	ok "case $n: InternetExposure $state, risk $risk"
done
grep -q "sg-0ca5e100000000000 AWS.SecurityGroup.InternetExposure FAIL critical 90 \[ingress tcp 22 from 0.0.0.0/1 + 128.0.0.0/1" "$tmp/demo.findings" &&
	grep -q "sg-0ca5e170000000000 AWS.SecurityGroup.InternetExposure FAIL critical 90 .* not-attached" "$tmp/demo.findings" &&
	grep -q "sg-0ca5e120000000000 AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic FAIL" "$tmp/demo.findings" &&
	grep -q "sg-0ca5e120000000000 AWS.SecurityGroup.StrictInterGroupTraffic FAIL" "$tmp/demo.findings" &&
	! grep -q "sg-0ca5e130000000000 AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic" "$tmp/demo.findings" &&
	grep -q "sg-0ca5e130000000000 AWS.SecurityGroup.StrictInterGroupTraffic FAIL" "$tmp/demo.findings" &&
	grep -q "sg-0ca5e140000000000 AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic FAIL" "$tmp/demo.findings" &&
	grep -q "sg-0ca5e140000000000 AWS.SecurityGroup.StrictInterGroupTraffic INFO .* ref=self" "$tmp/demo.findings" &&
	ok "cases 10, 12, 13, 14, 17: union named, Panther vs strict inter-group, attachment shown" ||
	ko "cases 10/12/13/14/17 details"

# Waivers: one live (case 15), one expired (case 17), one stale.
cat >"$tmp/waivers.json" <<'JSON'
{"Waivers": [
 {"PolicyID": "AWS.SecurityGroup.InternetExposure", "GroupId": "sg-0ca5e150000000000",
  "Rule": {"Protocol": "tcp", "FromPort": 1433, "ToPort": 1433, "Source": "0.0.0.0/0"},
  "Reason": "legacy reporting DB, migration planned", "Owner": "dba@example.com",
  "Ticket": "SEC-15", "Expires": "2026-03-31"},
 {"PolicyID": "AWS.SecurityGroup.InternetExposure", "GroupId": "sg-0ca5e170000000000",
  "Reason": "unused group", "Owner": "ops@example.com", "Ticket": "SEC-17", "Expires": "2025-12-31"},
 {"PolicyID": "AWS.SecurityGroup.InternetExposure", "GroupId": "sg-0ca5e110000000000",
  "Reason": "https is authorized anyway", "Owner": "web@example.com", "Ticket": "SEC-11",
  "Expires": "2027-01-01"}
]}
JSON
"$SG_AUDIT" policies eval --account "$acc/demo.json" --now $NOW --regions-all --waivers "$tmp/waivers.json" >"$tmp/w.out" 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] &&
   grep -q "sg-0ca5e150000000000 AWS.SecurityGroup.InternetExposure WAIVED critical 90 .*waiver: waiver 1 (ticket SEC-15): ticket SEC-15, owner dba@example.com, expires 2026-03-31" "$tmp/w.out" &&
   grep -q "sg-0ca5e170000000000 AWS.SecurityGroup.InternetExposure FAIL critical 90 .*EXPIRED 2025-12-31" "$tmp/w.out" &&
   grep -q "^WAIVER USED waiver 1 (ticket SEC-15) waives 1 finding" "$tmp/w.out" &&
   grep -q "^WAIVER EXPIRED waiver 2 (ticket SEC-17) expired on 2025-12-31" "$tmp/w.out" &&
   grep -q "^WAIVER STALE waiver 3 (ticket SEC-11) matches no failing finding" "$tmp/w.out" &&
   grep -q "^PCI 1.2.1: NOT_COMPLIANT - .*(43 failing findings, 1 waived)" "$tmp/w.out"; then
	ok "waivers: live -> WAIVED and shown, expired -> FAIL and reported, unmatched -> stale"
else
	ko "waivers (rc=$rc)"; grep -E "WAIVER|PCI|SEC-" "$tmp/w.out" | head -8 | sed 's/^/    /'
fi

# The same waivers a day after the first one expired.
"$SG_AUDIT" policies eval --account "$acc/demo.json" --now 1775001600 --regions-all --waivers "$tmp/waivers.json" >"$tmp/w2.out" 2>&1
grep -q "^WAIVER EXPIRED waiver 1 (ticket SEC-15)" "$tmp/w2.out" &&
	grep -q "sg-0ca5e150000000000 AWS.SecurityGroup.InternetExposure FAIL" "$tmp/w2.out" &&
	ok "a waiver stops working after its expiry date" || ko "expiry by --now"

# A malformed waiver file names the entry and the problem (exit 3).
printf '%s\n' '{"Waivers": [{"PolicyID": "P", "GroupId": "sg-1", "Reason": "r", "Owner": "o", "Ticket": "T", "Expires": "2026-01-01"}, {"PolicyID": "P", "GroupId": "sg-1", "Reason": "r", "Owner": "o", "Ticket": "T", "Expires": "next week"}]}' >"$tmp/bad.json"
"$SG_AUDIT" policies eval --account "$acc/demo.json" --waivers "$tmp/bad.json" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 3 ] && grep -q "bad.json: entry 2: Expires 'next week' is not a date" "$tmp/err" &&
	ok "malformed waiver file: $(cut -c1-120 "$tmp/err")" || ko "malformed waiver file (rc=$rc)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
