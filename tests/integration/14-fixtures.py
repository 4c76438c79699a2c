#!/usr/bin/env python3
"""The fixture accounts are what fixtures/README.md promises: rebuilt
byte-identically by build_accounts.py, every case of sg-semantics.md §5 in
the demo account where demo.cases.json says, every enabled region with its
default VPC and group, ids well-formed and references resolvable, and
large.py reproducible."""
import hashlib
import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks  # noqa: E402
import sgfixture as fx  # noqa: E402

ID = {"sg": r"sg-[0-9a-f]{17}", "vpc": r"vpc-[0-9a-f]{17}", "pl": r"pl-[0-9a-f]{17}",
      "eni": r"eni-[0-9a-f]{17}", "subnet": r"subnet-[0-9a-f]{17}"}


def structure(c, acct, label):
    problems = []
    for r in fx.enabled_regions(acct):
        name = r["RegionName"]
        vpcs = {v["VpcId"] for v in r["Vpcs"]}
        groups = {g["GroupId"]: g for g in r["SecurityGroups"]}
        pls = {p["PrefixListId"] for p in r["ManagedPrefixLists"]}
        if not any(v.get("IsDefault") for v in r["Vpcs"]):
            problems.append("%s: no default VPC" % name)
        for v in r["Vpcs"]:
            if not any(g["GroupName"] == "default" and g["VpcId"] == v["VpcId"]
                       for g in groups.values()):
                problems.append("%s: VPC %s has no default group" % (name, v["VpcId"]))
            if not re.fullmatch(ID["vpc"], v["VpcId"]):
                problems.append("bad vpc id " + v["VpcId"])
        for g in groups.values():
            if not re.fullmatch(ID["sg"], g["GroupId"]):
                problems.append("bad group id " + g["GroupId"])
            if g["VpcId"] not in vpcs:
                problems.append("%s: %s in unknown VPC" % (name, g["GroupName"]))
            if g["OwnerId"] != acct["AccountId"]:
                problems.append("%s: %s owner" % (name, g["GroupName"]))
            for p in g["IpPermissions"] + g["IpPermissionsEgress"]:
                for x in p.get("IpRanges", []):
                    n = ipaddress.ip_network(x["CidrIp"])  # canonical, as AWS returns it
                    if str(n) != x["CidrIp"] or n.version != 4:
                        problems.append("non-canonical %s" % x["CidrIp"])
                for x in p.get("Ipv6Ranges", []):
                    n = ipaddress.ip_network(x["CidrIpv6"])
                    if str(n) != x["CidrIpv6"] or n.version != 6:
                        problems.append("non-canonical %s" % x["CidrIpv6"])
                for x in p.get("PrefixListIds", []):
                    if x["PrefixListId"] not in pls:
                        problems.append("%s: unknown prefix list" % g["GroupName"])
                for x in p.get("UserIdGroupPairs", []):
                    if x.get("UserId") == acct["AccountId"] and x["GroupId"] not in groups:
                        problems.append("%s: dangling same-account ref %s"
                                        % (g["GroupName"], x["GroupId"]))
                if p["IpProtocol"] in ("tcp", "udp") and not (
                        0 <= p["FromPort"] <= p["ToPort"] <= 65535):
                    problems.append("%s: bad port range" % g["GroupName"])
        for e in r["NetworkInterfaces"]:
            if not re.fullmatch(ID["eni"], e["NetworkInterfaceId"]) or \
                    any(x not in groups for x in e["Groups"]):
                problems.append("%s: bad ENI %s" % (name, e["NetworkInterfaceId"]))
    for r in acct["Regions"]:
        if r["OptInStatus"] == "not-opted-in" and r.get("SecurityGroups"):
            problems.append("%s: not opted in but holds groups" % r["RegionName"])
    c.check("%s: default VPC + default group per enabled region, ids well-formed, CIDRs "
            "canonical, references resolve" % label, not problems, "; ".join(problems[:5]))


