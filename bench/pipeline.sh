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
cargo build --release --quiet --bin millrace --example bare_sqlite --example bare_amqp --example bare_postgres
BIN=$PWD/target/release/millrace
BARE=$PWD/target/release/examples/bare_sqlite
BARE_AMQP=$PWD/target/release/examples/bare_amqp
BARE_PG=$PWD/target/release/examples/bare_postgres
PG=${PG:-postgres://postgres@127.0.0.1:5432/test}
BROKER=${BROKER:-amqp://guest:guest@127.0.0.1:5672/%2f}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1
ls -l data

# compare LABEL RUN_OUTPUT BARE_OUTPUT BARE_LABEL: millrace's rate (records sent over the
# run's "finished in" time, stream start to last commit; the report runs after) against the
# baseline's `RESULT … *_per_s=N`, and their ratio.
compare() {
  local rows secs bare
  rows=$(awk '/ sent /{s+=$2} END{print s}' "$2")
  secs=$(sed -nE 's/.*finished in ([0-9.]+) s.*/\1/p' "$2")
  bare=$(sed -nE 's/.*_per_s=([0-9]+).*/\1/p' "$3")
  python3 - "$1" "$rows" "$secs" "$bare" "$4" <<'PY'
import sys
label, rows, secs, bare, bare_label = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
rate = rows / secs
print(f"{label}: {rows} records in {secs:.2f} s = {rate:,.0f} records/s")
print(f"{bare_label}: {bare:,.0f} per s")
print(f"ratio {label} / {bare_label}: {rate / bare:.2f}")
PY
}

echo "== baseline: bare rusqlite insert, one transaction per 5000 rows"
"$BARE" data bare.db 5000 | tee bare.txt

echo "== millrace run (embedded queue, SQLite), batches of 5000"
/usr/bin/time -v "$BIN" run --no-progress --data data --db millrace.db --report-dir report 2> time.txt | tee run.txt
grep -E "Maximum resident|Elapsed" time.txt

compare "millrace (embedded queue, SQLite)" run.txt bare.txt "bare insert"

echo
if ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  echo "skipping the PostgreSQL figures: no server on 127.0.0.1:5432"
else
  # Each run in a schema of its own, dropped at the end.
  schema_url() { echo "$PG?options=-c%20search_path%3D$1"; }
  for s in bench_bare bench_run; do PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s"; done
  echo "== baseline: bare binary COPY into PostgreSQL, one transaction per 5000 rows"
  "$BARE_PG" data "$(schema_url bench_bare)" 5000 | tee bare-pg.txt
  echo "== millrace run --db postgres://… (embedded queue, PostgreSQL), batches of 5000"
  "$BIN" run --no-progress --data data --db "$(schema_url bench_run)" --queue pg-queue.db \
    --offsets pg-offsets.json --report-dir report-pg 2>/dev/null | tee run-pg.txt
  for s in bench_bare bench_run; do PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "DROP SCHEMA $s CASCADE"; done
  compare "millrace into PostgreSQL" run-pg.txt bare-pg.txt "bare COPY"
fi

echo
if ! (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null; then
  echo "skipping the RabbitMQ figures: no broker on 127.0.0.1:5672"
  exit 0
fi
echo "== baseline: bare publish-with-confirms -> consume-and-ack of the same batches (quorum queue)"
"$BARE_AMQP" data "$BROKER" 5000 | tee bare-amqp.txt
echo "== millrace run --broker (RabbitMQ), batches of 5000"
Q=bench-$$
"$BIN" run --no-progress --data data --db rabbit.db --offsets rabbit-offsets.json --report-dir report2 \
  --broker "$BROKER" --metrics-queue "$Q-metrics" --workorder-queue "$Q-workorder" 2>/dev/null | tee run-amqp.txt
for q in "$Q-metrics" "$Q-workorder" "$Q-metrics.dead" "$Q-workorder.dead"; do rabbitmqctl delete_queue "$q" >/dev/null 2>&1 || true; done
compare "millrace on RabbitMQ" run-amqp.txt bare-amqp.txt "bare RabbitMQ loop"
compare "millrace on RabbitMQ" run-amqp.txt bare.txt "bare SQLite insert (the store's ceiling)"
