#!/usr/bin/env python3
"""Attachment state (sg-semantics.md section 5, case 17) through the project's endpoint.

The scan asks DescribeNetworkInterfaces (MaxResults=1000, NextToken paging)
beside the security-group pages of each region and counts, per group, the
interfaces naming it.

1. The demo account, `--regions all`, pages of 3 (so the interface calls
   page too): case 17's group (no interface) is reported, its findings say
   "not attached"; another case group's say "attached (1 ENI)"; every
   scanned region's coverage says `attachments: counted`; every interface
   call carried MaxResults=1000, later ones the NextToken.
2. DescribeNetworkInterfaces denied (UnauthorizedOperation) in eu-west-1:
   the verdict, exit code and findings are what they were, the region is
   still SCANNED, its findings say "unknown", its coverage says
   `denied: UnauthorizedOperation`, one warning on stderr, the table has an
   "Attachment unknown" paragraph, JUnit's coverage case for the region says
   why in <system-out>, HTML's coverage table in its Attachments column.
   Cut short after page 1 as well: the table and JUnit (after the <error>)
   still say why the attachment is unknown.
   Denied on page 2 only: still unknown (a
   partial count is never used).
3. A malformed interface page, and a never-ending NextToken on the
   interface chain: attachment unknown with the reason, a bounded number of
   calls, coverage untouched. --no-network-interfaces: no call, "not
   requested".
4. Through moto (real DescribeNetworkInterfaces semantics), if it starts:
   case 17's group is not attached, the others are.
"""
import json
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint, moto  # noqa: E402
import sgscan  # noqa: E402

DEMO = os.path.join(ROOT, "fixtures", "accounts", "demo.json")
CASE17 = "case17-no-eni"
ATTACHED = "case10-split-ipv4-ssh"


def report(ep, args, fmt="json"):
    """`sg-audit scan` with the full report; (rc, parsed JSON or text, stderr)."""
    rc, out, err = sgscan.run(["scan", "--endpoint-url", ep.url, "--format", fmt,
                               "--no-progress"] + list(args), env=ep.env("us-east-1"))
    if fmt != "json":
        return rc, out, err
    try:
        return rc, json.loads(out), err
    except ValueError:
        return rc, None, err


def attachments_of(data, name):
    return sorted({f.get("attachment") for f in data["findings"] if f.get("group_name") == name})


def region_cov(data, region):
    return {r["region"]: r for r in data["coverage"]["regions"]}.get(region, {})


def verdict(data):
    return (data or {}).get("summary", {}).get("pci_dss_1_2_1")


def finding_keys(data, region=None):
    return sorted(f["key"] for f in data["findings"] if region is None or f["region"] == region)


