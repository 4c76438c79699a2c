#!/usr/bin/env python3
"""The project's endpoint: wire shapes, paging edge cases, every fault kind,
STS/CloudTrail/IMDSv2/container credentials (checked with botocore's own
providers where it has them), control API, and that it stops by itself."""
import email.utils
import http.client
import json
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
from sgendpoints import Checks, endpoint, ENDPOINT_PY  # noqa: E402

NS = "{http://ec2.amazonaws.com/doc/2016-11-15/}"
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
CT = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
DSG = "Action=DescribeSecurityGroups&Version=2016-11-15"


def err_code(body):
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    for path in ("./Errors/Error/Code", STS_NS + "Error/" + STS_NS + "Code"):
        e = root.find(path)
        if e is not None:
            return e.text
    return None


def ec2_items(body, list_tag="securityGroupInfo"):
    root = ET.fromstring(body)
    lst = root.find(NS + list_tag)
    tok = root.find(NS + "nextToken")
    return ([] if lst is None else list(lst)), (None if tok is None else tok.text)


def date_headers(ep, region):
    """Every Date header line of one signed DescribeSecurityGroups answer."""
    sys.path.insert(0, os.path.join(ROOT, "tests", "endpoint"))
    import sigv4check
    data = DSG.encode()
    amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = sigv4check.sign(ep.access_key_id, ep.secret_access_key, region, "ec2", amz,
                              "POST", ep.url + "/",
                              {"Content-Type": "application/x-www-form-urlencoded; "
                               "charset=utf-8"}, data, None)
    conn = http.client.HTTPConnection(ep.url.split("//", 1)[1], timeout=20)
    try:
        conn.request("POST", "/", body=data, headers=headers)
        r = conn.getresponse()
        r.read()
        return r.msg.get_all("Date") or []
    finally:
        conn.close()


def qs(params):
    import urllib.parse
    return urllib.parse.urlencode(params)


def check_shapes(c, ep):
    st, body, hd = ep.call("ec2", "us-east-1", DSG)
    root = ET.fromstring(body)
    c.check("DescribeSecurityGroups: root {ec2 ns}DescribeSecurityGroupsResponse, requestId "
            "child, no Result wrapper", root.tag == NS + "DescribeSecurityGroupsResponse"
            and root.find(NS + "requestId") is not None
            and root.find(NS + "securityGroupInfo") is not None)
    c.check("EC2 Content-Type text/xml;charset=UTF-8, Date header parses",
            hd.get("content-type") == "text/xml;charset=UTF-8"
            and email.utils.parsedate_to_datetime(hd["date"]) is not None, str(hd))
    items, tok = ec2_items(body)
    g = next(i for i in items if i.find(NS + "groupId").text == "sg-0ca5e010000000000")
    perm = g.find(NS + "ipPermissions")[0]
    c.check("case 1 group: ipProtocol -1 without fromPort/toPort, empty lists as <x/>",
            perm.find(NS + "ipProtocol").text == "-1" and perm.find(NS + "fromPort") is None
            and perm.find(NS + "groups") is not None and len(perm.find(NS + "groups")) == 0)
    c.check("group without tags has no tagSet; unpaged call has no nextToken",
            g.find(NS + "tagSet") is None and tok is None)
    x = next(i for i in items if i.find(NS + "groupName").text == "xml-special & co")
    tags = {t.find(NS + "key").text: t.find(NS + "value").text for t in x.find(NS + "tagSet")}
    c.check("XML-special and multi-byte text survives escaping (& < > \" ' Zürich 東京 🚀)",
            b"&amp;" in body and tags.get("owner") == "Zürich – 東京 🚀 équipe"
            and tags.get("cost&center") == "a<b>c\"d'e", str(tags))
    st, body, _ = ep.call("ec2", "us-east-1", DSG + "&DryRun=true")
    c.check("DryRun=true -> 412 DryRunOperation", st == 412 and err_code(body) ==
            "DryRunOperation", body[:200])
    st, body, _ = ep.call("ec2", "us-east-1", "Action=DescribeInstances&Version=2016-11-15")
    c.check("unknown action -> 400 InvalidAction", st == 400 and err_code(body) ==
            "InvalidAction", body[:200])
    st, body, _ = ep.call("ec2", "us-east-1", DSG + "&Filter.1.Name=tag%3Aenvironment"
                          "&Filter.1.Value.1=pci")
    names = [i.find(NS + "groupName").text for i in ec2_items(body)[0]]
    c.check("filter tag:environment=pci", names == ["pci-cde-db"], str(names))
    st, body, _ = ep.call("ec2", "us-east-1", DSG + "&Filter.1.Name=ip-permission.cidr"
                          "&Filter.1.Value.1=0.0.0.0%2F0&Filter.2.Name=ip-permission.protocol"
                          "&Filter.2.Value.1=udp")
    names = sorted(i.find(NS + "groupName").text for i in ec2_items(body)[0])
    c.check("filters AND-ed: ip-permission.cidr=0.0.0.0/0 and protocol=udp",
            names == ["case05-udp-0-65535", "case07-udp-22"], str(names))
    st, body, _ = ep.call("ec2", "eu-west-1", "Action=DescribeNetworkInterfaces&Version="
                          "2016-11-15&Filter.1.Name=group-id&Filter.1.Value.1=sg-0ca5e170000000000")
    c.check("case 17 group has no network interface (DescribeNetworkInterfaces group-id)",
            st == 200 and ec2_items(body, "networkInterfaceSet")[0] == [], body[:300])
    st, body, _ = ep.call("ec2", "eu-west-1", "Action=DescribeNetworkInterfaces&Version="
                          "2016-11-15&Filter.1.Name=group-id&Filter.1.Value.1=sg-0ca5e160000000000")
    c.check("case 16 group has one network interface", st == 200 and
            len(ec2_items(body, "networkInterfaceSet")[0]) == 1, body[:300])
    st, body, _ = ep.call("ec2", "eu-west-1", "Action=DescribeManagedPrefixLists&Version="
                          "2016-11-15&Filter.1.Name=prefix-list-name&Filter.1.Value.1=open-world")
    c.check("DescribeManagedPrefixLists by name", st == 200 and
            len(ec2_items(body, "prefixListSet")[0]) == 1, body[:300])


