"""Helpers for the scan's integration tests (tests/integration/4*): run
sg-audit, turn its JSON records back into the boto3 DescribeSecurityGroups
shape (so fixtures and botocore output compare with sgfixture.canon_group),
and check each record's normalization with an independent implementation.
"""
import json
import os
import subprocess

EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_USAGE, EXIT_AUTH, EXIT_INTERNAL = range(6)

PROTO = {"-1": -1, "all": -1, "tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58}


def sg_audit():
    return os.environ.get("SG_AUDIT") or os.path.join(
        os.environ.get("SG_ROOT", "."), "sg-audit")


def run(args, env=None, timeout=180, errors="strict", record=None):
    """Run sg-audit; returns (rc, stdout, stderr), decoded as UTF-8 with `errors`
    ("replace" for output a test searches rather than parses). When `record` is
    a list, stdout + stderr are appended to it (the creds tests search every byte
    printed for secrets)."""
    p = subprocess.run([sg_audit()] + list(args), env=env, capture_output=True,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    out, err = p.stdout.decode(errors=errors), p.stderr.decode(errors=errors)
    if record is not None:
        record.append(out + err)
    return p.returncode, out, err


def identity(env, *extra, record=None, timeout=60):
    """`sg-audit identity --format json`: (rc, the JSON document or {}, stderr)."""
    rc, out, err = run(["identity", "--format", "json"] + list(extra), env, timeout=timeout,
                       errors="replace", record=record)
    try:
        doc = json.loads(out) if rc == 0 else {}
    except ValueError:
        doc = {}
    return rc, doc, err


def scan_json(server, args=(), region="us-east-1", timeout=180):
    """`sg-audit scan --format inventory` against a stand-in; (rc, data or None, stderr)."""
    rc, out, err = run(["scan", "--endpoint-url", server.url, "--format", "inventory",
                        "--no-progress"] + list(args), env=server.env(region), timeout=timeout)
    data = None
    try:
        data = json.loads(out) if out.strip() else None
    except ValueError:
        data = None
    return rc, data, err


def to_boto(g):
    """One sg-audit JSON group -> the boto3 DescribeSecurityGroups group shape."""
    perms = {"ingress": {}, "egress": {}}
    for r in g["rules"]:
        key = r["permission_index"]
        p = perms[r["direction"]].get(key)
        if p is None:
            p = {"IpProtocol": r["protocol_raw"], "IpRanges": [], "Ipv6Ranges": [],
                 "PrefixListIds": [], "UserIdGroupPairs": []}
            if r["ports_on_wire"]:
                p["FromPort"] = r["wire_from_port"]
                p["ToPort"] = r["wire_to_port"]
            perms[r["direction"]][key] = p
        d = r.get("description")
        if r["source"] == "ipv4":
            x = {"CidrIp": r["cidr"]}
            tgt = p["IpRanges"]
        elif r["source"] == "ipv6":
            x = {"CidrIpv6": r["cidr"]}
            tgt = p["Ipv6Ranges"]
        elif r["source"] == "prefix_list":
            x = {"PrefixListId": r["prefix_list_id"]}
            tgt = p["PrefixListIds"]
        else:
            ref = r["group"]
            x = {}
            for k, bk in (("user_id", "UserId"), ("group_id", "GroupId"),
                          ("group_name", "GroupName"), ("vpc_id", "VpcId"),
                          ("peering_id", "VpcPeeringConnectionId"),
                          ("peering_status", "PeeringStatus")):
                if k in ref:
                    x[bk] = ref[k]
            tgt = p["UserIdGroupPairs"]
        if d is not None:
            x["Description"] = d
        tgt.append(x)
    out = {"GroupId": g["group_id"], "GroupName": g.get("group_name"),
           "Description": g.get("description"), "OwnerId": g.get("account_id"),
           "IpPermissions": [perms["ingress"][k] for k in sorted(perms["ingress"])],
           "IpPermissionsEgress": [perms["egress"][k] for k in sorted(perms["egress"])],
           "Tags": [{"Key": t["key"], "Value": t["value"]} for t in g.get("tags", [])]}
    if "vpc_id" in g:
        out["VpcId"] = g["vpc_id"]
    return out


def expected_normalized(raw_proto, wire_from, wire_to):
    """Independent normalization (sg-semantics.md section 1): (number, from, to, all)."""
    n = PROTO.get(raw_proto.lower()) if raw_proto.lower() in PROTO else int(raw_proto)
    if n in (6, 17):
        if wire_from is None or (wire_from == -1 and wire_to == -1):
            f, t = 0, 65535
        else:
            f, t = wire_from, wire_to
        return n, f, t, f <= 1 and t == 65535
    if n in (1, 58):
        if wire_from is None:
            return n, -1, -1, False
        return n, wire_from, wire_to, False
    return n, -1, -1, n == -1


def normalization_problems(groups):
    """Every rule's normalized fields agree with expected_normalized(); list the misfits."""
    bad = []
    for g in groups:
        for r in g["rules"]:
            wf = r.get("wire_from_port") if r["ports_on_wire"] else None
            wt = r.get("wire_to_port") if r["ports_on_wire"] else None
            n, f, t, allt = expected_normalized(r["protocol_raw"], wf, wt)
            if n in (6, 17):
                got = (r["protocol_number"], r.get("from_port"), r.get("to_port"),
                       r["all_traffic"])
            elif n in (1, 58):
                got = (r["protocol_number"], r.get("icmp_type"), r.get("icmp_code"),
                       r["all_traffic"])
                if "from_port" in r:
                    bad.append((g["group_id"], r, "ICMP rule carries ports"))
            else:
                got = (r["protocol_number"], -1, -1, r["all_traffic"])
                if "from_port" in r or "icmp_type" in r:
                    bad.append((g["group_id"], r, "portless protocol carries ports"))
            if got != (n, f, t, allt):
                bad.append((g["group_id"], r, "got %s want %s" % (got, (n, f, t, allt))))
    return bad


def coverage(data):
    return {c["region"]: c for c in data["coverage"]}
