#!/usr/bin/env bash
# Peak RSS of `millrace run` (embedded queue, SQLite, report included) on the 1 M-record set
# (SCALE=145: ≈ 1,000,000 metrics and 84,000 work orders), and of `millrace report` alone on
# the store it wrote, each the median of RUNS runs. Issue 14's target: run ≤ 64 MB.
#
#   bench/run_memory.sh            # SCALE=145, RUNS=3
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-145}
RUNS=${RUNS:-3}
cargo build --release --quiet --bin millrace
BIN=$PWD/target/release/millrace
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1 >/dev/null
peak() { awk '/Maximum resident/ {print int($6 / 1024)}' "$1"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
runs=() reports=()
for i in $(seq "$RUNS"); do
  rm -rf store.db* .millrace report
  /usr/bin/time -v "$BIN" run --no-progress --data data --db store.db --report-dir report \
    >/dev/null 2>run-time.txt
  runs+=("$(peak run-time.txt)")
  /usr/bin/time -v "$BIN" report --db store.db --report-dir report >/dev/null 2>report-time.txt
  reports+=("$(peak report-time.txt)")
done
echo "run peak RSS (MB): ${runs[*]} -> median $(printf '%s\n' "${runs[@]}" | median)"
echo "report alone peak RSS (MB): ${reports[*]} -> median $(printf '%s\n' "${reports[@]}" | median)"
