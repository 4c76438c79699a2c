#!/usr/bin/env python3
"""A request signed with the wrong secret is refused by both stand-ins, with
the real error shape; a correctly signed one is accepted (the control).
Also: the endpoint's own SigV4 verifier reproduces the shared known answers,
and rejects each way a signature can be wrong."""
import hashlib
import json
import os
import sys
import time
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
# SG_SHARED may hold more than one candidate path; take the first that exists.
SHARED = next((p for p in (os.environ.get("SG_SHARED", "").split()
                           + [os.path.join(os.path.dirname(ROOT), "shared")])
               if os.path.isdir(os.path.join(p, "reference"))),
              os.path.join(os.path.dirname(ROOT), "shared"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
sys.path.insert(0, os.path.join(ROOT, "tests", "endpoint"))
from sgendpoints import Checks, endpoint, moto  # noqa: E402
import sgfixture as fx  # noqa: E402
import sigv4check  # noqa: E402

EC2_BODY = b"Action=DescribeSecurityGroups&Version=2016-11-15&MaxResults=5"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
CT_TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"


def amz_now(offset=0):
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + offset))


def raw(url, headers, body, method="POST"):
    req = urllib.request.Request(url + "/", data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def signed(srv, region, service, body, secret=None, key=None, offset=0, ctype=FORM,
           extra=None, token=None):
    h = {"Content-Type": ctype}
    h.update(extra or {})
    return sigv4check.sign(key or srv.access_key_id, secret or srv.secret_access_key,
                           region, service, amz_now(offset), "POST", srv.url + "/", h, body,
                           token)


def ec2_err(body, strict=True):
    """(Code, RequestID) of an EC2 error document, None if not that shape.
    strict=False also takes moto's <ErrorResponse> root (moto's own shape)."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    if root.tag != "Response" and (strict or root.tag != "ErrorResponse"):
        return None
    code = root.find("./Errors/Error/Code")
    rid = root.find("./RequestID")
    return (code.text if code is not None else None, rid.text if rid is not None else None)


def check_known_answers(c):
    path = os.path.join(SHARED, "reference", "samples", "sigv4-known-answers.json")
    with open(path, encoding="utf-8") as f:
        cases = json.load(f)["cases"]
    for k in cases:
        i = k["inputs"]
        hs = dict(k["signed_headers_sent"])
        hs["Host"] = i["url"].split("/")[2]
        a = sigv4check.parse_authorization(hs.pop("Authorization"))
        ok, creq, sts = sigv4check.verify(i["secret_access_key"], a, hs["X-Amz-Date"],
                                          i["method"], "/", "", list(hs.items()),
                                          i["body"].encode())
        c.check("sigv4check verifies shared known answer %s (canonical request, string to "
                "sign, signature)" % k["name"],
                ok and creq == k["canonical_request"] and sts == k["string_to_sign"])
        again = sigv4check.sign(i["access_key_id"], i["secret_access_key"], i["region"],
                                i["service"], i["time_utc"], i["method"], i["url"],
                                i["headers_before_signing"], i["body"].encode(),
                                i["session_token"])
        c.check("sigv4check signs %s identically" % k["name"],
                again["Authorization"] == k["signed_headers_sent"]["Authorization"])


def check_cli(c, srv, label):
    rc, d, err = fx.aws(srv, "us-east-1", "ec2", "describe-security-groups")
    c.check("%s: EC2 with the right secret is accepted (control)" % label, rc == 0, err[-200:])
    rc, d, err = fx.aws(srv, "us-east-1", "sts", "get-caller-identity")
    c.check("%s: STS with the right secret is accepted (control)" % label, rc == 0, err[-200:])

    class Wrong:
        url = srv.url
        access_key_id = srv.access_key_id
        secret_access_key = srv.secret_access_key[:-4] + "AAAA"
        env = srv.env.__func__

    w = Wrong()
    rc, d, err = fx.aws(w, "us-east-1", "ec2", "describe-security-groups")
    c.check("%s: EC2 signed with the wrong secret -> AuthFailure" % label,
            rc != 0 and "(AuthFailure)" in err, err[-200:])
    rc, d, err = fx.aws(w, "us-east-1", "sts", "get-caller-identity")
    c.check("%s: STS signed with the wrong secret -> SignatureDoesNotMatch" % label,
            rc != 0 and "(SignatureDoesNotMatch)" in err, err[-200:])
    w.access_key_id = "AKIA" + "Z" * 16
    w.secret_access_key = srv.secret_access_key
    rc, d, err = fx.aws(w, "us-east-1", "ec2", "describe-security-groups")
    c.check("%s: EC2 with an unknown key id -> AuthFailure" % label,
            rc != 0 and "(AuthFailure)" in err, err[-200:])
    rc, d, err = fx.aws(w, "us-east-1", "sts", "get-caller-identity")
    c.check("%s: STS with an unknown key id -> InvalidClientTokenId" % label,
            rc != 0 and "(InvalidClientTokenId)" in err, err[-200:])


def check_raw(c, srv, label, full):
    """Hand-signed requests (our signer), right and wrong in specific ways."""
    st, body, _ = raw(srv.url, signed(srv, "us-east-1", "ec2", EC2_BODY), EC2_BODY)
    c.check("%s: hand-signed EC2 request accepted" % label, st == 200, body[-200:])
    st, body, hd = raw(srv.url, signed(srv, "us-east-1", "ec2", EC2_BODY, secret="x" * 40),
                       EC2_BODY)
    e = ec2_err(body, full)
    if full:
        c.check("%s: wrong secret -> 401 <Response><Errors><Error><Code>AuthFailure + RequestID"
                % label, st == 401 and e and e[0] == "AuthFailure" and e[1],
                "%s %s" % (st, body))
    else:
        c.check("%s: wrong secret -> 401 AuthFailure (moto's own <ErrorResponse> shape)"
                % label, st == 401 and e and e[0] == "AuthFailure", "%s %s" % (st, body))
    h = signed(srv, "us-east-1", "ec2", EC2_BODY)
    st, body, _ = raw(srv.url, h, EC2_BODY.replace(b"MaxResults=5", b"MaxResults=6"))
    c.check("%s: body changed after signing -> AuthFailure" % label,
            st == 401 and (ec2_err(body, full) or ("",))[0] == "AuthFailure",
            "%s %s" % (st, body))
    if not full:
        return
    # Below: only the project's endpoint (moto's checks are not all this strict).
    h = signed(srv, "us-east-1", "ec2", EC2_BODY)
    h["Authorization"] = h["Authorization"].replace("/us-east-1/", "/eu-west-1/")
    st, body, _ = raw(srv.url, h, EC2_BODY)
    c.check("%s: region in the scope changed after signing -> AuthFailure" % label,
            st == 401, "%s %s" % (st, body))
    h = signed(srv, "us-east-1", "ec2", EC2_BODY, offset=-1200)
    st, body, _ = raw(srv.url, h, EC2_BODY)
    c.check("%s: EC2 signed 20 min in the past -> RequestExpired 400" % label,
            st == 400 and (ec2_err(body) or ("",))[0] == "RequestExpired", "%s %s" % (st, body))
    h = signed(srv, "us-east-1", "ec2", EC2_BODY, offset=-600)
    st, body, _ = raw(srv.url, h, EC2_BODY)
    c.check("%s: EC2 signed 10 min in the past is still fine (15 min window)" % label,
            st == 200, "%s %s" % (st, body[:200]))
    sts_body = b"Action=GetCallerIdentity&Version=2011-06-15"
    h = signed(srv, "us-east-1", "sts", sts_body, offset=-600)
    st, body, _ = raw(srv.url, h, sts_body)
    ok = False
    try:
        root = ET.fromstring(body)
        ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
        ok = (root.tag.endswith("ErrorResponse")
              and root.find("s:Error/s:Type", ns).text == "Sender"
              and root.find("s:Error/s:Code", ns).text == "SignatureDoesNotMatch"
              and "Signature expired" in root.find("s:Error/s:Message", ns).text
              and root.find("s:RequestId", ns).text)
    except (ET.ParseError, AttributeError):
        pass
    c.check("%s: STS signed 10 min in the past -> 403 SignatureDoesNotMatch 'Signature "
            "expired' in <ErrorResponse>" % label, st == 403 and ok, "%s %s" % (st, body))
    ct_body = b"{}"
    h = signed(srv, "us-east-1", "cloudtrail", ct_body, secret="y" * 40,
               ctype="application/x-amz-json-1.1", extra={"X-Amz-Target": CT_TARGET})
    st, body, hd = raw(srv.url, h, ct_body)
    try:
        d = json.loads(body)
    except ValueError:
        d = {}
    c.check("%s: CloudTrail with the wrong secret -> 400 JSON InvalidSignatureException "
            "+ x-amzn-RequestId" % label,
            st == 400 and d.get("__type") == "InvalidSignatureException"
            and any(k.lower() == "x-amzn-requestid" for k in hd), "%s %s" % (st, body))
    h = signed(srv, "us-east-1", "ec2", EC2_BODY)
    h["X-Amz-Content-Sha256"] = hashlib.sha256(b"other").hexdigest()
    st, body, _ = raw(srv.url, h, EC2_BODY)
    c.check("%s: X-Amz-Content-Sha256 not matching the body -> refused" % label, st == 401,
            "%s %s" % (st, body))
    h = signed(srv, "us-east-1", "ec2", EC2_BODY)
    del h["Authorization"]
    st, body, _ = raw(srv.url, h, EC2_BODY)
    c.check("%s: unsigned EC2 request -> AuthFailure" % label, st == 401, "%s %s" % (st, body))
    # Temporary credentials need their token, and expire.
    ar = (b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012"
          b"%3Arole%2FSecurityAudit&RoleSessionName=sg-audit-test")
    st, body, _ = raw(srv.url, signed(srv, "us-east-1", "sts", ar), ar)
    ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
    try:
        root = ET.fromstring(body)
        cr = root.find("s:AssumeRoleResult/s:Credentials", ns)
        tmp = {x: cr.find("s:" + x, ns).text for x in ("AccessKeyId", "SecretAccessKey",
                                                        "SessionToken")}
    except (ET.ParseError, AttributeError):
        tmp = None
    if c.check("%s: AssumeRole returns temporary credentials" % label, st == 200 and tmp,
               body[:300]):
        st, body, _ = raw(srv.url, signed(srv, "us-east-1", "ec2", EC2_BODY,
                                          key=tmp["AccessKeyId"], secret=tmp["SecretAccessKey"],
                                          token=tmp["SessionToken"]), EC2_BODY)
        c.check("%s: temporary credentials + session token accepted" % label, st == 200,
                body[:200])
        st, body, _ = raw(srv.url, signed(srv, "us-east-1", "ec2", EC2_BODY,
                                          key=tmp["AccessKeyId"],
                                          secret=tmp["SecretAccessKey"]), EC2_BODY)
        c.check("%s: temporary credentials without the session token -> AuthFailure" % label,
                st == 401, "%s %s" % (st, body))


def main():
    c = Checks("bad signature")
    check_known_answers(c)
    with endpoint("fixtures/accounts/demo.json", lifetime=120) as ep:
        check_cli(c, ep, "endpoint")
        check_raw(c, ep, "endpoint", True)
        with endpoint("fixtures/accounts/demo.json", lifetime=60,
                      extra_args=["--cred-ttl", "1"]) as ep2:
            ar = (b"Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A"
                  b"123456789012%3Arole%2FSecurityAudit&RoleSessionName=short")
            st, body, _ = raw(ep2.url, signed(ep2, "us-east-1", "sts", ar), ar)
            ns = {"s": "https://sts.amazonaws.com/doc/2011-06-15/"}
            cr = ET.fromstring(body).find("s:AssumeRoleResult/s:Credentials", ns)
            tmp = {x: cr.find("s:" + x, ns).text for x in ("AccessKeyId", "SecretAccessKey",
                                                            "SessionToken")}
            time.sleep(1.5)
            st, body, _ = raw(ep2.url, signed(ep2, "us-east-1", "ec2", EC2_BODY,
                                              key=tmp["AccessKeyId"],
                                              secret=tmp["SecretAccessKey"],
                                              token=tmp["SessionToken"]), EC2_BODY)
            c.check("endpoint: expired temporary credentials -> EC2 RequestExpired",
                    st == 400 and (ec2_err(body) or ("",))[0] == "RequestExpired",
                    "%s %s" % (st, body))
            sts_body = b"Action=GetCallerIdentity&Version=2011-06-15"
            st, body, _ = raw(ep2.url, signed(ep2, "us-east-1", "sts", sts_body,
                                              key=tmp["AccessKeyId"],
                                              secret=tmp["SecretAccessKey"],
                                              token=tmp["SessionToken"]), sts_body)
            c.check("endpoint: expired temporary credentials -> STS ExpiredToken 403",
                    st == 403 and b"<Code>ExpiredToken</Code>" in body, "%s %s" % (st, body))
    with moto("fixtures/accounts/clean.json", lifetime=120) as m:
        check_cli(c, m, "moto")
        check_raw(c, m, "moto", False)
    return c.finish()


if __name__ == "__main__":
    sys.exit(main())
