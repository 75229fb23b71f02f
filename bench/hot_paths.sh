#!/usr/bin/env bash
# The criterion micro-benchmarks of the hot paths (benches/hot_paths), then one line per
# benchmark: its median and the ratio to its group's baseline (the `baseline_*` function)
# measured in the same run. Arguments go to criterion, e.g. a name filter:
#
#   bench/hot_paths.sh                # everything, about 5 minutes
#   bench/hot_paths.sh scanner        # one group
#
# Needs jq (Debian package) for the table.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only this run's results in the table (criterion's "change since last run" is lost).
rm -rf target/criterion
cargo bench --bench hot_paths -- "$@"
for dir in target/criterion/*/*/new; do
  jq -c --slurpfile e "$dir/estimates.json" \
    '{group: .group_id, function: .function_id, median: $e[0].median.point_estimate}' \
    "$dir/benchmark.json"
done | jq -rs '
  def time: if . >= 1e6 then "\(. / 1e6 * 100 | round / 100) ms"
            elif . >= 1e3 then "\(. / 1e3 * 100 | round / 100) µs"
            else "\(. * 100 | round / 100) ns" end;
  group_by(.group)[]
  | (map(select(.function | startswith("baseline"))) | first | .median) as $base
  | .[]
  | "\(.group)\t\(.function)\t\(.median | time)\t\(if $base then "\(.median / $base * 100 | round / 100)x" else "-" end)"' \
  | column -t -s $'\t'
