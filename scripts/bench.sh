#!/bin/sh
# `make bench`: run every scripts/bench.d/NN-*.sh in lexical order. Each prints
# its own figures; nothing is asserted. SG_BENCH_ONLY=GLOB runs only the
# scripts whose file name matches GLOB (SG_BENCH_ONLY='30-*').
set -u
cd "$(dirname "$0")/.."
fail=0
for b in scripts/bench.d/[0-9]*.sh; do
	[ -f "$b" ] || continue
	case "$(basename "$b")" in
	${SG_BENCH_ONLY:-*}) ;;
	*) continue ;;
	esac
	echo "=== $b"
	sh "$b"
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "bench: $b failed (rc=$rc)"
		fail=1
	fi
done
exit $fail
