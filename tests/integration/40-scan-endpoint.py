#!/usr/bin/env python3
"""The scan through the project's endpoint (tests/endpoint/sgendpoint.py).

1. Every fixture account scanned with `--regions all` at small page sizes
   (at least 3 pages in every region with 3 or more groups) equals the
   fixture: groups, rules (one per source), tags, descriptions, prefix-list
   entries; not-opted-in regions are NOT_OPTED_IN and never called; every
   rule's normalization agrees with an independent implementation.
2. Every fault the endpoint can inject gives the right coverage and exit
   code, with the groups read before the failure kept.
3. A never-ending NextToken stops with a clear error after a bounded number
   of calls.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402
import sgfixture as fx  # noqa: E402
import sgscan  # noqa: E402


def check_account(c, path, label, page_size):
    acct = fx.load(path)
    with endpoint(path, page_size=page_size, lifetime=240) as ep:
        t = time.monotonic()
        rc, data, err = sgscan.scan_json(ep, ["--regions", "all"])
        dt = time.monotonic() - t
        if not c.check("%s (page size %d): scan --regions all exits 0 in %.2f s"
                       % (label, page_size, dt), rc == 0 and data is not None,
                       "rc=%s %s" % (rc, err[-400:])):
            return
        cov = sgscan.coverage(data)
        log = ep.log()
        c.check("%s: account and caller from STS" % label,
                data.get("account_id") == acct["AccountId"]
                and data.get("caller_arn") == acct["CallerArn"], str(data.get("caller_arn")))
        c.check("%s: coverage lists every region of the account, sorted" % label,
                [x["region"] for x in data["coverage"]]
                == sorted(r["RegionName"] for r in acct["Regions"]))
        groups_by_region = {}
        for g in data["groups"]:
            groups_by_region.setdefault(g["region"], []).append(g)
        for r in acct["Regions"]:
            name = r["RegionName"]
            cv = cov.get(name, {})
            calls = [x for x in log if x.get("region") == name and x.get("service") == "ec2"]
            if r.get("OptInStatus") == "not-opted-in":
                c.check("%s/%s: NOT_OPTED_IN, no call made there" % (label, name),
                        cv.get("state") == "NOT_OPTED_IN" and not calls
                        and "error_code" not in cv, "%s calls=%d" % (cv, len(calls)))
                continue
            n = len(r["SecurityGroups"])
            pages = max(1, math.ceil(n / page_size))
            dsg = [x for x in calls if x["action"] == "DescribeSecurityGroups"]
            c.check("%s/%s: SCANNED, %d groups in %d pages (%d calls, MaxResults=1000 on each)"
                    % (label, name, n, pages, len(dsg)),
                    cv.get("state") == "SCANNED" and cv.get("groups") == n
                    and cv.get("pages") == pages and len(dsg) == pages
                    and all(str(x.get("max_results")) == "1000" for x in dsg)
                    and (pages >= 3 or n <= 2 * page_size), "%s %s" % (cv, [x.get("max_results") for x in dsg]))
            got = {g["group_id"]: fx.canon_group(sgscan.to_boto(g))
                   for g in groups_by_region.get(name, [])}
            want = {g["GroupId"]: fx.canon_group(g) for g in r["SecurityGroups"]}
            diff = [k for k in want if got.get(k) != want[k]]
            detail = ""
            if set(got) != set(want):
                detail = "missing %s extra %s" % (sorted(set(want) - set(got)),
                                                   sorted(set(got) - set(want)))
            elif diff:
                k = diff[0]
                detail = "%s: %s" % (k, {f: (got[k][f], want[k][f]) for f in want[k]
                                         if got[k][f] != want[k][f]})
            c.check("%s/%s: groups, rules, tags and descriptions equal the fixture"
                    % (label, name), set(got) == set(want) and not diff, detail)
            # attachment: how many of the fixture's interfaces name each group
            want_n = {}
            for e in r.get("NetworkInterfaces", []):
                for gid in e["Groups"]:
                    want_n[gid] = want_n.get(gid, 0) + 1
            bad_n = [(g["group_id"], g.get("network_interfaces"), want_n.get(g["group_id"], 0))
                     for g in groups_by_region.get(name, [])
                     if g.get("network_interfaces") != want_n.get(g["group_id"], 0)]
            c.check("%s/%s: network interfaces per group equal the fixture's %d interfaces"
                    % (label, name, len(r.get("NetworkInterfaces", []))), not bad_n,
                    str(bad_n[:3]))
            # prefix lists named by rules: resolved, same entries
            named = {rule["prefix_list_id"] for g in groups_by_region.get(name, [])
                     for rule in g["rules"] if rule["source"] == "prefix_list"}
            pls = {p["id"]: p for p in data["prefix_lists"] if p["region"] == name}
            fixture_pls = {p["PrefixListId"]: p for p in r.get("ManagedPrefixLists", [])}
            for pid in sorted(named):
                want_e = sorted(e["Cidr"] for e in fixture_pls.get(pid, {}).get("Entries", []))
                got_p = pls.get(pid, {})
                c.check("%s/%s: prefix list %s resolved with its %d entries"
                        % (label, name, pid, len(want_e)),
                        got_p.get("resolved") is True and sorted(got_p.get("entries", []))
                        == want_e, str(got_p))
                want_name = fixture_pls.get(pid, {}).get("PrefixListName")
                c.check("%s/%s: prefix list %s named '%s' (DescribeManagedPrefixLists)"
                        % (label, name, pid, want_name),
                        got_p.get("name") == want_name, str(got_p.get("name")))
        bad = sgscan.normalization_problems(data["groups"])
        c.check("%s: every rule's protocol, ports / ICMP type-code and all-traffic flag "
                "agree with an independent normalization (%d rules)"
                % (label, sum(len(g["rules"]) for g in data["groups"])), not bad,
                str(bad[:3]))
        # Deterministic output: a second run gives the same bytes.
        rc2, out1, _ = sgscan.run(["--endpoint-url", ep.url, "--regions", "all", "--format",
                                   "inventory", "--no-progress"], env=ep.env())
        rc3, out2, _ = sgscan.run(["--endpoint-url", ep.url, "--regions", "all", "--format",
                                   "inventory", "--no-progress"], env=ep.env())
        c.check("%s: two runs print identical JSON (scan is the default command)" % label,
                rc2 == 0 and rc3 == 0 and out1 == out2 and out1.strip())


# (spec, expected state, expected error code (or None), exit code, extra check)
FAULTS = [
    ("kind=throttle", "THROTTLED", "RequestLimitExceeded", 2),
    ("kind=ratelimit,rps=0.01,burst=1", "THROTTLED", "RequestLimitExceeded", 2),
    ("kind=500", "ERROR", "InternalError", 2),
    ("kind=503", "ERROR", "Unavailable", 2),
    ("kind=error,code=InvalidParameterValue,status=400,message=bad+value", "ERROR",
     "InvalidParameterValue", 2),
    ("kind=reset", "ERROR", "ENET", 2),
    ("kind=truncate", "ERROR", None, 2),
    ("kind=hang,ms=1500", "ERROR", None, 2),
    ("kind=malformed", "ERROR", "EPARSE", 2),
    ("kind=authfailure", "DENIED", "AuthFailure", 2),
    ("kind=unauthorized", "DENIED", "UnauthorizedOperation", 2),
    ("kind=optin", "ERROR", "OptInRequired", 2),
    ("kind=expired", "DENIED", "RequestExpired", 2),
    ("kind=throttle,count=1", "SCANNED", None, 0),
    ("kind=500,count=1", "SCANNED", None, 0),
    # Clock skew is the client's, so the fault is account-wide, not one region's.
    # All regions at once: calls failing on skew at the same moment must each
    # still retry (each compares the server's Date with the offset it was
    # signed with, not the shared one another call may already have corrected).
    ("*kind=skew,seconds=3600", "SCANNED", None, 0),
    ("kind=latency,ms=300", "SCANNED", None, 0),
    ("kind=trickle,bytes=200,ms=2", "SCANNED", None, 0),
]


def check_faults(c):
    path = "fixtures/accounts/demo.json"
    acct = fx.load(path)
    euw = next(r for r in acct["Regions"] if r["RegionName"] == "eu-west-1")
    n_euw = len(euw["SecurityGroups"])
    with endpoint(path, page_size=5, lifetime=600) as ep:
        for spec, state, code, exit_code in FAULTS:
            ep.clear_faults()
            ep.add_fault(spec[1:] if spec.startswith("*") else
                         "region=eu-west-1,action=DescribeSecurityGroups," + spec)
            t = time.monotonic()
            extra = []
            rc, data, err = sgscan.scan_json(ep, ["--regions", "all", "--max-attempts", "2"]
                                             + extra)
            dt = time.monotonic() - t
            if data is None:
                c.check("fault %s: JSON printed" % spec, False, "rc=%s %s" % (rc, err[-300:]))
                continue
            cov = sgscan.coverage(data)
            cv = cov["eu-west-1"]
            others = all(x["state"] in ("SCANNED", "NOT_OPTED_IN") for k, x in cov.items()
                         if k != "eu-west-1")
            ok = (cv["state"] == state and rc == exit_code and others
                  and (code is None or cv.get("error_code") == code))
            if state == "SCANNED":
                ok = ok and cv["groups"] == n_euw and "error_code" not in cv
            else:
                ok = ok and cv.get("error_message", "").find("eu-west-1") >= 0
            c.check("fault %-45s -> eu-west-1 %s%s, exit %d (%.1f s)"
                    % (spec.lstrip("*"), state, " " + code if code else "", exit_code, dt), ok,
                    "rc=%s %s" % (rc, json.dumps(cv)))

        # --timeout cuts a silent server short: each of the 2 attempts gives up after
        # 0.4 s instead of waiting out the 20 s hang (the default would wait 60 s).
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeSecurityGroups,kind=hang,ms=20000")
        t = time.monotonic()
        rc, data, err = sgscan.scan_json(ep, ["--regions", "all", "--max-attempts", "2",
                                              "--timeout", "0.4"])
        dt = time.monotonic() - t
        cv = sgscan.coverage(data)["eu-west-1"] if data else {}
        c.check("--timeout 0.4 against a 20 s hang: eu-west-1 ERROR ETIMEOUT, exit 2, "
                "in %.1f s (< 10)" % dt,
                rc == 2 and cv.get("state") == "ERROR" and cv.get("error_code") == "ETIMEOUT"
                and dt < 10, "rc=%s %s" % (rc, json.dumps(cv)))
        # strtod alone would take the blank, the hexadecimal and "inf"/"nan" as numbers;
        # 0.0004 s would round to 0 ms (no limit at all in curl).
        for flag, bad in (("--timeout", "0"), ("--timeout", "x"), ("--connect-timeout", "-1"),
                          ("--connect-timeout", "3601"), ("--timeout", " 5"),
                          ("--timeout", "0x10"), ("--connect-timeout", "inf"),
                          ("--connect-timeout", "nan"), ("--timeout", "0.0004"),
                          ("--max-rate", "0x10"), ("--max-rate", " 5")):
            rc, out, err = sgscan.run(["--endpoint-url", ep.url, flag, bad], env=ep.env())
            c.check("%s %s: usage error naming the flag and the value, exit 3" % (flag, bad),
                    rc == 3 and flag in err and "'%s'" % bad in err and not out, err[-200:])

        # Page 3 of 4 fails: the first two pages' groups stay, the region says why.
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeSecurityGroups,kind=unauthorized,after=2")
        rc, data, err = sgscan.scan_json(ep, ["--regions", "all"])
        cv = sgscan.coverage(data)["eu-west-1"] if data else {}
        kept = [g for g in (data or {}).get("groups", []) if g["region"] == "eu-west-1"]
        c.check("page 3 denied: eu-west-1 DENIED after 2 pages, their 10 groups kept, exit 2",
                rc == 2 and cv.get("state") == "DENIED" and cv.get("pages") == 2
                and cv.get("groups") == 10 and len(kept) == 10, "rc=%s %s" % (rc, cv))

        # The table says the same, and says INCOMPLETE.
        rc, out, err = sgscan.run(["--endpoint-url", ep.url, "--regions", "all",
                                   "--no-progress"], env=ep.env())
        c.check("table: eu-west-1 DENIED and the coverage line says INCOMPLETE, exit 2",
                rc == 2 and "DENIED" in out and "INCOMPLETE" in out and "eu-west-1" in out,
                out[-600:])

        # A prefix list that cannot be read leaves its region incomplete.
        ep.clear_faults()
        ep.add_fault("region=us-east-1,action=GetManagedPrefixListEntries,kind=unauthorized")
        rc, data, err = sgscan.scan_json(ep, ["--regions", "all"])
        cv = sgscan.coverage(data)["us-east-1"] if data else {}
        c.check("GetManagedPrefixListEntries denied: us-east-1 DENIED naming the prefix list, "
                "groups kept, exit 2",
                rc == 2 and cv.get("state") == "DENIED"
                and "prefix list pl-" in cv.get("error_message", "") and cv.get("groups") == 17,
                "rc=%s %s" % (rc, cv))

        # Interfaces that cannot be read: attachment unknown, coverage untouched, a warning.
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=unauthorized")
        rc, data, err = sgscan.scan_json(ep, ["--regions", "all"])
        cv = sgscan.coverage(data)["eu-west-1"] if data else {}
        unknown = [g for g in (data or {}).get("groups", []) if g["region"] == "eu-west-1"
                   and "network_interfaces" not in g]
        c.check("DescribeNetworkInterfaces denied: eu-west-1 still SCANNED, attachment "
                "unknown for its %d groups, a warning, exit 0" % len(unknown),
                rc == 0 and cv.get("state") == "SCANNED" and len(unknown) == cv.get("groups")
                and "network interface is unknown" in err, "rc=%s %s %s" % (rc, cv, err[-300:]))

        # DescribeRegions denied: all regions cannot be known -> exit 4, clear message.
        ep.clear_faults()
        ep.add_fault("action=DescribeRegions,kind=unauthorized")
        rc, out, err = sgscan.run(["--endpoint-url", ep.url, "--regions", "all",
                                   "--no-progress"], env=ep.env())
        c.check("DescribeRegions denied with --regions all: exit 4, says to name regions",
                rc == 4 and "cannot list the account's regions" in err
                and "--regions" in err and out == "", "rc=%s %s" % (rc, err[-300:]))
        rc, data, err = sgscan.scan_json(ep, ["--regions", "eu-west-1"])
        c.check("DescribeRegions denied with --regions eu-west-1: still scanned, warning, exit 0",
                rc == 0 and data and sgscan.coverage(data)["eu-west-1"]["state"] == "SCANNED"
                and "cannot check the region names" in err, "rc=%s %s" % (rc, err[-300:]))

        # STS refuses the caller: nothing is scanned, exit 4.
        ep.clear_faults()
        ep.add_fault("service=sts,kind=authfailure")
        rc, out, err = sgscan.run(["--endpoint-url", ep.url, "--regions", "all",
                                   "--no-progress"], env=ep.env())
        c.check("STS GetCallerIdentity refused: exit 4, message names the call",
                rc == 4 and "GetCallerIdentity" in err, "rc=%s %s" % (rc, err[-300:]))
        ep.clear_faults()

        # Wrong secret key: exit 4, and the secret is nowhere in the output.
        env = ep.env()
        env["AWS_SECRET_ACCESS_KEY"] = "wrong" + env["AWS_SECRET_ACCESS_KEY"][5:]
        rc, out, err = sgscan.run(["--endpoint-url", ep.url, "--regions", "all"], env=env)
        c.check("wrong secret key: exit 4, no secret in stdout/stderr",
                rc == 4 and env["AWS_SECRET_ACCESS_KEY"] not in out + err
                and ep.secret_access_key not in out + err, "rc=%s %s" % (rc, err[-300:]))

        # Region names are checked.
        rc, out, err = sgscan.run(["--endpoint-url", ep.url, "--regions", "eu-wst-1",
                                   "--no-progress"], env=ep.env())
        c.check("--regions eu-wst-1: exit 3, 'unknown region' naming the account's regions",
                rc == 3 and "unknown region 'eu-wst-1'" in err and "eu-west-1" in err,
                "rc=%s %s" % (rc, err[-300:]))
        rc, data, err = sgscan.scan_json(ep, ["--regions", "eu-west-1,me-south-1"])
        cov = sgscan.coverage(data) if data else {}
        c.check("--regions eu-west-1,me-south-1: SCANNED + NOT_OPTED_IN in that order, exit 0",
                rc == 0 and [x["region"] for x in data["coverage"]] == ["eu-west-1", "me-south-1"]
                and cov["me-south-1"]["state"] == "NOT_OPTED_IN", "rc=%s %s" % (rc, cov))
        # No --regions: the default region (AWS_REGION).
        rc, data, err = sgscan.scan_json(ep, [], region="eu-central-1")
        c.check("no --regions: only the default region (AWS_REGION=eu-central-1)",
                rc == 0 and data and [x["region"] for x in data["coverage"]] == ["eu-central-1"],
                "rc=%s %s" % (rc, err[-300:]))

        # -o writes the file; stdout stays empty; not a terminal: no progress on stderr.
        with tempfile.TemporaryDirectory() as tmp:
            out_path = os.path.join(tmp, "inv.json")
            rc, out, err = sgscan.run(["--endpoint-url", ep.url, "--regions", "all",
                                       "--format", "inventory", "-o", out_path], env=ep.env())
            try:
                with open(out_path, encoding="utf-8") as f:
                    written = json.load(f)
            except (OSError, ValueError):
                written = None
            c.check("-o FILE: JSON written there, nothing on stdout, no progress on stderr "
                    "(not a terminal)", rc == 0 and out == "" and written
                    and "scanning" not in err, "rc=%s %s" % (rc, err[-300:]))


def check_endless_token(c):
    with endpoint("fixtures/accounts/demo.json", page_size=5,
                  faults=["region=us-west-2,action=DescribeSecurityGroups,kind=endless-token"],
                  lifetime=120) as ep:
        t = time.monotonic()
        rc, data, err = sgscan.scan_json(ep, ["--regions", "all"], timeout=60)
        dt = time.monotonic() - t
        cv = sgscan.coverage(data)["us-west-2"] if data else {}
        calls = [x for x in ep.log() if x.get("region") == "us-west-2"
                 and x.get("action") == "DescribeSecurityGroups"]
        c.check("never-ending NextToken: us-west-2 ERROR 'paging does not advance' after %d "
                "calls (%.1f s), its 16 real groups kept, exit 2" % (len(calls), dt),
                rc == 2 and cv.get("state") == "ERROR"
                and "paging does not advance" in cv.get("error_message", "")
                and cv.get("groups") == 16 and len(calls) <= 4 + 10 + 1,
                "rc=%s %s" % (rc, cv))


def main():
    c = Checks("scan through the project's endpoint")
    check_account(c, "fixtures/accounts/demo.json", "demo", 1)
    check_account(c, "fixtures/accounts/demo.json", "demo", 5)
    check_account(c, "fixtures/accounts/clean.json", "clean", 1)
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "large.json")
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "large.py"),
                        "--groups", "700", "--rules-per-group", "6", "--seed", "40",
                        "--regions", "3", "--out", big], check=True)
        check_account(c, big, "large(700x6)", 50)
    check_faults(c)
    check_endless_token(c)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
