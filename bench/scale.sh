#!/usr/bin/env bash
# Issue 24: does the analysis grow with the plant's work orders or with its readings?
#
# The same plant at two reading densities (examples/scale_plant.rs): 50 gauges over 60 days,
# two concurrent products whose counters are read every 10 minutes (17,280 work orders),
# once with SMALL readings and once with LARGE. Each is streamed into a fresh SQLite store by
# `millrace run`, then measured on that store:
#   report     `millrace report`: wall time and peak RSS, median of TURNS runs;
#   dashboard  `millrace dashboard`: peak RSS (VmHWM) once its first analysis answers on
#              /api/report with both products (and the time that took);
#   live       under `millrace run --follow`, one work order appended to the followed
#              workorder.json until /api/report counts it: median of TURNS appends.
# Then prints LARGE/SMALL ratios against the issue's targets.
#
#   bench/scale.sh                                  # SMALL=2000000 LARGE=20000000
#   SMALL=200000 LARGE=2000000 bench/scale.sh       # a quick check
#
# The generated plants are kept under target/scale/<N>/data and reused when complete
# (about 1 GB at 20 M readings); the stores are made anew each time, in target/scale/<N>/work.
set -Eeuo pipefail
cd "$(dirname "$0")/.."
SMALL=${SMALL:-2000000}
LARGE=${LARGE:-20000000}
TURNS=${TURNS:-3}
SEED=${SEED:-1}
WORK_ORDERS=17280
cargo build --release --quiet --bin millrace --example scale_plant
BIN=$PWD/target/release/millrace
GEN=$PWD/target/release/examples/scale_plant
ROOT=$PWD/target/scale
mkdir -p "$ROOT"
RESULTS=$ROOT/results.txt
: > "$RESULTS"

die() { echo "bench/scale.sh: $*" >&2; exit 1; }
trap 'echo "bench/scale.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
BACKGROUND=
cleanup() { if [ -n "$BACKGROUND" ]; then kill "$BACKGROUND" 2>/dev/null || true; fi; }
trap cleanup EXIT
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
result() { echo "$1 $2 $3" >> "$RESULTS"; }

# wait_ready PID PORT LOG: polls /api/report until it has both products and every work
# order; fails if the process exits first or after 30 minutes. Prints the seconds it took.
wait_ready() {
  python3 - "$@" "$WORK_ORDERS" <<'PY'
import json, os, sys, time, urllib.request
pid, port, log, orders = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
start = time.monotonic()
while time.monotonic() - start < 1800:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        sys.exit(f"the process exited before its first analysis; see {log}")
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/report", timeout=60) as r:
            report = json.load(r)
        if len(report["products"]) == 2 and report["streams"]["workorder"]["records"] >= orders:
            print(f"{time.monotonic() - start:.2f}")
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.05)
sys.exit("no analysis within 30 minutes")
PY
}

# append_and_time PORT FILE TURNS: appends one work order of product 0, 10 minutes after
# its last, to the followed FILE (a JSON array), and times until /api/report counts it;
# TURNS times. Prints one latency in seconds a line.
append_and_time() {
  python3 - "$@" <<'PY'
import json, sys, time, urllib.request
port, path, turns = sys.argv[1], sys.argv[2], int(sys.argv[3])
def report():
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/report", timeout=60) as r:
        return json.load(r)
for _ in range(turns):
    with open(path, "rb") as f:
        orders = json.load(f)
    last = max((w for w in orders if w["product"] == 0), key=lambda w: w["time"])
    new = {"time": last["time"] + 600, "product": 0, "production": round(last["production"] + 12.0, 2)}
    before = report()["streams"]["workorder"]["records"]
    with open(path, "r+b") as f:
        f.seek(0, 2)
        end = f.tell()
        f.seek(max(0, end - 16))
        tail = f.read()
        cut = end - len(tail) + tail.rindex(b"]")
        f.seek(cut)
        f.write(b",\n" + json.dumps(new, separators=(",", ":")).encode() + b"]\n")
        f.truncate()
    written = time.monotonic()
    while report()["streams"]["workorder"]["records"] <= before:
        if time.monotonic() - written > 60:
            sys.exit("the appended work order did not show within 60 s")
        time.sleep(0.01)
    print(f"{time.monotonic() - written:.3f}")
PY
}