def main():
    c = Checks("44-scan-attachments")
    with endpoint(DEMO, page_size=3, lifetime=240) as ep:
        # 1. counted
        ep.clear_log()
        rc, base, err = report(ep, ["--regions", "all"])
        if not c.check("demo --regions all (pages of 3): a JSON report, exit 1 (findings)",
                       rc == 1 and base is not None, "rc=%s %s" % (rc, err[-300:])):
            return c.finish()
        log = [x for x in ep.log() if x.get("action") == "DescribeNetworkInterfaces"]
        c.check("case 17 (%s) still reported, every finding 'not attached'" % CASE17,
                attachments_of(base, CASE17) == ["not attached"], str(attachments_of(base, CASE17)))
        c.check("another case group (%s): 'attached (1 ENI)'" % ATTACHED,
                attachments_of(base, ATTACHED) == ["attached (1 ENI)"],
                str(attachments_of(base, ATTACHED)))
        scanned = [r for r in base["coverage"]["regions"] if r["state"] == "SCANNED"]
        c.check("coverage: every scanned region (%d) says attachments 'counted', the others "
                "have none" % len(scanned),
                scanned and all(r.get("attachments") == "counted" for r in scanned)
                and all("attachments" not in r for r in base["coverage"]["regions"]
                        if r["state"] != "SCANNED"), json.dumps(base["coverage"]["regions"])[:400])
        inv_cov = {r["region"]: r for r in base["inventory"]["coverage"]}
        c.check("the inventory's coverage says the same",
                all(inv_cov[r["region"]].get("attachments") == "counted" for r in scanned))
        by_region = {}
        for x in log:
            by_region.setdefault(x["region"], []).append(x)
        paged = [r for r, xs in by_region.items() if len(xs) > 1]
        c.check("DescribeNetworkInterfaces paged (%s) with MaxResults=1000 on every call and "
                "the NextToken on every later one" % ", ".join(sorted(paged)),
                paged and all(x.get("max_results") == "1000" for x in log)
                and all(sum(1 for x in xs if not x.get("next_token")) == 1
                        for xs in by_region.values()), str(log[:3]))
        c.check("one interface chain per scanned region, none where not opted in",
                sorted(by_region) == sorted(r["region"] for r in scanned), str(sorted(by_region)))
        names = [x for x in ep.log() if x.get("action") == "DescribeManagedPrefixLists"]
        rules16 = {f["rule"] for f in base["findings"] if f.get("group_name")
                   == "case16-prefix-list-ssh" and f["status"] == "FAIL"}
        c.check("case 16: the finding names the prefix list (id and name, from %d "
                "DescribeManagedPrefixLists calls without MaxResults)" % len(names),
                names and all("max_results" not in x for x in names)
                and any("(open-world)" in r for r in rules16), str(sorted(rules16)))
        rc_t, table, _ = report(ep, ["--regions", "eu-west-1"], fmt="table")
        c.check("table: case 17's findings show 'Attachment not attached', no 'Attachment "
                "unknown' paragraph", "Attachment not attached" in table
                and "Attachment unknown" not in table, table[-300:])

        # 2. denied
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=unauthorized")
        rc2, d2, err2 = report(ep, ["--regions", "all"])
        ok = d2 is not None
        c.check("DescribeNetworkInterfaces denied in eu-west-1: same exit code (%s) and PCI "
                "verdict (%s), same findings" % (rc, verdict(base)),
                ok and rc2 == rc and verdict(d2) == verdict(base)
                and finding_keys(d2) == finding_keys(base), "rc=%s %s" % (rc2, verdict(d2)))
        cv = region_cov(d2, "eu-west-1") if ok else {}
        c.check("eu-west-1 still SCANNED with all its groups, attachments "
                "'denied: UnauthorizedOperation'",
                cv.get("state") == "SCANNED" and cv.get("groups") == 16
                and cv.get("attachments") == "denied: UnauthorizedOperation", str(cv))
        c.check("eu-west-1's findings (case 17's too) say 'unknown'; other regions still "
                "counted", ok and attachments_of(d2, CASE17) == ["unknown"]
                and {f["attachment"] for f in d2["findings"] if f["region"] == "eu-west-1"}
                == {"unknown"} and region_cov(d2, "us-east-1").get("attachments") == "counted",
                str(attachments_of(d2, CASE17)) if ok else "")
        warns = [ln for ln in err2.splitlines() if "attached to a network interface is unknown"
                 in ln]
        c.check("one warning on stderr, naming eu-west-1 and the code",
                len(warns) == 1 and "eu-west-1" in warns[0]
                and "UnauthorizedOperation" in warns[0], err2[-400:])
        rc_t, table, _ = report(ep, ["--regions", "eu-west-1"], fmt="table")
        c.check("table: 'Attachment unknown' paragraph naming eu-west-1 and the denial; "
                "findings say 'Attachment unknown'",
                "Attachment unknown\n" in table
                and "DescribeNetworkInterfaces denied: UnauthorizedOperation" in table
                and table.count("Attachment unknown\n") >= 2,
                table[-500:])
        rc_j, junit, _ = report(ep, ["--regions", "eu-west-1,us-east-1"], fmt="junit")
        cases = {}
        try:
            for tc in ET.fromstring(junit).iter("testcase"):
                if tc.get("classname") == "sg-audit.coverage":
                    cases[tc.get("name")] = tc
        except ET.ParseError:
            pass
        out = cases["eu-west-1"].find("system-out") if "eu-west-1" in cases else None
        c.check("junit: eu-west-1's coverage case passes and says why the attachment is "
                "unknown; us-east-1's says nothing",
                out is not None and "DescribeNetworkInterfaces denied: UnauthorizedOperation"
                in (out.text or "") and cases["eu-west-1"].find("error") is None
                and "us-east-1" in cases and len(cases["us-east-1"]) == 0, junit[:600])
        rc_h, html, _ = report(ep, ["--regions", "eu-west-1"], fmt="html")
        c.check("html: the coverage table has an Attachments column saying the denial",
                "<th>Attachments</th>" in html
                and "<td>denied: UnauthorizedOperation</td>" in html, "")
        # Cut short after page 1 with the interfaces denied too: the groups read so far
        # have findings saying "unknown", so the table and JUnit both say why, JUnit
        # after the region's <error>.
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=unauthorized",
                     "region=eu-west-1,action=DescribeSecurityGroups,kind=unauthorized,after=1")
        rc_t, table, _ = report(ep, ["--regions", "eu-west-1"], fmt="table")
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=unauthorized",
                     "region=eu-west-1,action=DescribeSecurityGroups,kind=unauthorized,after=1")
        rc_j, junit, _ = report(ep, ["--regions", "eu-west-1"], fmt="junit")
        kids = []
        try:
            for tc in ET.fromstring(junit).iter("testcase"):
                if tc.get("classname") == "sg-audit.coverage" and tc.get("name") == "eu-west-1":
                    kids = [(k.tag, k.text or "") for k in tc]
        except ET.ParseError:
            pass
        c.check("region cut short, interfaces denied: the table lists it as not scanned and "
                "under 'Attachment unknown'; JUnit's case has the <error>, then <system-out>",
                rc_t == 2 and "Not scanned\n  eu-west-1" in table
                and "Attachment unknown\n  eu-west-1        DescribeNetworkInterfaces denied: "
                "UnauthorizedOperation" in table
                and [k[0] for k in kids] == ["error", "system-out"]
                and "denied: UnauthorizedOperation" in kids[1][1], "%s %s" % (kids, table[:300]))
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=unauthorized")
        rc_i, inv, _ = sgscan.scan_json(ep, ["--regions", "eu-west-1"])
        c.check("inventory: no network_interfaces on eu-west-1's groups, coverage denied",
                inv is not None and all("network_interfaces" not in g for g in inv["groups"])
                and inv["coverage"][0].get("attachments") == "denied: UnauthorizedOperation"
                and rc_i == 0, "rc=%s" % rc_i)

        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=unauthorized,after=1")
        ep.clear_log()
        rc3, d3, err3 = report(ep, ["--regions", "eu-west-1"])
        calls = [x for x in ep.log() if x.get("action") == "DescribeNetworkInterfaces"]
        c.check("denied on page 2 (%d calls): attachment unknown, not a partial count"
                % len(calls), d3 is not None and len(calls) == 2
                and attachments_of(d3, ATTACHED) == ["unknown"]
                and region_cov(d3, "eu-west-1").get("attachments")
                == "denied: UnauthorizedOperation", str(calls))

        # 3. malformed, endless
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=malformed")
        rc4, d4, err4 = report(ep, ["--regions", "eu-west-1"])
        cv = region_cov(d4, "eu-west-1") if d4 else {}
        c.check("malformed interface page: SCANNED, attachments 'error: EPARSE', exit %s as "
                "without the fault" % rc4, d4 is not None and rc4 == 1
                and cv.get("state") == "SCANNED" and cv.get("attachments") == "error: EPARSE",
                "%s %s" % (cv, err4[-200:]))
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeNetworkInterfaces,kind=endless-token")
        ep.clear_log()
        rc5, d5, err5 = report(ep, ["--regions", "eu-west-1"], fmt="json")
        calls = [x for x in ep.log() if x.get("action") == "DescribeNetworkInterfaces"]
        cv = region_cov(d5, "eu-west-1") if d5 else {}
        c.check("never-ending NextToken on the interfaces: stopped after %d calls, SCANNED, "
                "attachments unknown with the reason on stderr" % len(calls),
                d5 is not None and 1 < len(calls) <= 20 and cv.get("state") == "SCANNED"
                and (cv.get("attachments") or "").startswith("error: ")
                and "paging does not advance" in err5
                and attachments_of(d5, CASE17) == ["unknown"], "%s %s" % (cv, err5[-300:]))
        ep.clear_faults()
        ep.add_fault("region=eu-west-1,action=DescribeManagedPrefixLists,kind=unauthorized")
        rc7, d7, err7 = report(ep, ["--regions", "eu-west-1"])
        rules16 = {f["rule"] for f in (d7 or {}).get("findings", [])
                   if f.get("group_name") == "case16-prefix-list-ssh" and f["status"] == "FAIL"}
        c.check("DescribeManagedPrefixLists denied: same exit (%s), SCANNED, the finding "
                "without the name, a warning" % rc7,
                d7 is not None and rc7 == 1 and region_cov(d7, "eu-west-1").get("state")
                == "SCANNED" and rules16 and not any("(open-world)" in r for r in rules16)
                and "prefix list names unknown" in err7, "%s %s" % (rules16, err7[-200:]))
        ep.clear_faults()
        ep.clear_log()
        rc6, d6, _ = report(ep, ["--regions", "eu-west-1", "--no-network-interfaces"])
        calls = [x for x in ep.log() if x.get("action") == "DescribeNetworkInterfaces"]
        c.check("--no-network-interfaces: no interface call, attachments 'not requested', "
                "findings 'unknown', exit %s" % rc6,
                d6 is not None and not calls and rc6 == 1
                and region_cov(d6, "eu-west-1").get("attachments") == "not requested"
                and attachments_of(d6, CASE17) == ["unknown"], str(calls[:2]))

    # 4. moto
    if os.environ.get("SG_SKIP_MOTO") == "1":
        c.check("moto part skipped (SG_SKIP_MOTO=1)", True)
        return c.finish()
    try:
        with moto(DEMO, lifetime=240) as m:
            rc6, d6, err6 = sgscan.run(["scan", "--endpoint-url", m.url, "--format", "json",
                                        "--no-progress", "--regions", "eu-west-1"],
                                       env=m.env("eu-west-1"))
            d6 = json.loads(d6) if d6.strip().startswith("{") else None
            ok = d6 is not None
            c.check("moto: case 17's group 'not attached', %s 'attached (1 ENI)', coverage "
                    "counted" % ATTACHED,
                    ok and attachments_of(d6, CASE17) == ["not attached"]
                    and attachments_of(d6, ATTACHED) == ["attached (1 ENI)"]
                    and region_cov(d6, "eu-west-1").get("attachments") == "counted",
                    "rc=%s %s %s" % (rc6, err6[-300:],
                                     (attachments_of(d6, CASE17), attachments_of(d6, ATTACHED))
                                     if ok else ""))
    except Exception as e:  # noqa: BLE001 -- moto unavailable is a failure, said plainly
        c.check("moto: started and scanned", False, repr(e)[:300])
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
