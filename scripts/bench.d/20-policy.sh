#!/bin/sh
# Policy engine: time sg_policy_eval on a synthetic 1,000,000-rule account
# with every policy enabled (target: under one second on one core).
set -eu
cd "$(dirname "$0")/../.."
SG_POLICY_DIR="${SG_POLICY_DIR:-$(pwd)/policies}" ./sg-audit policies bench --rules "${SG_BENCH_POLICY_RULES:-1000000}"
