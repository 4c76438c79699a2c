"""Start sg-audit's local AWS stand-ins from a Python test and stop them again.

    import sys, os
    sys.path.insert(0, os.path.join(os.environ["SG_ROOT"], "tests", "lib"))
    from sgendpoints import endpoint, moto

    with endpoint("fixtures/accounts/demo.json", page_size=4,
                  faults=["region=eu-west-1,kind=throttle,count=2"]) as ep:
        env = ep.env()            # os.environ + endpoint URL, keys, region, no profile
        subprocess.run([sg_audit, "--endpoint-url", ep.url, ...], env=env)
        ep.add_fault("kind=500,action=DescribeRegions,count=1")
        print(ep.log())           # [{"service","action","region","status",...}, ...]

    with moto("fixtures/accounts/demo.json") as m:
        m.url, m.access_key_id, m.secret_access_key, m.idmap   # idmap: fixture id -> moto id

Both servers are started with --parent-pid (they die with the test) and a
lifetime (they die anyway), and are terminated when the `with` block ends.
Relative fixture paths are resolved against SG_ROOT (or the repo root).
"""
import contextlib
import json
import os
import select
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.environ.get("SG_ROOT") or os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
ENDPOINT_PY = os.path.join(ROOT, "tests", "endpoint", "sgendpoint.py")
MOTO_PY = os.path.join(ROOT, "tests", "moto", "launch.py")


class Server:
    """What a launcher printed, plus helpers."""

    def __init__(self, proc, info):
        self.proc = proc
        self.info = info
        self.url = info["SG_ENDPOINT"]
        self.access_key_id = info["AWS_ACCESS_KEY_ID"]
        self.secret_access_key = info["AWS_SECRET_ACCESS_KEY"]
        self.account_id = info.get("SG_ACCOUNT_ID")
        self.idmap = None
        if info.get("SG_IDMAP"):
            with open(info["SG_IDMAP"], encoding="utf-8") as f:
                self.idmap = json.load(f)

    def env(self, region="us-east-1", base=None):
        """Environment for a child process (aws CLI, sg-audit) using this server.
        Profiles and config files are neutralised so nothing real leaks in."""
        e = dict(os.environ if base is None else base)
        for k in list(e):
            if k.startswith("AWS_") and k not in ("AWS_CA_BUNDLE",):
                del e[k]
        e.update({
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL": self.url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "SG_ENDPOINT": self.url,
        })
        return e

    def client(self, service, region="us-east-1", **kw):
        import boto3
        return boto3.session.Session().client(
            service, region_name=region, endpoint_url=self.url,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key, **kw)

    def call(self, service, region, body, target=None, access_key_id=None, secret=None,
             token=None, clock_offset=0, timeout=20):
        """One hand-signed POST (signer: tests/endpoint/sigv4check.py).  `body` is
        a form string/bytes (EC2, STS) or, with `target`, a JSON object
        (CloudTrail).  Returns (status, body bytes, headers dict).  Connection
        faults surface as the usual exceptions (ConnectionResetError, ...)."""
        import http.client
        sys.path.insert(0, os.path.join(ROOT, "tests", "endpoint"))
        import sigv4check
        if target:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target}
        else:
            data = body.encode() if isinstance(body, str) else body
            headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        amz = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(time.time() + clock_offset))
        headers = sigv4check.sign(access_key_id or self.access_key_id,
                                  secret or self.secret_access_key, region, service, amz,
                                  "POST", self.url + "/", headers, data, token)
        host = self.url.split("//", 1)[1]
        conn = http.client.HTTPConnection(host, timeout=timeout)
        try:
            conn.request("POST", "/", body=data, headers=headers)
            r = conn.getresponse()
            return r.status, r.read(), {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()

    # Control API (project endpoint only).
    def _ctl(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + "/__sg/" + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.load(r)

    def add_fault(self, *specs):
        return self._ctl("POST", "faults", {"add": list(specs)})["faults"]

    def clear_faults(self):
        return self._ctl("DELETE", "faults")["faults"]

    def log(self, since=0):
        return self._ctl("GET", "log?since=%d" % since)["requests"]

    def clear_log(self):
        self._ctl("DELETE", "log")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _read_info(proc, timeout):
    """Read KEY=VALUE lines until SG_READY=1 (or fail after `timeout` s)."""
    info = {}
    buf = b""
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    while "SG_READY" not in info:
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError("server did not become ready within %.0f s" % timeout)
        r, _, _ = select.select([fd], [], [], left)
        if not r:
            continue
        chunk = os.read(fd, 4096)
        if not chunk:
            raise RuntimeError("server exited before it was ready (rc=%s)" % proc.wait())
        buf += chunk
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            k, sep, v = line.decode().partition("=")
            if sep:
                info[k] = v
    return info


def _resolve(path):
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


@contextlib.contextmanager
def _launch(cmd, ready_timeout):
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    srv = None
    try:
        srv = Server(proc, _read_info(proc, ready_timeout))
        yield srv
    finally:
        if srv is not None:
            srv.stop()
        elif proc.poll() is None:
            proc.kill()
            proc.wait(5)
        proc.stdout.close()


def endpoint(account="fixtures/accounts/demo.json", page_size=0, faults=(), latency_ms=0,
             lifetime=300, extra_args=(), ready_timeout=30):
    """Context manager: the project's endpoint, yields a Server."""
    accounts = [account] if isinstance(account, str) else list(account)
    cmd = [sys.executable, ENDPOINT_PY, "--lifetime", str(lifetime),
           "--parent-pid", str(os.getpid())]
    for a in accounts:
        cmd += ["--account", _resolve(a)]
    if page_size:
        cmd += ["--page-size", str(page_size)]
    if latency_ms:
        cmd += ["--latency-ms", str(latency_ms)]
    for f in faults:
        cmd += ["--fault", f]
    cmd += list(extra_args)
    return _launch(cmd, ready_timeout)


def moto(account="fixtures/accounts/demo.json", lifetime=300, extra_args=(), ready_timeout=180):
    """Context manager: moto_server with IAM auth, seeded; yields a Server
    (with .idmap: fixture id -> moto id)."""
    cmd = [sys.executable, MOTO_PY, "--account", _resolve(account), "--lifetime", str(lifetime),
           "--parent-pid", str(os.getpid())] + list(extra_args)
    return _launch(cmd, ready_timeout)


class Checks:
    """Per-case results for integration tests; ends with `N passed, M failed`."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = 0

    def check(self, label, cond, detail=""):
        if cond:
            self.passed += 1
            print("ok   %s" % label, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (label, (": " + detail) if detail else ""), flush=True)
        return cond

    def finish(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return 1 if self.failed or not self.passed else 0