def check_paging(c, ep):
    st, body, _ = ep.call("ec2", "us-west-2", DSG + "&MaxResults=5")
    items, tok = ec2_items(body)
    c.check("MaxResults=5 -> 5 groups and an opaque nextToken", len(items) == 5 and tok)
    c.check("token is standard base64 that needs URL-encoding",
            tok and any(ch in tok for ch in "+/="), tok)
    st, body, _ = ep.call("ec2", "us-west-2", DSG + "&" + qs({"MaxResults": 5,
                                                                "NextToken": tok}))
    items2, tok2 = ec2_items(body)
    c.check("page 2 continues where page 1 ended", st == 200 and len(items2) == 5 and
            items2[0].find(NS + "groupId").text != items[0].find(NS + "groupId").text)
    bad = tok[:-6] + ("A" if tok[-6] != "A" else "B") + tok[-5:]
    st, body, _ = ep.call("ec2", "us-west-2", DSG + "&" + qs({"MaxResults": 5,
                                                                "NextToken": bad}))
    c.check("edited token -> 400 InvalidPaginationToken", st == 400 and
            err_code(body) == "InvalidPaginationToken", body[:200])
    st, body, _ = ep.call("ec2", "us-west-2", DSG + "&" + qs({
        "MaxResults": 5, "NextToken": tok, "Filter.1.Name": "vpc-id",
        "Filter.1.Value.1": "vpc-x"}))
    c.check("same token with different filters -> InvalidPaginationToken", st == 400 and
            err_code(body) == "InvalidPaginationToken", body[:200])
    st, body, _ = ep.call("ec2", "us-west-2", DSG + "&MaxResults=4")
    c.check("MaxResults=4 -> InvalidParameterValue", st == 400 and
            err_code(body) == "InvalidParameterValue", body[:200])
    st, body, _ = ep.call("ec2", "us-west-2", DSG + "&MaxResults=1001")
    c.check("MaxResults=1001 -> InvalidParameterValue", st == 400 and
            err_code(body) == "InvalidParameterValue", body[:200])
    st, body, _ = ep.call("ec2", "us-east-1", DSG + "&MaxResults=5&GroupId.1=sg-0ca5e010000000000")
    c.check("GroupId.N with MaxResults -> InvalidParameterCombination", st == 400 and
            err_code(body) == "InvalidParameterCombination", body[:200])
    st, body, _ = ep.call("ec2", "us-east-1", DSG + "&GroupId.1=sg-0deadbeef00000000")
    c.check("unknown GroupId -> InvalidGroup.NotFound", st == 400 and
            err_code(body) == "InvalidGroup.NotFound", body[:200])
    st, body, _ = ep.call("ec2", "us-east-1", "Action=DescribeRegions&Version=2016-11-15"
                          "&AllRegions=true&Filter.1.Name=opt-in-status"
                          "&Filter.1.Value.1=not-opted-in")
    names = [i.find(NS + "regionName").text for i in ec2_items(body, "regionInfo")[0]]
    c.check("DescribeRegions filter opt-in-status=not-opted-in",
            names == ["af-south-1", "me-south-1"], str(names))


