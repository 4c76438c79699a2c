#!/usr/bin/env python3
"""The AWS client through `sg-audit call` against the project's endpoint:
EC2 paging (NextToken followed, pages sequential), CloudTrail JSON 1.1 with
paging, regions in parallel, per-region throttling and 5xx retried to
success, connection resets and truncated bodies retried, an endless
NextToken stopped, not-opted-in regions reported per region, and the
client-side rate limit. Only 127.0.0.1 is contacted."""
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402

SG = os.environ.get("SG_AUDIT") or os.path.join(os.environ.get("SG_ROOT", "."), "sg-audit")
c = Checks("22-client-calls")
REGIONS = "us-east-1,eu-west-1,us-west-2,eu-central-1,ap-southeast-2,eu-south-2"


def run(args, env, timeout=120):
    t = time.monotonic()
    p = subprocess.run([SG] + args, env=env, capture_output=True, timeout=timeout)
    return (p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace"),
            time.monotonic() - t)


def log_of(ep, action):
    return [x for x in ep.log() if x.get("action") == action]


with endpoint("fixtures/accounts/demo.json", extra_args=["--events-relative"]) as ep:
    env = ep.env()

    # EC2 paging in one region: 17 groups, 5 per page -> 4 pages, sequential tokens.
    ep.clear_log()
    rc, out, err, _ = run(["call", "ec2", "DescribeSecurityGroups", "MaxResults=5", "--paginate",
                           "--region", "us-east-1"], env)
    groups = set(re.findall(r"<groupId>(sg-[0-9a-f]+)</groupId>", out))
    calls = log_of(ep, "DescribeSecurityGroups")
    c.check("EC2 paging: 4 pages, every group once", rc == 0 and len(calls) == 4
            and len(groups) >= 17, "rc=%d pages=%d groups=%d %s" % (rc, len(calls), len(groups), err))
    c.check("EC2 paging: NextToken sent on pages 2..4 only",
            [bool(x.get("next_token")) for x in calls] == [False, True, True, True],
            str([x.get("next_token") for x in calls]))

    # Regions in parallel, with throttling and 5xx in two of them.
    ep.clear_log()
    ep.add_fault("region=eu-west-1,action=DescribeSecurityGroups,kind=throttle,count=2",
                 "region=us-west-2,action=DescribeSecurityGroups,kind=503,count=1",
                 "region=eu-central-1,action=DescribeSecurityGroups,kind=reset,count=1",
                 "region=ap-southeast-2,action=DescribeSecurityGroups,kind=truncate,count=1")
    rc, out, err, secs = run(["call", "ec2", "DescribeSecurityGroups", "MaxResults=5",
                              "--paginate", "--regions", REGIONS], env)
    ep.clear_faults()
    c.check("6 regions with faults: all ok", rc == 0 and out.count(" ok ") == 6, out + err)
    lines = {l.split()[0]: l for l in out.splitlines() if l.strip()}
    c.check("throttled region: 2 extra attempts",
            "attempts=6" in lines.get("eu-west-1", ""), lines.get("eu-west-1", ""))
    c.check("503 region: 1 extra attempt", "attempts=5" in lines.get("us-west-2", ""),
            lines.get("us-west-2", ""))
    # The reset is always recovered, but by whom depends on the connection: on a
    # fresh one our retry sends it again (attempts=3); on a reused one libcurl
    # itself reconnects and re-sends before reporting anything (attempts=2).
    # Either way the region's 2 pages arrive and the endpoint saw the reset.
    euc = lines.get("eu-central-1", "")
    c.check("reset connection retried",
            "pages=2 attempts=3" in euc or "pages=2 attempts=2" in euc, euc)
    resets = [e for e in ep.log() if e.get("region") == "eu-central-1"
              and "reset" in (e.get("fault") or "")]
    c.check("reset connection: the endpoint did reset it", len(resets) == 1, resets)
    c.check("truncated body retried", "pages=1 attempts=2" in lines.get("ap-southeast-2", ""),
            lines.get("ap-southeast-2", ""))
    # Pages of one region never overlap: each page's request starts after the previous answer.
    calls = [x for x in log_of(ep, "DescribeSecurityGroups") if x.get("region") == "us-east-1"]
    c.check("pages within a region are sequential",
            len(calls) == 4 and all(calls[i]["t"] <= calls[i + 1]["t"] for i in range(3)),
            str([(x.get("t"), x.get("next_token")) for x in calls]))

    # A not-opted-in region fails alone, with its code; exit 4 (auth-looking failure).
    rc, out, err, _ = run(["call", "ec2", "DescribeSecurityGroups", "--regions",
                           "us-east-1,af-south-1"], env)
    c.check("not-opted-in region reported per region",
            " ok " in out and "af-south-1" in out and "error=AuthFailure" in out and rc == 4,
            "rc=%d %s %s" % (rc, out, err))

    # CloudTrail JSON 1.1 with paging and a throttle.
    ep.clear_log()
    ep.add_fault("action=LookupEvents,kind=throttle,count=1")
    rc, out, err, _ = run(["call", "cloudtrail", "LookupEvents", "--body", '{"MaxResults": 2}',
                           "--paginate", "--region", "us-east-1"], env)
    ep.clear_faults()
    calls = log_of(ep, "LookupEvents")
    c.check("CloudTrail LookupEvents paged to the end", rc == 0 and len(calls) >= 2
            and out.count('"Events"') == len(calls) - 1, "rc=%d calls=%d %s" % (rc, len(calls), err))
    c.check("CloudTrail throttling retried",
            sum(1 for x in calls if x.get("status") == 400) == 1, str([x.get("status") for x in calls]))

    # An endless NextToken is cut off.
    ep.add_fault("action=DescribeSecurityGroups,kind=endless-token")
    rc, out, err, _ = run(["call", "ec2", "DescribeSecurityGroups", "MaxResults=5", "--paginate",
                           "--max-pages", "12", "--quiet", "--region", "eu-south-2"], env)
    ep.clear_faults()
    c.check("endless NextToken stopped at --max-pages", rc != 0 and "after 12 pages" in err, err)

    # The client-side rate limit: 12 calls at 4/s (burst 8) take at least ~1 s.
    rc, out, err, secs = run(["call", "ec2", "DescribeRegions", "--quiet", "--repeat", "12",
                              "--max-rate", "4"], env)
    c.check("--max-rate 4: 12 calls take >= 0.9 s", rc == 0 and secs >= 0.9, "%.2f s" % secs)

    # Adaptive: against a server-side limit of 5/s the client slows down by itself.
    ep.clear_log()
    ep.add_fault("region=eu-west-1,action=DescribeRegions,kind=ratelimit,rps=5,burst=5")
    rc, out, err, secs = run(["call", "ec2", "DescribeRegions", "--quiet", "--repeat", "40",
                              "--max-rate", "20", "--regions", "eu-west-1", "--debug"], env)
    ep.clear_faults()
    calls = log_of(ep, "DescribeRegions")
    throttled = sum(1 for x in calls if x.get("status") != 200)
    c.check("server limit 5/s, client asked for 20/s: all 40 calls succeed",
            rc == 0 and "pages=40" in out, out + err[-500:])
    c.check("client rate lowered after throttling", "client rate for ec2/eu-west-1 now" in err)
    c.check("fewer than 40%% of requests throttled (%d of %d)" % (throttled, len(calls)),
            throttled < 0.4 * len(calls))

    # --timeout reaches every command's calls (scan's: 40-scan-endpoint): each gives up on
    # a 20 s hang after 0.3 s, one attempt, exit 2.
    ep.add_fault("action=GetCallerIdentity,kind=hang,ms=20000",
                 "action=DescribeRegions,kind=hang,ms=20000",
                 "action=LookupEvents,kind=hang,ms=20000")
    for args in (["identity"], ["call", "ec2", "DescribeRegions"],
                 ["events", "--regions", "us-east-1"]):
        rc, out, err, secs = run(args + ["--timeout", "0.3", "--max-attempts", "1"], env,
                                 timeout=60)
        c.check("%s --timeout 0.3 against a 20 s hang: exit 2 in %.1f s, 'timed out after "
                "3xx milliseconds'" % (args[0], secs),
                rc == 2 and secs < 10 and re.search(r"timed out after 3\d\d milliseconds", err),
                err[-300:])
    ep.clear_faults()

    # Throughput figure (printed, never asserted on).
    rc, out, err, secs = run(["call", "ec2", "DescribeRegions", "--quiet", "--repeat", "20",
                              "--max-rate", "1000", "--regions", REGIONS], env)
    c.check("120 calls over 6 regions", rc == 0, err)
    print("info: " + err.strip().splitlines()[-1] if err.strip() else "info: (no summary)")

# The shared AWS options' help is true for every command that prints it:
# the heading names all four, and the --concurrency default it gives for a
# command is the one that command's own text states.
for cmd in ("scan", "events", "identity", "call"):
    p = subprocess.run([SG, cmd, "--help"], capture_output=True, timeout=30)
    text = (p.stdout + p.stderr).decode(errors="replace")
    shared = re.search(r"AWS options \(shared by ([^)]*)\)", text)
    names = set(x.strip() for x in shared.group(1).split(",")) if shared else set()
    conc = re.search(r"--concurrency N +calls in flight at once \(default (\d+); scan: (\d+)\)", text)
    own = re.search(r"--concurrency, default (\d+)", text)
    ok = (p.returncode == 0 and names == {"scan", "events", "identity", "call"} and conc
          and (own is None or own.group(1) == conc.group(2)))
    c.check("%s --help: shared AWS options heading and --concurrency default accurate" % cmd,
            bool(ok), text[-1500:])

sys.exit(c.finish())
