#!/bin/sh
# Scan: wall time of `sg-audit --regions all` over 34 regions with 50 ms of
# latency per call (the largest region 5 pages) against the floor (one
# DescribeRegions plus the largest region's pages, each one round trip), and
# the AWS CLI looping over the same regions. Figures only (scan_bench.py).
set -eu
cd "$(dirname "$0")/../.."
exec "${PYTHON:-python3}" scripts/bench.d/scan_bench.py
