#!/usr/bin/env python3
"""The endpoint's documents have the same element trees as the real-shaped
samples in shared/reference/samples: the sample's security groups, loaded as
a fixture and served back, come out with the same element names in the same
nesting and order, and botocore parses both to the same data.  Error and STS
documents have the samples' shapes too."""
import json
import os
import sys
import xml.etree.ElementTree as ET

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SHARED = next((p for p in (os.environ.get("SG_SHARED", "").split()
                           + [os.path.join(os.path.dirname(ROOT), "shared")])
               if os.path.isdir(os.path.join(p, "reference"))),
              os.path.join(os.path.dirname(ROOT), "shared"))
SAMPLES = os.path.join(SHARED, "reference", "samples")
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402
import tempfile  # noqa: E402


def local(tag):
    return tag.rsplit("}", 1)[-1]


def tree(e):
    """Element names only, nested, in document order (no text, no namespace)."""
    return (local(e.tag), [tree(x) for x in e])


def ns(e):
    return e.tag[1:].split("}")[0] if e.tag.startswith("{") else None


def parse_sample(name):
    with open(os.path.join(SAMPLES, name), "rb") as f:
        return f.read()


def botocore_parse(body, service, op, protocol):
    import botocore.parsers
    import botocore.session
    m = botocore.session.get_session().get_service_model(service).operation_model(op)
    r = botocore.parsers.create_parser(protocol).parse(
        {"body": body, "headers": {}, "status_code": 200}, m.output_shape)
    r.pop("ResponseMetadata", None)
    return r


def main():
    c = Checks("endpoint vs samples")
    sample = parse_sample("describe-security-groups.xml")
    data = botocore_parse(sample, "ec2", "DescribeSecurityGroups", "ec2")
    groups = data["SecurityGroups"]
    for g in groups:
        g.pop("SecurityGroupArn", None)
    vpcs = sorted({g["VpcId"] for g in groups})
    acct = {"AccountId": "123456789012", "Partition": "aws", "Regions": [{
        "RegionName": "us-east-1", "OptInStatus": "opt-in-not-required",
        "Vpcs": [{"VpcId": v, "CidrBlock": "10.0.0.0/16", "IsDefault": False, "Subnets": []}
                 for v in vpcs],
        "SecurityGroups": groups, "ManagedPrefixLists": [], "NetworkInterfaces": []}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sample.json")
        with open(path, "w") as f:
            json.dump(acct, f)
        with endpoint(path, lifetime=60) as ep:
            st, body, hd = ep.call("ec2", "us-east-1",
                                   "Action=DescribeSecurityGroups&Version=2016-11-15"
                                   "&MaxResults=1000")
            mine, theirs = ET.fromstring(body), ET.fromstring(sample)
            c.check("DescribeSecurityGroups: same namespace as the sample (%s)" % ns(theirs),
                    ns(mine) == ns(theirs))
            t_items = theirs.find("{%s}securityGroupInfo" % ns(theirs))
            m_items = mine.find("{%s}securityGroupInfo" % ns(mine))
            for a, b in zip(m_items, t_items):
                name = b.find("{%s}groupName" % ns(theirs)).text
                c.check("group %s: element tree identical to the sample's (names, nesting, "
                        "order)" % name, tree(a) == tree(b),
                        "\n mine   %s\n sample %s" % (tree(a), tree(b)))
            got = botocore_parse(body, "ec2", "DescribeSecurityGroups", "ec2")
            for g in got["SecurityGroups"]:
                g.pop("SecurityGroupArn", None)
            c.check("botocore parses the endpoint's document and the sample to the same groups",
                    got["SecurityGroups"] == groups)
            c.check("securityGroupArn where the sample has it (last child of a group)",
                    all(local(list(x)[-1].tag) == "securityGroupArn" for x in m_items))

            st, body, _ = ep.call("ec2", "us-east-1", "Action=DescribeRegions&Version=2016-11-15")
            mine = ET.fromstring(body)
            theirs = ET.fromstring(parse_sample("describe-regions-enabled.xml"))
            c.check("DescribeRegions: region item element tree like the sample's",
                    tree(mine)[0] == tree(theirs)[0] and
                    tree(mine)[1][1][1][0] == tree(theirs)[1][1][1][0]
                    and local(mine[0].tag) == "requestId", str(tree(mine)))

            st, body, _ = ep.call("ec2", "eu-west-1", "Action=DescribeSecurityGroups&"
                                  "Version=2016-11-15")
            mine = ET.fromstring(body)
            theirs = ET.fromstring(parse_sample("ec2-error-authfailure.xml"))
            c.check("EC2 error (region not in the account): same tree as "
                    "ec2-error-authfailure.xml, status 401", st == 401 and
                    tree(mine) == tree(theirs) and mine.find("Errors/Error/Code").text ==
                    theirs.find("Errors/Error/Code").text)
            ep.add_fault("kind=throttle,count=1")
            st, body, _ = ep.call("ec2", "us-east-1", "Action=DescribeRegions&Version=2016-11-15")
            c.check("throttle: same document as ec2-error-throttled.xml (but the RequestID), 503",
                    st == 503 and tree(ET.fromstring(body)) ==
                    tree(ET.fromstring(parse_sample("ec2-error-throttled.xml")))
                    and b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                        b"</Message>" in body)

            st, body, _ = ep.call("sts", "us-east-1", "Action=GetCallerIdentity&Version=2011-06-15")
            mine = ET.fromstring(body)
            theirs = ET.fromstring(parse_sample("sts-get-caller-identity-iam-user.xml"))
            c.check("STS GetCallerIdentity: namespace and tree like the sample's",
                    ns(mine) == ns(theirs) and sorted(map(str, tree(mine)[1][0][1])) ==
                    sorted(map(str, tree(theirs)[1][0][1])) and tree(mine)[1][1] ==
                    tree(theirs)[1][1], "%s %s" % (tree(mine), tree(theirs)))
            ep.add_fault("kind=expired,service=sts,count=1")
            st, body, _ = ep.call("sts", "us-east-1", "Action=GetCallerIdentity&Version=2011-06-15")
            mine = ET.fromstring(body)
            theirs = ET.fromstring(parse_sample("sts-error.xml"))
            c.check("STS error: same tree and code as sts-error.xml (ExpiredToken), 403",
                    st == 403 and tree(mine) == tree(theirs) and ns(mine) == ns(theirs) and
                    mine.find("{%s}Error/{%s}Code" % (ns(mine), ns(mine))).text ==
                    "ExpiredToken")
            ep.add_fault("kind=throttle,service=cloudtrail,count=1")
            st, body, hd = ep.call("cloudtrail", "us-east-1", {},
                                   target="com.amazonaws.cloudtrail.v20131101."
                                          "CloudTrail_20131101.LookupEvents")
            with open(os.path.join(SAMPLES, "cloudtrail-error-throttling.json")) as f:
                want = json.load(f)
            c.check("CloudTrail error: same JSON as cloudtrail-error-throttling.json, 400",
                    st == 400 and json.loads(body) == want, body)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
