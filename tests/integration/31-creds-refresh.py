#!/usr/bin/env python3
"""Credentials that expire are refreshed before they do, mid-run, through the
real binary against the project's local endpoint. The endpoint issues
short-lived role credentials (--cred-ttl), so within a few seconds of real
time they cross into the refresh windows:
  - advisory (< 15 min left): refreshed; a failing refresh is tolerated while
    the old credentials are still outside the mandatory window;
  - mandatory (< 10 min left): refreshed; a failing refresh fails the call;
  - a credential_process whose Expiration is near is re-run;
  - ExpiredToken from the service makes the client drop them and resolve again.
Each run is `sg-audit call sts GetCallerIdentity --repeat 14` at 2 calls/s,
so it lasts 5 s or more. Only 127.0.0.1 is contacted."""
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks, endpoint  # noqa: E402

SG = os.environ.get("SG_AUDIT") or os.path.join(os.environ.get("SG_ROOT", "."), "sg-audit")
c = Checks("31-creds-refresh")
ROLE = "arn:aws:iam::123456789012:role/SecurityAudit"
# 14 calls at 2/s: the run spans 5 s or more (the rate limiter may allow a
# small burst), so credentials issued with 3 s of slack before a window enter
# it mid-run.
N = 14
REPEAT = ["--repeat", str(N), "--max-rate", "2", "--quiet"]
SLACK = 3


def run(args, env, timeout=120):
    p = subprocess.run([SG] + args, env=env, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def count(ep, action):
    return sum(1 for x in ep.log() if x.get("action") == action)


def ok_calls(ep, action="GetCallerIdentity"):
    return sum(1 for x in ep.log() if x.get("action") == action and x.get("status") == 200)


def role_env(ep, d):
    cfg = os.path.join(d, "config")
    cred = os.path.join(d, "credentials")
    with open(cfg, "w") as f:
        f.write("[profile audit]\nrole_arn = %s\nsource_profile = base\n"
                "role_session_name = refresh-test\n" % ROLE)
    with open(cred, "w") as f:
        f.write("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
                % (ep.access_key_id, ep.secret_access_key))
    os.chmod(cred, 0o600)
    e = ep.env()
    for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        e.pop(k)
    e.update(AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=cred, HOME=d)
    return e


with tempfile.TemporaryDirectory() as d:
    # 1. Advisory window: role credentials valid 15 min + SLACK s.
    ttl = 900 + SLACK
    with endpoint("fixtures/accounts/demo.json", extra_args=["--cred-ttl", str(ttl)]) as ep:
        env = role_env(ep, d)
        ep.clear_log()
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"] + REPEAT, env)
        n_assume = count(ep, "AssumeRole")
        c.check("advisory: every call succeeds", rc == 0 and ok_calls(ep) == N,
                "rc=%d ok=%d %s" % (rc, ok_calls(ep), err[-600:]))
        c.check("advisory: role re-assumed mid-run (%d AssumeRole calls)" % n_assume,
                n_assume >= 2, "AssumeRole=%d" % n_assume)

        # Refresh failing while still outside the mandatory window: tolerated.
        ep.clear_log()
        ep.add_fault("kind=unauthorized,action=AssumeRole,after=1")
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"] + REPEAT, env)
        c.check("advisory refresh failing: every call still succeeds on the old credentials",
                rc == 0 and ok_calls(ep) == N and count(ep, "AssumeRole") >= 2,
                "rc=%d ok=%d assume=%d %s" % (rc, ok_calls(ep), count(ep, "AssumeRole"), err[-600:]))
        ep.clear_faults()

        # ExpiredToken from the service: resolved again, the call retried.
        ep.clear_log()
        ep.add_fault("kind=expired,action=GetCallerIdentity,count=1")
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"], env)
        c.check("ExpiredToken: credentials resolved again and the call retried",
                rc == 0 and count(ep, "AssumeRole") == 2 and ok_calls(ep) == 1,
                "rc=%d assume=%d ok=%d %s" % (rc, count(ep, "AssumeRole"), ok_calls(ep), err[-600:]))
        ep.clear_faults()

    # 2. Mandatory window: role credentials valid 10 min + SLACK s.
    ttl = 600 + SLACK
    with endpoint("fixtures/accounts/demo.json", extra_args=["--cred-ttl", str(ttl)]) as ep:
        env = role_env(ep, d)
        ep.clear_log()
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"] + REPEAT, env)
        n_assume = count(ep, "AssumeRole")
        c.check("mandatory: every call succeeds", rc == 0 and ok_calls(ep) == N,
                "rc=%d ok=%d %s" % (rc, ok_calls(ep), err[-600:]))
        c.check("mandatory: role re-assumed mid-run (%d AssumeRole calls)" % n_assume,
                n_assume >= 2, "AssumeRole=%d" % n_assume)
        ep.clear_log()
        ep.add_fault("kind=unauthorized,action=AssumeRole,after=1")
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"] + REPEAT, env)
        c.check("mandatory refresh failing: the run fails, naming AssumeRole and AccessDenied",
                rc != 0 and "AssumeRole" in err and "AccessDenied" in err,
                "rc=%d %s" % (rc, err[-600:]))
        c.check("mandatory refresh failing: no call was sent with credentials that close to expiry",
                ok_calls(ep) < N, "ok=%d" % ok_calls(ep))
        ep.clear_faults()

    # 3. credential_process with an Expiration 15 min + SLACK s ahead: re-run mid-run.
    with endpoint("fixtures/accounts/demo.json") as ep:
        counter = os.path.join(d, "runs")
        helper = os.path.join(d, "helper.py")
        with open(helper, "w") as f:
            f.write("import json, time\n"
                    "open(%r, 'a').write('x')\n"
                    "exp = time.strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', time.gmtime(time.time() + %d))\n"
                    "print(json.dumps({'Version': 1, 'AccessKeyId': %r, 'SecretAccessKey': %r,"
                    " 'Expiration': exp}))\n"
                    % (counter, 900 + SLACK, ep.access_key_id, ep.secret_access_key))
        with open(os.path.join(d, "config"), "w") as f:
            f.write("[profile helper]\ncredential_process = %s %s\n" % (sys.executable, helper))
        env = role_env(ep, d)
        with open(os.path.join(d, "config"), "w") as f:
            f.write("[profile helper]\ncredential_process = %s %s\n" % (sys.executable, helper))
        ep.clear_log()
        t0 = time.monotonic()
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "helper"] + REPEAT, env)
        runs = len(open(counter).read()) if os.path.exists(counter) else 0
        c.check("credential_process: every call succeeds", rc == 0 and ok_calls(ep) == N,
                "rc=%d ok=%d %s" % (rc, ok_calls(ep), err[-600:]))
        c.check("credential_process: re-run mid-run (%d runs in %.1f s)"
                % (runs, time.monotonic() - t0), runs >= 2, "runs=%d" % runs)

sys.exit(c.finish())
