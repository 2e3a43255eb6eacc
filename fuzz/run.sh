#!/usr/bin/env bash
# Builds every fuzz target and runs each for SECONDS; fails on any crash.
#   fuzz/run.sh 30
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). The hand-made seeds
# in fuzz/seeds/ start each run; what the fuzzer finds goes to fuzz/corpus/ (not committed),
# and a crashing input to fuzz/artifacts/.
set -euo pipefail
seconds=${1:?usage: fuzz/run.sh SECONDS}
cd "$(dirname "$0")"

for target in decode roundtrip limits; do
    echo "== fuzzing $target for $seconds s"
    mkdir -p "corpus/$target"
    cargo +nightly fuzz run "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$seconds" -print_final_stats=1
done
