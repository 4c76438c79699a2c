#!/usr/bin/env python3
"""`sg-audit events` through CloudTrail LookupEvents on the project's endpoint
(tests/endpoint/sgendpoint.py, account fixtures/cloudtrail/lookup-account.json):
paging, the six EventName series, 2 requests/s per region (from the
endpoint's request log), throttling retried, a region that keeps failing,
a malformed page, --regions all, bad credentials, and the same alerts as
reading the same records from a log file."""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT", ".")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402

SG_AUDIT = os.environ["SG_AUDIT"]
ACCOUNT = os.path.join(ROOT, "fixtures", "cloudtrail", "lookup-account.json")
WINDOW = ["--since", "2024-04-01", "--until", "2024-06-01"]
SIX = {"AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
       "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
       "ModifySecurityGroupRules"}

checks = Checks("62-events-lookup")
check = checks.check


def run(ep, *args, env=None):
    p = subprocess.run([SG_AUDIT, "events", "--endpoint-url", ep.url] + list(args),
                       capture_output=True, text=True, env=env or ep.env(), timeout=240)
    return p.returncode, p.stdout, p.stderr


def lookups(ep):
    return [x for x in ep.log() if x.get("action") == "LookupEvents"]


def rate_ok(entries):
    """At most 2 requests/s: the average rate stays at or below 2.1/s and no
    1-second window holds more than 3 (a token bucket of 2/s with burst 1, plus
    scheduling jitter on a busy machine). Returns (ok, average, busiest window)."""
    ts = sorted(x["t"] for x in entries)
    if len(ts) < 2:
        return True, 0.0, len(ts)
    avg = (len(ts) - 1) / (ts[-1] - ts[0])
    busiest = max(sum(1 for u in ts if t <= u < t + 1.0) for t in ts)
    return avg <= 2.1 and busiest <= 3, avg, busiest


