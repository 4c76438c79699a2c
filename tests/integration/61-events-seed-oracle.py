#!/usr/bin/env python3
"""`sg-audit events --seed-compatible` against an independent transliteration
of the original detection query (../shared/seeds/000_064ac02ad458f9c9.txt).

`seed_query()` below follows the Hamelin query line by line. The C code and
this oracle are run over the CloudTrail samples, the fixtures in
fixtures/cloudtrail/, and a few thousand seeded random records (every event
name, error codes, permission shapes, CIDRs in sources and descriptions,
ModifySecurityGroupRules, the flat form, wrong types); every NDJSON document
must be equal, field for field and in order.

Interpretation shared by both (docs/events.md "Seed-compatible mode"):
  - `ipPermissions[0]` is the first permission: CloudTrail renders the list
    as {"items": [...]}, so items[0] (a bare list's [0] also works);
  - `AS int` takes whole JSON numbers; `AS string` takes strings, numbers
    (as text) and booleans; anything else is null;
  - `timestamp` is the record's eventTime;
  - duplicate eventIDs are dropped before the query (input handling).
"""
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile

SG_AUDIT = os.environ["SG_AUDIT"]
ROOT = os.environ.get("SG_ROOT", ".")
SHARED = os.environ.get("SG_SHARED", os.path.join(ROOT, "..", "shared"))

SIX = ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
       "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
       "ModifySecurityGroupRules"]
SENSITIVE = [22, 23, 3389, 1433, 3306, 5432, 5984, 6379, 7000, 7001, 8020, 8086, 8888, 9042,
             9160, 9200, 9300, 11211, 27017, 27018, 27019, 50070]


def path(o, *keys):
    for k in keys:
        if isinstance(k, int):
            if isinstance(o, list):
                o = o[k] if k < len(o) else None
            elif isinstance(o, dict) and isinstance(o.get("items"), list):
                items = o["items"]
                o = items[k] if k < len(items) else None
            else:
                return None
        elif isinstance(o, dict):
            o = o.get(k)
        else:
            return None
    return o


