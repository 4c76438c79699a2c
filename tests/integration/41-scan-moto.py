#!/usr/bin/env python3
"""The scan against moto (nothing in it written by us), IAM authentication on,
as the fixture's read-only audit user: each fixture account seeded into
moto and scanned with `sg-audit --regions all` equals the fixture, after
translating moto's ids through the seeder's id map.

What moto cannot hold or say, compared around and printed (docs/endpoints.md):
rules referencing another account's or a deleted group (left out by the
seeder), prefix-list rule descriptions (dropped), portless protocols read
back as -1/-1 (the same rule, DESIGN.md), and opt-in status (moto lists
every region as enabled, so the fixture's not-opted-in regions show up
SCANNED with only moto's default groups)."""
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, moto  # noqa: E402
import sgfixture as fx  # noqa: E402
import sgscan  # noqa: E402


def check_account(c, path, label):
    acct = fx.load(path)
    with moto(path, lifetime=300) as m:
        ids = m.idmap["Ids"]
        uns = m.idmap["Unseedable"]
        for u in uns:
            print("     %s/%s: not loadable into moto by design: %s %s from %s: %s"
                  % (label, u["Region"], u["GroupName"], u["Direction"],
                     u["ReferencedGroupId"], u["Reason"]))

        def xlate(kind, v):
            return None if v is None else ids.get(v, v)

        t = time.monotonic()
        rc, data, err = sgscan.scan_json(m, ["--regions", "all"], timeout=300)
        dt = time.monotonic() - t
        if not c.check("%s: sg-audit --regions all against moto (IAM auth on) exits 0 in %.1f s"
                       % (label, dt), rc == 0 and data is not None,
                       "rc=%s %s" % (rc, err[-500:])):
            return
        c.check("%s: caller is the fixture's audit user in account %s"
                % (label, acct["AccountId"]),
                data.get("account_id") == acct["AccountId"]
                and data.get("caller_arn") == acct["CallerArn"], str(data.get("caller_arn")))
        cov = sgscan.coverage(data)
        c.check("%s: every region moto lists in the aws partition was scanned or is "
                "NOT_OPTED_IN by moto's DescribeRegions (%d regions)" % (label, len(cov)),
                len(cov) > 0 and all(x["state"] in ("SCANNED", "NOT_OPTED_IN")
                                     for x in cov.values())
                and not any(k.startswith(("cn-", "us-gov-")) for k in cov),
                str([x for x in cov.values() if x["state"] not in ("SCANNED", "NOT_OPTED_IN")]
                    [:2]))
        by_region = {}
        for g in data["groups"]:
            by_region.setdefault(g["region"], []).append(g)
        for r in fx.enabled_regions(acct):
            name = r["RegionName"]
            if cov.get(name, {}).get("state") == "NOT_OPTED_IN":
                print("     %s/%s: moto's DescribeRegions says not-opted-in (the fixture opted "
                      "in): no call made, as for AWS; compared on the project's endpoint only"
                      % (label, name))
                c.check("%s/%s: NOT_OPTED_IN per moto, nothing read" % (label, name),
                        not by_region.get(name))
                continue
            vpcs = {ids[v["VpcId"]] for v in r.get("Vpcs", [])}
            got = {}
            for g in by_region.get(name, []):
                if g.get("vpc_id") in vpcs:
                    got[(g["vpc_id"], g["group_name"])] = fx.canon_group(
                        sgscan.to_boto(g), semantic=True, pl_desc_blind=True)
            want = {}
            for g in r["SecurityGroups"]:
                want[(ids[g["VpcId"]], g["GroupName"])] = fx.canon_group(
                    fx.strip_unseedable(g, uns), xlate, semantic=True, pl_desc_blind=True)
            diff = [k for k in want if got.get(k) != want[k]]
            detail = ""
            if set(got) != set(want):
                detail = "missing %s extra %s" % (sorted(set(want) - set(got)),
                                                   sorted(set(got) - set(want)))
            elif diff:
                k = diff[0]
                detail = "%s: %s" % (k[1], {f: (got[k][f], want[k][f]) for f in want[k]
                                            if got[k][f] != want[k][f]})
            c.check("%s/%s: %d groups equal the fixture (rules, tags, descriptions, pairs)"
                    % (label, name, len(want)), set(got) == set(want) and not diff, detail)
            want_n = {}
            for e in r.get("NetworkInterfaces", []):
                for gid in e["Groups"]:
                    want_n[ids[gid]] = want_n.get(ids[gid], 0) + 1
            bad_n = [(g["group_name"], g.get("network_interfaces"), want_n.get(g["group_id"], 0))
                     for g in by_region.get(name, []) if g.get("vpc_id") in vpcs
                     and g.get("network_interfaces") != want_n.get(g["group_id"], 0)]
            c.check("%s/%s: network interfaces per group equal the fixture's (via the id map)"
                    % (label, name), not bad_n, str(bad_n[:3]))
            for pl in r.get("ManagedPrefixLists", []):
                mid = ids.get(pl["PrefixListId"])
                named = any(rule["source"] == "prefix_list" and rule["prefix_list_id"] == mid
                            for g in by_region.get(name, []) for rule in g["rules"])
                if not named:
                    continue
                got_p = next((p for p in data["prefix_lists"]
                              if p["region"] == name and p["id"] == mid), {})
                c.check("%s/%s: prefix list %s resolved from moto with the fixture's entries"
                        % (label, name, pl["PrefixListName"]),
                        got_p.get("resolved") is True and sorted(got_p.get("entries", []))
                        == sorted(e["Cidr"] for e in pl["Entries"]), str(got_p))
        others = [g for reg, gs in by_region.items() for g in gs
                  if reg not in {r["RegionName"] for r in fx.enabled_regions(acct)}
                  and g.get("group_name") != "default"]
        c.check("%s: regions outside the fixture hold only moto's default groups" % label,
                not others, str([(g["region"], g["group_name"]) for g in others[:3]]))
        bad = sgscan.normalization_problems(data["groups"])
        c.check("%s: every rule read from moto normalizes as an independent implementation "
                "says (%d rules)" % (label, sum(len(g["rules"]) for g in data["groups"])),
                not bad, str(bad[:3]))


def main():
    c = Checks("scan against moto")
    check_account(c, "fixtures/accounts/demo.json", "demo")
    check_account(c, "fixtures/accounts/clean.json", "clean")
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "large.json")
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "large.py"),
                        "--groups", "30", "--rules-per-group", "4", "--seed", "41",
                        "--regions", "2", "--out", big], check=True)
        check_account(c, big, "large(30x4)")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