def main():
    with open(ACCOUNT, encoding="utf-8") as f:
        acct = json.load(f)
    # The same records as a log file: LookupEvents must give the same alerts.
    with tempfile.TemporaryDirectory(prefix="sg-ev-lookup-") as tmp:
        recs = []
        for r in acct["Regions"]:
            recs += [e["CloudTrailEvent"] for e in r.get("CloudTrailEvents", [])]
        log = os.path.join(tmp, "same.json")
        with open(log, "w", encoding="utf-8") as f:
            f.write('{"Records":[' + ",".join(recs) + "]}")
        p = subprocess.run([SG_AUDIT, "events", "--file", log, "--min-risk", "0"],
                           capture_output=True, text=True)
        from_file = sorted(p.stdout.splitlines())

    with endpoint(ACCOUNT, page_size=20) as ep:
        # 1. Paging over the six series in two regions.
        rc, out, err = run(ep, "--regions", "us-east-1,eu-west-1", "--min-risk", "0", *WINDOW)
        got = out.splitlines()
        calls = lookups(ep)
        check("two regions: exit 1, alerts equal to reading the same records from a file",
              rc == 1 and sorted(got) == from_file and len(got) > 10,
              "rc=%d %d vs %d\n%s" % (rc, len(got), len(from_file), err[-800:]))
        times = [json.loads(x)["timestamp"] for x in got]
        check("alerts in event-time order", times == sorted(times))
        us_calls = [x for x in calls if x["region"] == "us-east-1"]
        us_events = [r for r in acct["Regions"] if r["RegionName"] == "us-east-1"][0]
        n_us = len(us_events["CloudTrailEvents"])
        check("us-east-1 paged: %d requests (> 6 series) brought all %d events" %
              (len(us_calls), n_us), len(us_calls) > 6 and
              sum(x.get("items") or 0 for x in us_calls) == n_us and
              all(x["status"] == 200 for x in calls), json.dumps(us_calls[:2]))
        for region in ("us-east-1", "eu-west-1"):
            rc_calls = [x for x in calls if x["region"] == region]
            ok, avg, busiest = rate_ok(rc_calls)
            check("%s: %d requests at %.2f/s, at most %d in any second (limit 2/s)" %
                  (region, len(rc_calls), avg, busiest), ok and len(rc_calls) >= 6)
        ep.clear_log()

        # 2. Output does not depend on page size.
        with endpoint(ACCOUNT, page_size=50) as ep50:
            rc2, out2, _ = run(ep50, "--regions", "us-east-1,eu-west-1", "--min-risk", "0",
                               *WINDOW)
        check("page size 50 gives byte-identical output", rc2 == 1 and out2 == out)

        # 3. Throttling: retried by the client, nothing lost.
        ep.add_fault("kind=throttle,action=LookupEvents,region=us-east-1,count=3")
        rc, out3, err = run(ep, "--regions", "us-east-1", "--min-risk", "0", *WINDOW)
        calls = lookups(ep)
        throttled = [x for x in calls if x["status"] == 400]
        want = [x for x in from_file if '"Region":"us-east-1"' in x]
        check("3 ThrottlingExceptions retried: exit 1, all us-east-1 alerts (%d throttled)" %
              len(throttled), rc == 1 and sorted(out3.splitlines()) == want and
              len(throttled) == 3 and "incomplete" not in err, err[-500:])
        ep.clear_faults()
        ep.clear_log()

        # 4. The endpoint enforcing 2 requests/s: the client never trips it.
        ep.add_fault("kind=ratelimit,rps=2,burst=2,action=LookupEvents")
        rc, out4, err = run(ep, "--regions", "us-east-1", "--min-risk", "0", *WINDOW)
        calls = lookups(ep)
        check("endpoint rate limit 2/s: no request throttled (%d requests)" % len(calls),
              rc == 1 and all(x["status"] == 200 for x in calls) and
              sorted(out4.splitlines()) == want, err[-500:])
        ep.clear_faults()
        ep.clear_log()

        # 5. A region that stays throttled: reported, the other region still scored.
        ep.add_fault("kind=throttle,action=LookupEvents,region=eu-west-1")
        rc, out5, err = run(ep, "--regions", "us-east-1,eu-west-1", "--max-attempts", "2",
                            *WINDOW)
        check("eu-west-1 always throttled: us-east-1 alerts kept, eu-west-1 named, exit 2",
              rc == 2 and '"Region":"us-east-1"' in out5 and '"Region":"eu-west-1"' not in out5
              and "eu-west-1 LookupEvents" in err and "ThrottlingException" in err and
              "incomplete" in err, err[-800:])
        rc, out5, err = run(ep, "--regions", "eu-west-1", "--max-attempts", "2", *WINDOW)
        check("only the throttled region: exit 2 (incomplete)", rc == 2 and out5 == "",
              "rc=%d %s" % (rc, err[-400:]))
        ep.clear_faults()

        # 6. A malformed page: that series is reported, the rest scored.
        ep.add_fault("kind=malformed,action=LookupEvents,region=us-east-1,count=1")
        rc, out6, err = run(ep, "--regions", "us-east-1", *WINDOW)
        check("malformed page: named, incomplete (exit 2), other series scored",
              rc == 2 and out6 != "" and "us-east-1 LookupEvents EventName=" in err and "incomplete" in err,
              "rc=%d %s" % (rc, err[-600:]))
        ep.clear_faults()
        ep.clear_log()

        # 7. --regions all: every enabled region (DescribeRegions), not the opted-out one.
        rc, out7, err = run(ep, "--regions", "all", "--min-risk", "0", *WINDOW)
        regions = {x["region"] for x in lookups(ep)}
        check("--regions all: us-east-1, eu-west-1, ap-southeast-2 queried; me-south-1 not",
              regions == {"us-east-1", "eu-west-1", "ap-southeast-2"} and
              sorted(out7.splitlines()) == from_file, "%s rc=%d %s" % (regions, rc, err[-300:]))
        names = {}
        for x in lookups(ep):
            names.setdefault(x["region"], 0)
            names[x["region"]] += 1
        check("ap-southeast-2 (no events): exactly six requests, one per event name",
              names.get("ap-southeast-2") == 6, str(names))
        ep.clear_log()

        # 8. Default window is the last 24 h: the 2024 fixture events are outside it.
        rc, out8, err = run(ep, "--regions", "us-east-1")
        check("default --since 24h: nothing old, exit 0", rc == 0 and out8 == "",
              "rc=%d %s" % (rc, err[-300:]))

        # 9. Seed-compatible through LookupEvents: one document per event, seed shape.
        rc, out9, err = run(ep, "--regions", "eu-west-1", "--seed-compatible", *WINDOW)
        ds = [json.loads(x) for x in out9.splitlines()]
        check("seed-compatible via LookupEvents: 2 alerts, no sg_audit fields",
              rc == 1 and len(ds) == 2 and all("sg_audit" not in d for d in ds), out9[:300])

        # 10. Wrong secret: exit 4, no secret in the output.
        env = ep.env()
        env["AWS_SECRET_ACCESS_KEY"] = "wrong" + env["AWS_SECRET_ACCESS_KEY"][5:]
        rc, out10, err = run(ep, "--regions", "us-east-1", *WINDOW, env=env)
        check("bad credentials: exit 4, names the failure, no secret printed",
              rc == 4 and "LookupEvents" in err and env["AWS_SECRET_ACCESS_KEY"] not in err,
              "rc=%d %s" % (rc, err[-400:]))
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
