#!/bin/sh
# 'sg-audit policies test|list' and the policy loader's rejections, through
# the real binary. Prints one line per case and "N passed, M failed".
set -u
: "${SG_AUDIT:?}"
: "${SG_ROOT:?}"
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
export SG_POLICY_DIR="$SG_ROOT/policies"

ok() { pass=$((pass + 1)); echo "PASS $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; [ -f "$tmp/err" ] && sed 's/^/    /' "$tmp/err" | head -5; }

# 1. Every embedded test passes; one line per test; the seed's three tests are there.
if "$SG_AUDIT" policies test >"$tmp/out" 2>"$tmp/err"; then
	if grep -q '^PASS AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic: Security Group Restricts Inter Security Group Traffic$' "$tmp/out" &&
	   grep -q '^PASS AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic: Security Group Does Not Restrict Inter Security Group Traffic$' "$tmp/out" &&
	   grep -q '^PASS AWS.SecurityGroup.RestrictsInterSecurityGroupTraffic: Security Group Does Not Restrict Internet Traffic$' "$tmp/out" &&
	   tail -1 "$tmp/out" | grep -Eq '^[0-9]+ passed, 0 failed$'; then
		ok "policies test: all embedded tests pass ($(tail -1 "$tmp/out"))"
	else
		ko "policies test: output lacks the seed tests or the summary"
	fi
else
	ko "policies test exited non-zero"; sed 's/^/    /' "$tmp/out" | grep -v '^    PASS' | head -20
fi

# 2. All seventeen cases are embedded tests.
n=0
for c in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17; do
	grep -q "^PASS [^:]*: Case $c:" "$tmp/out" && n=$((n + 1))
done
[ "$n" -eq 17 ] && ok "all 17 cases of sg-semantics.md are passing tests" || ko "only $n of 17 cases found as passing tests"

# 3. list shows every policy and the catalogue hash.
if "$SG_AUDIT" policies list >"$tmp/list" 2>"$tmp/err" &&
   grep -Eq '^catalogue [^ ]+ sha256 [0-9a-f]{64} ' "$tmp/list" &&
   [ "$(grep -c '^AWS\.' "$tmp/list")" -eq "$(ls "$SG_ROOT"/policies/*.json | wc -l)" ]; then
	ok "policies list: every policy and the catalogue hash"
else
	ko "policies list"
fi

# 4. A failing embedded test makes 'policies test FILE' exit 1 and says why.
sed 's/"Risk": 90/"Risk": 75/' "$SG_ROOT/docs/examples/policies/no_public_elasticsearch.json" >"$tmp/wrong.json"
"$SG_AUDIT" policies test "$tmp/wrong.json" >"$tmp/out2" 2>"$tmp/err"; rc=$?
if [ $rc -eq 1 ] && grep -q '^FAIL Example.SecurityGroup.NoPublicElasticsearch: 9200' "$tmp/out2" &&
   grep -q 'Risk is 90, expected 75' "$tmp/out2" && tail -1 "$tmp/out2" | grep -q ', 1 failed$'; then
	ok "a wrong expectation fails the run (exit 1) and names the field"
else
	ko "wrong expectation: rc=$rc"; cat "$tmp/out2" | head -8
fi

# 5. --policies DIR adds a team policy (JSON only) and replaces one by id.
mkdir -p "$tmp/team"
cp "$SG_ROOT/docs/examples/policies/no_public_elasticsearch.json" "$tmp/team/"
sed 's/"Enabled": true/"Enabled": false/' "$SG_ROOT/policies/aws_security_group_wide_public_source.json" >"$tmp/team/wide.json"
if "$SG_AUDIT" policies list --policies "$tmp/team" >"$tmp/list2" 2>"$tmp/err" &&
   grep -q '^Example.SecurityGroup.NoPublicElasticsearch ' "$tmp/list2" &&
   grep -Eq '^AWS.SecurityGroup.WidePublicSource +medium +no ' "$tmp/list2" &&
   ! cmp -s "$tmp/list" "$tmp/list2"; then
	ok "--policies DIR adds a policy and replaces one by PolicyID"
else
	ko "--policies DIR"
fi

# 6. Bad policy files are rejected naming the file, the entry and the reason.
bad() { # name, expected message fragment, json
	mkdir -p "$tmp/bad-$1"
	printf '%s\n' "$3" >"$tmp/bad-$1/p.json"
	"$SG_AUDIT" policies list --policies "$tmp/bad-$1" >/dev/null 2>"$tmp/err"; rc=$?
	if [ $rc -eq 3 ] && grep -q "bad-$1/p.json" "$tmp/err" && grep -q -- "$2" "$tmp/err"; then
		ok "rejected ($1): $(head -1 "$tmp/err" | cut -c1-150)"
	else
		ko "bad policy $1 (rc=$rc, want 3 and '$2')"
	fi
}
base='"PolicyID": "T.X", "DisplayName": "x", "Severity": "High", "Runbook": "fix", "Enabled": true'
bad unknown-check "unknown check 'no_such_check'" "{ $base, \"Check\": \"no_such_check\" }"
bad wrong-type "field 'Enabled' must be true or false" '{ "PolicyID": "T.X", "DisplayName": "x", "Severity": "High", "Runbook": "fix", "Enabled": "yes", "Check": "internet_exposure" }'
bad missing-field "missing field 'Runbook'" '{ "PolicyID": "T.X", "DisplayName": "x", "Severity": "High", "Enabled": true, "Check": "internet_exposure" }'
bad bad-param "unknown parameter 'Portz'" "{ $base, \"Check\": \"internet_exposure\", \"Parameters\": {\"Portz\": [1]} }"
bad param-type "parameter 'Ports' item 1" "{ $base, \"Check\": \"internet_exposure\", \"Parameters\": {\"Ports\": [70000]} }"
bad severity "Severity 'Severe'" '{ "PolicyID": "T.X", "DisplayName": "x", "Severity": "Severe", "Runbook": "fix", "Enabled": true, "Check": "internet_exposure" }'
bad test-entry "Tests\[2\]" "{ $base, \"Check\": \"internet_exposure\", \"Tests\": [{\"Name\": \"a\", \"ExpectedResult\": true, \"Resource\": {}}, {\"Name\": \"b\", \"ExpectedResult\": 1, \"Resource\": {}}] }"
bad malformed "malformed JSON near byte" '{ "PolicyID": '
bad unknown-field "unknown field 'Chekc'" "{ $base, \"Chekc\": \"internet_exposure\" }"
mkdir -p "$tmp/bad-dup"
printf '%s\n' "{ $base, \"Check\": \"internet_exposure\" }" >"$tmp/bad-dup/a.json"
printf '%s\n' "{ $base, \"Check\": \"wide_public_source\" }" >"$tmp/bad-dup/b.json"
"$SG_AUDIT" policies list --policies "$tmp/bad-dup" >/dev/null 2>"$tmp/err"; rc=$?
if [ $rc -eq 3 ] && grep -q "bad-dup/b.json: duplicate PolicyID 'T.X' (already in .*bad-dup/a.json)" "$tmp/err"; then
	ok "rejected (duplicate id): $(head -1 "$tmp/err" | cut -c1-150)"
else
	ko "duplicate ids (rc=$rc)"
fi

# 7. No policy directory at all is a usage error, not a silent empty run.
SG_POLICY_DIR="$tmp/nowhere" "$SG_AUDIT" policies test >/dev/null 2>"$tmp/err"; rc=$?
[ $rc -eq 3 ] && grep -q 'SG_POLICY_DIR' "$tmp/err" && ok "missing policy dir is an error (exit 3)" || ko "missing policy dir (rc=$rc)"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
