"""Fixture helpers shared by the fidelity tests: load an account, flatten
security groups to comparable single-source rules, run the AWS CLI."""
import json
import os
import subprocess

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def load(path):
    if not os.path.isabs(path):
        path = os.path.join(ROOT, path)
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def enabled_regions(acct):
    return [r for r in acct["Regions"] if r.get("OptInStatus") != "not-opted-in"]


PORT_PROTOCOLS = {"tcp", "udp", "icmp", "6", "17", "1"}


def flat_rules(perms, xlate=lambda kind, v: v, semantic=False, pl_desc_blind=False):
    """IpPermissions -> sorted list of one-source rules (tuples).  `xlate`
    maps ids (kind 'sg', 'pl', 'vpc', 'account') to another id space.
    semantic=True: a protocol without ports (-1 aside) written as -1/-1 is the
    same rule as one with the ports absent (AWS accepts both, DESIGN.md).
    pl_desc_blind=True: ignore prefix-list rule descriptions (moto drops them)."""
    out = []
    for p in perms:
        base = (str(p["IpProtocol"]), p.get("FromPort"), p.get("ToPort"))
        if semantic and base[0] != "-1" and base[0] not in PORT_PROTOCOLS \
                and base[1:] == (None, None):
            base = (base[0], -1, -1)
        for r in p.get("IpRanges", []):
            out.append(base + ("ipv4", r["CidrIp"], r.get("Description")))
        for r in p.get("Ipv6Ranges", []):
            out.append(base + ("ipv6", r["CidrIpv6"], r.get("Description")))
        for r in p.get("PrefixListIds", []):
            out.append(base + ("pl", xlate("pl", r["PrefixListId"]),
                               None if pl_desc_blind else r.get("Description")))
        for r in p.get("UserIdGroupPairs", []):
            out.append(base + ("sg", xlate("sg", r.get("GroupId")),
                               r.get("Description"), xlate("account", r.get("UserId")),
                               xlate("vpc", r.get("VpcId")),
                               xlate("pcx", r.get("VpcPeeringConnectionId")),
                               r.get("PeeringStatus")))
    return sorted(out, key=repr)


def canon_group(g, xlate=lambda kind, v: v, semantic=False, pl_desc_blind=False):
    return {
        "GroupName": g["GroupName"],
        "Description": g.get("Description"),
        "VpcId": xlate("vpc", g.get("VpcId")),
        "OwnerId": xlate("account", g.get("OwnerId")),
        "Tags": sorted((t["Key"], t["Value"]) for t in g.get("Tags") or []),
        "Ingress": flat_rules(g.get("IpPermissions", []), xlate, semantic, pl_desc_blind),
        "Egress": flat_rules(g.get("IpPermissionsEgress", []), xlate, semantic, pl_desc_blind),
    }


def exact_group(g):
    """The fixture/boto3 shape with the optional bits made uniform."""
    d = dict(g)
    d.pop("SecurityGroupArn", None)
    d["Tags"] = d.get("Tags") or []
    for k in ("IpPermissions", "IpPermissionsEgress"):
        d[k] = [dict(p, IpRanges=p.get("IpRanges", []), Ipv6Ranges=p.get("Ipv6Ranges", []),
                     PrefixListIds=p.get("PrefixListIds", []),
                     UserIdGroupPairs=p.get("UserIdGroupPairs", [])) for p in d.get(k, [])]
    return d


def aws(server, region, *args):
    """Run the AWS CLI against a stand-in; returns (rc, parsed-json-or-None, stderr)."""
    cmd = ["aws", "--endpoint-url", server.url, "--region", region, "--output", "json"]
    cmd += list(args)
    p = subprocess.run(cmd, env=server.env(region), capture_output=True, text=True, timeout=120)
    data = None
    if p.returncode == 0 and p.stdout.strip():
        try:
            data = json.loads(p.stdout)
        except ValueError:
            data = None
    return p.returncode, data, p.stderr


def strip_unseedable(g, unseedable):
    """The fixture group minus the group pairs the seeder could not load."""
    refs = {(u["Direction"], u["ReferencedGroupId"]) for u in unseedable
            if u["GroupId"] == g["GroupId"]}
    if not refs:
        return g
    g = dict(g)
    for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
        perms = []
        for p in g.get(key, []):
            p = dict(p)
            p["UserIdGroupPairs"] = [x for x in p.get("UserIdGroupPairs", [])
                                     if (direction, x.get("GroupId")) not in refs]
            if p.get("IpRanges") or p.get("Ipv6Ranges") or p.get("PrefixListIds") \
                    or p["UserIdGroupPairs"]:
                perms.append(p)
        g[key] = perms
    return g
