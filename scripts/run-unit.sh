#!/bin/sh
# Run each cmocka unit-test binary given as an argument; print a summary line
# "unit: N passed, M failed" and exit non-zero if any binary failed.
# With SG_VALGRIND=1 each binary runs under valgrind and a leak is a failure.
set -u
pass=0
fail=0
failed=""
for t in "$@"; do
	if [ "${SG_VALGRIND:-0}" = 1 ]; then
		valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect --error-exitcode=99 "$t"
	else
		"$t"
	fi
	rc=$?
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed="$failed $(basename "$t")(rc=$rc)"
	fi
done
[ -n "$failed" ] && echo "unit: failing binaries:$failed"
echo "unit binaries: $pass passed, $fail failed"
[ $fail -eq 0 ]
