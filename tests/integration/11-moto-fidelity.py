#!/usr/bin/env python3
"""Fidelity against moto (nothing in it written by us): each fixture account
seeded into moto_server through the EC2 API, with IAM authentication on,
reads back through the AWS CLI as the same groups and rules, modulo moto's
own ids (mapped through the seeder's id map).

Known moto 5.2.1 gaps, compared around and printed: it drops the Description
of a prefix-list source in a rule.

Rules moto cannot hold (references to another account's groups and to
deleted groups) are listed by the seeder and printed here; everything else
must match exactly.  moto echoes -1/-1 for protocols without ports where
AWS omits them; the comparison treats the two as the same rule (they are,
see DESIGN.md) and says so."""
import os
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, moto  # noqa: E402
import sgfixture as fx  # noqa: E402


def check_account(c, path, label):
    acct = fx.load(path)
    with moto(path, lifetime=240) as m:
        ids = m.idmap["Ids"]
        uns = m.idmap["Unseedable"]
        print("     %s: moto started in %s ms, seeded in %s ms (%s)" % (
            label, m.idmap["MotoStartMs"], m.idmap["SeedMs"], m.idmap["Counts"]))
        for u in uns:
            print("     %s/%s: not loadable into moto by design: %s %s %s %s-%s from %s: %s" % (
                label, u["Region"], u["GroupName"], u["Direction"], u["IpProtocol"],
                u["FromPort"], u["ToPort"], u["ReferencedGroupId"], u["Reason"]))

        print("     %s: moto drops prefix-list rule descriptions; they are compared on the "
              "project's endpoint only (10-endpoint-fidelity)" % label)

        def xlate(kind, v):
            if v is None:
                return None
            return ids.get(v, v)

        rc, d, err = fx.aws(m, "us-east-1", "sts", "get-caller-identity")
        c.check("%s: moto get-caller-identity is the audit user of account %s"
                % (label, acct["AccountId"]),
                rc == 0 and d and d["Account"] == acct["AccountId"]
                and d["Arn"] == acct["CallerArn"], str(d) + err[-300:])

        for r in fx.enabled_regions(acct):
            name = r["RegionName"]
            rc, d, err = fx.aws(m, name, "ec2", "describe-security-groups")
            if not c.check("%s/%s: describe-security-groups as the read-only audit user"
                           % (label, name), rc == 0 and d is not None, err[-300:]):
                continue
            got = {}
            for g in d["SecurityGroups"]:
                got[(g["VpcId"], g["GroupName"])] = fx.canon_group(g, semantic=True,
                                                                    pl_desc_blind=True)
            want = {}
            for g in r["SecurityGroups"]:
                g2 = fx.strip_unseedable(g, uns)
                want[(ids[g["VpcId"]], g["GroupName"])] = fx.canon_group(
                    g2, xlate, semantic=True, pl_desc_blind=True)
            # moto keeps the default VPCs of every region; only the fixture's VPCs count.
            vpcs = {ids[v["VpcId"]] for v in r.get("Vpcs", [])}
            got = {k: v for k, v in got.items() if k[0] in vpcs}
            missing = sorted(set(want) - set(got))
            extra = sorted(set(got) - set(want))
            diff = [k for k in want if k in got and got[k] != want[k]]
            detail = ""
            if missing or extra:
                detail = "missing %s extra %s" % (missing, extra)
            elif diff:
                k = diff[0]
                a, b = got[k], want[k]
                detail = "%s: %s" % (k[1], {f: (a[f], b[f]) for f in a if a[f] != b[f]})
            c.check("%s/%s: %d groups read back from moto with the same rules, tags and "
                    "descriptions" % (label, name, len(want)),
                    not missing and not extra and not diff, detail)

            for pl in r.get("ManagedPrefixLists", []):
                rc, d, err = fx.aws(m, name, "ec2", "get-managed-prefix-list-entries",
                                    "--prefix-list-id", ids[pl["PrefixListId"]])
                got_e = sorted((e["Cidr"], e.get("Description"))
                               for e in (d or {}).get("Entries", []))
                want_e = sorted((e["Cidr"], e.get("Description")) for e in pl["Entries"])
                c.check("%s/%s: prefix list %s entries" % (label, name, pl["PrefixListName"]),
                        rc == 0 and got_e == want_e, "%s %s" % (got_e, err[-300:]))

            enis = r.get("NetworkInterfaces", [])
            if enis:
                rc, d, err = fx.aws(m, name, "ec2", "describe-network-interfaces")
                got_n = sorted(tuple(sorted(x["GroupId"] for x in e["Groups"]))
                               for e in (d or {}).get("NetworkInterfaces", [])
                               if e["NetworkInterfaceId"] in {ids[x["NetworkInterfaceId"]]
                                                              for x in enis})
                want_n = sorted(tuple(sorted(ids[x] for x in e["Groups"])) for e in enis)
                c.check("%s/%s: %d network interfaces with the same groups"
                        % (label, name, len(enis)), rc == 0 and got_n == want_n,
                        err[-300:])

        # The audit user is read-only: a write must be refused by moto's IAM.
        r0 = fx.enabled_regions(acct)[0]["RegionName"]
        rc, d, err = fx.aws(m, r0, "ec2", "create-security-group", "--group-name", "x",
                            "--description", "x")
        c.check("%s: moto refuses a write by the read-only audit user" % label,
                rc != 0 and ("UnauthorizedOperation" in err or "AccessDenied" in err),
                err[-300:])


def check_lifetime(c):
    """The launcher and its moto_server stop by themselves at --lifetime."""
    import socket
    import time
    from sgendpoints import MOTO_PY
    p = subprocess.Popen([sys.executable, MOTO_PY, "--account",
                          os.path.join(ROOT, "fixtures/accounts/clean.json"), "--lifetime", "1"],
                         stdout=subprocess.PIPE, text=True)
    info = {}
    try:
        for line in p.stdout:
            k, _, v = line.strip().partition("=")
            info[k] = v
            if k == "SG_READY":
                break
        t = time.monotonic()
        rc = p.wait(30)
        dt = time.monotonic() - t
    except subprocess.TimeoutExpired:
        p.kill()
        rc, dt = None, 0
    p.stdout.close()
    port = int(info.get("SG_ENDPOINT", "http://127.0.0.1:0").rsplit(":", 1)[1])
    refused = False
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except OSError:
        refused = True
    c.check("moto launcher --lifetime 1: exits by itself (%.1f s after ready) and moto_server "
            "is gone (port %d refuses)" % (dt, port), rc == 0 and port and refused,
            "rc=%s refused=%s" % (rc, refused))


def main():
    c = Checks("moto fidelity")
    check_lifetime(c)
    check_account(c, "fixtures/accounts/demo.json", "demo")
    check_account(c, "fixtures/accounts/clean.json", "clean")
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "large.json")
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "large.py"),
                        "--groups", "30", "--rules-per-group", "4", "--seed", "5",
                        "--regions", "2", "--out", big], check=True)
        check_account(c, big, "large(30x4)")
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
