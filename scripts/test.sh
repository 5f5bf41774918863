#!/usr/bin/env bash
# The README's test command: installs what is missing, builds everything with warnings as
# errors, and runs every test. Exit status is ctest's.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/setup.sh

build=${DLAUNCH_BUILD_DIR:-build}
jobs=$(nproc)
cmake -S . -B "$build" -G Ninja -DDLAUNCH_WERROR=ON
cmake --build "$build" -j"$jobs"
./scripts/fuzz_store_parser.sh 60
ctest --test-dir "$build" --output-on-failure -j"$jobs" --timeout 600
