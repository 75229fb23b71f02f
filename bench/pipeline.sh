#!/usr/bin/env bash
# Batch throughput end to end, each figure against its baseline measured in the same round,
# RUNS rounds (default 3), medians at the end:
#   - `millrace run` (stream → webhook → embedded queue → consumers → SQLite), stream start to
#     last commit, and the whole command with the report, against a bare rusqlite insert of
#     the same rows into the same schema with the same durability (examples/bare_sqlite.rs)
#     at the best of several transaction sizes (BARE_BATCHES);
#   - the same into PostgreSQL against a bare binary COPY (examples/bare_postgres.rs);
#   - the same through RabbitMQ against the bare SQLite insert and a bare publish/consume loop.
# The dataset is `generate --scale 145 --seed 1`: 999,714 metrics and 83,892 work orders.
#
#   bench/pipeline.sh                        # SCALE=145, RUNS=3
#   SCALE=30 RUNS=1 bench/pipeline.sh        # a quicker look
#   BATCH=20000 bench/pipeline.sh            # millrace's stream batch size (default 5000)
#   BEFORE=0772c9e bench/pipeline.sh         # also time `run` built from that commit, in the
#                                            # same rounds (issue 24: ingest with rollups
#                                            # against the build before them)
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-145}
RUNS=${RUNS:-3}
BATCH=${BATCH:-5000}
BARE_BATCHES=${BARE_BATCHES:-5000,20000,100000}
cargo build --release --quiet --bin millrace --example bare_sqlite --example bare_amqp --example bare_postgres
BIN=$PWD/target/release/millrace
BARE=$PWD/target/release/examples/bare_sqlite
BARE_AMQP=$PWD/target/release/examples/bare_amqp
BARE_PG=$PWD/target/release/examples/bare_postgres
BEFORE=${BEFORE:-}
BEFORE_BIN=
if [ -n "$BEFORE" ]; then
  # Its own worktree and target folder, kept between runs: built once per commit.
  tree=$PWD/target/before/$BEFORE
  [ -d "$tree/src" ] || { rm -rf "$tree"; git worktree add --force --detach "$tree" "$BEFORE" >/dev/null; }
  (cd "$tree" && CARGO_TARGET_DIR=$PWD/../target-$BEFORE cargo build --release --quiet --bin millrace)
  BEFORE_BIN=$tree/../target-$BEFORE/release/millrace
  echo "also timing run built from $BEFORE ($BEFORE_BIN)"
