#!/bin/sh
# 73 — the man page: groff renders it without a warning, it documents every
# flag `scan --help` prints and every exit code, and `make install` puts it
# (and contrib/) where man(1) and the systemd unit look.
set -u
ROOT=${SG_ROOT:-$(pwd)}
SG_AUDIT=${SG_AUDIT:-$ROOT/sg-audit}
MAN="$ROOT/docs/sg-audit.1"
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
T=$(mktemp -d /tmp/sg-73-XXXXXX)
trap 'rm -rf "$T"' EXIT INT TERM

if command -v groff > /dev/null 2>&1; then
	w=$(groff -man -ww -z "$MAN" 2>&1)
	[ -z "$w" ] && ok "groff renders the man page without warnings" || bad "groff: $w"
else
	echo "note: groff not installed; man page syntax not linted"
fi
LC_ALL=C grep -n '[^ -~	]' "$MAN" > "$T/nonascii" && bad "non-ASCII bytes: $(head -n 3 "$T/nonascii")" ||
	ok "man page source is ASCII"

# Every long option of scan --help, and the commands, are in the page.
plain=$(sed 's/\\-/-/g' "$MAN")
missing=""
for f in $("$SG_AUDIT" scan --help 2>/dev/null | grep -o -- '--[a-z][a-z-]*' | sort -u); do
	printf '%s\n' "$plain" | grep -q -- "$f" || missing="$missing $f"
done
[ -z "$missing" ] && ok "every flag of 'scan --help' is documented" || bad "undocumented:$missing"
for c in 0 1 2 3 4 5; do
	grep -q "^\.B $c\$" "$MAN" || missing="$missing exit-$c"
done
[ -z "$missing" ] && ok "every exit code is documented" || bad "missing:$missing"

# make install DESTDIR=... installs the page.
if make -s -C "$ROOT" install DESTDIR="$T/root" PREFIX=/usr > "$T/install.log" 2>&1; then
	[ -f "$T/root/usr/share/man/man1/sg-audit.1" ] && ok "make install: man1/sg-audit.1" ||
		bad "make install did not install the man page"
	[ -x "$T/root/usr/bin/sg-audit" ] && ok "make install: bin/sg-audit" || bad "no binary"
	[ -x "$T/root/usr/share/sg-audit/contrib/sg-audit-nightly.sh" ] &&
		ok "make install: contrib/sg-audit-nightly.sh" || bad "contrib not installed"
	if command -v man > /dev/null 2>&1; then
		MANPATH="$T/root/usr/share/man" man -P cat sg-audit 2>/dev/null | grep -q "EXIT STATUS" &&
			ok "man sg-audit shows the page" || bad "man could not show the page"
	fi
else
	bad "make install failed: $(tail -n 5 "$T/install.log")"
fi
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
