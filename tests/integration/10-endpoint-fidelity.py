#!/usr/bin/env python3
"""Fidelity of the project's endpoint, proven with the AWS CLI (botocore's
own parsers): every fixture account read region by region, page by page,
gives back exactly the groups and rules the fixture holds."""
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402
import sgfixture as fx  # noqa: E402

PAGE = 3      # server-side page cap
CLI_PAGE = 5  # MaxResults the CLI sends (the minimum EC2 accepts)


def check_account(c, path, label):
    acct = fx.load(path)
    with endpoint(path, page_size=PAGE, lifetime=240) as ep:
        rc, d, err = fx.aws(ep, "us-east-1", "ec2", "describe-regions", "--all-regions")
        got = [(r["RegionName"], r["OptInStatus"]) for r in (d or {}).get("Regions", [])]
        want = [(r["RegionName"], r["OptInStatus"]) for r in acct["Regions"]]
        c.check("%s: describe-regions --all-regions lists every region with its opt-in status"
                % label, rc == 0 and got == want, "%s %s" % (got, err[-300:]))
        rc, d, err = fx.aws(ep, "us-east-1", "ec2", "describe-regions")
        got = sorted(r["RegionName"] for r in (d or {}).get("Regions", []))
        want = sorted(r["RegionName"] for r in fx.enabled_regions(acct))
        c.check("%s: describe-regions without AllRegions leaves out not-opted-in" % label,
                rc == 0 and got == want, "%s %s" % (got, err[-300:]))

        rc, d, err = fx.aws(ep, "us-east-1", "sts", "get-caller-identity")
        c.check("%s: sts get-caller-identity" % label,
                rc == 0 and d and d["Account"] == acct["AccountId"]
                and d["Arn"] == acct["CallerArn"], str(d) + err[-300:])

        for r in acct["Regions"]:
            name = r["RegionName"]
            ep.clear_log()
            rc, d, err = fx.aws(ep, name, "ec2", "describe-security-groups",
                                "--page-size", str(CLI_PAGE))
            if r["OptInStatus"] == "not-opted-in":
                c.check("%s/%s: not opted in -> AuthFailure" % (label, name),
                        rc != 0 and "AuthFailure" in err, err[-300:])
                continue
            want = [fx.exact_group(g) for g in r["SecurityGroups"]]
            got = [fx.exact_group(g) for g in (d or {}).get("SecurityGroups", [])]
            ok = rc == 0 and got == want
            detail = err[-300:]
            if rc == 0 and not ok:
                for a, b in zip(got, want):
                    if a != b:
                        detail = "first difference: got %s want %s" % (a, b)
                        break
                else:
                    detail = "got %d groups, want %d" % (len(got), len(want))
            c.check("%s/%s: %d groups, every rule, tag and description identical"
                    % (label, name, len(want)), ok, detail)
            arns = [g.get("SecurityGroupArn") for g in (d or {}).get("SecurityGroups", [])]
            c.check("%s/%s: securityGroupArn present and well-formed" % (label, name),
                    all(a == "arn:aws:ec2:%s:%s:security-group/%s"
                        % (name, g["OwnerId"], g["GroupId"])
                        for a, g in zip(arns, r["SecurityGroups"])) and len(arns) == len(want))
            calls = [x for x in ep.log() if x["action"] == "DescribeSecurityGroups"]
            pages = max(1, math.ceil(len(want) / PAGE))
            c.check("%s/%s: read in %d pages of <= %d (server log)" % (label, name, pages, PAGE),
                    len(calls) == pages and all(x["status"] == 200 for x in calls)
                    and sum(x.get("items", 0) for x in calls) == len(want)
                    and all(x["next_token"] for x in calls[1:]) and not calls[0]["next_token"],
                    str([(x["status"], x.get("items"), x["next_token"]) for x in calls]))

            for pl in r.get("ManagedPrefixLists", []):
                rc, d, err = fx.aws(ep, name, "ec2", "get-managed-prefix-list-entries",
                                    "--prefix-list-id", pl["PrefixListId"], "--page-size", "1")
                got = [(e["Cidr"], e.get("Description")) for e in (d or {}).get("Entries", [])]
                want_e = [(e["Cidr"], e.get("Description")) for e in pl["Entries"]]
                c.check("%s/%s: prefix list %s entries, one per page" % (label, name,
                                                                         pl["PrefixListName"]),
                        rc == 0 and got == want_e, "%s %s" % (got, err[-300:]))

            evs = r.get("CloudTrailEvents", [])
            if evs:
                ep.clear_log()
                rc, d, err = fx.aws(ep, name, "cloudtrail", "lookup-events")
                got = [e["EventId"] for e in (d or {}).get("Events", [])]
                want_ids = [e["EventId"] for e in sorted(evs, key=lambda e: (-e["EventTime"],
                                                                             e["EventId"]))]
                calls = [x for x in ep.log() if x["action"] == "LookupEvents"]
                c.check("%s/%s: cloudtrail lookup-events returns all %d events newest first "
                        "in %d pages" % (label, name, len(evs), math.ceil(len(evs) / PAGE)),
                        rc == 0 and got == want_ids
                        and len(calls) == math.ceil(len(evs) / PAGE),
                        "%d events, %d calls %s" % (len(got), len(calls), err[-300:]))


def main():
    c = Checks("endpoint fidelity")
    check_account(c, "fixtures/accounts/demo.json", "demo")
    check_account(c, "fixtures/accounts/clean.json", "clean")
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "large.json")
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "large.py"),
                        "--groups", "40", "--rules-per-group", "4", "--seed", "3",
                        "--regions", "2", "--out", big], check=True)
        check_account(c, big, "large(40x4)")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
