"""71 — the exit-code matrix and the nightly flow, with the real binary against
the project's local AWS endpoint (127.0.0.1 only).

  clean account, --regions all                         -> 0
  demo account                                         -> 1 (failing findings)
  demo, --fail-on none                                 -> 0
  demo, eu-west-1 DescribeSecurityGroups unauthorized  -> 2 (incomplete wins over 1)
  a bad flag / a bad --output / a foreign --baseline   -> 3
  a wrong secret key                                   -> 4
  one run, --output for all five formats: every file there, JSON valid
  night 2 with --baseline last night and --fail-on new -> 0, everything unchanged
  on a terminal (script(1)): the table in colour; NO_COLOR and --no-color turn it off
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.environ.get("SG_ROOT", os.getcwd())
SG_AUDIT = os.environ.get("SG_AUDIT", os.path.join(ROOT, "sg-audit"))
sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))

passed = failed = 0


def result(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name}: {detail}")


def run(args, env=None, timeout=180):
    p = subprocess.run([SG_AUDIT] + args, env=env, capture_output=True, text=True,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def expect(name, rc_want, args, env=None):
    rc, out, err = run(args, env)
    result(f"{name} -> exit {rc_want}", rc == rc_want, f"exit {rc}; stderr: {err[-500:]}")
    return rc, out, err


def scan_writes_reports():
    rc, out, _ = run(["scan", "--help"], timeout=20)
    return rc == 0 and "--output FORMAT:PATH" in out and "--fail-on" in out


def main():
    # Usage errors need no endpoint and hold whatever the wiring state.
    expect("unknown flag", 3, ["scan", "--no-such-flag"])

    if not scan_writes_reports():
        result("`sg-audit scan --help` offers --output FORMAT:PATH and --fail-on", False,
               "scan does not write reports")
        print(f"{passed} passed, {failed} failed")
        return 1

    from sgendpoints import endpoint
    expect("--fail-on with a bad value", 3, ["scan", "--fail-on", "sometimes"])
    expect("--output with an unknown format", 3, ["scan", "--output", "pdf:/tmp/x.pdf"])
    expect("--fail-severity with a bad value", 3, ["scan", "--fail-severity", "urgent"])

    tmp = tempfile.mkdtemp(prefix="sg-71-")
    try:
        with endpoint("fixtures/accounts/clean.json") as ep:
            expect("clean account", 0, ["scan", "--regions", "all", "--format", "json",
                                         "--endpoint-url", ep.url], ep.env())

        with endpoint("fixtures/accounts/demo.json") as ep:
            env = ep.env()
            base = ["scan", "--regions", "all", "--endpoint-url", ep.url]
            expect("demo account", 1, base + ["--format", "json"], env)
            expect("demo, --fail-on none", 0, base + ["--fail-on", "none", "--format", "csv"],
                   env)

            # One run, every format, files only: stdout quiet when not a terminal.
            outs = {f: os.path.join(tmp, f"night1.{f}") for f in
                    ("json", "csv", "html", "junit", "table")}
            args = base[:]
            for f, p in outs.items():
                args += ["--output", f"{f}:{p}"]
            rc, out, err = run(args, env)
            result("five outputs in one run -> exit 1", rc == 1, f"exit {rc}: {err[-300:]}")
            result("stdout quiet with --output only (not a terminal)", out == "", out[:200])
            missing = [f for f, p in outs.items() if not os.path.isfile(p)]
            result("every --output file written", not missing, f"missing {missing}")
            leftovers = [n for n in os.listdir(tmp) if ".tmp." in n]
            result("no temporary files left behind", not leftovers, leftovers)
            try:
                rep = json.load(open(outs["json"], encoding="utf-8"))
                ok = (rep["schema"] == "sg-audit/report" and rep["identity"]["account_id"] and
                      rep["run"]["started"] and rep["inventory"]["groups"] and
                      rep["summary"]["findings"] == len([f for f in rep["findings"]
                                                         if f["diff"] != "resolved"]))
                result("JSON report: schema, identity, run, inventory, counts", bool(ok),
                       json.dumps(rep.get("summary"))[:300])
            except (OSError, ValueError, KeyError, TypeError) as e:
                result("JSON report: schema, identity, run, inventory, counts", False, repr(e))
            csv_head = open(outs["csv"], encoding="utf-8", newline="").readline()
            result("CSV header row", csv_head.startswith("severity,risk,status"), csv_head[:80])

            # Night 2: compare with night 1; nothing new, so --fail-on new is quiet.
            last = outs["json"]
            rc, out, err = run(base + ["--baseline", last, "--fail-on", "new",
                                       "--output", f"json:{last}"], env)
            result("night 2, --baseline, --fail-on new -> exit 0", rc == 0,
                   f"exit {rc}: {err[-300:]}")
            try:
                b = json.load(open(last, encoding="utf-8"))["summary"]["baseline"]
                result("night 2: every finding unchanged, none new or resolved",
                       b and b["new"] == 0 and b["resolved"] == 0 and b["unchanged"] > 0,
                       json.dumps(b))
            except (OSError, ValueError, KeyError, TypeError) as e:
                result("night 2: every finding unchanged", False, repr(e))

            # A terminal gets the table in colour; NO_COLOR or --no-color turn it off.
            # util-linux script(1) gives sg-audit a pseudo-terminal as stdout.
            if shutil.which("script"):
                def on_tty(extra, env2):
                    cmd = " ".join([SG_AUDIT] + base + ["--no-progress"] + extra)
                    p = subprocess.run(["script", "-qec", cmd, "/dev/null"], env=env2,
                                       capture_output=True, text=True, timeout=180)
                    return p.returncode, p.stdout
                rc, out = on_tty([], env)
                result("terminal: the table, PCI verdict first, in colour",
                       rc == 1 and "PCI DSS 1.2.1" in out and "\033[" in out
                       and out.index("PCI DSS 1.2.1") < out.index("CRITICAL"),
                       f"rc={rc} {out[:200]!r}")
                rc, out = on_tty([], dict(env, NO_COLOR="1"))
                result("terminal with NO_COLOR: no escape sequences",
                       "PCI DSS 1.2.1" in out and "\033[" not in out, repr(out[:200]))
                rc, out = on_tty(["--no-color", "--output", f"json:{os.path.join(tmp, 'tty.json')}"],
                                 env)
                result("terminal with --output: table still on the screen, --no-color honoured",
                       "PCI DSS 1.2.1" in out and "\033[" not in out, repr(out[:200]))
            else:
                result("script(1) available for the terminal cases", False, "not found")

            foreign = os.path.join(tmp, "foreign.json")
            with open(foreign, "w", encoding="utf-8") as f:
                f.write('{"hello": "world"}')
            expect("a baseline that is not an sg-audit report", 3,
                   base + ["--baseline", foreign, "--format", "json"], env)

            bad = dict(env)
            bad["AWS_SECRET_ACCESS_KEY"] = "x" * 40
            expect("wrong secret key", 4, base + ["--format", "json"], bad)

        with endpoint("fixtures/accounts/demo.json",
                      faults=["region=eu-west-1,kind=unauthorized"]) as ep:
            rc, out, err = expect("demo with eu-west-1 denied", 2,
                                  ["scan", "--regions", "all", "--endpoint-url", ep.url,
                                   "--format", "json"], ep.env())
            try:
                rep = json.loads(out)
                result("incomplete run says INCOMPLETE, never COMPLIANT",
                       rep["summary"]["pci_dss_1_2_1"] == "INCOMPLETE",
                       rep["summary"]["pci_dss_1_2_1"])
            except (ValueError, KeyError) as e:
                result("incomplete run says INCOMPLETE", False, repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
