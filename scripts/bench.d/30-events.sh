#!/bin/sh
# CloudTrail events: events per second and MB/s (uncompressed JSON) scoring a
# seeded set of gzipped log files in the S3 layout (>= 1 GB uncompressed,
# generated in a temporary directory and deleted afterwards), beside the
# floor of only decompressing and parsing the same files, and the peak memory
# for a tenth of the files and for all of them. Figures only; nothing asserted.
#
#   SG_BENCH_EVENTS_MB=1100   uncompressed size to generate (default 1100)
#   SG_BENCH_EVENTS_SG=5      percent of records that are security-group events
set -eu
cd "$(dirname "$0")/../.."
PY=${PYTHON:-python3}
MB=${SG_BENCH_EVENTS_MB:-1100}
SGP=${SG_BENCH_EVENTS_SG:-5}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sg-bench-events.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

echo "events: generating ${MB} MB of CloudTrail JSON (gzip, S3 layout, ${SGP}% security-group events)"
"$PY" scripts/bench.d/events_gen.py "$tmp/logs" --mb "$MB" --sg-percent "$SGP" | sed 's/^/events: /'
# The floor program links the same reader (sg_ct_read_file) and cJSON.
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Iinclude $(pkg-config --cflags libcjson) \
	-o "$tmp/floor" scripts/bench.d/events_floor.c build/libsgaudit.a build/libsigv4.a \
	$(pkg-config --libs libcurl libcrypto libxml-2.0 libcjson zlib) -lpthread -lm
find "$tmp/logs" -name '*.json.gz' | LC_ALL=C sort > "$tmp/list"
# A tenth of the files, as their own S3 tree, for the memory comparison.
n=$(wc -l < "$tmp/list")
head -n $(( (n + 9) / 10 )) "$tmp/list" | while read -r f; do
	d="$tmp/tenth/$(dirname "${f#"$tmp"/logs/}")"
	mkdir -p "$d"
	ln -s "$f" "$d/"
done

# run LABEL CMD... : wall seconds, CPU seconds (user+sys), peak RSS of CMD.
run() {
	"$PY" - "$@" <<'PYEOF'
import resource, subprocess, sys, time
label, stdin, cmd = sys.argv[1], sys.argv[2], sys.argv[3:]
t0 = time.monotonic()
with open(stdin) as fin:
    p = subprocess.run(cmd, stdin=fin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
wall = time.monotonic() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%s %.3f %.3f %d %d" % (label, wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss, p.returncode))
PYEOF
}
bytes=$("$tmp/floor" whole < "$tmp/list" | awk '{print $5}')
records=$("$tmp/floor" whole < "$tmp/list" | awk '{print $3}')
{
	run floor-whole "$tmp/list" "$tmp/floor" whole
	run floor-records "$tmp/list" "$tmp/floor" records
	run default /dev/null ./sg-audit events --file "$tmp/logs"
	run seed /dev/null ./sg-audit events --file "$tmp/logs" --seed-compatible
	run tenth /dev/null ./sg-audit events --file "$tmp/tenth"
} > "$tmp/results"
"$PY" - "$tmp/results" "$bytes" "$records" "$n" <<'PYEOF'
import sys
rows = {}
for line in open(sys.argv[1]):
    label, wall, cpu, rss, rc = line.split()
    rows[label] = (float(wall), float(cpu), int(rss))
mb, recs, files = int(sys.argv[2]) / 1e6, int(sys.argv[3]), int(sys.argv[4])
print("events: %d files, %d records, %.0f MB JSON" % (files, recs, mb))
def line(label, what):
    wall, cpu, rss = rows[label]
    print("events: %-38s %8.0f events/s %7.1f MB/s  (cpu %6.2f s, wall %6.2f s, peak RSS %4.0f MB)"
          % (what, recs / cpu, mb / cpu, cpu, wall, rss / 1024))
line("floor-whole", "floor: inflate + parse whole file")
line("floor-records", "floor: inflate + parse record by record")
line("default", "sg-audit events (default mode)")
line("seed", "sg-audit events --seed-compatible")
for label in ("default", "seed"):
    for floor in ("floor-whole", "floor-records"):
        print("events: %s = %3.0f%% of %s (CPU time; wall %3.0f%%)" % (
            label, 100 * rows[floor][1] / rows[label][1], floor,
            100 * rows[floor][0] / rows[label][0]))
print("events: peak RSS, a tenth of the files %.0f MB, all %d files %.0f MB"
      % (rows["tenth"][2] / 1024, files, rows["default"][2] / 1024))
PYEOF
