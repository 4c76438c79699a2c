#!/bin/sh
# 74 — `make install PREFIX=...` after a plain `make`: the installed binary
# finds its policies under the PREFIX it was installed to (DATADIR is compiled
# in; a stale object kept /usr/local/share and fell back to the build tree).
set -u
ROOT=${SG_ROOT:-$(pwd)}
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
T=$(mktemp -d /tmp/sg-74-XXXXXX)
# Leave ./sg-audit built for the default PREFIX again, whatever happens.
trap 'make -s -C "$ROOT" all > /dev/null 2>&1; rm -rf "$T"' EXIT INT TERM

if make -s -C "$ROOT" all > "$T/build.log" 2>&1 &&
    make -s -C "$ROOT" install PREFIX="$T/usr" > "$T/install.log" 2>&1; then
	ok "make, then make install PREFIX=$T/usr"
	# From / so that no relative policies/ directory can be picked up.
	out=$(cd / && "$T/usr/bin/sg-audit" policies list 2>&1 | head -n 1)
	case "$out" in
	*"policies from $T/usr/share/sg-audit/policies)"*)
		ok "installed binary reads the installed policies" ;;
	*) bad "installed binary reads other policies: $out" ;;
	esac
else
	bad "make install failed: $(tail -n 5 "$T/build.log" "$T/install.log")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
