#!/bin/sh
# 75 — `make bench` runs (it named a scripts/bench.sh that did not exist):
# one small benchmark through the real target, figures printed.
set -u
ROOT=${SG_ROOT:-$(pwd)}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
T=$(mktemp -d /tmp/sg-75-XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

if SG_BENCH_ONLY=20-policy.sh SG_BENCH_POLICY_RULES=1000 make -s -C "$ROOT" bench \
    > "$T/out" 2>&1; then
	ok "make bench (SG_BENCH_ONLY=20-policy.sh) exits 0"
else
	bad "make bench failed: $(tail -n 5 "$T/out")"
fi
grep -q '^=== scripts/bench.d/20-policy.sh$' "$T/out" && grep -q '^policy eval: 1000 rules' "$T/out" &&
	ok "it ran the policy benchmark and printed its figures" ||
	bad "no policy figures: $(tail -n 5 "$T/out")"
grep -q '30-client' "$T/out" && bad "SG_BENCH_ONLY ran other benchmarks" ||
	ok "SG_BENCH_ONLY ran only the one named"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
