#!/usr/bin/env python3
"""24 — FIPS and dual-stack endpoints chosen from the profile's use_fips_endpoint
and use_dualstack_endpoint, as the AWS CLI does (the environment's
AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT win over them).

No AWS endpoint is contacted: HTTPS_PROXY names a listener on 127.0.0.1 that
records the CONNECT line libcurl sends (the host sg-audit picked) and closes.
"""
import os
import socket
import subprocess
import sys
import tempfile
import threading

SG = os.environ.get("SG_AUDIT") or os.path.join(os.environ.get("SG_ROOT", "."), "sg-audit")
sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

checks = Checks("24-client-fips-config")
check = checks.check


class Proxy:
    """Accepts connections on 127.0.0.1, keeps each request line, closes."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.lines = []
        self.stop = False
        self.t = threading.Thread(target=self._run, daemon=True)
        self.t.start()

    def _run(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            with c:
                c.settimeout(5)
                try:
                    data = c.recv(4096)
                except OSError:
                    data = b""
                self.lines.append(data.split(b"\r\n", 1)[0].decode("latin-1"))

    def close(self):
        self.stop = True
        self.t.join(5)
        self.sock.close()


def run(proxy, config, extra_env=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and k.lower() not in ("no_proxy", "http_proxy",
                                                               "https_proxy", "all_proxy")}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "AWS_CONFIG_FILE": config,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "HTTPS_PROXY": "http://127.0.0.1:%d" % proxy.port,
        "https_proxy": "http://127.0.0.1:%d" % proxy.port,
    })
    env.update(extra_env or {})
    del proxy.lines[:]
    p = subprocess.run([SG, "identity", "--max-attempts", "1"], env=env,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, list(proxy.lines), p.stderr


FIPS = "[default]\nregion = us-east-2\nuse_fips_endpoint = true\n"
DUAL = "[default]\nregion = us-east-2\nuse_dualstack_endpoint = true\n"

# (what, the config file, extra environment, the host sg-audit must CONNECT to)
CASES = [
    ("use_fips_endpoint = true in the profile", FIPS, None, "sts-fips.us-east-2.amazonaws.com"),
    ("AWS_USE_FIPS_ENDPOINT=false wins over the profile's TRUE",
     FIPS.replace("true", "TRUE"), {"AWS_USE_FIPS_ENDPOINT": "false"},
     "sts.us-east-2.amazonaws.com"),
    ("use_fips_endpoint = false", FIPS.replace("true", "false"), None,
     "sts.us-east-2.amazonaws.com"),
    ("the named profile's use_fips_endpoint",
     "[default]\nregion = us-east-2\n[profile fips]\nregion = us-west-2\n"
     "use_fips_endpoint = true\n", {"AWS_PROFILE": "fips"}, "sts-fips.us-west-2.amazonaws.com"),
    ("use_dualstack_endpoint = true in the profile", DUAL, None, "sts.us-east-2.api.aws"),
    ("AWS_USE_DUALSTACK_ENDPOINT=false wins over the profile", DUAL,
     {"AWS_USE_DUALSTACK_ENDPOINT": "false"}, "sts.us-east-2.amazonaws.com"),
    ("FIPS and AWS_USE_DUALSTACK_ENDPOINT=true", FIPS, {"AWS_USE_DUALSTACK_ENDPOINT": "true"},
     "sts-fips.us-east-2.api.aws"),
]


def main():
    proxy = Proxy()
    tmp = tempfile.mkdtemp(prefix="sg-24-")
    cfg = os.path.join(tmp, "config")
    try:
        def write(text):
            with open(cfg, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(cfg, 0o600)

        for label, config, env, host in CASES:
            write(config)
            rc, lines, err = run(proxy, cfg, env)
            check("%s -> %s" % (label, host),
                  lines == ["CONNECT %s:443 HTTP/1.1" % host], "%s %s" % (lines, err.strip()))

        write("[default]\nregion = eu-west-1\nuse_fips_endpoint = true\n")
        rc, lines, err = run(proxy, cfg)
        check("FIPS asked for where none exists: an error naming it, nothing sent",
              rc != 0 and lines == [] and "FIPS" in err, "rc=%d %s %s" % (rc, lines, err))
    finally:
        proxy.close()
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
