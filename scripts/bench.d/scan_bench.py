#!/usr/bin/env python3
"""Scan wall time against its floor (scripts/bench.d/10-scan.sh runs this).

An account of 34 regions (every commercial region, all enabled), the largest
with 4,500 groups (5 pages of 1,000), the others 40 groups each, served by
the project's endpoint with 50 ms of latency added to every call. The floor
is one DescribeRegions plus the largest region's 5 pages, each one round
trip: measured by making exactly those 6 calls one after another, and
6 x 50 ms in theory. sg-audit's `--regions all` is timed against it, and the
AWS CLI looping over the same regions (describe-regions, then
describe-security-groups per region with --page-size 1000) in the same run.
Figures only.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import endpoint  # noqa: E402

LATENCY_MS = int(os.environ.get("SG_BENCH_LATENCY_MS", "50"))
BIG = int(os.environ.get("SG_BENCH_BIG_GROUPS", "4500"))
SMALL = int(os.environ.get("SG_BENCH_SMALL_GROUPS", "40"))
RUNS = int(os.environ.get("SG_BENCH_RUNS", "5"))
ACCOUNT = "555566667777"
REGIONS = [  # aws-protocol.md 1.4: the 34 commercial regions, opt-in ones opted in
    ("af-south-1", 1), ("ap-east-1", 1), ("ap-east-2", 1), ("ap-northeast-1", 0),
    ("ap-northeast-2", 0), ("ap-northeast-3", 0), ("ap-south-1", 0), ("ap-south-2", 1),
    ("ap-southeast-1", 0), ("ap-southeast-2", 0), ("ap-southeast-3", 1), ("ap-southeast-4", 1),
    ("ap-southeast-5", 1), ("ap-southeast-6", 1), ("ap-southeast-7", 1), ("ca-central-1", 0),
    ("ca-west-1", 1), ("eu-central-1", 0), ("eu-central-2", 1), ("eu-north-1", 0),
    ("eu-south-1", 1), ("eu-south-2", 1), ("eu-west-1", 0), ("eu-west-2", 0),
    ("eu-west-3", 0), ("il-central-1", 1), ("me-central-1", 1), ("me-south-1", 1),
    ("mx-central-1", 1), ("sa-east-1", 0), ("us-east-1", 0), ("us-east-2", 0),
    ("us-west-1", 0), ("us-west-2", 0)]
LARGEST = "us-east-1"


def group(region, i, vpc):
    gid = "sg-0%016x" % (hash((region, i)) & 0xFFFFFFFFFFFFFFFF)
    return {
        "GroupId": gid, "GroupName": "g-%s-%d" % (region, i), "OwnerId": ACCOUNT,
        "Description": "bench group %d" % i, "VpcId": vpc,
        "IpPermissions": [
            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
             "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "https"}]},
            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
             "IpRanges": [{"CidrIp": "10.%d.%d.0/24" % (i // 256 % 256, i % 256)}]},
            {"IpProtocol": "-1", "UserIdGroupPairs": [{"UserId": ACCOUNT, "GroupId": gid}]},
        ],
        "IpPermissionsEgress": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        "Tags": [{"Key": "Name", "Value": "g%d" % i}],
    }


def make_account(path):
    regions = []
    for name, optin in REGIONS:
        vpc = "vpc-0%016x" % (hash(name) & 0xFFFFFFFFFFFFFFFF)
        n = BIG if name == LARGEST else SMALL
        regions.append({
            "RegionName": name, "OptInStatus": "opted-in" if optin else "opt-in-not-required",
            "Vpcs": [{"VpcId": vpc, "CidrBlock": "10.0.0.0/16", "IsDefault": True, "Tags": [],
                      "Subnets": []}],
            "SecurityGroups": [group(name, i, vpc) for i in range(n)],
        })
    acct = {"AccountId": ACCOUNT, "CallerArn": "arn:aws:iam::%s:user/bench" % ACCOUNT,
            "Partition": "aws", "Regions": regions}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(acct, f)


def floor_ms(ep):
    """The 6 calls of the floor, one after another; wall ms."""
    t = time.monotonic()
    st, _, _ = ep.call("ec2", "us-east-1", "Action=DescribeRegions&Version=2016-11-15"
                       "&AllRegions=true")
    assert st == 200
    token, pages = None, 0
    while True:
        body = "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=1000"
        if token:
            body += "&NextToken=" + urllib.parse.quote_plus(token)
        st, data, _ = ep.call("ec2", LARGEST, body)
        assert st == 200, data[:200]
        pages += 1
        i = data.find(b"<nextToken>")
        if i < 0:
            break
        token = data[i + 11:data.find(b"</nextToken>")].decode()
    return (time.monotonic() - t) * 1000, pages


def time_cmd(cmd, env):
    t = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    return (time.monotonic() - t) * 1000, p.returncode, p.stderr


def scan_ms(stderr):
    """The scan's own duration, from its --debug line (sg_scan_run, start to merge)."""
    for line in stderr.splitlines():
        if "debug: scan: " in line and " ms" in line:
            return float(line.rsplit(" in ", 1)[1].split()[0])
    return float("nan")