def as_string(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == int(v) and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return None


def as_int(v):
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v if abs(v) <= 2147483647 else None
    if isinstance(v, float) and v == int(v) and abs(v) <= 2147483647:
        return int(v)
    return None


def coalesce(*xs):
    for x in xs:
        if x is not None:
            return x
    return None


def seed_query(original):
    """The Hamelin query, transliterated. Returns the output row or None."""
    evt = json.loads(original)
    eventName = as_string(path(evt, "eventName"))
    source_ip = as_string(path(evt, "sourceIPAddress"))
    user_identity = as_string(path(evt, "userIdentity", "arn"))
    account_id = as_string(path(evt, "userIdentity", "accountId"))
    aws_region = as_string(path(evt, "awsRegion"))
    error_code = as_string(path(evt, "errorCode"))
    group_id = as_string(path(evt, "requestParameters", "groupId"))
    group_name = as_string(path(evt, "requestParameters", "groupName"))
    if coalesce(eventName, "") not in SIX:
        return None
    if coalesce(error_code, "") != "":
        return None
    has_any_source = "0.0.0.0/0" in original or "::/0" in original
    from_port = as_int(path(evt, "requestParameters", "ipPermissions", 0, "fromPort"))
    to_port = as_int(path(evt, "requestParameters", "ipPermissions", 0, "toPort"))
    ip_protocol = as_string(path(evt, "requestParameters", "ipPermissions", 0, "ipProtocol"))
    f, t = coalesce(from_port, 0), coalesce(to_port, 0)
    is_sensitive_port = (f in SENSITIVE or t in SENSITIVE or (f <= 22 and t >= 22) or
                         (f <= 3389 and t >= 3389))
    is_all_traffic = coalesce(ip_protocol, "") == "-1" or (f == 0 and t == 65535)
    if not has_any_source:
        return None
    name = coalesce(eventName, "")
    if "Authorize" in name and is_all_traffic:
        risk = 100
    elif "Authorize" in name and is_sensitive_port:
        risk = 90
    elif "Authorize" in name:
        risk = 75
    else:
        risk = 40
    action_type = "opened" if "Authorize" in name else "closed"
    port_info = "all ports" if is_all_traffic else "port(s) %d-%d" % (f, t)
    message = ("Security group " + action_type + " to internet: " + port_info + " on group " +
               coalesce(group_id, coalesce(group_name, "unknown")))
    sev = "CRITICAL" if risk >= 90 else "HIGH" if risk >= 75 else "LOW"
    timestamp = coalesce(as_string(path(evt, "eventTime")), "")
    return {
        "timestamp": timestamp,
        "event": {"start": timestamp, "end": timestamp},
        "message": message,
        "labels": {
            "Severity": sev,
            "Account": coalesce(account_id, ""),
            "Security Group": coalesce(group_id, coalesce(group_name, "")),
            "User": coalesce(user_identity, ""),
            "Source IP": coalesce(source_ip, ""),
            "Event": coalesce(eventName, ""),
            "Region": coalesce(aws_region, ""),
            "Protocol": coalesce(ip_protocol, "unknown"),
            "Port Range": port_info,
            "Action": action_type,
            "Tactic": "Defense Evasion",
            "Technique": "T1562.007",
        },
        "host": {"name": coalesce(account_id, "")},
        "user": {"name": coalesce(user_identity, "")},
        "source": {"ip": coalesce(source_ip, "")},
        "cloud": {"region": coalesce(aws_region, ""), "service": {"name": "ec2"}},
        "network": {"protocol": coalesce(ip_protocol, "")},
        "rule": {
            "name": "AWS EC2 Security Group Permissive Changes",
            "description": "Detects modifications to EC2 security groups that allow "
                           "unrestricted access from the internet (0.0.0.0/0), especially "
                           "on sensitive ports commonly targeted by attackers.",
            "mitre_tactics": ["Defense Evasion", "Initial Access"],
            "mitre_techniques": ["T1562.007"],
            "severity": "critical" if risk >= 90 else "high" if risk >= 75 else "low",
            "references": [
                "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/security-group-rules.html",
                "https://docs.aws.amazon.com/vpc/latest/userguide/VPC_SecurityGroups.html",
            ],
        },
    }


def oracle(records_raw):
    seen, out = set(), []
    for raw in records_raw:
        evt = json.loads(raw)
        # Duplicate eventIDs of the six events are dropped before the query runs.
        name = as_string(path(evt, "eventName")) if isinstance(evt, dict) else None
        eid = path(evt, "eventID")
        if name in SIX and isinstance(eid, str) and eid:
            if eid in seen:
                continue
            seen.add(eid)
        row = seed_query(raw)
        if row is not None:
            out.append(row)
    return out


# ---- random records ------------------------------------------------------------------

CIDRS4 = ["0.0.0.0/0", "10.0.0.0/8", "0.0.0.0/1", "128.0.0.0/1", "203.0.113.0/24",
          "192.168.1.1/32", "100.0.0.0/0"]
CIDRS6 = ["::/0", "::0/0", "2001:db8::/32", "fe80::/10"]
PROTOS = ["tcp", "udp", "icmp", "icmpv6", "-1", "47", "6", "58"]
PORTS = [None, -1, 0, 1, 20, 22, 23, 80, 443, 1433, 3300, 3306, 3389, 5432, 8080, 9200,
         27017, 50070, 65535]


def rnd_ports(r):
    a, b = r.choice(PORTS), r.choice(PORTS)
    if a is not None and b is not None and r.random() < 0.7 and a > b:
        a, b = b, a
    return a, b


def rnd_perm(r):
    p = {"ipProtocol": r.choice(PROTOS)}
    a, b = rnd_ports(r)
    if a is not None:
        p["fromPort"] = a
    if b is not None:
        p["toPort"] = b
    if r.random() < 0.05:
        p["fromPort"] = str(a)          # wrong type: AS int gives null
    if r.random() < 0.03:
        p["ipProtocol"] = 6             # a number: AS string gives "6"
    p["groups"] = {}
    rng = [{"cidrIp": r.choice(CIDRS4)} for _ in range(r.randrange(3))]
    for x in rng:
        if r.random() < 0.2:
            x["description"] = r.choice(["open to 0.0.0.0/0", "v6 ::/0 too", "office"])
    p["ipRanges"] = {"items": rng} if rng else {}
    v6 = [{"cidrIpv6": r.choice(CIDRS6)} for _ in range(r.randrange(2))]
    p["ipv6Ranges"] = {"items": v6} if v6 else {}
    p["prefixListIds"] = {"items": [{"prefixListId": "pl-0a1b"}]} if r.random() < 0.1 else {}
    return p


def rnd_record(r, i):
    name = r.choice(SIX + ["RunInstances", "DescribeSecurityGroups", "AssumeRole"])
    rec = {
        "eventVersion": "1.09",
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/u%d" % (i % 7),
                         "accountId": "111122223333"},
        "eventTime": "2024-05-01T12:%02d:%02dZ" % (i // 60 % 60, i % 60),
        "eventSource": "ec2.amazonaws.com",
        "eventName": name,
        "awsRegion": r.choice(["us-east-1", "eu-west-1"]),
        "sourceIPAddress": "198.51.100.%d" % (i % 250),
    }
    if r.random() < 0.1:
        del rec["userIdentity"]["arn"]
    if r.random() < 0.05:
        rec["userIdentity"]["accountId"] = 111122223333   # a number: AS string gives text
    roll = r.random()
    if roll < 0.15:
        rec["errorCode"] = r.choice(["Client.UnauthorizedOperation", "", "Client.DryRunOperation"])
    elif roll < 0.17:
        rec["errorCode"] = r.choice([None, 0, False, {"x": 1}])
    if name == "ModifySecurityGroupRules":
        rules = []
        for k in range(r.randrange(1, 3)):
            body = {"IpProtocol": r.choice(PROTOS)}
            a, b = rnd_ports(r)
            if a is not None:
                body["FromPort"] = a
            if b is not None:
                body["ToPort"] = b
            body[r.choice(["CidrIpv4", "CidrIpv6", "PrefixListId"])] = r.choice(CIDRS4 + CIDRS6)
            rules.append({"SecurityGroupRuleId": "sgr-%d" % k, "SecurityGroupRule": body,
                          "tag": k + 1})
        rec["requestParameters"] = {"ModifySecurityGroupRulesRequest": {
            "GroupId": "sg-%04d" % i, "SecurityGroupRule": rules[0] if len(rules) == 1 else rules}}
    elif name == "CreateSecurityGroup":
        rec["requestParameters"] = {"groupName": "g%d" % i,
                                    "groupDescription": r.choice(["web", "allow 0.0.0.0/0"]),
                                    "vpcId": "vpc-1"}
    elif roll < 0.25:
        rec["requestParameters"] = {"groupId": "sg-%04d" % i, "ipProtocol": "tcp",
                                    "fromPort": 22, "toPort": 22,
                                    "cidrIp": r.choice(CIDRS4)}
    else:
        perms = [rnd_perm(r) for _ in range(r.randrange(0, 4))]
        rp = {}
        g = r.random()
        if g < 0.8:
            rp["groupId"] = "sg-%04d" % i
        elif g < 0.9:
            rp["groupName"] = "legacy-%d" % i
        if r.random() < 0.1:
            rp["ipPermissions"] = perms           # a bare list
        else:
            rp["ipPermissions"] = {"items": perms} if perms else {}
        rec["requestParameters"] = rp
    rec["eventID"] = "e-%d" % (i if r.random() > 0.05 else i // 2)   # some duplicates
    return json.dumps(rec, separators=(",", ":"))


def run_c(path, seed=True):
    args = [SG_AUDIT, "events", "--file", path, "--min-risk", "0"]
    if seed:
        args.append("--seed-compatible")
    p = subprocess.run(args, capture_output=True, text=True)
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines()], p.stderr


sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

checks = Checks("61-events-seed-oracle")
check = checks.check


def compare(name, raws, path):
    want = oracle(raws)
    rc, got, err = run_c(path)
    if got == want:
        check("%s: %d alerts identical" % (name, len(want)), True)
        return
    for i, (g, w) in enumerate(zip(got, want)):
        if g != w:
            check(name, False, "first difference at alert %d:\n got  %s\n want %s\n%s" %
                  (i, json.dumps(g), json.dumps(w), err[-500:]))
            return
    check(name, False, "got %d alerts, want %d\n%s" % (len(got), len(want), err[-500:]))


def records_of(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        doc = json.load(f)
    if "Regions" in doc:   # an account fixture: its LookupEvents records, as sent
        return [e["CloudTrailEvent"] for r in doc["Regions"] for e in r.get("CloudTrailEvents", [])]
    return [json.dumps(x, separators=(",", ":")) for x in doc["Records"]]


def main():
    with tempfile.TemporaryDirectory(prefix="sg-seed-oracle-") as tmp:
        # 1. The samples and fixtures, re-serialized compactly (the raw text the query sees).
        srcs = [os.path.join(SHARED, "reference", "samples", n) for n in (
            "cloudtrail-log-authorize-ingress.json", "cloudtrail-log-revoke.json",
            "cloudtrail-log-modify-sg-rules.json")]
        for dp, _, fs in os.walk(os.path.join(SHARED, "reference", "samples", "s3")):
            srcs += [os.path.join(dp, f) for f in fs if f.endswith(".json.gz")]
        fx = os.path.join(ROOT, "fixtures", "cloudtrail")
        if os.path.isdir(fx):
            srcs += sorted(os.path.join(fx, f) for f in os.listdir(fx)
                           if f.endswith(".json") and not f.startswith("expected"))
        with open(os.path.join(SHARED, "reference", "samples",
                               "cloudtrail-lookup-events.json"), encoding="utf-8") as f:
            lookup_raws = [e["CloudTrailEvent"] for e in json.load(f)["Events"]]
        for src in srcs:
            raws = records_of(src)
            out = os.path.join(tmp, "one.json")
            with open(out, "w", encoding="utf-8") as f:
                f.write('{"Records":[' + ",".join(raws) + "]}")
            compare(os.path.basename(src), raws, out)
        out = os.path.join(tmp, "lookup.json")
        with open(out, "w", encoding="utf-8") as f:
            f.write('{"Records":[' + ",".join(lookup_raws) + "]}")
        compare("cloudtrail-lookup-events.json CloudTrailEvent strings", lookup_raws, out)

        # 2. Random records, several seeds.
        for seed in (1, 2, 3, 4):
            r = random.Random(seed)
            raws = [rnd_record(r, i) for i in range(1500)]
            out = os.path.join(tmp, "random-%d.json.gz" % seed)
            with gzip.open(out, "wt", encoding="utf-8") as f:
                f.write('{"Records":[' + ",".join(raws) + "]}")
            compare("random seed %d (1500 records)" % seed, raws, out)

        # 3. Raw text matters: an escaped slash hides the substring from the query.
        raw = ('{"eventName":"AuthorizeSecurityGroupIngress","eventID":"esc-1",'
               '"requestParameters":{"groupId":"sg-1","ipPermissions":{"items":[{"ipProtocol":'
               '"tcp","fromPort":22,"toPort":22,"ipRanges":{"items":[{"cidrIp":"0.0.0.0\\/0"}]}}]}}}')
        out = os.path.join(tmp, "escaped.json")
        with open(out, "w", encoding="utf-8") as f:
            f.write('{"Records":[' + raw + "]}")
        compare("escaped slash: no substring, no seed alert", [raw], out)
        rc, got, _ = run_c(out, seed=False)
        check("escaped slash: default mode still sees 0.0.0.0/0", len(got) == 1 and
              got[0]["event"]["risk_score"] == 90, json.dumps(got))

    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
