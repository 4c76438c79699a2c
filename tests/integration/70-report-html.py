"""70 — the HTML report in a real browser: headless Chromium renders it, runs
its script, and the finding counts on the rendered page must equal the JSON
report's. Also: filters from the URL fragment, no external request.

Cases:
  golden       tests/golden/report.{html,json} (kept equal to the writers by test_report)
  engine       tests/golden/engine.{html,json}: the fixture account through the real engine
  filtered     the same page opened with #severity=critical: rows shown = critical count
  in scope     engine.html opened with #scope=in%20scope: rows shown = in-scope findings;
               the "failing in scope" count equals summary.failing_in_scope
  demo-scan    sg-audit scan of the demo account on the local endpoint writing
               --output html and --output json in one run

Chromium runs with a throwaway profile, no network features, and a hard
timeout; the whole file takes a few seconds per page.
"""
import json
import os
import re
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


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(name)
        if p:
            return p
    return None


def isolated():
    """A prefix that runs the browser in a network namespace of its own (no
    route anywhere, not even loopback is shared) when we may create one; the
    page is a local file, so it needs no network at all."""
    u = shutil.which("unshare")
    if u and subprocess.run([u, "--net", "--", "true"], capture_output=True).returncode == 0:
        return [u, "--net", "--"]
    return []


def dump_dom(browser, url):
    prof = tempfile.mkdtemp(prefix="sg-chromium-")
    try:
        p = subprocess.run(
            isolated() + [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--disable-extensions",
             # No name lookups at all: the page is a local file and the tests
             # may reach nothing but loopback (without this Chromium asks the
             # system resolver for Google's hosts at start-up).
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost",
             "--no-pings", "--dns-prefetch-disable",
             f"--user-data-dir={prof}", "--virtual-time-budget=5000", "--dump-dom", url],
            capture_output=True, text=True, timeout=90)
        return p.stdout
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def cell(dom, ident):
    m = re.search(r'id="%s"[^>]*>([^<]*)<' % re.escape(ident), dom)
    return m.group(1) if m else None


def check_page(name, browser, html_path, json_path, fragment=""):
    with open(json_path, encoding="utf-8") as f:
        rep = json.load(f)
    dom = dump_dom(browser, "file://" + os.path.abspath(html_path) + fragment)
    if "n-total" not in dom:
        result(name, False, "chromium produced no DOM")
        return
    summ = rep["summary"]
    want = {f"n-{s}": str(summ["by_severity"][s]) for s in summ["by_severity"]}
    want["n-total"] = str(summ["findings"])
    want["n-failing"] = str(summ["failing"])
    want["n-failing-scope"] = str(summ["failing_in_scope"])
    got = {k: cell(dom, k) for k in want}
    result(f"{name}: severity counts on the rendered page equal the JSON's", got == want,
           f"page {got} json {want}")
    rows = len(rep["findings"])
    if fragment.startswith("#severity="):
        sev = fragment.split("=", 1)[1]
        rows = sum(1 for f in rep["findings"] if f["severity"] == sev)
    elif fragment.startswith("#scope="):
        rows = sum(1 for f in rep["findings"] if f["in_scope"])
    result(f"{name}: rows shown {fragment or '(no filter)'} = {rows}",
           cell(dom, "n-shown") == str(rows), f"n-shown={cell(dom, 'n-shown')}")
    verdict = re.search(r'id="verdict">PCI DSS 1\.2\.1: ([A-Z _]+)', dom)
    result(f"{name}: verdict shown matches the JSON",
           verdict is not None and
           verdict.group(1).strip().replace(" ", "_").startswith(summ["pci_dss_1_2_1"]),
           verdict.group(1) if verdict else "no verdict")


def scan_writes_reports():
    try:
        p = subprocess.run([SG_AUDIT, "scan", "--help"], capture_output=True, text=True,
                           timeout=20)
    except OSError:
        return False
    return p.returncode == 0 and "--output FORMAT:PATH" in p.stdout


def main():
    browser = chromium()
    if browser is None:
        result("chromium installed (scripts/deps.sh installs it)", False, "not found")
        print(f"{passed} passed, {failed} failed")
        return 1
    golden = os.path.join(ROOT, "tests", "golden")
    check_page("golden", browser, os.path.join(golden, "report.html"),
               os.path.join(golden, "report.json"))
    check_page("golden filtered", browser, os.path.join(golden, "report.html"),
               os.path.join(golden, "report.json"), "#severity=critical")
    check_page("engine", browser, os.path.join(golden, "engine.html"),
               os.path.join(golden, "engine.json"))
    check_page("engine in-scope filter", browser, os.path.join(golden, "engine.html"),
               os.path.join(golden, "engine.json"), "#scope=in%20scope")
    html = open(os.path.join(golden, "report.html"), encoding="utf-8").read()
    result("golden: no external resource referenced",
           not re.search(r'\s(src|href)=|url\(|@import', html), "found a reference")

    if not scan_writes_reports():
        result("demo-scan: `sg-audit scan --help` offers --output FORMAT:PATH", False,
               "scan does not write reports")
    else:
        from sgendpoints import endpoint
        tmp = tempfile.mkdtemp(prefix="sg-70-")
        try:
            with endpoint("fixtures/accounts/demo.json") as ep:
                h, j = os.path.join(tmp, "r.html"), os.path.join(tmp, "r.json")
                p = subprocess.run([SG_AUDIT, "scan", "--regions", "all",
                                    "--endpoint-url", ep.url,
                                    "--output", "html:" + h, "--output", "json:" + j],
                                   env=ep.env(), capture_output=True, text=True, timeout=120)
                result("demo-scan: exit 1 (failing findings)", p.returncode == 1,
                       f"rc={p.returncode} stderr={p.stderr[-400:]}")
                if os.path.exists(h) and os.path.exists(j):
                    check_page("demo-scan", browser, h, j)
                else:
                    result("demo-scan: both files written", False, os.listdir(tmp))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
