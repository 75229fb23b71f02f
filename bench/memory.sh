#!/usr/bin/env bash
# Memory while streaming a large input end to end through separate processes (serve, consume,
# stream; embedded queue, SQLite): the peak RSS of each, which should not grow with the input.
#
#   bench/memory.sh                # SCALE=2800: a ≈ 1 GB metrics file (≈ 19 M records)
#   SCALE=300 bench/memory.sh      # ≈ 110 MB, a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-2800}
PORT=${PORT:-5078}
cargo build --release --quiet
BIN=$PWD/target/release/millrace
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1
ls -l data
hwm() { awk '/VmHWM/ {print int($2 / 1024)}' /proc/$1/status; }

MILLRACE_LOG=warn "$BIN" serve --listen 127.0.0.1:$PORT & SERVE=$!
MILLRACE_LOG=warn "$BIN" consume all & CONSUME=$!
sleep 1
/usr/bin/time -v "$BIN" stream --no-progress --data data --webhook http://127.0.0.1:$PORT 2> stream-time.txt
want=$(python3 -c "import json,sys; print(sum(1 for _ in open('data/metrics.json').read().split('}, {')))")
for _ in $(seq 1200); do
  pending=$(python3 -c "import sqlite3;print(sqlite3.connect('.millrace/queue.db').execute(\"select count(*) from messages where queue in ('metrics','workorder')\").fetchone()[0])")
  [ "$pending" -eq 0 ] && break
  sleep 1
done
echo "metrics in the file: $want; stored: $(python3 -c "import sqlite3;print(sqlite3.connect('millrace.db').execute('select count(*) from metrics').fetchone()[0])")"
echo "peak RSS: stream $(( $(awk '/Maximum resident/ {print $6}' stream-time.txt) / 1024 )) MB, serve $(hwm $SERVE) MB, consume $(hwm $CONSUME) MB"
grep -E "Elapsed" stream-time.txt
