#!/usr/bin/env bash
# MQTT → store throughput: `millrace mqtt` (subscribe, validate, embedded queue) beside
# `millrace consume all` (SQLite), fed by a publisher of generated metrics through a Mosquitto
# of its own (persistence on, no queued-message limit). Baseline in the same run, on the same
# broker and the same messages: a bare rumqttc subscriber that only counts them
# (examples/bare_mqtt.rs) — the most any subscriber takes from this broker.
#
#   bench/mqtt.sh                        # RECORDS=1000000 in messages of PER=1000 records
#   RECORDS=200000 PER=100 bench/mqtt.sh # smaller messages
#
# Each figure is records over the wall time from the first publish to the last message counted
# (baseline) or the last record committed to the store (millrace).
set -euo pipefail
cd "$(dirname "$0")/.."
RECORDS=${RECORDS:-1000000}
PER=${PER:-1000}
MESSAGES=$(( (RECORDS + PER - 1) / PER ))
cargo build --release --quiet --bin millrace --example bare_mqtt
BIN=$PWD/target/release/millrace
BARE=$PWD/target/release/examples/bare_mqtt
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT
cd "$WORK"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > mosquitto.conf <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
persistence true
persistence_location $WORK/
max_queued_messages 0
user root
CONF
/usr/sbin/mosquitto -c mosquitto.conf >/dev/null 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done
now() { date +%s.%N; }
rate() { python3 -c "import sys; r, s = int(sys.argv[1]), float(sys.argv[2]); print(f'{sys.argv[3]}: {r} records in {s:.2f} s = {r/s:,.0f} records/s')" "$@"; }

echo "== baseline: bare rumqttc subscriber counting $MESSAGES messages of $PER records"
"$BARE" count "$PORT" bare/line1/metrics "$MESSAGES" > bare.txt &
COUNTER=$!
until grep -qs subscribed bare.txt; do sleep 0.05; done
t0=$(now)
"$BARE" publish "$PORT" bare/line1/metrics "$RECORDS" "$PER"
wait "$COUNTER"
t1=$(now)
BARE_S=$(python3 -c "print($t1 - $t0)")
rate "$RECORDS" "$BARE_S" "bare subscriber"

echo "== millrace mqtt + consume all (embedded queue, SQLite)"
MILLRACE_LOG=info "$BIN" mqtt --url "mqtt://127.0.0.1:$PORT" --topic "metrics=bench/+/metrics" 2> mqtt.log &
PIDS+=($!)
"$BIN" consume all 2> consume.log &
PIDS+=($!)
until grep -qs subscribed mqtt.log; do sleep 0.05; done
t0=$(now)
"$BARE" publish "$PORT" bench/line1/metrics "$RECORDS" "$PER"
stored() { python3 -c "import sqlite3; print(sqlite3.connect('millrace.db').execute('SELECT COUNT(*) FROM metrics').fetchone()[0])" 2>/dev/null || echo 0; }
until [ "$(stored)" -ge "$RECORDS" ]; do sleep 0.05; done
t1=$(now)
RUN_S=$(python3 -c "print($t1 - $t0)")
rate "$RECORDS" "$RUN_S" "millrace mqtt → store"
python3 -c "print(f'ratio millrace / bare: {$BARE_S / $RUN_S:.2f}')"
