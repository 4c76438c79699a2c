#!/usr/bin/env python3
"""`sg-audit events` (LookupEvents) against the recorded CloudTrail API samples
of ../shared/reference/samples, replayed by a small server on 127.0.0.1:

  cloudtrail-lookup-events.json            page 1 (with NextToken) of every series
  cloudtrail-lookup-events-request*.json   the request shape sent (keys, types, NextToken)
  cloudtrail-error-throttling.json         retried, then the region is incomplete (exit 2)
  cloudtrail-error-expired-token.json      credentials refused everywhere (exit 4)
  cloudtrail-error-unrecognized-client.json
  cloudtrail-error-invalid-time-range.json the series fail, named (exit 2)
"""
import http.server
import json
import os
import subprocess
import sys
import threading
import uuid

SG_AUDIT = os.environ["SG_AUDIT"]
ROOT = os.environ.get("SG_ROOT", ".")
SHARED = os.environ.get("SG_SHARED", os.path.join(ROOT, "..", "shared"))
S = os.path.join(SHARED, "reference", "samples")


def sample(name):
    with open(os.path.join(S, name), "rb") as f:
        return f.read()


PAGE1 = sample("cloudtrail-lookup-events.json")
TOKEN = json.loads(PAGE1)["NextToken"]
REQ1 = json.loads(sample("cloudtrail-lookup-events-request.json"))
REQ2 = json.loads(sample("cloudtrail-lookup-events-request-page2.json"))


class State:
    scenario = "samples"
    requests = []
    lock = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n)
        try:
            req = json.loads(body)
        except ValueError:
            req = None
        with State.lock:
            State.requests.append({"target": self.headers.get("X-Amz-Target"),
                                   "ctype": self.headers.get("Content-Type"),
                                   "auth": self.headers.get("Authorization", ""), "body": req})
        status, out = 200, PAGE1
        sc = State.scenario
        if sc == "samples":
            if isinstance(req, dict) and req.get("NextToken") == TOKEN:
                out = b'{"Events": []}'
            elif isinstance(req, dict) and req.get("NextToken"):
                status, out = 400, b'{"__type": "InvalidNextTokenException", "message": "bad"}'
        else:
            status, out = 400, sample("cloudtrail-error-%s.json" % sc)
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

checks = Checks("63-events-lookup-samples")
check = checks.check


def run(url, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
                "AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1"})
    p = subprocess.run([SG_AUDIT, "events", "--endpoint-url", url, "--regions", "us-east-1",
                        "--since", "1714521600", "--until", "1714608000"] + list(args),
                       capture_output=True, text=True, env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def main():
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d" % srv.server_address[1]
    timer = threading.Timer(200, srv.shutdown)   # never outlive the test
    timer.daemon = True
    timer.start()
    try:
        rc, out, err = run(url, "--stats")
        docs = [json.loads(x) for x in out.splitlines()]
        ids = sorted((d["event"]["id"], d["event"]["risk_score"]) for d in docs)
        check("sample page: SSH (90) and ModifySecurityGroupRules (90) alerts, exit 1",
              rc == 1 and ids == [("2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a8b", 90),
                                  ("5d0a5b8e-6f1c-4a4e-9c2d-1b7e3f9a0c11", 90)],
              "rc=%d %s %s" % (rc, ids, err[-400:]))
        check("the same events from six series counted as duplicates",
              "15 duplicate" in err, err[-300:])
        reqs = State.requests
        names = sorted({r["body"]["LookupAttributes"][0]["AttributeValue"] for r in reqs})
        check("12 requests: six event names, two pages each", len(reqs) == 12 and names == sorted([
            "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
            "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateSecurityGroup",
            "ModifySecurityGroupRules"]), "%d %s" % (len(reqs), names))
        first = [r["body"] for r in reqs if "NextToken" not in r["body"]]
        second = [r["body"] for r in reqs if "NextToken" in r["body"]]
        check("page-1 request has the sample's keys and types",
              all(sorted(b) == sorted(REQ1) and b["StartTime"] == REQ1["StartTime"] and
                  b["EndTime"] == REQ1["EndTime"] and b["MaxResults"] == 50 and
                  isinstance(b["StartTime"], int) and len(b["LookupAttributes"]) == 1 and
                  b["LookupAttributes"][0]["AttributeKey"] == "EventName" for b in first),
              json.dumps(first[:1]))
        check("page-2 request carries the sample's NextToken unchanged, other keys identical",
              len(second) == 6 and all(b["NextToken"] == REQ2["NextToken"] and
                                       sorted(b) == sorted(REQ2) for b in second),
              json.dumps(second[:1]))
        check("JSON 1.1 headers and a SigV4 signature for cloudtrail",
              all(r["target"] == "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101."
                  "LookupEvents" and r["ctype"] == "application/x-amz-json-1.1" and
                  "/us-east-1/cloudtrail/aws4_request" in r["auth"] for r in reqs),
              json.dumps(reqs[0], default=str)[:300])

        for sc, want_rc, want in (("throttling", 2, "ThrottlingException"),
                                  ("invalid-time-range", 2, "InvalidTimeRangeException"),
                                  ("expired-token", 4, "ExpiredTokenException"),
                                  ("unrecognized-client", 4, "UnrecognizedClientException")):
            State.scenario = sc
            State.requests = []
            rc, out, err = run(url, "--max-attempts", "2")
            check("cloudtrail-error-%s.json: exit %d, %s named" % (sc, want_rc, want),
                  rc == want_rc and want in err and out == "" and
                  "wJalrXUtnFEMI" not in err, "rc=%d %s" % (rc, err[-500:]))
    finally:
        srv.shutdown()
        timer.cancel()
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
