"""81 — an evidence bundle from moto (an independent AWS stand-in, IAM auth on,
127.0.0.1 only): its XML is not ours, so this proves the raw bytes are kept as
moto sent them and that `evidence verify` re-derives the same findings from them.

  scan --regions all --evidence DIR against moto -> bundle written, hash printed
  every byte of the bundle free of the secret key and of "Signature="
  sha256sum -c SHA256SUMS passes; evidence verify -> 0 with findings re-derived
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT", os.getcwd())
SG_AUDIT = os.environ.get("SG_AUDIT", os.path.join(ROOT, "sg-audit"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from sgendpoints import Checks, moto  # noqa: E402

C = Checks("81-evidence-moto")


def main():
    work = tempfile.mkdtemp(prefix="sg-evidence-moto.")
    try:
        with moto("fixtures/accounts/demo.json") as m:
            bundle = os.path.join(work, "bundle")
            p = subprocess.run([SG_AUDIT, "--regions", "all", "--endpoint-url", m.url,
                                "--format", "json", "-o", os.path.join(work, "report.json"),
                                "--evidence", bundle], env=m.env(), capture_output=True,
                               text=True, timeout=300)
            C.check("scan --evidence against moto -> 1 (failing findings)", p.returncode == 1,
                    "exit %d: %s" % (p.returncode, p.stderr[-600:]))
            mpath = os.path.join(bundle, "manifest.json")
            ok = os.path.exists(mpath)
            C.check("manifest written", ok)
            if not ok:
                return C.finish()
            with open(mpath, "rb") as f:
                msha = hashlib.sha256(f.read()).hexdigest()
            C.check("manifest SHA-256 printed", msha in p.stderr, p.stderr[-400:])
            leaks = []
            for base, _, files in os.walk(bundle):
                for n in files:
                    with open(os.path.join(base, n), "rb") as f:
                        data = f.read()
                    for needle in (m.secret_access_key, "Signature="):
                        if needle.encode() in data:
                            leaks.append("%s in %s" % (needle[:6] + "...", n))
            C.check("no secret or signature in the bundle", not leaks, "; ".join(leaks[:5]))
            s = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=bundle,
                               capture_output=True, text=True)
            C.check("sha256sum -c SHA256SUMS passes", s.returncode == 0, s.stdout + s.stderr)
            v = subprocess.run([SG_AUDIT, "evidence", "verify", "--expect-manifest-sha256", msha,
                                bundle], capture_output=True, text=True, timeout=120)
            C.check("evidence verify -> 0, findings re-derived from moto's bytes",
                    v.returncode == 0 and "findings re-derived:" in v.stdout
                    and "verified:" in v.stdout, "exit %d\n%s" % (v.returncode, v.stdout[-1500:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return C.finish()


if __name__ == "__main__":
    sys.exit(main())