def main():
    sg = os.environ.get("SG_AUDIT") or os.path.join(ROOT, "sg-audit")
    with tempfile.TemporaryDirectory() as tmp:
        acct = os.path.join(tmp, "bench-account.json")
        make_account(acct)
        with endpoint(acct, latency_ms=LATENCY_MS, lifetime=900) as ep:
            env = ep.env()
            # The whole product (scan, policies, JSON report) and the scan alone.
            cmd = [sg, "--regions", "all", "--endpoint-url", ep.url, "--format", "json",
                   "--no-progress"]
            inv_cmd = cmd[:cmd.index("--format") + 1] + ["inventory", "--no-progress", "--debug"]
            # Warm up: the endpoint renders each group's XML once and caches it.
            _, rc, err = time_cmd(cmd, env)
            if rc not in (0, 1):  # 1: the bench account has findings
                print("scan bench: sg-audit failed (rc %d): %s" % (rc, err[-400:]))
                return 1
            floors = []
            for _ in range(3):
                ms, pages = floor_ms(ep)
                floors.append(ms)
            floor = min(floors)
            theory = (1 + pages) * LATENCY_MS
            noeni_cmd = inv_cmd + ["--no-network-interfaces"]
            runs, inv_runs, scan_runs, noeni_runs = [], [], [], []
            for _ in range(RUNS):
                runs.append(time_cmd(cmd, env)[0])
                ms, _, err = time_cmd(inv_cmd, env)
                inv_runs.append(ms)
                scan_runs.append(scan_ms(err))
                noeni_runs.append(scan_ms(time_cmd(noeni_cmd, env)[2]))
            ep.clear_log()
            time_cmd(cmd, env)
            calls = len([x for x in ep.log() if x.get("service") == "ec2"])
            best, med = min(runs), statistics.median(runs)
            print("scan: 34 regions (largest %d groups = %d pages, others %d groups), "
                  "%d ms latency per call" % (BIG, pages, SMALL, LATENCY_MS))
            print("scan: floor = DescribeRegions + %d pages, one after another: %.0f ms "
                  "measured (theory %d ms)" % (pages, floor, theory))
            ibest, imed = min(inv_runs), statistics.median(inv_runs)
            sbest, smed = min(scan_runs), statistics.median(scan_runs)
            print("scan: the scan itself (STS + DescribeRegions + every region's pages and "
                  "parse, %d EC2 calls): best %.0f ms, median %.0f ms of %d runs = %.2fx the "
                  "measured floor, %.2fx the theoretical floor"
                  % (calls, sbest, smed, RUNS, sbest / floor, sbest / theory))
            nbest, nmed = min(noeni_runs), statistics.median(noeni_runs)
            print("scan: the same with --no-network-interfaces (%d EC2 calls: the issue's "
                  "scope, one call fewer per region): best %.0f ms, median %.0f ms = %.2fx the "
                  "measured floor" % (calls - len(REGIONS), nbest, nmed, nbest / floor))
            print("scan: sg-audit --regions all --format inventory, whole process (start, "
                  "scan, 10 MB inventory JSON, exit): best %.0f ms, median %.0f ms = %.2fx "
                  "the measured floor" % (ibest, imed, ibest / floor))
            print("scan: sg-audit --regions all (scan + policies + JSON report): best %.0f ms, "
                  "median %.0f ms = %.2fx the measured floor" % (best, med, best / floor))
            # The AWS CLI looping over the same regions.
            if os.environ.get("SG_BENCH_NO_CLI") == "1":
                print("scan: AWS CLI loop skipped (SG_BENCH_NO_CLI=1)")
                return 0
            t = time.monotonic()
            p = subprocess.run(["aws", "ec2", "describe-regions", "--all-regions",
                                "--endpoint-url", ep.url, "--output", "json"], env=env,
                               capture_output=True, text=True)
            names = [r["RegionName"] for r in json.loads(p.stdout)["Regions"]] \
                if p.returncode == 0 else []
            ok = 0
            for r in names:
                q = subprocess.run(["aws", "ec2", "describe-security-groups", "--region", r,
                                    "--endpoint-url", ep.url, "--page-size", "1000",
                                    "--output", "json"], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
                ok += q.returncode == 0
            cli = (time.monotonic() - t) * 1000
            print("scan: AWS CLI loop (describe-regions + describe-security-groups per "
                  "region, %d/%d ok): %.0f ms = %.1fx sg-audit" % (ok, len(names), cli,
                                                                   cli / best))
    return 0


if __name__ == "__main__":
    sys.exit(main())