fi
PG=${PG:-postgres://postgres@127.0.0.1:5432/test}
BROKER=${BROKER:-amqp://guest:guest@127.0.0.1:5672/%2f}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1 >/dev/null
ls -l data
ROWS=$(($(python3 -c 'import json,sys; print(len(json.load(open("data/metrics.json"))) + len(json.load(open("data/workorder.json"))))')))
echo "rows: $ROWS; millrace batch size $BATCH; bare insert sizes $BARE_BATCHES; $RUNS rounds"
have_pg=false; (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null && have_pg=true
have_amqp=false; (exec 3<>/dev/tcp/127.0.0.1/5672) 2>/dev/null && have_amqp=true
$have_pg || echo "skipping the PostgreSQL figures: no server on 127.0.0.1:5432"
$have_amqp || echo "skipping the RabbitMQ figures: no broker on 127.0.0.1:5672"

# record ROUND KEY RATE
record() { echo "$1 $2 $3" >> results.txt; }
# The rate of a `run`: records over the time from its start to the last commit, as it prints
# it ("the last record committed at N s").
ingest_rate() { sed -nE 's/.*last record committed at ([0-9.]+) s.*/\1/p' "$1" | awk -v n="$ROWS" '{printf "%.0f", n / $1}'; }
now() { date +%s.%N; }

for round in $(seq 1 "$RUNS"); do
  echo "== round $round"
  rm -rf run.db* .millrace report* offsets* *-queue.db* rabbit.db*
  "$BARE" data bare.db "$BARE_BATCHES" | tee bare.txt
  record "$round" bare_sqlite "$(sed -nE 's/^BEST .*rows_per_s=([0-9]+).*/\1/p' bare.txt)"

  t0=$(now)
  /usr/bin/time -f "peak RSS %M KB" "$BIN" run --no-progress --batch-size "$BATCH" --data data --db run.db \
    --report-dir report 2> time.txt > run.txt
  t1=$(now)
  grep -E "finished in" run.txt; cat time.txt | tail -1
  record "$round" run "$(ingest_rate run.txt)"
  if [ -n "$BEFORE_BIN" ]; then
    rm -rf before.db* before-queue.db* offsets-before.json report-before
    "$BEFORE_BIN" run --no-progress --batch-size "$BATCH" --data data --db before.db --queue before-queue.db \
      --offsets offsets-before.json --report-dir report-before 2>/dev/null > run-before.txt
    grep -E "finished in" run-before.txt
    record "$round" run_before "$(ingest_rate run-before.txt)"
  fi
  record "$round" run_with_report "$(awk -v n="$ROWS" -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", n / (b - a)}')"

  if $have_pg; then
    schema_url() { echo "$PG?options=-c%20search_path%3D$1"; }
    for s in bench_bare bench_run; do PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "DROP SCHEMA IF EXISTS $s CASCADE; CREATE SCHEMA $s"; done
    "$BARE_PG" data "$(schema_url bench_bare)" "$BATCH" | tee bare-pg.txt
    "$BIN" run --no-progress --batch-size "$BATCH" --data data --db "$(schema_url bench_run)" --queue pg-queue.db \
      --offsets offsets-pg.json --report-dir report-pg 2>/dev/null > run-pg.txt
    grep -E "finished in" run-pg.txt
    if [ -n "$BEFORE_BIN" ]; then
      PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "DROP SCHEMA IF EXISTS bench_before CASCADE; CREATE SCHEMA bench_before"
      "$BEFORE_BIN" run --no-progress --batch-size "$BATCH" --data data --db "$(schema_url bench_before)" --queue pg-before-queue.db \
        --offsets offsets-pg-before.json --report-dir report-pg-before 2>/dev/null > run-pg-before.txt
      PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "DROP SCHEMA bench_before CASCADE"
      record "$round" run_pg_before "$(ingest_rate run-pg-before.txt)"
    fi
    for s in bench_bare bench_run; do PGOPTIONS="-c client_min_messages=warning" psql -q "$PG" -c "DROP SCHEMA $s CASCADE"; done
    record "$round" bare_copy "$(sed -nE 's/.*rows_per_s=([0-9]+).*/\1/p' bare-pg.txt)"
    record "$round" run_pg "$(ingest_rate run-pg.txt)"
  fi

  if $have_amqp; then
    "$BARE_AMQP" data "$BROKER" "$BATCH" | tee bare-amqp.txt
    Q=bench-$$-$round
    "$BIN" run --no-progress --batch-size "$BATCH" --data data --db rabbit.db --offsets offsets-rabbit.json --report-dir report-rabbit \
      --broker "$BROKER" --metrics-queue "$Q-metrics" --workorder-queue "$Q-workorder" 2>/dev/null > run-amqp.txt
    grep -E "finished in" run-amqp.txt
    for q in "$Q-metrics" "$Q-workorder" "$Q-metrics.dead" "$Q-workorder.dead"; do rabbitmqctl delete_queue "$q" >/dev/null 2>&1 || true; done
    record "$round" bare_amqp "$(sed -nE 's/.*records_per_s=([0-9]+).*/\1/p' bare-amqp.txt)"
    record "$round" run_amqp "$(ingest_rate run-amqp.txt)"
  fi
done

echo
echo "== medians over $RUNS rounds (each ratio against the baseline of its own round)"
python3 - <<'PY'
import collections, statistics
by_round = collections.defaultdict(dict)
for line in open("results.txt"):
    r, key, rate = line.split()
    by_round[r][key] = float(rate)
rounds = list(by_round.values())
def median(key):
    xs = [r[key] for r in rounds if key in r]
    return statistics.median(xs) if xs else None
def ratio(a, b, label, target):
    xs = [r[a] / r[b] for r in rounds if a in r and b in r]
    if xs:
        m = statistics.median(xs)
        per = ", ".join(f"{x:.2f}" for x in xs)
        print(f"ratio {label}: median {m:.2f} (rounds: {per}); target >= {target}: {'met' if m >= target else 'MISSED'}")
for key in ["bare_sqlite", "run", "run_before", "run_with_report", "bare_copy", "run_pg", "run_pg_before", "bare_amqp", "run_amqp"]:
    m = median(key)
    if m is not None:
        print(f"{key:16} median {m:12,.0f} per s")
ratio("run", "bare_sqlite", "run / bare SQLite insert", 0.8)
ratio("run_with_report", "bare_sqlite", "run with the report / bare SQLite insert", 0.75)
ratio("run_pg", "bare_copy", "run into PostgreSQL / bare binary COPY", 0.9)
ratio("run_amqp", "bare_sqlite", "run through RabbitMQ / bare SQLite insert", 0.8)
ratio("run_amqp", "bare_amqp", "run through RabbitMQ / bare RabbitMQ loop", 0)
ratio("run", "run_before", "run / run built from BEFORE", 0.85)
ratio("run_pg", "run_pg_before", "run into PostgreSQL / the same built from BEFORE", 0.85)
PY