def fault(ep, spec, call, label, c, want_status, want_code, **kw):
    ep.clear_faults()
    ep.add_fault(spec)
    st, body, hd = call()
    if want_code and want_code.startswith("json:"):
        try:
            got = json.loads(body).get("__type")
        except ValueError:
            got = None
        ok = got == want_code[5:]
    else:
        ok = want_code is None or err_code(body) == want_code
    c.check("fault %s -> %s %s" % (label, want_status, want_code or ""),
            st == want_status and ok, "%s %s" % (st, body[:200]))
    ep.clear_faults()


def check_faults(c, ep):
    ec2 = lambda: ep.call("ec2", "eu-west-1", DSG)  # noqa: E731
    sts = lambda: ep.call("sts", "eu-west-1", "Action=GetCallerIdentity&Version=2011-06-15")  # noqa: E731,E501
    ct = lambda: ep.call("cloudtrail", "eu-west-1", {}, target=CT)  # noqa: E731
    table = [
        ("kind=throttle", ec2, 503, "RequestLimitExceeded"),
        ("kind=throttle", sts, 400, "Throttling"),
        ("kind=throttle", ct, 400, "json:ThrottlingException"),
        ("kind=500", ec2, 500, "InternalError"),
        ("kind=503", ec2, 503, "Unavailable"),
        ("kind=authfailure", ec2, 401, "AuthFailure"),
        ("kind=unauthorized", ec2, 403, "UnauthorizedOperation"),
        ("kind=unauthorized", ct, 400, "json:AccessDeniedException"),
        ("kind=expired", ec2, 400, "RequestExpired"),
        ("kind=expired", sts, 403, "ExpiredToken"),
        ("kind=expired", ct, 400, "json:com.amazon.coral.service#ExpiredTokenException"),
        ("kind=optin", ec2, 403, "OptInRequired"),
        ("kind=error,code=Blocked,status=403", ec2, 403, "Blocked"),
    ]
    for spec, call, st, code in table:
        svc = {ec2: "ec2", sts: "sts", ct: "cloudtrail"}[call]
        fault(ep, spec + ",region=eu-west-1", call, "%s (%s)" % (spec, svc), c, st, code)

    ep.clear_log()
    ep.add_fault("region=eu-west-1,action=DescribeSecurityGroups,kind=throttle,count=2")
    res = [ep.call("ec2", "eu-west-1", DSG)[0] for _ in range(3)]
    other = ep.call("ec2", "us-east-1", DSG)[0]
    log = [(x["region"], x["status"], x["fault"]) for x in ep.log()]
    c.check("throttle count=2 in eu-west-1: 503, 503, then 200; us-east-1 untouched; log "
            "shows it", res == [503, 503, 200] and other == 200 and
            log == [("eu-west-1", 503, "throttle"), ("eu-west-1", 503, "throttle"),
                    ("eu-west-1", 200, None), ("us-east-1", 200, None)], "%s %s" % (res, log))
    ep.clear_faults()
    ep.add_fault("region=eu-*,kind=500,after=1,count=1")
    res = [ep.call("ec2", "eu-central-1", DSG)[0] for _ in range(3)]
    c.check("after=1,count=1 with a region glob: 200, 500, 200", res == [200, 500, 200], str(res))
    ep.clear_faults()

    ep.add_fault("kind=reset,region=eu-west-1")
    try:
        ep.call("ec2", "eu-west-1", DSG)
        ok = False
    except (ConnectionError, http.client.RemoteDisconnected) as e:
        ok = True
    c.check("fault reset -> connection reset / closed without a response", ok)
    ep.clear_faults()
    ep.add_fault("kind=truncate,region=eu-west-1")
    try:
        ep.call("ec2", "eu-west-1", DSG)
        ok = False
    except http.client.IncompleteRead:
        ok = True
    c.check("fault truncate -> fewer bytes than Content-Length", ok)
    ep.clear_faults()
    ep.add_fault("kind=malformed,region=eu-west-1")
    st, body, _ = ep.call("ec2", "eu-west-1", DSG)
    try:
        ET.fromstring(body)
        ok = False
    except ET.ParseError:
        ok = True
    c.check("fault malformed -> 200 with XML that does not parse", st == 200 and ok)
    ep.clear_faults()
    # One keep-alive connection (as libcurl and botocore use): a fault on the
    # first request must not leak into the next one on the same connection.
    ec2c = ep.client("ec2", "eu-west-1")
    ep.add_fault("kind=malformed,region=eu-west-1,count=1")
    try:
        ec2c.describe_security_groups()
        first = "parsed"
    except Exception as e:
        first = type(e).__name__
    try:
        second = len(ec2c.describe_security_groups()["SecurityGroups"])
    except Exception as e:
        second = type(e).__name__
    log = ep.log()[-2:]
    c.check("keep-alive: malformed once, then a clean answer on the same client (%s, %s)"
            % (first, second), first == "ResponseParserError" and second == 16
            and [x["fault"] for x in log] == ["malformed", None], str(log))
    ep.clear_faults()
    ep.add_fault("kind=trickle,bytes=512,ms=50,region=eu-south-2")
    t = time.monotonic()
    st, body, _ = ep.call("ec2", "eu-south-2", DSG)
    dt = time.monotonic() - t
    c.check("fault trickle -> correct body, slowly (%.2f s for %d bytes)" % (dt, len(body)),
            st == 200 and dt >= 0.05 * (len(body) // 512) and ET.fromstring(body) is not None)
    ep.clear_faults()
    ep.add_fault("kind=latency,ms=300,action=DescribeRegions")
    t = time.monotonic()
    st, _, _ = ep.call("ec2", "us-east-1", "Action=DescribeRegions&Version=2016-11-15")
    dt = time.monotonic() - t
    t = time.monotonic()
    ep.call("ec2", "us-east-1", DSG)
    dt2 = time.monotonic() - t
    c.check("fault latency ms=300 on DescribeRegions only (%.2f s vs %.3f s)" % (dt, dt2),
            st == 200 and dt >= 0.3 and dt2 < 0.3)
    ep.clear_faults()
    ep.add_fault("kind=hang,ms=300,region=eu-west-1")
    try:
        ep.call("ec2", "eu-west-1", DSG, timeout=5)
        ok = False
    except (ConnectionError, http.client.RemoteDisconnected):
        ok = True
    c.check("fault hang -> silence, then the connection drops", ok)
    ep.clear_faults()

    # Skew: the server's clock is an hour ahead; a client that reads Date and
    # re-signs with the offset gets through.
    ep.add_fault("kind=skew,seconds=3600,region=eu-west-1")
    st, body, hd = ep.call("ec2", "eu-west-1", DSG)
    server_t = email.utils.parsedate_to_datetime(hd["date"]).timestamp()
    off = server_t - time.time()
    st2, _, _ = ep.call("ec2", "eu-west-1", DSG, clock_offset=off)
    c.check("fault skew: RequestExpired with Date ~1 h ahead; re-signed with the offset -> 200",
            st == 400 and err_code(body) == "RequestExpired" and 3500 < off < 3700 and st2 == 200,
            "%s %s off=%.0f %s" % (st, err_code(body), off, st2))
    ep.clear_faults()

    ep.add_fault("kind=skew-date,seconds=-7200,region=eu-west-1")
    st, body, hd = ep.call("ec2", "eu-west-1", DSG)
    off = email.utils.parsedate_to_datetime(hd["date"]).timestamp() - time.time()
    c.check("fault skew-date: 200, Date header 2 h behind, request time still checked "
            "against the true clock", st == 200 and -7300 < off < -7100, "%s %.0f" % (st, off))
    # ep.call() folds repeated headers (last wins): count them on the wire.
    dates = date_headers(ep, "eu-west-1")
    offs = [email.utils.parsedate_to_datetime(d).timestamp() - time.time() for d in dates]
    c.check("fault skew-date: exactly one Date header, and it is the skewed one",
            len(offs) == 1 and -7300 < offs[0] < -7100, str(dates))
    ep.clear_faults()
    dates = date_headers(ep, "eu-west-1")
    c.check("no fault: exactly one Date header", len(dates) == 1, str(dates))

    ep.add_fault("kind=endless-token,region=ap-southeast-2")
    tok, n = None, 0
    for _ in range(6):
        p = {"MaxResults": 5}
        if tok:
            p["NextToken"] = tok
        st, body, _ = ep.call("ec2", "ap-southeast-2", DSG + "&" + qs(p))
        _, new = ec2_items(body)
        if st == 200 and new and new != tok:
            n += 1
        tok = new
    c.check("fault endless-token: every page carries a new NextToken (6 of 6)", n == 6, str(n))
    ep.clear_faults()

    ep.add_fault("kind=ratelimit,rps=2,burst=2,service=ec2,region=eu-south-2")
    res = [ep.call("ec2", "eu-south-2", DSG)[0] for _ in range(6)]
    other = ep.call("ec2", "eu-south-2", "Action=DescribeRegions&Version=2016-11-15")[0]
    c.check("fault ratelimit rps=2 burst=2: a burst of 6 gets throttled after 2; another "
            "action has its own bucket", res[:2] == [200, 200] and res.count(503) >= 3
            and other == 200, "%s %s" % (res, other))
    ep.clear_faults()
    st, body, _ = ep.call("ec2", "af-south-1", DSG)
    c.check("not-opted-in region -> 401 AuthFailure without any fault",
            st == 401 and err_code(body) == "AuthFailure")
    st, body, _ = ep.call("sts", "af-south-1", "Action=GetCallerIdentity&Version=2011-06-15")
    c.check("STS in a not-opted-in region -> RegionDisabledException",
            st == 403 and err_code(body) == "RegionDisabledException", body[:200])


def check_control(c, ep):
    f = ep.add_fault("kind=throttle,count=1", {"kind": "latency", "ms": "10"})
    c.check("control API: POST adds string and object specs", len(f) == 2 and
            f[0]["kind"] == "throttle" and f[1]["ms"] == 10, str(f))
    import urllib.error
    import urllib.request
    req = urllib.request.Request(ep.url + "/__sg/faults", data=b'{"add":["kind=nonsense"]}',
                                 method="POST")
    try:
        urllib.request.urlopen(req, timeout=5)
        st = 200
    except urllib.error.HTTPError as e:
        st = e.code
    c.check("control API: a bad spec is refused with 400", st == 400)
    c.check("control API: DELETE clears", ep.clear_faults() == [])
    ep.clear_log()
    ep.call("ec2", "us-east-1", DSG)
    seq = ep.log()[-1]["seq"]
    ep.call("ec2", "us-east-1", "Action=DescribeRegions&Version=2016-11-15")
    newer = ep.log(since=seq)
    c.check("control API: log?since= returns only newer requests, without secrets",
            [x["action"] for x in newer] == ["DescribeRegions"] and
            "secret" not in json.dumps(newer).lower(), str(newer))


def check_sts_ct(c, ep):
    body = ("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111122223333"
            "%3Arole%2FSecurityAudit&RoleSessionName=cross&DurationSeconds=900")
    st, resp, _ = ep.call("sts", "us-east-1", body)
    root = ET.fromstring(resp)
    cr = root.find("%sAssumeRoleResult/%sCredentials" % (STS_NS, STS_NS))
    k = {x: cr.find(STS_NS + x).text for x in ("AccessKeyId", "SecretAccessKey",
                                                "SessionToken", "Expiration")}
    c.check("AssumeRole into the second account's SecurityAudit role", st == 200 and
            k["AccessKeyId"].startswith("ASIA") and len(k["SessionToken"]) > 300)
    st, resp, _ = ep.call("sts", "us-east-1", "Action=GetCallerIdentity&Version=2011-06-15",
                          access_key_id=k["AccessKeyId"], secret=k["SecretAccessKey"],
                          token=k["SessionToken"])
    c.check("GetCallerIdentity with them: assumed-role ARN in account 111122223333",
            b"<Arn>arn:aws:sts::111122223333:assumed-role/SecurityAudit/cross</Arn>" in resp,
            resp[:300])
    st, resp, _ = ep.call("ec2", "eu-west-1", DSG, access_key_id=k["AccessKeyId"],
                          secret=k["SecretAccessKey"], token=k["SessionToken"])
    owners = {i.find(NS + "ownerId").text for i in ec2_items(resp)[0]}
    c.check("EC2 with them sees the second account's groups", owners == {"111122223333"},
            str(owners))
    st, resp, _ = ep.call("sts", "us-east-1", body.replace("SecurityAudit", "Admin"))
    c.check("AssumeRole to an unknown role -> 403 AccessDenied", st == 403 and
            err_code(resp) == "AccessDenied")
    st, resp, _ = ep.call("sts", "us-east-1", body.replace("900", "899"))
    c.check("AssumeRole DurationSeconds=899 -> ValidationError", st == 400 and
            err_code(resp) == "ValidationError")

    st, resp, hd = ep.call("cloudtrail", "us-east-1", {"MaxResults": 50}, target=CT)
    d = json.loads(resp)
    times = [e["EventTime"] for e in d["Events"]]
    c.check("LookupEvents: 50 events newest first + NextToken, JSON 1.1 content type",
            st == 200 and len(d["Events"]) == 50 and times == sorted(times, reverse=True)
            and d.get("NextToken") and hd.get("content-type") == "application/x-amz-json-1.1")
    st, resp, _ = ep.call("cloudtrail", "us-east-1",
                          {"MaxResults": 50, "NextToken": d["NextToken"]}, target=CT)
    d2 = json.loads(resp)
    c.check("LookupEvents page 2: the remaining 20, no NextToken",
            len(d2["Events"]) == 20 and "NextToken" not in d2)
    st, resp, _ = ep.call("cloudtrail", "us-east-1", {"LookupAttributes": [
        {"AttributeKey": "EventName", "AttributeValue": "ModifySecurityGroupRules"}]}, target=CT)
    d = json.loads(resp)
    c.check("LookupEvents EventName filter", [e["EventName"] for e in d["Events"]] ==
            ["ModifySecurityGroupRules"])
    st, resp, _ = ep.call("cloudtrail", "us-east-1", {"LookupAttributes": [
        {"AttributeKey": "EventName", "AttributeValue": "a"},
        {"AttributeKey": "EventName", "AttributeValue": "b"}]}, target=CT)
    c.check("LookupEvents with two attributes -> InvalidLookupAttributesException",
            st == 400 and json.loads(resp)["__type"] == "InvalidLookupAttributesException")
    st, resp, _ = ep.call("cloudtrail", "us-east-1", {"StartTime": 2, "EndTime": 1}, target=CT)
    c.check("LookupEvents start > end -> InvalidTimeRangeException",
            st == 400 and json.loads(resp)["__type"] == "InvalidTimeRangeException")
    st, resp, _ = ep.call("cloudtrail", "us-east-1", {"NextToken": "bogus"}, target=CT)
    c.check("LookupEvents bad NextToken -> InvalidNextTokenException",
            st == 400 and json.loads(resp)["__type"] == "InvalidNextTokenException")
    st, resp, _ = ep.call("cloudtrail", "us-east-1", {"StartTime": 1714564800 + 500,
                                                      "EndTime": 1714564800 + 600}, target=CT)
    names = [e["EventName"] for e in json.loads(resp)["Events"]]
    c.check("LookupEvents time window (inclusive)", names == ["CreateSecurityGroup",
                                                              "ModifySecurityGroupRules"],
            str(names))


def check_creds(c, ep):
    from botocore.credentials import ContainerProvider, InstanceMetadataProvider
    from botocore.utils import ContainerMetadataFetcher, InstanceMetadataFetcher
    fetcher = InstanceMetadataFetcher(timeout=2, num_attempts=1, base_url=ep.url,
                                      config={"ec2_metadata_v1_disabled": True})
    creds = InstanceMetadataProvider(iam_role_fetcher=fetcher).load()
    fc = creds.get_frozen_credentials() if creds else None
    c.check("IMDSv2 through botocore's own InstanceMetadataProvider -> temporary credentials",
            fc is not None and fc.access_key.startswith("ASIA") and fc.token)
    if fc:
        st, _, _ = ep.call("ec2", "us-east-1", DSG, access_key_id=fc.access_key,
                           secret=fc.secret_key, token=fc.token)
        c.check("IMDS credentials are accepted by EC2", st == 200)
    conn = http.client.HTTPConnection(ep.url.split("//")[1], timeout=5)
    conn.request("PUT", "/latest/api/token")
    r = conn.getresponse()
    r.read()
    c.check("IMDS token PUT without the TTL header -> 400", r.status == 400)
    conn.request("GET", "/latest/meta-data/iam/security-credentials/")
    r = conn.getresponse()
    r.read()
    c.check("IMDS GET without a token (v1) -> 401", r.status == 401)
    conn.request("PUT", "/latest/api/token", headers={
        "X-aws-ec2-metadata-token-ttl-seconds": "60", "X-Forwarded-For": "1.2.3.4"})
    r = conn.getresponse()
    r.read()
    c.check("IMDS token PUT with X-Forwarded-For -> 403", r.status == 403)
    conn.close()

    env = {"AWS_CONTAINER_CREDENTIALS_FULL_URI": ep.info["SG_CONTAINER_URI"],
           "AWS_CONTAINER_AUTHORIZATION_TOKEN": ep.info["SG_CONTAINER_TOKEN"]}
    creds = ContainerProvider(environ=env, fetcher=ContainerMetadataFetcher()).load()
    fc = creds.get_frozen_credentials() if creds else None
    c.check("container credentials through botocore's own ContainerProvider",
            fc is not None and fc.access_key.startswith("ASIA") and fc.token)
    env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong"
    try:
        ContainerProvider(environ=env, fetcher=ContainerMetadataFetcher(
            sleep=lambda s: None)).load()
        ok = False
    except Exception:
        ok = True
    c.check("container endpoint refuses a wrong authorization token", ok)
    ep.add_fault("service=imds,action=token,kind=503,count=1")
    try:
        creds = InstanceMetadataProvider(iam_role_fetcher=InstanceMetadataFetcher(
            timeout=2, num_attempts=1, base_url=ep.url,
            config={"ec2_metadata_v1_disabled": True})).load()
    except Exception as e:  # botocore: MetadataRetrievalError when v1 is disabled
        creds = None if "IMDSv2" in str(e) else e
    c.check("fault on IMDS token (503) -> botocore gets no IMDS credentials", creds is None,
            str(creds))
    ep.clear_faults()


def check_lifetime(c):
    t = time.monotonic()
    p = subprocess.Popen([sys.executable, ENDPOINT_PY, "--account",
                          os.path.join(ROOT, "fixtures/accounts/clean.json"), "--lifetime", "1"],
                         stdout=subprocess.PIPE)
    try:
        first = p.stdout.readline().decode()
        rc = p.wait(15)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    p.stdout.close()
    c.check("--lifetime 1: first line SG_ENDPOINT=http://127.0.0.1:..., exits by itself "
            "(%.1f s)" % (time.monotonic() - t),
            first.startswith("SG_ENDPOINT=http://127.0.0.1:") and rc == 0, first)
    parent = subprocess.Popen(["sleep", "30"])
    p = subprocess.Popen([sys.executable, ENDPOINT_PY, "--account",
                          os.path.join(ROOT, "fixtures/accounts/clean.json"), "--lifetime",
                          "60", "--parent-pid", str(parent.pid)], stdout=subprocess.PIPE)
    p.stdout.readline()
    parent.kill()
    parent.wait()
    try:
        rc = p.wait(10)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    p.stdout.close()
    c.check("--parent-pid: exits when the parent is gone", rc == 0)


def main():
    c = Checks("endpoint faults")
    with endpoint(["fixtures/accounts/demo.json", "fixtures/accounts/clean.json"],
                  lifetime=240) as ep:
        check_shapes(c, ep)
        check_paging(c, ep)
        check_faults(c, ep)
        check_control(c, ep)
        check_sts_ct(c, ep)
        check_creds(c, ep)
        t = time.monotonic()
        n = 50
        for _ in range(n):
            ep.call("ec2", "us-east-1", DSG + "&MaxResults=1000")
        print("     endpoint latency: %.1f ms per signed DescribeSecurityGroups (17 groups, "
              "new connection each)" % ((time.monotonic() - t) * 1000 / n))
    check_lifetime(c)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
