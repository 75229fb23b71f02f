#!/usr/bin/env bash
# The report's null calibration over many datasets: how often a report of data in which
# nothing drives output, but everything wanders slowly, claims a reliable driver — per shape
# of data (length, autocorrelation, measurement noise, wandering or white output) and in all,
# beside the previous method (raw levels, lag-1 effective n) on the same datasets.
#
#   bench/calibration.sh              # 6,400 datasets from seed 5,000,000
#   DATASETS=640 bench/calibration.sh # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
DATASETS=${DATASETS:-6400}
SEED=${SEED:-5000000}
cargo run --release --quiet --example calibration -- "$DATASETS" "$SEED"
# The same question on the demo generator's own data with nothing planted.
cargo run --release --quiet --example null_generated -- "${GENERATED:-1000}" 1 2 | tail -1
