#!/usr/bin/env python3
"""Every credential source resolves against the project's local endpoint, run
through the real binary (`sg-audit identity`): environment, --profile over the
shared files ([profile x] vs [x]), credential_process, container (full URI,
token and token file), IMDSv2, assume role through STS (source_profile,
chains, credential_source), web identity; plus the clear messages for MFA,
SSO, bad files and failing helpers, the permissions warning, and a search of
every byte printed for the secrets handed out. Only 127.0.0.1 is contacted:
IMDS is disabled unless a case points it at the local endpoint."""
import os
import sys
import tempfile
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
import sgscan  # noqa: E402
from sgendpoints import Checks, endpoint  # noqa: E402

PY = sys.executable
c = Checks("30-creds-sources")
printed = []          # every byte sg-audit printed, searched for secrets at the end
secrets_seen = set()  # every secret key / token handed to or issued for sg-audit

DEMO = "123456789012"
CLEAN = "111122223333"
ROLE = "arn:aws:iam::%s:role/SecurityAudit" % DEMO
ROLE2 = "arn:aws:iam::%s:role/SecurityAudit" % CLEAN


def run(args, env, timeout=60):
    return sgscan.run(args, env, timeout=timeout, errors="replace", record=printed)


def identity(env, *extra):
    return sgscan.identity(env, *extra, record=printed)


def actions(ep):
    return [(x.get("service"), x.get("action")) for x in ep.log()]


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def in_future(seconds):
    t = datetime.now(timezone.utc) + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


