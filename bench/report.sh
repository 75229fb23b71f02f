#!/usr/bin/env bash
# The report over 10 million metric rows against a plain full scan of the same table.
#
# Fills a store with `generate --scale 1450` (10,008,000 metrics, 838,769 work orders) by a
# bare insert (examples/bare_sqlite.rs: the same file millrace would write), then times, in
# turns, the baseline — examples/full_scan.rs, which reads and decodes every metric row and
# nothing else — and the whole `millrace report` command (open, read, summarise, test, write
# HTML/CSV/JSON/Markdown). Three turns each; the medians and their ratio are printed.
#
#   bench/report.sh                 # SCALE=1450 (≈ 10,000,000 metrics)
#   SCALE=145 bench/report.sh       # a quicker look
#   OTHER=/path/to/millrace bench/report.sh   # also time another build's report, in the
#                                              # same turns (e.g. the previous release)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1450}
TURNS=${TURNS:-3}
cargo build --release --quiet --bin millrace --example bare_sqlite --example full_scan
BIN=$PWD/target/release/millrace
BARE=$PWD/target/release/examples/bare_sqlite
SCAN=$PWD/target/release/examples/full_scan
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1
echo "== filling the store (bare insert)"
"$BARE" data store.db 5000 --keep
rm -rf data
ls -l store.db
now() { date +%s.%N; }
: > scan.txt
: > report.txt
: > other.txt
OTHER=${OTHER:-}
for turn in $(seq "$TURNS"); do
  start=$(now)
  "$SCAN" store.db
  echo "$(now) - $start" | bc >> scan.txt
  start=$(now)
  /usr/bin/time -f "%M" -o rss.txt "$BIN" report --db store.db --out report >/dev/null
  echo "$(now) - $start" | bc >> report.txt
  echo "turn $turn: full scan $(tail -1 scan.txt) s, report $(tail -1 report.txt) s, report peak RSS $(cat rss.txt) KB"
  if [ -n "$OTHER" ]; then
    start=$(now)
    "$OTHER" report --db store.db --out other-report >/dev/null
    echo "$(now) - $start" | bc >> other.txt
    echo "turn $turn: the other build's report $(tail -1 other.txt) s"
  fi
done
python3 - <<'PY'
import statistics
scan = statistics.median(float(x) for x in open("scan.txt"))
report = statistics.median(float(x) for x in open("report.txt"))
print(f"median full scan: {scan:.2f} s; median report: {report:.2f} s")
print(f"ratio report / full scan: {report / scan:.2f} (target: at most 2)")
other = [float(x) for x in open("other.txt")]
if other:
    other = statistics.median(other)
    print(f"median other build's report: {other:.2f} s; ratio to the full scan: {other / scan:.2f}; this build / other: {report / other:.2f}")
PY
