#!/usr/bin/env python3
"""TLS is verified on every https endpoint and can only be pointed at another
CA, never switched off: a local HTTPS server on 127.0.0.1 with a throwaway
self-signed certificate is refused until its certificate is named with
--ca-bundle or AWS_CA_BUNDLE; a certificate for another name is refused even
then; TLS failures are not retried; redirects are not followed."""
import http.server
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

SG = os.environ.get("SG_AUDIT") or os.path.join(os.environ.get("SG_ROOT", "."), "sg-audit")
c = Checks("23-client-tls")

IDENTITY = (b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
            b"<GetCallerIdentityResult><Arn>arn:aws:iam::210987654321:user/tls</Arn>"
            b"<UserId>AIDATLS</UserId><Account>210987654321</Account></GetCallerIdentityResult>"
            b"<ResponseMetadata><RequestId>tls-1</RequestId></ResponseMetadata>"
            b"</GetCallerIdentityResponse>")
hits = {"n": 0, "redirect": False}


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(n)
        hits["n"] += 1
        if hits["redirect"]:
            self.send_response(307)
            self.send_header("Location", "http://127.0.0.1:9/")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.send_header("Content-Length", str(len(IDENTITY)))
        self.end_headers()
        self.wfile.write(IDENTITY)


def run(args, env):
    p = subprocess.run([SG] + args, env=env, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


if shutil.which("openssl") is None:
    c.check("openssl command available to make a test certificate", False)
    sys.exit(c.finish())

d = tempfile.mkdtemp()
try:
    key, crt = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(crt, key)
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    url = "https://127.0.0.1:%d" % srv.server_address[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update({"AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
                "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                "AWS_CONFIG_FILE": os.path.join(d, "none"),
                "AWS_SHARED_CREDENTIALS_FILE": os.path.join(d, "none"),
                "AWS_EC2_METADATA_DISABLED": "true", "HOME": d,
                "AWS_REGION": "us-east-1"})
    for k in ("https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env.pop(k, None)

    rc, out, err = run(["identity", "--endpoint-url", url, "--max-attempts", "3"], env)
    c.check("unknown CA refused (exit 2, TLS error named)", rc == 2 and "TLS" in err, err)
    c.check("TLS failure not retried (1 attempt)", "1 attempt)" in err and hits["n"] == 0, err)
    rc, out, err = run(["identity", "--endpoint-url", url, "--ca-bundle", crt], env)
    c.check("--ca-bundle with the server's certificate: accepted",
            rc == 0 and "210987654321" in out, err)
    rc, out, err = run(["identity", "--endpoint-url", url], dict(env, AWS_CA_BUNDLE=crt))
    c.check("AWS_CA_BUNDLE honoured", rc == 0 and "210987654321" in out, err)
    rc, out, err = run(["identity", "--endpoint-url", url],
                       dict(env, AWS_CA_BUNDLE="/etc/ssl/certs/ca-certificates.crt"))
    c.check("a bundle without that CA: refused", rc == 2, err)
    host_url = url.replace("127.0.0.1", "localhost")
    rc, out, err = run(["identity", "--endpoint-url", host_url, "--ca-bundle", crt], env)
    c.check("certificate for another name: refused even with its CA", rc == 2, err)
    hits["redirect"] = True
    rc, out, err = run(["identity", "--endpoint-url", url, "--ca-bundle", crt], env)
    c.check("redirect not followed (HTTP 307 is an error)", rc == 2 and "HTTP 307" in err, err)
    srv.shutdown()
finally:
    shutil.rmtree(d, ignore_errors=True)

sys.exit(c.finish())
