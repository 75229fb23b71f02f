#!/usr/bin/env bash
# The report's power against the plain textbook test (issue 21's protocol): one product,
# 20 gauges, three planted drivers of equal correlation r with the output rate, n intervals,
# AR(phi) parameters and output noise, readings every 2,500 or 6,000 s. The reference, on the
# same datasets in the same run: per-interval Spearman with BH over the 20 gauges (with
# Bartlett's effective n from the true phi where phi = 0.6). Prints detections, their ratio
# to the reference, and the false discovery proportion, per cell, by phi, by n and in all.
#
#   bench/power.sh             # 40 seeds per cell (1,440 datasets)
#   SEEDS=4 bench/power.sh     # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
SEEDS=${SEEDS:-40}
SEED=${SEED:-3000000}
cargo run --release --quiet --example power -- "$SEEDS" "$SEED"
