#!/usr/bin/env python3
"""The AWS client against moto with IAM authentication on: EC2 and STS
requests signed by sg-audit are accepted (so moto's own SigV4 check agrees
with ours), errors in moto's shape are parsed, and a bad secret is refused
without retries. Only 127.0.0.1 is contacted."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks, moto  # noqa: E402

SG = os.environ.get("SG_AUDIT") or os.path.join(os.environ.get("SG_ROOT", "."), "sg-audit")
c = Checks("21-client-moto")


def run(args, env):
    p = subprocess.run([SG] + args, env=env, capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


with moto("fixtures/accounts/demo.json") as m:
    env = m.env()
    rc, out, err = run(["identity"], env)
    c.check("identity accepted by moto (IAM auth on)", rc == 0 and "123456789012" in out, err)
    rc, out, err = run(["call", "ec2", "DescribeRegions", "AllRegions=true"], env)
    c.check("EC2 DescribeRegions accepted", rc == 0 and "<regionInfo>" in out, err)
    rc, out, err = run(["call", "ec2", "DescribeSecurityGroups", "--region", "eu-west-1",
                        "Filter.1.Name=group-name", "Filter.1.Value.1=default"], env)
    c.check("EC2 DescribeSecurityGroups with a filter accepted",
            rc == 0 and "<securityGroupInfo>" in out and "default" in out, err)
    rc, out, err = run(["call", "ec2", "DescribeSecurityGroups", "--regions",
                        "us-east-1,eu-west-1,us-west-2,eu-central-1"], env)
    c.check("four regions in parallel accepted", rc == 0 and out.count(" ok ") == 4, out + err)
    rc, out, err = run(["call", "sts", "GetCallerIdentity", "--region", "eu-west-1"], env)
    c.check("STS GetCallerIdentity (regional) accepted", rc == 0 and "<Account>" in out, err)

    bad = dict(env, AWS_SECRET_ACCESS_KEY="x" * 40)
    rc, out, err = run(["call", "ec2", "DescribeRegions", "--max-attempts", "5", "--debug"], bad)
    c.check("bad secret: AuthFailure parsed from moto's error shape, exit 4",
            rc == 4 and "AuthFailure: AWS was not able to validate" in err, err)
    c.check("bad secret: not retried", err.count("> POST ") == 1, err)
    rc, out, err = run(["identity"], bad)
    c.check("bad secret on STS: SignatureDoesNotMatch, exit 4",
            rc == 4 and "SignatureDoesNotMatch" in err, err)

sys.exit(c.finish())
