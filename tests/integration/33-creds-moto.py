#!/usr/bin/env python3
"""Credential sources against moto (the independent stand-in), through the real
binary: environment, --profile over the credentials and config files,
credential_process, assume role through moto's STS (source_profile, a chain of
two roles, credential_source = Environment) and a refused AssumeRole. moto
checks every signature, including those made with the session token of an
assumed role.

This test starts its own moto_server on 127.0.0.1 (a free port, killed at the
end and by a timeout) with IAM authentication switched on after the first
seven requests, which create the user, its key and the two roles with their
policies. (tests/moto/launch.py's audit user may not call sts:AssumeRole.)
Not covered here, and why: IMDS and container credentials (moto does not
serve them; 30-creds-sources covers them on the project's endpoint) and web
identity (moto 5.2.1 answers an unsigned AssumeRoleWithWebIdentity with HTTP
500 when IAM authentication is on)."""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
import sgscan  # noqa: E402
from sgendpoints import Checks  # noqa: E402

c = Checks("33-creds-moto")
ACCT = "123456789012"  # moto's default account
SETUP_REQUESTS = 7


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_moto():
    exe = shutil.which("moto_server")
    if exe is None:
        return None, None
    port = free_port()
    env = dict(os.environ, INITIAL_NO_AUTH_ACTION_COUNT=str(SETUP_REQUESTS))
    for k in list(env):
        if k.startswith("AWS_"):
            del env[k]
    proc = subprocess.Popen(["timeout", "-k", "5", "240", exe, "-H", "127.0.0.1", "-p", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url + "/moto-api/data.json", timeout=2) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    proc.kill()
    return None, None


printed = []


def run(args, env, timeout=60):
    return sgscan.run(args, env, timeout=timeout, errors="replace", record=printed)


def identity(env, *extra):
    return sgscan.identity(env, *extra, record=printed)


proc, url = start_moto()
if not c.check("moto_server started on 127.0.0.1", proc is not None):
    sys.exit(c.finish())
try:
    import boto3

    def client(svc, akid="AKIASETUP", secret="setup"):
        return boto3.session.Session().client(svc, region_name="us-east-1", endpoint_url=url,
                                              aws_access_key_id=akid,
                                              aws_secret_access_key=secret)

    # The seven unauthenticated setup requests.
    iam = client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role_policy = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": ["sts:GetCallerIdentity", "sts:AssumeRole", "ec2:Describe*"],
        "Resource": "*"}]}
    user_policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
        {"Effect": "Allow", "Action": "sts:AssumeRole",
         "Resource": "arn:aws:iam::%s:role/SecurityAudit" % ACCT}]}
    iam.create_user(UserName="auditor")
    iam.put_user_policy(UserName="auditor", PolicyName="p", PolicyDocument=json.dumps(user_policy))
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    role1 = iam.create_role(RoleName="SecurityAudit",
                            AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="SecurityAudit", PolicyName="p",
                        PolicyDocument=json.dumps(role_policy))
    role2 = iam.create_role(RoleName="OrgAudit",
                            AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    iam.put_role_policy(RoleName="OrgAudit", PolicyName="p",
                        PolicyDocument=json.dumps(role_policy))
    akid, secret = key["AccessKeyId"], key["SecretAccessKey"]
    try:
        client("sts", "AKIANOBODY0000000000", "x" * 40).get_caller_identity()
        authed = False
    except Exception:  # noqa: BLE001 - any refusal means authentication is on
        authed = True
    c.check("moto: IAM authentication is on after setup", authed)

    with tempfile.TemporaryDirectory() as d:
        cfg, cred = os.path.join(d, "config"), os.path.join(d, "credentials")

        def env(keys=False, **kw):
            e = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
            e.update(AWS_ENDPOINT_URL=url, AWS_REGION="us-east-1", AWS_CONFIG_FILE=cfg,
                     AWS_SHARED_CREDENTIALS_FILE=cred, AWS_EC2_METADATA_DISABLED="true", HOME=d)
            if keys:
                e.update(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
            e.update(kw)
            return e

        def write(path, text):
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o600)

        helper = os.path.join(d, "helper.py")
        write(helper, "import json\nprint(json.dumps({'Version': 1, 'AccessKeyId': %r, "
              "'SecretAccessKey': %r}))\n" % (akid, secret))
        write(cred, "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (akid, secret))
        write(cfg, "[profile cfgkeys]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
              "[profile helper]\ncredential_process = %s %s\n"
              "[profile audit]\nrole_arn = %s\nsource_profile = base\nrole_session_name = moto-33\n"
              "[profile org]\nrole_arn = %s\nsource_profile = audit\nrole_session_name = org-hop\n"
              "[profile fromenv]\nrole_arn = %s\ncredential_source = Environment\n"
              "[profile forbidden]\nrole_arn = %s\nsource_profile = base\n"
              % (akid, secret, sys.executable, helper, role1, role2, role1, role2))
        user_arn = "arn:aws:iam::%s:user/auditor" % ACCT

        rc, doc, err = identity(env(keys=True))
        c.check("environment", rc == 0 and doc.get("arn") == user_arn
                and doc.get("credential_source") == "environment", err + str(doc))
        rc, doc, err = identity(env(keys=True, AWS_SECRET_ACCESS_KEY="x" * 40), "--profile", "base")
        c.check("--profile base (credentials file), environment ignored",
                rc == 0 and doc.get("credential_source") == "profile base (credentials file)", err)
        rc, doc, err = identity(env(), "--profile", "cfgkeys")
        c.check("config file static keys",
                rc == 0 and doc.get("credential_source") == "profile cfgkeys (config file)", err)
        rc, doc, err = identity(env(), "--profile", "helper")
        c.check("credential_process", rc == 0 and doc.get("arn") == user_arn
                and doc.get("credential_source") == "credential_process (profile helper)", err)
        rc, doc, err = identity(env(), "--profile", "audit")
        c.check("assume role through moto STS; moto accepts the session-token signature",
                rc == 0 and doc.get("arn") == "arn:aws:sts::%s:assumed-role/SecurityAudit/moto-33"
                % ACCT and doc.get("credential_source") == "assume-role " + role1, err + str(doc))
        rc, doc, err = identity(env(), "--profile", "org")
        c.check("role chain (SecurityAudit -> OrgAudit)",
                rc == 0 and doc.get("arn", "").endswith("assumed-role/OrgAudit/org-hop"),
                err + str(doc))
        rc, doc, err = identity(env(keys=True), "--profile", "fromenv")
        c.check("credential_source = Environment",
                rc == 0 and "assumed-role/SecurityAudit/" in doc.get("arn", ""), err + str(doc))
        rc, doc, err = identity(env(), "--profile", "forbidden")
        c.check("AssumeRole refused by moto's IAM: exit 4, AccessDenied, profile and role named",
                rc == 4 and "AccessDenied" in err and "profile forbidden: AssumeRole " + role2 in err,
                "rc=%d %s" % (rc, err))
        c.check("no secret in any output (%d runs)" % len(printed),
                not any(secret in x for x in printed))
finally:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()

sys.exit(c.finish())
