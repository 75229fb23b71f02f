#!/usr/bin/env bash
# Load test of the webhook: wrk posts single-record batches to `millrace serve` (embedded
# queue, durable acknowledgement) with a consumer storing them, for DURATION seconds at
# CONNECTIONS connections. Baseline in the same run: wrk against the same server's
# GET /healthz, which does no work — the ceiling of this HTTP stack on this machine.
# Reports requests/s, latency p50/p99, errors, the server's RSS over time, and checks that
# every accepted record was stored exactly once.
#
#   bench/load.sh                 # 60 s, 64 connections
#   DURATION=20 CONNECTIONS=32 bench/load.sh
#   BIN=/path/to/other/millrace bench/load.sh   # another build, for an A/B comparison
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-60}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
PORT=${PORT:-5077}
command -v wrk >/dev/null || { echo "load.sh needs wrk (apt-get install wrk)" >&2; exit 2; }
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$PWD/target/release/millrace
fi
WORK=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
cd "$WORK"

MILLRACE_LOG=warn "$BIN" serve --listen 127.0.0.1:$PORT --max-concurrent-requests 1024 & SERVE=$!
MILLRACE_LOG=warn "$BIN" consume all & CONSUME=$!
for _ in $(seq 100); do curl -sf 127.0.0.1:$PORT/healthz >/dev/null 2>&1 && break; sleep 0.1; done

cat > post.lua <<'LUA'
wrk.method = "POST"
wrk.body = '[{"id": 1, "val": 2.5, "time": 1624377478}]'
wrk.headers["Content-Type"] = "application/json"
local threads = {}
setup = function(thread) table.insert(threads, thread) end
init = function() statuses = {} end
response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
done = function(summary, latency, requests)
  local total = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do total[status] = (total[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(total) do table.insert(parts, status .. ":" .. n) end
  table.sort(parts)
  io.write("STATUSES " .. table.concat(parts, " ") .. "\n")
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT requests=%d non2xx=%d socket_errors=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, errors, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA
cat > get.lua <<'LUA'
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d rps=%.0f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

rss() { awk '/VmRSS/ {print $2}' /proc/$1/status; }
hwm() { awk '/VmHWM/ {print $2}' /proc/$1/status; }

echo "== baseline: GET /healthz, 10 s, $CONNECTIONS connections"
wrk -t$THREADS -c$CONNECTIONS -d10s -s get.lua http://127.0.0.1:$PORT/healthz | grep RESULT | tee baseline.txt

echo "== ingest: POST /metrics_webhook (1 record, durable), ${DURATION} s, $CONNECTIONS connections"
( for _ in $(seq $((DURATION / 5))); do sleep 5; echo "$(rss $SERVE)"; done ) > rss.txt & SAMPLER=$!
wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 30s -s post.lua http://127.0.0.1:$PORT/metrics_webhook > wrk.txt
grep STATUSES wrk.txt
grep RESULT wrk.txt | tee ingest.txt
wait $SAMPLER || true

accepted=$(sed -E 's/.*requests=([0-9]+) non2xx=([0-9]+) socket_errors=([0-9]+).*/\1 \2 \3/' ingest.txt | awk '{print $1 - $2 - $3}')
echo "accepted (2xx): $accepted"
echo "server RSS over time (kB): $(tr '\n' ' ' < rss.txt)"
echo "server peak RSS: $(( $(hwm $SERVE) / 1024 )) MB"
# Wait until the consumer has stored everything the webhook accepted.
count() { python3 -c "import sqlite3;print(sqlite3.connect('millrace.db').execute('select count(*) from metrics').fetchone()[0])"; }
for _ in $(seq 600); do
  stored=$(count)
  [ "$stored" -ge "$accepted" ] && break
  sleep 0.5
done
sleep 2
stored=$(count)
# What the server accepted is every message its queue ever held (one record each): wrk does
# not count the requests still in flight when it stops, so it sees up to one per connection
# fewer.
queued=$(python3 -c "import sqlite3;print(sqlite3.connect('.millrace/queue.db').execute(\"select seq from sqlite_sequence where name='messages'\").fetchone()[0])")
echo "stored: $stored; accepted by the server: $queued; 2xx seen by wrk: $accepted"
base=$(sed -E 's/.*rps=([0-9]+).*/\1/' baseline.txt)
ingest=$(sed -E 's/.*rps=([0-9]+).*/\1/' ingest.txt)
echo "ratio answered/baseline: $(python3 -c "print(f'{$ingest/$base:.2f}')") (every response, the quick 503s of a full queue included)"
# Accepted (2xx) per second: what was durably queued. Once the backlog reaches
# --max-queue-backlog the consumer's pace bounds it, so a run longer than the backlog takes to
# fill measures the consumer as much as the webhook.
echo "ratio accepted/baseline: $(python3 -c "print(f'{$accepted/$DURATION/$base:.2f}')") ($((accepted / DURATION)) accepted/s)"
if [ "$stored" -ne "$queued" ] || [ "$stored" -lt "$accepted" ] || [ $((stored - accepted)) -gt "$CONNECTIONS" ]; then
  echo "MISMATCH: stored $stored, server accepted $queued, wrk saw $accepted" >&2; exit 1
fi
echo "every accepted record stored exactly once"
