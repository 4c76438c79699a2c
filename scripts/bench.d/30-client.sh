#!/bin/sh
# AWS client: calls per second through sg-audit's client against the project's
# local endpoint on 127.0.0.1 (signing, rate limiter, worker pool, keep-alive),
# and the time a call takes when it is throttled twice before succeeding
# (full-jitter backoff: expected mean 0.5 s + 1 s). Figures only; nothing asserted.
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
out=$(mktemp)
"$PY" tests/endpoint/sgendpoint.py --account fixtures/accounts/demo.json --lifetime 120 \
	--parent-pid $$ >"$out" &
pid=$!
trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT INT TERM
i=0
while ! grep -q '^SG_READY=1' "$out"; do
	i=$((i + 1))
	[ $i -gt 300 ] && { echo "client bench: endpoint did not start" >&2; exit 1; }
	sleep 0.1
done
eval "$(grep -E '^(SG_|AWS_)[A-Z_]*=' "$out")"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_ENDPOINT_URL="$SG_ENDPOINT" AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
export AWS_EC2_METADATA_DISABLED=true AWS_REGION=us-east-1
R=us-east-1,eu-west-1,us-west-2,eu-central-1,ap-southeast-2,eu-south-2
for c in 1 4 8; do
	printf 'client: DescribeRegions, 6 regions x 20, concurrency %s: ' "$c"
	./sg-audit call ec2 DescribeRegions --quiet --repeat 20 --max-rate 1000 --concurrency "$c" \
		--regions "$R" 2>&1 >/dev/null | sed -n 's/.* in \([0-9]* ms\): \(.*\)/\1, \2/p'
done
printf 'client: DescribeSecurityGroups paged (5/page), 6 regions: '
./sg-audit call ec2 DescribeSecurityGroups MaxResults=5 --paginate --quiet --regions "$R" \
	2>&1 >/dev/null | sed -n 's/.*: \([0-9]* responses\).* in \([0-9]* ms\).*/\1 in \2/p'
total=0
for n in 1 2 3 4 5; do
	curl -s -X POST "$SG_ENDPOINT/__sg/faults" \
		-d '{"add":["kind=throttle,action=GetCallerIdentity,count=2"]}' >/dev/null
	t0=$(date +%s%N)
	./sg-audit identity >/dev/null 2>&1
	t1=$(date +%s%N)
	total=$((total + (t1 - t0) / 1000000))
done
echo "client: throttled twice then OK, mean of 5: $((total / 5)) ms (expected ~1500 ms)"
