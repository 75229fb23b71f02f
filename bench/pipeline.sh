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
  rows=$(awk '/ sent /{s+=$2} END{print s}' run-pg.txt)
  secs=$(sed -nE 's/.*finished in ([0-9.]+) s.*/\1/p' run-pg.txt)
  bare=$(sed -E 's/.*rows_per_s=([0-9]+).*/\1/' bare-pg.txt)
  python3 - "$rows" "$secs" "$bare" <<'PY'
import sys
rows, secs, bare = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rate = rows / secs
print(f"millrace into PostgreSQL: {rows} records in {secs:.2f} s = {rate:,.0f} records/s")
print(f"bare COPY: {bare:,.0f} rows/s")
print(f"ratio millrace / bare COPY: {rate / bare:.2f}")
PY
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
rows=$(awk '/ sent /{s+=$2} END{print s}' run-amqp.txt)
secs=$(sed -nE 's/.*finished in ([0-9.]+) s.*/\1/p' run-amqp.txt)
bare=$(sed -E 's/.*records_per_s=([0-9]+).*/\1/' bare-amqp.txt)
python3 - "$rows" "$secs" "$bare" <<'PY'
import sys
rows, secs, bare = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
rate = rows / secs
print(f"millrace on RabbitMQ: {rows} records in {secs:.2f} s = {rate:,.0f} records/s")
print(f"bare RabbitMQ loop: {bare:,.0f} records/s")
print(f"ratio millrace / bare loop: {rate / bare:.2f}")
PY
