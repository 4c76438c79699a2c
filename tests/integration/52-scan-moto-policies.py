#!/usr/bin/env python3
"""Findings and PCI verdicts of a real scan against moto (nothing in it
written by us): each fixture account is seeded into moto and scanned with
`sg-audit scan --regions <its enabled regions> --format json`; the findings
must be exactly those the policy engine gives on the fixture itself
(`sg-audit policies eval --account`), ids translated through the seeder's
id map, and the PCI verdict the same.

What moto cannot hold is taken out of the expectation the same way the scan's
own moto test does (tests/integration/41-*): references to another account's
or a deleted group are not seedable. Regions are named explicitly because moto
lists every region as enabled (the fixture's not-opted-in regions would come
back SCANNED with moto's default groups)."""
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, moto  # noqa: E402
import sgfixture as fx  # noqa: E402

SG_AUDIT = os.environ.get("SG_AUDIT") or os.path.join(ROOT, "sg-audit")
ID_RE = re.compile(r"\b(?:sg|pl|pcx|vpc)-[0-9a-f]+\b")
# The scan resolves a prefix list's entries but not its name (the fixture has it).
PL_NAME_RE = re.compile(r"(prefix list pl-[0-9a-f]+) \([^)]*\) containing")


def canon_rule(rule):
    return PL_NAME_RE.sub(r"\1 containing", rule)
ENV_BASE = dict(os.environ, SG_POLICY_DIR=os.path.join(ROOT, "policies"))


def strip_unseedable(acct, unseedable, regions_ok):
    """The fixture as moto can hold it."""
    acct = json.loads(json.dumps(acct))
    refs = {(u["GroupId"], u["Direction"], u["ReferencedGroupId"]) for u in unseedable}
    regions = []
    for r in fx.enabled_regions(acct):
        if r["RegionName"] not in regions_ok:
            continue
        for g in r.get("SecurityGroups", []):
            for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
                perms = []
                for p in g.get(key, []):
                    p["UserIdGroupPairs"] = [x for x in p.get("UserIdGroupPairs", [])
                                             if (g["GroupId"], direction, x.get("GroupId")) not in refs]
                    if p.get("IpRanges") or p.get("Ipv6Ranges") or p.get("PrefixListIds") \
                            or p["UserIdGroupPairs"]:
                        perms.append(p)
                g[key] = perms
        regions.append(r)
    acct["Regions"] = regions
    return acct


def expected(path, ids, scope):
    """Findings of the engine on the fixture file, in moto's id space."""
    args = [SG_AUDIT, "policies", "eval", "--account", path] + scope
    p = subprocess.run(args, capture_output=True, text=True, env=ENV_BASE, timeout=120)
    out = set()
    verdict = None
    for line in p.stdout.splitlines():
        if line.startswith("PCI "):
            verdict = line.split(": ", 1)[1].split(" ", 1)[0]
            continue
        if line.startswith("WAIVER "):
            continue
        head = line.split(" | ", 1)[0]
        m = re.match(r"(\S+) (\S+) (\S+) (\S+) (\S+) (\S+) (\d+) \[(.*)\]", head)
        if not m:
            continue
        _acct, region, gid, pol, state, sev, risk, rule = m.groups()
        rule = ID_RE.sub(lambda x: ids.get(x.group(0), x.group(0)), rule)
        out.add((region, ids.get(gid, gid), pol, state, sev, int(risk), canon_rule(rule)))
    return out, verdict, p.returncode


def actual(server, regions, scope):
    args = [SG_AUDIT, "scan", "--endpoint-url", server.url, "--regions", ",".join(regions),
            "--format", "json", "--no-progress"] + scope
    env = dict(server.env(regions[0]), SG_POLICY_DIR=ENV_BASE["SG_POLICY_DIR"])
    p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300,
                       stdin=subprocess.DEVNULL)
    try:
        data = json.loads(p.stdout)
    except ValueError:
        return None, None, p.returncode, p.stderr
    if not isinstance(data, dict) or "findings" not in data:
        return None, None, p.returncode, "no 'findings' in the scan's JSON (policy engine not wired?)"
    out = set()
    for f in data.get("findings") or []:
        if f.get("diff") == "resolved":
            continue
        out.add((f["region"], f["group_id"], f["policy_id"], f["status"], f["severity"],
                 int(f["risk"]), canon_rule(f["rule"])))
    verdict = (data.get("summary") or {}).get("pci_dss_1_2_1")
    return out, verdict, p.returncode, p.stderr