measure() {
  local n=$1
  local dir=$ROOT/$n
  local data=$dir/data work=$dir/work
  echo "== $n readings"
  if [ ! -f "$data/complete" ]; then
    rm -rf "$data"
    mkdir -p "$dir"
    "$GEN" --out "$data" --readings "$n" --seed "$SEED" | tee "$data.log"
    mv "$data.log" "$data/complete"
  else
    echo "reusing $data ($(cat "$data/complete"))"
  fi
  # The store and its offsets are made anew; metrics.json is only read, so it is linked.
  rm -rf "$work"
  mkdir -p "$work/data"
  ln "$data/metrics.json" "$work/data/metrics.json"
  cp "$data/workorder.json" "$work/data/workorder.json"
  cd "$work"

  /usr/bin/time -f "%e %M" -o ingest-time.txt "$BIN" run --data data --db store.db --no-progress \
    --report-dir report-run > ingest.log 2>&1 || { tail -20 ingest.log; die "run failed at $n"; }
  echo "ingest: $(awk '{printf "%.1f s, peak RSS %d MB", $1, $2 / 1024}' ingest-time.txt)"
  grep -q " $n in store" ingest.log && grep -q " $WORK_ORDERS in store" ingest.log \
    || { tail -5 ingest.log; die "the store does not hold every record at $n"; }

  : > report-times.txt
  for turn in $(seq "$TURNS"); do
    /usr/bin/time -f "%e %M" -o one.txt "$BIN" report --db store.db --report-dir report \
      > report.log 2>&1 || { tail -20 report.log; die "report failed at $n"; }
    cat one.txt >> report-times.txt
    echo "report turn $turn: $(awk '{printf "%.2f s, peak RSS %d MB", $1, $2 / 1024}' one.txt)"
  done
  result "$n" report_s "$(awk '{print $1}' report-times.txt | median)"
  result "$n" report_mb "$(awk '{print $2 / 1024}' report-times.txt | median)"

  local port
  port=$(free_port)
  "$BIN" dashboard --db store.db --listen "127.0.0.1:$port" > dashboard.log 2>&1 &
  BACKGROUND=$!
  local ready
  ready=$(wait_ready "$BACKGROUND" "$port" dashboard.log) || die "dashboard failed at $n"
  sleep 2 # anything the first analysis leaves running settles
  local hwm
  hwm=$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$BACKGROUND/status")
  kill "$BACKGROUND"
  wait "$BACKGROUND" || true
  BACKGROUND=
  echo "dashboard: first analysis in $ready s, peak RSS $hwm MB"
  result "$n" dashboard_mb "$hwm"
  result "$n" dashboard_ready_s "$ready"

  port=$(free_port)
  "$BIN" run --follow --data data --db store.db --no-progress --report-dir report-follow \
    --dashboard-listen "127.0.0.1:$port" > follow.log 2>&1 &
  BACKGROUND=$!
  ready=$(wait_ready "$BACKGROUND" "$port" follow.log) || die "run --follow failed at $n"
  echo "run --follow: first analysis in $ready s"
  append_and_time "$port" data/workorder.json "$TURNS" > live.txt || die "live update failed at $n"
  echo "appended work order shown after (s): $(tr '\n' ' ' < live.txt)"
  result "$n" live_s "$(median < live.txt)"
  kill -TERM "$BACKGROUND"
  wait "$BACKGROUND" || { tail -20 follow.log; die "run --follow did not stop cleanly at $n"; }
  BACKGROUND=
  cd - > /dev/null
}

measure "$SMALL"
measure "$LARGE"

python3 - "$RESULTS" "$SMALL" "$LARGE" <<'PY'
import sys
path, small, large = sys.argv[1], sys.argv[2], sys.argv[3]
r = {}
for line in open(path):
    n, key, value = line.split()
    r[(n, key)] = float(value)
def fmt(n):
    n = int(n)
    return f"{n / 1e6:g} M" if n >= 1_000_000 else f"{n:,}"
rows = [
    # figure, key, unit, target on the ratio, target on the large figure
    ("report wall time (median)", "report_s", "s", 2.0, None),
    ("report peak RSS (median)", "report_mb", "MB", 1.15, None),
    ("dashboard peak RSS, first analysis ready", "dashboard_mb", "MB", 1.15, None),
    ("dashboard first analysis", "dashboard_ready_s", "s", None, None),
    ("appended work order → /api/report (median)", "live_s", "s", None, 1.0),
]
print()
print(f"| figure | {fmt(small)} readings | {fmt(large)} readings | ratio | target | met |")
print("| --- | --- | --- | --- | --- | --- |")
for name, key, unit, ratio_target, abs_target in rows:
    a, b = r[(small, key)], r[(large, key)]
    ratio = b / a if a else float("inf")
    cell = lambda v: f"{v:.0f} {unit}" if unit == "MB" else f"{v:.2f} {unit}"
    if ratio_target is not None:
        target, met = f"ratio ≤ {ratio_target:g}", ratio <= ratio_target
    elif abs_target is not None:
        target, met = f"≤ {abs_target:g} {unit} at {fmt(large)}", b <= abs_target
    else:
        target, met = "—", None
    met = "—" if met is None else ("yes" if met else "**no**")
    print(f"| {name} | {cell(a)} | {cell(b)} | {ratio:.2f}× | {target} | {met} |")
PY