def main():
    c = Checks("fixtures")
    p = subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "build_accounts.py"),
                        "--check"], capture_output=True, text=True)
    c.check("build_accounts.py --check: committed JSON is exactly what the builder makes",
            p.returncode == 0, p.stdout + p.stderr)
    demo = fx.load("fixtures/accounts/demo.json")
    clean = fx.load("fixtures/accounts/clean.json")
    cases = fx.load("fixtures/accounts/demo.cases.json")["Cases"]
    structure(c, demo, "demo")
    structure(c, clean, "clean")
    c.check("demo.cases.json maps all seventeen cases", sorted(map(int, cases)) ==
            list(range(1, 18)))
    by_region = {r["RegionName"]: r for r in demo["Regions"]}
    for n in range(1, 18):
        k = cases[str(n)]
        r = by_region.get(k["Region"], {})
        g = next((g for g in r.get("SecurityGroups", []) if g["GroupId"] == k["GroupId"]), None)
        attached = any(k["GroupId"] in e["Groups"] for e in r.get("NetworkInterfaces", []))
        c.check("case %d: group %s (%s) in %s holds exactly the mapped ingress rule%s"
                % (n, k["GroupName"], k["GroupId"], k["Region"],
                   ", no ENI" if n == 17 else ", attached"),
                g is not None and g["GroupName"] == k["GroupName"]
                and g["IpPermissions"] == [k["Rule"]]
                and g["GroupName"].startswith("case%02d-" % n)
                and attached == (n != 17))
    regions = [(r["RegionName"], r["OptInStatus"]) for r in demo["Regions"]]
    c.check("demo: >= 5 enabled regions, one opted-in, >= 1 not-opted-in",
            sum(1 for _, s in regions if s != "not-opted-in") >= 5
            and any(s == "opted-in" for _, s in regions)
            and any(s == "not-opted-in" for _, s in regions), str(regions))
    text = json.dumps(demo, ensure_ascii=False)
    c.check("demo: XML-special and multi-byte characters present (& < > \" ' ü 東 🚀)",
            all(ch in text for ch in ("&", "<", ">", '\\"', "'", "ü", "東", "🚀")))
    pls = [p for r in demo["Regions"] for p in r.get("ManagedPrefixLists", [])]
    c.check("demo: a customer-managed prefix list holds 0.0.0.0/0",
            any(e["Cidr"] == "0.0.0.0/0" for p in pls for e in p["Entries"]))
    pairs = [x for r in demo["Regions"] for g in r.get("SecurityGroups", [])
             for p in g["IpPermissions"] for x in p.get("UserIdGroupPairs", [])]
    c.check("demo: a peered-VPC reference, a cross-account reference and a stale reference",
            any(x.get("VpcPeeringConnectionId") and x.get("UserId") == demo["AccountId"]
                for x in pairs)
            and any(x.get("UserId") not in (None, demo["AccountId"]) for x in pairs)
            and any("UserId" not in x for x in pairs))
    c.check("demo: PCI scope tag environment=pci on some groups",
            any({"Key": "environment", "Value": "pci"} in g.get("Tags", [])
                for r in demo["Regions"] for g in r.get("SecurityGroups", [])))
    ev = by_region["us-east-1"]["CloudTrailEvents"]
    c.check("demo: us-east-1 CloudTrail events need two LookupEvents pages, records parse",
            len(ev) > 50 and all(json.loads(e["CloudTrailEvent"])["eventID"] == e["EventId"]
                                 for e in ev))
    clean_open = [g["GroupName"] for r in fx.enabled_regions(clean) for g in r["SecurityGroups"]
                  for p in g["IpPermissions"]
                  if any(x["CidrIp"] == "0.0.0.0/0" for x in p.get("IpRanges", []))
                  and not (p["IpProtocol"] == "tcp" and p["FromPort"] == p["ToPort"]
                           and p["FromPort"] in (80, 443))]
    c.check("clean: nothing open to the internet but tcp 80/443", not clean_open, str(clean_open))

    large = os.path.join(ROOT, "fixtures", "large.py")
    with tempfile.TemporaryDirectory() as tmp:
        def run(*args):
            subprocess.run([sys.executable, large] + list(args), check=True,
                           capture_output=True)

        def digest(path):
            with open(path, "rb") as f:
                return hashlib.sha256(f.read()).hexdigest()
        a, b, d = (os.path.join(tmp, x) for x in ("a.json", "b.json", "d.json"))
        run("--groups", "300", "--rules-per-group", "6", "--seed", "42", "--regions", "3",
            "--out", a)
        run("--groups", "300", "--rules-per-group", "6", "--seed", "42", "--regions", "3",
            "--out", b)
        run("--groups", "300", "--rules-per-group", "6", "--seed", "43", "--regions", "3",
            "--out", d)
        c.check("large.py: same seed -> same bytes, other seed -> other bytes",
                digest(a) == digest(b) and digest(a) != digest(d))
        acct = fx.load(a)
        n = sum(len(r["SecurityGroups"]) for r in acct["Regions"])
        rules = sum(len(g["IpPermissions"]) for r in acct["Regions"]
                    for g in r["SecurityGroups"] if g["GroupName"] != "default")
        c.check("large.py: 300 groups x 6 rules over 3 regions (+ default groups)",
                n == 300 + 2 * 3 and rules == 1800 and len(acct["Regions"]) == 3,
                "%d groups %d rules" % (n, rules))
        structure(c, acct, "large")
        x1, x2 = os.path.join(tmp, "x1"), os.path.join(tmp, "x2")
        run("--groups", "2500", "--rules-per-group", "3", "--seed", "9", "--xml-pages", x1,
            "--page-size", "1000")
        run("--groups", "2500", "--rules-per-group", "3", "--seed", "9", "--xml-pages", x2,
            "--page-size", "1000")
        pages = sorted(os.listdir(x1))
        same = all(digest(os.path.join(x1, p)) == digest(os.path.join(x2, p)) for p in pages)
        import botocore.session
        import botocore.parsers
        model = botocore.session.get_session().get_service_model("ec2").operation_model(
            "DescribeSecurityGroups")
        parser = botocore.parsers.create_parser("ec2")
        counts, tokens = [], []
        for p in pages:
            with open(os.path.join(x1, p), "rb") as f:
                r = parser.parse({"body": f.read(), "headers": {}, "status_code": 200},
                                 model.output_shape)
            counts.append(len(r["SecurityGroups"]))
            tokens.append(bool(r.get("NextToken")))
        c.check("large.py --xml-pages: 3 pages (1000, 1000, 500) that botocore parses, "
                "nextToken on all but the last, reproducible",
                pages == ["page-00001.xml", "page-00002.xml", "page-00003.xml"] and same
                and counts == [1000, 1000, 500] and tokens == [True, True, False],
                "%s %s %s" % (pages, counts, tokens))
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
