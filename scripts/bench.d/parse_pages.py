#!/usr/bin/env python3
"""Pages for the parse benchmark (scripts/bench.d/11-parse.sh), and botocore's
figures on them.

    parse_pages.py gen DIR GROUPS RULES SEED   1,000-group pages via fixtures/large.py
                                               (cached: skipped when DIR/.done matches)
    parse_pages.py merge SRC DST K             every K pages of SRC as one page in DST
    parse_pages.py botocore DIR N              botocore's EC2 parser over the first N
                                               pages: bytes, rules, CPU ms, peak RSS
"""
import glob
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def gen(d, groups, rules, seed):
    stamp = os.path.join(d, ".done")
    want = "%s %s %s\n" % (groups, rules, seed)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    os.makedirs(d, exist_ok=True)
    for p in glob.glob(os.path.join(d, "*.xml")):
        os.unlink(p)
    subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "large.py"), "--groups",
                    str(groups), "--rules-per-group", str(rules), "--seed", str(seed),
                    "--xml-pages", d, "--page-size", "1000"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(stamp, "w") as f:
        f.write(want)


def merge(src, dst, k):
    stamp = os.path.join(dst, ".done")
    want = "%s %d\n" % (open(os.path.join(src, ".done")).read().strip(), k)
    if os.path.exists(stamp) and open(stamp).read() == want:
        return
    os.makedirs(dst, exist_ok=True)
    for p in glob.glob(os.path.join(dst, "*.xml")):
        os.unlink(p)
    pages = sorted(glob.glob(os.path.join(src, "*.xml")))
    for n, i in enumerate(range(0, len(pages), k)):
        parts = []
        head = None
        for p in pages[i:i + k]:
            b = open(p, "rb").read()
            a = b.index(b"<securityGroupInfo>") + len(b"<securityGroupInfo>")
            z = b.rindex(b"</securityGroupInfo>")
            if head is None:
                head = b[:a]
            parts.append(b[a:z])
        with open(os.path.join(dst, "page-%05d.xml" % (n + 1)), "wb") as f:
            f.write(head + b"".join(parts) + b"</securityGroupInfo>"
                    b"</DescribeSecurityGroupsResponse>\n")
    with open(stamp, "w") as f:
        f.write(want)


def botocore_bench(d, n):
    import botocore.parsers
    import botocore.session
    shape = botocore.session.get_session().get_service_model("ec2").operation_model(
        "DescribeSecurityGroups").output_shape
    parser = botocore.parsers.create_parser("ec2")
    pages = sorted(glob.glob(os.path.join(d, "*.xml")))[:n]
    nbytes = rules = 0
    cpu = 0.0
    for p in pages:
        body = open(p, "rb").read()
        nbytes += len(body)
        c0 = time.process_time()
        r = parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)
        cpu += time.process_time() - c0
        for g in r["SecurityGroups"]:
            for key in ("IpPermissions", "IpPermissionsEgress"):
                for perm in g.get(key, []):
                    rules += sum(len(perm.get(k, [])) for k in (
                        "IpRanges", "Ipv6Ranges", "PrefixListIds", "UserIdGroupPairs"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print("botocore pages=%d bytes=%d rules=%d cpu_ms=%.1f peak_rss_kb=%d"
          % (len(pages), nbytes, rules, cpu * 1000, rss))


def main():
    if sys.argv[1] == "gen":
        gen(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
    elif sys.argv[1] == "merge":
        merge(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif sys.argv[1] == "botocore":
        botocore_bench(sys.argv[2], int(sys.argv[3]))
    else:
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
