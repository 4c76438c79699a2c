"""80 — evidence bundles end to end, with the real binary against the project's
local AWS endpoint (127.0.0.1 only).

  scan --evidence DIR with temporary credentials (AssumeRole: a known secret and
  session token), paged responses, a prefix list, a waiver, a scope tag:
    - the bundle has the layout of docs/evidence.md, the scan prints the manifest hash
    - no byte of the bundle holds the secret, the session token, the long-term
      secret or "Signature=" (nor an Authorization header)
    - `sha256sum -c SHA256SUMS` passes (coreutils alone)
    - `evidence verify` exits 0 and re-derives every finding; with the printed
      manifest hash too; a wrong expected hash -> 1
  --evidence into a non-empty directory -> 3, nothing written
  tampering (each on a copy):
    one byte of a raw response -> 1 naming the file
    a file deleted -> 1; a file added -> 1
    report.json findings edited, SHA256SUMS and manifest rewritten to match -> 1
      (the re-derived findings differ)
  a --baseline run (report.json has diff columns and resolved rows) verifies
  a directory that is no bundle -> 2
  a region denied, a malformed page, a prefix list failing, the interface
  listing denied: the bundle records it and still verifies (coverage DENIED /
  ERROR, attachments denied, PCI INCOMPLETE)
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT", os.getcwd())
SG_AUDIT = os.environ.get("SG_AUDIT", os.path.join(ROOT, "sg-audit"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

from sgendpoints import Checks, endpoint  # noqa: E402

C = Checks("80-evidence")
ROLE = "arn:aws:iam::123456789012:role/SecurityAudit"


def run(args, env=None, timeout=180):
    p = subprocess.run([SG_AUDIT] + args, env=env, capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def all_files(d):
    out = []
    for base, _, files in os.walk(d):
        for n in files:
            out.append(os.path.relpath(os.path.join(base, n), d))
    return sorted(out)


def rehash(d, rel):
    """What a careful attacker does after editing `rel`: fix the manifest and SHA256SUMS."""
    mpath = os.path.join(d, "manifest.json")
    with open(mpath, encoding="utf-8") as f:
        m = json.load(f)
    for e in m["files"]:
        if e["path"] == rel:
            e["sha256"] = sha256(os.path.join(d, rel))
            e["bytes"] = os.path.getsize(os.path.join(d, rel))
    with open(mpath, "w", encoding="utf-8") as f:
        json.dump(m, f, indent="\t")
    lines = ["%s  manifest.json\n" % sha256(mpath)]
    lines += ["%s  %s\n" % (sha256(os.path.join(d, e["path"])), e["path"]) for e in m["files"]]
    with open(os.path.join(d, "SHA256SUMS"), "w", encoding="utf-8") as f:
        f.writelines(sorted(lines, key=lambda l: l.split("  ", 1)[1]))


def verify(d, *extra):
    return run(["evidence", "verify"] + list(extra) + [d], timeout=60)


def main():
    rc, out, _ = run(["scan", "--help"], timeout=20)
    if "--evidence" not in out:
        C.check("scan --help offers --evidence", False, "the scan command has no --evidence")
        return C.finish()

    work = tempfile.mkdtemp(prefix="sg-evidence-it.")
    try:
        waivers = os.path.join(work, "waivers.json")
        with open(waivers, "w", encoding="utf-8") as f:
            json.dump({"Waivers": [{
                "PolicyID": "AWS.SecurityGroup.InternetExposure",
                "GroupId": "sg-0ca5e070000000000",
                "Reason": "udp 22 decoy, accepted", "Owner": "ops@example.com",
                "Ticket": "SEC-80", "Expires": "2099-12-31"}]}, f)
        with endpoint("fixtures/accounts/demo.json", page_size=4) as ep:
            # Temporary credentials: a secret and a session token we know.
            sts = ep.client("sts")
            cr = sts.assume_role(RoleArn=ROLE, RoleSessionName="evidence-it")["Credentials"]
            secret, token = cr["SecretAccessKey"], cr["SessionToken"]
            env = ep.env()
            env.update({"AWS_ACCESS_KEY_ID": cr["AccessKeyId"],
                        "AWS_SECRET_ACCESS_KEY": secret, "AWS_SESSION_TOKEN": token})
            bundle = os.path.join(work, "bundle")
            args = ["scan", "--regions", "us-east-1,eu-west-1", "--endpoint-url", ep.url,
                    "--waivers", waivers, "--scope-tag", "environment=pci",
                    "--format", "json", "-o", os.path.join(work, "report.json"),
                    "--evidence", bundle]
            rc, out, err = run(args, env=env)
            C.check("scan --evidence exits 1 (the demo account has failing findings)",
                    rc == 1, "exit %d: %s" % (rc, err[-600:]))
            files = all_files(bundle) if os.path.isdir(bundle) else []
            for want in ("SHA256SUMS", "manifest.json", "report.json", "waivers.json",
                         "raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml",
                         "raw/us-east-1/ec2-DescribeSecurityGroups-p002.meta.json",
                         "raw/eu-west-1/ec2-DescribeSecurityGroups-p001.xml"):
                C.check("bundle has %s" % want, want in files, "files: %s" % files[:12])
            C.check("bundle has the policy files",
                    any(f.startswith("policies/") for f in files))
            C.check("bundle has the prefix list's entries",
                    any("GetManagedPrefixListEntries-pl-" in f for f in files))
            msha = sha256(os.path.join(bundle, "manifest.json")) if files else "?"
            C.check("scan prints the manifest SHA-256", msha in out + err,
                    "stdout/stderr: %s" % (out + err)[-400:])

            # Secrets: every byte of every file.
            leaks = []
            for rel in files:
                with open(os.path.join(bundle, rel), "rb") as f:
                    data = f.read()
                for name, needle in (("secret", secret), ("session token", token),
                                     ("long-term secret", ep.secret_access_key),
                                     ("Signature=", "Signature="),
                                     ("Authorization", "AWS4-HMAC-SHA256 Credential")):
                    if needle.encode() in data:
                        leaks.append("%s in %s" % (name, rel))
            C.check("no secret, token or signature anywhere in the bundle (%d files)"
                    % len(files), files and not leaks, "; ".join(leaks[:5]))

            # Raw bytes are the endpoint's bytes: a re-parse by Python finds the groups.
            with open(os.path.join(bundle, "raw/us-east-1/ec2-DescribeSecurityGroups-p001.meta.json"),
                      encoding="utf-8") as f:
                meta = json.load(f)
            C.check("metadata: status 200, request id, Date, attempts, MaxResults sent",
                    meta["http_status"] == 200 and meta["request_id"] and meta["date"]
                    and meta["attempts"] >= 1 and ["MaxResults", "1000"] in meta["request"]["params"],
                    json.dumps(meta)[:400])
            with open(os.path.join(bundle, "manifest.json"), encoding="utf-8") as f:
                man = json.load(f)
            C.check("manifest: caller is the assumed role, regions and coverage",
                    "assumed-role/SecurityAudit" in (man["identity"]["caller_arn"] or "")
                    and [c["region"] for c in man["coverage"]] == ["us-east-1", "eu-west-1"]
                    and all(c["state"] == "SCANNED" for c in man["coverage"]),
                    json.dumps(man["identity"]) + json.dumps(man["coverage"])[:300])
            C.check("manifest: command line recorded, scope tag and waivers named",
                    "--evidence" in man["run"]["command_line"]
                    and "environment=pci" in man["run"]["command_line"]
                    and man["run"]["scope_tags"] == ["environment=pci"]
                    and man["waivers"]["path"] == "waivers.json",
                    json.dumps(man["run"])[:400])

            p = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=bundle,
                               capture_output=True, text=True)
            C.check("sha256sum -c SHA256SUMS passes", p.returncode == 0, p.stdout + p.stderr)

            rc, vout, verr = verify(bundle)
            C.check("evidence verify -> 0", rc == 0, "exit %d\n%s%s" % (rc, vout[-1500:], verr))
            C.check("verify re-derives the findings and says how many",
                    "findings re-derived:" in vout and "verified:" in vout, vout[-600:])
            rc, vout, _ = verify(bundle, "--expect-manifest-sha256", msha)
            C.check("verify --expect-manifest-sha256 <printed> -> 0", rc == 0, vout[-600:])
            rc, vout, _ = verify(bundle, "--expect-manifest-sha256", "0" * 64)
            C.check("verify --expect-manifest-sha256 <other> -> 1", rc == 1, vout[-600:])

            # A directory holding anything is refused before any call.
            used = os.path.join(work, "used")
            os.mkdir(used)
            with open(os.path.join(used, "keep.txt"), "w") as f:
                f.write("old")
            rc, _, err = run(args[:-1] + [used], env=env)
            C.check("--evidence into a non-empty directory -> 3, named",
                    rc == 3 and used in err and os.listdir(used) == ["keep.txt"],
                    "exit %d: %s" % (rc, err[-300:]))

            # Tampering, each on a fresh copy.
            def copy(name):
                d = os.path.join(work, name)
                shutil.copytree(bundle, d)
                return d

            t = copy("t-byte")
            rel = "raw/us-east-1/ec2-DescribeSecurityGroups-p001.xml"
            with open(os.path.join(t, rel), "r+b") as f:
                data = f.read()
                i = data.index(b"0.0.0.0/0")
                f.seek(i)
                f.write(b"1")
            rc, vout, _ = verify(t)
            C.check("one byte changed in a raw response -> 1, file named",
                    rc == 1 and ("FAIL hash      " + rel) in vout, vout[-800:])

            t = copy("t-deleted")
            rel = "raw/us-east-1/ec2-DescribeSecurityGroups-p002.xml"
            os.unlink(os.path.join(t, rel))
            rc, vout, _ = verify(t)
            C.check("a file deleted -> 1, named as missing",
                    rc == 1 and "FAIL missing" in vout and rel in vout, vout[-800:])

            t = copy("t-added")
            with open(os.path.join(t, "raw/us-east-1/notes.txt"), "w") as f:
                f.write("added later")
            rc, vout, _ = verify(t)
            C.check("a file added -> 1, named as extra",
                    rc == 1 and "FAIL extra" in vout and "raw/us-east-1/notes.txt" in vout,
                    vout[-800:])

            t = copy("t-report")
            with open(os.path.join(t, "report.json"), encoding="utf-8") as f:
                rep = json.load(f)
            fails = [x for x in rep["findings"] if x["status"] == "FAIL"]
            hidden = fails[0]["key"] if fails else None
            rep["findings"] = [x for x in rep["findings"] if x["key"] != hidden]
            with open(os.path.join(t, "report.json"), "w", encoding="utf-8") as f:
                json.dump(rep, f, indent="\t")
            rehash(t, "report.json")
            p = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=t,
                               capture_output=True, text=True)
            rc, vout, _ = verify(t)
            C.check("report.json finding removed, hashes rewritten: sha256sum passes, "
                    "verify -> 1 naming the finding",
                    hidden and p.returncode == 0 and rc == 1 and "FAIL different" in vout
                    and hidden in vout and "missing from report.json" in vout, vout[-1200:])
            C.check("... and no hash problem is reported (the attacker was careful)",
                    "FAIL hash" not in vout and "FAIL missing" not in vout, vout[-800:])

            # Night 2 against night 1's report: diff columns and resolved rows in
            # report.json are not this scan's data; the bundle still verifies.
            b3 = os.path.join(work, "night2")
            rc, _, err = run(["scan", "--regions", "us-east-1", "--endpoint-url", ep.url,
                              "--baseline", os.path.join(work, "report.json"),
                              "--format", "json", "-o", os.path.join(work, "r3.json"),
                              "--evidence", b3], env=env)
            rc2, vout, _ = verify(b3)
            C.check("a --baseline run's bundle verifies (resolved rows ignored)",
                    rc in (0, 1) and rc2 == 0, "scan exit %d %s\nverify exit %d\n%s"
                    % (rc, err[-300:], rc2, vout[-1200:]))

            empty = os.path.join(work, "empty")
            os.mkdir(empty)
            rc, vout, verr = verify(empty)
            C.check("a directory that is no bundle -> 2", rc == 2, "exit %d %s" % (rc, vout + verr))
            rc, _, _ = run(["evidence", "verify"], timeout=20)
            C.check("evidence verify without DIR -> 3", rc == 3)

        # Failures mid-scan: a region denied, a page malformed after a good one, a
        # prefix list that cannot be read. The bundle records what happened and
        # still verifies: the re-derivation stops where the scan stopped.
        with endpoint("fixtures/accounts/demo.json", page_size=4,
                      faults=["region=eu-west-1,action=DescribeSecurityGroups,kind=unauthorized",
                              "region=eu-central-1,action=DescribeSecurityGroups,kind=malformed,after=1",
                              "region=us-east-1,action=GetManagedPrefixListEntries,kind=500",
                              "region=us-east-1,action=DescribeNetworkInterfaces,kind=unauthorized"]) as ep:
            b2 = os.path.join(work, "denied")
            rc, out, err = run(["scan", "--regions", "us-east-1,eu-west-1,eu-central-1",
                                "--endpoint-url",
                                ep.url, "--format", "json", "-o", os.path.join(work, "r2.json"),
                                "--evidence", b2], env=ep.env())
            C.check("scan with failures -> 2", rc == 2, "exit %d %s" % (rc, err[-400:]))
            man = {}
            if os.path.exists(os.path.join(b2, "manifest.json")):
                with open(os.path.join(b2, "manifest.json"), encoding="utf-8") as f:
                    man = json.load(f)
            states = {c["region"]: c["state"] for c in man.get("coverage", [])}
            C.check("manifest coverage: eu-west-1 DENIED, eu-central-1 and us-east-1 ERROR",
                    states == {"eu-west-1": "DENIED", "eu-central-1": "ERROR",
                               "us-east-1": "ERROR"}, json.dumps(states))
            C.check("the denied answer is kept as evidence",
                    os.path.exists(os.path.join(b2, "raw/eu-west-1/ec2-DescribeSecurityGroups-p001.xml")))
            atts = {c["region"]: c.get("attachments") for c in man.get("coverage", [])}
            C.check("manifest coverage: us-east-1 attachments denied (interfaces call refused)",
                    (atts.get("us-east-1") or "").startswith("denied"), json.dumps(atts))
            rc, vout, _ = verify(b2)
            C.check("verify of the incomplete scan's bundle -> 0, PCI INCOMPLETE",
                    rc == 0 and "INCOMPLETE" in vout, "exit %d\n%s" % (rc, vout[-1200:]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return C.finish()


if __name__ == "__main__":
    sys.exit(main())
