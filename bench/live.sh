#!/usr/bin/env bash
# The live analysis against the batch report, on a store of 10 million metric rows.
#
# Fills a store with `generate --scale 1450` (10,008,000 metrics, 838,769 work orders) by a
# bare insert, as bench/report.sh does, then runs examples/live_latency.rs on it, which times
# in one process:
#   report      report::build over the whole store (the baseline: what `millrace report`
#               analyses, without writing files);
#   rebuild     a live state made from nothing up to its first document (a restarted
#               dashboard);
#   work_order  one work order stored, then the live update that reads it and the new
#               document (TURNS times; the dashboard adds at most one 250 ms poll to this).
# The same again on a copy of the store that keeps every 50th work order (16,775: a counter
# read about hourly instead of every few minutes), because an update re-tests the changed
# product over all its intervals: its cost follows the intervals, not the metric rows.
#
#   bench/live.sh                 # SCALE=1450 (≈ 10,000,000 metrics)
#   SCALE=145 bench/live.sh       # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=${SCALE:-1450}
TURNS=${TURNS:-5}
cargo build --release --quiet --bin millrace --example bare_sqlite --example live_latency
BIN=$PWD/target/release/millrace
BARE=$PWD/target/release/examples/bare_sqlite
LIVE=$PWD/target/release/examples/live_latency
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
"$BIN" generate --out data --scale "$SCALE" --seed 1 >/dev/null
echo "== filling the store (bare insert)"
"$BARE" data store.db 5000 --keep
rm -rf data
cp store.db sparse.db
sqlite3 sparse.db "DELETE FROM workorder WHERE seq % 50 != 0; VACUUM;" 2>/dev/null \
  || python3 -c "import sqlite3; c = sqlite3.connect('sparse.db'); c.execute('DELETE FROM workorder WHERE seq % 50 != 0'); c.commit()"
summarise() {
  python3 - "$1" <<'PY'
import statistics, sys
rows = [dict(kv.split("=") for kv in line.split()[1:]) for line in open(sys.argv[1]) if line.startswith("RESULT")]
get = lambda what: [float(r["seconds"]) for r in rows if r["what"] == what]
report, rebuild, order = get("report")[0], get("rebuild")[0], statistics.median(get("work_order"))
print(f"  report {report:.2f} s; rebuild {rebuild:.2f} s (ratio {rebuild / report:.2f}); "
      f"new work order, median of {len(get('work_order'))}: {order:.3f} s (ratio to report {order / report:.3f})")
PY
}
for store in store.db sparse.db; do
  echo "== $store: $(python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute('select count(*) from metrics').fetchone()[0], 'metrics,', c.execute('select count(*) from workorder').fetchone()[0], 'work orders')" "$store")"
  "$LIVE" "$store" "$TURNS" | tee "$store.txt"
  summarise "$store.txt"
done
