#!/bin/sh
# Run every executable tests/integration/NN-*.sh|.py in lexical order.
# Each prints its own per-case results and a final "N passed, M failed" line.
# Every server a test starts is its own to stop; this runner adds a hard
# per-test time limit so a hung test cannot hang CI.
set -u
: "${SG_AUDIT:?SG_AUDIT must name the built binary}"
: "${SG_ROOT:=$(pwd)}"
: "${PYTHON:=python3}"
export SG_AUDIT SG_ROOT PYTHON
limit=${SG_TEST_TIMEOUT:-900}
pass=0
fail=0
failed=""
for t in tests/integration/[0-9]*; do
	[ -f "$t" ] || continue
	case "$t" in
	*.py) cmd="$PYTHON $t" ;;
	*.sh) cmd="sh $t" ;;
	*) continue ;;
	esac
	echo "=== $t"
	timeout -k 10 "$limit" $cmd
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $t(rc=$rc)"
	fi
done
[ -n "$failed" ] && echo "integration: failing:$failed"
echo "integration suites: $pass passed, $fail failed"
[ $fail -eq 0 ]
