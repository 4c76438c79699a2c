#!/bin/sh
# make demo: scan the bundled demo account on a local AWS stand-in.
#
# Starts moto (tests/moto/launch.py: moto_server on 127.0.0.1 with IAM
# authentication on, seeded with fixtures/accounts/demo.json), runs
#
#     ./sg-audit --regions all --endpoint-url $SG_ENDPOINT
#
# as the demo account's read-only audit user, shows the result, and always
# stops moto again (trap; the launcher also dies with this script and after
# its lifetime). Nothing here talks to real AWS: the environment is emptied
# of AWS settings and points at the stand-in only.
#
# Extra arguments go to sg-audit (e.g. `sh scripts/demo.sh --format json`).
set -u

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON:-python3}
BIN=${SG_AUDIT:-$ROOT/sg-audit}
ACCOUNT=${SG_DEMO_ACCOUNT:-$ROOT/fixtures/accounts/demo.json}

if [ ! -x "$BIN" ]; then
	echo "demo: $BIN is not built; run 'make demo' (it builds first)" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-audit-demo.XXXXXX") || exit 2
launcher=""
cleanup() {
	if [ -n "$launcher" ] && kill -0 "$launcher" 2>/dev/null; then
		kill "$launcher" 2>/dev/null
		# the launcher stops moto_server on SIGTERM; give it a moment
		i=0
		while kill -0 "$launcher" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$launcher" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

echo "demo: starting moto (local AWS stand-in, IAM auth on) with $(basename "$ACCOUNT") ..." >&2
"$PY" "$ROOT/tests/moto/launch.py" --account "$ACCOUNT" --lifetime 600 \
	--parent-pid $$ >"$tmp/info" 2>"$tmp/launcher.log" &
launcher=$!

# Wait for SG_READY (moto starts in < 1 s; seeding the demo takes a few seconds).
i=0
while ! grep -q '^SG_READY=1' "$tmp/info" 2>/dev/null; do
	if ! kill -0 "$launcher" 2>/dev/null; then
		echo "demo: the moto launcher exited before it was ready:" >&2
		tail -20 "$tmp/launcher.log" >&2
		exit 2
	fi
	i=$((i + 1))
	if [ $i -gt 1800 ]; then
		echo "demo: moto was not ready after 180 s" >&2
		exit 2
	fi
	sleep 0.1
done

SG_ENDPOINT=$(sed -n 's/^SG_ENDPOINT=//p' "$tmp/info")
key=$(sed -n 's/^AWS_ACCESS_KEY_ID=//p' "$tmp/info")
secret=$(sed -n 's/^AWS_SECRET_ACCESS_KEY=//p' "$tmp/info")
case "$SG_ENDPOINT" in
http://127.0.0.1:*) ;;
*) echo "demo: unexpected endpoint '$SG_ENDPOINT'" >&2; exit 2 ;;
esac
echo "demo: moto is ready at $SG_ENDPOINT; scanning as the read-only audit user" >&2
echo >&2

# Empty config and credentials files (mode 600) so no real profile is read.
: >"$tmp/config"
: >"$tmp/credentials"
chmod 600 "$tmp/config" "$tmp/credentials"

# The person running the demo reads the table, whether or not stdout is a
# terminal (make may pipe it); extra arguments replace it.
[ $# -eq 0 ] && set -- --format table
echo "\$ sg-audit --regions all --endpoint-url $SG_ENDPOINT $*"
env -u AWS_PROFILE -u AWS_DEFAULT_PROFILE -u AWS_SESSION_TOKEN -u AWS_SECURITY_TOKEN \
	-u AWS_ROLE_ARN -u AWS_WEB_IDENTITY_TOKEN_FILE -u AWS_CONTAINER_CREDENTIALS_FULL_URI \
	-u AWS_CONTAINER_CREDENTIALS_RELATIVE_URI -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_EC2 \
	-u AWS_ENDPOINT_URL_STS -u AWS_CA_BUNDLE \
	AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" \
	AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
	AWS_CONFIG_FILE="$tmp/config" AWS_SHARED_CREDENTIALS_FILE="$tmp/credentials" \
	AWS_EC2_METADATA_DISABLED=true \
	"$BIN" --regions all --endpoint-url "$SG_ENDPOINT" "$@"
rc=$?

case $rc in
0) meaning="clean: every requested region scanned, nothing failing" ;;
1) meaning="failing findings (the demo account is built to have them)" ;;
2) meaning="incomplete: a region or call did not complete" ;;
3) meaning="usage or configuration error" ;;
4) meaning="credentials or authentication failure" ;;
*) meaning="internal error" ;;
esac
echo >&2
echo "demo: sg-audit exited $rc ($meaning); stopping moto" >&2
# Findings and coverage are what the demo is there to show; only a failure to
# run at all fails `make demo`.
[ $rc -le 2 ] && exit 0
exit $rc
