#!/usr/bin/env bash
# Batch throughput end to end: `millrace run` (stream → webhook → embedded queue → consumers
# → SQLite) over a generated dataset shaped like the sample, scaled to about 1,000,000 metrics
# and 84,000 work orders. Baseline in the same run: a bare rusqlite bulk insert of the same
# rows into the same schema with the same durability (examples/bare_sqlite.rs) — the
# physical ceiling of the store on this machine.
#
#   bench/pipeline.sh              # SCALE=145 (≈ 1,000,000 metrics)
#   SCALE=30 bench/pipeline.sh     # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-145}
cargo build --release --quiet --example bare_sqlite
BIN=$PWD/target/release/millrace
BARE=$PWD/target/release/examples/bare_sqlite
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1
ls -l data

echo "== baseline: bare rusqlite insert, one transaction per 5000 rows"
"$BARE" data bare.db 5000 | tee bare.txt

echo "== millrace run (embedded queue, SQLite), batches of 5000"
/usr/bin/time -v "$BIN" run --no-progress --data data --db millrace.db --report-dir report 2> time.txt | tee run.txt
grep -E "Maximum resident|Elapsed" time.txt

rows=$(awk '/ sent /{s+=$2} END{print s}' run.txt)
secs=$(sed -nE 's/.*finished in ([0-9.]+) s.*/\1/p' run.txt)
bare=$(sed -E 's/.*rows_per_s=([0-9]+).*/\1/' bare.txt)
python3 - "$rows" "$secs" "$bare" <<'PY'
import sys
rows, secs, bare = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rate = rows / secs
print(f"millrace: {rows} records in {secs:.2f} s = {rate:,.0f} records/s (stream to stored; the report runs after)")
print(f"bare insert: {bare:,.0f} rows/s")
print(f"ratio millrace / bare insert: {rate / bare:.2f}")
PY
