#!/usr/bin/env python3
"""`sg-audit events --file`: the CloudTrail samples, the synthetic fixture
(each case of docs/events.md), exit codes, NDJSON shape, hostile files,
filters, determinism, and memory that does not grow with the number of files."""
import gzip
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile

SG_AUDIT = os.environ["SG_AUDIT"]
ROOT = os.environ.get("SG_ROOT", ".")
SHARED = os.environ.get("SG_SHARED", os.path.join(ROOT, "..", "shared"))
SAMPLES = os.path.join(SHARED, "reference", "samples")
SYN = os.path.join(ROOT, "fixtures", "cloudtrail", "synthetic.json")

sys.path.insert(0, os.path.join(os.environ.get("SG_ROOT", "."), "tests", "lib"))
from sgendpoints import Checks  # noqa: E402

checks = Checks("60-events-files")
check = checks.check


def run(*args):
    p = subprocess.run([SG_AUDIT, "events"] + list(args), capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def docs(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


TOP_KEYS = ["timestamp", "event", "message", "labels", "host", "user", "source", "cloud",
            "network", "rule"]
LABEL_KEYS = ["Severity", "Account", "Security Group", "User", "Source IP", "Event", "Region",
              "Protocol", "Port Range", "Action", "Tactic", "Technique"]
RULE_KEYS = ["name", "description", "mitre_tactics", "mitre_techniques", "severity", "references"]


def shape_ok(d, seed):
    keys = list(d.keys())
    want = TOP_KEYS + ([] if seed else ["sg_audit"])
    ev = ["start", "end"] + ([] if seed else ["id", "risk_score"])
    return (keys == want and list(d["labels"].keys()) == LABEL_KEYS and
            list(d["event"].keys()) == ev and list(d["rule"].keys()) == RULE_KEYS and
            d["cloud"]["service"]["name"] == "ec2" and
            d["rule"]["name"] == "AWS EC2 Security Group Permissive Changes" and
            d["rule"]["mitre_techniques"] == ["T1562.007"] and
            d["rule"]["mitre_tactics"] == ["Defense Evasion", "Initial Access"] and
            d["labels"]["Tactic"] == "Defense Evasion" and
            d["labels"]["Severity"] == d["rule"]["severity"].upper() and
            d["event"]["start"] == d["timestamp"] == d["event"]["end"])


def by_case(ds):
    """eventID -> [risk_score...] for default-mode documents."""
    out = {}
    for d in ds:
        out.setdefault(d["event"]["id"], []).append(d["event"]["risk_score"])
    return out


def main():
    # --- every CloudTrail sample -----------------------------------------------------
    gz = None
    for dp, _, fs in os.walk(os.path.join(SAMPLES, "s3")):
        for f in fs:
            if f.endswith(".json.gz"):
                gz = os.path.join(dp, f)
    want = {
        "cloudtrail-log-authorize-ingress.json": {"5d0a5b8e-6f1c-4a4e-9c2d-1b7e3f9a0c11": [90]},
        "cloudtrail-log-revoke.json": {"7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918": [40]},
        "cloudtrail-log-modify-sg-rules.json": {"2a3b4c5d-6e7f-4081-9a2b-3c4d5e6f7a8b": [90],
                                                "8c9d0e1f-2a3b-4c4d-8e5f-6a7b8c9d0e1f": [100]},
    }
    for name, exp in want.items():
        rc, out, err = run("--file", os.path.join(SAMPLES, name))
        ds = docs(out)
        check("sample %s: alerts %s, exit 1" % (name, exp), rc == 1 and by_case(ds) == exp,
              "rc=%d %s %s" % (rc, by_case(ds), err))
        check("sample %s: NDJSON shape and key order" % name, all(shape_ok(d, False) for d in ds))
    for path in (gz, os.path.join(SAMPLES, "s3")):
        rc, out, err = run("--file", path, "--stats")
        ds = docs(out)
        check("S3 sample %s: 4 alerts, duplicate dropped, STS record ignored" %
              os.path.basename(path), rc == 1 and len(ds) == 4 and
              "1 duplicate" in err and "11 records" in err and "10 security-group" in err,
              "rc=%d n=%d %s" % (rc, len(ds), err))
    rc, out, err = run("--file", gz, "--seed-compatible")
    ds = docs(out)
    check("S3 sample seed-compatible: 6 alerts, exact seed shape",
          rc == 1 and len(ds) == 6 and all(shape_ok(d, True) for d in ds), "%d %s" % (rc, err))

    # --- the synthetic fixture: each case -----------------------------------------------
    rc, out, err = run("--file", SYN, "--min-risk", "0")
    got = by_case(docs(out))
    expect_default = {
        "syn-all-traffic": [100], "syn-tcp-every-port-1-65535": [100], "syn-ssh-v4": [90],
        "syn-mysql-in-range": [90], "syn-port-8000": [75], "syn-https-authorized": [0],
        "syn-icmp": [40], "syn-icmpv6-echo": [40], "syn-gre": [75], "syn-rdp-v6": [90],
        "syn-multi-second-opens-ssh": [90], "syn-halves": [90], "syn-prefix-list": [0],
        "syn-legacy-flat": [90], "syn-modify-one": [90], "syn-modify-array": [100],
        "syn-revoke-ssh": [40], "syn-revoke-by-rule-id": [40],
    }
    check("synthetic default mode: every case scored as docs/events.md says",
          got == expect_default and rc == 1,
          "\n got  %s\n want %s" % (sorted(got.items()), sorted(expect_default.items())))
    rc, out, err = run("--file", SYN, "--seed-compatible")
    seed = {}
    ds = docs(out)
    # Seed documents carry no event id: match them by time (each case has its own minute).
    with open(SYN, encoding="utf-8") as f:
        recs = json.load(f)["Records"]
    t2id = {}
    for r in recs:
        t2id.setdefault(r["eventTime"], r["eventID"])
    for d in ds:
        seed.setdefault(t2id[d["timestamp"]], []).append(
            (d["rule"]["severity"], d["labels"]["Action"], d["labels"]["Port Range"]))
    expect_seed_diffs = {
        # case: what the original query reports (see the differences table)
        "syn-create": [("low", "closed", "port(s) 0-0")],
        "syn-tcp-every-port-1-65535": [("critical", "opened", "port(s) 1-65535")],
        "syn-mysql-in-range": [("high", "opened", "port(s) 3300-3310")],
        "syn-https-authorized": [("high", "opened", "port(s) 443-443")],
        "syn-icmp": [("high", "opened", "port(s) -1--1")],
        "syn-multi-second-opens-ssh": [("high", "opened", "port(s) 443-443")],
        "syn-description-only": [("critical", "opened", "port(s) 22-22")],
        "syn-legacy-flat": [("high", "opened", "port(s) 0-0")],
        "syn-egress-all": [("critical", "opened", "all ports")],
        "syn-modify-one": [("low", "closed", "port(s) 0-0")],
        "syn-modify-array": [("low", "closed", "port(s) 0-0")],
        "syn-revoke-egress": [("low", "closed", "all ports")],
        "syn-not-ec2-source": [("critical", "opened", "all ports")],
        "syn-modify-known-egress": [("low", "closed", "port(s) 0-0")],
    }
    for case, exp in expect_seed_diffs.items():
        check("seed-compatible %s -> %s" % (case, exp[0]), seed.get(case) == exp,
              "got %s" % seed.get(case))
    check("seed-compatible: halves and prefix list unseen (no substring)",
          "syn-halves" not in seed and "syn-prefix-list" not in seed)
    check("seed-compatible: one document per event", all(len(v) == 1 for v in seed.values()))

    # --- exit codes, --min-risk, filters ----------------------------------------------------
    rc, out, err = run("--file", os.path.join(SAMPLES, "cloudtrail-log-revoke.json"),
                       "--min-risk", "75")
    check("no alert at --min-risk 75: exit 0, no output", rc == 0 and out == "", "rc=%d" % rc)
    rc, out, err = run("--file", SYN, "--min-risk", "100")
    check("--min-risk 100 keeps only all-traffic", rc == 1 and
          sorted(by_case(docs(out))) == ["syn-all-traffic", "syn-modify-array",
                                         "syn-tcp-every-port-1-65535"], out[:300])
    rc, out, err = run("--file", SYN, "--since", "2024-05-01T12:20:00Z",
                       "--until", "2024-05-01T12:21:59Z", "--stats")
    check("--since/--until select records by eventTime", rc == 1 and
          sorted(by_case(docs(out))) == ["syn-modify-array", "syn-modify-one"], out[:300] + err)
    rc, out, err = run("--file", SYN, "--regions", "eu-west-1")
    check("--regions filters records by awsRegion", rc == 0 and out == "", "rc=%d" % rc)
    rc, out, err = run("--file", os.path.join(SAMPLES, "nope.json"))
    check("missing file: exit 3, named", rc == 3 and "nope.json" in err, "rc=%d %s" % (rc, err))
    rc, out, err = run("--file", SYN, "--min-risk", "101")
    check("bad --min-risk: exit 3", rc == 3, "rc=%d" % rc)
    rc, out, err = run("--file", SYN, "--since", "yesterday")
    check("bad --since: exit 3", rc == 3 and "--since" in err, err)
    rc, out, err = run("--file", SYN, "--endpoint-url", "http://127.0.0.1:1")
    check("AWS options with --file: exit 3", rc == 3, "rc=%d" % rc)
    rc, out, err = run("--regions", "us-east-1,evil.example/x")
    check("a region that is not a region name: exit 3", rc == 3 and "evil.example" in err, err)
    rc, out, err = run("--bogus")
    check("unknown option: exit 3", rc == 3 and "--bogus" in err, err)
    rc, out, err = run("--help")
    check("--help: exit 0, mentions --seed-compatible and --endpoint-url",
          rc == 0 and "--seed-compatible" in out and "--endpoint-url" in out)
    rc, out, err = run("--file", SYN, "--format", "table", "--min-risk", "0")
    check("table format: header and one row per alert", rc == 1 and out.startswith("TIME") and
          len(out.splitlines()) == 1 + 18 and "0.0.0.0/1 + 128.0.0.0/1" in out, out[:400])

    # --- determinism ------------------------------------------------------------------------
    a = run("--file", os.path.join(SAMPLES, "s3"), "--file", SYN)[1]
    b = run("--file", os.path.join(SAMPLES, "s3"), "--file", SYN)[1]
    check("two runs give byte-identical output", a == b and a != "")

    with tempfile.TemporaryDirectory(prefix="sg-ev-files-") as tmp:
        # --- hostile files --------------------------------------------------------------------
        with open(SYN, encoding="utf-8") as f:
            syn_recs = json.load(f)["Records"]
        good = json.dumps(syn_recs[3], separators=(",", ":"))          # syn-ssh-v4
        good2 = json.dumps(syn_recs[1], separators=(",", ":"))         # syn-all-traffic
        deep = "[" * 3000 + "]" * 3000
        huge = '{"eventName":"AuthorizeSecurityGroupIngress","x":"' + "A" * (5 << 20) + '"}'
        wrong = json.loads(good2)
        wrong["eventID"] = "wrong-types"
        wrong["requestParameters"]["ipPermissions"]["items"][0]["ipProtocol"] = ["tcp"]
        hostile = os.path.join(tmp, "hostile.json")
        with open(hostile, "w", encoding="utf-8") as f:
            f.write('{"Records":[' + ",".join([good, deep, huge, json.dumps(wrong), good2]) + "]}")
        rc, out, err = run("--file", hostile)
        ids = sorted(by_case(docs(out)))
        check("hostile file: good records still scored, exit 2 (incomplete wins over 1)",
              rc == 2 and ids == ["syn-all-traffic", "syn-ssh-v4"], "rc=%d %s" % (rc, ids))
        check("deep nesting named (file, record 1)",
              "hostile.json: record 1: JSON nested deeper than 1000 levels" in err, err[:600])
        check("huge string named (file, record 2, cap)",
              "hostile.json: record 2:" in err and "cap" in err, err[:600])
        check("wrong type named (file, record 3, eventID)",
              "hostile.json record 3 (eventID wrong-types): permission 0: ipProtocol is not a string"
              in err, err[:600])
        check("stderr says the run is incomplete and the alerts are on stdout",
              "incomplete" in err and "alerts found are on stdout" in err, err[-300:])

        full = os.path.join(tmp, "full.json.gz")
        with gzip.open(full, "wt", encoding="utf-8") as f:
            f.write('{"Records":[' + ",".join([good] * 1 + [good2] * 0) + "," +
                    ",".join(json.dumps(dict(json.loads(good), eventID="t-%d" % i))
                             for i in range(2000)) + "]}")
        with open(full, "rb") as f:
            data = f.read()
        cut = os.path.join(tmp, "cut.json.gz")
        with open(cut, "wb") as f:
            f.write(data[: len(data) // 2])
        rc, out, err = run("--file", cut)
        n = len(docs(out))
        check("truncated gzip: named, earlier records scored (%d), exit 2" % n,
              rc == 2 and 100 < n < 2001 and "cut.json.gz: truncated gzip stream" in err,
              "rc=%d n=%d %s" % (rc, n, err[:400]))
        only_bad = os.path.join(tmp, "only-bad.json")
        with open(only_bad, "w", encoding="utf-8") as f:
            f.write('{"Records":[' + deep + "]}")
        rc, out, err = run("--file", only_bad)
        check("only unreadable input: exit 2 (incomplete)", rc == 2 and out == "",
              "rc=%d %s" % (rc, err))
        notgz = os.path.join(tmp, "garbage.json.gz")
        with open(notgz, "wb") as f:
            f.write(b"\x1f\x8b\x08\x00garbage-not-deflate" * 4)
        rc, out, err = run("--file", notgz)
        check("corrupt gzip: exit 2, named", rc == 2 and "garbage.json.gz" in err, err)
        empty = os.path.join(tmp, "emptydir")
        os.mkdir(empty)
        rc, out, err = run("--file", empty)
        check("directory without log files: exit 2, said", rc == 2 and "no .json" in err, err)

        # --- memory does not grow with the number of files --------------------------------------
        def tree(n):
            d = os.path.join(tmp, "tree%d" % n, "AWSLogs", "111122223333", "CloudTrail",
                             "us-east-1", "2024", "05", "01")
            os.makedirs(d)
            for i in range(n):
                recs = [{"eventName": "DescribeInstances", "eventSource": "ec2.amazonaws.com",
                         "eventID": "d-%d-%d" % (i, j), "pad": "x" * 200} for j in range(400)]
                recs.append(dict(json.loads(good), eventID="sg-%d" % i))
                with gzip.open(os.path.join(d, "f%05d.json.gz" % i), "wt") as f:
                    json.dump({"Records": recs}, f)
            return os.path.join(tmp, "tree%d" % n)

        def maxrss(path):
            code = ("import resource,subprocess,sys;"
                    "subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.DEVNULL);"
                    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
            # Under AddressSanitizer freed memory sits in quarantine: keep it small here.
            env = dict(os.environ, ASAN_OPTIONS="quarantine_size_mb=1:detect_leaks=0")
            p = subprocess.run([sys.executable, "-c", code, SG_AUDIT, "events", "--file", path],
                               capture_output=True, text=True, env=env)
            return int(p.stdout.strip())

        small, big = maxrss(tree(5)), maxrss(tree(300))
        check("max RSS with 300 files (%d KiB) within 1.5x of 5 files (%d KiB)" % (big, small),
              big <= small * 1.5 + 2048)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
