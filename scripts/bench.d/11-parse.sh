#!/bin/sh
# Parse: DescribeSecurityGroups pages of a synthetic 1,000,000-rule account
# (fixtures/large.py, 1,000 groups a page) through sg-audit's parser: MB/s,
# rules/s and peak RSS, against a bare libxml2 reader pass over the same
# bytes (measured side by side page by page, best of 3) and against
# botocore's parser.
# Peak RSS is also taken with pages 10x larger, to show the parser's memory
# does not grow with page size. Figures only (parse_bench.c, parse_pages.py).
#
# The pages are generated once into build/bench/ (about 280 MB; reused while
# the generator's arguments stay the same). SG_BENCH_PARSE_GROUPS and
# SG_BENCH_PARSE_BOTOCORE_PAGES make it smaller.
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
GROUPS=${SG_BENCH_PARSE_GROUPS:-166667}   # x 6 rules (5 ingress + stock egress)
BOTO_PAGES=${SG_BENCH_PARSE_BOTOCORE_PAGES:-20}
B=build/bench
pages=$B/parse-pages
big=$B/parse-pages-x10
mkdir -p "$B"

cc -std=c11 -D_GNU_SOURCE -O2 -Iinclude $(pkg-config --cflags libxml-2.0) \
	-o "$B/parse_bench" scripts/bench.d/parse_bench.c build/libsgaudit.a build/libsigv4.a \
	$(pkg-config --libs libcurl libcrypto libxml-2.0 libcjson zlib) -lpthread -lm

echo "parse: generating the synthetic account's pages (cached in $pages) ..." >&2
"$PY" scripts/bench.d/parse_pages.py gen "$pages" "$GROUPS" 5 11
"$PY" scripts/bench.d/parse_pages.py merge "$pages" "$big" 10

field() { # field NAME LINE
	echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

cmp=$("$B/parse_bench" compare "$pages" 3)
reader=$(echo "$cmp" | sed -n 1p)
parse=$(echo "$cmp" | sed -n 2p)
kept=$("$B/parse_bench" parse "$pages" 1)
s1=$("$B/parse_bench" stream "$pages" 1)
m1=$("$B/parse_bench" parse "$pages" 1)
s10=$("$B/parse_bench" stream "$big" 1)
m10=$("$B/parse_bench" parse "$big" 1)
boto=$("$PY" scripts/bench.d/parse_pages.py botocore "$pages" "$BOTO_PAGES")

awk -v reader="$reader" -v parse="$parse" -v kept="$kept" -v s1="$s1" -v m1="$m1" \
    -v s10="$s10" -v m10="$m10" -v boto="$boto" '
function f(line, name,    a, i, n, kv) {
	n = split(line, a, " ")
	for (i = 1; i <= n; i++) { split(a[i], kv, "="); if (kv[1] == name) return kv[2] + 0 }
	return 0
}
BEGIN {
	mb = f(parse, "bytes") / 1e6; rules = f(parse, "rules")
	printf "parse: synthetic account: %d groups, %d rules, %d pages, %.1f MB of XML\n",
	    f(parse, "groups"), rules, f(parse, "pages"), mb
	rc = f(reader, "cpu_ms"); pc = f(parse, "cpu_ms")
	printf "parse: bare libxml2 reader pass:       %6.1f MB/s (%.0f ms CPU)\n", mb / (rc / 1000), rc
	printf "parse: sg-audit parse + normalize:     %6.1f MB/s, %.2f M rules/s (%.0f ms CPU) = %.1f%% of the bare reader pass\n",
	    mb / (pc / 1000), rules / (pc / 1000) / 1e6, pc, 100 * rc / pc
	printf "parse:   (CPU time, page by page: reader and parse one after the other on each page, best of 3 rounds each)\n"
	printf "parse: peak RSS with all %d rules kept as records (a scan at its end), by page size:\n",
	    f(kept, "rules")
	printf "parse:   %5.1f MB pages: %4.0f MiB streamed, %4.0f MiB from memory (the page held whole, as the client hands it over)\n",
	    f(s1, "bytes") / f(s1, "pages") / 1e6, f(s1, "peak_rss_kb") / 1024, f(m1, "peak_rss_kb") / 1024
	printf "parse:   %5.1f MB pages: %4.0f MiB streamed, %4.0f MiB from memory\n",
	    f(s10, "bytes") / f(s10, "pages") / 1e6, f(s10, "peak_rss_kb") / 1024, f(m10, "peak_rss_kb") / 1024
	printf "parse:   the parser adds %+.1f MiB streamed for pages 10x larger (from memory: %+.1f MiB, about the larger page itself)\n",
	    (f(s10, "peak_rss_kb") - f(s1, "peak_rss_kb")) / 1024, (f(m10, "peak_rss_kb") - f(m1, "peak_rss_kb")) / 1024
	bc = f(boto, "cpu_ms"); bmb = f(boto, "bytes") / 1e6
	printf "parse: botocore (first %d pages, %d rules): %.1f MB/s, %.3f M rules/s, peak RSS %.0f MiB -> sg-audit is %.0fx faster\n",
	    f(boto, "pages"), f(boto, "rules"), bmb / (bc / 1000), f(boto, "rules") / (bc / 1000) / 1e6,
	    f(boto, "peak_rss_kb") / 1024, (rules / (pc / 1000)) / (f(boto, "rules") / (bc / 1000))
}'