def check_account(c, name, scopes):
    acct = fx.load(os.path.join("fixtures", "accounts", name + ".json"))
    with moto(os.path.join("fixtures", "accounts", name + ".json"), lifetime=400) as m:
        ids = m.idmap["Ids"]
        # moto's own idea of which regions are enabled (it keeps AWS's opt-in list).
        enabled = {r["RegionName"] for r in
                   m.client("ec2").describe_regions(AllRegions=True)["Regions"]
                   if r.get("OptInStatus") != "not-opted-in"}
        regions = [r["RegionName"] for r in fx.enabled_regions(acct)
                   if r["RegionName"] in enabled]
        for r in fx.enabled_regions(acct):
            if r["RegionName"] not in enabled:
                print("     %s/%s: enabled in the fixture, not opted in for moto: left out"
                      % (name, r["RegionName"]))
        stripped = strip_unseedable(acct, m.idmap["Unseedable"], set(regions))
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, name + ".json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump(stripped, f)
            for label, scope in scopes:
                exp, exp_verdict, _ = expected(path, ids, scope)
                got, got_verdict, rc, err = actual(m, regions, scope)
                if not c.check("%s%s: scan produced a JSON report with findings" % (name, label),
                               got is not None, "exit %s: %s" % (rc, err.strip()[:300])):
                    continue
                missing = sorted(exp - got)
                extra = sorted(got - exp)
                detail = "".join("\n     missing %r" % (x,) for x in missing[:10]) + \
                    "".join("\n     extra   %r" % (x,) for x in extra[:10])
                c.check("%s%s: exactly the expected %d findings (%d failing)" %
                        (name, label, len(exp), sum(1 for x in exp if x[3] == "FAIL")),
                        not missing and not extra, detail)
                c.check("%s%s: PCI 1.2.1 %s" % (name, label, exp_verdict),
                        got_verdict == exp_verdict, "scan says %s" % got_verdict)
                want_rc = {"COMPLIANT": 0, "NOT_COMPLIANT": 1, "INCOMPLETE": 2}.get(exp_verdict)
                c.check("%s%s: exit code %s" % (name, label, want_rc), rc == want_rc,
                        "got %s" % rc)


def check_waiver(c):
    """A live waiver through the real scan: the finding is WAIVED and still shown."""
    with moto(os.path.join("fixtures", "accounts", "demo.json"), lifetime=300) as m:
        gid = m.idmap["Ids"]["sg-0ca5e150000000000"]
        with tempfile.TemporaryDirectory() as tmp:
            wpath = os.path.join(tmp, "waivers.json")
            with open(wpath, "w", encoding="utf-8") as f:
                json.dump({"Waivers": [
                    {"PolicyID": "AWS.SecurityGroup.InternetExposure", "GroupId": gid,
                     "Rule": {"Protocol": "tcp", "FromPort": 1433, "ToPort": 1433,
                              "Source": "0.0.0.0/0"},
                     "Reason": "legacy reporting DB", "Owner": "dba@example.com",
                     "Ticket": "SEC-15", "Expires": "2999-12-31"},
                    {"PolicyID": "AWS.SecurityGroup.InternetExposure", "GroupId": gid,
                     "Rule": {"Protocol": "tcp", "FromPort": 22},
                     "Reason": "no such rule", "Owner": "ops@example.com",
                     "Ticket": "SEC-99", "Expires": "2999-12-31"},
                    {"PolicyID": "AWS.SecurityGroup.InternetExposure", "GroupId": gid,
                     "Reason": "long gone", "Owner": "ops@example.com",
                     "Ticket": "SEC-1", "Expires": "2001-01-31"}]}, f)
            args = [SG_AUDIT, "scan", "--endpoint-url", m.url, "--regions", "eu-west-1",
                    "--format", "json", "--no-progress", "--waivers", wpath]
            env = dict(m.env("eu-west-1"), SG_POLICY_DIR=ENV_BASE["SG_POLICY_DIR"])
            p = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300,
                               stdin=subprocess.DEVNULL)
            try:
                data = json.loads(p.stdout)
            except ValueError:
                data = {}
            hits = [f for f in data.get("findings") or [] if f["group_id"] == gid
                    and f["policy_id"] == "AWS.SecurityGroup.InternetExposure"]
            c.check("waiver through the scan: case 15 is WAIVED, kept and shown with its ticket",
                    len(hits) == 1 and hits[0]["status"] == "WAIVED"
                    and "SEC-15" in (hits[0].get("waiver") or ""),
                    "exit %s, %r, %s" % (p.returncode, hits, p.stderr.strip()[:200]))
            c.check("waiver through the scan: a stale and an expired waiver are reported",
                    "STALE: waiver 2 (ticket SEC-99) matches no failing finding" in p.stderr
                    and "EXPIRED: waiver 3 (ticket SEC-1) expired on 2001-01-31" in p.stderr,
                    p.stderr.strip()[:300])


def main():
    c = Checks("scan-moto-policies")
    check_account(c, "demo", [("", []), (" --scope-tag environment=pci",
                                          ["--scope-tag", "environment=pci"])])
    check_account(c, "clean", [("", [])])
    check_waiver(c)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
