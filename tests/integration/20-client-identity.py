#!/usr/bin/env python3
"""sg-audit identity and the AWS client against the project's local endpoint:
identity output, retries (throttling, 5xx, connection errors), no retry of
authentication errors, clock-skew correction, the env endpoint override,
assume role through STS (a profile with role_arn), and a full --debug run
searched byte by byte for the secret key, the session token and the
signature. Only 127.0.0.1 is ever contacted."""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402

SG = os.environ.get("SG_AUDIT") or os.path.join(os.environ.get("SG_ROOT", "."), "sg-audit")
c = Checks("20-client-identity")


def run(args, env, timeout=60):
    p = subprocess.run([SG] + args, env=env, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def calls(ep, action="GetCallerIdentity"):
    return [x for x in ep.log() if x.get("action") == action]


with endpoint("fixtures/accounts/demo.json") as ep:
    env = ep.env()

    # 1. identity, text and JSON (endpoint from AWS_ENDPOINT_URL).
    rc, out, err = run(["identity"], env)
    c.check("identity exits 0", rc == 0, err)
    c.check("identity prints the account", "123456789012" in out, out)
    c.check("identity prints the caller ARN",
            "arn:aws:iam::123456789012:user/sg-audit" in out, out)
    c.check("identity prints partition and credential source",
            re.search(r"partition\s+aws\n", out) is not None and "environment" in out, out)
    c.check("identity never prints the key id or secret",
            ep.access_key_id not in out + err and ep.secret_access_key not in out + err)
    rc, out, err = run(["identity", "--format", "json", "--region", "eu-west-1"], env)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    c.check("identity --format json", rc == 0 and doc.get("account") == "123456789012"
            and doc.get("partition") == "aws" and doc.get("region") == "eu-west-1"
            and doc.get("credential_source") == "environment", out + err)
    c.check("STS was called in the requested region",
            any(x.get("region") == "eu-west-1" for x in calls(ep)))

    # 2. --endpoint-url flag instead of the environment.
    e2 = dict(env)
    del e2["AWS_ENDPOINT_URL"]
    rc, out, err = run(["identity", "--endpoint-url", ep.url], e2)
    c.check("--endpoint-url flag", rc == 0 and "123456789012" in out, err)

    # 3. Throttling and 5xx are retried to success.
    ep.clear_log()
    ep.add_fault("kind=throttle,action=GetCallerIdentity,count=2")
    rc, out, err = run(["identity"], env)
    n = len(calls(ep))
    c.check("throttling retried to success (3 requests)", rc == 0 and n == 3,
            "rc=%d requests=%d %s" % (rc, n, err))
    ep.clear_faults()
    ep.clear_log()
    ep.add_fault("kind=500,action=GetCallerIdentity,count=1", "kind=503,action=GetCallerIdentity,count=1")
    rc, out, err = run(["identity"], env)
    n = len(calls(ep))
    c.check("5xx retried to success (3 requests)", rc == 0 and n == 3,
            "rc=%d requests=%d %s" % (rc, n, err))
    ep.clear_faults()

    # 4. Throttling that never ends: --max-attempts bounds it, the error names the call.
    ep.clear_log()
    ep.add_fault("kind=throttle,action=GetCallerIdentity")
    rc, out, err = run(["identity", "--max-attempts", "2"], env)
    n = len(calls(ep))
    c.check("--max-attempts 2 stops after 2 requests", n == 2, "requests=%d" % n)
    c.check("exhausted throttling exits 2 (incomplete)", rc == 2, "rc=%d" % rc)
    c.check("error names region, service, action, code, HTTP status and attempts",
            "us-east-1 sts GetCallerIdentity: Throttling:" in err and "HTTP 400" in err
            and "2 attempts" in err, err)
    e3 = dict(env, AWS_MAX_ATTEMPTS="1")
    ep.clear_log()
    rc, out, err = run(["identity"], e3)
    c.check("AWS_MAX_ATTEMPTS=1: one request", len(calls(ep)) == 1, err)
    ep.clear_faults()

    # 5. Authentication errors are not retried.
    ep.clear_log()
    bad = dict(env, AWS_SECRET_ACCESS_KEY="wrong" + ep.secret_access_key[5:])
    rc, out, err = run(["identity", "--max-attempts", "5"], bad)
    n = len(calls(ep))
    c.check("bad secret: exactly one request", n == 1, "requests=%d" % n)
    c.check("bad secret: exit 4 and SignatureDoesNotMatch", rc == 4
            and "SignatureDoesNotMatch" in err, "rc=%d %s" % (rc, err))
    ep.clear_log()
    bad = dict(env, AWS_ACCESS_KEY_ID="AKIAUNKNOWNKEY000000")
    rc, out, err = run(["identity", "--max-attempts", "5"], bad)
    c.check("unknown key: one request, exit 4", rc == 4 and len(calls(ep)) == 1,
            "rc=%d %s" % (rc, err))
    ep.clear_log()
    ep.add_fault("kind=unauthorized,action=GetCallerIdentity")
    rc, out, err = run(["identity"], env)
    c.check("AccessDenied: one request, exit 4", rc == 4 and len(calls(ep)) == 1
            and "AccessDenied" in err, "rc=%d %s" % (rc, err))
    ep.clear_faults()

    # 6. Clock skew: the server's clock runs an hour ahead; corrected from Date.
    for secs in ("3600", "-2400"):
        ep.clear_log()
        ep.add_fault("kind=skew,seconds=" + secs)
        rc, out, err = run(["identity", "--debug"], env)
        n = len(calls(ep))
        c.check("skew %s s corrected and retried once (2 requests)" % secs,
                rc == 0 and n == 2, "rc=%d requests=%d %s" % (rc, n, err[-800:]))
        ep.clear_faults()

    # 7. Assume role through STS (a profile with role_arn + source_profile).
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "config")
        cred = os.path.join(d, "credentials")
        with open(cfg, "w") as f:
            f.write("[profile audit]\nrole_arn = arn:aws:iam::123456789012:role/SecurityAudit\n"
                    "source_profile = base\nrole_session_name = sg-audit-test\nregion = eu-west-1\n")
        with open(cred, "w") as f:
            f.write("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (ep.access_key_id, ep.secret_access_key))
        e4 = dict(env, AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=cred)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION"):
            e4.pop(k, None)
        ep.clear_log()
        rc, out, err = run(["identity", "--profile", "audit", "--format", "json"], e4)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        c.check("assume-role profile: caller is the assumed role",
                rc == 0 and doc.get("arn", "").startswith(
                    "arn:aws:sts::123456789012:assumed-role/SecurityAudit/sg-audit-test"),
                out + err)
        c.check("assume-role profile: source names the role",
                "assume-role" in doc.get("credential_source", ""), out)
        c.check("assume-role profile: region from the profile", doc.get("region") == "eu-west-1", out)
        log = ep.log()
        c.check("AssumeRole then GetCallerIdentity were called",
                [x.get("action") for x in log][:2] == ["AssumeRole", "GetCallerIdentity"],
                str([x.get("action") for x in log]))

        # Profile settings: max_attempts and endpoint_url from the config file.
        with open(cfg, "a") as f:
            f.write("\n[profile tuned]\nregion = eu-central-1\nmax_attempts = 1\n"
                    "endpoint_url = %s\n" % ep.url)
        with open(cred, "a") as f:
            f.write("\n[tuned]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (ep.access_key_id, ep.secret_access_key))
        e6 = dict(e4)
        e6.pop("AWS_ENDPOINT_URL", None)
        ep.clear_log()
        ep.add_fault("kind=throttle,action=GetCallerIdentity,count=1")
        rc, out, err = run(["identity", "--profile", "tuned"], e6)
        c.check("profile max_attempts = 1 and endpoint_url honoured",
                rc == 2 and len(calls(ep)) == 1 and "eu-central-1 sts" in err,
                "rc=%d %s" % (rc, err))
        ep.clear_faults()

    # 7b. Web identity: an unsigned AssumeRoleWithWebIdentity; the token never printed.
    with tempfile.TemporaryDirectory() as d:
        tok = os.path.join(d, "token")
        jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZy1hdWRpdCJ9.d2ViLWlkZW50aXR5LXRva2VuLXNlY3JldA"
        with open(tok, "w") as f:
            f.write(jwt)
        e7 = dict(env, AWS_ROLE_ARN="arn:aws:iam::123456789012:role/SecurityAudit",
                  AWS_WEB_IDENTITY_TOKEN_FILE=tok, AWS_ROLE_SESSION_NAME="pod-1")
        e7.pop("AWS_ACCESS_KEY_ID")
        e7.pop("AWS_SECRET_ACCESS_KEY")
        ep.clear_log()
        rc, out, err = run(["identity", "--debug"], e7)
        c.check("web identity: caller is the assumed role",
                rc == 0 and "assumed-role/SecurityAudit/pod-1" in out and "web-identity" in out,
                out + err)
        c.check("web identity: the AssumeRoleWithWebIdentity request is unsigned",
                "AssumeRoleWithWebIdentity attempt 1/3 body" in err and
                "Authorization" not in err.split("AssumeRoleWithWebIdentity attempt 1/3")[1].split("\n")[0],
                err)
        c.check("web identity: token not in any output", jwt not in out + err
                and jwt[-20:] not in out + err)

    # 8. A full --debug run with session credentials: no secret in any byte printed.
    sts = ep.client("sts")
    cr = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/SecurityAudit",
                         RoleSessionName="debug-check")["Credentials"]
    e5 = dict(env, AWS_ACCESS_KEY_ID=cr["AccessKeyId"], AWS_SECRET_ACCESS_KEY=cr["SecretAccessKey"],
              AWS_SESSION_TOKEN=cr["SessionToken"])
    ep.add_fault("kind=throttle,action=GetCallerIdentity,count=1")
    rc, out, err = run(["identity", "--debug"], e5)
    ep.clear_faults()
    everything = out + err
    c.check("--debug run succeeds with a session token", rc == 0 and "assumed-role" in out, err)
    c.check("--debug logs requests and responses",
            "> POST " in err and "< 200 " in err and "< 400 " in err, err[:500])
    c.check("--debug shows Authorization and token as [REDACTED]",
            "Authorization: [REDACTED]" in err and "X-Amz-Security-Token: [REDACTED]" in err)
    c.check("no secret key in output", cr["SecretAccessKey"] not in everything)
    c.check("no session token (or a 24-byte piece of it) in output",
            all(cr["SessionToken"][i:i + 24] not in everything
                for i in range(0, len(cr["SessionToken"]) - 24, 8)))
    c.check("no signature in output", re.search(r"[0-9a-f]{64}", everything) is None
            and "Signature=" not in everything and "Credential=" not in everything)

    # 9. Connection errors are retried, then reported (a port nobody listens on).
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    dead = "http://127.0.0.1:%d" % s.getsockname()[1]
    s.close()
    rc, out, err = run(["identity", "--endpoint-url", dead, "--max-attempts", "2"], env)
    c.check("connection refused: exit 2 after 2 attempts", rc == 2 and "2 attempts" in err,
            "rc=%d %s" % (rc, err))

    # 10. Bad flags are usage errors.
    rc, out, err = run(["identity", "--endpoint-url", "ftp://x"], env)
    c.check("bad --endpoint-url is a usage error", rc == 3, err)
    rc, out, err = run(["identity", "--max-attempts", "0"], env)
    c.check("bad --max-attempts is a usage error", rc == 3, err)
    rc, out, err = run(["identity"], dict(env, AWS_MAX_ATTEMPTS="x"))
    c.check("bad AWS_MAX_ATTEMPTS is a usage error", rc == 3 and "AWS_MAX_ATTEMPTS" in err, err)

sys.exit(c.finish())
