#!/usr/bin/env python3
"""Write a seeded set of gzipped CloudTrail log files in the S3 layout for
`make bench` (scripts/bench.d/30-events.sh). Nothing here is committed data:
the files go to a temporary directory and are deleted after the bench.

    events_gen.py DIR [--mb 1100] [--seed 1] [--sg-percent 5]

Each file holds ~2 MB of JSON (about 1,900 records, the size of a busy
trail's 5-minute file): management events of many kinds with CloudTrail's
real nesting (userIdentity.sessionContext, requestParameters,
responseElements, tlsDetails), of which --sg-percent are the six security-
group events (half of those opening something to the internet, some failed,
some duplicated across files). Prints the number of files, records and
uncompressed bytes written."""
import argparse
import gzip
import json
import os
import random
import sys

ACCOUNT = "111122223333"
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]
OTHER = [("ec2.amazonaws.com", "DescribeInstances"), ("ec2.amazonaws.com", "RunInstances"),
         ("s3.amazonaws.com", "GetBucketAcl"), ("iam.amazonaws.com", "ListRoles"),
         ("sts.amazonaws.com", "AssumeRole"), ("kms.amazonaws.com", "Decrypt"),
         ("lambda.amazonaws.com", "Invoke"), ("logs.amazonaws.com", "PutLogEvents"),
         ("ec2.amazonaws.com", "DescribeSecurityGroups"), ("rds.amazonaws.com",
                                                           "DescribeDBInstances")]
SG = ["AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
      "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
      "ModifySecurityGroupRules"]
PORTS = [22, 80, 443, 3306, 3389, 5432, 6379, 8080, 8443, 9200, 27017]


def ident(r):
    user = "user%03d" % r.randrange(200)
    return {"type": "AssumedRole", "principalId": "AROAEXAMPLEPRINCIPAL:%s" % user,
            "arn": "arn:aws:sts::%s:assumed-role/Admin/%s" % (ACCOUNT, user),
            "accountId": ACCOUNT, "accessKeyId": "ASIA%016d" % r.randrange(10 ** 15),
            "sessionContext": {"sessionIssuer": {"type": "Role",
                                                 "principalId": "AROAEXAMPLEPRINCIPAL",
                                                 "arn": "arn:aws:iam::%s:role/Admin" % ACCOUNT,
                                                 "accountId": ACCOUNT, "userName": "Admin"},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": "2024-05-01T11:00:00Z",
                                              "mfaAuthenticated": "false"}}}


def perm(r, internet):
    port = r.choice(PORTS)
    src = "0.0.0.0/0" if internet else "10.%d.0.0/16" % r.randrange(256)
    return {"ipProtocol": r.choice(["tcp", "tcp", "udp", "-1"]), "fromPort": port,
            "toPort": port, "groups": {}, "ipRanges": {"items": [{"cidrIp": src,
                                                                    "description": "bench"}]},
            "ipv6Ranges": {}, "prefixListIds": {}}


def sg_parts(r, name):
    internet = r.random() < 0.5
    g = "sg-%017x" % r.randrange(16 ** 17)
    if name == "CreateSecurityGroup":
        return ({"groupName": "bench-%d" % r.randrange(10 ** 6), "groupDescription": "bench",
                 "vpcId": "vpc-0a"}, {"requestId": "r", "_return": True, "groupId": g})
    if name == "ModifySecurityGroupRules":
        port = r.choice(PORTS)
        return ({"ModifySecurityGroupRulesRequest": {"GroupId": g, "SecurityGroupRule": {
            "SecurityGroupRuleId": "sgr-%017x" % r.randrange(16 ** 17),
            "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": port, "ToPort": port,
                                  "CidrIpv4": "0.0.0.0/0" if internet else "10.0.0.0/8"},
            "tag": 1}}}, {"ModifySecurityGroupRulesResponse": {"requestId": "r", "return": True}})
    perms = [perm(r, internet and i == 0) for i in range(r.randrange(1, 3))]
    return ({"groupId": g, "ipPermissions": {"items": perms}},
            {"requestId": "r", "_return": True})