with endpoint(["fixtures/accounts/demo.json", "fixtures/accounts/clean.json"]) as ep, \
        tempfile.TemporaryDirectory() as d:
    base = ep.env()
    secrets_seen.add(ep.secret_access_key)
    cfg = os.path.join(d, "config")
    cred = os.path.join(d, "credentials")

    def env(keys=False, **kw):
        """The endpoint's environment with our files; keys only when asked."""
        e = dict(base, AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=cred, HOME=d)
        if not keys:
            e.pop("AWS_ACCESS_KEY_ID")
            e.pop("AWS_SECRET_ACCESS_KEY")
        for k, v in kw.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    akid, secret = ep.access_key_id, ep.secret_access_key
    write(cred, "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
          "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
          % (akid, secret, akid, secret))
    write(cfg, "[default]\nregion = us-east-1\n")

    # 1. Environment.
    rc, doc, err = identity(env(keys=True))
    c.check("environment: resolves", rc == 0 and doc.get("account") == DEMO, err)
    rc, doc, err = identity(dict(base))
    c.check("files set to /dev/null (as tests do): resolves, nothing on stderr",
            rc == 0 and err == "", err)
    c.check("environment: source is 'environment'", doc.get("credential_source") == "environment",
            str(doc))

    # 2. --profile turns the environment off; AWS_PROFILE does not.
    bad_env = env(keys=True, AWS_ACCESS_KEY_ID="AKIAWRONGWRONGWRONG0",
                  AWS_SECRET_ACCESS_KEY="wrong/secret+wrong")
    rc, doc, err = identity(bad_env, "--profile", "base")
    c.check("--profile skips the environment (credentials file used)",
            rc == 0 and doc.get("credential_source") == "profile base (credentials file)", err)
    rc, doc, err = identity(dict(bad_env, AWS_PROFILE="base"))
    c.check("AWS_PROFILE does not beat environment keys", rc == 4, "rc=%d %s" % (rc, err))
    rc, doc, err = identity(env(AWS_PROFILE="base"))
    c.check("AWS_PROFILE selects the credentials-file profile",
            rc == 0 and doc.get("credential_source") == "profile base (credentials file)", err)
    rc, doc, err = identity(env())
    c.check("no profile: [default] of the credentials file",
            rc == 0 and doc.get("credential_source") == "profile default (credentials file)", err)

    # 3. Config file: [profile x] is a profile, bare [x] is not.
    write(cfg, "[default]\nregion = us-east-1\n"
          "[profile cfgkeys]\naws_access_key_id = %s\naws_secret_access_key = %s\n"
          "region = eu-west-1\n"
          "[bare]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (akid, secret, akid, secret))
    rc, doc, err = identity(env(AWS_REGION=None, AWS_DEFAULT_REGION=None), "--profile", "cfgkeys")
    c.check("config file [profile x] static keys",
            rc == 0 and doc.get("credential_source") == "profile cfgkeys (config file)"
            and doc.get("region") == "eu-west-1", err + str(doc))
    rc, doc, err = identity(env(), "--profile", "bare")
    c.check("bare [x] in the config file is not a profile",
            rc == 3 and "profile 'bare' not found in" in err, "rc=%d %s" % (rc, err))

    # 4. credential_process: quoted arguments, JSON with Expiration.
    helper = os.path.join(d, "helper with space.py")
    write(helper, "import json, sys\n"
          "assert sys.argv[1:] == ['--role', 'Security Audit'], sys.argv\n"
          "open(%r, 'a').write('run\\n')\n"
          "print(json.dumps({'Version': 1, 'AccessKeyId': %r, 'SecretAccessKey': %r,"
          " 'Expiration': %r}))\n" % (os.path.join(d, "helper.count"), akid, secret,
                                      in_future(7200)), 0o700)
    failing = os.path.join(d, "failing.py")
    write(failing, "import sys\n"
          "print('{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\"}')\n"
          "sys.stderr.write('SSO session expired; run login\\n')\nsys.exit(2)\n"
          % (akid, secret), 0o700)
    garbled = os.path.join(d, "garbled.py")
    write(garbled, "print('{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"%s\",}')\n"
          % (akid, secret), 0o700)
    write(cfg, "[profile helper]\ncredential_process = \"%s\" \"%s\" --role \"Security Audit\"\n"
          "[profile failing]\ncredential_process = %s %s\n"
          "[profile garbled]\ncredential_process = %s %s\n"
          % (PY, helper, PY, failing, PY, garbled))
    rc, doc, err = identity(env(), "--profile", "helper")
    c.check("credential_process resolves",
            rc == 0 and doc.get("credential_source") == "credential_process (profile helper)"
            and doc.get("account") == DEMO, err)
    rc, doc, err = identity(env(), "--profile", "failing")
    c.check("credential_process exit 2: exit 4 with its stderr",
            rc == 4 and "exited with status 2: SSO session expired; run login" in err,
            "rc=%d %s" % (rc, err))
    c.check("credential_process failure never shows its stdout", secret not in err and akid not in err)
    rc, doc, err = identity(env(), "--profile", "garbled")
    c.check("credential_process bad JSON: error without the secret",
            rc == 4 and "not a JSON object" in err and secret not in err, "rc=%d %s" % (rc, err))

    # 5. Container credentials (full URI on 127.0.0.1, token and token file).
    ctok = ep.info.get("SG_CONTAINER_TOKEN", "")
    curi = ep.info.get("SG_CONTAINER_URI", "")
    secrets_seen.add(ctok)
    write(cred, "")
    write(cfg, "")
    ep.clear_log()
    rc, doc, err = identity(env(AWS_CONTAINER_CREDENTIALS_FULL_URI=curi,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN=ctok))
    c.check("container: resolves (token in env)",
            rc == 0 and doc.get("credential_source") == "container"
            and "assumed-role/sg-audit-task-role" in doc.get("arn", ""), err + str(doc))
    c.check("container: one GET, then STS", actions(ep)[:2] == [("container", "creds"),
                                                                 ("sts", "GetCallerIdentity")],
            str(actions(ep)))
    tokfile = os.path.join(d, "container-token")
    write(tokfile, ctok + "\n")
    rc, doc, err = identity(env(AWS_CONTAINER_CREDENTIALS_FULL_URI=curi,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=tokfile,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong"))
    c.check("container: token file wins over the variable", rc == 0, err)
    rc, doc, err = identity(env(AWS_CONTAINER_CREDENTIALS_FULL_URI=curi,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN="wrong"))
    c.check("container: wrong token is an error (HTTP 401)", rc == 4 and "HTTP 401" in err,
            "rc=%d %s" % (rc, err))
    rc, doc, err = identity(env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.1/creds"))
    c.check("container: a non-loopback http URI is refused before any request",
            rc == 3 and "must use https" in err, "rc=%d %s" % (rc, err))

    # 6. IMDSv2 served locally.
    ep.clear_log()
    rc, doc, err = identity(env(AWS_EC2_METADATA_DISABLED=None,
                                AWS_EC2_METADATA_SERVICE_ENDPOINT=ep.url))
    c.check("imds: resolves", rc == 0 and doc.get("credential_source") == "imds"
            and "assumed-role/sg-audit-instance-role" in doc.get("arn", ""), err + str(doc))
    c.check("imds: token, role, credentials, then STS",
            actions(ep)[:4] == [("imds", "token"), ("imds", "role"), ("imds", "creds"),
                                ("sts", "GetCallerIdentity")], str(actions(ep)))
    ep.clear_log()
    rc, doc, err = identity(env())
    c.check("nothing configured (IMDS disabled): exit 4 listing what was tried",
            rc == 4 and "no AWS credentials found" in err
            and "imds: disabled by AWS_EC2_METADATA_DISABLED" in err, "rc=%d %s" % (rc, err))
    c.check("IMDS disabled: no request reached it", actions(ep) == [], str(actions(ep)))

    # 7. Assume role through STS: source_profile, chains, credential_source.
    write(cred, "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (akid, secret))
    write(cfg, "[profile audit]\nrole_arn = %s\nsource_profile = base\n"
          "role_session_name = sg-audit-30\nduration_seconds = 3600\nregion = eu-west-1\n"
          "[profile org]\nrole_arn = %s\nsource_profile = audit\nrole_session_name = org-hop\n"
          "[profile fromenv]\nrole_arn = %s\ncredential_source = Environment\n"
          "[profile fromecs]\nrole_arn = %s\ncredential_source = EcsContainer\n"
          "[profile fromimds]\nrole_arn = %s\ncredential_source = Ec2InstanceMetadata\n"
          "[profile mfa]\nrole_arn = %s\nsource_profile = base\n"
          "mfa_serial = arn:aws:iam::%s:mfa/alice\n"
          "[profile sso]\nsso_session = corp\nsso_account_id = %s\nsso_role_name = Audit\n"
          "[sso-session corp]\nsso_start_url = https://d-1.awsapps.com/start\nsso_region = us-east-1\n"
          "[profile denied]\nrole_arn = arn:aws:iam::%s:role/NoSuchRole\nsource_profile = base\n"
          % (ROLE, ROLE2, ROLE, ROLE2, ROLE, ROLE, DEMO, DEMO, DEMO))
    ep.clear_log()
    rc, doc, err = identity(env(), "--profile", "audit")
    c.check("assume role (source_profile): caller is the role session",
            rc == 0 and doc.get("arn") == "arn:aws:sts::%s:assumed-role/SecurityAudit/sg-audit-30"
            % DEMO and doc.get("credential_source") == "assume-role " + ROLE, err + str(doc))
    c.check("assume role: AssumeRole then GetCallerIdentity",
            [a for _, a in actions(ep)] == ["AssumeRole", "GetCallerIdentity"], str(actions(ep)))
    ep.clear_log()
    rc, doc, err = identity(env(), "--profile", "org")
    c.check("role chain org -> audit -> base lands in the second account",
            rc == 0 and doc.get("account") == CLEAN
            and doc.get("arn", "").endswith("assumed-role/SecurityAudit/org-hop"), err + str(doc))
    c.check("role chain: two AssumeRole calls",
            [a for _, a in actions(ep)] == ["AssumeRole", "AssumeRole", "GetCallerIdentity"],
            str(actions(ep)))
    rc, doc, err = identity(env(keys=True), "--profile", "fromenv")
    c.check("credential_source = Environment", rc == 0 and doc.get("account") == DEMO
            and "assumed-role/SecurityAudit" in doc.get("arn", ""), err)
    rc, doc, err = identity(env(AWS_CONTAINER_CREDENTIALS_FULL_URI=curi,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN=ctok), "--profile", "fromecs")
    c.check("credential_source = EcsContainer", rc == 0 and doc.get("account") == CLEAN, err)
    rc, doc, err = identity(env(AWS_EC2_METADATA_DISABLED=None,
                                AWS_EC2_METADATA_SERVICE_ENDPOINT=ep.url), "--profile", "fromimds")
    c.check("credential_source = Ec2InstanceMetadata", rc == 0 and doc.get("account") == DEMO
            and "assumed-role/SecurityAudit" in doc.get("arn", ""), err)
    rc, doc, err = identity(env(), "--profile", "denied")
    c.check("AssumeRole refused: exit 4 naming profile, role and AccessDenied",
            rc == 4 and "profile denied: AssumeRole arn:aws:iam::%s:role/NoSuchRole" % DEMO in err
            and "AccessDenied" in err, "rc=%d %s" % (rc, err))
    rc, doc, err = identity(env(), "--profile", "mfa")
    c.check("mfa_serial: says what to do instead", rc == 3
            and "cannot prompt for an MFA code" in err and "get-session-token" in err,
            "rc=%d %s" % (rc, err))
    rc, doc, err = identity(env(), "--profile", "sso")
    c.check("SSO profile: says what to do instead", rc == 3
            and "aws sso login --profile sso" in err and "export-credentials" in err,
            "rc=%d %s" % (rc, err))

    # 8. Web identity from the environment (AssumeRoleWithWebIdentity, unsigned).
    jwt = os.path.join(d, "token.jwt")
    write(jwt, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzZy1hdWRpdCJ9.c2lnbmF0dXJl\n")
    ep.clear_log()
    rc, doc, err = identity(env(AWS_ROLE_ARN=ROLE, AWS_WEB_IDENTITY_TOKEN_FILE=jwt,
                                AWS_ROLE_SESSION_NAME="pod-7"))
    c.check("web identity: caller is the role session",
            rc == 0 and doc.get("arn", "").endswith("assumed-role/SecurityAudit/pod-7")
            and doc.get("credential_source") == "web-identity " + ROLE, err + str(doc))
    c.check("web identity: AssumeRoleWithWebIdentity was called",
            [a for _, a in actions(ep)][:1] == ["AssumeRoleWithWebIdentity"], str(actions(ep)))

    # 9. Bad files get precise errors; a readable credentials file a warning.
    write(cfg, "[default]\nregion = us-east-1\n\n[profile x\nregion = y\n")
    rc, doc, err = identity(env())
    c.check("unterminated section: file and line named",
            rc == 3 and "~/config line 4: section header '[profile x' is not terminated" in err,
            "rc=%d %s" % (rc, err))
    write(cfg, "[default]\r\nregion = us-east-1\r\n")
    write(cred, "[default]\r\naws_access_key_id = %s\r\naws_secret_access_key = %s\r\n"
          "aws_access_key_id = AKIAAGAIN\r\n" % (akid, secret))
    rc, doc, err = identity(env())
    c.check("duplicate key (CRLF file): both lines named",
            rc == 3 and "~/credentials line 4: key 'aws_access_key_id' in section [default] "
            "repeats line 2" in err, "rc=%d %s" % (rc, err))
    with open(cred, "wb") as f:
        f.write(b"[default]\naws_access_key_id = A\x00\x01\x02binary")
    rc, doc, err = identity(env())
    c.check("binary credentials file: precise error", rc == 3 and "NUL byte" in err, err)
    with open(cred, "wb") as f:
        f.write(b"#" * (2 << 20) + b"\n")
    rc, doc, err = identity(env())
    # A bad file is a configuration error (exit 3), like every other one,
    # not "incomplete" (exit 2).
    c.check("2 MB credentials file: exit 3, naming the file and the cap",
            rc == 3 and "~/credentials: file is larger than 1048576 bytes" in err,
            "rc=%d %s" % (rc, err))
    write(cred, "[default]\r\naws_access_key_id = %s\r\naws_secret_access_key = %s\r\n"
          % (akid, secret), 0o644)
    rc, doc, err = identity(env())
    c.check("CRLF credentials file is read correctly", rc == 0, err)
    c.check("group/other-readable credentials file: one warning",
            err.count("warning:") == 1 and "~/credentials is readable by others (mode 0644)" in err,
            err)
    os.chmod(cred, 0o600)
    rc, doc, err = identity(env())
    c.check("mode 0600: no warning", rc == 0 and "warning" not in err, err)
    # The config file: warned about only when it holds a secret key.
    write(cfg, "[default]\nregion = eu-west-1\n[profile spare]\naws_access_key_id = %s\n"
          "aws_secret_access_key = %s\n" % (akid, secret), 0o644)
    rc, doc, err = identity(env())
    c.check("group/other-readable config holding a secret key: one warning",
            rc == 0 and err.count("warning:") == 1
            and "~/config is readable by others (mode 0644)" in err, err)
    write(cfg, "[default]\nregion = eu-west-1\n", 0o644)
    rc, doc, err = identity(env())
    c.check("group/other-readable config without secrets: no warning",
            rc == 0 and "warning" not in err, err)

    # 10. --debug says where credentials came from, and nothing secret.
    write(cfg, "[profile audit]\nrole_arn = %s\nsource_profile = base\n" % ROLE)
    write(cred, "[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n" % (akid, secret))
    rc, out, err = run(["identity", "--debug", "--profile", "audit"], env())
    c.check("--debug names the credential source",
            rc == 0 and "credentials: resolved from assume-role " + ROLE in err, err[-1500:])
    rc, out, err = run(["identity", "--debug"],
                       env(AWS_CONTAINER_CREDENTIALS_FULL_URI=curi,
                           AWS_CONTAINER_AUTHORIZATION_TOKEN=ctok))
    c.check("--debug container run: token never shown", rc == 0 and ctok not in err
            and "/container/creds" in err, err[-1500:])
    rc, out, err = run(["identity", "--debug"], env(AWS_EC2_METADATA_DISABLED=None,
                                                   AWS_EC2_METADATA_SERVICE_ENDPOINT=ep.url))
    shown = [ln for ln in err.splitlines() if "x-aws-ec2-metadata-token:" in ln.lower()]
    c.check("--debug IMDS run: the session token header is redacted",
            rc == 0 and all("[REDACTED]" in ln for ln in shown), "\n".join(shown) or err[-1500:])

everything = "".join(printed)
leaks = [s for s in secrets_seen if s and s in everything]
c.check("no secret in any output (%d runs searched)" % len(printed), not leaks)
sys.exit(c.finish())
