#!/usr/bin/env python3
"""Differential test of the DescribeSecurityGroups parser against botocore.

For every page -- the shared reference samples, the well-formed pages of
fixtures/xml, every page of every fixture account as the project's endpoint
serves it at a small page size (raw bytes taken off the wire with a signed
request), and pages of a generated account -- the records sg-audit reads
(`sg-audit scan --xml-file PAGE --format inventory`) equal what botocore's own
EC2 parser (botocore.parsers.create_parser('ec2') with the operation's
output shape, aws-protocol.md section 0) reads from the same bytes: group
fields, every rule (one per source) with protocol, ports as on the wire,
source and description, pairs with user, VPC and peering, tags in order.
"""
import glob
import ipaddress
import json
import os
import subprocess
import sys
import tempfile
import urllib.parse

import botocore.parsers
import botocore.session

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHARED = os.environ.get("SG_SHARED") or os.path.join(os.path.dirname(ROOT), "shared")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402
import sgfixture as fx  # noqa: E402
import sgscan  # noqa: E402

_model = botocore.session.get_session().get_service_model("ec2")
SHAPE = _model.operation_model("DescribeSecurityGroups").output_shape
PARSER = botocore.parsers.create_parser("ec2")


def botocore_groups(body):
    r = PARSER.parse({"body": body, "headers": {}, "status_code": 200}, SHAPE)
    return r.get("SecurityGroups", []), r.get("NextToken")


def canonical(w):
    """botocore's group with CIDRs canonicalized the way the record model promises
    (ipaddress: host bits cleared, compressed lower-case IPv6, white space gone);
    returns (group, number of CIDRs that changed)."""
    w = json.loads(json.dumps(w, default=str))
    w.setdefault("GroupName", None)
    changed = 0
    for key in ("IpPermissions", "IpPermissionsEgress"):
        for p in w.get(key, []):
            for kind, field in (("IpRanges", "CidrIp"), ("Ipv6Ranges", "CidrIpv6")):
                for r in p.get(kind, []):
                    c = str(ipaddress.ip_network(r[field].strip(), strict=False))
                    changed += c != r[field]
                    r[field] = c
    return w, changed


def ours(path):
    rc, out, err = sgscan.run(["scan", "--xml-file", path, "--region", "eu-west-1",
                               "--format", "inventory", "--no-progress"])
    if rc != 0:
        return None, err
    return json.loads(out)["groups"], err


def compare_page(c, label, path):
    with open(path, "rb") as f:
        body = f.read()
    want, _ = botocore_groups(body)
    got, err = ours(path)
    if not c.check("%s: sg-audit parses it" % label, got is not None, err[-300:]):
        return 0
    problems = []
    got_by_id = {g["group_id"]: g for g in got}
    if sorted(got_by_id) != sorted(g["GroupId"] for g in want):
        problems.append("group ids differ: %s vs %s" % (sorted(got_by_id),
                                                        sorted(g["GroupId"] for g in want)))
    nrules = 0
    for w in want:
        g = got_by_id.get(w["GroupId"])
        if g is None:
            continue
        b = sgscan.to_boto(g)
        w, changed = canonical(w)
        if changed:
            print("     %s: %s: %d CIDR(s) as sent were not canonical; compared canonicalized"
                  % (label, w["GroupId"], changed))
        cw, cg = fx.canon_group(w), fx.canon_group(b)
        if cw != cg:
            problems.append("%s: %s" % (w["GroupId"], {k: (cg[k], cw[k]) for k in cw
                                                       if cg[k] != cw[k]}))
        # tags in wire order, ARN, permission counts
        if [(t["Key"], t["Value"]) for t in w.get("Tags", [])] != \
                [(t["key"], t["value"]) for t in g["tags"]]:
            problems.append("%s: tag order" % w["GroupId"])
        if w.get("SecurityGroupArn") != g.get("arn"):
            problems.append("%s: arn %s vs %s" % (w["GroupId"], g.get("arn"),
                                                  w.get("SecurityGroupArn")))
        if len(w.get("IpPermissions", [])) != g["ingress_permissions"] or \
                len(w.get("IpPermissionsEgress", [])) != g["egress_permissions"]:
            problems.append("%s: permission counts" % w["GroupId"])
        nrules += len(cw["Ingress"]) + len(cw["Egress"])
    bad = sgscan.normalization_problems(got)
    if bad:
        problems.append("normalization: %s" % bad[:2])
    c.check("%s: %d groups, %d rules equal botocore's reading of the same bytes"
            % (label, len(want), nrules), not problems, "; ".join(problems)[:1500])
    return nrules


def fetch_pages(ep, region, tmp, prefix):
    """Raw DescribeSecurityGroups pages of one region, as bytes off the wire."""
    paths, token, n = [], None, 0
    while True:
        body = "Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=5"
        if token:
            body += "&NextToken=" + urllib.parse.quote_plus(token)
        status, data, _ = ep.call("ec2", region, body)
        if status != 200:
            raise RuntimeError("%s page %d: HTTP %d %s" % (region, n + 1, status, data[:200]))
        n += 1
        path = os.path.join(tmp, "%s-%s-p%d.xml" % (prefix, region, n))
        with open(path, "wb") as f:
            f.write(data)
        paths.append(path)
        _, token = botocore_groups(data)
        if not token or n > 1000:
            return paths


def main():
    c = Checks("parser vs botocore")
    total = 0
    for path in sorted(glob.glob(os.path.join(SHARED, "reference", "samples",
                                              "describe-security-groups*.xml"))):
        total += compare_page(c, "sample " + os.path.basename(path), path)
    for name in ("unknown-and-reordered.xml", "empty-next-token.xml"):
        total += compare_page(c, "fixtures/xml/" + name, os.path.join(ROOT, "fixtures", "xml",
                                                                       name))
    with tempfile.TemporaryDirectory() as tmp:
        for acct_path in sorted(glob.glob(os.path.join(ROOT, "fixtures", "accounts", "*.json"))):
            if acct_path.endswith(".cases.json"):
                continue
            acct = fx.load(acct_path)
            label = os.path.basename(acct_path)[:-5]
            with endpoint(acct_path, page_size=3, lifetime=120) as ep:
                for r in fx.enabled_regions(acct):
                    pages = fetch_pages(ep, r["RegionName"], tmp, label)
                    for i, p in enumerate(pages):
                        total += compare_page(c, "%s/%s page %d/%d" % (
                            label, r["RegionName"], i + 1, len(pages)), p)
        gen = os.path.join(tmp, "gen")
        os.mkdir(gen)
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "large.py"),
                        "--groups", "1500", "--rules-per-group", "5", "--seed", "42",
                        "--xml-pages", gen, "--page-size", "1000"], check=True,
                       stdout=subprocess.DEVNULL)
        for p in sorted(glob.glob(os.path.join(gen, "*.xml"))):
            total += compare_page(c, "large.py page " + os.path.basename(p), p)
    print("     %d rules compared in all" % total)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