def record(r, i, t, sg_fraction):
    region = r.choice(REGIONS)
    if r.random() < sg_fraction:
        source, name = "ec2.amazonaws.com", r.choice(SG)
        req, resp = sg_parts(r, name)
    else:
        source, name = r.choice(OTHER)
        req = {"filterSet": {"items": [{"name": "tag:env", "valueSet": {"items": [
            {"value": "prod"}]}}]}, "maxResults": 1000, "resourceArn":
            "arn:aws:%s:%s:%s:thing/%d" % (source.split(".")[0], region, ACCOUNT, i)}
        resp = None if r.random() < 0.7 else {"requestId": "r", "result": {"count": i % 97}}
    rec = {"eventVersion": "1.09", "userIdentity": ident(r), "eventTime":
           "2024-05-01T%02d:%02d:%02dZ" % (t // 3600 % 24, t // 60 % 60, t % 60),
           "eventSource": source, "eventName": name, "awsRegion": region,
           "sourceIPAddress": "198.51.100.%d" % r.randrange(256),
           "userAgent": "aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 "
                        "prompt/off command/bench"}
    if r.random() < 0.03:
        rec["errorCode"] = "Client.UnauthorizedOperation"
        rec["errorMessage"] = "You are not authorized to perform this operation."
    rec["requestParameters"] = req
    rec["responseElements"] = resp
    rec.update({"requestID": "%032x" % r.randrange(16 ** 32), "eventID": "%08x-%04x-4%03x-8%03x-%012x" % (
        r.randrange(16 ** 8), r.randrange(16 ** 4), r.randrange(16 ** 3), r.randrange(16 ** 3),
        r.randrange(16 ** 12)), "readOnly": name.startswith(("Describe", "Get", "List")),
        "eventType": "AwsApiCall", "managementEvent": True, "recipientAccountId": ACCOUNT,
        "eventCategory": "Management", "tlsDetails": {"tlsVersion": "TLSv1.3",
                                                      "cipherSuite": "TLS_AES_128_GCM_SHA256",
                                                      "clientProvidedHostHeader": source}})
    return json.dumps(rec, separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--mb", type=int, default=1100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sg-percent", type=float, default=5.0)
    ap.add_argument("--file-mb", type=float, default=2.0)
    a = ap.parse_args()
    r = random.Random(a.seed)
    target = a.mb * 1000 * 1000
    total = files = records = 0
    prev_sg = []
    t = 0
    while total < target:
        region = REGIONS[files % len(REGIONS)]
        day = 1 + files // 300
        d = os.path.join(a.dir, "AWSLogs", ACCOUNT, "CloudTrail", region, "2024", "05",
                         "%02d" % day)
        os.makedirs(d, exist_ok=True)
        recs, size = [], 0
        # A few security-group records of the previous file are delivered again.
        for x in prev_sg[:2]:
            recs.append(x)
            size += len(x)
        prev_sg = []
        while size < a.file_mb * 1000 * 1000:
            t += 1
            x = record(r, records, t, a.sg_percent / 100.0)
            if '"eventSource":"ec2.amazonaws.com","eventName":"' in x and "SecurityGroup" in x:
                prev_sg.append(x)
            recs.append(x)
            size += len(x) + 1
            records += 1
        body = '{"Records":[' + ",".join(recs) + "]}"
        name = "%s_CloudTrail_%s_202405%02dT%04dZ_%016x.json.gz" % (ACCOUNT, region, day,
                                                                   files % 1440, files)
        with open(os.path.join(d, name), "wb") as f:
            f.write(gzip.compress(body.encode(), compresslevel=1))
        total += len(body)
        files += 1
    print("generated %d files, %d records, %d bytes uncompressed" % (files, records, total))
    return 0


if __name__ == "__main__":
    sys.exit(main())
