#!/usr/bin/env python3
"""Credentials that expire are refreshed before they do, mid-run, through the
real binary against the project's local endpoint -- and only then, not on
every request. The refresh windows are sized to the credentials' lifetime
(advisory min(15 min, lifetime/2), mandatory min(10 min, lifetime/4)), so the
endpoint issues credentials living a few seconds (--cred-ttl) and they cross
both windows within one run:
  - duration_seconds = 900 (the AWS minimum): one AssumeRole for a whole scan;
  - short-lived role credentials are refreshed mid-run, a few times, not per call;
  - a failing refresh inside the mandatory window fails the run;
  - a credential_process whose Expiration is near is re-run, not per call;
  - ExpiredToken from the service makes the client drop them and resolve again.
(The advisory-failure-tolerated path is timing-sensitive in real time; the
fake-clock unit tests in tests/test_creds.c cover it.) Only 127.0.0.1 is
contacted."""
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
# 24 calls at 2/s: the run spans 9 s or more (the rate limiter may allow a
# small burst); credentials living TTL s enter the advisory window after TTL/2
# and the mandatory one after 3*TTL/4.
N = 24
REPEAT = ["--repeat", str(N), "--max-rate", "2", "--quiet"]
TTL = 10


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
    # 0. The reviewer's repro: duration_seconds = 900, a three-region scan.
    with endpoint("fixtures/accounts/demo.json") as ep:
        env = role_env(ep, d)
        with open(os.path.join(d, "config"), "a") as f:
            f.write("duration_seconds = 900\n")
        ep.clear_log()
        rc, out, err = run(["scan", "--profile", "audit", "--regions",
                            "us-east-1,eu-west-1,us-west-2", "--endpoint-url", ep.url,
                            "--debug"], env)
        n_assume = count(ep, "AssumeRole")
        n_other = sum(1 for x in ep.log() if x.get("action") not in ("AssumeRole", None))
        c.check("900 s role credentials: one AssumeRole for the whole scan (%d for %d calls)"
                % (n_assume, n_other), n_assume == 1 and n_other >= 3,
                "rc=%d assume=%d calls=%d %s" % (rc, n_assume, n_other, err[-600:]))

    # 1. Role credentials living TTL s: refreshed mid-run, not per call.
    with endpoint("fixtures/accounts/demo.json", extra_args=["--cred-ttl", str(TTL)]) as ep:
        env = role_env(ep, d)
        ep.clear_log()
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"] + REPEAT, env)
        n_assume = count(ep, "AssumeRole")
        c.check("short-lived: every call succeeds", rc == 0 and ok_calls(ep) == N,
                "rc=%d ok=%d %s" % (rc, ok_calls(ep), err[-600:]))
        c.check("short-lived: role re-assumed mid-run, not per call (%d AssumeRole for %d calls)"
                % (n_assume, N), 2 <= n_assume <= N // 3, "AssumeRole=%d" % n_assume)

        # ExpiredToken from the service: resolved again, the call retried.
        ep.clear_log()
        ep.add_fault("kind=expired,action=GetCallerIdentity,count=1")
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"], env)
        c.check("ExpiredToken: credentials resolved again and the call retried",
                rc == 0 and count(ep, "AssumeRole") == 2 and ok_calls(ep) == 1,
                "rc=%d assume=%d ok=%d %s" % (rc, count(ep, "AssumeRole"), ok_calls(ep), err[-600:]))
        ep.clear_faults()

        # 2. Every refresh failing: the mandatory window fails the run.
        ep.clear_log()
        ep.add_fault("kind=unauthorized,action=AssumeRole,after=1")
        rc, out, err = run(["call", "sts", "GetCallerIdentity", "--profile", "audit"] + REPEAT, env)
        c.check("mandatory refresh failing: the run fails, naming AssumeRole and AccessDenied",
                rc != 0 and "AssumeRole" in err and "AccessDenied" in err,
                "rc=%d %s" % (rc, err[-600:]))
        c.check("mandatory refresh failing: no call was sent with credentials that close to expiry",
                ok_calls(ep) < N, "ok=%d" % ok_calls(ep))
        ep.clear_faults()

    # 3. credential_process with an Expiration TTL s ahead: re-run mid-run, not per call.
    with endpoint("fixtures/accounts/demo.json") as ep:
        counter = os.path.join(d, "runs")
        helper = os.path.join(d, "helper.py")
        with open(helper, "w") as f:
            f.write("import json, time\n"
                    "open(%r, 'a').write('x')\n"
                    "exp = time.strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', time.gmtime(time.time() + %d))\n"
                    "print(json.dumps({'Version': 1, 'AccessKeyId': %r, 'SecretAccessKey': %r,"
                    " 'Expiration': exp}))\n"
                    % (counter, TTL, ep.access_key_id, ep.secret_access_key))
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
                % (runs, time.monotonic() - t0), 2 <= runs <= N // 3, "runs=%d" % runs)

sys.exit(c.finish())
